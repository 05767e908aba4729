/**
 * The `paused` status: a trial that ends without a payment method under
 * `trial_settings.end_behavior.missing_payment_method`, and `POST /v1/subscriptions/:id/resume`.
 *
 * Invariants:
 * - At trial end with no payment method (the subscription's `default_payment_method`, else the
 *   customer's `invoice_settings.default_payment_method`): `create_invoice` (default) invoices as
 *   usual; `pause` → `paused`, no invoice, `customer.subscription.paused`; `cancel` → `canceled` at the
 *   trial end. With a payment method the trial ends as usual whatever the setting.
 * - A paused subscription is never renewed by the clock (status.ts `nextDue` gives only `cancel_at`).
 *   Its items keep the trial period until it resumes. This is not `pause_collection` (which keeps the
 *   status and invoices).
 * - Resume (only from `paused`, else 400): `billing_cycle_anchor` `now` (default) starts a new period
 *   now, invoiced and charged at once; `unchanged` keeps the anchor and the period containing now, with
 *   `proration_behavior` `create_prorations` (default: a pending charge for the remaining time, billed at
 *   the next renewal), `always_invoice` (that charge invoiced now) or `none`. A refused payment: with
 *   `payment_behavior=resume_on_payment_attempt` (default) → `past_due` (dunning as usual); with
 *   `resume_on_payment_success` → stays `paused`, its invoice awaited (paying it activates).
 * - Events: `customer.subscription.updated` (previous_attributes) and `customer.subscription.resumed`.
 */
import { errors } from '../../lib/errors.ts';
import { p, type InferShape, type Schema } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { emit } from '../../events/outbox.ts';
import { getCustomer } from '../customers.ts';
import { atClockTime, invoicePaidHooks } from '../invoices/index.ts';
import { addInterval, periodContaining } from '../periods.ts';
import { prorationItems, type ProratedItem } from '../proration.ts';
import { watchSendInvoice } from './dunning.ts';
import { currentPeriod, cycleLines, setPeriod } from './items.ts';
import { discountedProratedItems } from './proration-discounts.ts';
import {
  clone,
  createProrationItems,
  issueInvoice,
  loadSubscription,
  markCanceled,
  paidInvoiceSubscription,
  saveSubscription,
  startDunning,
  withSubscriptionWork,
} from './status.ts';
import type { StoredSubscription, Subscription } from './types.ts';

/** Whether an invoice of the subscription would have a payment method to charge. */
async function hasPaymentMethod(ctx: Ctx, sub: Subscription): Promise<boolean> {
  if (sub.default_payment_method !== null || sub.default_source !== null) return true;
  const customer = await getCustomer(ctx, sub.customer);
  return customer.invoice_settings.default_payment_method !== null || customer.default_source !== null;
}

/**
 * The trial of `s` ends now: applies `missing_payment_method` when there is no payment method.
 * Returns `paused` or `canceled` when it did (the caller saves), null when the trial ends as usual.
 */
export async function endTrialWithoutPaymentMethod(ctx: Ctx, s: StoredSubscription, now: number): Promise<'paused' | 'canceled' | null> {
  const behavior = s.sub.trial_settings.end_behavior.missing_payment_method;
  if (behavior === 'create_invoice' || (await hasPaymentMethod(ctx, s.sub))) return null;
  s.priv.trial_will_end_at = null;
  if (behavior === 'cancel') {
    markCanceled(s, s.sub.trial_end ?? now, 'cancellation_requested');
    return 'canceled';
  }
  s.sub.status = 'paused';
  await emit(ctx, 'customer.subscription.paused', s.sub);
  return 'paused';
}

/** `billing_cycle_anchor`: `now`/`unchanged`, as a word or as `{type}` (stripe-node 23 sends `[type]`). */
export const anchorWord: Schema<'now' | 'unchanged'> = {
  required: false,
  parse: (value, path) => {
    const word = p.enumOf(['now', 'unchanged']);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      const bad = keys.find((k) => k !== 'type');
      if (bad) throw errors.unknownParam(`${path}[${bad}]`);
      const type = (value as Record<string, unknown>)['type'];
      if (type === undefined) throw errors.missingParam(`${path}[type]`);
      return word.parse(type, `${path}[type]`);
    }
    return word.parse(value, path);
  },
};

export const subscriptionResumeShape = {
  billing_cycle_anchor: anchorWord,
  payment_behavior: p.enumOf(['resume_on_payment_attempt', 'resume_on_payment_success']),
  proration_behavior: p.enumOf(['always_invoice', 'create_prorations', 'none']),
  proration_date: p.timestamp(),
};
export type SubscriptionResume = InferShape<typeof subscriptionResumeShape>;

