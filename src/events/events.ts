/**
 * Reading events: retrieve and list, newest first, within Stripe's 30-day window. `pending_webhooks`
 * is computed when read: the deliveries of that event not yet made (pending, or given up as failed).
 */
import { sql } from 'kysely';
import { errors } from '../lib/errors.ts';
import type { RangeFilter } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import type { ListOptions } from '../storage/objects.ts';
import type { StripeEvent } from './outbox.ts';

export const EVENT_RETENTION_SECONDS = 30 * 24 * 60 * 60;

async function withPending(ctx: Ctx, events: StripeEvent[]): Promise<StripeEvent[]> {
  if (events.length === 0) return events;
  const counts = await ctx.db
    .selectFrom('webhook_deliveries')
    .select(['event_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('event_id', 'in', events.map((e) => e.id))
    .where('status', 'in', ['pending', 'failed'])
    .groupBy('event_id')
    .execute();
  const byId = new Map(counts.map((c) => [c.event_id, Number(c.n)]));
  return events.map((e) => ({ ...e, pending_webhooks: byId.get(e.id) ?? 0 }));
}

export async function retrieveEvent(ctx: Ctx, id: string): Promise<StripeEvent> {
  const row = await ctx.db
    .selectFrom('events')
    .select('data')
    .where('livemode', '=', ctx.livemode)
    .where('id', '=', id)
    .where('created', '>', ctx.clock.now() - EVENT_RETENTION_SECONDS)
    .executeTakeFirst();
  if (!row) throw errors.resourceMissing('event', id);
  return (await withPending(ctx, [row.data as StripeEvent]))[0]!;
}

export interface EventFilters {
  type?: string;
  types?: string[];
  created?: RangeFilter;
  /** true: every delivery of the event succeeded; false: some delivery is still pending or failed. */
  delivery_success?: boolean;
}

/** `customer.*` style patterns, as Stripe's `type` filter allows. */
function typeCondition(pattern: string) {
  return pattern.includes('*')
    ? sql<boolean>`type like ${pattern.replace(/[%_\\]/g, '\\$&').replace(/\*/g, '%')}`
    : sql<boolean>`type = ${pattern}`;
}

export async function listEvents(ctx: Ctx, filters: EventFilters, page: ListOptions) {
  if (filters.type !== undefined && filters.types !== undefined) throw errors.exclusive(['type', 'types']);
  if (page.starting_after !== undefined && page.ending_before !== undefined) {
    throw errors.exclusive(['starting_after', 'ending_before']);
  }
  const limit = page.limit ?? 10;
  let q = ctx.db
    .selectFrom('events')
    .select(['seq', 'data'])
    .where('livemode', '=', ctx.livemode)
    .where('created', '>', ctx.clock.now() - EVENT_RETENTION_SECONDS);
  if (filters.type !== undefined) q = q.where(typeCondition(filters.type));
  if (filters.types !== undefined) q = q.where('type', 'in', filters.types);
  if (filters.delivery_success !== undefined) {
    const undelivered = sql<boolean>`exists (select 1 from webhook_deliveries d
      where d.event_id = events.id and d.status in ('pending', 'failed'))`;
    q = q.where(filters.delivery_success ? sql<boolean>`not ${undelivered}` : undelivered);
  }
  const r = filters.created;
  if (r?.eq !== undefined) q = q.where('created', '=', r.eq);
  if (r?.gt !== undefined) q = q.where('created', '>', r.gt);
  if (r?.gte !== undefined) q = q.where('created', '>=', r.gte);
  if (r?.lt !== undefined) q = q.where('created', '<', r.lt);
  if (r?.lte !== undefined) q = q.where('created', '<=', r.lte);

  const cursorId = page.starting_after ?? page.ending_before;
  let rows: { seq: number; data: unknown }[];
  if (cursorId === undefined) {
    rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute();
  } else {
    const param = page.starting_after !== undefined ? 'starting_after' : 'ending_before';
    const cursor = await ctx.db
      .selectFrom('events')
      .select('seq')
      .where('livemode', '=', ctx.livemode)
      .where('id', '=', cursorId)
      .executeTakeFirst();
    if (!cursor) throw errors.resourceMissing('event', cursorId, param);
    rows =
      param === 'starting_after'
        ? await q.where('seq', '<', cursor.seq).orderBy('seq', 'desc').limit(limit + 1).execute()
        : (await q.where('seq', '>', cursor.seq).orderBy('seq', 'asc').limit(limit + 1).execute());
    if (param === 'ending_before') {
      const hasMore = rows.length > limit;
      const data = rows.slice(0, limit).reverse().map((x) => x.data as StripeEvent);
      return { data: await withPending(ctx, data), has_more: hasMore };
    }
  }
  const data = rows.slice(0, limit).map((x) => x.data as StripeEvent);
  return { data: await withPending(ctx, data), has_more: rows.length > limit };
}
