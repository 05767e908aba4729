/**
 * The billing clock: runs due work (renewals, period-end cancellations, trial ends, payment retries …)
 * exactly once, however many workers run it.
 *
 * Invariants:
 * - An object is due when `objects.due_at <= now`. Real time only looks at objects without a test clock;
 *   an object on a test clock is due only when its clock is advanced past `due_at`.
 * - Workers claim due rows with `FOR UPDATE SKIP LOCKED`, so no two run the same object at once. A
 *   handler runs inside the claiming transaction and writes the object's next `due_at` in it, so its
 *   effects and "no longer due" commit together or not at all. (Handlers make their effects
 *   idempotent on top of this, e.g. `billing_periods`' primary key: one invoice per period.)
 * - A failing handler is rolled back alone, reported, and the object is rescheduled with exponential
 *   backoff (60 s · 2^k, at most 1 h; k is kept in the row's `private.due_failures` and cleared by the
 *   next success). The time the work was originally due for is kept in `private.due_for` meanwhile,
 *   and retries hand the handler that time as `row.due_at` (a renewal retried at 10:07 is still the
 *   renewal of the period that began at 10:00).
 * - Savepoints only where a failure needs one. Handlers registered with a unit of work
 *   (`registerDueHandler(…, { unitOfWork })`: subscription renewals) run optimistically: a run of
 *   consecutive such objects shares one savepoint and one `UnitOfWork` (storage/unit-of-work.ts: reads
 *   by id cached, object writes — the objects' next due times among them —, events with their
 *   deliveries, and billing periods buffered, then written with one multi-row statement per kind
 *   before the savepoint is released — still in the claim transaction, so events commit with their
 *   changes). When a handler fails, the savepoint is rolled back, that object backed off, and the
 *   objects before it run again, then those after it: what commits is what a savepoint per object
 *   would commit. A handler may therefore run twice and must have no effects outside the transaction
 *   (the test processor has none; a live processor adapter would need idempotency keys). When the buffered writes themselves are refused (e.g. a
 *   `billing_periods` primary key: that period was invoiced already), the run is halved until the
 *   refused object is alone. Other handlers get a savepoint each, at most MAX_SAVEPOINTS per claim;
 *   objects left over stay due (and locked until commit) for the next batch.
 * - A handler without a unit of work may change objects claimed later in its batch (a schedule's
 *   phase change, its subscription): those of the same customer are read again after it, and left out
 *   when it made them not due (rereadLater), so no handler works from a stale claimed row.
 * - Test clocks run one object at a time (due order matters: a handler may schedule more work inside
 *   the window), each in a unit of work of its own flushed before the next object is looked at.
 * - The `due_at` a handler returns must be after the one it handled (or null): otherwise the object
 *   would be due forever. That is treated as a handler failure. The returned value is what is stored
 *   (a handler does not write its own object's `due_at`).
 * - An object type without a handler is logged once per process and its `due_at` cleared (never spins).
 */
import { sql, type ControlledTransaction } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import type { Ctx } from '../storage/context.ts';
import { inTransaction, type Db, type Executor } from '../storage/database.ts';
import type { StoredObject } from '../storage/objects.ts';
import type { Database, ObjectRow } from '../storage/schema.ts';
import { UnitOfWork } from '../storage/unit-of-work.ts';
import { WEBHOOK_CHANNEL } from '../events/outbox.ts';
import { advanceHooks } from './test-clocks.ts';

/**
 * Handles a due object inside the claiming transaction; returns the object's next due time (or null).
 * ctx.clock is fixed at the time the work is due for (test clocks) or the worker's clock (real time).
 * `row.due_at` is the time the work is due for (on a retry after a failure, the original due time).
 * A handler must not change `row` in place: after a rollback the same row may be handled again.
 */
export type DueHandler = (ctx: Ctx, row: StoredObject) => Promise<number | null>;

