/**
 * Pending updates (`payment_behavior=pending_if_incomplete` on `POST /v1/subscriptions/:id`).
 *
 * Invariants:
 * - Only the parameters Stripe allows with pending updates are accepted (`items` with `id`, `price`,
 *   `quantity`; `proration_behavior`, `proration_date`, `billing_cycle_anchor`, `trial_end`,
 *   `metadata`, `payment_behavior`, `expand`); any other is a 400 naming it. `send_invoice`
 *   subscriptions cannot use them (400 naming `payment_behavior`).
 * - A change that invoices nothing now is applied at once, as with any payment behavior. A change whose
 *   invoice is paid is applied. When the payment fails the change is held back: the subscription keeps
 *   its items, cycle, trial and status, `latest_invoice` is the open invoice, and `pending_update` shows
 *   what would change (`subscription_items`, `billing_cycle_anchor`, `trial_end`, `metadata`) with
 *   `expires_at` = the trial end or the current period end, whichever comes first, but at most 23 h
 *   from now (Stripe's pending updates reference). Renewals meanwhile bill the old items.
 * - Paying that invoice (any way) applies the change (`customer.subscription.updated` with
 *   previous_attributes, then `customer.subscription.pending_update_applied`), at once through the
 *   invoice-paid hook or at the billing clock's next run. At `expires_at` the clock discards it, voids
 *   the invoice if still open (so it can no longer be paid for a change never made) and emits
 *   `customer.subscription.pending_update_expired`; a voided invoice discards it too.
 */
import { errors } from '../../lib/errors.ts';
import { mergeMetadata } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { emit } from '../../events/outbox.ts';
import { getInvoice, invoicePaidHooks, voidInvoice, type Invoice } from '../invoices/index.ts';
import { currentPeriod } from './items.ts';
import { HOUR, clone, paidInvoiceSubscription, saveSubscription, withSubscriptionWork } from './status.ts';
import type { StoredSubscription, Subscription } from './types.ts';

export const PENDING_UPDATE_LIFETIME = 23 * HOUR;

const ALLOWED = ['billing_cycle_anchor', 'expand', 'items', 'metadata', 'payment_behavior', 'proration_behavior', 'proration_date', 'trial_end'];
const ITEM_ALLOWED = ['id', 'price', 'quantity'];

/** Refuses what a pending update cannot hold (400 naming the parameter). */
export function assertPendingParams(params: Record<string, unknown>, sub: Subscription): void {
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || ALLOWED.includes(k)) continue;
    throw errors.invalidParam(
      k,
      `You cannot pass \`${k}\` with \`payment_behavior=pending_if_incomplete\`. Pending updates support only: ${ALLOWED.join(', ')}.`,
    );
  }
  const items = params['items'];
  if (Array.isArray(items)) {
    for (const [i, item] of items.entries()) {
      for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
        if (v === undefined || ITEM_ALLOWED.includes(k)) continue;
        throw errors.invalidParam(
          `items[${i}][${k}]`,
          `You cannot pass \`items[${i}][${k}]\` with \`payment_behavior=pending_if_incomplete\`. Pending updates support only the item parameters: ${ITEM_ALLOWED.join(', ')}.`,
        );
      }
    }
  }
  if (sub.collection_method === 'send_invoice') {
    throw errors.invalidParam('payment_behavior', 'Pending updates are not supported on subscriptions with `collection_method=send_invoice`.');
  }
}

/**
 * The subscription to store when the change's payment failed: `original` (as it was before the
 * request) with `pending_update` describing `changed`, and `latest_invoice` the open invoice.
 */
