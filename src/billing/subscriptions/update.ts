/**
 * Changing a subscription (`POST /v1/subscriptions/:id`) and previewing a change
 * (`POST /v1/invoices/create_preview` with `subscription`). Both start from `computeChange`.
 *
 * Invariants:
 * - Runs at the subscription's time (its test clock's); locks the subscription row first.
 * - `create_prorations` (default) stores the proration lines as pending invoice items of the
 *   subscription, billed with the next renewal; `always_invoice` stores them and invoices them now
 *   (`subscription_update`, charged); `none` bills nothing for the change. A reset (interval change,
 *   `billing_cycle_anchor=now`, `trial_end=now`) always invoices the new period at once.
 * - A refused payment on such an invoice makes the subscription `past_due` (`allow_incomplete`), or,
 *   with `payment_behavior=error_if_incomplete`, answers 402 and keeps nothing.
 * - A canceled or expired subscription only accepts `metadata` and `cancellation_details`.
 * - `cancel_at_period_end=true` sets `cancel_at` to the period end and `canceled_at` to now; unsetting
 *   it (reactivation) clears both.
 * - One `customer.subscription.updated` with `previous_attributes` when anything visible changed.
 */
import { errors } from '../../lib/errors.ts';
import { mergeMetadata, p, type InferShape } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { emit } from '../../events/outbox.ts';
import { customerHooks } from '../customers.ts';
import { getFeedbackOption } from '../feedback-options.ts';
import { atClockTime, previewInvoice, type Invoice } from '../invoices/index.ts';
import { periodContaining } from '../periods.ts';
import { computeChange, type ChangeRequest } from './compute.ts';
import { cancelAtParam, itemParams, timestampOrNow, trialSettingsParam } from './create.ts';
import { applicableTaxRates } from '../tax-rates.ts';
import { addInvoiceItems, addInvoiceItemsParam } from './add-invoice-items.ts';
import { applyPendingItemInterval, pendingItemIntervalParam } from './pending-items-interval.ts';
import { anchorWord } from './pause.ts';
import { applyInvoiceSettings, applyPaymentSettings, invoiceSettingsParam, paymentSettingsParam, refusedSubscriptionParams } from './settings.ts';
import { currentPeriod, cycleLines } from './items.ts';
import { phaseAtRenewal } from '../subscription-schedules/phases.ts';
import {
  clone,
  createProrationItems,
  draftParams,
  issueInvoice,
  loadSubscription,
  paymentError,
  prorationInputs,
  saveSubscription,
  startDunning,
  withSubscriptionWork,
} from './status.ts';
import { FEEDBACK, type StoredSubscription, type Subscription } from './types.ts';
import { assertPendingParams, holdPendingUpdate } from './pending-update.ts';
import { discountsUpdateParam, replaceDiscounts } from './discounts.ts';
import { preloadSubscriptionInvoicingUpdate } from './preload.ts';

export const cancellationDetailsParam = p.object({
  comment: p.emptyable(p.string({ max: 5000 })),
  feedback: p.emptyable(p.enumOf(FEEDBACK)),
  feedback_option: p.emptyable(p.string({ max: 5000 })),
});

export const changeShape = {
  items: p.array(p.object({ ...itemParams, id: p.string(), deleted: p.boolean(), clear_usage: p.boolean() }), { max: 20 }),
  proration_behavior: p.enumOf(['always_invoice', 'create_prorations', 'none']),
  proration_date: p.timestamp(),
  billing_cycle_anchor: anchorWord,
};

export const subscriptionUpdateShape = {
  ...changeShape,
  ...refusedSubscriptionParams,
  add_invoice_items: addInvoiceItemsParam,
  automatic_tax: p.automaticTax(),
  collection_method: p.enumOf(['charge_automatically', 'send_invoice']),
  days_until_due: p.integer({ min: 0, max: 730 }),
  default_tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
  invoice_settings: invoiceSettingsParam,
  payment_settings: paymentSettingsParam,
  pending_invoice_item_interval: pendingItemIntervalParam,
  trial_from_plan: p.boolean(),
  cancel_at: p.emptyable(cancelAtParam),
  cancel_at_period_end: p.boolean(),
  cancellation_details: cancellationDetailsParam,
  default_payment_method: p.emptyable(p.string()),
  default_source: p.emptyable(p.string()),
  description: p.emptyable(p.string({ max: 500 })),
  metadata: p.metadata(),
  off_session: p.boolean(),
  pause_collection: p.emptyable(
    p.object({ behavior: p.enumOf(['keep_as_draft', 'mark_uncollectible', 'void']).req(), resumes_at: p.timestamp() }),
  ),
  payment_behavior: p.enumOf(['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete']),
  trial_end: timestampOrNow,
  trial_settings: trialSettingsParam,
  discounts: discountsUpdateParam,
};
export type SubscriptionUpdate = InferShape<typeof subscriptionUpdateShape>;

