/**
 * Legacy card sources (`/v1/customers/{id}/sources`, Stripe's Cards API that older code still calls).
 * A card source is a payment method underneath: one stored `payment_method` row with a `card_` id,
 * shown here as a `card` object and by the PaymentMethods API as a `payment_method`, so billing
 * charges it like any card. Invariants: a source is born attached to its customer (validated as on
 * attach, unless `validate=false`) and deleting it detaches it for good; the customer's
 * `default_source` always names one of its own card sources; the first source a customer gets becomes
 * its default, and deleting the default promotes the most recently added remaining source (null when
 * none is left). Events: `customer.source.created/updated/deleted` (data: the card) and
 * `customer.updated` when `default_source` changes. A new card through `source` on customer update
 * retries the open invoice of past_due subscriptions. Installs its customer hooks when imported.
 */
import { ApiError, clip, errors } from '../lib/errors.ts';
import { mergeMetadata, p, type InferShape } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { findObject, listObjects, updateObject, type ListOptions, type Page } from '../storage/objects.ts';
import { emit, emitUpdated } from '../events/outbox.ts';
import { customerHooks, getCustomer, saveCustomer, type Customer } from './customers.ts';
import {
  detachStored,
  getStoredPaymentMethod,
  insertCard,
  isCardSourceId,
  paymentMethodDetachHooks,
  type PaymentMethod,
  type StoredPaymentMethod,
} from './payment-methods.ts';
import { checkExpiry, testCardByToken, testSource, type CardBrand } from './test-cards.ts';
import { atClockTime, attemptInvoicePayment, getInvoice } from './invoices/index.ts';
import { listSubscriptions } from './subscriptions/index.ts';

/** The `card` object of the Sources API (stripe-node `Card`, for a card that belongs to a customer). */
export interface CardObject {
  id: string;
  object: 'card';
  address_city: string | null;
  address_country: string | null;
  address_line1: string | null;
  address_line1_check: string | null;
  address_line2: string | null;
  address_state: string | null;
  address_zip: string | null;
  address_zip_check: string | null;
  allow_redisplay: string;
  brand: string;
  country: string | null;
  customer: string | null;
  cvc_check: string | null;
  dynamic_last4: null;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  funding: string;
  last4: string;
  metadata: Record<string, string>;
  name: string | null;
  networks: { preferred: string | null };
  regulated_status: 'regulated' | 'unregulated';
  tokenization_method: null;
}

/** The card object's `brand` is the display name (`Visa`, `American Express`…), not the payment method's code. */
const BRAND_NAME: Record<CardBrand, string> = {
  amex: 'American Express',
  diners: 'Diners Club',
  discover: 'Discover',
  jcb: 'JCB',
  mastercard: 'MasterCard',
  unionpay: 'UnionPay',
  visa: 'Visa',
  unknown: 'Unknown',
};

/** The card source a stored payment method is, as the Sources API shows it. */
export function toCardObject(pm: PaymentMethod, customer: string | null = pm.customer): CardObject {
  const a = pm.billing_details.address;
  return {
    id: pm.id,
    object: 'card',
    address_city: a.city,
    address_country: a.country,
    address_line1: a.line1,
    address_line1_check: pm.card.checks.address_line1_check,
    address_line2: a.line2,
    address_state: a.state,
    address_zip: a.postal_code,
    address_zip_check: pm.card.checks.address_postal_code_check,
    allow_redisplay: pm.allow_redisplay,
    brand: BRAND_NAME[pm.card.brand],
    country: pm.card.country,
    customer,
    cvc_check: pm.card.checks.cvc_check,
    dynamic_last4: null,
    exp_month: pm.card.exp_month,
    exp_year: pm.card.exp_year,
    fingerprint: pm.card.fingerprint,
    funding: pm.card.funding,
    last4: pm.card.last4,
    metadata: pm.metadata,
    name: pm.billing_details.name,
    networks: { preferred: pm.card.networks.preferred },
    regulated_status: pm.card.regulated_status,
    tokenization_method: null,
  };
}

export const sourceCreateShape = {
  source: p.string({ max: 5000 }).req(),
  metadata: p.metadata(),
  validate: p.boolean(),
};

const BANK_ONLY = 'applies only to bank accounts; Portico keeps card sources only.';
const SOURCE_ONLY = 'applies only to Source objects (src_); Portico keeps card sources only.';

