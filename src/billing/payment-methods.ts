/**
 * Payment methods (cards). Invariants: the full card number and CVC are never stored, only brand, last4,
 * expiry, funding, country and a keyed fingerprint; a payment method belongs to at most one customer,
 * and once detached it can never be used again; test cards (numbers, `tok_…`, `pm_card_…`) work only in
 * test mode and carry their scripted behaviour in the row's private data. A `card_` id is a legacy card
 * source (sources.ts) stored here too, so both APIs see one card. Installs the customer hooks
 * (attach on create, default must be owned, detach on deletion) when imported.
 */
import { createHmac } from 'node:crypto';
import { ApiError, clip, errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { mergeMetadata, p, type InferShape } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import {
  findObject,
  getObject,
  insertObject,
  listObjects,
  updateObject,
  whereData,
  type ListOptions,
  type StoredObject,
} from '../storage/objects.ts';
import { emit, emitUpdated } from '../events/outbox.ts';
import { customerDeletionHooks, customerHooks, getCustomer, saveCustomer, type Customer } from './customers.ts';
import { addressParam, toAddress, type Address } from './shared-params.ts';
import {
  brandOf,
  cardSource,
  checkExpiry,
  declineError,
  testCardByPaymentMethodId,
  testSource,
  type CardBehaviour,
  type CardBrand,
  type CardFunding,
  type CardSource,
} from './test-cards.ts';

export type AllowRedisplay = 'always' | 'limited' | 'unspecified';
type Check = 'pass' | 'fail' | 'unchecked' | null;

export interface Card {
  brand: CardBrand;
  checks: { address_line1_check: Check; address_postal_code_check: Check; cvc_check: Check };
  country: string | null;
  display_brand: string;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  funding: CardFunding;
  generated_from: null;
  last4: string;
  networks: { available: string[]; preferred: string | null };
  regulated_status: 'regulated' | 'unregulated';
  three_d_secure_usage: { supported: boolean };
  wallet: null;
}

export interface BillingDetails {
  address: Address;
  email: string | null;
  name: string | null;
  phone: string | null;
  tax_id: string | null;
}

export interface PaymentMethod {
  id: string;
  object: 'payment_method';
  allow_redisplay: AllowRedisplay;
  billing_details: BillingDetails;
  card: Card;
  created: number;
  customer: string | null;
  customer_account: null;
  livemode: boolean;
  metadata: Record<string, string>;
  type: 'card';
}

/** What the API never shows: the test card's behaviour (null for a live card) and whether it was detached. */
export interface PaymentMethodPrivate {
  behaviour: CardBehaviour | null;
  detached?: boolean;
}

export type StoredPaymentMethod = Omit<StoredObject<PaymentMethod>, 'private'> & { private: PaymentMethodPrivate };

function withPrivate(row: StoredObject<PaymentMethod>): StoredPaymentMethod {
  const behaviour = (row.private.behaviour as CardBehaviour | null | undefined) ?? null;
  return { ...row, private: row.private.detached === true ? { behaviour, detached: true } : { behaviour } };
}

const OBJECT = 'payment_method';
const NOUN = 'PaymentMethod';
const REDISPLAY = ['always', 'limited', 'unspecified'] as const;
const NETWORKS = ['cartes_bancaires', 'mastercard', 'visa'] as const;
const DISPLAY_BRAND: Record<CardBrand, string> = {
  amex: 'american_express',
  diners: 'diners_club',
  discover: 'discover',
  jcb: 'jcb',
  mastercard: 'mastercard',
  unionpay: 'union_pay',
  visa: 'visa',
  unknown: 'other',
};

const billingDetailsParam = p.object({
  address: p.emptyable(addressParam),
  email: p.emptyable(p.string({ max: 800 })),
  name: p.emptyable(p.string({ max: 5000 })),
  phone: p.emptyable(p.string({ max: 5000 })),
  tax_id: p.string({ max: 5000 }),
});

export const paymentMethodCreateShape = {
  type: p.string().req(),
  card: p.object({
    number: p.string(),
    exp_month: p.integer(),
    exp_year: p.integer(),
    cvc: p.string(),
    token: p.string(),
    networks: p.object({ preferred: p.enumOf(NETWORKS) }),
  }),
  billing_details: billingDetailsParam,
  metadata: p.metadata(),
  allow_redisplay: p.enumOf(REDISPLAY),
};

export const paymentMethodUpdateShape = {
  billing_details: billingDetailsParam,
  card: p.object({
    exp_month: p.integer(),
    exp_year: p.integer(),
    networks: p.object({ preferred: p.emptyable(p.enumOf(NETWORKS)) }),
  }),
  metadata: p.metadata(),
  allow_redisplay: p.enumOf(REDISPLAY),
};

export type PaymentMethodCreate = InferShape<typeof paymentMethodCreateShape>;
export type PaymentMethodUpdate = InferShape<typeof paymentMethodUpdateShape>;
type BillingDetailsParam = NonNullable<PaymentMethodCreate['billing_details']>;

/** Stripe's 400 for a payment method that was detached (or otherwise spent) and used again. */
export const reusedPaymentMethod = (param?: string): ApiError =>
  errors.invalidRequest(
    'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
    param,
  );

/** The fingerprint of a card number: HMAC-SHA256 keyed by this installation's secret key for the mode. */
async function fingerprint(ctx: Ctx, digits: string): Promise<string> {
  const account = await ctx.db.selectFrom('accounts').select(['test_secret_key', 'live_secret_key']).executeTakeFirst();
  const secret = (ctx.livemode ? account?.live_secret_key : account?.test_secret_key) ?? 'portico';
  const mac = createHmac('sha256', `portico card fingerprint:${secret}`).update(digits).digest();
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return [...mac.subarray(0, 16)].map((b) => alphabet[b % 62]).join('');
}

function isValidEmail(email: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(email);
}

function applyBillingDetails(current: BillingDetails, b: BillingDetailsParam | undefined): BillingDetails {
  const next = structuredClone(current);
  if (!b) return next;
  if (b.address !== undefined) next.address = toAddress(b.address ?? {});
  if (b.email !== undefined) {
    if (b.email !== null && !isValidEmail(b.email)) {
      throw errors.invalidParam('billing_details[email]', `Invalid email address: ${clip(b.email)}`, 'email_invalid');
    }
    next.email = b.email;
  }
  if (b.name !== undefined) next.name = b.name;
  if (b.phone !== undefined) next.phone = b.phone;
  if (b.tax_id !== undefined) next.tax_id = b.tax_id;
  return next;
}

function networkOf(brand: CardBrand): string[] {
  return brand === 'unknown' ? [] : [brand];
}

function preferredNetwork(card: Card, preferred: string | null, param: string): string | null {
  if (preferred !== null && !card.networks.available.includes(preferred)) {
    throw errors.invalidParam(param, `The network ${preferred} is not available for this card.`);
  }
  return preferred;
}

/** Whether `id` names a card added through the legacy Sources API (`card_…`, a payment method underneath). */
export function isCardSourceId(id: string): boolean {
  return id.startsWith('card_');
}

/**
 * Stores a new card. With `attachTo` it is born attached to that customer (the Sources API's way): the
 * card is validated as on attach unless `validate` is false. `kind: 'card'` gives it a `card_` id.
 */
export async function insertCard(
  ctx: Ctx,
  src: CardSource,
  params: Omit<PaymentMethodCreate, 'type' | 'card'> & { preferred?: string },
  opts: { kind?: 'payment_method' | 'card'; attachTo?: string; validate?: boolean } = {},
): Promise<StoredPaymentMethod> {
  const blank: BillingDetails = { address: toAddress({}), email: null, name: null, phone: null, tax_id: null };
  const billing_details = applyBillingDetails(blank, params.billing_details);
  const brand = src.test?.brand ?? brandOf(src.digits);
  const card: Card = {
    brand,
    checks: {
      address_line1_check: billing_details.address.line1 ? 'unchecked' : null,
      address_postal_code_check: billing_details.address.postal_code ? 'unchecked' : null,
      cvc_check: src.cvcGiven ? 'unchecked' : null,
    },
    country: src.test?.country ?? null,
    display_brand: DISPLAY_BRAND[brand],
    exp_month: src.exp_month,
    exp_year: src.exp_year,
    fingerprint: await fingerprint(ctx, src.digits),
    funding: src.test?.funding ?? 'unknown',
    generated_from: null,
    last4: src.digits.slice(-4),
    networks: { available: networkOf(brand), preferred: null },
    regulated_status: 'unregulated',
    three_d_secure_usage: { supported: true },
    wallet: null,
  };
  card.networks.preferred = preferredNetwork(card, params.preferred ?? null, 'card[networks][preferred]');
  const behaviour = src.test?.behaviour ?? null;
  if (opts.attachTo !== undefined) {
    if (opts.validate !== false && behaviour?.attach) throw declineError(behaviour.attach);
    card.checks = checkedCard(card, behaviour);
  }
  const created = ctx.clock.now();
  const pm: PaymentMethod = {
    id: newId(opts.kind ?? 'payment_method'),
    object: OBJECT,
    allow_redisplay: params.allow_redisplay ?? 'unspecified',
    billing_details,
    card,
    created,
    customer: opts.attachTo ?? null,
    customer_account: null,
    livemode: ctx.livemode,
    metadata: mergeMetadata({}, params.metadata),
    type: 'card',
  };
  const priv: PaymentMethodPrivate = { behaviour };
  const row = { id: pm.id, object: OBJECT, created, data: pm, private: { ...priv } };
  const stored = await insertObject(ctx, opts.attachTo === undefined ? row : { ...row, customer: opts.attachTo });
  return { ...stored, private: priv };
}

export async function createPaymentMethod(ctx: Ctx, params: PaymentMethodCreate): Promise<PaymentMethod> {
  if (params.type !== 'card') {
    const message = `Invalid type: ${clip(params.type)}. Portico supports only payment methods of type card.`;
    throw errors.invalidParam('type', message);
  }
  if (params.card === undefined) throw errors.missingParam('card');
  const src = cardSource(ctx, params.card);
  const { card, type: _type, ...rest } = params;
  const preferred = card.networks?.preferred;
  return (await insertCard(ctx, src, { ...rest, ...(preferred ? { preferred } : {}) })).data;
}

/** The stored payment method, or a 404 naming `param`. */
export async function getStoredPaymentMethod(
  ctx: Ctx,
  id: string,
  param = 'payment_method',
  forUpdate = false,
): Promise<StoredPaymentMethod> {
  return withPrivate(await getObject<PaymentMethod>(ctx, OBJECT, NOUN, id, { param, forUpdate }));
}

export async function retrievePaymentMethod(ctx: Ctx, id: string): Promise<PaymentMethod> {
  return (await getStoredPaymentMethod(ctx, id)).data;
}

/**
 * A payment method given where one is to be used: a test PaymentMethod id (`pm_card_visa`, test mode
 * only) becomes a fresh PaymentMethod with a real id; any other id must exist.
 */
async function resolveForUse(ctx: Ctx, id: string, param: string): Promise<StoredPaymentMethod> {
  const test = ctx.livemode ? undefined : testCardByPaymentMethodId(id);
  if (test) return insertCard(ctx, testSource(ctx, test), {});
  return getStoredPaymentMethod(ctx, id, param, true);
}

/** The checks after the card was validated with its issuer. */
function checkedCard(card: Card, behaviour: CardBehaviour | null): Card['checks'] {
  const fails = behaviour?.failingChecks ?? [];
  const result = (c: Check, name: 'address_line1' | 'address_postal_code' | 'cvc'): Check =>
    c === 'unchecked' ? (fails.includes(name) ? 'fail' : 'pass') : c;
  return {
    address_line1_check: result(card.checks.address_line1_check, 'address_line1'),
    address_postal_code_check: result(card.checks.address_postal_code_check, 'address_postal_code'),
    cvc_check: result(card.checks.cvc_check, 'cvc'),
  };
}

/**
 * Attaches a payment method to a customer, validating the card as Stripe does (a declining test card
 * fails with 402). Attaching again to the same customer changes nothing.
 * @example await attachPaymentMethod(ctx, 'pm_card_visa', 'cus_…')
 */
export async function attachPaymentMethod(
  ctx: Ctx,
  id: string,
  customerId: string,
  params: { paymentMethodParam?: string; customerParam?: string } = {},
): Promise<PaymentMethod> {
  // Lock order everywhere: customer, then payment method.
  const customer = await getCustomer(ctx, customerId, params.customerParam ?? 'customer', true);
  const stored = await resolveForUse(ctx, id, params.paymentMethodParam ?? 'payment_method');
  if (stored.private.detached) throw reusedPaymentMethod(params.paymentMethodParam);
  if (stored.data.customer === customer.id) return stored.data;
  if (stored.data.customer !== null) {
    throw errors.invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      params.paymentMethodParam ?? 'payment_method',
    );
  }
  if (stored.private.behaviour?.attach) throw declineError(stored.private.behaviour.attach);
  const after: PaymentMethod = structuredClone(stored.data);
  after.customer = customer.id;
  after.card.checks = checkedCard(after.card, stored.private.behaviour);
  await updateObject(ctx, after.id, { data: after, customer: customer.id });
  await emit(ctx, 'payment_method.attached', after);
  return after;
}

