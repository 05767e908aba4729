/**
 * A customer's cash balance (`/v1/customers/{id}/cash_balance`). Portico has no bank transfers, so no
 * funds ever arrive: the balance is honestly empty (`available: {}`), it has no transactions, and
 * funding instructions are refused. Only the settings are real: `reconciliation_mode` (`automatic` or
 * `manual`, or the account's default, `automatic`, with `using_merchant_default: true`), kept in the
 * customer's private data and set here or with `cash_balance[settings]` on the customer. Changing the
 * settings emits no event (Stripe emits cash balance events only for funds).
 */
import { clip, errors } from '../lib/errors.ts';
import type { InferShape } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { getObject, updateObject } from '../storage/objects.ts';
import { CASH_RECONCILIATION_KEY, cashSettingsParam, getCustomer, type Customer } from './customers.ts';

export type ReconciliationMode = 'automatic' | 'manual';

export interface CashBalance {
  object: 'cash_balance';
  available: Record<string, number>;
  customer: string;
  customer_account: null;
  livemode: boolean;
  settings: { reconciliation_mode: ReconciliationMode; using_merchant_default: boolean };
}

/** The account's default reconciliation mode (Stripe's default; Portico has no setting for it). */
const MERCHANT_DEFAULT: ReconciliationMode = 'automatic';

export const cashBalanceUpdateShape = { settings: cashSettingsParam };
export type CashBalanceUpdate = InferShape<typeof cashBalanceUpdateShape>;

function render(ctx: Ctx, customerId: string, mode: unknown): CashBalance {
  const own = mode === 'automatic' || mode === 'manual' ? mode : null;
  return {
    object: 'cash_balance',
    available: {},
    customer: customerId,
    customer_account: null,
    livemode: ctx.livemode,
    settings: { reconciliation_mode: own ?? MERCHANT_DEFAULT, using_merchant_default: own === null },
  };
}

export async function retrieveCashBalance(ctx: Ctx, customerId: string): Promise<CashBalance> {
  const stored = await getObject<Customer>(ctx, 'customer', 'customer', customerId, { param: 'customer' });
  return render(ctx, customerId, stored.private[CASH_RECONCILIATION_KEY]);
}

/** `POST /v1/customers/{id}/cash_balance`: the settings. */
export async function updateCashBalance(ctx: Ctx, customerId: string, params: CashBalanceUpdate): Promise<CashBalance> {
  const stored = await getObject<Customer>(ctx, 'customer', 'customer', customerId, { param: 'customer', forUpdate: true });
  const mode = params.settings?.reconciliation_mode;
  if (mode === undefined) return render(ctx, customerId, stored.private[CASH_RECONCILIATION_KEY]);
  const next = mode === 'merchant_default' ? null : mode;
  await updateObject(ctx, customerId, { private: { ...stored.private, [CASH_RECONCILIATION_KEY]: next } });
  return render(ctx, customerId, next);
}

/** No funds ever arrive, so there is never a transaction: the list is empty (for an existing customer). */
export async function listCashBalanceTransactions(ctx: Ctx, customerId: string): Promise<{ data: never[]; has_more: false }> {
  await getCustomer(ctx, customerId, 'customer');
  return { data: [], has_more: false };
}

export async function retrieveCashBalanceTransaction(ctx: Ctx, customerId: string, id: string): Promise<never> {
  await getCustomer(ctx, customerId, 'customer');
  throw errors.resourceMissing('customer_cash_balance_transaction', id, 'id');
}

/**
 * `POST /v1/customers/{id}/funding_instructions`: always refused with `parameter_unsupported` naming
 * `funding_type` (the parameter Stripe requires, whose only value is `bank_transfer`).
 */
export async function refuseFundingInstructions(ctx: Ctx, customerId: string): Promise<never> {
  await getCustomer(ctx, customerId, 'customer');
  throw errors.unsupportedParam(
    'funding_type',
    `bank transfers are not available in Portico, so no funding instructions exist for ${clip(customerId)}.`,
  );
}
