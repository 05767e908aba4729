/**
 * Switching plan and quantity from the portal (no HTTP): the customer's choice checked against the
 * configuration, the decision to apply it now or at the period end (`schedule_at_period_end`), the
 * review taken from the engine's own preview, and the change itself through the engine, with the
 * configured `proration_behavior`, `billing_cycle_anchor` and `trial_update_behavior`.
 *
 * Invariants:
 * - The review is the engine's preview of exactly the parameters the change then uses, at the same
 *   `proration_date`, so what the review shows is what is charged, to the cent. A promotion code is
 *   previewed by applying it in a transaction that is then rolled back (nothing is kept, no event).
 * - A change that needs a payment uses `payment_behavior=pending_if_incomplete`: a refused payment
 *   leaves the subscription's items as they were (Stripe's pending update). A payment the bank asks to
 *   authenticate keeps the pending update and names its invoice and card, so the customer can go
 *   through 3-D Secure (`portal/authentications.ts`): paying the invoice then applies the update (the
 *   engine's invoice-paid hook), failing leaves the subscription as it was. With a discount (a
 *   promotion code, or a flow's coupon) the whole action is rolled back instead (pending updates
 *   cannot hold discounts), so a refused card never uses up a code.
 * - A change matching `schedule_at_period_end` (a cheaper plan of the same interval with
 *   `decreasing_item_amount`, a shorter interval with `shortening_interval`) is not applied: a
 *   subscription schedule (marked as the portal's) adopts the subscription and its next phase, starting
 *   at the period end, has the new plan (a new interval resets the cycle there: one invoice, the new
 *   plan's first period). Its review is the engine's preview of that change at the period end.
 */
import { sql } from 'kysely';
import { ApiError } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import { withDb } from '../../storage/context.ts';
import type { Db } from '../../storage/database.ts';
import { findObject } from '../../storage/objects.ts';
import { atClockTime, type Invoice } from '../../billing/invoices/index.ts';
import { getRedeemableCoupon, type Coupon } from '../../billing/coupons.ts';
import type { Price } from '../../billing/prices.ts';
import { getRedeemablePromotionCode, type PromotionCode } from '../../billing/promotion-codes.ts';
import { createSchedule, releaseSchedule, updateSchedule } from '../../billing/subscription-schedules/index.ts';
import { previewSubscriptionInvoice, updateSubscription, type ChangeRequest, type Subscription, type SubscriptionUpdate } from '../../billing/subscriptions/index.ts';
import type { PortalConfiguration } from '../configurations/index.ts';
import { itemOf, planOptions, UndoAction, portalSchedule, PORTAL_SCHEDULE_KEY, PORTAL_SCHEDULE_VALUE, PREVIEW_CUSTOMER_OBJECTS, type ProductOption } from './offer.ts';
import type { Customer } from '../../billing/customers.ts';
import { defaultCardOf } from '../payment-methods.ts';

/** Why a choice cannot be reviewed (each has a message in the portal's catalogs). */
export type ChoiceProblem =
  | 'price'
  | 'quantity'
  | 'no_change'
  | 'promo_unknown'
  | 'promo_expired'
  | 'promo_used_up'
  | 'promo_customer'
  | 'promo_invalid';

export interface PlanChoice {
  price: Price;
  productName: string;
  quantity: number;
  promotionCode: PromotionCode | null;
  /** A coupon the session's `subscription_update_confirm` flow applies (never typed by the customer). */
  coupon: Coupon | null;
}

export interface RawChoice {
  price?: string | undefined;
  quantity?: string | undefined;
  promotion_code?: string | undefined;
  /** Only from a flow (`discounts[][coupon]`). */
  coupon?: string | undefined;
}

const DAYS = { day: 1, week: 7, month: 30, year: 365 } as const;
const intervalDays = (p: Price) => DAYS[p.recurring!.interval] * p.recurring!.interval_count;

/** Options the portal shows: the configured plans (a shorter interval included: see `schedulesAtPeriodEnd`). */
export async function switchOptions(ctx: Ctx, config: PortalConfiguration, sub: Subscription): Promise<ProductOption[]> {
  return planOptions(ctx, config, sub);
}

