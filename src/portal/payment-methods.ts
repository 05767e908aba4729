/**
 * What a customer may do with their cards in the portal, with no HTTP: the cards as the portal shows
 * them (default, expiring soon, expired), adding a test card from the portal's card form, making one
 * the default (the customer's `invoice_settings.default_payment_method` and each live subscription's
 * own `default_payment_method` where one is set, so renewals charge the new card) and removing one (not
 * the card a subscription charges automatically while it is the only way to pay: choose another first).
 * Every change calls the billing engine as the API does, so events are the API's. Call each inside one
 * transaction. The card number and CVC go to `createPaymentMethod` (the test processor's decision) and
 * nowhere else: they are not returned, stored, logged or put in an error.
 */
import { ApiError, errors } from '../lib/errors.ts';
import type { Ctx } from '../storage/context.ts';
import { findObject, listObjects } from '../storage/objects.ts';
import { updateCustomer, type Customer } from '../billing/customers.ts';
import {
  attachPaymentMethod,
  createPaymentMethod,
  detachPaymentMethod,
  getStoredPaymentMethod,
  type PaymentMethod,
} from '../billing/payment-methods.ts';
import { listSubscriptions, updateSubscription, type Subscription } from '../billing/subscriptions/index.ts';
import { yearMonth } from '../billing/test-cards.ts';

export interface CardView {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  isDefault: boolean;
  /** `expired` after its expiry month; `soon` when it expires within two months; else null. */
  expiry: 'expired' | 'soon' | null;
}

/** Whether a card expiring at the end of month `expMonth`/`expYear` is expired or expires within 2 months of `now`. */
export function expiryState(expMonth: number, expYear: number, now: number): CardView['expiry'] {
  const [y, m] = yearMonth(now);
  const months = (expYear - y) * 12 + (expMonth - m);
  if (months < 0) return 'expired';
  return months <= 2 ? 'soon' : null;
}

/**
 * The card the customer's invoices fall back to: `invoice_settings.default_payment_method`, else the
 * legacy `default_source` (a `card_` added through the Sources API), in the engine's charge order.
 */
export function defaultCardOf(customer: Customer): string | null {
  return customer.invoice_settings.default_payment_method ?? customer.default_source ?? null;
}

/** The customer's cards, the default first, then newest first. */
export async function listCards(ctx: Ctx, customer: Customer): Promise<CardView[]> {
  const out: CardView[] = [];
  let starting_after: string | undefined;
  for (;;) {
    const page = await listObjects<PaymentMethod>(ctx, 'payment_method', {
      limit: 100,
      ...(starting_after ? { starting_after } : {}),
      where: (q) => q.where('customer', '=', customer.id),
    });
    for (const row of page.data) {
      const pm = row.data;
      out.push({
        id: pm.id,
        brand: pm.card.brand,
        last4: pm.card.last4,
        expMonth: pm.card.exp_month,
        expYear: pm.card.exp_year,
        isDefault: defaultCardOf(customer) === pm.id,
        expiry: expiryState(pm.card.exp_month, pm.card.exp_year, ctx.clock.now()),
      });
    }
    if (!page.has_more || page.data.length === 0) break;
    starting_after = page.data[page.data.length - 1]!.id;
  }
  return out.sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
}

/** The session's customer's card with this id, or null (another customer's, detached, unknown). */
export async function ownedCard(ctx: Ctx, customer: string, id: string): Promise<PaymentMethod | null> {
  // `pm_` cards, and `card_` ones added through the legacy Sources API (payment methods underneath).
  if (!/^(pm|card)_[A-Za-z0-9]{1,64}$/.test(id)) return null;
  const row = await findObject<PaymentMethod>(ctx, 'payment_method', id);
  return row && row.data.customer === customer ? row.data : null;
}

/** The card form's fields, as posted. */
export interface CardForm {
  number: string;
  expiry: string;
  cvc: string;
  name: string;
  country: string;
  postalCode: string;
}

export type CardField = 'number' | 'expiry' | 'cvc' | 'name' | 'country' | 'postal_code' | 'form';
export type CardFieldError =
  | 'number_invalid'
  | 'number_incorrect'
  | 'expiry_invalid'
  | 'expiry_past'
  | 'cvc_invalid'
  | 'name_too_long'
  | 'country_invalid'
  | 'postal_code_invalid'
  | 'declined'
  | 'test_mode_live_card';

