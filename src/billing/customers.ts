/**
 * Customers: the people and companies that pay. Invariants: a deleted customer is kept as a stub
 * (`{id, object, deleted: true}`) and can no longer change; `invoice_settings.default_payment_method`
 * always names a payment method attached to this customer; a customer on a test clock lives at the
 * clock's frozen time.
 */
import { errors } from '../lib/errors.ts';
import { newId, randomBase62 } from '../lib/ids.ts';
import { mergeMetadata, p, type InferShape, type RangeFilter } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import {
  getObject,
  insertObject,
  listObjects,
  updateObject,
  whereCreated,
  whereData,
  type ListOptions,
} from '../storage/objects.ts';
import { emit, emitUpdated } from '../events/outbox.ts';
import { recordBalanceChange } from './customer-balance.ts';
import { addressParam, shippingParam, toAddress, type Address } from './shared-params.ts';
import { taxIdDataShape } from './tax-id-formats.ts';
import { clockDeletionHooks, clockTime } from './test-clocks.ts';

export interface Customer {
  id: string;
  object: 'customer';
  address: Address | null;
  balance: number;
  /** Present once set (as Stripe shows it). */
  business_name?: string;
  created: number;
  currency: string | null;
  default_source: string | null;
  delinquent: boolean;
  description: string | null;
  discount: null;
  email: string | null;
  individual_name?: string;
  invoice_prefix: string;
  invoice_settings: {
    custom_fields: { name: string; value: string }[] | null;
    default_payment_method: string | null;
    footer: string | null;
    rendering_options: { amount_tax_display: string | null; template: string | null } | null;
  };
  livemode: boolean;
  metadata: Record<string, string>;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: { address: Address; name: string; phone: string | null } | null;
  tax_exempt: 'exempt' | 'none' | 'reverse';
  test_clock: string | null;
}

export interface DeletedCustomer {
  id: string;
  object: 'customer';
  deleted: true;
}

const invoiceSettingsParam = p.object({
  custom_fields: p.emptyable(
    p.array(p.object({ name: p.string({ max: 40 }).req(), value: p.string({ max: 140 }).req() }), { max: 4 }),
  ),
  default_payment_method: p.emptyable(p.string()),
  footer: p.emptyable(p.string({ max: 5000 })),
  rendering_options: p.emptyable(
    p.object({
      amount_tax_display: p.emptyable(p.enumOf(['exclude_tax', 'include_inclusive_tax'])),
      template: p.string(),
    }),
  ),
});

/** `tax`: what Stripe Tax would locate the customer by. Portico collects no tax (`automatic_tax: not_collecting`). */
const taxParam = p.object({
  ip_address: p.emptyable(p.string({ max: 45, pattern: /^[0-9A-Fa-f:.]+$/, patternMessage: 'Invalid tax[ip_address]: give an IPv4 or IPv6 address.' })),
  validate_location: p.enumOf(['auto', 'deferred', 'immediately']),
});

const commonShape = {
  address: p.emptyable(addressParam),
  balance: p.integer({ min: -99_999_999_999, max: 99_999_999_999 }),
  business_name: p.emptyable(p.string({ max: 150 })),
  individual_name: p.emptyable(p.string({ max: 150 })),
  description: p.emptyable(p.string({ max: 350 })),
  email: p.emptyable(p.string({ max: 512 })),
  invoice_prefix: p.string({
    max: 12,
    pattern: /^[A-Z0-9]{3,12}$/,
    patternMessage: 'Invoice prefix must be 3 to 12 uppercase letters or numbers.',
  }),
  invoice_settings: invoiceSettingsParam,
  metadata: p.metadata(),
  name: p.emptyable(p.string({ max: 256 })),
  next_invoice_sequence: p.integer({ min: 1, max: 1_000_000_000 }),
  phone: p.emptyable(p.string({ max: 20 })),
  preferred_locales: p.emptyable(p.array(p.string({ max: 16 }), { max: 10 })),
  shipping: p.emptyable(shippingParam),
  tax: taxParam,
  tax_exempt: p.emptyable(p.enumOf(['exempt', 'none', 'reverse'])),
};

/** `cash_balance[settings][reconciliation_mode]`: kept (see cash-balance.ts), though no funds ever arrive. */
export const cashSettingsParam = p.object({ reconciliation_mode: p.enumOf(['automatic', 'manual', 'merchant_default']) });

