/**
 * Subscription state: storage, the next time the billing clock needs the subscription, invoicing on
 * its behalf, and the status transitions an invoice's payment causes.
 *
 * Invariants:
 * - Lock order: subscription row, then customer, then invoice (the billing clock's claim locks the
 *   subscription first, and the invoice module locks customer then invoice).
 * - `due_at` = the earliest of: period end (renewal or period-end cancellation), `cancel_at`, trial end
 *   and the `trial_will_end` notice 3 days before it, the open invoice's next payment attempt, the
 *   incomplete expiry (23 h), and, while waiting on a payment (`incomplete`, `past_due`), an hourly
 *   check: the fallback for an invoice paid while the subscription row was locked (see below).
 * - An invoice the subscription waits on that becomes paid elsewhere (`/v1/invoices/:id/pay`) activates
 *   it at once through `invoicePaidHooks`, in the paying transaction. The hook takes the subscription row
 *   with SKIP LOCKED (the payer already holds customer and invoice locks: waiting could deadlock with
 *   the billing clock) and does nothing inside the engine's own subscription work (`withSubscriptionWork`),
 *   which handles its payments itself.
 * - API paths write `due_at` with the object; the due handler returns it instead (billing-clock.ts).
 * - A payment outcome maps to status: paid → `active`; refused on the first invoice → `incomplete`;
 *   refused later → `past_due`; no attempt left → what the account's billing setting says (dunning.ts):
 *   `canceled` (reason `payment_failed`, the default), `unpaid`, or left `past_due`.
 */
import { sql } from 'kysely';
import { newId } from '../../lib/ids.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject, getObject, insertObject, updateObject } from '../../storage/objects.ts';
import type { Coupon } from '../coupons.ts';
import { emit, emitUpdated, previousAttributes } from '../../events/outbox.ts';
import {
  attemptInvoicePayment,
  createDraftInvoice,
  finalizeInvoice,
  getInvoice,
  invoicePaidHooks,
  markUncollectible,
  voidInvoice,
  type Discount,
  type DraftInvoiceParams,
  type Invoice,
  type LineInput,
  type PaymentOutcome,
} from '../invoices/index.ts';
import { errors, type ApiError } from '../../lib/errors.ts';
import type { InvoiceItem } from '../invoice-items.ts';
import type { ProrationLine } from '../proration.ts';
import { syncEntitlements } from '../active-entitlements.ts';
import { currentPeriod } from './items.ts';
import { clearDunningWatch, statusDueTimes } from './due-times.ts';
import { planUpcomingNotice } from './upcoming.ts';
import type { StoredSubscription, Subscription, SubscriptionDiscount, SubscriptionPrivate } from './types.ts';

export const OBJECT = 'subscription';
export const HOUR = 3600;
export const DAY = 86_400;
export const INCOMPLETE_LIFETIME = 23 * HOUR;
export const TRIAL_WILL_END_NOTICE = 3 * DAY;

/** Transactions (executors) in which subscription code is at work: the paid hook stays out of them. */
const working = new WeakSet<object>();

/** Runs `fn` as subscription work in ctx's transaction (see the paid hook). */
export async function withSubscriptionWork<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
  if (working.has(ctx.db)) return fn();
  working.add(ctx.db);
  try {
    return await fn();
  } finally {
    working.delete(ctx.db);
  }
}

/**
 * For an invoice-paid hook: the subscription the paid invoice belongs to, locked, unless the payment
 * happens inside subscription work (which settles the subscription itself), outside a transaction, or
 * while another transaction holds the row (SKIP LOCKED: the payer holds customer and invoice locks, so
 * waiting could deadlock; the holder, e.g. the billing clock, then sees the paid invoice itself).
 */
export async function paidInvoiceSubscription(ctx: Ctx, invoice: Invoice): Promise<StoredSubscription | null> {
  const id = invoice.parent?.subscription_details.subscription;
  if (!id || working.has(ctx.db) || !ctx.db.isTransaction) return null;
  if (ctx.uow) {
    const found = await ctx.uow.findSkipLocked(ctx, OBJECT, id);
    return found ? { sub: found.data as Subscription, priv: found.private as unknown as SubscriptionPrivate } : null;
  }
  const row = await ctx.db
    .selectFrom('objects')
    .select(['data', 'private'])
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', OBJECT)
    .where('id', '=', id)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!row) return null;
  return { sub: row.data as unknown as Subscription, priv: row.private as unknown as SubscriptionPrivate };
}

