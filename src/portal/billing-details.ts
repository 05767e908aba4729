/**
 * The customer's billing information as the portal lets them change it, with no HTTP: the posted form
 * becomes a customer update holding only the fields the configuration's
 * `features.customer_update.allowed_updates` allows (a field it does not allow, posted by hand, refuses
 * the whole form), checked field by field so the page can keep the form with its errors; then the
 * engine's `updateCustomer` applies it (`customer.updated` with `previous_attributes`). Tax IDs go
 * through the engine's `createTaxId` / `deleteTaxId` (`customer.tax_id.created` / `deleted`) and the
 * existing format rules. Call the changes inside one transaction.
 */
import { ApiError, errors } from '../lib/errors.ts';
import type { Ctx } from '../storage/context.ts';
import { listObjects } from '../storage/objects.ts';
import { updateCustomer, type Customer, type CustomerUpdate } from '../billing/customers.ts';
import { createTaxId, deleteTaxId, type TaxId } from '../billing/tax-ids.ts';
import { isTaxIdType } from '../billing/tax-id-formats.ts';
import type { CustomerUpdateField } from './configurations/types.ts';
import { hasPostalCode, hasState, isCountryCode } from './countries.ts';

export type BillingFieldError = 'email_invalid' | 'phone_invalid' | 'too_long' | 'required' | 'country_invalid' | 'tax_id_invalid';

/** The form's field names, by the `allowed_updates` value that governs them. */
export const BILLING_FIELDS: Record<Exclude<CustomerUpdateField, 'tax_id'>, readonly string[]> = {
  name: ['name'],
  email: ['email'],
  phone: ['phone'],
  address: ['address_line1', 'address_line2', 'address_city', 'address_state', 'address_postal_code', 'address_country'],
  shipping: [
    'shipping_name',
    'shipping_phone',
    'shipping_line1',
    'shipping_line2',
    'shipping_city',
    'shipping_state',
    'shipping_postal_code',
    'shipping_country',
  ],
};

const ALL_FIELDS = new Map(Object.entries(BILLING_FIELDS).flatMap(([group, names]) => names.map((n) => [n, group as CustomerUpdateField])));

export type BillingForm = Record<string, string>;

export type BillingCheck =
  | { ok: true; params: CustomerUpdate }
  | { ok: false; errors: Record<string, BillingFieldError> }
  /** A field the configuration does not let the customer change was posted: nothing is changed. */
  | { ok: false; refused: string };

const clean = (v: string | undefined): string => (v ?? '').trim();
const orNull = (v: string): string | null => (v === '' ? null : v);

function checkAddress(form: BillingForm, prefix: string, errs: Record<string, BillingFieldError>) {
  const f = (k: string) => clean(form[`${prefix}_${k}`]);
  const country = f('country').toUpperCase();
  if (country !== '' && !isCountryCode(country)) errs[`${prefix}_country`] = 'country_invalid';
  for (const [k, max] of [['line1', 200], ['line2', 200], ['city', 200], ['state', 200], ['postal_code', 20]] as const) {
    if (f(k).length > max) errs[`${prefix}_${k}`] = 'too_long';
  }
  const c = country === '' ? null : country;
  return {
    line1: orNull(f('line1')),
    line2: orNull(f('line2')),
    city: orNull(f('city')),
    state: hasState(c) ? orNull(f('state')) : null,
    postal_code: hasPostalCode(c) ? orNull(f('postal_code')) : null,
    country: c,
  };
}

const PHONE = /^\+?[0-9 ().-]{4,20}$/;

/**
 * The customer update a posted billing form asks for (pure).
 * @example checkBillingForm({ name: 'Jenny' }, ['name']) // { ok: true, params: { name: 'Jenny' } }
 */
export function checkBillingForm(form: BillingForm, allowed: readonly CustomerUpdateField[]): BillingCheck {
  for (const key of Object.keys(form)) {
    const group = ALL_FIELDS.get(key);
    if (group !== undefined && !allowed.includes(group)) return { ok: false, refused: key };
  }
  const errs: Record<string, BillingFieldError> = {};
  const params: CustomerUpdate = {};
  if (allowed.includes('name') && 'name' in form) {
    const name = clean(form.name);
    if (name.length > 256) errs.name = 'too_long';
    params.name = orNull(name);
  }
  if (allowed.includes('email') && 'email' in form) {
    const email = clean(form.email);
    if (email.length > 512 || (email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))) errs.email = 'email_invalid';
    params.email = orNull(email);
  }
  if (allowed.includes('phone') && 'phone' in form) {
    const phone = clean(form.phone);
    if (phone !== '' && !PHONE.test(phone)) errs.phone = 'phone_invalid';
    params.phone = orNull(phone);
  }
  if (allowed.includes('address') && BILLING_FIELDS.address.some((k) => k in form)) {
    const address = checkAddress(form, 'address', errs);
    params.address = Object.values(address).every((v) => v === null) ? null : address;
  }
  if (allowed.includes('shipping') && BILLING_FIELDS.shipping.some((k) => k in form)) {
    const address = checkAddress(form, 'shipping', errs);
    const name = clean(form.shipping_name);
    const phone = clean(form.shipping_phone);
    const empty = name === '' && phone === '' && Object.values(address).every((v) => v === null);
    if (!empty && name === '') errs.shipping_name = 'required';
    if (name.length > 256) errs.shipping_name = 'too_long';
    if (phone !== '' && !PHONE.test(phone)) errs.shipping_phone = 'phone_invalid';
    params.shipping = empty ? null : { name, phone: orNull(phone), address };
  }
  if (Object.keys(errs).length > 0) return { ok: false, errors: errs };
  return { ok: true, params };
}

/** Applies a checked form through the engine (`customer.updated`, only when something changed). */
export async function saveBillingDetails(ctx: Ctx, customerId: string, params: CustomerUpdate): Promise<Customer> {
  return updateCustomer(ctx, customerId, params);
}

/** The customer's tax IDs, newest first (at most 25 exist). */
export async function listCustomerTaxIds(ctx: Ctx, customerId: string): Promise<TaxId[]> {
  const page = await listObjects<TaxId>(ctx, 'tax_id', { limit: 100, where: (q) => q.where('customer', '=', customerId) });
  return page.data.map((r) => r.data);
}

/** Adds a tax ID, or says why the value is refused (the engine's format rules). */
export async function addCustomerTaxId(ctx: Ctx, customerId: string, type: string, value: string): Promise<{ ok: true; taxId: TaxId } | { ok: false; error: BillingFieldError; param: 'tax_id_type' | 'tax_id_value' }> {
  if (!isTaxIdType(type)) return { ok: false, error: 'tax_id_invalid', param: 'tax_id_type' };
  if (value.trim() === '' || value.length > 100) return { ok: false, error: value.trim() === '' ? 'required' : 'too_long', param: 'tax_id_value' };
  try {
    return { ok: true, taxId: await createTaxId(ctx, customerId, { type, value: value.trim() }) };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 400) throw err;
    return { ok: false, error: 'tax_id_invalid', param: 'tax_id_value' };
  }
}

/** Removes one of the customer's tax IDs; another customer's is not found. */
export async function removeCustomerTaxId(ctx: Ctx, customerId: string, id: string): Promise<void> {
  if (!/^txi_[A-Za-z0-9]{1,64}$/.test(id)) throw errors.resourceMissing('tax_id', id);
  await deleteTaxId(ctx, customerId, id);
}