/** The refusal of a direct change to what a subscription schedule manages. */
export function scheduleManaged(schedule: string) {
  return errors.invalidRequest(
    `The subscription is managed by the subscription schedule \`${schedule}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
  );
}

const ENDED_ONLY = new Set(['metadata', 'cancellation_details']);

/** Sets the given `cancellation_details`; a `feedback_option` must be an active option of this mode. */
export async function applyCancellationDetails(ctx: Ctx, sub: Subscription, d: SubscriptionUpdate['cancellation_details']): Promise<void> {
  if (d === undefined) return;
  if (d.comment !== undefined) sub.cancellation_details.comment = d.comment;
  if (d.feedback !== undefined) sub.cancellation_details.feedback = d.feedback;
  if (d.feedback_option !== undefined) {
    if (d.feedback_option !== null) {
      const option = await getFeedbackOption(ctx, d.feedback_option, 'cancellation_details[feedback_option]');
      if (option.status !== 'active') {
        throw errors.invalidParam('cancellation_details[feedback_option]', `The feedback option ${option.id} is inactive.`);
      }
    }
    sub.cancellation_details.feedback_option = d.feedback_option;
  }
}

async function updateSubscriptionNow(base: Ctx, id: string, params: SubscriptionUpdate): Promise<Subscription> {
  const stored = await loadSubscription(base, id, 'id', true);
  if (params.proration_behavior === 'always_invoice' && params.items !== undefined) await preloadSubscriptionInvoicingUpdate(base, stored, params);
  const ctx = await atClockTime(base, stored.sub.test_clock);
  const now = ctx.clock.now();
  const before = structuredClone(stored.sub);
  const s = clone(stored);
  const sub = s.sub;
  // billing-status: pending_if_incomplete takes only what a pending update can hold (pending-update.ts).
  if (params.payment_behavior === 'pending_if_incomplete') assertPendingParams(params, sub);
  if (sub.schedule !== null && (params.cancel_at_period_end !== undefined || params.cancel_at !== undefined || params.items !== undefined)) {
    throw scheduleManaged(sub.schedule);
  }
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    const bad = Object.keys(params).find((k) => !ENDED_ONLY.has(k));
    if (bad) {
      throw errors.invalidRequest(
        'A canceled subscription can only update its cancellation_details and metadata.',
        bad,
      );
    }
  }
  sub.metadata = mergeMetadata(sub.metadata, params.metadata);
  await applyCancellationDetails(ctx, sub, params.cancellation_details);
  if (params.description !== undefined) sub.description = params.description;
  if (params.trial_settings !== undefined) {
    sub.trial_settings = { end_behavior: { billing_cycle_anchor: null, missing_payment_method: params.trial_settings.end_behavior.missing_payment_method } };
  }
  if (params.default_payment_method !== undefined) {
    if (params.default_payment_method !== null) {
      await customerHooks.assertOwnsPaymentMethod(ctx, sub.customer, params.default_payment_method, 'default_payment_method');
    }
    sub.default_payment_method = params.default_payment_method;
  }
  if (params.default_source !== undefined) {
    if (params.default_source !== null) await customerHooks.assertOwnsSource(ctx, sub.customer, params.default_source, 'default_source');
    sub.default_source = params.default_source;
  }
  if (params.pause_collection !== undefined) {
    const pc = params.pause_collection;
    if (pc?.resumes_at !== undefined && pc.resumes_at <= now) {
      throw errors.invalidParam('pause_collection[resumes_at]', 'resumes_at must be in the future.');
    }
    sub.pause_collection = pc === null ? null : { behavior: pc.behavior, resumes_at: pc.resumes_at ?? null };
  }

  sub.invoice_settings = applyInvoiceSettings(sub.invoice_settings, params.invoice_settings);
  sub.payment_settings = applyPaymentSettings(sub.payment_settings, params.payment_settings);
  applyCollection(sub, params);
  applyPendingItemInterval(sub, params.pending_invoice_item_interval, now);
  if (params.default_tax_rates !== undefined) {
    sub.default_tax_rates = params.default_tax_rates === null ? null : await applicableTaxRates(ctx, params.default_tax_rates, 'default_tax_rates');
  }
  if (params.discounts !== undefined) await replaceDiscounts(ctx, s, params.discounts);
  if (params.add_invoice_items) await addInvoiceItems(ctx, sub, params.add_invoice_items);

  const change = await computeChange(ctx, s, withPlanTrial(params, s, now), now);
  sub.items.data = change.items;
  s.priv.interval = change.interval;
  s.priv.interval_count = change.interval_count;
  if (change.reset) sub.billing_cycle_anchor = now;
  if (change.startsTrial) {
    sub.status = 'trialing';
    sub.trial_start = now;
  }
  if (change.endsTrial) {
    sub.trial_end = now;
    s.priv.trial_will_end_at = null;
    await emit(ctx, 'customer.subscription.trial_will_end', sub);
  } else if (change.period.end !== currentPeriod(stored.sub).end && (sub.status === 'trialing') && !change.reset) {
    // A trial moved (or started): it ends at the new period end, where billing resumes.
    sub.trial_end = change.period.end;
    sub.billing_cycle_anchor = change.period.end;
    const notice = change.period.end - 3 * 86_400;
    s.priv.trial_will_end_at = notice > now ? notice : null;
  }

  if (params.cancel_at_period_end !== undefined && params.cancel_at !== undefined) {
    throw errors.exclusive(['cancel_at', 'cancel_at_period_end']);
  }
  if (params.cancel_at_period_end === true) {
    sub.cancel_at_period_end = true;
    sub.cancel_at = change.period.end;
    sub.canceled_at = now;
    sub.cancellation_details.reason = 'cancellation_requested';
  } else if (params.cancel_at_period_end === false) {
    sub.cancel_at_period_end = false;
    sub.cancel_at = null;
    sub.canceled_at = null;
    sub.cancellation_details.reason = null;
  } else if (sub.cancel_at_period_end) {
    sub.cancel_at = change.period.end;
  }
  if (params.cancel_at !== undefined) {
    const cancelAt = params.cancel_at === 'period_end' ? change.period.end : params.cancel_at;
    if (cancelAt !== null && cancelAt <= now) throw errors.invalidParam('cancel_at', 'cancel_at must be in the future.');
    sub.cancel_at = cancelAt;
    sub.cancel_at_period_end = false;
    sub.canceled_at = cancelAt === null ? null : now;
    sub.cancellation_details.reason = cancelAt === null ? null : 'cancellation_requested';
  }

  if (change.prorations.length > 0) await createProrationItems(ctx, sub, change.prorations);
  if (change.invoiceNow) {
    const lines = change.reset ? await cycleLines(ctx, sub, change.period) : [];
    const { invoice, result, payment } = await issueInvoice(ctx, s, 'subscription_update', lines, change.period, {
      charge: true,
      offSession: params.off_session ?? true,
      ...(change.reset ? { recordPeriodStart: change.period.start, replacePeriod: true } : {}),
    });
    if (result === 'paid') {
      if (sub.status === 'trialing' || (sub.status === 'past_due' && s.priv.dunning_invoice === null)) sub.status = 'active';
    } else if (result === 'failed' || result === 'requires_action') {
      if (params.payment_behavior === 'error_if_incomplete') throw paymentError(payment);
      if (params.payment_behavior === 'pending_if_incomplete') {
        // billing-status: the change waits for its invoice's payment (pending-update.ts).
        const held = holdPendingUpdate(ctx, stored, s, invoice, params.metadata ?? undefined);
        await saveSubscription(ctx, before, held);
        return held.sub;
      }
      if (sub.status === 'trialing') sub.status = 'active';
      startDunning(s, invoice);
    } else if (sub.status === 'trialing') {
      sub.status = 'active';
    }
  } else if (change.endsTrial) {
    sub.status = 'active';
  }
  await saveSubscription(ctx, before, s);
  return sub;
}

/** `collection_method` / `days_until_due` on update: `send_invoice` needs days; charging takes none. */
function applyCollection(sub: Subscription, params: SubscriptionUpdate): void {
  if (params.collection_method === undefined && params.days_until_due === undefined) return;
  const method = params.collection_method ?? sub.collection_method;
  if (method === 'charge_automatically') {
    if (params.days_until_due !== undefined) {
      throw errors.invalidParam('days_until_due', 'days_until_due can only be set when collection_method is send_invoice.');
    }
    sub.days_until_due = null;
  } else {
    const days = params.days_until_due ?? sub.days_until_due;
    if (days === null) throw errors.missingParam('days_until_due');
    sub.days_until_due = days;
  }
  sub.collection_method = method;
}

/**
 * `trial_from_plan=true`: a trial of the items' prices' `trial_period_days` (the longest), from now,
 * as a `trial_end` would give (exclusive with `trial_end`).
 */
function withPlanTrial(params: SubscriptionUpdate, s: StoredSubscription, now: number): SubscriptionUpdate {
  if (params.trial_from_plan !== true) return params;
  if (params.trial_end !== undefined) throw errors.exclusive(['trial_from_plan', 'trial_end']);
  const days = Math.max(0, ...s.sub.items.data.map((i) => i.price.recurring?.trial_period_days ?? 0));
  return days === 0 ? params : { ...params, trial_end: now + days * 86_400 };
}

/**
 * The invoice a change would produce, computed by the same function as the change: with
 * `always_invoice` or a reset, the invoice made now; otherwise the next renewal invoice (the new
 * items' next period plus the prorations that would be pending).
 */
export interface PreviewOptions {
  /** Replaces the subscription's default tax rates for the preview. */
  default_tax_rates?: string[] | null;
  /** Replaces the subscription's discounts for the preview (redeemed inside the caller's rollback). */
  discounts?: { coupon?: string; promotion_code?: string; discount?: string }[] | null;
  metadata?: Record<string, string | null> | null;
  /** `recurring`: the next renewal's own lines only (no prorations, no pending items). */
  mode?: 'next' | 'recurring';
  /**
   * The change as made at this later time of the current period (a schedule's phase starting at the
   * period end): computed and invoiced at that time, as the schedule will make it.
   */
  at?: number;
  /**
   * No change is requested: the next renewal as the subscription's schedule makes it. A phase starting
   * at the period end is previewed as the change entering it then (schedules' `phaseAtRenewal`, what
   * the billing clock bills), with the phase's metadata.
   */
  followSchedule?: boolean;
}

export async function previewSubscriptionInvoice(base: Ctx, id: string, req: ChangeRequest, opts: PreviewOptions = {}): Promise<Invoice> {
  const stored = await loadSubscription(base, id, 'subscription');
  const clocked = await atClockTime(base, stored.sub.test_clock);
  if (stored.sub.status === 'canceled' || stored.sub.status === 'incomplete_expired') {
    throw errors.invalidRequest('The subscription has ended: there is no upcoming invoice to preview.', 'subscription', 'invoice_upcoming_none');
  }
  if (opts.followSchedule && opts.at === undefined) {
    const end = currentPeriod(stored.sub).end;
    const phase = end > clocked.clock.now() ? await phaseAtRenewal(clocked, stored, end) : null;
    if (phase) {
      const metadata = { ...phase.metadata, ...(opts.metadata ?? {}) };
      return previewSubscriptionInvoice(base, id, phase.req, { ...opts, followSchedule: false, at: end, metadata });
    }
  }
  const at = opts.at;
  if (at !== undefined && (at < clocked.clock.now() || at > currentPeriod(stored.sub).end)) {
    throw new Error(`previewSubscriptionInvoice: ${at} is outside the rest of the current period`);
  }
  const ctx: Ctx = at === undefined ? clocked : { ...clocked, clock: { now: () => at } };
  const now = ctx.clock.now();
  const s: StoredSubscription = clone(stored);
  if (opts.default_tax_rates !== undefined) {
    s.sub.default_tax_rates = opts.default_tax_rates === null ? null : await applicableTaxRates(ctx, opts.default_tax_rates, 'subscription_details[default_tax_rates]');
  }
  if (opts.discounts !== undefined) await replaceDiscounts(ctx, s, opts.discounts);
  if (opts.metadata !== undefined) s.sub.metadata = mergeMetadata(s.sub.metadata, opts.metadata);
  const change = await computeChange(ctx, s, req, now);
  s.sub.items.data = change.items;
  const recurring = opts.mode === 'recurring';
  const prorations = recurring ? [] : prorationInputs(s.sub, change.prorations);
  // A reset at a later time (a schedule's phase at the period end) is the next invoice, recurring too.
  if (change.invoiceNow && (!recurring || (change.reset && at !== undefined))) {
    const lines = [...(change.reset ? await cycleLines(ctx, s.sub, change.period) : []), ...prorations];
    const params = await draftParams(ctx, s, now, 'subscription_update', lines, change.period, false);
    return previewInvoice(ctx, recurring ? { ...params, include_pending_items: false } : params);
  }
  const anchor = change.reset ? now : s.sub.billing_cycle_anchor;
  const start = currentPeriod(s.sub).end;
  const trial = s.sub.status === 'trialing' || change.startsTrial;
  const next = trial ? periodContaining(start, change.interval, change.interval_count, start) : periodContaining(anchor, change.interval, change.interval_count, start);
  const lines = [...(await cycleLines(ctx, s.sub, next)), ...prorations];
  const params = await draftParams(ctx, s, next.start, 'subscription_cycle', lines, next, false);
  return previewInvoice(ctx, recurring ? { ...params, include_pending_items: false } : params);
}

/** See the module comment; runs as subscription work (the invoice-paid hook stays out). */
export function updateSubscription(base: Ctx, id: string, params: SubscriptionUpdate): Promise<Subscription> {
  return withSubscriptionWork(base, () => updateSubscriptionNow(base, id, params));
}