export function holdPendingUpdate(
  ctx: Ctx,
  original: StoredSubscription,
  changed: StoredSubscription,
  invoice: Invoice,
  metadata: Record<string, string | null> | undefined,
): StoredSubscription {
  const s = clone(original);
  const before = original.sub;
  const after = changed.sub;
  s.sub.latest_invoice = invoice.id;
  // A coupon used up by the invoice stays used up (and one that ended stays off).
  s.priv.discounts = structuredClone(changed.priv.discounts);
  s.sub.discounts = s.priv.discounts.map((d) => d.id);
  // Stripe: the trial end or the current period end, whichever comes first, and at most 23 hours.
  const now = ctx.clock.now();
  const ends = [now + PENDING_UPDATE_LIFETIME, currentPeriod(before).end];
  if (before.status === 'trialing' && before.trial_end !== null) ends.push(before.trial_end);
  s.sub.pending_update = {
    billing_cycle_anchor: after.billing_cycle_anchor !== before.billing_cycle_anchor ? after.billing_cycle_anchor : null,
    cancel_at_period_end: null,
    discount: null,
    discounts: null,
    expires_at: Math.min(...ends),
    metadata: metadata ? mergeMetadata(before.metadata, metadata) : null,
    subscription_items: JSON.stringify(after.items.data) !== JSON.stringify(before.items.data) ? structuredClone(after.items.data) : null,
    trial_end: after.trial_end !== before.trial_end ? after.trial_end : null,
    trial_from_plan: null,
  };
  s.priv.pending = {
    invoice: invoice.id,
    items: structuredClone(after.items.data),
    interval: changed.priv.interval,
    interval_count: changed.priv.interval_count,
    billing_cycle_anchor: after.billing_cycle_anchor,
    trial_end: after.trial_end,
    status: after.status === 'past_due' && before.status !== 'past_due' ? 'active' : after.status,
    trial_will_end_at: changed.priv.trial_will_end_at,
    metadata: metadata ?? null,
  };
  return s;
}

/** Applies the held change (the caller saves and emits). */
function applyPending(s: StoredSubscription): void {
  const pc = s.priv.pending;
  if (!pc) return;
  s.sub.items.data = pc.items;
  s.priv.interval = pc.interval;
  s.priv.interval_count = pc.interval_count;
  s.sub.billing_cycle_anchor = pc.billing_cycle_anchor;
  s.sub.trial_end = pc.trial_end;
  if (s.sub.status === 'trialing' || s.sub.status === 'active') s.sub.status = pc.status;
  s.priv.trial_will_end_at = pc.trial_will_end_at;
  s.sub.metadata = mergeMetadata(s.sub.metadata, pc.metadata ?? undefined);
  s.sub.pending_update = null;
  s.priv.pending = null;
}

function discard(s: StoredSubscription): void {
  s.sub.pending_update = null;
  s.priv.pending = null;
}

/**
 * The billing clock's part: applies the change if its invoice was paid meanwhile, discards it if the
 * invoice was voided or the update expired (voiding the invoice then).
 */
export async function settlePendingUpdate(ctx: Ctx, s: StoredSubscription, now: number): Promise<void> {
  const pc = s.priv.pending;
  if (!pc || !s.sub.pending_update) return;
  const invoice = await getInvoice(ctx, pc.invoice);
  if (invoice.status === 'paid') {
    applyPending(s);
    await emit(ctx, 'customer.subscription.pending_update_applied', s.sub);
  } else if (invoice.status === 'void') {
    discard(s);
  } else if (s.sub.pending_update.expires_at <= now) {
    if (invoice.status === 'open' || invoice.status === 'uncollectible') await voidInvoice(ctx, invoice.id);
    discard(s);
    await emit(ctx, 'customer.subscription.pending_update_expired', s.sub);
  }
}

// Paying the held invoice applies the change in the paying transaction. As for the dunning hook in
// status.ts, the subscription row is taken with SKIP LOCKED (the payer holds customer and invoice
// locks); when the billing clock holds it, its run applies the change instead.
invoicePaidHooks.push(async (ctx, invoice) => {
  const stored = await paidInvoiceSubscription(ctx, invoice);
  if (!stored || stored.priv.pending?.invoice !== invoice.id) return;
  const after = clone(stored);
  applyPending(after);
  await withSubscriptionWork(ctx, async () => {
    await saveSubscription(ctx, stored.sub, after);
    await emit(ctx, 'customer.subscription.pending_update_applied', after.sub);
  });
});
