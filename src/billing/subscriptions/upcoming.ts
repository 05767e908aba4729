/**
 * `invoice.upcoming`: the account's `upcoming_renewal_days` (account-settings.ts, default 3) before a
 * subscription is renewed by an automatically charged invoice, the business is sent the invoice that
 * renewal would make, as a preview (id `upcoming_in_…`, nothing stored), so it can add invoice items
 * or warn the customer in time.
 *
 * Invariants:
 * - One notice per renewal time: `upcoming_for` records the renewal (period end, or trial end) the
 *   notice was planned for; `upcoming_notice_at` is when it is still due (null once sent, or when the
 *   renewal is closer than the notice period when it is planned: then there is none).
 * - Planned whenever the subscription is saved (every path ends there; this module), sent by the
 *   billing clock (renew.ts `sendUpcomingNotice`) if the renewal still stands then: `active`,
 *   `trialing` or `past_due`, `charge_automatically`, not ending before it (`cancel_at`,
 *   `cancel_at_period_end`), collection not paused, and not already due (a clock that reaches both at
 *   once renews without it).
 * - The preview is computed by the same functions as the renewal itself (cycle lines, pending items,
 *   discounts, taxes), so it shows what the renewal will charge unless something changes meanwhile.
 *   A schedule's phase starting at the renewal is previewed as the change entering it (phases.ts
 *   `phaseAtRenewal`), which is what the billing clock then bills instead of the renewal.
 */
import type { Ctx } from '../../storage/context.ts';
import { getBillingSettings } from '../account-settings.ts';
import { currentPeriod } from './items.ts';
import type { StoredSubscription } from './types.ts';

const DAY = 86_400;

/** When the subscription next renews with an invoice (trial end or period end), or null. */
export function renewalAt(s: StoredSubscription): number | null {
  const { sub } = s;
  if (sub.status === 'trialing') return sub.trial_end;
  if (sub.status === 'active' || sub.status === 'past_due') return currentPeriod(sub).end;
  return null;
}

/** Whether the renewal at `at` will be invoiced and charged automatically, as things stand. */
export function renewsAutomatically(s: StoredSubscription, at: number): boolean {
  const { sub } = s;
  return (
    sub.collection_method === 'charge_automatically' &&
    !sub.cancel_at_period_end &&
    (sub.cancel_at === null || sub.cancel_at > at) &&
    sub.pause_collection === null
  );
}

/** Plans the notice of the subscription's next renewal, once per renewal time (called on every save). */
export async function planUpcomingNotice(ctx: Ctx, s: StoredSubscription): Promise<void> {
  const at = renewalAt(s);
  if (at === null || (s.priv.upcoming_for ?? null) === at) return;
  s.priv.upcoming_for = at;
  s.priv.upcoming_notice_at = null;
  const notice = at - (await getBillingSettings(ctx)).upcoming_renewal_days * DAY;
  if (notice > ctx.clock.now()) s.priv.upcoming_notice_at = notice;
}