invoicePaidHooks.push(async (ctx, invoice) => {
  const stored = await paidInvoiceSubscription(ctx, invoice);
  if (!stored) return;
  if (stored.priv.dunning_invoice !== invoice.id) return;
  const after = clone(stored);
  await withSubscriptionWork(ctx, async () => {
    await syncWithInvoice(ctx, after);
    await saveSubscription(ctx, stored.sub, after);
  });
});

export async function loadSubscription(ctx: Ctx, id: string, param = 'id', forUpdate = false): Promise<StoredSubscription> {
  const row = await getObject<Subscription>(ctx, OBJECT, OBJECT, id, { param, forUpdate });
  return { sub: row.data, priv: row.private as unknown as SubscriptionPrivate };
}

export function clone(s: StoredSubscription): StoredSubscription {
  return structuredClone(s);
}

/** The next time the billing clock needs this subscription (null: never again). */
export function nextDue(s: StoredSubscription, now: number): number | null {
  const { sub, priv } = s;
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') return null;
  // billing-status: a paused subscription is not renewed (pause.ts); only a cancel_at still ends it.
  if (sub.status === 'paused') {
    const times = [sub.cancel_at, priv.resume_at ?? null].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.max(Math.min(...times), now + 1);
  }
  const times: (number | null)[] = [...statusDueTimes(s)];
  if (sub.status === 'incomplete') {
    times.push(priv.incomplete_expires_at, now + HOUR);
  } else {
    if (sub.status === 'trialing') times.push(priv.trial_will_end_at, sub.trial_end);
    else times.push(currentPeriod(sub).end);
    times.push(sub.cancel_at, sub.pause_collection?.resumes_at ?? null);
    if (priv.dunning_invoice !== null) times.push(priv.dunning_next_attempt, priv.dunning_quiet ? null : now + HOUR);
  }
  const valid = times.filter((t): t is number => t !== null);
  return valid.length === 0 ? null : Math.max(Math.min(...valid), now + 1);
}

/** Inserts a new subscription row (with its due time) and emits `customer.subscription.created`. */
export async function insertSubscription(ctx: Ctx, s: StoredSubscription): Promise<void> {
  await planUpcomingNotice(ctx, s);
  await insertObject(ctx, {
    id: s.sub.id,
    object: OBJECT,
    created: s.sub.created,
    customer: s.sub.customer,
    data: s.sub,
    private: s.priv as unknown as Record<string, unknown>,
    due_at: nextDue(s, ctx.clock.now()),
    test_clock: s.sub.test_clock,
  });
}

/**
 * Writes `after` (and its due time unless `fromDueHandler`) and emits `customer.subscription.updated`
 * with `previous_attributes` when the API object changed.
 */
export async function saveSubscription(
  ctx: Ctx,
  before: Subscription,
  after: StoredSubscription,
  opts: { fromDueHandler?: boolean; event?: 'customer.subscription.deleted' } = {},
): Promise<void> {
  await planUpcomingNotice(ctx, after);
  await updateObject(ctx, after.sub.id, {
    data: after.sub,
    private: after.priv as unknown as Record<string, unknown>,
    ...(opts.fromDueHandler ? {} : { due_at: nextDue(after, ctx.clock.now()) }),
  });
  if (opts.event) await emit(ctx, opts.event, after.sub, previousAttributes(before, after.sub));
  else await emitUpdated(ctx, 'customer.subscription.updated', before, after.sub);
  await syncEntitlements(ctx, before, after.sub);
}

/** Records the invoice of a period; the primary key makes a second invoice for it impossible. */
export async function recordPeriod(ctx: Ctx, sub: string, periodStart: number, invoice: string, replace = false): Promise<void> {
  const row = { livemode: ctx.livemode, subscription: sub, period_start: periodStart, invoice, created: ctx.clock.now() };
  // In a billing-clock batch the row is written with the batch; its primary key is checked then.
  if (ctx.uow && !replace) return ctx.uow.addPeriod(row);
  await ctx.uow?.settle(ctx.db); // the upsert below must come after what the batch buffered
  const q = ctx.db
    .insertInto('billing_periods')
    .values(row);
  // A reset in the same second as the period it replaces re-points that period at its new invoice.
  if (replace) await q.onConflict((oc) => oc.columns(['livemode', 'subscription', 'period_start']).doUpdateSet({ invoice })).execute();
  else await q.execute();
}

