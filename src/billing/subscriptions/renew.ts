/**
 * The billing clock's work on a subscription (due handler for object type `subscription`).
 *
 * Invariants:
 * - Runs in the claim transaction at the due time (`ctx.clock`); it handles everything due by then,
 *   one period at most per run, and returns the next due time (`nextDue`); it never writes its own
 *   row's `due_at`.
 * - Order of work at one instant: payment state (the invoice it waits on: paid → `active`; its next
 *   automatic attempt when due; no attempt left → the account's setting: `canceled` (reason
 *   `payment_failed`), `unpaid` or `past_due`, see dunning.ts), a `send_invoice` invoice's due date
 *   (`invoice.overdue`, dunning.ts), a pending update paid or expired (pending-update.ts), incomplete
 *   expiry (23 h: `incomplete_expired`, its invoice voided), the `trial_will_end` and `invoice.upcoming`
 *   notices (upcoming.ts), then the
 *   period boundary: `cancel_at` reached → `canceled` (`customer.subscription.deleted`, no renewal);
 *   trial end (without a payment method: `paused` or `canceled` as `trial_settings` says, pause.ts) or
 *   period end (never while `paused`, nor before its schedule acted on a phase end due by then) → the
 *   next period, invoiced (`subscription_cycle`) with its
 *   pending proration items and charged off-session: paid → `active`, refused → `past_due`; while
 *   `unpaid` the invoice is a draft left alone (dunning.ts).
 * - Each period is invoiced exactly once: its row in `billing_periods` is inserted with the invoice in
 *   the same transaction, and the primary key refuses a second one.
 * - It runs in the billing clock's unit of work (billing-clock.ts, storage/unit-of-work.ts): objects are
 *   read and written through storage/objects.ts, events through the outbox, periods through
 *   `recordPeriod`, all written with the batch. Code here must not query `objects` by anything but id
 *   (lists settle the unit first: correct, but a round trip per renewal); what a batch needs is read
 *   up front by preload.ts. A renewal may run twice in its transaction (after a rollback): no effects
 *   outside it.
 */
import type { Ctx } from '../../storage/context.ts';
import { findObject, type StoredObject } from '../../storage/objects.ts';
import { emit } from '../../events/outbox.ts';
import { registerDueHandler } from '../billing-clock.ts';
import { attemptInvoicePayment, getInvoice, previewInvoice, voidInvoice, type Invoice } from '../invoices/index.ts';
import { phaseAtRenewal } from '../subscription-schedules/phases.ts';
import { previewSubscriptionInvoice } from './update.ts';
import { periodContaining } from '../periods.ts';
import { currentPeriod, cycleLines, setPeriod } from './items.ts';
import { preloadRenewals } from './preload.ts';
import {
  clone,
  draftParams,
  issueInvoice,
  loadSubscription,
  markCanceled,
  nextDue,
  saveSubscription,
  startDunning,
  syncWithInvoice,
  withSubscriptionWork,
} from './status.ts';
import type { StoredSubscription, Subscription, SubscriptionPrivate } from './types.ts';
import { checkOverdue, endDunning, forgetDeletedDraft, issueUnpaidInvoice, watchSendInvoice } from './dunning.ts';
import { endTrialWithoutPaymentMethod, resumeWhenDue } from './pause.ts';
import { settlePendingUpdate } from './pending-update.ts';
import { billPendingItems } from './pending-items-interval.ts';
import { renewalAt, renewsAutomatically } from './upcoming.ts';

/** Retries the awaited invoice when its attempt is due, then aligns the status; true if canceled. */
async function collect(ctx: Ctx, s: StoredSubscription, now: number): Promise<boolean> {
  const id = s.priv.dunning_invoice;
  if (id === null) return false;
  const invoice = await getInvoice(ctx, id);
  if (
    s.sub.status !== 'incomplete' &&
    invoice.status === 'open' &&
    invoice.next_payment_attempt !== null &&
    invoice.next_payment_attempt <= now &&
    s.sub.pause_collection === null
  ) {
    await attemptInvoicePayment(ctx, id, { offSession: true });
  }
  const state = await syncWithInvoice(ctx, s);
  if (state !== 'failed') return false;
  // billing-status: the account's setting decides (cancel, unpaid or past_due; dunning.ts).
  return endDunning(ctx, s, now);
}

