/**
 * Ending a subscription now (`DELETE /v1/subscriptions/:id`), and when its customer is deleted.
 *
 * Invariants:
 * - Status becomes `canceled` with `ended_at` = `canceled_at` = now (the subscription's time), reason
 *   `cancellation_requested`, and `customer.subscription.deleted` is emitted; nothing renews it again.
 * - `prorate=true` stores a credit for the unused time of every item as pending proration items;
 *   `invoice_now=true` invoices the subscription's pending items (those credits included) at once in a
 *   final invoice (a negative total becomes customer credit at finalization).
 * - An ended subscription cannot be canceled again (400).
 */
import { ApiError, errors } from '../../lib/errors.ts';
import { p, type InferShape } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { listObjects } from '../../storage/objects.ts';
import { sql } from 'kysely';
import { customerDeletionHooks } from '../customers.ts';
import { paymentMethodDetachHooks } from '../payment-methods.ts';
import { atClockTime } from '../invoices/index.ts';
import { prorationItems, type ProratedItem } from '../proration.ts';
import { currentPeriod } from './items.ts';
import { discountedProratedItems } from './proration-discounts.ts';
import {
  OBJECT,
  clone,
  createProrationItems,
  issueInvoice,
  loadSubscription,
  markCanceled,
  saveSubscription,
  withSubscriptionWork,
} from './status.ts';
import type { Subscription } from './types.ts';
import { applyCancellationDetails, cancellationDetailsParam, scheduleManaged } from './update.ts';

export const subscriptionCancelShape = {
  cancellation_details: cancellationDetailsParam,
  invoice_now: p.boolean(),
  prorate: p.boolean(),
};
export type SubscriptionCancel = InferShape<typeof subscriptionCancelShape>;

async function cancelSubscriptionNow(
  base: Ctx,
  id: string,
  params: SubscriptionCancel,
  opts: { clockTime?: boolean; bySchedule?: boolean } = {},
): Promise<Subscription> {
  const stored = await loadSubscription(base, id, 'id', true);
  // The schedule itself, and a customer's deletion (clockTime false), may end a managed subscription.
  if (stored.sub.schedule !== null && !opts.bySchedule && opts.clockTime !== false) throw scheduleManaged(stored.sub.schedule);
  // A customer deleted with its test clock is canceled at the caller's time (the clock is going away).
  const ctx = opts.clockTime === false ? base : await atClockTime(base, stored.sub.test_clock);
  const now = ctx.clock.now();
  if (stored.sub.status === 'canceled' || stored.sub.status === 'incomplete_expired') {
    throw errors.invalidRequest(`The subscription ${id} has already ended and cannot be canceled.`, undefined, 'subscription_canceled');
  }
  const before = structuredClone(stored.sub);
  const s = clone(stored);
  await applyCancellationDetails(ctx, s.sub, params.cancellation_details);
  if (params.prorate && s.sub.status !== 'trialing') {
    const period = currentPeriod(s.sub);
    if (now < period.end) {
      const removed: ProratedItem[] = [...(await discountedProratedItems(ctx, s, s.sub.items.data, { at: now, billedFrom: period.start })).values()];
      const credits = prorationItems({ periodStart: period.start, periodEnd: period.end, prorationDate: now, removed, added: [] });
      await createProrationItems(ctx, s.sub, credits);
    }
  }
  markCanceled(s, now, 'cancellation_requested');
  s.sub.canceled_at = now;
  if (params.invoice_now) {
    await issueInvoice(ctx, s, 'subscription_update', [], { start: now, end: now }, { charge: true, offSession: true });
  }
  await saveSubscription(ctx, before, s, { event: 'customer.subscription.deleted' });
  return s.sub;
}

/**
 * The hooks below run with the customer row already locked by their caller (customer deletion,
 * payment-method detach), i.e. against the lock order (subscription, then customer, then invoice) the
 * billing clock follows: it claims a subscription and then locks its customer to invoice it. Waiting
 * for the subscription here could deadlock with it, so they take each subscription row with NOWAIT and,
 * when it is busy, fail the whole request with a retryable 409 `lock_timeout` (Stripe's code for an
 * object another request or process is working on); the transaction rolls back, releasing the customer.
 */
function subscriptionBusy(id: string): ApiError {
  return new ApiError(409, {
    type: 'invalid_request_error',
    code: 'lock_timeout',
    doc_url: 'https://docs.stripe.com/error-codes/lock-timeout',
    message: `This object cannot be accessed right now because another API request or the billing clock is currently accessing it (subscription ${id}). If you see this error intermittently, retry the request.`,
  });
}

/** Locks the subscription row without waiting (see above); throws `subscriptionBusy` when it is taken. */
export async function lockSubscriptionNoWait(ctx: Ctx, id: string): Promise<void> {
  if (!ctx.db.isTransaction) return;
  try {
    await ctx.db
      .selectFrom('objects')
      .select('id')
      .where('livemode', '=', ctx.livemode)
      .where('object', '=', OBJECT)
      .where('id', '=', id)
      .forUpdate()
      .noWait()
      .execute();
  } catch (e) {
    // 55P03 lock_not_available
    if ((e as { code?: unknown }).code === '55P03') throw subscriptionBusy(id);
    throw e;
  }
}

// Detaching a subscription's default payment method (or deleting its default card source) clears it
// (its invoices fall back to the customer's).
paymentMethodDetachHooks.push(async (ctx, pm, formerCustomer) => {
  const page = await listObjects<Subscription>(ctx, OBJECT, {
    limit: 100,
    where: (q) =>
      q
        .where('customer', '=', formerCustomer)
        .where((eb) => eb.or([eb(sql<string>`data->>'default_payment_method'`, '=', pm.id), eb(sql<string>`data->>'default_source'`, '=', pm.id)])),
  });
  for (const row of page.data) {
    await lockSubscriptionNoWait(ctx, row.id);
    await withSubscriptionWork(ctx, async () => {
      const stored = await loadSubscription(ctx, row.id, 'id', true);
      const after = clone(stored);
      if (after.sub.default_payment_method === pm.id) after.sub.default_payment_method = null;
      if (after.sub.default_source === pm.id) after.sub.default_source = null;
      await saveSubscription(ctx, stored.sub, after);
    });
  }
});

// Deleting a customer cancels its subscriptions that have not ended.
customerDeletionHooks.push(async (ctx, customer) => {
  for (;;) {
    const page = await listObjects<Subscription>(ctx, OBJECT, {
      limit: 100,
      // Live subscriptions have a due time, except paused ones (pause.ts): those are live too.
      where: (q) =>
        q
          .where('customer', '=', customer.id)
          .where((eb) => eb.or([eb('due_at', 'is not', null), eb(sql<string>`data->>'status'`, '=', 'paused')])),
    });
    const live = page.data.filter((r) => r.data.status !== 'canceled' && r.data.status !== 'incomplete_expired');
    for (const row of live) {
      await lockSubscriptionNoWait(ctx, row.id);
      await cancelSubscription(ctx, row.id, {}, { clockTime: false });
    }
    if (live.length === 0 || !page.has_more) return;
  }
});

/** See the module comment; runs as subscription work (the invoice-paid hook stays out). */
export function cancelSubscription(
  base: Ctx,
  id: string,
  params: SubscriptionCancel,
  opts: { clockTime?: boolean; bySchedule?: boolean } = {},
): Promise<Subscription> {
  return withSubscriptionWork(base, () => cancelSubscriptionNow(base, id, params, opts));
}