export const sourceUpdateShape = {
  address_city: p.emptyable(p.string({ max: 5000 })),
  address_country: p.emptyable(p.string({ max: 5000 })),
  address_line1: p.emptyable(p.string({ max: 5000 })),
  address_line2: p.emptyable(p.string({ max: 5000 })),
  address_state: p.emptyable(p.string({ max: 5000 })),
  address_zip: p.emptyable(p.string({ max: 5000 })),
  exp_month: p.integer(),
  exp_year: p.integer(),
  metadata: p.metadata(),
  name: p.emptyable(p.string({ max: 5000 })),
  account_holder_name: p.unsupported(BANK_ONLY),
  account_holder_type: p.unsupported(BANK_ONLY),
  owner: p.unsupported(SOURCE_ONLY),
};

export type SourceCreate = InferShape<typeof sourceCreateShape>;
export type SourceUpdate = InferShape<typeof sourceUpdateShape>;

const OBJECT = 'payment_method';

/**
 * A new card source for a customer from a test token (`tok_visa`…, test mode only), emitting
 * `customer.source.created`. Does not touch the customer's `default_source`: callers decide.
 */
async function addCard(
  ctx: Ctx,
  customerId: string,
  token: string,
  opts: { validate?: boolean | undefined; metadata?: SourceCreate['metadata']; param: string },
): Promise<StoredPaymentMethod> {
  const test = ctx.livemode ? undefined : testCardByToken(token);
  if (!test) throw errors.resourceMissing('token', token, opts.param);
  const stored = await insertCard(
    ctx,
    testSource(ctx, test),
    opts.metadata === undefined ? {} : { metadata: opts.metadata },
    { kind: 'card', attachTo: customerId, ...(opts.validate !== undefined ? { validate: opts.validate } : {}) },
  );
  await emit(ctx, 'customer.source.created', toCardObject(stored.data));
  return stored;
}

/** `POST /v1/customers/{id}/sources`: the new card; it becomes the default when the customer has none. */
export async function createSource(ctx: Ctx, customerId: string, params: SourceCreate): Promise<CardObject> {
  const customer = await getCustomer(ctx, customerId, 'customer', true);
  const stored = await addCard(ctx, customer.id, params.source, { validate: params.validate, metadata: params.metadata, param: 'source' });
  if (customer.default_source === null) await saveCustomer(ctx, customer, { ...customer, default_source: stored.id });
  return toCardObject(stored.data);
}

/** The customer's own card source `id` (404 `No such source` otherwise, as for another customer's). */
async function ownSource(ctx: Ctx, customerId: string, id: string, forUpdate: boolean, param = 'id'): Promise<StoredPaymentMethod> {
  await getCustomer(ctx, customerId, 'customer', forUpdate);
  const found = isCardSourceId(id) ? await findObject<PaymentMethod>(ctx, OBJECT, id, { forUpdate }) : undefined;
  if (!found || found.data.customer !== customerId) throw errors.resourceMissing('source', id, param);
  return getStoredPaymentMethod(ctx, id, param, forUpdate);
}

export async function retrieveSource(ctx: Ctx, customerId: string, id: string): Promise<CardObject> {
  return toCardObject((await ownSource(ctx, customerId, id, false)).data);
}

/** A customer's card sources, newest first; `object` other than `card` lists nothing (Portico keeps no other kind). */
export async function listSources(
  ctx: Ctx,
  customerId: string,
  filters: { object?: string | undefined },
  page: ListOptions,
): Promise<Page<PaymentMethod>> {
  await getCustomer(ctx, customerId, 'customer');
  if (filters.object !== undefined && filters.object !== 'card') return { data: [], has_more: false };
  return listObjects<PaymentMethod>(ctx, OBJECT, {
    ...page,
    where: (q) => q.where('customer', '=', customerId).where('id', 'like', 'card\\_%'),
  });
}

/** `POST /v1/customers/{id}/sources/{card}`: the holder's name and address, expiry, metadata. */
export async function updateSource(ctx: Ctx, customerId: string, id: string, params: SourceUpdate): Promise<CardObject> {
  const stored = await ownSource(ctx, customerId, id, true);
  const before = stored.data;
  const after: PaymentMethod = structuredClone(before);
  const address = after.billing_details.address;
  const fields = [
    ['address_city', 'city'],
    ['address_country', 'country'],
    ['address_line1', 'line1'],
    ['address_line2', 'line2'],
    ['address_state', 'state'],
    ['address_zip', 'postal_code'],
  ] as const;
  for (const [param, key] of fields) if (params[param] !== undefined) address[key] = params[param];
  if (params.name !== undefined) after.billing_details.name = params.name;
  if (params.exp_month !== undefined || params.exp_year !== undefined) {
    const month = params.exp_month ?? before.card.exp_month;
    try {
      after.card.exp_year = checkExpiry(ctx, month, params.exp_year ?? before.card.exp_year, 'card');
    } catch (e) {
      // The Sources API names its own params: `exp_year`, not `card[exp_year]`.
      if (e instanceof ApiError && e.body.param) e.body.param = e.body.param.replace(/^card\[(\w+)\]$/, '$1');
      throw e;
    }
    after.card.exp_month = month;
  }
  after.metadata = mergeMetadata(before.metadata, params.metadata);
  await updateObject(ctx, id, { data: after });
  await emitUpdated(ctx, 'customer.source.updated', toCardObject(before), toCardObject(after));
  return toCardObject(after);
}

