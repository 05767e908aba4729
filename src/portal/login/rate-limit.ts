/**
 * Rate limits of the login form (`rate-limiter-flexible`): per address (5 per 15 minutes) and per
 * client IP (20 per 15 minutes). The dashboard's sign-in uses the same limiter with its own counters
 * (`prefix`), per administrator email and per IP.
 *
 * On PostgreSQL the counters live in `portal_login_rate_limits` (migration 0006, the library's own
 * layout, created by the migration so the library never runs DDL), through the server's `pg` pool, so
 * every API process behind a load balancer counts together; if the store fails, an in-memory limiter
 * takes over for the failing calls (the library's insurance), so an outage neither blocks logins nor
 * lifts the limits. On PGlite the counters are in memory: the embedded database admits a single
 * process (its lock file), so memory is shared by everything that serves requests, and PGlite's
 * client is not the `pg` interface the store speaks.
 *
 * Keys are SHA-256 hashes: no address or IP is stored in the table. The library keeps its own time
 * (the wall clock): these are abuse windows, not domain deadlines.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LoginLimits {
  perAddress: number;
  perIp: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAddress: 5, perIp: 20, windowSeconds: 15 * 60 };

export type LimitResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface LoginRateLimiter {
  /** Counts one attempt from `ip`. */
  ip(ip: string): Promise<LimitResult>;
  /** Counts one attempt for the (normalized) address. */
  address(email: string): Promise<LimitResult>;
  /** Forgets the address's attempts (a sign-in form calls it after a successful sign-in). */
  resetAddress(email: string): Promise<void>;
}

const hashKey = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

async function consume(limiter: RateLimiterAbstract, key: string): Promise<LimitResult> {
  try {
    await limiter.consume(hashKey(key));
    return { ok: true };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
    throw err;
  }
}

/** Limiters on the PostgreSQL pool when there is one, else in memory. */
export function createLoginRateLimiter(
  pool: pg.Pool | null,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  /** Separates the counters of another sign-in form (the dashboard's uses `dashboard`). */
  prefix = 'login',
): LoginRateLimiter {
  const make = (keyPrefix: string, points: number): RateLimiterAbstract => {
    const base = { keyPrefix, points, duration: limits.windowSeconds };
    if (!pool) return new RateLimiterMemory(base);
    return new RateLimiterPostgres({
      ...base,
      storeClient: pool,
      storeType: 'pool',
      tableName: 'portal_login_rate_limits',
      tableCreated: true,
      // The library deletes rows expired an hour ago every 5 minutes (an unref'd timer).
      clearExpiredByTimeout: true,
      insuranceLimiter: new RateLimiterMemory(base),
    });
  };
  const byIp = make(`${prefix}_ip`, limits.perIp);
  const byAddress = make(`${prefix}_email`, limits.perAddress);
  return {
    ip: (ip) => consume(byIp, ip),
    address: (email) => consume(byAddress, email),
    resetAddress: async (email) => {
      await byAddress.delete(hashKey(email));
    },
  };
}