/** Maps the engine's refusal of a promotion code onto what the customer is told. */
function promoProblem(err: ApiError): ChoiceProblem {
  if (err.status === 404) return 'promo_unknown';
  const m = err.message;
  if (/expired/.test(m)) return 'promo_expired';
  if (/maximum number of times/.test(m)) return 'promo_used_up';
  if (/different customer/.test(m)) return 'promo_customer';
  return 'promo_invalid';
}

/** The customer's choice, checked against the configuration; or what is wrong with it. */
export async function checkChoice(
  ctx: Ctx,
  config: PortalConfiguration,
  sub: Subscription,
  raw: RawChoice,
  /** A choice from the session's flow (made by the business through the API): codes may be ids. */
  fromFlow = false,
): Promise<{ choice: PlanChoice } | { problem: ChoiceProblem }> {
  const allowed = config.features.subscription_update.default_allowed_updates;
  const item = itemOf(sub);
  const options = await switchOptions(ctx, config, sub);
  const priceId = raw.price ?? item.price.id;
  const product = options.find((p) => p.prices.some((o) => o.price.id === priceId));
  const option = product?.prices.find((o) => o.price.id === priceId);
  const currentOffered = priceId === item.price.id;
  if (!currentOffered && ((!allowed.includes('price') && !fromFlow) || !option)) return { problem: 'price' };
  let quantity = item.quantity;
  if (raw.quantity !== undefined && raw.quantity !== '') {
    if (!/^\d{1,9}$/.test(raw.quantity)) return { problem: 'quantity' };
    quantity = Number(raw.quantity);
  }
  if (quantity !== item.quantity) {
    const bounds = product?.adjustableQuantity;
    if ((!allowed.includes('quantity') && !fromFlow) || !bounds?.enabled) return { problem: 'quantity' };
    if (quantity < bounds.minimum || (bounds.maximum !== null && quantity > bounds.maximum)) return { problem: 'quantity' };
  }
  let promotionCode: PromotionCode | null = null;
  const code = raw.promotion_code?.trim() ?? '';
  if (code !== '') {
    if (!allowed.includes('promotion_code') && !fromFlow) return { problem: 'promo_invalid' };
    // Only codes as customers type them: an id (`promo_…`) is not a code, unless the business sent it.
    if (code.length > 200 || (code.startsWith('promo_') && !fromFlow)) return { problem: 'promo_unknown' };
    try {
      promotionCode = (await getRedeemablePromotionCode(ctx, code, { customer: sub.customer }, 'promotion_code')).promotionCode;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { problem: promoProblem(err) };
    }
  }
  let coupon: Coupon | null = null;
  if (raw.coupon !== undefined && raw.coupon !== '') {
    if (!fromFlow) return { problem: 'promo_invalid' };
    try {
      coupon = await getRedeemableCoupon(ctx, raw.coupon, 'coupon');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { problem: 'promo_invalid' };
    }
  }
  const price = option?.price ?? (item.price as Price);
  if (price.id === item.price.id && quantity === item.quantity && promotionCode === null && coupon === null) return { problem: 'no_change' };
  return { choice: { price, productName: product?.name ?? '', quantity, promotionCode, coupon } };
}

/** Whether the configuration schedules this change at the period end instead of applying it now. */
export function schedulesAtPeriodEnd(config: PortalConfiguration, sub: Subscription, choice: PlanChoice): boolean {
  const conditions = config.features.subscription_update.schedule_at_period_end.conditions.map((c) => c.type);
  const item = itemOf(sub);
  const old = item.price as Price;
  const [next, was] = [intervalDays(choice.price), intervalDays(old)];
  // The schedule's next phase then bills the new interval from the period end (its cycle resets there).
  if (next < was) return conditions.includes('shortening_interval');
  if (next !== was || !conditions.includes('decreasing_item_amount')) return false;
  return choice.price.unit_amount! * choice.quantity < (old.unit_amount ?? 0) * item.quantity;
}

/** The subscription's time: its customer's test clock's, else the clock's (what prorations are dated with). */
export async function subscriptionNow(ctx: Ctx, sub: Subscription): Promise<number> {
  return (await atClockTime(ctx, sub.test_clock)).clock.now();
}

/** What the review says about a trial: kept (`continue_trial`), ended now (`end_trial`), or no trial. */
export function trialEffect(config: PortalConfiguration, sub: Subscription): 'continue_trial' | 'end_trial' | null {
  if (sub.status !== 'trialing') return null;
  return config.features.subscription_update.trial_update_behavior;
}