/** Sends the notice when it is due (billing clock, at `now`) and the renewal still stands. */
async function sendUpcomingNotice(ctx: Ctx, s: StoredSubscription, now: number): Promise<void> {
  const due = s.priv.upcoming_notice_at ?? null;
  if (due === null || due > now) return;
  s.priv.upcoming_notice_at = null;
  const at = renewalAt(s);
  // A notice the clock reaches only when the renewal itself is due (a worker that was down) is moot.
  if (at === null || at <= now || at !== s.priv.upcoming_for || !renewsAutomatically(s, at)) return;
  // A schedule's phase starting then: the invoice that entering it makes (the change at that time).
  const phase = await phaseAtRenewal(ctx, s, at);
  const invoice = phase ? await previewSubscriptionInvoice(ctx, s.sub.id, phase.req, { at, metadata: phase.metadata }) : await renewalPreview(ctx, s, at);
  await emit(ctx, 'invoice.upcoming', invoice);
}

/** The invoice the renewal at `at` makes, as things stand. */
async function renewalPreview(ctx: Ctx, s: StoredSubscription, at: number): Promise<Invoice> {
  const { sub, priv } = s;
  // The period the renewal starts: after a trial, counted from the trial end; else from the anchor.
  const next =
    sub.status === 'trialing'
      ? periodContaining(at, priv.interval, priv.interval_count, at)
      : periodContaining(sub.billing_cycle_anchor, priv.interval, priv.interval_count, at);
  const lines = await cycleLines(ctx, sub, next);
  return previewInvoice(ctx, await draftParams(ctx, s, next.start, 'subscription_cycle', lines, next, false));
}

/** Starts the next period at `start` and invoices it. */
async function renew(ctx: Ctx, s: StoredSubscription, start: number): Promise<void> {
  // Boundaries are counted from the anchor (a clamped Jan 31 comes back on Mar 31).
  const { end } = periodContaining(s.sub.billing_cycle_anchor, s.priv.interval, s.priv.interval_count, start);
  const period = { start, end };
  setPeriod(s.sub, period);
  const lines = await cycleLines(ctx, s.sub, period);
  // billing-status: an unpaid subscription's renewals are drafts left alone (dunning.ts).
  const { invoice, result } =
    s.sub.status === 'unpaid'
      ? await issueUnpaidInvoice(ctx, s, lines, period)
      : await issueInvoice(ctx, s, 'subscription_cycle', lines, period, {
          charge: true,
          offSession: true,
          recordPeriodStart: start,
        });
  if (result === 'open') watchSendInvoice(s, invoice); // billing-status: send_invoice due dates
  if (result === 'paid') {
    if (s.priv.dunning_invoice === null) s.sub.status = 'active';
  } else if (result === 'failed' || result === 'requires_action') {
    startDunning(s, invoice);
  } else if (s.sub.status === 'trialing') {
    s.sub.status = 'active';
  }
}

/**
 * Whether the subscription's schedule has a phase end at or before the renewal at `at` still to act on
 * (due a second before it, schedules/index.ts). The billing clock's real-time worker runs a
 * subscription at its own time, so a subscription due earlier (its `invoice.upcoming` notice) may
 * reach a renewal the schedule changes or replaces (a new interval's cycle, a cancel) before the
 * schedule's run: the renewal then waits for the subscription's next run, after the schedule's.
 */
async function scheduleGoesFirst(ctx: Ctx, s: StoredSubscription, at: number): Promise<boolean> {
  if (s.sub.schedule === null) return false;
  const found = await findObject<{ status: string; current_phase: { end_date: number } | null }>(ctx, 'subscription_schedule', s.sub.schedule);
  const phase = found?.data.status === 'active' ? found.data.current_phase : null;
  return phase !== null && phase !== undefined && phase.end_date <= at;
}

/**
 * Runs what is due for the subscription at `ctx.clock.now()`; returns its next due time. `claimed`:
 * `row` is the subscription row as the billing clock claimed it (`FOR UPDATE`, in ctx's transaction),
 * so it is current and locked and is used as is instead of being read and locked again.
 */