/** What other modules do when a payment method is detached (e.g. clear a subscription's default). */
export const paymentMethodDetachHooks: ((ctx: Ctx, pm: PaymentMethod, formerCustomer: string) => Promise<void>)[] = [];

/** Detaches for good; a card source announces itself through its hook (`customer.source.deleted`) instead. */
export async function detachStored(ctx: Ctx, stored: StoredPaymentMethod): Promise<PaymentMethod> {
  const before = stored.data;
  const formerCustomer = before.customer ?? '';
  const after: PaymentMethod = { ...before, customer: null };
  await updateObject(ctx, after.id, { data: after, customer: null, private: { ...stored.private, detached: true } });
  if (!isCardSourceId(after.id)) await emit(ctx, 'payment_method.detached', after, { customer: formerCustomer });
  for (const hook of paymentMethodDetachHooks) await hook(ctx, after, formerCustomer);
  return after;
}

/** Detaches a payment method for good, clearing the customer's default if it was this one. */
export async function detachPaymentMethod(ctx: Ctx, id: string): Promise<PaymentMethod> {
  const notAttached = () =>
    errors.invalidRequest(
      'The payment method you provided is not attached to a customer so detachment is impossible.',
      'payment_method',
    );
  const peek = await getStoredPaymentMethod(ctx, id);
  if (peek.data.customer === null) throw notAttached();
  const owner = await findObject<Customer>(ctx, 'customer', peek.data.customer, {
    includeDeleted: true,
    forUpdate: true,
  });
  const stored = await getStoredPaymentMethod(ctx, id, 'payment_method', true);
  if (stored.data.customer !== peek.data.customer) throw notAttached();
  const after = await detachStored(ctx, stored);
  // Re-read: a detach hook may have changed the customer (a card source's default_source).
  const current = owner && !owner.deleted ? await getCustomer(ctx, owner.id, 'customer', true) : null;
  if (current && current.invoice_settings.default_payment_method === id) {
    const next = structuredClone(current);
    next.invoice_settings.default_payment_method = null;
    await saveCustomer(ctx, current, next);
  }
  return after;
}

