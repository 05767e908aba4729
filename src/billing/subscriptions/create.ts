/**
 * Creating a subscription (`POST /v1/subscriptions`).
 *
 * Invariants:
 * - Everything happens at the customer's time (its test clock's frozen time when it has one), and the
 *   row carries the customer's `test_clock` so advancing the clock runs its renewals.
 * - The subscription is stored (`customer.subscription.created`, status `incomplete` or `trialing`)
 *   before its first invoice (`subscription_create`, recorded in `billing_periods`), then updated from
 *   that invoice's outcome (`customer.subscription.updated`): paid (or nothing due, or `send_invoice`)
 *   → `active`; refused or needing 3-D Secure → `incomplete` for 23 h. `error_if_incomplete` turns a
 *   refusal into a 402 and, the request's transaction rolling back, keeps nothing.
 *   `default_incomplete` finalizes without charging.
 * - A trial bills a $0 invoice now; the anchor moves to the trial end.
 * - Discounts are redeemed once, here (coupon and promotion-code counters); their invoices count none.
 */
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { mergeMetadata, p, type InferShape, type Schema } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { insertObject } from '../../storage/objects.ts';
import { emit } from '../../events/outbox.ts';
import { syncEntitlements } from '../active-entitlements.ts';
import { getRedeemableCoupon, recordRedemption, type Coupon } from '../coupons.ts';
import { customerHooks, getCustomer, type Customer } from '../customers.ts';
import { atClockTime, previewInvoice, type Discount, type Invoice } from '../invoices/index.ts';
import { addInterval } from '../periods.ts';
import { priceCurrencies } from '../price-details.ts';
import type { Price } from '../prices.ts';
import { getRedeemablePromotionCode, recordPromotionRedemption } from '../promotion-codes.ts';
import { prorate } from '../proration.ts';
import { applicableTaxRates } from '../tax-rates.ts';
import { lineDiscountsParam, attachLineDiscounts } from '../discounts.ts';
import { parseCurrency } from '../../lib/money.ts';
import { addInvoiceItems, addInvoiceItemsParam } from './add-invoice-items.ts';
import { pendingItemIntervalParam } from './pending-items-interval.ts';
import { assertCompatible, cycleLines, itemPrice, newItem, recurringPriceDataParam } from './items.ts';
import {
  anchorConfigParam,
  anchorFromConfig,
  applyInvoiceSettings,
  applyPaymentSettings,
  billingModeParam,
  defaultInvoiceSettings,
  invoiceSettingsParam,
  paymentSettingsParam,
  refusedSubscriptionParams,
} from './settings.ts';
import {
  INCOMPLETE_LIFETIME,
  TRIAL_WILL_END_NOTICE,
  clone,
  draftParams,
  hasPriorInvoices,
  insertSubscription,
  issueInvoice,
  saveSubscription,
  paymentError,
  startDunning,
  withSubscriptionWork,
} from './status.ts';
import type { StoredSubscription, Subscription, SubscriptionDiscount } from './types.ts';
import { watchSendInvoice } from './dunning.ts';
import { preloadSubscriptionCreate } from './preload.ts';

/** A unix timestamp or the word `now`. */
export const timestampOrNow: Schema<number | 'now'> = {
  required: false,
  parse: (value, path) => (value === 'now' ? 'now' : p.timestamp().parse(value, path)),
};

const MAX_TRIAL_DAYS = 730;

export const itemParams = {
  price: p.string(),
  // A plan is a price seen through the older object (the same id): `plan` names the price.
  plan: p.string(),
  price_data: recurringPriceDataParam,
  quantity: p.integer({ min: 0, max: 1_000_000_000 }),
  tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
  metadata: p.metadata(),
  discounts: lineDiscountsParam,
  billing_thresholds: p.emptyable(p.unsupported('usage thresholds need metered prices, which Portico does not bill.')),
  current_trial: p.unsupported('trial offers are not implemented.'),
};

export const discountsParam = p.emptyable(
  p.array(p.object({ coupon: p.string(), promotion_code: p.string() }), { max: 20 }),
);

/** `trial_settings[end_behavior][missing_payment_method]` (pause.ts decides what it does). */
export const trialSettingsParam = p.object({
  end_behavior: p.object({ missing_payment_method: p.enumOf(['cancel', 'create_invoice', 'pause']).req() }).req(),
});

