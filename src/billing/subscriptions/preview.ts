/**
 * `POST /v1/invoices/create_preview`: the invoice a change would bill, computed by the code that makes
 * the change, inside a savepoint that is then rolled back (storage/savepoint.ts), so nothing of it
 * stays (no objects, redemptions or events) and the preview cannot disagree with the real change.
 *
 * - `subscription` (or a `schedule` that has one): the change in `subscription_details` (update.ts
 *   `previewSubscriptionInvoice`): the invoice made now (`always_invoice`, a reset) or the next renewal.
 *   With no `subscription_details`, the next renewal as the schedule makes it: a phase starting at the
 *   period end is previewed as entering it then (`followSchedule`).
 * - no subscription, `subscription_details[items]`: the first invoice of that new subscription for
 *   `customer` (create.ts `previewNewSubscription`); a schedule not yet started previews its first phase.
 * - neither: the customer's pending invoice items as one invoice.
 * `invoice_items` are added as pending items first; `discounts` replace the subscription's (or give the
 * new subscription's); `customer_details` replace the customer's address, shipping and tax exemption
 * (without `customer`, for a customer made just for the preview); `preview_mode=recurring` leaves out
 * one-off lines (prorations, pending items). Cancellations, pauses and billing schedules are not
 * previewed (`parameter_unsupported`).
 */
import { errors } from '../../lib/errors.ts';
import { parseCurrency } from '../../lib/money.ts';
import { p, type InferShape, type Schema } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { withRollback } from '../../storage/savepoint.ts';
import { createCustomer, getCustomer, updateCustomer } from '../customers.ts';
import { discountEntryParam } from '../discounts.ts';
import { oneTimePriceDataParam } from '../inline-prices.ts';
import { createInvoiceItem, updateInvoiceItem } from '../invoice-items.ts';
import { atClockTime, previewInvoice, type Invoice } from '../invoices/index.ts';
import { addressParam, shippingParam, toAddress } from '../shared-params.ts';
import { getSchedule } from '../subscription-schedules/index.ts';
import { cancelAtParam, itemParams, previewNewSubscription, timestampOrNow } from './create.ts';
import { getSubscription } from './index.ts';
import { billingModeParam } from './settings.ts';
import { previewSubscriptionInvoice } from './update.ts';

/** `billing_cycle_anchor`: `now`/`unchanged` (as a word or `{type}`), or `{type: timestamp, timestamp}`. */
const previewAnchor: Schema<'now' | 'unchanged' | number> = {
  required: false,
  parse(value, path) {
    if (typeof value === 'string') return p.enumOf(['now', 'unchanged']).parse(value, path);
    const o = p.object({ type: p.enumOf(['now', 'timestamp', 'unchanged']).req(), timestamp: p.timestamp() }).parse(value, path);
    if (o.type !== 'timestamp') return o.type;
    if (o.timestamp === undefined) throw errors.missingParam(`${path}[timestamp]`);
    return o.timestamp;
  },
};

const NOT_PREVIEWED = 'previews of cancellations, pauses and billing schedules are not implemented: preview the change itself.';

export const subscriptionDetailsParam = p.object({
  billing_cycle_anchor: previewAnchor,
  billing_mode: billingModeParam,
  billing_schedules: p.emptyable(p.unsupported(NOT_PREVIEWED)),
  cancel_at: p.emptyable(cancelAtParam),
  cancel_at_period_end: p.boolean(),
  cancel_now: p.boolean(),
  default_tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
  items: p.array(p.object({ ...itemParams, id: p.string(), deleted: p.boolean(), clear_usage: p.boolean() }), { max: 20 }),
  metadata: p.metadata(),
  pause: p.unsupported(NOT_PREVIEWED),
  proration_behavior: p.enumOf(['always_invoice', 'create_prorations', 'none']),
  proration_date: p.timestamp(),
  resume_at: p.unsupported(NOT_PREVIEWED),
  start_date: p.timestamp(),
  trial_end: timestampOrNow,
});

const previewItemParam = p.object({
  amount: p.integer(),
  currency: p.string({ max: 3 }),
  description: p.string({ max: 500 }),
  discountable: p.boolean(),
  discounts: p.emptyable(p.array(discountEntryParam, { max: 20 })),
  invoiceitem: p.string(),
  metadata: p.metadata(),
  period: p.object({ start: p.timestamp().req(), end: p.timestamp().req() }),
  price: p.string(),
  price_data: oneTimePriceDataParam,
  quantity: p.integer({ min: 0, max: 1_000_000_000 }),
  quantity_decimal: p.decimal(),
  tax_behavior: p.enumOf(['exclusive', 'inclusive', 'unspecified']),
  tax_code: p.emptyable(p.unsupported('tax codes belong to automatic tax, which Portico does not have: give tax_rates.')),
  tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
  unit_amount: p.integer({ min: 0 }),
  unit_amount_decimal: p.decimal(),
});