async function resumeNow(base: Ctx, id: string, params: SubscriptionResume): Promise<Subscription> {
  const stored = await loadSubscription(base, id, 'id', true);
  const ctx = await atClockTime(base, stored.sub.test_clock);
  return (await resumeStored(ctx, stored, params, false)).sub;
}

/**
 * Resumes the locked, loaded `stored` at the subscription's clock time (`ctx`); saves and emits.
 * `fromDueHandler`: the billing clock runs it and writes the due time itself.
 */
async function resumeStored(ctx: Ctx, stored: StoredSubscription, params: SubscriptionResume, fromDueHandler: boolean): Promise<StoredSubscription> {
  const id = stored.sub.id;
  const now = ctx.clock.now();
  if (stored.sub.status !== 'paused') {
    throw errors.invalidRequest(
      `Only a subscription with status \`paused\` can be resumed; ${id} is ${stored.sub.status}.`,
      undefined,
      'subscription_not_paused',
    );
  }
  const before = structuredClone(stored.sub);
  const s = clone(stored);
  s.priv.resume_at = null;
  const { interval, interval_count } = s.priv;
  const anchorMode = params.billing_cycle_anchor ?? 'now';
  let result: 'paid' | 'failed' | 'requires_action' | 'open' | 'draft' | 'none' = 'none';
  let invoice = null;
  if (anchorMode === 'now') {
    const period = { start: now, end: addInterval(now, interval, interval_count, 1) };
    s.sub.billing_cycle_anchor = now;
    setPeriod(s.sub, period);
    const lines = await cycleLines(ctx, s.sub, period);
    ({ invoice, result } = await issueInvoice(ctx, s, 'subscription_update', lines, period, {
      charge: true,
      offSession: true,
      recordPeriodStart: period.start,
      replacePeriod: true,
    }));
  } else {
    const period = periodContaining(s.sub.billing_cycle_anchor, interval, interval_count, Math.max(now, s.sub.billing_cycle_anchor));
    setPeriod(s.sub, period);
    const at = params.proration_date ?? now;
    if (at < period.start || at > period.end) {
      throw errors.invalidParam('proration_date', 'proration_date must be within the current billing period of the subscription.');
    }
    const behavior = params.proration_behavior ?? 'create_prorations';
    if (behavior !== 'none' && at < period.end) {
      const added: ProratedItem[] = [...(await discountedProratedItems(ctx, s, s.sub.items.data, { at })).values()];
      await createProrationItems(ctx, s.sub, prorationItems({ periodStart: period.start, periodEnd: period.end, prorationDate: at, removed: [], added }));
      if (behavior === 'always_invoice') {
        ({ invoice, result } = await issueInvoice(ctx, s, 'subscription_update', [], period, { charge: true, offSession: true }));
      }
    }
  }
  if (invoice && (result === 'failed' || result === 'requires_action')) {
    if (params.payment_behavior === 'resume_on_payment_success') {
      s.priv.dunning_invoice = invoice.id;
      s.priv.dunning_next_attempt = invoice.next_payment_attempt;
      s.priv.resume_invoice = invoice.id;
    } else {
      s.sub.status = 'active';
      startDunning(s, invoice);
    }
  } else {
    s.sub.status = 'active';
    if (invoice && result === 'open') watchSendInvoice(s, invoice);
  }
  await saveSubscription(ctx, before, s, { fromDueHandler });
  if (s.sub.status !== 'paused') await emit(ctx, 'customer.subscription.resumed', s.sub);
  return s;
}

export const subscriptionPauseShape = {
  bill_for: p.object({
    outstanding_usage_through: p.object({ type: p.enumOf(['none', 'now']).req() }),
    unused_time_from: p.object({ type: p.enumOf(['item_current_period_start', 'none', 'now']).req() }),
  }),
  invoicing_behavior: p.enumOf(['invoice', 'pending_invoice_item']),
  type: p.enumOf(['subscription']),
};
export type SubscriptionPause = InferShape<typeof subscriptionPauseShape>;

/** What only Portico's own callers (the portal) may add to a pause: when it ends by itself. */
export interface PauseOptions {
  /** The time the billing clock resumes it (as `/resume` with its defaults); null: until resumed. */
  resumeAt?: number | null;
}

