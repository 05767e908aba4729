/**
 * The event outbox. Domain functions call `emit` inside the transaction that makes the change, so an
 * event exists exactly when its change committed. Delivery to webhook endpoints reads from here.
 */
import { sql, type RawBuilder } from 'kysely';
import { newId } from '../lib/ids.ts';
import { notify } from '../storage/channels.ts';
import type { Ctx, EndpointCache } from '../storage/context.ts';
import { endpointsTaking, loadEndpoints } from '../storage/endpoints.ts';
import { ENDPOINT_OBJECT, endpointsFor } from './webhook-endpoints.ts';

export const API_VERSION = '2026-10-28.endive';

/** The LISTEN/NOTIFY channel that wakes delivery workers (scoped to the schema: storage/channels.ts). */
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
 * Records an event for a change made in `ctx`'s transaction. `alongside`, when given, is the
 * data-modifying statement that makes the change (an insert with no `returning`): it is written in
 * the event's statement (as a CTE, which PostgreSQL runs exactly once), saving the change its own
 * round trip; with a unit of work it goes in the unit's flush, and when the endpoint cache was stale
 * it runs exactly once all the same.
 * @example await emit(ctx, 'customer.updated', after, previousAttributes(before, after))
 */
export async function emit(
  ctx: Ctx,
  type: string,
  object: object,
  previous?: Record<string, unknown>,
  alongside?: RawBuilder<unknown>,
): Promise<StripeEvent> {
  const event: StripeEvent = {
    id: newId('event'),
    object: 'event',
    api_version: API_VERSION,
    created: ctx.clock.now(),
    data: previous ? { object, previous_attributes: previous } : { object },
    livemode: ctx.livemode,
    pending_webhooks: 0,
    request: { id: ctx.request.id, idempotency_key: ctx.request.idempotencyKey },
    type,
  };
  if (ctx.uow) {
    // The unit of work writes the change, the events and their deliveries together when flushed.
    if (alongside) ctx.uow.addStatement(alongside);
    if (ctx.endpoints) {
      const routed = await cachedTargets(ctx, ctx.endpoints, type);
      event.pending_webhooks = routed.targets.length;
      ctx.uow.addEvent(event, routed.targets, { cache: ctx.endpoints, version: routed.version });
      return event;
    }
    const endpoints = await endpointsFor(ctx, type);
    event.pending_webhooks = endpoints.length;
    ctx.uow.addEvent(event, endpoints, null);
    return event;
  }
  event.pending_webhooks = await insertEvent(ctx, event, alongside);
  return event;
}

/** `name as (statement), ` opening a `with` list, or nothing (the statement text is then unchanged). */
function leadingCte(alongside: RawBuilder<unknown> | undefined): RawBuilder<unknown> {
  return alongside ? sql`alongside as (${alongside}), ` : sql``;
}

/**
 * Writes the event, one delivery per subscribed endpoint, and (when there are any) the NOTIFY that
 * wakes delivery workers at commit, in one statement: the endpoints are read in the same snapshot the
 * rows are written in, and a write request pays one round trip for its event, not four. The stored
 * event's `pending_webhooks` is the number of deliveries: the JSON is split at that value and joined
 * around the count in SQL. Returns that count.
 */
async function insertEvent(ctx: Ctx, event: StripeEvent, alongside?: RawBuilder<unknown>): Promise<number> {
  if (ctx.endpoints) {
    const written = await insertEventFromCache(ctx, ctx.endpoints, event, alongside);
    // A stale cache wrote no event, but `alongside` ran: it is not run again below.
    if (written !== null) return written;
    alongside = undefined;
  }
  const marker = '"pending_webhooks":0,';
  const json = JSON.stringify(event);
  // `data` precedes `pending_webhooks` in the object, so the last occurrence is the event's own key.
  const at = json.lastIndexOf(marker);
  const head = json.slice(0, at + marker.length - 2);
  const tail = json.slice(at + marker.length - 1);
  const { rows } = await sql<{ deliveries: number | string }>`
    with ${leadingCte(alongside)}targets as (
      select id from objects
       where livemode = ${ctx.livemode} and object = ${ENDPOINT_OBJECT} and deleted = false
         and data->>'status' = 'enabled'
         and (data::jsonb->'enabled_events') ?| array['*', ${event.type}::text]
    ), inserted_event as (
      insert into events (id, livemode, type, created, data)
      values (${event.id}, ${ctx.livemode}, ${event.type}, ${event.created},
              (${head}::text || (select count(*) from targets)::text || ${tail}::text)::json)
    ), inserted_deliveries as (
      insert into webhook_deliveries (livemode, event_id, endpoint_id, created, next_attempt_at)
      select ${ctx.livemode}, ${event.id}, id, ${event.created}, ${event.created} from targets
      returning 1
    )
    select (select count(*) from inserted_deliveries) as deliveries,
           (select ${notify(WEBHOOK_CHANNEL)} where exists (select 1 from targets)) is null as quiet`.execute(ctx.db);
  return Number(rows[0]?.deliveries ?? 0);
}

/** The cached endpoints of the mode (read into the cache when missing) that take events of `type`. */
async function cachedTargets(ctx: Ctx, cache: EndpointCache, type: string): Promise<{ version: number; targets: string[] }> {
  let cached = cache.get(ctx.livemode);
  if (!cached) {
    cached = await loadEndpoints(ctx.db, ctx.livemode);
    cache.set(ctx.livemode, cached);
  }
  return { version: cached.version, targets: endpointsTaking(cached.endpoints, type) };
}

/**
 * Writes the event and its deliveries to the endpoints cached for the mode (endpoint-cache.ts), in one
 * statement that writes nothing unless the endpoints' version is still the cached one. Returns the
 * number of deliveries, or null when the cache was stale (then forgotten; the caller reads anew).
 */
async function insertEventFromCache(
  ctx: Ctx,
  cache: EndpointCache,
  event: StripeEvent,
  alongside: RawBuilder<unknown> | undefined,
): Promise<number | null> {
  const { version, targets } = await cachedTargets(ctx, cache, event.type);
  event.pending_webhooks = targets.length;
  const { rows } = await sql<{ written: boolean }>`
    with ${leadingCte(alongside)}current as (
      select 1 from webhook_endpoint_versions where livemode = ${ctx.livemode} and version = ${version}
    ), inserted_event as (
      insert into events (id, livemode, type, created, data)
      select ${event.id}, ${ctx.livemode}, ${event.type}, ${event.created}, ${JSON.stringify(event)}::json from current
    ), inserted_deliveries as (
      insert into webhook_deliveries (livemode, event_id, endpoint_id, created, next_attempt_at)
      select ${ctx.livemode}, ${event.id}, t.id, ${event.created}, ${event.created}
        from current, unnest(${targets}::text[]) as t(id)
    )
    select exists (select 1 from current) as written,
           (select ${notify(WEBHOOK_CHANNEL)} from current where ${targets.length}::int > 0) is null as quiet`.execute(ctx.db);
  if (rows[0]?.written) return targets.length;
  cache.forget(ctx.livemode);
  event.pending_webhooks = 0;
  return null;
}

/** Emits `<noun>.updated` when anything changed; returns whether it did. */
export async function emitUpdated(ctx: Ctx, type: string, before: object, after: object): Promise<boolean> {
  const previous = previousAttributes(before, after);
  if (Object.keys(previous).length === 0) return false;
  await emit(ctx, type, after, previous);
  return true;
}