/** `DELETE /v1/customers/{id}/sources/{card}`: detached for good (the detach hook below does the rest). */
export async function deleteSource(ctx: Ctx, customerId: string, id: string): Promise<{ id: string; object: 'card'; deleted: true }> {
  await detachStored(ctx, await ownSource(ctx, customerId, id, true));
  return { id, object: 'card', deleted: true };
}

/** `POST …/sources/{id}/verify` verifies bank accounts (micro-deposits); a card has nothing to verify. */
export async function verifySource(ctx: Ctx, customerId: string, id: string): Promise<never> {
  await ownSource(ctx, customerId, id, false);
  throw errors.invalidRequest(
    `The source ${clip(id)} is a card: only bank account sources can be verified, and Portico keeps no bank accounts.`,
    'id',
  );
}

/** `expand[]=sources` on a customer: its first page of sources. */
export async function customerSourcesPage(ctx: Ctx, customerId: string): Promise<Page<PaymentMethod>> {
  return listSources(ctx, customerId, {}, { limit: 10 });
}

/** `expand[]=default_source`: the card object (null when it is gone). */
export async function expandSource(ctx: Ctx, id: string): Promise<CardObject | null> {
  const found = await findObject<PaymentMethod>(ctx, OBJECT, id);
  return found ? toCardObject(found.data) : null;
}

// A card source detached (here or through the PaymentMethods API, or with its customer): announce it,
// and promote the most recently added remaining source if it was the default.
paymentMethodDetachHooks.push(async (ctx, pm, formerCustomer) => {
  if (!isCardSourceId(pm.id)) return;
  await emit(ctx, 'customer.source.deleted', toCardObject(pm, formerCustomer));
  const owner = await findObject<Customer>(ctx, 'customer', formerCustomer, { includeDeleted: true, forUpdate: true });
  if (!owner || owner.deleted || owner.data.default_source !== pm.id) return;
  const next = await listSources(ctx, formerCustomer, {}, { limit: 1 });
  await saveCustomer(ctx, owner.data, { ...owner.data, default_source: next.data[0]?.id ?? null });
});

customerHooks.addSource = async (ctx, customer, token, validate, param) =>
  (await addCard(ctx, customer, token, { validate, param })).id;

customerHooks.assertOwnsSource = async (ctx, customer, id, param) => {
  const found = isCardSourceId(id) ? await findObject<PaymentMethod>(ctx, OBJECT, id, { forUpdate: true }) : undefined;
  if (!found || found.data.customer !== customer) throw errors.resourceMissing('source', id, param);
};

customerHooks.deleteSource = async (ctx, customer, id) => {
  await deleteSource(ctx, customer, id);
};

// Stripe: a new card through `source` on customer update retries, once and outside the retry schedule,
// the latest open invoice of each past_due subscription that bills automatically (a new
// `default_source` alone does not). A refusal leaves the invoice as it was scheduled.
customerHooks.retryPastDue = async (ctx, customerId) => {
  const at = await atClockTime(ctx, (await getCustomer(ctx, customerId)).test_clock);
  let cursor: string | undefined;
  for (;;) {
    const page = await listSubscriptions(at, { customer: customerId, status: 'past_due' }, { limit: 100, ...(cursor ? { starting_after: cursor } : {}) });
    for (const { data: sub } of page.data) {
      if (sub.collection_method !== 'charge_automatically' || sub.latest_invoice === null) continue;
      const invoice = await getInvoice(at, sub.latest_invoice);
      if (invoice.status !== 'open' || invoice.collection_method !== 'charge_automatically') continue;
      await attemptInvoicePayment(at, invoice.id, { offSession: true, outOfSchedule: true });
    }
    if (!page.has_more) return;
    cursor = page.data.at(-1)!.id;
  }
};
