/**
 * Reading events: retrieve and list, newest first, within Stripe's 30-day window. `pending_webhooks`
 * is computed when read: the deliveries of that event not yet made (pending, or given up as failed).
 */
import { sql } from 'kysely';
import { errors } from '../lib/errors.ts';
import type { RangeFilter } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import type { ListOptions } from '../storage/objects.ts';
import { keysetPage, whereCreated } from '../storage/keyset.ts';
import type { StripeEvent } from './outbox.ts';

export const EVENT_RETENTION_SECONDS = 30 * 24 * 60 * 60;

async function withPending(ctx: Ctx, events: StripeEvent[]): Promise<StripeEvent[]> {
  if (events.length === 0) return events;
  // A count per event through the (event_id, endpoint_id) index: with `event_id IN (…)` a planner
  // without statistics scans every delivery instead.
  const { rows } = await sql<{ event_id: string; n: number | string }>`
    select w.id as event_id,
           (select count(*) from webhook_deliveries d
             where d.event_id = w.id and d.status in ('pending', 'failed')) as n
      from unnest(${events.map((e) => e.id)}::text[]) as w(id)`.execute(ctx.db);
  const byId = new Map(rows.map((c) => [c.event_id, Number(c.n)]));
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
  if (filters.created) q = whereCreated(q, filters.created);

  const seqOf = async (id: string) =>
    (
      await ctx.db
        .selectFrom('events')
        .select('seq')
        .where('livemode', '=', ctx.livemode)
        .where('id', '=', id)
        .executeTakeFirst()
    )?.seq;
  const { rows, has_more } = await keysetPage(q, page, seqOf, 'event');
  return { data: await withPending(ctx, rows.map((x) => x.data as StripeEvent)), has_more };
}