export interface DueHandlerOptions {
  /**
   * Run in a unit of work shared by consecutive objects of the batch (see the module comment): the
   * handler reads and writes objects only through storage/objects.ts (or settles the unit first).
   * `preload` reads what the given objects will need into `ctx.uow` in a few statements (called once
   * per run and mode, before the handlers; optional: misses are read one by one).
   */
  unitOfWork?: { preload?: (ctx: Ctx, rows: StoredObject[]) => Promise<void> };
}

const handlers = new Map<string, { handle: DueHandler; opts: DueHandlerOptions }>();
const warnedTypes = new Set<string>();

/** The key in `objects.private` that counts consecutive failures of an object's due work. */
const FAILURES_KEY = 'due_failures';
/** The key in `objects.private` that keeps the due time a failing object's work is for. */
const DUE_FOR_KEY = 'due_for';
const BACKOFF_BASE_SECONDS = 60;
const BACKOFF_MAX_SECONDS = 3_600;
/**
 * Rows claimed per transaction. Unit-of-work handlers share savepoints (one per run of them), so a
 * batch can be large; see MAX_SAVEPOINTS for the others.
 */
export const DEFAULT_BATCH_SIZE = 250;
/** Savepoints one claim transaction may use (PostgreSQL caches 64 subtransactions per backend). */
export const MAX_SAVEPOINTS = 48;
const NO_REQUEST = { id: null, idempotencyKey: null } as const;

/**
 * Installs the handler for an object type (one per type; a later registration replaces it).
 * @example
 * registerDueHandler('subscription', async (ctx, row) => renewSubscription(ctx, row))
 */
export function registerDueHandler(objectType: string, handler: DueHandler, opts: DueHandlerOptions = {}): void {
  handlers.set(objectType, { handle: handler, opts });
}

function usesUnitOfWork(row: ObjectRow): boolean {
  return handlers.get(row.object)?.opts.unitOfWork !== undefined;
}

/** The backoff after `failures` earlier consecutive failures: 60 s, 120 s, 240 s … capped at 1 h. */
export function dueBackoff(failures: number): number {
  // 2^6 · 60 already exceeds the cap; clamping the exponent keeps the arithmetic small.
  return Math.min(BACKOFF_BASE_SECONDS * 2 ** Math.min(Math.max(failures, 0), 6), BACKOFF_MAX_SECONDS);
}

function toStored(row: ObjectRow): StoredObject {
  return {
    id: row.id,
    object: row.object,
    created: row.created,
    customer: row.customer,
    deleted: row.deleted,
    data: row.data,
    private: row.private,
    due_at: row.due_at,
    test_clock: row.test_clock,
  };
}

function failuresOf(row: ObjectRow): number {
  const k = row.private[FAILURES_KEY];
  return typeof k === 'number' && Number.isInteger(k) && k >= 0 ? k : 0;
}

/** The due time the object's work is for: its original one while it is being retried. */
function dueFor(row: ObjectRow): number | null {
  const t = row.private[DUE_FOR_KEY];
  return typeof t === 'number' && Number.isSafeInteger(t) ? t : row.due_at;
}

function defaultOnError(e: unknown): void {
  console.error('[portico] billing clock:', e);
}

/** Runs the object's handler (or retires an unknown type) and returns the next due time. */
async function dispatch(ctx: Ctx, claimed: ObjectRow): Promise<number | null> {
  const row = { ...claimed, due_at: dueFor(claimed) };
  const handler = handlers.get(row.object)?.handle;
  if (!handler) {
    if (!warnedTypes.has(row.object)) {
      warnedTypes.add(row.object);
      console.warn(`[portico] billing clock: no handler for due ${row.object} objects; clearing their due_at`);
    }
    return null;
  }
  const next = await handler(ctx, toStored(row));
  if (next !== null && (!Number.isSafeInteger(next) || next <= (row.due_at ?? -Infinity))) {
    throw new Error(`due handler for ${row.object} ${row.id} returned ${next}, not after its due time ${row.due_at}`);
  }
  return next;
}

