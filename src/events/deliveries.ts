/**
 * Webhook deliveries as the dashboard shows them, and resending one. A delivery is one row per
 * (event, endpoint) (migration 0002); its attempts are `webhook_attempts`. Resending puts the row back
 * to `pending`, due now, with a fresh three-day retry window, and wakes the delivery workers; the
 * worker's own rules then apply (an endpoint disabled or deleted meanwhile cancels it). Reads are
 * scoped to the context's mode.
 */
import { sql } from 'kysely';
import { errors } from '../lib/errors.ts';
import { notify } from '../storage/channels.ts';
import type { Ctx } from '../storage/context.ts';
import { WEBHOOK_CHANNEL } from './outbox.ts';

export interface DeliveryView {
  id: number;
  eventId: string;
  eventType: string;
  endpointId: string;
  created: number;
  status: 'pending' | 'delivered' | 'failed' | 'canceled';
  attempts: number;
  nextAttemptAt: number;
  deliveredAt: number | null;
  /** The last attempt's answer. */
  lastStatusCode: number | null;
  lastError: string | null;
  lastResponseExcerpt: string | null;
  lastAttemptAt: number | null;
}

const EXCERPT = 300;

function deliveriesQuery(ctx: Ctx) {
  return ctx.db
    .selectFrom('webhook_deliveries as d')
    .leftJoin('events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.event_id',
      'd.endpoint_id',
      'd.created',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.delivered_at',
      'e.type',
      sql<number | null>`(select a.status_code from webhook_attempts a where a.delivery_id = d.id order by a.id desc limit 1)`.as('status_code'),
      sql<string | null>`(select a.error from webhook_attempts a where a.delivery_id = d.id order by a.id desc limit 1)`.as('error'),
      sql<string | null>`(select left(a.response_body, ${EXCERPT}) from webhook_attempts a where a.delivery_id = d.id order by a.id desc limit 1)`.as('excerpt'),
      sql<number | null>`(select a.attempted_at from webhook_attempts a where a.delivery_id = d.id order by a.id desc limit 1)`.as('attempted_at'),
    ])
    .where('d.livemode', '=', ctx.livemode);
}

type Row = Awaited<ReturnType<ReturnType<typeof deliveriesQuery>['execute']>>[number];

const toView = (r: Row): DeliveryView => ({
  id: Number(r.id),
  eventId: r.event_id,
  eventType: r.type ?? 'unknown',
  endpointId: r.endpoint_id,
  created: r.created,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  deliveredAt: r.delivered_at,
  lastStatusCode: r.status_code,
  lastError: r.error,
  lastResponseExcerpt: r.excerpt,
  lastAttemptAt: r.attempted_at,
});

/** The newest deliveries to one endpoint (or of one event). */
export async function listDeliveries(ctx: Ctx, by: { endpointId?: string; eventId?: string }, limit = 50): Promise<DeliveryView[]> {
  let q = deliveriesQuery(ctx);
  if (by.endpointId) q = q.where('d.endpoint_id', '=', by.endpointId);
  if (by.eventId) q = q.where('d.event_id', '=', by.eventId);
  return (await q.orderBy('d.id', 'desc').limit(limit).execute()).map(toView);
}

export async function getDelivery(ctx: Ctx, id: number): Promise<DeliveryView> {
  const row = await deliveriesQuery(ctx).where('d.id', '=', id).executeTakeFirst();
  if (!row) throw errors.resourceMissing('delivery', String(id));
  return toView(row);
}

/** Sends a delivery again (now); returns it as it was before. */
export async function resendDelivery(ctx: Ctx, id: number): Promise<DeliveryView> {
  const before = await getDelivery(ctx, id);
  const now = ctx.clock.now();
  await ctx.db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, created: now, delivered_at: null })
    .where('id', '=', id)
    .where('livemode', '=', ctx.livemode)
    .execute();
  await sql`select ${notify(WEBHOOK_CHANNEL)}`.execute(ctx.db);
  return before;
}
