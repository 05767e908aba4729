/**
 * Customer tax IDs. Invariants: a tax ID belongs to exactly one customer (its row's `customer`
 * column) and is only reachable through that customer; a customer has at most 25; values are stored
 * normalised (see tax-id-formats.ts); deleting one forgets it entirely, as Stripe does.
 *
 * Verification. Stripe checks `eu_vat`, `gb_vat`, `au_abn` and `ch_vat` against government registries;
 * every other type is `unavailable`. A verifiable tax ID is created `pending`
 * (`customer.tax_id.created` carries that state). In test mode Portico then resolves it at once, in
 * the same request, and emits `customer.tax_id.updated`: a value containing `111111111` (Stripe's
 * documented test value for a failed check) becomes `unverified`, anything else (including the
 * documented success value `000000000`) `verified`; `verified_name` and `verified_address` stay null.
 * In live mode Portico has no registry to ask, so the status stays `pending`.
 */
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { Ctx } from '../storage/context.ts';
import {
  getObject,
  insertObject,
  listObjects,
  removeObject,
  updateObject,
  type ListOptions,
} from '../storage/objects.ts';
import { emit, emitUpdated } from '../events/outbox.ts';
import { customerHooks, getCustomer } from './customers.ts';
import { checkTaxId, type TaxIdType } from './tax-id-formats.ts';

export type VerificationStatus = 'pending' | 'unavailable' | 'unverified' | 'verified';

export interface TaxId {
  id: string;
  object: 'tax_id';
  country: string | null;
  created: number;
  customer: string;
  customer_account: null;
  livemode: boolean;
  owner: { type: 'customer'; customer: string; customer_account: null };
  type: TaxIdType;
  value: string;
  verification: { status: VerificationStatus; verified_address: string | null; verified_name: string | null };
}

export interface DeletedTaxId {
  id: string;
  object: 'tax_id';
  deleted: true;
}

const OBJECT = 'tax_id';
const NOUN = 'tax id';
export const MAX_TAX_IDS_PER_CUSTOMER = 25;

/** The types Stripe verifies with a government registry. */
const VERIFIED_TYPES: readonly TaxIdType[] = ['eu_vat', 'gb_vat', 'au_abn', 'ch_vat'];
/** Stripe's test-mode value for a failed registry check. */
const TEST_UNVERIFIED = '111111111';

function verification(status: VerificationStatus): TaxId['verification'] {
  return { status, verified_address: null, verified_name: null };
}

async function countTaxIds(ctx: Ctx, customer: string): Promise<number> {
  const row = await ctx.db
    .selectFrom('objects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', OBJECT)
    .where('customer', '=', customer)
    .where('deleted', '=', false)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Adds a tax ID to a customer already loaded (and locked) by the caller. `params` names the
 * parameters errors point at (`tax_id_data[0][value]` when called from customer creation).
 */
async function addTaxId(
  ctx: Ctx,
  customer: string,
  input: { type: string; value: string },
  params: { type: string; value: string },
): Promise<TaxId> {
  const { type, value, country } = checkTaxId(input.type, input.value, params);
  if ((await countTaxIds(ctx, customer)) >= MAX_TAX_IDS_PER_CUSTOMER) {
    throw errors.invalidRequest(
      `A customer can have at most ${MAX_TAX_IDS_PER_CUSTOMER} tax IDs. Delete one before adding another.`,
    );
  }
  const created = ctx.clock.now();
  const verifiable = VERIFIED_TYPES.includes(type);
  const taxId: TaxId = {
    id: newId('tax_id'),
    object: 'tax_id',
    country,
    created,
    customer,
    customer_account: null,
    livemode: ctx.livemode,
    owner: { type: 'customer', customer, customer_account: null },
    type,
    value,
    verification: verification(verifiable ? 'pending' : 'unavailable'),
  };
  await insertObject(ctx, { id: taxId.id, object: OBJECT, created, customer, data: taxId });
  await emit(ctx, 'customer.tax_id.created', taxId);
  if (!verifiable || ctx.livemode) return taxId;

  const resolved: TaxId = {
    ...taxId,
    verification: verification(value.includes(TEST_UNVERIFIED) ? 'unverified' : 'verified'),
  };
  await updateObject(ctx, taxId.id, { data: resolved });
  await emitUpdated(ctx, 'customer.tax_id.updated', taxId, resolved);
  return resolved;
}

export async function createTaxId(
  ctx: Ctx,
  customerId: string,
  params: { type: string; value: string },
): Promise<TaxId> {
  const customer = await getCustomer(ctx, customerId, 'customer', true);
  return addTaxId(ctx, customer.id, params, { type: 'type', value: 'value' });
}

/** A tax ID of this customer, or a 404 (also when it belongs to someone else). */
export async function getTaxId(ctx: Ctx, customerId: string, id: string): Promise<TaxId> {
  const customer = await getCustomer(ctx, customerId, 'customer');
  const found = await getObject<TaxId>(ctx, OBJECT, NOUN, id, { param: 'id' });
  if (found.customer !== customer.id) throw errors.resourceMissing(NOUN, id, 'id');
  return found.data;
}

export async function deleteTaxId(ctx: Ctx, customerId: string, id: string): Promise<DeletedTaxId> {
  await getCustomer(ctx, customerId, 'customer', true);
  const taxId = await getTaxId(ctx, customerId, id);
  await removeObject(ctx, id);
  await emit(ctx, 'customer.tax_id.deleted', taxId);
  return { id, object: 'tax_id', deleted: true };
}

/** One page of a customer's tax IDs, newest first. */
export async function listTaxIds(ctx: Ctx, customerId: string, page: ListOptions) {
  const customer = await getCustomer(ctx, customerId, 'customer');
  return listObjects<TaxId>(ctx, OBJECT, { ...page, where: (q) => q.where('customer', '=', customer.id) });
}

/** The page `expand[]=tax_ids` puts on a customer (empty for a deleted one). */
export async function customerTaxIdsPage(ctx: Ctx, customerId: string, limit: number) {
  return listObjects<TaxId>(ctx, OBJECT, { limit, where: (q) => q.where('customer', '=', customerId) });
}

customerHooks.createTaxIds = async (ctx, customer, data, param) => {
  for (const [i, datum] of data.entries()) {
    await addTaxId(ctx, customer, datum, { type: `${param}[${i}][type]`, value: `${param}[${i}][value]` });
  }
};
