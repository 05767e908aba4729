/**
 * Tax IDs: a customer's, and the account's own (owner `self`, `POST /v1/tax_ids`, shown on invoices
 * that name them in `account_tax_ids`). Invariants: a customer's tax ID belongs to exactly one
 * customer (its row's `customer` column) and is only reachable through that customer (or by id at
 * `/v1/tax_ids/{id}`); the account's own have no customer; each owner has at most 25; values are stored
 * normalised (see tax-id-formats.ts); deleting one forgets it entirely, as Stripe does. The account's
 * own emit `tax_id.created/updated/deleted`, a customer's `customer.tax_id.*`.
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
import { sql } from 'kysely';
import {
  findObject,
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
  /** The customer it belongs to; null for the account's own (owner `self`). */
  customer: string | null;
  customer_account: null;
  livemode: boolean;
  owner: { type: 'customer'; customer: string; customer_account: null } | { type: 'self'; customer_account: null };
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

/** How many tax IDs `customer` (null: the account itself) has. */
async function countTaxIds(ctx: Ctx, customer: string | null): Promise<number> {
  await ctx.uow?.settle(ctx.db);
  const row = await ctx.db
    .selectFrom('objects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', OBJECT)
    .where('customer', customer === null ? 'is' : '=', customer)
    .where('deleted', '=', false)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Adds a tax ID to a customer already loaded (and locked) by the caller, or to the account itself
 * (`customer` null: owner `self`, events `tax_id.*` instead of `customer.tax_id.*`). `params` names the
 * parameters errors point at (`tax_id_data[0][value]` when called from customer creation).
 */
async function addTaxId(
  ctx: Ctx,
  customer: string | null,
  input: { type: string; value: string },
  params: { type: string; value: string },
): Promise<TaxId> {
  const { type, value, country } = checkTaxId(input.type, input.value, params);
  if ((await countTaxIds(ctx, customer)) >= MAX_TAX_IDS_PER_CUSTOMER) {
    throw errors.invalidRequest(
      customer === null
        ? `The account can have at most ${MAX_TAX_IDS_PER_CUSTOMER} tax IDs of its own. Delete one before adding another.`
        : `A customer can have at most ${MAX_TAX_IDS_PER_CUSTOMER} tax IDs. Delete one before adding another.`,
    );
  }
  const prefix = customer === null ? 'tax_id' : 'customer.tax_id';
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
    owner: customer === null ? { type: 'self', customer_account: null } : { type: 'customer', customer, customer_account: null },
    type,
    value,
    verification: verification(verifiable ? 'pending' : 'unavailable'),
  };
  await insertObject(ctx, { id: taxId.id, object: OBJECT, created, customer, data: taxId });
  await emit(ctx, `${prefix}.created`, taxId);
  if (!verifiable || ctx.livemode) return taxId;

  const resolved: TaxId = {
    ...taxId,
    verification: verification(value.includes(TEST_UNVERIFIED) ? 'unverified' : 'verified'),
  };
  await updateObject(ctx, taxId.id, { data: resolved });
  await emitUpdated(ctx, `${prefix}.updated`, taxId, resolved);
  return resolved;
}

/** `POST /v1/tax_ids` with owner `self` (the default): a tax ID of the account, for its invoices. */
export async function createAccountTaxId(ctx: Ctx, params: { type: string; value: string }): Promise<TaxId> {
  // One writer at a time per mode, so two concurrent creations cannot both pass the limit.
  await sql`select pg_advisory_xact_lock(hashtextextended(current_schema() || ${`:portico.account_tax_ids.${ctx.livemode}`}, 0))`.execute(ctx.db);
  return addTaxId(ctx, null, params, { type: 'type', value: 'value' });
}

/** Any tax ID of this mode (`GET /v1/tax_ids/{id}`): the account's own or a customer's. */
export async function getAnyTaxId(ctx: Ctx, id: string, param = 'id'): Promise<TaxId> {
  return (await getObject<TaxId>(ctx, OBJECT, NOUN, id, { param })).data;
}

/** `DELETE /v1/tax_ids/{id}`: `tax_id.deleted` for the account's own, as the customer path for a customer's. */
export async function deleteAnyTaxId(ctx: Ctx, id: string): Promise<DeletedTaxId> {
  const taxId = await getAnyTaxId(ctx, id);
  if (taxId.customer !== null) return deleteTaxId(ctx, taxId.customer, id);
  await removeObject(ctx, id);
  await emit(ctx, 'tax_id.deleted', taxId);
  return { id, object: 'tax_id', deleted: true };
}

/** One page of the tax IDs of an owner (`self`: the account's own), newest first. */
export async function listOwnedTaxIds(ctx: Ctx, owner: { customer: string | null }, page: ListOptions) {
  if (owner.customer !== null) return listTaxIds(ctx, owner.customer, page);
  return listObjects<TaxId>(ctx, OBJECT, { ...page, where: (q) => q.where('customer', 'is', null) });
}

/**
 * Checks that `ids` are tax IDs of the account itself (what an invoice's `account_tax_ids` may name);
 * a customer's or unknown id is a 404 naming `param[i]`.
 */
export async function assertAccountTaxIds(ctx: Ctx, ids: string[], param: string): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const found = await findObject<TaxId>(ctx, OBJECT, id);
    if (!found || found.data.customer !== null) throw errors.resourceMissing(NOUN, id, `${param}[${i}]`);
  }
}

/** A customer's tax IDs as an invoice shows them (`customer_tax_ids`), oldest first. */
export async function customerTaxIdSnapshot(ctx: Ctx, customer: string): Promise<{ type: string; value: string }[]> {
  if (ctx.uow) {
    // The billing clock's unit of work: read through it, which keeps its batch unflushed.
    const rows = await ctx.uow.customerObjects(ctx, OBJECT, customer);
    return rows.map((r) => r.data as TaxId).map((t) => ({ type: t.type, value: t.value }));
  }
  const page = await customerTaxIdsPage(ctx, customer, MAX_TAX_IDS_PER_CUSTOMER);
  return page.data.map((t) => ({ type: t.data.type, value: t.data.value })).reverse();
}

/** The type and value of each of `ids` (deleted ones are left out), for the hosted page and PDF. */
export async function taxIdValues(ctx: Ctx, ids: readonly string[]): Promise<{ type: string; value: string }[]> {
  const out: { type: string; value: string }[] = [];
  for (const id of ids) {
    const found = await findObject<TaxId>(ctx, OBJECT, id);
    if (found) out.push({ type: found.data.type, value: found.data.value });
  }
  return out;
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
  if (found.data.customer !== customer.id) throw errors.resourceMissing(NOUN, id, 'id');
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