/** Legacy sources (sources.ts): `source` a test token (`tok_visa`) added as a card; `validate` false skips the card check. */
const sourceShape = {
  cash_balance: p.object({ settings: cashSettingsParam }),
  source: p.string({ max: 5000 }),
  validate: p.boolean(),
};

export const customerCreateShape = {
  ...commonShape,
  ...sourceShape,
  payment_method: p.string(),
  tax_id_data: p.array(p.object(taxIdDataShape), { max: 25 }),
  test_clock: p.string(),
};
export const customerUpdateShape = {
  ...commonShape,
  ...sourceShape,
  default_source: p.string({ max: 5000 }),
};

export type CustomerCreate = InferShape<typeof customerCreateShape>;
export type CustomerUpdate = InferShape<typeof customerUpdateShape>;

/**
 * Hooks other billing modules install so that customers can use them without import cycles: a
 * payment method given at creation is attached, and a default payment method must belong to the
 * customer.
 */
export const customerHooks = {
  attachPaymentMethod: async (_ctx: Ctx, _pm: string, _customer: string, _param: string): Promise<string> => {
    throw errors.invalidParam('payment_method', 'Payment methods are not available.');
  },
  assertOwnsPaymentMethod: async (_ctx: Ctx, _customer: string, _pm: string, _param: string): Promise<void> => {},
  /** Creates `tax_id_data` on a new customer (installed by tax-ids.ts); `param` prefixes error params. */
  createTaxIds: async (
    _ctx: Ctx,
    _customer: string,
    _data: { type: string; value: string }[],
    _param: string,
  ): Promise<void> => {
    throw errors.invalidParam('tax_id_data', 'Tax IDs are not available.');
  },
  /** Adds a card source from a token (installed by sources.ts); returns its `card_` id. */
  addSource: async (_ctx: Ctx, _customer: string, _token: string, _validate: boolean | undefined, param: string): Promise<string> => {
    throw errors.invalidParam(param, 'Sources are not available.');
  },
  /** A 404 `No such source` naming `param` unless `id` is one of the customer's card sources. */
  assertOwnsSource: async (_ctx: Ctx, _customer: string, id: string, param: string): Promise<void> => {
    throw errors.resourceMissing('source', id, param);
  },
  deleteSource: async (_ctx: Ctx, _customer: string, _id: string): Promise<void> => {},
  /** After a new `source` on update: retries the open invoice of each past_due subscription (sources.ts). */
  retryPastDue: async (_ctx: Ctx, _customer: string): Promise<void> => {},
};

/** Where the cash balance's `reconciliation_mode` lives: the customer's private data (null: the account's default). */
export const CASH_RECONCILIATION_KEY = 'cash_reconciliation_mode';

function cashPrivate(current: Record<string, unknown>, cash: CustomerUpdate['cash_balance']): Record<string, unknown> {
  const mode = cash?.settings?.reconciliation_mode;
  if (mode === undefined) return current;
  return { ...current, [CASH_RECONCILIATION_KEY]: mode === 'merchant_default' ? null : mode };
}

const NOUN = 'customer';

function isValidEmail(email: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(email);
}

function applyCommon(c: Customer, params: CustomerUpdate): Customer {
  const next: Customer = structuredClone(c);
  if (params.address !== undefined) next.address = params.address === null ? null : toAddress(params.address);
  if (params.balance !== undefined) next.balance = params.balance;
  for (const k of ['business_name', 'individual_name'] as const) {
    const v = params[k];
    if (v === null) delete next[k];
    else if (v !== undefined) next[k] = v;
  }
  if (params.description !== undefined) next.description = params.description;
  if (params.email !== undefined) {
    if (params.email !== null && !isValidEmail(params.email)) {
      throw errors.invalidParam('email', `Invalid email address: ${params.email.slice(0, 100)}`, 'email_invalid');
    }
    next.email = params.email;
  }
  if (params.invoice_prefix !== undefined) next.invoice_prefix = params.invoice_prefix;
  if (params.invoice_settings !== undefined) {
    const s = params.invoice_settings;
    if (s.custom_fields !== undefined) next.invoice_settings.custom_fields = s.custom_fields;
    if (s.footer !== undefined) next.invoice_settings.footer = s.footer;
    if (s.rendering_options !== undefined) {
      next.invoice_settings.rendering_options =
        s.rendering_options === null
          ? null
          : {
              amount_tax_display: s.rendering_options.amount_tax_display ?? null,
              template: s.rendering_options.template ?? null,
            };
    }
  }
  next.metadata = mergeMetadata(next.metadata, params.metadata);
  if (params.name !== undefined) next.name = params.name;
  if (params.next_invoice_sequence !== undefined) next.next_invoice_sequence = params.next_invoice_sequence;
  if (params.phone !== undefined) next.phone = params.phone;
  if (params.preferred_locales !== undefined) next.preferred_locales = params.preferred_locales ?? [];
  if (params.shipping !== undefined) {
    next.shipping =
      params.shipping === null
        ? null
        : { address: toAddress(params.shipping.address), name: params.shipping.name, phone: params.shipping.phone ?? null };
  }
  if (params.tax_exempt !== undefined) next.tax_exempt = params.tax_exempt ?? 'none';
  return next;
}

