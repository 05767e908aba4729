/**
 * Idempotency keys, per Stripe's rules: the first request with a key claims it; its response is stored
 * in the same transaction as its change; later requests with the key and the same parameters get that
 * response replayed, with other parameters an `idempotency_error`, and while the first still runs a 409.
 * Keys live 24 hours. A claim whose request died (no response after `STALE_CLAIM_SECONDS`) can be taken
 * over: its transaction never committed, so re-running it is safe.
 */
import type { Ctx } from './context.ts';

export const KEY_TTL_SECONDS = 24 * 60 * 60;
export const STALE_CLAIM_SECONDS = 60;

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/** Claims `key` for a request whose parameters hash to `hash`, or says why not. */
export async function claimKey(ctx: Ctx, key: string, hash: string): Promise<Claim> {
  const now = ctx.clock.now();
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await ctx.db
      .insertInto('idempotency_keys')
      .values({ livemode: ctx.livemode, key, request_hash: hash, created: now, locked_at: now, status: null, response: null })
      .onConflict((oc) => oc.doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return { kind: 'claimed' };

    const row = await ctx.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('livemode', '=', ctx.livemode)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row) continue; // released between our insert and select: try again
    const expired = row.created <= now - KEY_TTL_SECONDS;
    const abandoned = row.status === null && (row.locked_at ?? 0) <= now - STALE_CLAIM_SECONDS;
    if (expired || (abandoned && row.request_hash === hash)) {
      // Take the key over only if nobody else did since we read it.
      const taken = await ctx.db
        .updateTable('idempotency_keys')
        .set({ request_hash: hash, created: now, locked_at: now, status: null, response: null })
        .where('livemode', '=', ctx.livemode)
        .where('key', '=', key)
        .where('created', '=', row.created)
        .where('locked_at', row.locked_at === null ? 'is' : '=', row.locked_at)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return { kind: 'claimed' };
      continue;
    }
    if (row.request_hash !== hash) return { kind: 'mismatch' };
    if (row.status === null) return { kind: 'in_progress' };
    return { kind: 'replay', status: row.status, body: row.response ?? '' };
  }
  return { kind: 'in_progress' };
}

/** Stores the response for a claimed key (call inside the request's transaction when it succeeded). */
export async function storeResponse(ctx: Ctx, key: string, status: number, body: string): Promise<void> {
  await ctx.db
    .updateTable('idempotency_keys')
    .set({ status, response: body, locked_at: null })
    .where('livemode', '=', ctx.livemode)
    .where('key', '=', key)
    .execute();
}

/** Gives a claimed key back, so that the same request may be retried (nothing was executed). */
export async function releaseKey(ctx: Ctx, key: string): Promise<void> {
  await ctx.db
    .deleteFrom('idempotency_keys')
    .where('livemode', '=', ctx.livemode)
    .where('key', '=', key)
    .where('status', 'is', null)
    .execute();
}

/** Deletes keys older than 24 hours; returns how many. */
export async function pruneKeys(ctx: Pick<Ctx, 'db' | 'clock'>): Promise<number> {
  const result = await ctx.db
    .deleteFrom('idempotency_keys')
    .where('created', '<=', ctx.clock.now() - KEY_TTL_SECONDS)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
