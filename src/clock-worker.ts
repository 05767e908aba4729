/**
 * The in-process worker loop that schedules upkeep for every domain: the billing clock, test clock
 * advances, the login mail outbox (rows a notification did not bring, or a dead sender left), the pruning
 * of idempotency keys, portal sessions and old events, and table maintenance.
 * It sits beside main.ts, above the domains it calls, so no domain imports another's upkeep.
 * Each pass finishes the test clocks that are advancing (their due
 * work runs inside the advance, through the billing clock's advance hook), then drains real-time due
 * work of both modes with `runDueWork` (each row carries its own livemode), a bounded number of
 * batches per pass so one pass never runs forever.
 *
 * An advance whose work fails is rolled back whole and its clock moves to `internal_failure` (as on
 * Stripe, with its event) instead of being retried on every tick; advancing it again retries.
 */
import type { Clock } from './lib/clock.ts';
import type { Db } from './storage/database.ts';
import type { Ctx } from './storage/context.ts';
import { DEFAULT_BATCH_SIZE, runDueWork } from './billing/billing-clock.ts';
import { pruneKeys } from './storage/idempotency-keys.ts';
import { pruneAdminSessions } from './admin/sessions.ts';
import { pruneSessions } from './portal/sessions/store.ts';
import { maintainTables } from './storage/maintenance.ts';
import { emit } from './events/outbox.ts';
import { pruneEvents } from './events/retention.ts';
import { findObject, updateObject } from './storage/objects.ts';
import { advancingClockIds, completeAdvance, type TestClock } from './billing/test-clocks.ts';

export interface ClockWorker {
  /** Runs one pass now (tests call this; the loop calls it on its interval). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** Batches of real-time due work per pass at most; the next pass continues. */
const MAX_BATCHES_PER_PASS = 20;
/** How often (seconds) a pass looks for tables to vacuum or analyze, as autovacuum's default naptime. */
const MAINTENANCE_INTERVAL = 60;

/** Marks a clock whose advance failed (if it is still advancing). */
async function failAdvance(db: Db, base: Omit<Ctx, 'db'>, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const ctx: Ctx = { ...base, db: tx };
    const found = await findObject<TestClock>(ctx, 'test_helpers.test_clock', id, { forUpdate: true });
    if (!found || found.data.status !== 'advancing') return;
    const after: TestClock = { ...found.data, status: 'internal_failure', status_details: {} };
    await updateObject(ctx, id, { data: after });
    await emit(ctx, 'test_helpers.test_clock.internal_failure', after);
  });
}

export function startClockWorker(
  db: Db,
  clock: Clock,
  opts: {
    intervalMs?: number;
    auto?: boolean;
    batchSize?: number;
    onError?: (e: unknown) => void;
    /**
     * The login mail outbox's sender: each pass starts a drain (rows whose notification was lost, or
     * whose sender died) without waiting for it, so a slow SMTP server never holds up billing.
     */
    loginOutbox?: { drain(): Promise<void> };
  } = {},
): ClockWorker {
  const base: Omit<Ctx, 'db'> = { livemode: false, clock, request: { id: null, idempotencyKey: null } };
  const onError = opts.onError ?? ((err: unknown) => console.error('[portico] clock worker:', err));
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let lastPrune = 0;
  let lastMaintenance = 0;

  const pass = async () => {
    // Idempotency keys are kept 24 hours, expired portal and dashboard sessions a day, events 30 days;
    // forget older ones hourly.
    if (clock.now() - lastPrune >= 3600) {
      await pruneKeys({ db, clock });
      await pruneSessions(db, clock.now());
      await pruneAdminSessions(db, clock.now());
      await pruneEvents(db);
      lastPrune = clock.now();
    }
    // Where no autovacuum runs (the embedded database; servers with it off), statistics and dead rows.
    if (clock.now() - lastMaintenance >= MAINTENANCE_INTERVAL) {
      lastMaintenance = clock.now();
      await maintainTables(db).catch(onError);
    }
    void opts.loginOutbox?.drain();
    const ids = await advancingClockIds({ ...base, db });
    for (const id of ids) {
      // One broken clock must not hold up the others or real-time work.
      try {
        await db.transaction().execute((tx) => completeAdvance({ ...base, db: tx }, id));
      } catch (e) {
        onError(e);
        await failAdvance(db, base, id).catch(onError);
      }
    }
    for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
      const n = await runDueWork(db, clock, { batchSize, onError });
      if (n < batchSize) break;
    }
  };
  const tick = () => {
    running = running.then(pass).catch(onError);
    return running;
  };
  const timer =
    opts.auto === false
      ? null
      : setInterval(() => {
          if (!stopped) void tick();
        }, opts.intervalMs ?? 200);
  timer?.unref();
  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