export async function runSubscription(ctx: Ctx, row: StoredObject, opts: { claimed?: boolean } = {}): Promise<number | null> {
  if (opts.claimed && row.deleted) return null;
  const stored: StoredSubscription = opts.claimed
    ? { sub: row.data as unknown as Subscription, priv: row.private as unknown as SubscriptionPrivate }
    : await loadSubscription(ctx, row.id, 'id', true);
  const before: Subscription = structuredClone(stored.sub);
  const s = clone(stored);
  const now = ctx.clock.now();
  if (s.sub.status === 'canceled' || s.sub.status === 'incomplete_expired') return null;
  // billing-status: a pause for a duration ends by itself (pause.ts), unless it is canceled first.
  if (s.sub.status === 'paused' && (s.sub.cancel_at === null || s.sub.cancel_at > now)) {
    const resumed = await resumeWhenDue(ctx, s, now);
    if (resumed) return nextDue(resumed, now);
  }
  await forgetDeletedDraft(ctx, s); // billing-status: an unpaid renewal draft may have been deleted
  let deleted = await collect(ctx, s, now);
  // billing-status: send_invoice due dates (dunning.ts) and pending updates (pending-update.ts).
  if (!deleted) deleted = await checkOverdue(ctx, s, now);
  if (!deleted) await settlePendingUpdate(ctx, s, now);
  const resumesAt = s.sub.pause_collection?.resumes_at ?? null;
  if (resumesAt !== null && resumesAt <= now) s.sub.pause_collection = null;

  if (!deleted && s.sub.status === 'incomplete') {
    if (s.priv.incomplete_expires_at !== null && s.priv.incomplete_expires_at <= now) {
      const invoice = s.priv.dunning_invoice ? await getInvoice(ctx, s.priv.dunning_invoice) : null;
      if (invoice && (invoice.status === 'open' || invoice.status === 'uncollectible')) await voidInvoice(ctx, invoice.id);
      s.sub.status = 'incomplete_expired';
      s.sub.ended_at = now;
      s.priv.dunning_invoice = null;
      s.priv.dunning_next_attempt = null;
      s.priv.incomplete_expires_at = null;
    }
    await saveSubscription(ctx, before, s, { fromDueHandler: true });
    return nextDue(s, now);
  }
  if (!deleted && s.sub.status === 'trialing' && s.priv.trial_will_end_at !== null && s.priv.trial_will_end_at <= now) {
    s.priv.trial_will_end_at = null;
    await emit(ctx, 'customer.subscription.trial_will_end', s.sub);
  }
  if (!deleted) await sendUpcomingNotice(ctx, s, now);
  if (!deleted && s.sub.cancel_at !== null && s.sub.cancel_at <= now) {
    markCanceled(s, s.sub.cancel_at, 'cancellation_requested');
    deleted = true;
  }
  if (!deleted) {
    if (s.sub.status === 'trialing' && s.sub.trial_end !== null && s.sub.trial_end <= now) {
      // billing-status: trial_settings.end_behavior.missing_payment_method (pause.ts).
      const ended = await endTrialWithoutPaymentMethod(ctx, s, now);
      if (ended === 'canceled') deleted = true;
      else if (ended === null) {
        await renew(ctx, s, s.sub.trial_end);
        if (s.sub.status === 'trialing') s.sub.status = 'active';
      }
    } else if (s.sub.status !== 'trialing' && s.sub.status !== 'paused' && currentPeriod(s.sub).end <= now) {
      if (!(await scheduleGoesFirst(ctx, s, currentPeriod(s.sub).end))) await renew(ctx, s, currentPeriod(s.sub).end);
    }
  }
  // pending_invoice_item_interval: after the renewal, which takes the items first (pending-items-interval.ts).
  if (!deleted) await billPendingItems(ctx, s, now);
  await saveSubscription(ctx, before, s, { fromDueHandler: true, ...(deleted ? { event: 'customer.subscription.deleted' as const } : {}) });
  return nextDue(s, now);
}

registerDueHandler('subscription', (ctx, row) => withSubscriptionWork(ctx, () => runSubscription(ctx, row, { claimed: true })), {
  unitOfWork: { preload: preloadRenewals },
});