/** Stores proration lines as pending invoice items of the subscription (`invoiceitem.created`). */
export async function createProrationItems(ctx: Ctx, sub: Subscription, lines: ProrationLine[]): Promise<InvoiceItem[]> {
  const out: InvoiceItem[] = [];
  const now = ctx.clock.now();
  for (const l of lines) {
    const item = sub.items.data.find((i) => i.id === l.subscriptionItem);
    const taxRates = item?.tax_rates.filter((t) => l.taxRates.includes(t.id)) ?? [];
    const ii: InvoiceItem = {
      id: newId('invoiceitem'),
      object: 'invoiceitem',
      amount: l.amount,
      currency: l.currency,
      customer: sub.customer,
      customer_account: null,
      date: now,
      description: l.description,
      // Stripe: a proration's amount is net of the discounts it lists; the invoice's never apply to it.
      discountable: false,
      discounts: l.discounts.map((d) => d.discount),
      invoice: null,
      livemode: ctx.livemode,
      metadata: {},
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } },
      period: l.period,
      pricing: {
        type: 'price_details',
        price_details: { price: l.price, product: item?.price.product ?? '' },
        unit_amount_decimal: item?.price.unit_amount_decimal ?? null,
      },
      proration: true,
      quantity: l.quantity,
      quantity_decimal: String(l.quantity),
      tax_rates: taxRates,
      test_clock: sub.test_clock,
    };
    await insertObject(ctx, { id: ii.id, object: 'invoiceitem', created: now, customer: sub.customer, data: ii, test_clock: sub.test_clock });
    await emit(ctx, 'invoiceitem.created', ii);
    out.push(ii);
  }
  return out;
}

/** Proration lines as invoice lines (what pending items would become), for previews. */
export function prorationInputs(sub: Subscription, lines: ProrationLine[]): LineInput[] {
  return lines.map((l) => ({
    type: 'invoice_item_details',
    amount: l.amount,
    currency: l.currency,
    description: l.description,
    quantity: l.quantity,
    price: l.price,
    period: l.period,
    proration: true,
    subscription: sub.id,
    subscription_item: null,
    invoice_item: null,
    tax_rates: l.taxRates,
    discountable: false,
    ...(l.discounts.length > 0 ? { discounts: l.discounts.map((d) => ({ ...d })) } : {}),
  }));
}

/**
 * The invoice-level discounts that still apply now; `once` discounts are marked used by `consume`.
 * A coupon the subscription already redeemed keeps applying after its `redeem_by` passed, once it
 * reached `max_redemptions` (which this subscription's own redemption may have done) or after it was
 * deleted, as on Stripe: the invoices module does not re-check redeemability for discounts of a
 * non-manual invoice. Only a coupon with no row at all is left out.
 */
export async function activeDiscounts(ctx: Ctx, s: StoredSubscription, now: number, consume: boolean): Promise<{ coupon: string }[]> {
  const out: { coupon: string }[] = [];
  for (const d of s.priv.discounts) {
    if (d.end !== null && d.end <= now) continue;
    if (d.once && d.used) continue;
    const coupon = await findObject<Coupon>(ctx, 'coupon', d.coupon, { includeDeleted: true });
    if (!coupon) continue;
    if (consume && d.once) d.used = true;
    out.push({ coupon: d.coupon });
  }
  return out;
}

/**
 * Ends the subscription's discount `id` at `now` (its row kept, as deleted, with `end` at the latest
 * now) and emits `customer.discount.deleted`. The caller takes it off the subscription.
 */
export async function endDiscount(ctx: Ctx, id: string, now: number): Promise<void> {
  const row = await findObject<Discount>(ctx, 'discount', id);
  if (!row) return;
  const ended: Discount = { ...row.data, end: row.data.end !== null && row.data.end < now ? row.data.end : now };
  await updateObject(ctx, id, { data: ended, deleted: true });
  await emit(ctx, 'customer.discount.deleted', ended);
}

/**
 * Takes off the subscription the discounts that are over when it is next invoiced: a `repeating` one
 * whose months have passed, a `once` one that an earlier invoice used. Each is removed from
 * `discounts` with its `customer.discount.deleted` (the subscription's update event then shows the
 * old list), so the invoice that no longer gets a discount is the one that ends it.
 */