/** The engine's change parameters for a choice (the same for the preview and the change). */
export function changeRequest(config: PortalConfiguration, sub: Subscription, choice: PlanChoice, prorationDate: number): ChangeRequest {
  const u = config.features.subscription_update;
  const req: ChangeRequest = {
    items: [{ id: itemOf(sub).id, price: choice.price.id, quantity: choice.quantity }],
    proration_behavior: u.proration_behavior,
    proration_date: prorationDate,
  };
  if (u.billing_cycle_anchor !== null) req.billing_cycle_anchor = u.billing_cycle_anchor;
  if (trialEffect(config, sub) === 'end_trial') req.trial_end = 'now';
  return req;
}

/** The discount a choice adds (a promotion code or a flow's coupon), or null. */
function addedDiscount(choice: PlanChoice): { promotion_code: string } | { coupon: string } | null {
  if (choice.promotionCode) return { promotion_code: choice.promotionCode.id };
  if (choice.coupon) return { coupon: choice.coupon.id };
  return null;
}

/** The subscription's discounts with the one the choice adds. */
function discountsWith(sub: Subscription, added: { promotion_code: string } | { coupon: string }): NonNullable<SubscriptionUpdate['discounts']> {
  return [...sub.discounts.map((id) => ({ discount: id })), added];
}

/** The same context without a page's read cache (see offer.ts `pageReads`). */
function uncached(ctx: Ctx): Ctx {
  const { uow: _cache, ...plain } = ctx;
  return plain;
}

class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rollback');
  }
}

/** Runs `fn` in a transaction that is always rolled back, and returns what it returned. */
async function dryRun<T>(db: Db, ctx: Ctx, fn: (tx: Ctx) => Promise<T>): Promise<T> {
  try {
    await db.transaction().execute(async (tx) => {
      throw new Rollback(await fn(withDb(ctx, tx)));
    });
  } catch (err) {
    if (err instanceof Rollback) return err.value as T;
    throw err;
  }
  throw new Error('unreachable');
}

export interface ChangeReview {
  /** The engine's preview: billed now (`subscription_update`) or at the next renewal (`subscription_cycle`). */
  invoice: Invoice;
  dueNow: boolean;
  scheduled: boolean;
  trial: 'continue_trial' | 'end_trial' | null;
  prorationDate: number;
  /** When a scheduled change takes effect (the period end). */
  effectiveAt: number | null;
}

/** The review of a choice: the engine's preview of the very change that "Confirm" makes. */
export async function reviewChange(db: Db, ctx: Ctx, config: PortalConfiguration, sub: Subscription, choice: PlanChoice): Promise<ChangeReview> {
  const now = await subscriptionNow(ctx, sub);
  const scheduled = schedulesAtPeriodEnd(config, sub, choice);
  const trial = trialEffect(config, sub);
  const periodEnd = itemOf(sub).current_period_end;
  // With a page's read cache: the customer's pending invoice items and tax IDs, which the previewed
  // invoice takes, in one statement (pageReads has read them already: then nothing is read here).
  await ctx.uow?.preloadCustomerObjects(ctx, PREVIEW_CUSTOMER_OBJECTS, [sub.customer]);
  if (scheduled) {
    // Nothing happens now: the engine's preview of the change as the schedule makes it at the period
    // end (no proration) is the next invoice: the renewal with the new plan, or, when the interval
    // changes, the new plan's first period from then.
    const invoice = await previewSubscriptionInvoice(
      ctx,
      sub.id,
      { items: [{ id: itemOf(sub).id, price: choice.price.id, quantity: choice.quantity }], proration_behavior: 'none' },
      { at: periodEnd },
    );
    return { invoice, dueNow: false, scheduled, trial, prorationDate: now, effectiveAt: periodEnd };
  }
  const req = changeRequest(config, sub, choice, now);
  const added = addedDiscount(choice);
  // A discount is previewed by really adding it in a transaction then rolled back: that writes, so it
  // runs on the database itself, not through a page's read cache.
  const invoice = added
    ? await dryRun(db, uncached(ctx), async (tx) => {
        await updateSubscription(tx, sub.id, { discounts: discountsWith(sub, added) });
        return previewSubscriptionInvoice(tx, sub.id, req);
      })
    : await previewSubscriptionInvoice(ctx, sub.id, req);
  return { invoice, dueNow: invoice.billing_reason === 'subscription_update', scheduled, trial, prorationDate: now, effectiveAt: null };
}

