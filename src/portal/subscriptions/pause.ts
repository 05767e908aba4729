/**
 * Pausing from the portal (`features.subscription_pause`, no HTTP): the durations the configuration
 * offers, and pause / resume through the engine's `POST /v1/subscriptions/:id/pause` and `/resume`
 * (the endive API), as the API does them: the subscription becomes `paused` now (no renewals, no
 * invoices; the unused time of the current period is credited to the customer's next invoice, the
 * endpoint's default `bill_for[unused_time_from]=now`); `customer.subscription.paused`. A pause for a
 * duration ends by itself at its end (the billing clock resumes it), an indefinite one when the
 * customer resumes. Resuming, by the customer or the clock, is `/resume` with its defaults: a new
 * billing period starts then, invoiced and charged at once (a refused payment → `past_due`, as the
 * endpoint's `resume_on_payment_attempt`); `customer.subscription.resumed`.
 *
 * Invariant: a duration is one of the configuration's `interval_options` (each at most three years);
 * anything else posted is refused.
 */
import type { Ctx } from '../../storage/context.ts';
import { addInterval } from '../../billing/periods.ts';
import { pauseSubscription, resumeSubscription, type Subscription } from '../../billing/subscriptions/index.ts';
import type { PortalConfiguration } from '../configurations/index.ts';
import { subscriptionNow } from './change.ts';

export type PauseDuration = { kind: 'indefinite' } | { kind: 'for'; interval: 'day' | 'week' | 'month' | 'year'; count: number };

/** The durations offered, each with its form value (`indefinite` or `month:1`). */
export function pauseDurations(config: PortalConfiguration): { value: string; duration: PauseDuration }[] {
  const d = config.features.subscription_pause.duration;
  if (d.type === 'indefinite') return [{ value: 'indefinite', duration: { kind: 'indefinite' } }];
  return d.interval_options.map((o) => ({ value: `${o.interval}:${o.interval_count}`, duration: { kind: 'for', interval: o.interval, count: o.interval_count } }));
}

/** Pauses `sub` for the chosen offered duration (caller's transaction); false when it is not offered. */
export async function pauseFromPortal(ctx: Ctx, config: PortalConfiguration, sub: Subscription, value: string | undefined): Promise<boolean> {
  const chosen = pauseDurations(config).find((o) => o.value === value);
  if (!chosen) return false;
  const d = chosen.duration;
  const resumeAt = d.kind === 'for' ? addInterval(await subscriptionNow(ctx, sub), d.interval, d.count, 1) : null;
  await pauseSubscription(ctx, sub.id, {}, { resumeAt });
  return true;
}

/** Whether the customer can resume `sub` now. */
export function canResume(config: PortalConfiguration, sub: Subscription): boolean {
  return config.features.subscription_pause.enabled && sub.status === 'paused';
}

/** Resumes now, as `/resume` with its defaults (caller's transaction). */
export async function resumeFromPortal(ctx: Ctx, sub: Subscription): Promise<void> {
  await resumeSubscription(ctx, sub.id, {});
}
