/**
 * Pausing from the portal (`features.subscription_pause`, no HTTP): the durations the configuration
 * offers, and pause / resume through the engine's `pause_collection`, as `POST /v1/subscriptions/:id`
 * with `pause_collection` does: while paused, the subscription's invoices are voided (nothing is
 * billed); a pause for a duration ends by itself at `resumes_at` (the billing clock), an indefinite
 * one when the customer resumes.
 *
 * Invariant: a duration is one of the configuration's `interval_options` (each at most three years);
 * anything else posted is refused.
 */
import type { Ctx } from '../../storage/context.ts';
import { addInterval } from '../../billing/periods.ts';
import { updateSubscription, type Subscription } from '../../billing/subscriptions/index.ts';
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
  const resumes_at = d.kind === 'for' ? addInterval(await subscriptionNow(ctx, sub), d.interval, d.count, 1) : undefined;
  await updateSubscription(ctx, sub.id, { pause_collection: { behavior: 'void', ...(resumes_at !== undefined ? { resumes_at } : {}) } });
  return true;
}

/** Whether the customer can resume `sub` now. */
export function canResume(config: PortalConfiguration, sub: Subscription): boolean {
  return config.features.subscription_pause.enabled && sub.pause_collection !== null && sub.status !== 'canceled';
}

/** Resumes now: billing goes on from the current period (caller's transaction). */
export async function resumeFromPortal(ctx: Ctx, sub: Subscription): Promise<void> {
  await updateSubscription(ctx, sub.id, { pause_collection: null });
}