export async function retireDiscounts(ctx: Ctx, s: StoredSubscription, now: number): Promise<void> {
  const over = (d: SubscriptionDiscount) => (d.end !== null && d.end <= now) || (d.once && d.used);
  if (!s.priv.discounts.some(over)) return;
  for (const d of s.priv.discounts.filter(over)) await endDiscount(ctx, d.id, now);
  s.priv.discounts = s.priv.discounts.filter((d) => !over(d));
  s.sub.discounts = s.priv.discounts.map((d) => d.id);
}

/** The billing reasons of a subscription's own invoices. */
export type SubscriptionBillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'automatic_pending_invoice_item_invoice';

export type InvoiceResult = 'paid' | 'failed' | 'requires_action' | 'open' | 'draft';

/** The draft parameters a subscription invoice uses (shared by previews). */
export async function draftParams(
  ctx: Ctx,
  s: StoredSubscription,
  now: number,
  reason: SubscriptionBillingReason,
  lines: LineInput[],
  period: { start: number; end: number },
  consumeDiscounts: boolean,
): Promise<DraftInvoiceParams> {
  const { sub } = s;
  return {
    customer: sub.customer,
    currency: sub.currency,
    billing_reason: reason,
    collection_method: sub.collection_method,
    days_until_due: sub.days_until_due,
    subscription: { id: sub.id, metadata: sub.metadata },
    lines,
    include_pending_items: true,
    discounts: await activeDiscounts(ctx, s, now, consumeDiscounts),
    default_payment_method: sub.default_payment_method,
    default_source: sub.default_source,
    default_tax_rates: (sub.default_tax_rates ?? []).map((t) => t.id),
    period_start: period.start,
    period_end: period.end,
    // The subscription's invoice_settings, over the customer's (null: the customer's own).
    ...(sub.invoice_settings?.description ? { description: sub.invoice_settings.description } : {}),
    ...(sub.invoice_settings?.footer ? { footer: sub.invoice_settings.footer } : {}),
    ...(sub.invoice_settings?.custom_fields ? { custom_fields: sub.invoice_settings.custom_fields } : {}),
  };
}

/**
 * Invoices the subscription now: a draft with `lines` and its pending items, then (unless collection
 * is paused) finalized and, for `charge_automatically`, charged when `charge`. Sets `latest_invoice`.
 */
export async function issueInvoice(
  ctx: Ctx,
  s: StoredSubscription,
  reason: SubscriptionBillingReason,
  lines: LineInput[],
  period: { start: number; end: number },
  opts: { charge: boolean; offSession: boolean; recordPeriodStart?: number; replacePeriod?: boolean; pendingItemsOnly?: boolean },
): Promise<{ invoice: Invoice; result: InvoiceResult; payment: PaymentOutcome | null }> {
  const now = ctx.clock.now();
  const pause = s.sub.pause_collection?.behavior ?? null;
  await retireDiscounts(ctx, s, now);
  const draft = await createDraftInvoice(ctx, {
    // A `once` coupon is for the first charge: a $0 trial invoice does not use it up.
    ...(await draftParams(ctx, s, now, reason, lines, period, lines.some((l) => l.amount > 0))),
    ...(pause === 'keep_as_draft' ? { auto_advance: false } : {}),
    // pending_invoice_item_interval: only the subscription's own pending items (pending-items-interval.ts).
    ...(opts.pendingItemsOnly ? { pending_items_of: 'subscription' as const } : {}),
  });
  s.sub.latest_invoice = draft.id;
  if (opts.recordPeriodStart !== undefined) await recordPeriod(ctx, s.sub.id, opts.recordPeriodStart, draft.id, opts.replacePeriod ?? false);
  if (pause === 'keep_as_draft') return { invoice: draft, result: 'draft', payment: null };
  const open = await finalizeInvoice(ctx, draft.id, opts.charge ? {} : { autoAdvance: false });
  if (open.status === 'paid') return { invoice: open, result: 'paid', payment: null };
  if (pause === 'void') return { invoice: await voidInvoice(ctx, open.id), result: 'draft', payment: null };
  if (pause === 'mark_uncollectible') return { invoice: await markUncollectible(ctx, open.id, 'subscription_paused'), result: 'draft', payment: null };
  if (s.sub.collection_method === 'send_invoice' || !opts.charge) return { invoice: open, result: 'open', payment: null };
  const { invoice, payment } = await attemptInvoicePayment(ctx, open.id, { offSession: opts.offSession });
  // payment_settings[save_default_payment_method]=on_subscription: the card that paid becomes the default.
  if (payment.outcome === 'succeeded' && payment.payment_method && s.sub.default_payment_method === null && s.sub.payment_settings.save_default_payment_method === 'on_subscription') {
    s.sub.default_payment_method = payment.payment_method;
  }
  if (payment.outcome === 'succeeded' || payment.outcome === 'nothing_due') return { invoice, result: 'paid', payment };
  return { invoice, result: payment.outcome === 'requires_action' ? 'requires_action' : 'failed', payment };
}