export async function updatePaymentMethod(ctx: Ctx, id: string, params: PaymentMethodUpdate): Promise<PaymentMethod> {
  const stored = await getStoredPaymentMethod(ctx, id, 'payment_method', true);
  const before = stored.data;
  if (before.customer === null) {
    throw errors.invalidRequest('You must save this PaymentMethod to a customer before you can update it.');
  }
  const after: PaymentMethod = structuredClone(before);
  after.billing_details = applyBillingDetails(before.billing_details, params.billing_details);
  const c = params.card;
  if (c?.exp_month !== undefined || c?.exp_year !== undefined) {
    const month = c.exp_month ?? before.card.exp_month;
    after.card.exp_year = checkExpiry(ctx, month, c.exp_year ?? before.card.exp_year, 'card');
    after.card.exp_month = month;
  }
  if (c?.networks?.preferred !== undefined) {
    after.card.networks.preferred = preferredNetwork(after.card, c.networks.preferred, 'card[networks][preferred]');
  }
  after.metadata = mergeMetadata(before.metadata, params.metadata);
  if (params.allow_redisplay !== undefined) after.allow_redisplay = params.allow_redisplay;
  await updateObject(ctx, id, { data: after });
  await emitUpdated(ctx, 'payment_method.updated', before, after);
  return after;
}