/** Writes the next due time after a success (and forgets earlier failures). */
async function writeNextDue(db: Executor, row: ObjectRow, next: number | null): Promise<void> {
  await db
    .updateTable('objects')
    .set({
      due_at: next,
      ...(FAILURES_KEY in row.private || DUE_FOR_KEY in row.private
        ? { private: sql<string>`private - ${FAILURES_KEY}::text - ${DUE_FOR_KEY}::text` }
        : {}),
    })
    .where('livemode', '=', row.livemode)
    .where('id', '=', row.id)
    .execute();
}

/**
 * What a claimed object's pass ended with: its next due time and, after a failure, the new count;
 * `written` when its unit of work already wrote them with the object's other changes.
 */
interface Outcome {
  row: ObjectRow;
  due: number | null;
  failures: number | null;
  written: boolean;
}

/**
 * Writes a batch's outcomes in one statement (in the claim transaction, so with the handlers' work):
 * successes clear the retry bookkeeping, failures record it along with the original due time.
 */
async function writeOutcomes(db: Executor, all: Outcome[]): Promise<void> {
  const outcomes = all.filter((o) => !o.written);
  if (outcomes.length === 0) return;
  const values = sql.join(
    outcomes.map(
      (o) =>
        sql`(${o.row.livemode}::boolean, ${o.row.id}::text, ${o.due}::bigint, ${o.failures}::int, ${dueFor(o.row)}::bigint)`,
    ),
  );
  await sql`
    update objects as o
    set due_at = v.due_at,
        private = case
          when v.failures is null then o.private - ${FAILURES_KEY}::text - ${DUE_FOR_KEY}::text
          else o.private || jsonb_build_object(${FAILURES_KEY}::text, v.failures, ${DUE_FOR_KEY}::text, v.due_for)
        end
    from (values ${values}) as v (livemode, id, due_at, failures, due_for)
    where o.livemode = v.livemode and o.id = v.id`.execute(db);
}