export interface CheckedCard {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc: string;
  name: string | null;
  country: string | null;
  postalCode: string | null;
}

/** Luhn (mod 10). */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Checks the card form (pure): Luhn, an expiry `MM / YY` not in the past, a 3–4 digit CVC (4 for
 * American Express), a country code and a postal code of sane shape. Field errors, or the card.
 * @example checkCardForm({ number: '4242 4242 4242 4242', expiry: '12 / 34', cvc: '123', … }, now)
 */
export function checkCardForm(f: CardForm, now: number): { ok: true; card: CheckedCard } | { ok: false; errors: Partial<Record<CardField, CardFieldError>> } {
  const errs: Partial<Record<CardField, CardFieldError>> = {};
  const digits = f.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) errs.number = 'number_invalid';
  else if (!luhn(digits)) errs.number = 'number_incorrect';
  const m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(f.expiry);
  let month = 0;
  let year = 0;
  if (!m) errs.expiry = 'expiry_invalid';
  else {
    month = Number(m[1]);
    year = Number(m[2]);
    if (year < 100) year += 2000;
    const [ny, nm] = yearMonth(now);
    if (month < 1 || month > 12 || year > ny + 50) errs.expiry = 'expiry_invalid';
    else if (year < ny || (year === ny && month < nm)) errs.expiry = 'expiry_past';
  }
  const cvc = f.cvc.trim();
  const amex = digits.startsWith('34') || digits.startsWith('37');
  if (!(amex ? /^\d{4}$/ : /^\d{3}$/).test(cvc)) errs.cvc = 'cvc_invalid';
  const name = f.name.trim();
  if (name.length > 200) errs.name = 'name_too_long';
  const country = f.country.trim().toUpperCase();
  if (country !== '' && !/^[A-Z]{2}$/.test(country)) errs.country = 'country_invalid';
  const postal = f.postalCode.trim();
  if (postal.length > 20 || (postal !== '' && !/^[A-Za-z0-9][A-Za-z0-9 -]*$/.test(postal))) errs.postal_code = 'postal_code_invalid';
  if (Object.keys(errs).length > 0) return { ok: false, errors: errs };
  return {
    ok: true,
    card: {
      number: digits,
      exp_month: month,
      exp_year: year,
      cvc,
      name: name === '' ? null : name,
      country: country === '' ? null : country,
      postalCode: postal === '' ? null : postal,
    },
  };
}

export type AddCardResult =
  | { kind: 'attached'; paymentMethod: PaymentMethod }
  /** The issuer asks for 3-D Secure: the card exists unattached until the customer authenticates. */
  | { kind: 'requires_action'; paymentMethod: PaymentMethod }
  /** Refused: the field it concerns and the card error's code (nothing was attached or kept). */
  | { kind: 'refused'; field: CardField; error: CardFieldError; code: string };

/** Attaches a card made by `addCard` and, when asked or when the customer has none, makes it the default. */
export async function attachNewCard(ctx: Ctx, customerId: string, pmId: string, makeDefault: boolean): Promise<PaymentMethod> {
  const pm = await attachPaymentMethod(ctx, pmId, customerId);
  const customer = (await findObject<Customer>(ctx, 'customer', customerId))?.data;
  if (customer && (makeDefault || defaultCardOf(customer) === null)) await setDefaultCard(ctx, customerId, pm.id);
  return pm;
}

/**
 * Adds a card from the portal's test card form (test mode only): the number is matched onto Stripe's
 * test cards by `createPaymentMethod`, a declining card throws there and nothing is kept (the caller's
 * transaction rolls back), a card that asks for 3-D Secure is returned unattached.
 */
