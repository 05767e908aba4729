/**
 * The webhook endpoints as event routing reads them: the mode's enabled endpoints with the version
 * they are at (`webhook_endpoint_versions`, bumped by every endpoint change), and which of them take an
 * event type. Storage-level, so the unit of work's flush can route again in its transaction without
 * reaching up into `events/`; the per-process cache of them is events/endpoint-cache.ts.
 */
import { sql } from 'kysely';
import type { CachedEndpoints } from './context.ts';
import type { Executor } from './database.ts';

/** The ids of `endpoints` that take events of `type` (listed, or `*`). */
export function endpointsTaking(endpoints: CachedEndpoints['endpoints'], type: string): string[] {
  return endpoints.filter((e) => e.enabled_events.includes('*') || e.enabled_events.includes(type)).map((e) => e.id);
}

/** The mode's enabled endpoints and the version they are at, read in one snapshot. */
export async function loadEndpoints(db: Executor, livemode: boolean): Promise<CachedEndpoints> {
  const { rows } = await sql<{ version: number | string; id: string | null; enabled_events: string[] | null }>`
    select v.version, o.id, o.data->'enabled_events' as enabled_events
      from webhook_endpoint_versions v
      left join objects o on o.livemode = v.livemode and o.object = 'webhook_endpoint' and o.deleted = false
                         and o.data->>'status' = 'enabled'
     where v.livemode = ${livemode}`.execute(db);
  if (rows.length === 0) throw new Error('webhook_endpoint_versions has no row for this mode');
  return {
    version: Number(rows[0]!.version),
    endpoints: rows.filter((r) => r.id !== null).map((r) => ({ id: r.id!, enabled_events: r.enabled_events ?? [] })),
  };
}
