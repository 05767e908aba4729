/**
 * The due times and bookkeeping that the later subscription statuses add to `nextDue` (status.ts):
 * a `send_invoice` invoice's overdue checks (dunning.ts), a pending update's expiry
 * (pending-update.ts), the `invoice.upcoming` notice (upcoming.ts) and the next pending-items invoice
 * (pending-items-interval.ts). Pure; kept apart so status.ts
 * only calls in.
 */
import type { StoredSubscription, SubscriptionPrivate } from './types.ts';

/** Times the billing clock must also look at the subscription (null entries are ignored). */
export function statusDueTimes(s: StoredSubscription): (number | null)[] {
  // pending_invoice_item_interval (pending-items-interval.ts); an incomplete subscription waits for its first invoice.
  const pendingItems = s.sub.status === 'incomplete' ? null : (s.sub.next_pending_invoice_item_invoice ?? null);
  return [s.priv.dunning_check_at ?? null, s.sub.pending_update?.expires_at ?? null, s.priv.upcoming_notice_at ?? null, pendingItems];
}

/** Forgets the quiet/overdue bookkeeping of the invoice the subscription waited on. */
export function clearDunningWatch(priv: SubscriptionPrivate): void {
  priv.dunning_quiet = false;
  priv.dunning_check_at = null;
  priv.overdue_sent = false;
}
