/**
 * The audit log: every change an administrator makes in the dashboard, written in the same
 * transaction as the change (`adminChange` opens it, runs the domain function and records the entry),
 * so a change without its entry, or an entry without its change, cannot be committed.
 */
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import type { Ctx } from '../storage/context.ts';
import type { Db, Executor } from '../storage/database.ts';
import type { Administrator } from './administrators.ts';

export interface AuditEntry {
  seq: number;
  administrator: string;
  administratorEmail: string;
  created: number;
  livemode: boolean;
  action: string;
  objectId: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditRecord {
  action: string;
  objectId: string | null;
  before?: unknown;
  after?: unknown;
}

export async function recordAudit(db: Executor, now: number, admin: Administrator, livemode: boolean, record: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      administrator: admin.id,
      administrator_email: admin.email,
      created: now,
      livemode,
      action: record.action,
      object_id: record.objectId,
      before: record.before === undefined ? null : JSON.stringify(record.before),
      after: record.after === undefined ? null : JSON.stringify(record.after),
    })
    .execute();
}

/**
 * Runs one administrator change: `change` gets a domain context (in the transaction, in `livemode`,
 * with a request id like an API call's) and returns its result and what to record.
 * @example await adminChange(db, clock, admin, false, async (ctx) => { const after = await updateConfiguration(ctx, id, params); return { result: after, audit: { action: 'portal_configuration.update', objectId: id, before, after } }; })
 */
export async function adminChange<T>(
  db: Db,
  clock: Clock,
  admin: Administrator,
  livemode: boolean,
  change: (ctx: Ctx) => Promise<{ result: T; audit: AuditRecord }>,
): Promise<T> {
  return db.transaction().execute(async (tx) => {
    const ctx: Ctx = { db: tx, livemode, clock, request: { id: `req_${newId('request').slice(4, 18)}`, idempotencyKey: null } };
    const { result, audit } = await change(ctx);
    await recordAudit(tx, clock.now(), admin, livemode, audit);
    return result;
  });
}

export interface AuditFilters {
  action?: string;
  objectId?: string;
  administrator?: string;
  livemode?: boolean;
}

export async function listAudit(db: Executor, filters: AuditFilters, limit = 100): Promise<AuditEntry[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (filters.action) q = q.where('action', 'like', `${filters.action.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
  if (filters.objectId) q = q.where('object_id', '=', filters.objectId);
  if (filters.administrator) q = q.where('administrator_email', '=', filters.administrator.toLowerCase());
  if (filters.livemode !== undefined) q = q.where('livemode', '=', filters.livemode);
  const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    seq: r.seq,
    administrator: r.administrator,
    administratorEmail: r.administrator_email,
    created: r.created,
    livemode: r.livemode,
    action: r.action,
    objectId: r.object_id,
    before: r.before,
    after: r.after,
  }));
}
