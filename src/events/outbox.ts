/**
 * The event outbox. Domain functions call `emit` inside the transaction that makes the change, so an
 * event exists exactly when its change committed. Delivery to webhook endpoints reads from here.
 */
import { sql } from 'kysely';
import { newId } from '../lib/ids.ts';
import type { Ctx } from '../storage/context.ts';
import { endpointsFor } from './webhook-endpoints.ts';

export const API_VERSION = '2026-10-28.endive';

/** The LISTEN/NOTIFY channel that wakes delivery workers. */
export const WEBHOOK_CHANNEL = 'portico_webhooks';

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: object; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The attributes of `before` that differ in `after`, with their old values, as Stripe reports them in
 * `previous_attributes`: nested hashes recurse (a new key shows as `null`), arrays are compared whole.
 */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const old = (before as Record<string, unknown>)[key];
    const now = (after as Record<string, unknown>)[key];
    if (isPlainObject(old) && isPlainObject(now)) {
      const nested = previousAttributes(old, now);
      if (Object.keys(nested).length > 0) out[key] = nested;
    } else if (JSON.stringify(old) !== JSON.stringify(now)) {
      out[key] = old === undefined ? null : old;
    }
  }
  return out;
}

/**
 * Records an event for a change made in `ctx`'s transaction.
 * @example await emit(ctx, 'customer.updated', after, previousAttributes(before, after))
 */
export async function emit(
  ctx: Ctx,
  type: string,
  object: object,
  previous?: Record<string, unknown>,
): Promise<StripeEvent> {
  const endpoints = await endpointsFor(ctx, type);
  const event: StripeEvent = {
    id: newId('event'),
    object: 'event',
    api_version: API_VERSION,
    created: ctx.clock.now(),
    data: previous ? { object, previous_attributes: previous } : { object },
    livemode: ctx.livemode,
    pending_webhooks: endpoints.length,
    request: { id: ctx.request.id, idempotency_key: ctx.request.idempotencyKey },
    type,
  };
  if (ctx.uow) {
    // The billing clock's unit of work writes the batch's events (and deliveries) together.
    ctx.uow.addEvent(event, endpoints);
    return event;
  }
  await ctx.db
    .insertInto('events')
    .values({ id: event.id, livemode: ctx.livemode, type, created: event.created, data: JSON.stringify(event) })
    .execute();
  if (endpoints.length > 0) {
    await ctx.db
      .insertInto('webhook_deliveries')
      .values(
        endpoints.map((endpoint_id) => ({
          livemode: ctx.livemode,
          event_id: event.id,
          endpoint_id,
          created: event.created,
          next_attempt_at: event.created,
        })),
      )
      .execute();
    // Delivered to listening workers when (and only if) the transaction commits.
    await sql`select pg_notify(${WEBHOOK_CHANNEL}, '')`.execute(ctx.db);
  }
  return event;
}

/** Emits `<noun>.updated` when anything changed; returns whether it did. */
export async function emitUpdated(ctx: Ctx, type: string, before: object, after: object): Promise<boolean> {
  const previous = previousAttributes(before, after);
  if (Object.keys(previous).length === 0) return false;
  await emit(ctx, type, after, previous);
  return true;
}
