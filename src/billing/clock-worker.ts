/**
 * The in-process billing clock loop: applies due work on a short interval. For now that is finishing
 * test-clock advances; renewals and other due work join it with the billing engine.
 */
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../storage/database.ts';
import type { Ctx } from '../storage/context.ts';
import { advancingClockIds, completeAdvance } from './test-clocks.ts';

export interface ClockWorker {
  /** Runs one pass now (tests call this; the loop calls it on its interval). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export function startClockWorker(db: Db, clock: Clock, opts: { intervalMs?: number; auto?: boolean; onError?: (e: unknown) => void } = {}): ClockWorker {
  const base: Omit<Ctx, 'db'> = { livemode: false, clock, request: { id: null, idempotencyKey: null } };
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const pass = async () => {
    const ids = await advancingClockIds({ ...base, db });
    for (const id of ids) {
      await db.transaction().execute((tx) => completeAdvance({ ...base, db: tx }, id));
    }
  };
  const tick = () => {
    running = running.then(pass).catch((e) => (opts.onError ?? ((err) => console.error('[portico] clock worker:', err)))(e));
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
