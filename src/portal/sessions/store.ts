/**
 * Portal sessions at rest, and the way into one.
 *
 * Invariants (design §3 "Portal security"):
 * - The URL token and the cookie are 256 random bits each; only their SHA-256 hashes are stored.
 * - The URL token is exchanged once, on the first visit, for the cookie; the token then opens nothing
 *   (a leaked link in a browser history cannot be replayed by someone else).
 * - A session expires 5 minutes after creation if unused, 1 hour after its last activity once used,
 *   and 2 hours after creation at most. `expires_at` always holds the current deadline; every check
 *   compares it with the injected clock, never the wall clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Clock } from '../../lib/clock.ts';
import type { Db, Executor } from '../../storage/database.ts';
import type { PortalSession } from './params.ts';

export const UNUSED_LIFETIME = 5 * 60;
export const IDLE_LIFETIME = 60 * 60;
export const MAX_LIFETIME = 2 * 60 * 60;

/** What a URL token or cookie looks like: 32 bytes in base64url without padding. */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The deadline after activity at `now`: an hour on, but never past two hours after creation. */
export function activeDeadline(created: number, now: number): number {
  return Math.min(created + MAX_LIFETIME, now + IDLE_LIFETIME);
}

export interface OpenSession {
  id: string;
  livemode: boolean;
  customer: string;
  configuration: string;
  /** The API object (its `url` is not kept). */
  session: PortalSession;
  expiresAt: number;
  /** When the session's flow was completed (null: still to be done, or no flow). */
  flowCompletedAt: number | null;
}

type Row = {
  id: string;
  livemode: boolean;
  customer: string;
  configuration: string;
  data: unknown;
  expires_at: number;
  used_at: number | null;
  created: number;
  flow_completed_at: number | null;
};

function toOpen(row: Row): OpenSession {
  return {
    id: row.id,
    livemode: row.livemode,
    customer: row.customer,
    configuration: row.configuration,
    session: row.data as PortalSession,
    expiresAt: row.expires_at,
    flowCompletedAt: row.flow_completed_at === null ? null : Number(row.flow_completed_at),
  };
}

/**
 * The statement storing a new session, with its URL token only as `tokenHash` and without its `url`:
 * the caller runs it in the statement writing the session's event (`emit`'s `alongside`).
 */
export function insertSessionStatement(session: PortalSession, tokenHash: string): RawBuilder<unknown> {
  return sql`insert into portal_sessions
      (id, livemode, token_hash, cookie_hash, customer, configuration, created, used_at, last_active_at, expires_at, data)
    values (${session.id}, ${session.livemode}, ${tokenHash}, null, ${session.customer}, ${session.configuration},
            ${session.created}, null, null, ${session.created + UNUSED_LIFETIME}, ${JSON.stringify({ ...session, url: '' })}::json)`;
}

/** Gives an unused, unexpired session a new URL token (the old one stops working); false otherwise. */
export async function rotateToken(db: Executor, id: string, tokenHash: string, now: number): Promise<boolean> {
  const res = await db
    .updateTable('portal_sessions')
    .set({ token_hash: tokenHash })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export type Exchange =
  | { kind: 'opened'; cookie: string; session: OpenSession }
  | { kind: 'used'; session: OpenSession }
  | { kind: 'expired'; session: OpenSession }
  | { kind: 'unknown' };

/**
 * What visiting a session URL would find, without using it (for HEAD requests and link previewers,
 * which must not spend a customer's link): `unusable` covers used and expired alike.
 */
export async function peekToken(db: Db, clock: Clock, token: string): Promise<'usable' | 'unusable' | 'unknown'> {
  if (!SECRET_PATTERN.test(token)) return 'unknown';
  const row = await db
    .selectFrom('portal_sessions')
    .select(['expires_at', 'used_at'])
    .where('token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!row) return 'unknown';
  return row.used_at === null && clock.now() < row.expires_at ? 'usable' : 'unusable';
}

/**
 * The first visit of a session URL: trades the token for a new cookie (stored as its hash), in one
 * transaction so two simultaneous first visits cannot both get one.
 */
export async function exchangeToken(db: Db, clock: Clock, token: string): Promise<Exchange> {
  if (!SECRET_PATTERN.test(token)) return { kind: 'unknown' };
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('portal_sessions')
      .select(['id', 'livemode', 'customer', 'configuration', 'data', 'expires_at', 'used_at', 'created', 'flow_completed_at'])
      .where('token_hash', '=', hashSecret(token))
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { kind: 'unknown' } as const;
    const now = clock.now();
    if (now >= row.expires_at) return { kind: 'expired', session: toOpen(row) } as const;
    if (row.used_at !== null) return { kind: 'used', session: toOpen(row) } as const;
    const cookie = newSecret();
    const expires = activeDeadline(row.created, now);
    await tx
      .updateTable('portal_sessions')
      .set({ cookie_hash: hashSecret(cookie), used_at: now, last_active_at: now, expires_at: expires })
      .where('id', '=', row.id)
      .execute();
    return { kind: 'opened', cookie, session: { ...toOpen(row), expiresAt: expires } } as const;
  });
}

export type CookieLookup = { kind: 'active'; session: OpenSession } | { kind: 'expired'; session: OpenSession } | { kind: 'unknown' };

/**
 * The session a cookie belongs to; an active one counts the request as activity (its deadline moves
 * to an hour from now, capped at two hours after creation).
 */
export async function sessionByCookie(db: Db, clock: Clock, cookie: string | undefined): Promise<CookieLookup> {
  if (cookie === undefined || !SECRET_PATTERN.test(cookie)) return { kind: 'unknown' };
  const now = clock.now();
  const row = await db
    .selectFrom('portal_sessions')
    .select(['id', 'livemode', 'customer', 'configuration', 'data', 'expires_at', 'used_at', 'created', 'flow_completed_at'])
    .where('cookie_hash', '=', hashSecret(cookie))
    .executeTakeFirst();
  if (!row) return { kind: 'unknown' };
  if (now >= row.expires_at) return { kind: 'expired', session: toOpen(row) };
  const expires = activeDeadline(row.created, now);
  if (expires !== row.expires_at) {
    // Only ever moves the deadline forward, and never revives a session another request saw expire.
    await db
      .updateTable('portal_sessions')
      .set({ last_active_at: now, expires_at: expires })
      .where('id', '=', row.id)
      .where('expires_at', '>', now)
      .where('expires_at', '<', expires)
      .execute();
  }
  return { kind: 'active', session: { ...toOpen(row), expiresAt: expires } };
}

/** Deletes sessions that expired more than a day ago (they can no longer open anything). */
export async function pruneSessions(db: Executor, now: number): Promise<number> {
  const res = await db.deleteFrom('portal_sessions').where('expires_at', '<', now - 86_400).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Records that the session's flow is done (the first completion counts); true when this call did it. */
export async function completeFlow(db: Executor, id: string, now: number): Promise<boolean> {
  const res = await db
    .updateTable('portal_sessions')
    .set({ flow_completed_at: now })
    .where('id', '=', id)
    .where('flow_completed_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