export const invoicePreviewShape = {
  automatic_tax: p.automaticTax(),
  currency: p.string({ max: 3 }),
  customer: p.string(),
  customer_account: p.unsupported('Accounts v2 are not available: give customer (a cus_ id).'),
  customer_details: p.object({
    address: p.emptyable(addressParam),
    shipping: p.emptyable(shippingParam),
    tax: p.object({ ip_address: p.emptyable(p.string({ max: 45 })) }),
    tax_exempt: p.emptyable(p.enumOf(['exempt', 'none', 'reverse'])),
    tax_ids: p.unsupported('customer tax IDs in a preview are not implemented: add them to the customer.'),
  }),
  discounts: p.emptyable(p.array(discountEntryParam, { max: 20 })),
  invoice_items: p.array(previewItemParam, { max: 250 }),
  issuer: p.object({ type: p.enumOf(['self']).req(), account: p.unsupported('Portico has no Connect accounts.') }),
  on_behalf_of: p.unsupported('Portico has no Connect accounts.'),
  preview_mode: p.enumOf(['next', 'recurring']),
  schedule: p.string(),
  schedule_details: p.unsupported('previews of schedule changes are not implemented: preview the subscription change (subscription_details).'),
  subscription: p.string(),
  subscription_details: subscriptionDetailsParam,
};
export type InvoicePreview = InferShape<typeof invoicePreviewShape>;
type Details = NonNullable<InvoicePreview['subscription_details']>;

function refuseNotPreviewed(d: Details | undefined): void {
  if (!d) return;
  if (d.cancel_now === true) throw errors.unsupportedParam('subscription_details[cancel_now]', NOT_PREVIEWED);
  if (d.cancel_at_period_end === true) throw errors.unsupportedParam('subscription_details[cancel_at_period_end]', NOT_PREVIEWED);
  if (d.cancel_at !== undefined && d.cancel_at !== null) throw errors.unsupportedParam('subscription_details[cancel_at]', NOT_PREVIEWED);
}

/**
 * The customer the preview is for: `id`, with `customer_details` written over it (rolled back with the
 * preview), or, with no id, a customer made from `customer_details` just for the preview.
 */
async function previewCustomer(ctx: Ctx, q: InvoicePreview, id: string | null): Promise<string> {
  const cd = q.customer_details;
  if (id === null) {
    if (!cd) throw errors.missingParam('customer');
    const made = await createCustomer(ctx, {
      ...(cd.address ? { address: cd.address } : {}),
      ...(cd.shipping ? { shipping: cd.shipping } : {}),
      ...(cd.tax_exempt ? { tax_exempt: cd.tax_exempt } : {}),
    });
    return made.id;
  }
  const customer = await getCustomer(ctx, id, 'customer');
  if (cd && (cd.address !== undefined || cd.shipping !== undefined || cd.tax_exempt !== undefined)) {
    await updateCustomer(ctx, customer.id, {
      ...(cd.address !== undefined ? { address: cd.address === null ? null : toAddressParam(cd.address) } : {}),
      ...(cd.shipping !== undefined ? { shipping: cd.shipping } : {}),
      ...(cd.tax_exempt !== undefined ? { tax_exempt: cd.tax_exempt } : {}),
    });
  }
  return customer.id;
}

function toAddressParam(a: NonNullable<ReturnType<typeof addressParam.parse>>) {
  const full = toAddress(a);
  return Object.fromEntries(Object.entries(full).filter(([, v]) => v !== null)) as Record<string, string>;
}

/** `invoice_items`: new pending items of the customer, or changes to existing pending ones. */
async function addPreviewItems(ctx: Ctx, customer: string, items: NonNullable<InvoicePreview['invoice_items']>, subscription: string | null): Promise<void> {
  for (const [i, e] of items.entries()) {
    const { invoiceitem, unit_amount, tax_rates, discounts, tax_code: _taxCode, ...rest } = e;
    const common = {
      ...rest,
      ...(unit_amount !== undefined ? { unit_amount_decimal: String(unit_amount) } : {}),
      ...(discounts ? { discounts } : {}),
    };
    if (invoiceitem !== undefined) {
      await updateInvoiceItem(ctx, invoiceitem, { ...common, ...(tax_rates !== undefined ? { tax_rates } : {}) });
      continue;
    }
    await createInvoiceItem(
      ctx,
      { ...common, customer, ...(tax_rates ? { tax_rates } : {}), ...(subscription ? { subscription } : {}) },
      { prefix: `invoice_items[${i}]` },
    );
  }
}