const REQUIRES_ACTION =
  'This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with `subscription.latest_invoice`.';

/** The 402 (or 400 without a payment method) an `error_if_incomplete` refusal answers with. */
export function paymentError(payment: PaymentOutcome | null): ApiError {
  if (payment?.outcome === 'requires_action') return errors.cardError(REQUIRES_ACTION, 'subscription_payment_intent_requires_action');
  if (payment?.outcome === 'declined') {
    if (payment.code === 'payment_method_missing') return errors.invalidRequest(payment.message, 'default_payment_method', 'payment_method_missing');
    return errors.cardDeclined(payment.message, payment.decline_code ?? payment.code);
  }
  return errors.cardError('The payment could not be completed.', 'card_declined');
}

/** Waits on `invoice` (refused or not yet paid): `past_due` unless still `incomplete`. */
export function startDunning(s: StoredSubscription, invoice: Invoice): void {
  s.priv.dunning_invoice = invoice.id;
  s.priv.dunning_next_attempt = invoice.next_payment_attempt;
  clearDunningWatch(s.priv);
  if (s.sub.status !== 'incomplete') s.sub.status = 'past_due';
}

/** Ends the subscription at `at` (status `canceled`); the caller saves it with the deleted event. */
export function markCanceled(s: StoredSubscription, at: number, reason: 'cancellation_requested' | 'payment_failed'): void {
  s.sub.status = 'canceled';
  s.sub.ended_at = at;
  s.sub.canceled_at ??= at;
  s.sub.cancellation_details = { ...s.sub.cancellation_details, reason };
  s.priv.dunning_invoice = null;
  s.priv.dunning_next_attempt = null;
  s.priv.trial_will_end_at = null;
  clearDunningWatch(s.priv);
  // billing-status: an ended subscription has no pending update left to apply (pending-update.ts).
  s.sub.pending_update = null;
  s.priv.pending = null;
}

/**
 * Brings the subscription in line with the invoice it waits on: paid (or voided) → `active`; no
 * attempt left → canceled for `payment_failed` (returns true then); otherwise the next attempt time.
 */
export async function syncWithInvoice(ctx: Ctx, s: StoredSubscription): Promise<'active' | 'waiting' | 'failed' | 'none'> {
  const id = s.priv.dunning_invoice;
  if (id === null) return 'none';
  const invoice = await getInvoice(ctx, id);
  if (invoice.status === 'paid' || invoice.status === 'void' || invoice.status === 'uncollectible') {
    s.priv.dunning_invoice = null;
    s.priv.dunning_next_attempt = null;
    s.priv.incomplete_expires_at = null;
    clearDunningWatch(s.priv);
    // billing-status: paying (or voiding, or writing off) the awaited invoice also ends `unpaid` (dunning.ts).
    if (invoice.status === 'paid' || s.sub.status === 'past_due' || s.sub.status === 'unpaid') s.sub.status = 'active';
    return 'active';
  }
  s.priv.dunning_next_attempt = invoice.next_payment_attempt;
  if (s.sub.status === 'past_due' && invoice.status === 'open' && invoice.next_payment_attempt === null && invoice.attempt_count > 0) {
    return 'failed';
  }
  return 'waiting';
}

/** Whether the customer already paid or was invoiced anything (for first-time promotion codes). */
export async function hasPriorInvoices(ctx: Ctx, customer: string): Promise<boolean> {
  await ctx.uow?.settle(ctx.db); // invoices this unit buffered count too
  const row = await ctx.db
    .selectFrom('objects')
    .select(sql<number>`1`.as('one'))
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', 'invoice')
    .where('customer', '=', customer)
    .where('deleted', '=', false)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