export type ChangeOutcome =
  | { kind: 'changed' | 'scheduled' | 'declined' }
  /** The bank asks to authenticate the payment of `invoice` with `paymentMethod`; the update is pending. */
  | { kind: 'requires_action'; invoice: string; paymentMethod: string };

/** Whether the invoice's payment attempt asked for authentication (3-D Secure): its event says so. */
async function askedForAuthentication(ctx: Ctx, invoiceId: string): Promise<boolean> {
  const row = await ctx.db
    .selectFrom('events')
    .select('id')
    .where('livemode', '=', ctx.livemode)
    .where('type', '=', 'invoice.payment_action_required')
    .where(sql<string>`data::jsonb->'data'->'object'->>'id'`, '=', invoiceId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Applies a reviewed choice in the caller's transaction, with its events: schedules it at the period
 * end, or updates the subscription now (`pending_if_incomplete`). `prorationDate` is the review's.
 * With a promotion code, a refused payment undoes the whole action (`UndoAction`).
 */
export async function applyChange(tx: Ctx, config: PortalConfiguration, sub: Subscription, choice: PlanChoice, prorationDate: number): Promise<ChangeOutcome> {
  if (schedulesAtPeriodEnd(config, sub, choice)) {
    await scheduleChange(tx, sub, choice);
    return { kind: 'scheduled' };
  }
  const added = addedDiscount(choice);
  if (added) await updateSubscription(tx, sub.id, { discounts: discountsWith(sub, added) });
  const after = await updateSubscription(tx, sub.id, { ...changeRequest(config, sub, choice, prorationDate), payment_behavior: 'pending_if_incomplete' });
  if (after.pending_update !== null && after.latest_invoice) {
    const invoice = typeof after.latest_invoice === 'string' ? after.latest_invoice : (after.latest_invoice as { id: string }).id;
    const authenticate = await askedForAuthentication(tx, invoice);
    if (added) throw new UndoAction(authenticate ? 'requires_action_discount' : 'declined');
    if (!authenticate) return { kind: 'declined' };
    const paymentMethod = await chargedPaymentMethod(tx, invoice, sub.customer);
    return paymentMethod === null ? { kind: 'declined' } : { kind: 'requires_action', invoice, paymentMethod };
  }
  return { kind: 'changed' };
}

/** The card an invoice's payment attempt used, in the engine's order: the invoice's defaults, else the customer's. */
async function chargedPaymentMethod(ctx: Ctx, invoiceId: string, customer: string): Promise<string | null> {
  const invoice = (await findObject<Invoice>(ctx, 'invoice', invoiceId))?.data;
  if (invoice?.default_payment_method) return invoice.default_payment_method;
  if (invoice?.default_source) return invoice.default_source;
  const found = (await findObject<Customer>(ctx, 'customer', customer))?.data;
  return found ? defaultCardOf(found) : null;
}

/** The portal's schedule: the current phase to the period end, then the new plan, then released. */
async function scheduleChange(ctx: Ctx, sub: Subscription, choice: PlanChoice): Promise<void> {
  const sched = await createSchedule(ctx, { from_subscription: sub.id });
  const current = sched.phases[0]!;
  await updateSchedule(ctx, sched.id, {
    metadata: { [PORTAL_SCHEDULE_KEY]: PORTAL_SCHEDULE_VALUE },
    end_behavior: 'release',
    phases: [
      { items: current.items.map((i) => ({ price: i.price, quantity: i.quantity })), start_date: current.start_date, end_date: current.end_date },
      { items: [{ price: choice.price.id, quantity: choice.quantity }], iterations: 1, proration_behavior: 'none' },
    ],
  });
}

/** Undoes a change the portal scheduled: its schedule is released, the subscription keeps its plan. */
export async function undoScheduledChange(ctx: Ctx, sub: Subscription): Promise<boolean> {
  const sched = await portalSchedule(ctx, sub);
  if (!sched) return false;
  await releaseSchedule(ctx, sched.id);
  return true;
}

/** The price a scheduled change moves to (for the home page's "Changes to … on …"). */
export async function priceOf(ctx: Ctx, id: string): Promise<Price | null> {
  return (await findObject<Price>(ctx, 'price', id))?.data ?? null;
}