/** Reads what the unit-of-work handlers of `rows` will need, per object type and mode. */
async function preload(base: Omit<Ctx, 'livemode'>, rows: ObjectRow[]): Promise<void> {
  const groups = new Map<string, ObjectRow[]>();
  for (const r of rows) {
    const k = `${r.object}\u0000${r.livemode}`;
    const group = groups.get(k);
    if (group) group.push(r);
    else groups.set(k, [r]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const fn = handlers.get(first.object)?.opts.unitOfWork?.preload;
    if (fn) await fn({ ...base, livemode: first.livemode }, group.map((r) => toStored({ ...r, due_at: dueFor(r) })));
  }
}

type RunResult =
  | { ok: true; next: Map<number, number | null>; written: boolean }
  | { ok: false; failedAt: number; error: unknown }
  | { ok: false; failedAt: null; error: unknown };

/**
 * Runs the objects `live` (indices into `rows`, all unit-of-work types, or one other object) in one
 * savepoint of `trx`: the handlers in order, then the unit's writes. Rolls the savepoint back on failure.
 */
async function runInSavepoint(
  trx: ControlledTransaction<Database>,
  rows: ObjectRow[],
  live: number[],
  clock: Clock,
): Promise<RunResult> {
  const sp = await trx.savepoint('due_batch').execute();
  const rollback = async () => {
    await sp.rollbackToSavepoint('due_batch').execute();
    await sp.releaseSavepoint('due_batch').execute();
  };
  const uow = usesUnitOfWork(rows[live[0]!]!) ? new UnitOfWork(WEBHOOK_CHANNEL) : undefined;
  const base = { db: trx as Executor, clock, request: NO_REQUEST, ...(uow ? { uow } : {}) };
  const next = new Map<number, number | null>();
  try {
    if (uow) {
      const claimed = live.map((i) => rows[i]!);
      uow.seed(claimed, true);
      await preload(base, claimed);
    }
  } catch (error) {
    await rollback();
    return { ok: false, failedAt: null, error };
  }
  for (const i of live) {
    try {
      next.set(i, await dispatch({ ...base, livemode: rows[i]!.livemode }, rows[i]!));
    } catch (error) {
      await rollback();
      return { ok: false, failedAt: i, error };
    }
  }
  try {
    if (uow) {
      // Each object's next due time goes out with its other changes: one UPDATE per row, not two.
      for (const [i, due] of next) await bufferNextDue({ ...base, livemode: rows[i]!.livemode, uow }, rows[i]!, due);
      await uow.flush(trx);
    }
  } catch (error) {
    await rollback();
    return { ok: false, failedAt: null, error };
  }
  await sp.releaseSavepoint('due_batch').execute();
  return { ok: true, next, written: uow !== undefined };
}

/** Buffers a successful object's next due time in its unit of work, forgetting earlier failures. */
async function bufferNextDue(ctx: Ctx & { uow: UnitOfWork }, row: ObjectRow, due: number | null): Promise<void> {
  if (!(FAILURES_KEY in row.private) && !(DUE_FOR_KEY in row.private)) return ctx.uow.update(ctx, row.id, { due_at: due });
  // The handler may have rewritten `private` (from the claimed row, keys included): drop them from that.
  const current = await ctx.uow.find(ctx, null, row.id, { includeDeleted: true });
  const priv = { ...(current?.private ?? row.private) };
  delete priv[FAILURES_KEY];
  delete priv[DUE_FOR_KEY];
  await ctx.uow.update(ctx, row.id, { due_at: due, private: priv });
}

/**
 * After a handler without a unit of work (it writes as it goes): the objects of the same customer
 * claimed later in the batch may have been changed by it (a schedule's phase change writes its
 * subscription), so they are read again (still locked by this transaction); those it made not due
 * any more are left out of the batch, their new due time as it wrote it.
 */
async function rereadLater(trx: Executor, rows: ObjectRow[], from: number, ran: ObjectRow, now: number, settled: Set<number>): Promise<void> {
  if (ran.customer === null) return;
  const later: number[] = [];
  for (let j = from; j < rows.length; j++) {
    if (rows[j]!.customer === ran.customer && rows[j]!.livemode === ran.livemode && !settled.has(j)) later.push(j);
  }
  if (later.length === 0) return;
  const fresh = await trx
    .selectFrom('objects')
    .selectAll()
    .where('livemode', '=', ran.livemode)
    .where('id', 'in', later.map((j) => rows[j]!.id))
    .execute();
  const byId = new Map(fresh.map((r) => [r.id, r]));
  for (const j of later) {
    const row = byId.get(rows[j]!.id);
    if (!row || row.due_at === null || row.due_at > now) settled.add(j);
    else rows[j] = row;
  }
}

/** The claimed rows cut into runs: consecutive unit-of-work objects together, any other alone. */
function runsOf(rows: ObjectRow[]): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    if (usesUnitOfWork(rows[i]!)) while (j < rows.length && usesUnitOfWork(rows[j]!)) j++;
    runs.push([i, j]);
    i = j;
  }
  return runs;
}

/**
 * Real-time pass: claims up to `batchSize` objects with `due_at <= now` and no test clock (`FOR UPDATE
 * SKIP LOCKED`, oldest due first), runs their handlers in savepoints of the claim transaction (see the
 * module comment), writes the returned `due_at`s (one statement per batch), and commits. A failing
 * object is rolled back alone, reported to `onError`, and rescheduled with backoff. Returns how many
 * objects were processed (failures included).
 *
 * @example
 * while ((await runDueWork(storage.db, systemClock)) > 0) {} // drain everything due now
 */