async function pauseNow(base: Ctx, id: string, params: SubscriptionPause, opts: PauseOptions): Promise<Subscription> {
  const stored = await loadSubscription(base, id, 'id', true);
  const ctx = await atClockTime(base, stored.sub.test_clock);
  const now = ctx.clock.now();
  if (stored.sub.schedule !== null) {
    throw errors.invalidRequest(`The subscription is managed by the subscription schedule \`${stored.sub.schedule}\`: release the schedule before pausing it.`);
  }
  if (stored.sub.status !== 'active' && stored.sub.status !== 'trialing') {
    throw errors.invalidRequest(`Only an active or trialing subscription can be paused; ${id} is ${stored.sub.status}.`, undefined, 'subscription_not_pausable');
  }
  const before = structuredClone(stored.sub);
  const s = clone(stored);
  const period = currentPeriod(s.sub);
  // Credit for the unused time of licensed items: from now (default), from the period start, or none.
  // A trial billed nothing, so there is nothing to credit.
  const from = params.bill_for?.unused_time_from?.type ?? 'now';
  if (from !== 'none' && s.sub.status !== 'trialing') {
    const at = from === 'now' ? Math.max(now, period.start) : period.start;
    if (at < period.end) {
      const removed: ProratedItem[] = [...(await discountedProratedItems(ctx, s, s.sub.items.data, { at, billedFrom: period.start })).values()];
      await createProrationItems(ctx, s.sub, prorationItems({ periodStart: period.start, periodEnd: period.end, prorationDate: at, removed, added: [] }));
      if ((params.invoicing_behavior ?? 'pending_invoice_item') === 'invoice') {
        await issueInvoice(ctx, s, 'subscription_update', [], period, { charge: true, offSession: true });
      }
    }
  }
  if (opts.resumeAt != null && opts.resumeAt <= now) throw errors.invalidParam('resumes_at', 'A pause must end in the future.');
  s.sub.status = 'paused';
  s.priv.trial_will_end_at = null;
  s.priv.resume_at = opts.resumeAt ?? null;
  await saveSubscription(ctx, before, s);
  await emit(ctx, 'customer.subscription.paused', s.sub);
  return s.sub;
}

/**
 * `POST /v1/subscriptions/:id/pause` (endive): an active or trialing subscription becomes `paused` now
 * (no renewals until `/resume`); the unused time of the current period is credited as pending
 * invoice items (`invoicing_behavior=invoice`: invoiced now), from `now` or the period start, or not
 * at all (`bill_for[unused_time_from][type]`). Events: `customer.subscription.updated`, then
 * `customer.subscription.paused`. `opts.resumeAt` (Portico's own callers, e.g. the portal's pause for
 * a duration; Stripe's API has no such parameter): the billing clock resumes it then, as `/resume`
 * with its defaults does (a new period from that time, invoiced and charged).
 */
export function pauseSubscription(base: Ctx, id: string, params: SubscriptionPause, opts: PauseOptions = {}): Promise<Subscription> {
  return withSubscriptionWork(base, () => pauseNow(base, id, params, opts));
}

/** When the billing clock resumes a paused subscription by itself (null: only `/resume` does). */
export function scheduledResume(s: StoredSubscription): number | null {
  return s.sub.status === 'paused' ? (s.priv.resume_at ?? null) : null;
}

/** `scheduledResume` of a stored subscription row (its API object and private part, as listed). */
export function pausedUntil(row: { data: Subscription; private: Record<string, unknown> }): number | null {
  return scheduledResume({ sub: row.data, priv: row.private as unknown as StoredSubscription['priv'] });
}

/**
 * The billing clock's part (renew.ts): a paused subscription whose `resume_at` has come resumes, as
 * `/resume` with its defaults does. Returns the subscription as saved when it did, else null.
 */
export async function resumeWhenDue(ctx: Ctx, stored: StoredSubscription, now: number): Promise<StoredSubscription | null> {
  const at = scheduledResume(stored);
  if (at === null || at > now) return null;
  return resumeStored(ctx, stored, {}, true);
}

// A resumption invoice paid later (resume_on_payment_success): status.ts's paid hook, registered
// before this one, has made the subscription active; this one reports the resumption.
invoicePaidHooks.push(async (ctx, invoice) => {
  const stored = await paidInvoiceSubscription(ctx, invoice);
  if (!stored || stored.priv.resume_invoice !== invoice.id || stored.sub.status === 'paused') return;
  const after = clone(stored);
  after.priv.resume_invoice = null;
  await withSubscriptionWork(ctx, async () => {
    await saveSubscription(ctx, stored.sub, after);
    await emit(ctx, 'customer.subscription.resumed', after.sub);
  });
});

/** `POST /v1/subscriptions/:id/resume` (see the module comment). */
export function resumeSubscription(base: Ctx, id: string, params: SubscriptionResume): Promise<Subscription> {
  return withSubscriptionWork(base, () => resumeNow(base, id, params));
}