/** `cancel_at`: a timestamp, or `min_period_end`/`max_period_end`/`max_billed_until` (one period: its end). */
export const cancelAtParam: Schema<number | 'period_end'> = {
  required: false,
  parse: (value, path) =>
    value === 'min_period_end' || value === 'max_period_end' || value === 'max_billed_until' ? 'period_end' : p.timestamp().parse(value, path),
};

export const subscriptionCreateShape = {
  ...refusedSubscriptionParams,
  customer: p.string().req(),
  items: p.array(p.object(itemParams), { max: 20 }),
  add_invoice_items: addInvoiceItemsParam,
  automatic_tax: p.automaticTax(),
  backdate_start_date: p.timestamp(),
  billing_cycle_anchor: p.timestamp(),
  billing_cycle_anchor_config: anchorConfigParam,
  billing_mode: billingModeParam,
  currency: p.string({ max: 3 }),
  invoice_settings: invoiceSettingsParam,
  payment_settings: paymentSettingsParam,
  pending_invoice_item_interval: pendingItemIntervalParam,
  trial_from_plan: p.boolean(),
  cancel_at: cancelAtParam,
  cancel_at_period_end: p.boolean(),
  collection_method: p.enumOf(['charge_automatically', 'send_invoice']),
  days_until_due: p.integer({ min: 0, max: 730 }),
  default_payment_method: p.string(),
  default_source: p.string(),
  default_tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
  description: p.string({ max: 500 }),
  discounts: discountsParam,
  metadata: p.metadata(),
  off_session: p.boolean(),
  payment_behavior: p.enumOf(['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete']),
  proration_behavior: p.enumOf(['create_prorations', 'none']),
  trial_end: timestampOrNow,
  trial_period_days: p.integer({ min: 0, max: MAX_TRIAL_DAYS }),
  trial_settings: trialSettingsParam,
};
export type SubscriptionCreate = InferShape<typeof subscriptionCreateShape>;

/**
 * Checks `discounts` for a new subscription and stores their `discount` objects; the redemptions are
 * counted by `recordRedemptions` once the first invoice used them (a coupon at its last redemption
 * would otherwise be refused by that very invoice).
 */
export async function prepareDiscounts(
  ctx: Ctx,
  customer: Customer,
  subId: string,
  currency: string,
  discounts: { coupon?: string; promotion_code?: string }[],
  amount: number,
  /** The request index of each entry, for error params (default: its position here). */
  positions?: number[],
): Promise<SubscriptionDiscount[]> {
  const now = ctx.clock.now();
  const out: SubscriptionDiscount[] = [];
  for (const [i, d] of discounts.entries()) {
    const param = `discounts[${positions?.[i] ?? i}]`;
    if (d.coupon !== undefined && d.promotion_code !== undefined) {
      throw errors.exclusive([`${param}[coupon]`, `${param}[promotion_code]`]);
    }
    let coupon: Coupon;
    let promotion: string | null = null;
    if (d.coupon !== undefined) {
      coupon = await getRedeemableCoupon(ctx, d.coupon, `${param}[coupon]`);
    } else if (d.promotion_code !== undefined) {
      const found = await getRedeemablePromotionCode(
        ctx,
        d.promotion_code,
        { customer: customer.id, currency, amount, isFirstTransaction: !(await hasPriorInvoices(ctx, customer.id)) },
        `${param}[promotion_code]`,
      );
      promotion = found.promotionCode.id;
      coupon = found.coupon;
    } else {
      throw errors.invalidParam(param, `You must pass ${param}[coupon] or ${param}[promotion_code].`);
    }
    if (coupon.currency !== null && coupon.amount_off !== null && coupon.currency !== currency && !coupon.currency_options?.[currency]) {
      throw errors.invalidParam(`${param}[coupon]`, `The coupon ${coupon.id} is in ${coupon.currency} and cannot apply to a ${currency} subscription.`);
    }
    if (out.some((x) => x.coupon === coupon.id)) throw errors.invalidParam(param, `The coupon ${coupon.id} is applied more than once.`);
    const end = coupon.duration === 'repeating' ? addInterval(now, 'month', 1, coupon.duration_in_months ?? 1) : null;
    const discount: Discount = {
      id: newId('discount'),
      object: 'discount',
      checkout_session: null,
      customer: customer.id,
      customer_account: null,
      end,
      invoice: null,
      invoice_item: null,
      promotion_code: promotion,
      source: { type: 'coupon', coupon: coupon.id },
      start: now,
      subscription: subId,
      subscription_item: null,
    };
    await insertObject(ctx, { id: discount.id, object: 'discount', created: now, customer: customer.id, data: discount });
    await emit(ctx, 'customer.discount.created', discount);
    out.push({ id: discount.id, coupon: coupon.id, promotion_code: promotion, end, once: coupon.duration === 'once', used: false });
  }
  return out;
}

