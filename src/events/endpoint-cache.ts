/**
 * A process's cache of each mode's enabled webhook endpoints, so that a write does not read them in
 * its event statement (they change rarely; reading them was a third of that statement's cost).
 *
 * It can never route an event by stale endpoints: every change to a mode's endpoints bumps the mode's
 * row of `webhook_endpoint_versions` in the same transaction, and the outbox writes an event from the
 * cache only if that row still holds the version the cache was read at, checked in the statement that
 * writes the event (else it forgets the entry and reads the endpoints in the statement, as without a
 * cache). Changes also NOTIFY `ENDPOINTS_CHANNEL`, which empties every process's cache, and an entry
 * lives at most `lifetimeMs`: both only spare a failed check, neither is needed for correctness.
 */
import { sql } from 'kysely';
import { notify } from '../storage/channels.ts';
import type { CachedEndpoints, Ctx, EndpointCache } from '../storage/context.ts';

export const ENDPOINTS_CHANNEL = 'portico_endpoints';

const DEFAULT_LIFETIME_MS = 10_000;

export interface ProcessEndpointCache extends EndpointCache {
  /** Forgets both modes (a NOTIFY on `ENDPOINTS_CHANNEL`). */
  clear(): void;
}

/** An empty cache; `now` is a monotonic millisecond clock (injectable for tests). */
export function createEndpointCache(opts: { lifetimeMs?: number; now?: () => number } = {}): ProcessEndpointCache {
  const lifetime = opts.lifetimeMs ?? DEFAULT_LIFETIME_MS;
  const now = opts.now ?? (() => performance.now());
  const entries = new Map<boolean, { value: CachedEndpoints; until: number }>();
  return {
    get(livemode) {
      const entry = entries.get(livemode);
      if (!entry) return undefined;
      if (now() >= entry.until) {
        entries.delete(livemode);
        return undefined;
      }
      return entry.value;
    },
    set(livemode, value) {
      entries.set(livemode, { value, until: now() + lifetime });
    },
    forget(livemode) {
      entries.delete(livemode);
    },
    clear() {
      entries.clear();
    },
  };
}

/** Records, in `ctx`'s transaction, that the mode's endpoints changed (see the module comment). */
export async function endpointsChanged(ctx: Ctx): Promise<void> {
  await sql`
    with bumped as (update webhook_endpoint_versions set version = version + 1 where livemode = ${ctx.livemode} returning 1)
    select ${notify(ENDPOINTS_CHANNEL)} from bumped`.execute(ctx.db);
}