export async function addCard(ctx: Ctx, customerId: string, card: CheckedCard, makeDefault: boolean): Promise<AddCardResult> {
  if (ctx.livemode) throw errors.invalidRequest('Cards cannot be added in live mode: Portico has no live payment processor.');
  const address = card.country !== null || card.postalCode !== null ? { country: card.country ?? '', postal_code: card.postalCode ?? '' } : undefined;
  let pm: PaymentMethod;
  try {
    pm = await createPaymentMethod(ctx, {
      type: 'card',
      card: { number: card.number, exp_month: card.exp_month, exp_year: card.exp_year, cvc: card.cvc },
      billing_details: { ...(card.name !== null ? { name: card.name } : {}), ...(address ? { address } : {}) },
    });
  } catch (err) {
    return refusal(err);
  }
  const stored = await getStoredPaymentMethod(ctx, pm.id);
  if (stored.private.behaviour?.charge.kind === 'authenticate') return { kind: 'requires_action', paymentMethod: pm };
  try {
    return { kind: 'attached', paymentMethod: await attachNewCard(ctx, customerId, pm.id, makeDefault) };
  } catch (err) {
    return refusal(err);
  }
}

function refusal(err: unknown): AddCardResult {
  if (!(err instanceof ApiError) || err.status !== 402) throw err;
  const code = String(err.body.decline_code ?? err.body.code ?? 'card_declined');
  const field: CardField =
    code === 'incorrect_cvc' || code === 'invalid_cvc' ? 'cvc'
    : code === 'expired_card' || code.startsWith('invalid_expiry') ? 'expiry'
    : code === 'incorrect_number' || code === 'invalid_number' || code === 'test_mode_live_card' ? 'number'
    : 'form';
  const error: CardFieldError =
    field === 'cvc' ? 'cvc_invalid'
    : field === 'expiry' ? 'expiry_past'
    : code === 'test_mode_live_card' ? 'test_mode_live_card'
    : field === 'number' ? 'number_incorrect'
    : 'declined';
  return { kind: 'refused', field, error, code };
}

/** The customer's subscriptions that are not over (every page of them). */
async function liveSubscriptions(ctx: Ctx, customer: string): Promise<Subscription[]> {
  const out: Subscription[] = [];
  let starting_after: string | undefined;
  for (;;) {
    const page = await listSubscriptions(ctx, { customer }, { limit: 100, ...(starting_after ? { starting_after } : {}) });
    out.push(...page.data.map((r) => r.data));
    if (!page.has_more || page.data.length === 0) return out;
    starting_after = page.data[page.data.length - 1]!.id;
  }
}

/**
 * Makes an owned card the default: the customer's `invoice_settings.default_payment_method`
 * (`customer.updated`), and every live subscription that has its own default set
 * (`customer.subscription.updated`), so the next renewal charges it.
 */
export async function setDefaultCard(ctx: Ctx, customerId: string, pmId: string): Promise<void> {
  if (!(await ownedCard(ctx, customerId, pmId))) throw errors.resourceMissing('payment_method', pmId, 'payment_method');
  await updateCustomer(ctx, customerId, { invoice_settings: { default_payment_method: pmId } });
  for (const sub of await liveSubscriptions(ctx, customerId)) {
    if (sub.default_payment_method !== null && sub.default_payment_method !== pmId) {
      await updateSubscription(ctx, sub.id, { default_payment_method: pmId });
    }
  }
}

/** Why a card may not be removed now (null: it may). */
export async function removalBlocker(ctx: Ctx, customer: Customer, pmId: string): Promise<'default_in_use' | null> {
  const charging = (await liveSubscriptions(ctx, customer.id)).filter((s) => s.collection_method === 'charge_automatically');
  if (charging.length === 0) return null;
  const isDefault = defaultCardOf(customer) === pmId;
  const isSubDefault = charging.some((s) => s.default_payment_method === pmId || s.default_source === pmId);
  return isDefault || isSubDefault ? 'default_in_use' : null;
}

/** Removes (detaches for good) an owned card, unless a subscription charges it automatically. */
export async function removeCard(ctx: Ctx, customerId: string, pmId: string): Promise<void> {
  const customer = (await findObject<Customer>(ctx, 'customer', customerId, { forUpdate: true }))?.data;
  if (!customer || !(await ownedCard(ctx, customerId, pmId))) throw errors.resourceMissing('payment_method', pmId, 'payment_method');
  if ((await removalBlocker(ctx, customer, pmId)) !== null) {
    throw errors.invalidRequest(
      'This payment method is the default for a subscription that is charged automatically: make another card the default first.',
      'payment_method',
    );
  }
  await detachPaymentMethod(ctx, pmId);
}
