/**
 * Ending a subscription from the portal, taking it back, and the retention offer (no HTTP).
 *
 * Invariants:
 * - `mode=at_period_end` sets `cancel_at_period_end` (access lasts to the period end);
 *   `immediately` cancels now, with the configured `proration_behavior`: `none` (no credit),
 *   `create_prorations` (a credit for the unused time, pending), `always_invoice` (that credit
 *   invoiced at once). Both through the engine, as `POST /v1/subscriptions/:id` and `DELETE` do.
 * - The reason is one of the configured options (`feedback`) or one of the business's active
 *   `billing.feedback_option`s the configuration names (`feedback_option`), else dropped; the comment
 *   is at most 5,000 characters; all stored in `cancellation_details` like Stripe's portal.
 * - Renew: until the period ends, a subscription set to cancel at the period end can be taken back.
 * - Retention: the flow's coupon is offered only when it can still be redeemed, applies to this
 *   subscription's currency, and the customer has never had it; accepting adds it to the
 *   subscription's discounts (`customer.discount.created`).
 */
import { sql } from 'kysely';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import { couponIsValid, type Coupon } from '../../billing/coupons.ts';
import { activeFeedbackOptions, type FeedbackOption } from '../../billing/feedback-options.ts';
import { cancelSubscription, updateSubscription, type Subscription } from '../../billing/subscriptions/index.ts';
import type { PortalConfiguration } from '../configurations/index.ts';
import type { CancellationReason } from '../configurations/types.ts';

export interface CancelInput {
  reason: string | undefined;
  comment: string | undefined;
}

export const COMMENT_MAX = 5000;

export interface PortalCancellationDetails {
  feedback?: CancellationReason;
  feedback_option?: string;
  comment?: string;
}

/** The business's own reasons the configuration offers (active `billing.feedback_option`s, in its order). */
export function customReasons(ctx: Ctx, config: PortalConfiguration): Promise<FeedbackOption[]> {
  const r = config.features.subscription_cancel.cancellation_reason;
  return r.enabled ? activeFeedbackOptions(ctx, r.feedback_options ?? []) : Promise.resolve([]);
}

/**
 * The reason and comment as they are stored: a configured reason (`feedback`) or one of the
 * business's active options (`feedback_option`), else none; a trimmed, bounded comment.
 */
export async function cancellationDetails(ctx: Ctx, config: PortalConfiguration, input: CancelInput): Promise<PortalCancellationDetails> {
  const r = config.features.subscription_cancel.cancellation_reason;
  const out: PortalCancellationDetails = {};
  if (!r.enabled) return out;
  const reason = r.options.find((o) => o === input.reason);
  if (reason) out.feedback = reason;
  else if (input.reason?.startsWith('fo_')) {
    const custom = (await customReasons(ctx, config)).find((o) => o.id === input.reason);
    if (custom) out.feedback_option = custom.id;
  }
  const comment = input.comment?.trim().slice(0, COMMENT_MAX);
  if (comment) out.comment = comment;
  return out;
}

/** Cancels `sub` as the configuration says (in the caller's transaction); the date access ends. */
export async function cancelFromPortal(ctx: Ctx, config: PortalConfiguration, sub: Subscription, input: CancelInput): Promise<number> {
  const c = config.features.subscription_cancel;
  const cancellation_details = await cancellationDetails(ctx, config, input);
  if (c.mode === 'at_period_end') {
    const after = await updateSubscription(ctx, sub.id, { cancel_at_period_end: true, cancellation_details });
    return after.cancel_at ?? after.items.data[0]!.current_period_end;
  }
  const after = await cancelSubscription(ctx, sub.id, {
    cancellation_details,
    prorate: c.proration_behavior !== 'none',
    invoice_now: c.proration_behavior === 'always_invoice',
  });
  return after.ended_at ?? after.canceled_at ?? ctx.clock.now();
}

/** Whether `sub` can be renewed: set to cancel at its period end, which has not come. */
export function canRenew(sub: Subscription): boolean {
  return sub.cancel_at_period_end && sub.status !== 'canceled' && sub.status !== 'incomplete_expired' && sub.schedule === null;
}

/** Takes back a cancellation at period end (in the caller's transaction). */
export async function renewFromPortal(ctx: Ctx, sub: Subscription): Promise<void> {
  await updateSubscription(ctx, sub.id, { cancel_at_period_end: false });
}

/** The retention coupon to offer before canceling `sub`, or null when it cannot be offered. */
export async function retentionCoupon(ctx: Ctx, sub: Subscription, couponId: string): Promise<Coupon | null> {
  const found = await findObject<Coupon>(ctx, 'coupon', couponId);
  if (!found || !couponIsValid(ctx, found.data)) return null;
  const c = found.data;
  if (c.amount_off !== null && c.currency !== sub.currency && !c.currency_options?.[sub.currency]) return null;
  if (sub.discounts.length > 0) {
    // Already on this subscription (or any discount: the offer would replace nothing).
    for (const id of sub.discounts) {
      const d = await findObject<{ source: { coupon: string } }>(ctx, 'discount', id);
      if (d?.data.source.coupon === c.id) return null;
    }
  }
  const used = await ctx.db
    .selectFrom('objects')
    .select('id')
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', 'discount')
    .where('customer', '=', sub.customer)
    .where(sql<string>`data::jsonb->'source'->>'coupon'`, '=', c.id)
    .executeTakeFirst();
  return used ? null : c;
}

/** Accepts the retention offer: the coupon joins the subscription's discounts (caller's transaction). */
export async function acceptRetention(ctx: Ctx, sub: Subscription, coupon: Coupon): Promise<void> {
  await updateSubscription(ctx, sub.id, { discounts: [...sub.discounts.map((id) => ({ discount: id })), { coupon: coupon.id }] });
}