async function previewNow(base: Ctx, q: InvoicePreview): Promise<Invoice> {
  refuseNotPreviewed(q.subscription_details);
  let subscriptionId = q.subscription ?? null;
  let scheduleItems: { price: string; quantity?: number }[] | null = null;
  if (q.schedule !== undefined) {
    if (subscriptionId !== null) throw errors.exclusive(['subscription', 'schedule']);
    const schedule = await getSchedule(base, q.schedule);
    subscriptionId = schedule.subscription;
    if (subscriptionId === null) {
      const phase = schedule.phases[0];
      if (!phase) throw errors.invalidParam('schedule', `The schedule ${schedule.id} has no phases to preview.`);
      scheduleItems = phase.items.map((i) => ({ price: i.price, quantity: i.quantity }));
      if (q.customer === undefined) q = { ...q, customer: schedule.customer };
    }
  }
  const sub = subscriptionId !== null ? await getSubscription(base, subscriptionId, q.schedule !== undefined ? 'schedule' : 'subscription') : null;
  if (sub && q.customer !== undefined && q.customer !== sub.customer) {
    throw errors.invalidParam('customer', `The subscription ${sub.id} does not belong to the customer ${q.customer}.`);
  }
  const named = q.customer ?? sub?.customer ?? null;
  const clock = named === null ? null : (await getCustomer(base, named, 'customer')).test_clock;
  const ctx = await atClockTime(base, clock);
  const customer = await previewCustomer(ctx, q, named);
  if (q.invoice_items) await addPreviewItems(ctx, customer, q.invoice_items, null);
  const d = q.subscription_details ?? {};
  const mode = q.preview_mode ?? 'next';
  let invoice: Invoice;
  if (sub) {
    if (typeof d.billing_cycle_anchor === 'number') {
      throw errors.invalidParam('subscription_details[billing_cycle_anchor]', 'An existing subscription takes billing_cycle_anchor now or unchanged.');
    }
    if (d.start_date !== undefined) throw errors.invalidParam('subscription_details[start_date]', 'start_date is for a new subscription.');
    invoice = await previewSubscriptionInvoice(ctx, sub.id, { ...d, billing_cycle_anchor: d.billing_cycle_anchor }, {
      ...(d.default_tax_rates !== undefined ? { default_tax_rates: d.default_tax_rates } : {}),
      ...(q.discounts !== undefined ? { discounts: q.discounts } : {}),
      ...(d.metadata !== undefined ? { metadata: d.metadata } : {}),
      mode,
      // Without changes, the next renewal follows the subscription's schedule.
      followSchedule: q.subscription_details === undefined || Object.keys(q.subscription_details).length === 0,
    });
  } else if (d.items || scheduleItems) {
    const now = ctx.clock.now();
    if (d.billing_cycle_anchor === 'unchanged') {
      throw errors.invalidParam('subscription_details[billing_cycle_anchor]', 'A new subscription takes a billing_cycle_anchor timestamp or now.');
    }
    if (d.start_date !== undefined && d.start_date > now) {
      throw errors.unsupportedParam('subscription_details[start_date]', 'a new subscription starts now or is backdated; future starts belong to subscription schedules.');
    }
    invoice = await previewNewSubscription(ctx, {
      customer,
      items: d.items ?? scheduleItems!,
      ...(typeof d.billing_cycle_anchor === 'number' ? { billing_cycle_anchor: d.billing_cycle_anchor } : {}),
      ...(d.start_date !== undefined && d.start_date < now ? { backdate_start_date: d.start_date } : {}),
      ...(d.default_tax_rates !== undefined ? { default_tax_rates: d.default_tax_rates } : {}),
      ...(q.discounts !== undefined ? { discounts: couponsOnly(q.discounts) } : {}),
      ...(d.metadata !== undefined ? { metadata: d.metadata } : {}),
      ...(d.proration_behavior !== undefined && d.proration_behavior !== 'always_invoice' ? { proration_behavior: d.proration_behavior } : {}),
      ...(d.trial_end !== undefined ? { trial_end: d.trial_end } : {}),
      ...(q.currency !== undefined ? { currency: q.currency } : {}),
    });
  } else {
    const c = await getCustomer(ctx, customer, 'customer');
    const now = ctx.clock.now();
    invoice = await previewInvoice(ctx, {
      customer,
      currency: q.currency !== undefined ? parseCurrency(q.currency) : (c.currency ?? 'usd'),
      billing_reason: 'manual',
      collection_method: 'charge_automatically',
      lines: [],
      include_pending_items: mode === 'next',
      discounts: couponsOnly(q.discounts ?? []) ?? [],
      period_start: now,
      period_end: now,
    });
  }
  if (q.currency !== undefined && parseCurrency(q.currency) !== invoice.currency) {
    throw errors.invalidParam('currency', `The previewed invoice is in ${invoice.currency}, not ${q.currency}.`);
  }
  return invoice;
}

/** Discount entries that redeem (a `discount` entry reuses an existing discount only on a subscription). */
function couponsOnly(list: NonNullable<InvoicePreview['discounts']> | null): { coupon?: string; promotion_code?: string }[] | null {
  if (list === null) return null;
  return list.map((x, i) => {
    if (x.discount !== undefined) throw errors.invalidParam(`discounts[${i}][discount]`, 'A new subscription or invoice redeems a coupon or a promotion code.');
    return { ...(x.coupon !== undefined ? { coupon: x.coupon } : {}), ...(x.promotion_code !== undefined ? { promotion_code: x.promotion_code } : {}) };
  });
}

/** See the module comment. */
export function createInvoicePreview(ctx: Ctx, q: InvoicePreview): Promise<Invoice> {
  return withRollback(ctx, (inner) => previewNow(inner, q));
}