export async function runDueWork(
  db: Db,
  clock: Clock,
  opts: { batchSize?: number; onError?: (e: unknown) => void } = {},
): Promise<number> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const onError = opts.onError ?? defaultOnError;
  const now = clock.now();
  const trx = await db.startTransaction().execute();
  try {
    const rows = await trx
      .selectFrom('objects')
      .selectAll()
      .where('due_at', 'is not', null)
      .where('due_at', '<=', now)
      .where('test_clock', 'is', null)
      .orderBy('due_at')
      .orderBy('seq')
      .limit(batchSize)
      .forUpdate()
      .skipLocked()
      .execute();
    const outcomes = new Map<number, Outcome>();
    const failed = new Set<number>();
    // Objects another handler of the batch made not due any more (rereadLater): left out, as written.
    const settled = new Set<number>();
    const fail = (i: number, e: unknown) => {
      failed.add(i);
      onError(e);
      const k = failuresOf(rows[i]!);
      outcomes.set(i, { row: rows[i]!, due: now + dueBackoff(k), failures: k + 1, written: false });
    };
    // Ranges still to run, the next on top; a range skips the objects already failed.
    const todo = runsOf(rows).reverse();
    let savepoints = 0;
    while (todo.length > 0 && savepoints < MAX_SAVEPOINTS) {
      const [a, b] = todo.pop()!;
      const live: number[] = [];
      for (let i = a; i < b; i++) if (!failed.has(i) && !settled.has(i)) live.push(i);
      if (live.length === 0) continue;
      savepoints++;
      const result = await runInSavepoint(trx, rows, live, clock);
      if (result.ok) {
        for (const [i, due] of result.next) outcomes.set(i, { row: rows[i]!, due, failures: null, written: result.written });
        if (!result.written) await rereadLater(trx, rows, b, rows[a]!, now, settled);
      } else if (result.failedAt !== null) {
        // Back it off; run the objects before it again, then those after it.
        fail(result.failedAt, result.error);
        todo.push([result.failedAt + 1, b], [a, result.failedAt]);
      } else if (live.length === 1) {
        fail(live[0]!, result.error);
      } else {
        // The writes failed: halve the run until the object they fail for is alone.
        const mid = live[Math.floor(live.length / 2)]!;
        todo.push([mid, b], [a, mid]);
      }
    }
    // Objects left over (savepoints ran out) are not written: still due, the next batch takes them.
    await writeOutcomes(trx, [...outcomes.entries()].sort((x, y) => x[0] - y[0]).map(([, o]) => o));
    await trx.commit().execute();
    return outcomes.size;
  } catch (e) {
    await trx.rollback().execute().catch(() => {});
    throw e;
  }
}

/** A clock stopped at `t`: what a handler sees while a test clock passes through `t`. */
function frozenAt(t: number): Clock {
  return { now: () => t };
}

/**
 * Test clocks: processes every object on clock `clockId` (in ctx's mode) with `due_at <= to`, in due
 * order (`due_at`, then insertion), each with a ctx whose clock reads `max(due_at, from)`; loops until
 * nothing on the clock is due by `to`, so handlers may schedule more work inside the window (three
 * monthly renewals in one three-month advance). Runs in ctx's transaction (or one of its own); a
 * failing handler fails the whole advance. Returns how many objects were processed.
 *
 * @example
 * await runClockWindow(ctx, 'clock_123', clock.frozen_time, target) // 3 for one monthly sub, 3 months
 */
export function runClockWindow(ctx: Ctx, clockId: string, from: number, to: number): Promise<number> {
  return inTransaction(ctx.db, async (tx) => {
    let processed = 0;
    for (;;) {
      // One at a time: a handler may schedule work that is due before the next row already seen.
      const row = await tx
        .selectFrom('objects')
        .selectAll()
        .where('livemode', '=', ctx.livemode)
        .where('test_clock', '=', clockId)
        .where('due_at', 'is not', null)
        .where('due_at', '<=', to)
        .orderBy('due_at')
        .orderBy('seq')
        .limit(1)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return processed;
      const at = Math.max(row.due_at!, from);
      const uow = usesUnitOfWork(row) ? new UnitOfWork(WEBHOOK_CHANNEL) : undefined;
      const due: Ctx = { ...ctx, db: tx, livemode: row.livemode, clock: frozenAt(at), ...(uow ? { uow } : {}) };
      if (uow) {
        uow.seed([row], true);
        await preload(due, [row]);
      }
      const next = await dispatch(due, row);
      await uow?.flush(tx);
      await writeNextDue(tx, row, next);
      processed++;
    }
  });
}

// Advancing a test clock runs the due work of everything on it.
advanceHooks.push(async (ctx, clock, from, to) => {
  await runClockWindow(ctx, clock.id, from, to);
});
