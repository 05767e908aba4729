/**
 * Idempotency keys, per Stripe's rules, decided inside the request's own transaction:
 * 1. `lockAndFindKey` takes a transaction-scoped advisory lock on (schema, mode, key): advisory locks are
 *    database-wide, so the schema keeps deployments sharing a database apart. If another request
 *    holds it, that request is still running: the caller answers 409 (the SDK retries it).
 * 2. In the same statement it looks the key up: same parameters → replay the stored answer; other
 *    parameters → `idempotency_error`; older than 24 hours → forgotten, the request runs anew.
 * 3. The answer is stored with `storeResponse` in the same transaction as the change it reports, so
 *    both commit or neither does. A request that fails validation rolls back and leaves no key behind;
 *    a crash leaves none either, so there are no stale claims to recover.
 *
 * The lookup reads the snapshot its statement started with, taken just before the lock: a request with
 * the same key that commits in between (its lock freed at its COMMIT) is missed, and this one runs too.
 * So storing never replaces a live answer: it fails with `isKeyTaken`, the transaction rolls back, and
 * the caller answers 409 like any key in use (the SDK's retry then replays the answer that stands).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Ctx } from './context.ts';

export const KEY_TTL_SECONDS = 24 * 60 * 60;

export type KeyLookup =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'mismatch' };

/**
 * Locks the key for the rest of `ctx`'s transaction and says what it means for a request whose
 * parameters hash to `hash` — in one round trip. `in_use`: a running request holds the key.
 */
export async function lockAndFindKey(ctx: Ctx, key: string, hash: string): Promise<KeyLookup | { kind: 'in_use' }> {
  const lockName = `${ctx.livemode ? 'live' : 'test'}:${key}`;
  const { rows } = await sql<{
    locked: boolean;
    request_hash: string | null;
    created: string | number | null;
    status: number | null;
    response: string | null;
  }>`
    select l.locked, k.request_hash, k.created, k.status, k.response
      from (select pg_try_advisory_xact_lock(hashtextextended(current_schema() || ':' || ${lockName}, 0)) as locked) l
      left join idempotency_keys k on l.locked and k.livemode = ${ctx.livemode} and k.key = ${key}`.execute(ctx.db);
  const row = rows[0];
  if (!row?.locked) return { kind: 'in_use' };
  if (row.status === null || row.created === null || Number(row.created) <= ctx.clock.now() - KEY_TTL_SECONDS) {
    return { kind: 'new' };
  }
  if (row.request_hash !== hash) return { kind: 'mismatch' };
  return { kind: 'replay', status: row.status, body: row.response ?? '' };
}

/** Records the answer given for `key` (replacing a forgotten, expired one). */
export async function storeResponse(ctx: Ctx, key: string, hash: string, status: number, body: string): Promise<void> {
  await storeResponseStatement(ctx, key, hash, status, body).execute(ctx.db);
}

/** `storeResponse`'s statement, for a caller that writes it together with others (a unit of work's flush). */
export function storeResponseStatement(ctx: Ctx, key: string, hash: string, status: number, body: string): RawBuilder<unknown> {
  return sql`${ctx.db
    .insertInto('idempotency_keys')
    .values({
      livemode: ctx.livemode,
      key,
      request_hash: hash,
      created: ctx.clock.now(),
      locked_at: null,
      status,
      response: body,
    })
    .onConflict((oc) =>
      oc.columns(['livemode', 'key']).doUpdateSet((eb) => ({
        // Only a forgotten (expired) answer is replaced; a live one makes the key NULL, which its NOT NULL
        // refuses: an error inside the statement, so this works where it is one step of a unit's flush.
        key: sql<string>`case when ${eb.ref('idempotency_keys.created')} <= ${ctx.clock.now() - KEY_TTL_SECONDS} then ${eb.ref('excluded.key')} end`,
        request_hash: eb.ref('excluded.request_hash'),
        created: eb.ref('excluded.created'),
        status: eb.ref('excluded.status'),
        response: eb.ref('excluded.response'),
      })),
    )}`;
}

/** True for the error `storeResponse` fails with when another request's live answer holds the key. */
export function isKeyTaken(err: unknown): boolean {
  const e = err as { code?: unknown; table?: unknown; column?: unknown } | null;
  return e?.code === '23502' && e.table === 'idempotency_keys' && e.column === 'key';
}

/** Deletes keys older than 24 hours; returns how many. */
export async function pruneKeys(ctx: Pick<Ctx, 'db' | 'clock'>): Promise<number> {
  const result = await ctx.db
    .deleteFrom('idempotency_keys')
    .where('created', '<=', ctx.clock.now() - KEY_TTL_SECONDS)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
