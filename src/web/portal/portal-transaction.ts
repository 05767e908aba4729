/**
 * Runs a portal action in one database transaction, in the session's mode: the domain function's
 * writes and its events commit together or not at all (as an API request's do).
 */
import { withDb, type Ctx } from '../../storage/context.ts';
import type { PortalKit, PortalRequest } from './session-context.ts';

export function inTransaction<T>(kit: PortalKit, p: PortalRequest, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  return kit.deps.db.transaction().execute((tx) => fn(withDb(p.ctx, tx)));
}

/** The one notice a page shows after a redirect, when the query names one of `allowed` (else none). */
export function noticeFrom<N extends string>(value: string | undefined, allowed: readonly N[]): N | null {
  return value !== undefined && (allowed as readonly string[]).includes(value) ? (value as N) : null;
}