/** Counts one redemption of each discount's coupon (or promotion code and its coupon). */
export async function recordRedemptions(ctx: Ctx, discounts: SubscriptionDiscount[]): Promise<void> {
  for (const [i, d] of discounts.entries()) {
    if (d.promotion_code !== null) await recordPromotionRedemption(ctx, d.promotion_code, `discounts[${i}][promotion_code]`);
    else await recordRedemption(ctx, d.coupon, `discounts[${i}][coupon]`);
  }
}

function trialEndOf(params: SubscriptionCreate, now: number, prices: Price[]): number | null {
  if (params.trial_end !== undefined && params.trial_period_days !== undefined) {
    throw errors.exclusive(['trial_end', 'trial_period_days']);
  }
  if (params.trial_from_plan === true && (params.trial_end !== undefined || params.trial_period_days !== undefined)) {
    throw errors.exclusive(['trial_from_plan', params.trial_end !== undefined ? 'trial_end' : 'trial_period_days']);
  }
  if (params.trial_end === 'now') return null;
  if (params.trial_end !== undefined) {
    if (params.trial_end <= now) throw errors.invalidParam('trial_end', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
    if (params.trial_end > now + MAX_TRIAL_DAYS * 86_400) {
      throw errors.invalidParam('trial_end', `Invalid timestamp: can be no more than ${MAX_TRIAL_DAYS} days in the future.`);
    }
    return params.trial_end;
  }
  if (params.trial_period_days !== undefined) return params.trial_period_days === 0 ? null : now + params.trial_period_days * 86_400;
  if (params.trial_from_plan === true) {
    // The prices' own trial (the legacy plan's `trial_period_days`): the longest of the items'.
    const days = Math.max(0, ...prices.map((x) => x.recurring?.trial_period_days ?? 0));
    return days === 0 ? null : now + days * 86_400;
  }
  return null;
}

async function createSubscriptionNow(
  base: Ctx,
  params: SubscriptionCreate,
  clockTime: boolean,
  opts: { preview?: boolean } = {},
): Promise<Subscription | { preview: Invoice }> {
  if (!opts.preview) await preloadSubscriptionCreate(base, params);
  const customer = await getCustomer(base, params.customer, 'customer', true);
  const ctx = clockTime ? await atClockTime(base, customer.test_clock) : base;
  const now = ctx.clock.now();
  if (!params.items || params.items.length === 0) throw errors.missingParam('items');
  // The currency billed: the customer's (once it has one), else `currency`, else the first price's.
  // Every price must have an amount in it: its own currency or one of its `currency_options`.
  const asked = params.currency === undefined ? undefined : parseCurrency(params.currency);
  if (asked !== undefined && customer.currency !== null && asked !== customer.currency) {
    throw errors.invalidParam('currency', `The customer's currency is \`${customer.currency}\`; a subscription of this customer must be in \`${customer.currency}\`.`);
  }
  const prices: Price[] = [];
  let currency = '';
  for (const [i, it] of params.items.entries()) {
    const at = (f: string) => `items[${i}][${f}]`;
    const param = at(it.price_data !== undefined ? 'price_data' : 'price');
    const price = await itemPrice(ctx, it, at);
    if (i === 0) currency = customer.currency ?? asked ?? price.currency;
    const cycle = prices[0]?.recurring ?? price.recurring!;
    assertCompatible(price, { currency, ...cycle }, param, await priceCurrencies(ctx, price));
    if (prices.some((x) => x.id === price.id)) {
      throw errors.invalidParam(param, 'Cannot add multiple subscription items with the same price.');
    }
    prices.push(price);
  }
  const first = prices[0]!;
  const { interval, interval_count } = first.recurring!;
  const collection = params.collection_method ?? 'charge_automatically';
  if (collection === 'send_invoice' && params.days_until_due === undefined) throw errors.missingParam('days_until_due');
  if (collection === 'charge_automatically' && params.days_until_due !== undefined) {
    throw errors.invalidParam('days_until_due', 'days_until_due can only be set when collection_method is send_invoice.');
  }
  if (params.default_payment_method !== undefined) {
    await customerHooks.assertOwnsPaymentMethod(ctx, customer.id, params.default_payment_method, 'default_payment_method');
  }
  if (params.default_source !== undefined) await customerHooks.assertOwnsSource(ctx, customer.id, params.default_source, 'default_source');
  if (params.payment_behavior === 'pending_if_incomplete') {
    throw errors.invalidParam('payment_behavior', '`pending_if_incomplete` is only used with updates and cannot be passed when creating a subscription.');
  }
  const trialEnd = trialEndOf(params, now, prices);
  if (params.billing_cycle_anchor !== undefined && params.billing_cycle_anchor_config !== undefined) {
    throw errors.exclusive(['billing_cycle_anchor', 'billing_cycle_anchor_config']);
  }
  const fromConfig = params.billing_cycle_anchor_config ? anchorFromConfig(params.billing_cycle_anchor_config, now, interval) : null;
  const anchor = fromConfig?.anchor ?? params.billing_cycle_anchor;
  const anchorParam = fromConfig ? 'billing_cycle_anchor_config' : 'billing_cycle_anchor';
  // backdate_start_date: the subscription started (and is billed from) that past time.
  const backdate = params.backdate_start_date;
  if (backdate !== undefined) {
    if (backdate >= now) throw errors.invalidParam('backdate_start_date', 'backdate_start_date must be in the past.');
    if (trialEnd !== null) throw errors.invalidParam('backdate_start_date', 'backdate_start_date cannot be combined with a trial.');
  }
  const start = backdate ?? now;
  let period: { start: number; end: number };
  if (trialEnd !== null) {
    if (anchor !== undefined) throw errors.invalidParam(anchorParam, `${anchorParam} cannot be combined with a trial.`);
    period = { start: now, end: trialEnd };
  } else if (anchor !== undefined) {
    if (anchor <= now || addInterval(anchor, interval, interval_count, -1) > start) {
      throw errors.invalidParam(anchorParam, 'billing_cycle_anchor must be in the future and within one billing period from the start date.');
    }
    period = { start, end: anchor };
  } else {
    period = { start, end: addInterval(start, interval, interval_count, 1) };
    if (period.end <= now) {
      throw errors.unsupportedParam('backdate_start_date', 'Portico backdates a subscription by less than one billing period (its first invoice bills that one period).');
    }
  }
  const cancelAt = params.cancel_at === 'period_end' ? period.end : params.cancel_at;
  if (cancelAt !== undefined && cancelAt <= now) {
    throw errors.invalidParam('cancel_at', 'cancel_at must be in the future.');
  }
  if (params.cancel_at !== undefined && params.cancel_at_period_end === true) {
    throw errors.exclusive(['cancel_at', 'cancel_at_period_end']);
  }
  const id = newId('subscription');
  const items = [];
  for (const [i, it] of params.items.entries()) {
    const rates = await applicableTaxRates(ctx, it.tax_rates ?? [], `items[${i}][tax_rates]`);
    const item = newItem(ctx, id, prices[i]!, it.quantity ?? 1, rates, mergeMetadata({}, it.metadata), period);
    if (it.discounts) {
      const owner = { customer: customer.id, subscription: id, subscription_item: item.id, invoice_item: null };
      item.discounts = (await attachLineDiscounts(ctx, owner, currency, it.discounts, `items[${i}][discounts]`)).map((d) => d.id);
    }
    items.push(item);
  }
  const sub: Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: trialEnd ?? anchor ?? start,
    billing_cycle_anchor_config: fromConfig?.shown ?? null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: params.cancel_at_period_end ? period.end : (cancelAt ?? null),
    cancel_at_period_end: params.cancel_at_period_end ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: collection,
    created: now,
    currency,
    customer: customer.id,
    customer_account: null,
    days_until_due: params.days_until_due ?? null,
    default_payment_method: params.default_payment_method ?? null,
    default_source: params.default_source ?? null,
    default_tax_rates: params.default_tax_rates ? await applicableTaxRates(ctx, params.default_tax_rates, 'default_tax_rates') : null,
    description: params.description ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: applyInvoiceSettings(defaultInvoiceSettings(), params.invoice_settings),
    items: { object: 'list', data: items, has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: ctx.livemode,
    managed_payments: null,
    metadata: mergeMetadata({}, params.metadata),
    next_pending_invoice_item_invoice: params.pending_invoice_item_interval
      ? addInterval(now, params.pending_invoice_item_interval.interval, params.pending_invoice_item_interval.interval_count, 1)
      : null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: applyPaymentSettings(
      { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
      params.payment_settings,
    ),
    pending_invoice_item_interval: params.pending_invoice_item_interval ?? null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: start,
    status: trialEnd !== null ? 'trialing' : 'incomplete',
    test_clock: customer.test_clock,
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: params.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice' },
    },
    trial_start: trialEnd !== null ? now : null,
  };
  const s: StoredSubscription = {
    sub,
    priv: {
      interval,
      interval_count,
      discounts: [],
      dunning_invoice: null,
      dunning_next_attempt: null,
      incomplete_expires_at: trialEnd === null ? now + INCOMPLETE_LIFETIME : null,
      trial_will_end_at: trialEnd !== null && trialEnd - TRIAL_WILL_END_NOTICE > now ? trialEnd - TRIAL_WILL_END_NOTICE : null,
    },
  };
  let lines = await cycleLines(ctx, sub, period, { itemizeTiers: trialEnd === null && anchor === undefined });
  if (trialEnd !== null) {
    lines = lines.map((l) => ({ ...l, amount: 0, description: `Trial period for ${l.description.replace(/ \(at .*\)$/, '').replace(/^\d+ × /, '')}` }));
  } else if (anchor !== undefined && params.proration_behavior !== 'none') {
    const full = { start: addInterval(anchor, interval, interval_count, -1), end: anchor };
    lines = lines.map((l) => ({ ...l, amount: prorate(l.amount, full.start, full.end, start), proration: true }));
  } else if (anchor !== undefined) {
    lines = lines.map((l) => ({ ...l, amount: 0 }));
  }
  const subtotal = lines.reduce((a, l) => a + l.amount, 0);
  s.priv.discounts = await prepareDiscounts(ctx, customer, id, sub.currency, params.discounts ?? [], subtotal);
  sub.discounts = s.priv.discounts.map((d) => d.id);

  await insertSubscription(ctx, s);
  await emit(ctx, 'customer.subscription.created', sub);
  await syncEntitlements(ctx, null, sub);
  if (params.add_invoice_items) await addInvoiceItems(ctx, sub, params.add_invoice_items);
  if (opts.preview) {
    // createPreview of a new subscription: the first invoice, computed as issueInvoice would make it.
    return { preview: await previewInvoice(ctx, await draftParams(ctx, s, now, 'subscription_create', lines, period, false)) };
  }
  const before = structuredClone(sub);
  const after = clone(s);
  const behavior = params.payment_behavior ?? 'allow_incomplete';
  const { invoice, result, payment } = await issueInvoice(ctx, after, 'subscription_create', lines, period, {
    charge: behavior !== 'default_incomplete',
    offSession: params.off_session ?? false,
    recordPeriodStart: period.start,
  });
  await recordRedemptions(ctx, after.priv.discounts);
  if (result === 'paid' || result === 'open' || result === 'draft') {
    if (after.sub.status === 'incomplete' && (result !== 'open' || after.sub.collection_method === 'send_invoice')) {
      after.sub.status = 'active';
      after.priv.incomplete_expires_at = null;
    } else if (result === 'open') {
      startDunning(after, invoice);
    }
    if (result === 'open') watchSendInvoice(after, invoice); // billing-status: send_invoice due dates (dunning.ts)
  } else {
    if (behavior === 'error_if_incomplete') throw paymentError(payment);
    startDunning(after, invoice);
  }
  if (after.sub.status !== 'incomplete') after.priv.incomplete_expires_at = null;
  await saveSubscription(ctx, before, after);
  return after.sub;
}

/**
 * See the module comment; runs as subscription work (the invoice-paid hook stays out). `clockTime:
 * false`: at ctx's own time, not the customer's test clock's (the billing clock starting a schedule).
 */
export async function createSubscription(base: Ctx, params: SubscriptionCreate, opts: { clockTime?: boolean } = {}): Promise<Subscription> {
  return (await withSubscriptionWork(base, () => createSubscriptionNow(base, params, opts.clockTime ?? true))) as Subscription;
}

/**
 * The first invoice a new subscription with `params` would get, computed by the very code that
 * creates it (its writes are the caller's to roll back: see `withRollback`), so the preview and the
 * real first invoice cannot disagree.
 */
export async function previewNewSubscription(base: Ctx, params: SubscriptionCreate): Promise<Invoice> {
  const out = await withSubscriptionWork(base, () => createSubscriptionNow(base, params, true, { preview: true }));
  return (out as { preview: Invoice }).preview;
}
