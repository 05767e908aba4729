/**
 * Dashboard sessions. The cookie carries 256 random bits; only their SHA-256 is stored. A session ends
 * 30 minutes after its last request (idle) and 12 hours after sign-in whatever happens (absolute);
 * `expires_at` holds the current deadline and every check compares it with the injected clock. The
 * session also remembers which mode the dashboard shows (test by default), and holds its own random
 * CSRF key (`csrfSecret`): the forms' tokens depend on the session alone, never on the API keys, so
 * they survive key rolls and restarts and every process sharing the database accepts them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import type { Executor } from '../storage/database.ts';
import type { Administrator } from './administrators.ts';

export const ADMIN_IDLE_LIFETIME = 30 * 60;
export const ADMIN_MAX_LIFETIME = 12 * 60 * 60;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

const hash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

export interface AdminSession {
  id: string;
  administrator: Administrator;
  livemode: boolean;
  created: number;
  expiresAt: number;
  /** The key of this session's CSRF tokens (32 random bytes, hex); never sent to the browser. */
  csrfSecret: string;
}

/** Starts a session; returns it with the cookie's secret (shown to the browser once, never stored). */
export async function startAdminSession(db: Executor, clock: Clock, admin: Administrator): Promise<{ session: AdminSession; secret: string }> {
  const now = clock.now();
  const secret = randomBytes(32).toString('base64url');
  const row = {
    id: newId('admin_session'),
    secret_hash: hash(secret),
    administrator: admin.id,
    livemode: false,
    created: now,
    last_active_at: now,
    expires_at: Math.min(now + ADMIN_IDLE_LIFETIME, now + ADMIN_MAX_LIFETIME),
    csrf_secret: randomBytes(32).toString('hex'),
  };
  await db.insertInto('admin_sessions').values(row).execute();
  return { session: { id: row.id, administrator: admin, livemode: false, created: now, expiresAt: row.expires_at, csrfSecret: row.csrf_secret }, secret };
}

/** The live session for a cookie secret, its idle deadline moved on; null when none or expired. */
export async function touchAdminSession(db: Executor, clock: Clock, secret: string | undefined): Promise<AdminSession | null> {
  if (!secret || !SECRET.test(secret)) return null;
  const now = clock.now();
  const row = await db
    .selectFrom('admin_sessions as s')
    .innerJoin('administrators as a', 'a.id', 's.administrator')
    .select(['s.id', 's.livemode', 's.created', 's.expires_at', 's.csrf_secret', 'a.id as admin_id', 'a.email', 'a.created as admin_created'])
    .where('s.secret_hash', '=', hash(secret))
    .executeTakeFirst();
  if (!row || row.expires_at <= now) return null;
  const expiresAt = Math.min(row.created + ADMIN_MAX_LIFETIME, now + ADMIN_IDLE_LIFETIME);
  // One write a minute at most: the deadline moves in steps, not on every request.
  if (expiresAt - row.expires_at >= 60) {
    await db.updateTable('admin_sessions').set({ last_active_at: now, expires_at: expiresAt }).where('id', '=', row.id).execute();
  }
  return {
    id: row.id,
    administrator: { id: row.admin_id, email: row.email, created: row.admin_created },
    livemode: row.livemode,
    created: row.created,
    expiresAt: Math.max(expiresAt, row.expires_at),
    csrfSecret: row.csrf_secret,
  };
}

export async function endAdminSession(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('id', '=', id).execute();
}

export async function setSessionMode(db: Executor, id: string, livemode: boolean): Promise<void> {
  await db.updateTable('admin_sessions').set({ livemode }).where('id', '=', id).execute();
}

/** Forgets sessions that expired more than a day ago; returns how many. */
export async function pruneAdminSessions(db: Executor, now: number): Promise<number> {
  const r = await db.deleteFrom('admin_sessions').where('expires_at', '<', now - 24 * 60 * 60).executeTakeFirst();
  return Number(r.numDeletedRows);
}