async function setDefaultPaymentMethod(ctx: Ctx, c: Customer, pm: string | null | undefined): Promise<void> {
  if (pm === undefined) return;
  if (pm !== null) {
    await customerHooks.assertOwnsPaymentMethod(ctx, c.id, pm, 'invoice_settings[default_payment_method]');
  }
  c.invoice_settings.default_payment_method = pm;
}

export async function createCustomer(ctx: Ctx, params: CustomerCreate): Promise<Customer> {
  const created = params.test_clock ? await clockTime(ctx, params.test_clock, 'test_clock') : ctx.clock.now();
  const blank: Customer = {
    id: newId('customer'),
    object: 'customer',
    address: null,
    balance: 0,
    created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: randomBase62(8).toUpperCase().replace(/[^A-Z0-9]/g, 'X'),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: ctx.livemode,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: params.test_clock ?? null,
  };
  const customer = applyCommon(blank, params);
  checkTaxLocation(customer, params.tax);
  const priv = cashPrivate(taxPrivate({}, params.tax), params.cash_balance);
  await insertObject(ctx, { id: customer.id, object: NOUN, created, customer: customer.id, data: customer, private: priv });
  if (params.source !== undefined) {
    // The card given at creation is the customer's default source (customer.created shows it).
    customer.default_source = await customerHooks.addSource(ctx, customer.id, params.source, params.validate, 'source');
    await updateObject(ctx, customer.id, { data: customer });
  }
  await emit(ctx, 'customer.created', customer);
  await recordBalanceChange(ctx, blank, customer, { type: 'initial' });
  if (params.tax_id_data !== undefined) {
    await customerHooks.createTaxIds(ctx, customer.id, params.tax_id_data, 'tax_id_data');
  }
  if (params.payment_method !== undefined) {
    const pm = await customerHooks.attachPaymentMethod(ctx, params.payment_method, customer.id, 'payment_method');
    // Stripe does not make a payment method given at creation the default; only the explicit setting does.
    void pm;
  }
  const dpm = params.invoice_settings?.default_payment_method;
  if (dpm !== undefined) {
    const after = structuredClone(customer);
    await setDefaultPaymentMethod(ctx, after, dpm);
    await saveCustomer(ctx, customer, after);
    return after;
  }
  return customer;
}

/** A live (not deleted) customer, or a 404 naming `param`. */
export async function getCustomer(ctx: Ctx, id: string, param = 'customer', forUpdate = false): Promise<Customer> {
  return (await getObject<Customer>(ctx, NOUN, NOUN, id, { param, forUpdate })).data;
}

/** A customer or its deleted stub, as `GET /v1/customers/{id}` answers. */
export async function retrieveCustomer(ctx: Ctx, id: string): Promise<Customer | DeletedCustomer> {
  const found = await getObject<Customer>(ctx, NOUN, NOUN, id, { includeDeleted: true });
  return found.deleted ? { id: found.id, object: 'customer', deleted: true } : found.data;
}

/** Persists `after` and emits `customer.updated` with what changed since `before`. */
export async function saveCustomer(ctx: Ctx, before: Customer, after: Customer): Promise<void> {
  await updateObject(ctx, after.id, { data: after });
  await emitUpdated(ctx, 'customer.updated', before, after);
}

