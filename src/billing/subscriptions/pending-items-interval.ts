/**
 * `pending_invoice_item_interval`: a subscription bills its pending invoice items on a schedule of
 * their own between renewals, as if an invoice were created for the subscription every interval.
 *
 * Invariants:
 * - The interval is at most one year (1 year, 12 months, 52 weeks or 365 days); `""` unsets it.
 * - `next_pending_invoice_item_invoice` is the next time the billing clock looks (null without an
 *   interval): setting or changing the interval counts one interval from now; the clock then moves it
 *   one interval forward from where it was, past now (missed runs are not replayed one by one).
 * - At that time an invoice (`billing_reason: automatic_pending_invoice_item_invoice`) takes the
 *   subscription's own pending items only (those with `subscription` = it and no invoice yet);
 *   none → no invoice. It is finalized and, for `charge_automatically`, charged off-session; a refusal
 *   leaves that invoice open and the subscription's status alone (its renewal decides dunning).
 * - It runs after the period boundary at one instant, so a renewal at the same time takes the items
 *   first; only `active`, `trialing` and `past_due` subscriptions bill this way (others only move on).
 */
import { errors } from '../../lib/errors.ts';
import { p, type Schema } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { sql } from 'kysely';
import { addInterval } from '../periods.ts';
import { issueInvoice } from './status.ts';
import type { PendingInvoiceItemInterval, StoredSubscription, Subscription } from './types.ts';

const INTERVALS = ['day', 'week', 'month', 'year'] as const;
/** The largest count per interval: one year. */
const MAX_COUNT: Record<PendingInvoiceItemInterval['interval'], number> = { day: 365, week: 52, month: 12, year: 1 };

const shape = p.object({ interval: p.enumOf(INTERVALS).req(), interval_count: p.integer({ min: 1 }) });

/** The parameter on create and update: `{ interval, interval_count? }` or `""` (null: unset). */
export const pendingItemIntervalParam: Schema<PendingInvoiceItemInterval | null> = {
  required: false,
  parse: (value, path) => {
    if (value === '') return null;
    const v = shape.parse(value, path);
    const count = v.interval_count ?? 1;
    if (count > MAX_COUNT[v.interval]) {
      throw errors.invalidParam(
        `${path}[interval_count]`,
        `Invalid ${path}: the maximum interval is one year (1 year, 12 months, 52 weeks or 365 days).`,
      );
    }
    return { interval: v.interval, interval_count: count };
  },
};

/** Sets (or with null unsets) the interval on `sub` at `now`; an unchanged interval keeps its schedule. */
export function applyPendingItemInterval(sub: Subscription, value: PendingInvoiceItemInterval | null | undefined, now: number): void {
  if (value === undefined) return;
  const same =
    value !== null &&
    sub.pending_invoice_item_interval?.interval === value.interval &&
    sub.pending_invoice_item_interval.interval_count === value.interval_count;
  if (same) return;
  sub.pending_invoice_item_interval = value;
  sub.next_pending_invoice_item_invoice = value === null ? null : addInterval(now, value.interval, value.interval_count, 1);
}

/** The subscription's own pending items in its currency (ids), as the invoice would take them. */
async function hasPendingItems(ctx: Ctx, sub: Subscription): Promise<boolean> {
  type Item = { invoice?: string | null; currency: string; parent?: { subscription_details?: { subscription?: string } | null } | null };
  const mine = (i: Item) => (i.invoice ?? null) === null && i.currency === sub.currency && i.parent?.subscription_details?.subscription === sub.id;
  if (ctx.uow) {
    const rows = await ctx.uow.customerObjects(ctx, 'invoiceitem', sub.customer, { forUpdate: false });
    return rows.some((r) => mine(r.data as unknown as Item));
  }
  const row = await ctx.db
    .selectFrom('objects')
    .select('id')
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', 'invoiceitem')
    .where('deleted', '=', false)
    .where('customer', '=', sub.customer)
    .where(sql<string>`data->>'invoice'`, 'is', null)
    .where(sql<string>`data->>'currency'`, '=', sub.currency)
    .where(sql<string>`data#>>'{parent,subscription_details,subscription}'`, '=', sub.id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Billing clock: invoices the pending items when their time has come (at `now`), then plans the next. */
export async function billPendingItems(ctx: Ctx, s: StoredSubscription, now: number): Promise<void> {
  const { sub } = s;
  const at = sub.next_pending_invoice_item_invoice;
  const every = sub.pending_invoice_item_interval;
  if (at === null || every === null || at > now) return;
  let n = 1;
  while (addInterval(at, every.interval, every.interval_count, n) <= now) n++;
  sub.next_pending_invoice_item_invoice = addInterval(at, every.interval, every.interval_count, n);
  if (sub.status !== 'active' && sub.status !== 'trialing' && sub.status !== 'past_due') return;
  if (!(await hasPendingItems(ctx, sub))) return;
  await issueInvoice(ctx, s, 'automatic_pending_invoice_item_invoice', [], { start: now, end: now }, {
    charge: true,
    offSession: true,
    pendingItemsOnly: true,
  });
}
