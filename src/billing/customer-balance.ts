/**
 * Customer balance transactions (`/v1/customers/{id}/balance_transactions`): every change of a
 * customer's `balance` is one, so the balance is always the `ending_balance` of its latest one.
 * Negative amounts are credit (the customer's next invoices owe that much less), positive ones debit.
 *
 * Types Portico writes: `adjustment` (created through the API, or `balance` set on a customer update),
 * `initial` (`balance` given at creation), `applied_to_invoice` (an invoice finalized took credit from,
 * or added debit or credit to, the balance), `unapplied_from_invoice` (a voided invoice gave it back).
 * The customer's `customer.updated` carries each change; Stripe has no event for the transactions.
 */
import { sql } from 'kysely';
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { MAX_AMOUNT, parseCurrency } from '../lib/money.ts';
import { mergeMetadata, p, type InferShape, type RangeFilter } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { getObject, insertObject, listObjects, updateObject, whereCreated, type ListOptions } from '../storage/objects.ts';
import { getCustomer, saveCustomer, type Customer } from './customers.ts';

export type BalanceTransactionType = 'adjustment' | 'applied_to_invoice' | 'initial' | 'unapplied_from_invoice';

export interface CustomerBalanceTransaction {
  id: string;
  object: 'customer_balance_transaction';
  amount: number;
  checkout_session: null;
  created: number;
  credit_note: null;
  currency: string;
  customer: string;
  customer_account: null;
  description: string | null;
  ending_balance: number;
  invoice: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  type: BalanceTransactionType;
}

const NOUN = 'customer_balance_transaction';

export const balanceTransactionCreateShape = {
  amount: p.integer({ min: -MAX_AMOUNT, max: MAX_AMOUNT }).req(),
  currency: p.string({ max: 3 }).req(),
  description: p.string({ max: 350 }),
  metadata: p.metadata(),
};
export const balanceTransactionUpdateShape = {
  description: p.emptyable(p.string({ max: 350 })),
  metadata: p.metadata(),
};

/**
 * Writes the transaction that takes `before.balance` to `after.balance` (nothing when they are
 * equal); the caller saves the customer. `after.currency` is set when the customer had none.
 */
export async function recordBalanceChange(
  ctx: Ctx,
  before: Customer,
  after: Customer,
  how: { type: BalanceTransactionType; currency?: string; invoice?: string | null; description?: string | null; metadata?: Record<string, string | null> | null },
): Promise<CustomerBalanceTransaction | null> {
  const amount = after.balance - before.balance;
  if (amount === 0 && how.type !== 'adjustment') return null;
  const currency = how.currency ?? after.currency ?? 'usd';
  const txn: CustomerBalanceTransaction = {
    id: newId('customer_balance_transaction'),
    object: NOUN,
    amount,
    checkout_session: null,
    created: ctx.clock.now(),
    credit_note: null,
    currency,
    customer: after.id,
    customer_account: null,
    description: how.description ?? null,
    ending_balance: after.balance,
    invoice: how.invoice ?? null,
    livemode: ctx.livemode,
    metadata: mergeMetadata({}, how.metadata),
    type: how.type,
  };
  await insertObject(ctx, { id: txn.id, object: NOUN, created: txn.created, customer: after.id, data: txn });
  return txn;
}

/** `POST /v1/customers/{id}/balance_transactions`: an adjustment of the balance, in the customer's currency. */
export async function createBalanceTransaction(
  ctx: Ctx,
  customerId: string,
  params: InferShape<typeof balanceTransactionCreateShape>,
): Promise<CustomerBalanceTransaction> {
  const before = await getCustomer(ctx, customerId, 'customer', true);
  const currency = parseCurrency(params.currency);
  if (before.currency !== null && before.currency !== currency) {
    throw errors.invalidParam('currency', `The currency must be the customer's currency (${before.currency}).`);
  }
  if (params.amount === 0) throw errors.invalidParam('amount', 'The amount of a balance transaction cannot be zero.');
  const balance = before.balance + params.amount;
  if (Math.abs(balance) > MAX_AMOUNT) throw errors.invalidParam('amount', 'The resulting balance is too large.');
  const after: Customer = { ...before, balance, currency };
  const txn = await recordBalanceChange(ctx, before, after, {
    type: 'adjustment',
    currency,
    description: params.description ?? null,
    metadata: params.metadata ?? null,
  });
  await saveCustomer(ctx, before, after);
  return txn!;
}

/** One of the customer's transactions, or a 404 (also when it belongs to another customer). */
export async function getBalanceTransaction(ctx: Ctx, customerId: string, id: string, forUpdate = false): Promise<CustomerBalanceTransaction> {
  await getCustomer(ctx, customerId, 'customer');
  const found = await getObject<CustomerBalanceTransaction>(ctx, NOUN, 'customer balance transaction', id, { forUpdate });
  if (found.data.customer !== customerId) throw errors.resourceMissing('customer balance transaction', id);
  return found.data;
}

/** Only `description` and `metadata` change; Stripe emits no event for it. */
export async function updateBalanceTransaction(
  ctx: Ctx,
  customerId: string,
  id: string,
  params: InferShape<typeof balanceTransactionUpdateShape>,
): Promise<CustomerBalanceTransaction> {
  const before = await getBalanceTransaction(ctx, customerId, id, true);
  const after: CustomerBalanceTransaction = {
    ...before,
    description: params.description === undefined ? before.description : params.description,
    metadata: mergeMetadata(before.metadata, params.metadata),
  };
  await updateObject(ctx, id, { data: after });
  return after;
}

export async function listBalanceTransactions(ctx: Ctx, customerId: string, filters: { invoice?: string; created?: RangeFilter }, page: ListOptions) {
  await getCustomer(ctx, customerId, 'customer');
  return listObjects<CustomerBalanceTransaction>(ctx, NOUN, {
    ...page,
    where: (q) => {
      let out = q.where('customer', '=', customerId);
      if (filters.invoice !== undefined) out = out.where(sql<string>`data->>'invoice'`, '=', filters.invoice);
      if (filters.created) out = whereCreated(out, filters.created);
      return out;
    },
  });
}