export async function updateCustomer(ctx: Ctx, id: string, params: CustomerUpdate): Promise<Customer> {
  const stored = await getObject<Customer>(ctx, NOUN, NOUN, id, { param: 'id', forUpdate: true });
  const before = stored.data;
  const after = applyCommon(before, params);
  checkTaxLocation(after, params.tax);
  await setDefaultPaymentMethod(ctx, after, params.invoice_settings?.default_payment_method);
  if (params.default_source !== undefined) {
    await customerHooks.assertOwnsSource(ctx, id, params.default_source, 'default_source');
    after.default_source = params.default_source;
  }
  // `source`: a new card becomes the default and the former default source is deleted (Stripe's rule).
  const replaced = params.source !== undefined ? before.default_source : null;
  if (params.source !== undefined) after.default_source = await customerHooks.addSource(ctx, id, params.source, params.validate, 'source');
  if (params.tax !== undefined || params.cash_balance !== undefined) {
    await updateObject(ctx, id, { private: cashPrivate(taxPrivate(stored.private, params.tax), params.cash_balance) });
  }
  if (after.balance !== before.balance) await recordBalanceChange(ctx, before, after, { type: 'adjustment' });
  await saveCustomer(ctx, before, after);
  if (replaced !== null && replaced !== after.default_source) await customerHooks.deleteSource(ctx, id, replaced);
  if (params.source !== undefined) await customerHooks.retryPastDue(ctx, id);
  return after;
}

type TaxInput = CustomerUpdate['tax'];

/** The private part with `tax[ip_address]` applied (`""` forgets it). */
function taxPrivate(current: Record<string, unknown>, tax: TaxInput): Record<string, unknown> {
  if (tax?.ip_address === undefined) return current;
  return { ...current, tax_ip_address: tax.ip_address };
}

/**
 * `tax[validate_location]=immediately` fails unless the customer's address locates it (a country, and
 * for the US and Canada a postal code), as Stripe checks before it would calculate tax.
 */
function checkTaxLocation(c: Customer, tax: TaxInput): void {
  if (tax?.validate_location !== 'immediately') return;
  const a = c.address;
  const located = a !== null && a.country !== null && (!['US', 'CA'].includes(a.country) || a.postal_code !== null);
  if (!located) {
    throw errors.invalidParam('tax[validate_location]', "The customer's location isn't recognized: give an address with a country (and a postal code in the US and Canada).", 'customer_tax_location_invalid');
  }
}

/** `expand[]=tax`: where Stripe Tax would locate the customer; Portico collects no tax. */
export async function customerTax(ctx: Ctx, c: Customer): Promise<{ automatic_tax: 'not_collecting'; ip_address: string | null; location: { country: string; source: 'billing_address'; state: string | null } | null; provider: 'stripe' }> {
  const found = await getObject<Customer>(ctx, NOUN, NOUN, c.id, { includeDeleted: true });
  const ip = found.private.tax_ip_address;
  const country = c.address?.country ?? null;
  return {
    automatic_tax: 'not_collecting',
    ip_address: typeof ip === 'string' ? ip : null,
    location: country === null ? null : { country, source: 'billing_address', state: c.address?.state ?? null },
    provider: 'stripe',
  };
}

export async function deleteCustomer(ctx: Ctx, id: string): Promise<DeletedCustomer> {
  const customer = await getCustomer(ctx, id, 'id', true);
  await updateObject(ctx, id, { deleted: true });
  await emit(ctx, 'customer.deleted', customer);
  for (const hook of customerDeletionHooks) await hook(ctx, customer);
  return { id, object: 'customer', deleted: true };
}

/** What other modules do when a customer is deleted (detach payment methods, cancel subscriptions…). */
export const customerDeletionHooks: ((ctx: Ctx, customer: Customer) => Promise<void>)[] = [];

// Deleting a test clock deletes the customers living on it.
clockDeletionHooks.push(async (ctx, clock) => {
  for (;;) {
    const page = await listCustomers(ctx, { test_clock: clock.id }, { limit: 100 });
    for (const c of page.data) await deleteCustomer(ctx, c.id);
    if (!page.has_more) return;
  }
});

export interface CustomerListFilters {
  email?: string;
  test_clock?: string;
  created?: RangeFilter;
}

export async function listCustomers(ctx: Ctx, filters: CustomerListFilters, page: ListOptions) {
  return listObjects<Customer>(ctx, NOUN, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.email !== undefined) out = whereData(out, 'email', filters.email);
      if (filters.test_clock !== undefined) out = whereData(out, 'test_clock', filters.test_clock);
      if (filters.created) out = whereCreated(out, filters.created);
      return out;
    },
  });
}