export interface PaymentMethodListFilters {
  customer?: string;
  type?: string;
  allow_redisplay?: AllowRedisplay;
}

/** Payment methods newest first; with `customer`, that (existing) customer's attached ones. */
export async function listPaymentMethods(ctx: Ctx, filters: PaymentMethodListFilters, page: ListOptions) {
  if (filters.customer !== undefined) await getCustomer(ctx, filters.customer, 'customer');
  return listObjects<PaymentMethod>(ctx, OBJECT, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.customer !== undefined) out = out.where('customer', '=', filters.customer);
      if (filters.type !== undefined) out = whereData(out, 'type', filters.type);
      if (filters.allow_redisplay !== undefined) out = whereData(out, 'allow_redisplay', filters.allow_redisplay);
      return out;
    },
  });
}

/** `GET /v1/customers/{customer}/payment_methods/{id}`: only a payment method attached to that customer. */
export async function retrieveCustomerPaymentMethod(ctx: Ctx, customerId: string, id: string): Promise<PaymentMethod> {
  await getCustomer(ctx, customerId, 'customer');
  const found = await findObject<PaymentMethod>(ctx, OBJECT, id);
  if (!found || found.data.customer !== customerId) throw errors.resourceMissing(NOUN, id, 'payment_method');
  return found.data;
}

// Customer hooks, installed on import.
customerHooks.attachPaymentMethod = async (ctx, pm, customer, param) =>
  (await attachPaymentMethod(ctx, pm, customer, { paymentMethodParam: param, customerParam: 'customer' })).id;

customerHooks.assertOwnsPaymentMethod = async (ctx, customer, pm, param) => {
  const found = await findObject<PaymentMethod>(ctx, OBJECT, pm, { forUpdate: true });
  if (!found) throw errors.resourceMissing(NOUN, pm, param);
  if (found.data.customer !== customer) {
    throw errors.invalidParam(
      param,
      `The customer does not have a payment method with the ID ${clip(pm)}. The payment method must be attached to the customer.`,
    );
  }
};

customerDeletionHooks.push(async (ctx, customer) => {
  // Each pass detaches a page; detached rows leave the customer's list, so the loop ends.
  for (;;) {
    const page = await listObjects<PaymentMethod>(ctx, OBJECT, {
      limit: 100,
      where: (q) => q.where('customer', '=', customer.id),
    });
    for (const pm of page.data) await detachStored(ctx, withPrivate(pm));
    if (!page.has_more) return;
  }
});
