/**
 * The billing clock on both databases, driven by a test-only renewable object type whose handler does
 * what a renewal does: writes the period's `billing_periods` row and returns the next period end.
 * Dates: anchor 2027-01-31T10:00:00Z, so monthly boundaries are Feb 28, Mar 31 and Apr 30 (clamped).
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { registerDueHandler, dueBackoff, runDueWork } from '../src/billing/billing-clock.ts';
import { startClockWorker } from '../src/clock-worker.ts';
import { periodContaining } from '../src/billing/periods.ts';
import { advanceTestClock, createTestClock, getTestClock } from '../src/billing/test-clocks.ts';
import { ManualClock, type Clock } from '../src/lib/clock.ts';
import type { Ctx } from '../src/storage/context.ts';
import { openStorage, type Db, type Storage } from '../src/storage/database.ts';
import { insertObject } from '../src/storage/objects.ts';
import { openPostgresSchemaWithUrl, storageCases } from './support/storages.ts';

const TYPE = 'test_renewable';
const T0 = 1801389600; // 2027-01-31T10:00:00Z
const FEB28 = 1803808800; // 2027-02-28T10:00:00Z
const MAR31 = 1806487200; // 2027-03-31T10:00:00Z
const APR30 = 1809079200; // 2027-04-30T10:00:00Z
const MAY31 = 1811757600; // 2027-05-31T10:00:00Z
const HOUR = 3600;

/** Every handler call: which object, what its ctx.clock read, which due time it handled. */
const calls: { id: string; now: number; due: number; livemode: boolean }[] = [];
/** Objects whose renewal throws (after writing its period, which must then be rolled back). */
const failing = new Set<string>();

registerDueHandler(TYPE, async (ctx, row) => {
  const due = row.due_at!;
  calls.push({ id: row.id, now: ctx.clock.now(), due, livemode: ctx.livemode });
  await ctx.db
    .insertInto('billing_periods')
    .values({ livemode: ctx.livemode, subscription: row.id, period_start: due, invoice: 'in_x', created: ctx.clock.now() })
    .execute();
  if (failing.has(row.id)) throw new Error(`renewal of ${row.id} failed`);
  // The next boundary, counted from the anchor (addInterval under the hood): one month after `due`.
  return periodContaining(row.data.anchor as number, 'month', 1, due).end;
});

function ctxOf(db: Db, clock: Clock, livemode = false): Ctx {
  return { db, livemode, clock, request: { id: null, idempotencyKey: null } };
}

async function renewable(
  ctx: Ctx,
  id: string,
  opts: { anchor: number; due: number | null; testClock?: string | null; type?: string },
): Promise<void> {
  await insertObject(ctx, {
    id,
    object: opts.type ?? TYPE,
    created: opts.anchor,
    data: { id, anchor: opts.anchor },
    due_at: opts.due,
    test_clock: opts.testClock ?? null,
  });
}

async function periodsOf(db: Db, id: string): Promise<number[]> {
  const rows = await db.selectFrom('billing_periods').select('period_start').where('subscription', '=', id).orderBy('period_start').execute();
  return rows.map((r) => r.period_start);
}

async function rowOf(db: Db, id: string) {
  return db.selectFrom('objects').select(['due_at', 'private', 'livemode']).where('id', '=', id).executeTakeFirstOrThrow();
}

async function withStorage(open: () => Promise<Storage>, fn: (s: Storage) => Promise<void>): Promise<void> {
  const storage = await open();
  try {
    await fn(storage);
  } finally {
    await storage.close();
  }
}

for (const c of storageCases()) {
  describe(`billing clock on ${c.name}`, () => {
    test('a 3-month test-clock advance runs exactly three periods, in due order, at each due time', () =>
      withStorage(c.open, async ({ db }) => {
        const clock = new ManualClock(T0);
        const ctx = ctxOf(db, clock);
        const [one, two] = await db.transaction().execute(async (tx) => [
          await createTestClock(ctxOf(tx, clock), { frozen_time: T0 }),
          await createTestClock(ctxOf(tx, clock), { frozen_time: T0 }),
        ]);
        await renewable(ctx, `${c.name}_a`, { anchor: T0, due: FEB28, testClock: one!.id });
        // Overdue when the advance starts (an hour before the clock's time): its ctx reads `from`.
        await renewable(ctx, `${c.name}_d`, { anchor: T0 - HOUR, due: T0 - HOUR, testClock: one!.id });
        await renewable(ctx, `${c.name}_other_clock`, { anchor: T0, due: FEB28, testClock: two!.id });
        await renewable(ctx, `${c.name}_real_time`, { anchor: T0, due: FEB28 });

        await db.transaction().execute((tx) => advanceTestClock(ctxOf(tx, clock), one!.id, APR30));
        const errors: unknown[] = [];
        const worker = startClockWorker(db, clock, { auto: false, onError: (e) => errors.push(e) });
        const before = calls.length;
        await worker.tick();
        await worker.stop();
        assert.deepEqual(errors, []);

        assert.deepEqual(await periodsOf(db, `${c.name}_a`), [FEB28, MAR31, APR30]);
        assert.deepEqual(await periodsOf(db, `${c.name}_d`), [T0 - HOUR, FEB28 - HOUR, MAR31 - HOUR, APR30 - HOUR]);
        assert.deepEqual(await periodsOf(db, `${c.name}_other_clock`), []);
        assert.deepEqual(await periodsOf(db, `${c.name}_real_time`), []);
        assert.deepEqual(
          calls.slice(before).map((x) => [x.id.replace(`${c.name}_`, ''), x.due, x.now]),
          [
            ['d', T0 - HOUR, T0], // due before the window: the clock reads the window's start
            ['d', FEB28 - HOUR, FEB28 - HOUR],
            ['a', FEB28, FEB28],
            ['d', MAR31 - HOUR, MAR31 - HOUR],
            ['a', MAR31, MAR31],
            ['d', APR30 - HOUR, APR30 - HOUR],
            ['a', APR30, APR30],
          ],
        );
        assert.equal((await rowOf(db, `${c.name}_a`)).due_at, MAY31);
        assert.equal((await rowOf(db, `${c.name}_other_clock`)).due_at, FEB28);
        assert.equal((await rowOf(db, `${c.name}_real_time`)).due_at, FEB28);
        const after = await getTestClock(ctx, one!.id);
        assert.equal(after.status, 'ready');
        assert.equal(after.frozen_time, APR30);
        // The same periods cannot be written twice: a replayed window finds nothing due.
        const created = await db.selectFrom('billing_periods').select('created').where('subscription', '=', `${c.name}_a`).execute();
        assert.deepEqual(created.map((r) => r.created).sort(), [FEB28, MAR31, APR30]);
      }));

    test('real time: a failing object rolls back alone and backs off; the rest of the batch commits', () =>
      withStorage(c.open, async ({ db }) => {
        const NOW = 1811808000; // 2027-06-01T00:00:00Z
        const clock = new ManualClock(NOW);
        const test_ = ctxOf(db, clock);
        const bad = `${c.name}_bad`;
        await renewable(test_, `${c.name}_ok1`, { anchor: T0, due: NOW - 100 });
        await renewable(test_, bad, { anchor: T0, due: NOW - 50 });
        await renewable(test_, `${c.name}_ok2`, { anchor: T0, due: NOW - 10 });
        await renewable(ctxOf(db, clock, true), `${c.name}_live`, { anchor: T0, due: NOW - 5 });
        await renewable(test_, `${c.name}_future`, { anchor: T0, due: NOW + 100 });
        await renewable(test_, `${c.name}_m1`, { anchor: T0, due: NOW - 2, type: `test_mystery_${c.name}` });
        await renewable(test_, `${c.name}_m2`, { anchor: T0, due: NOW - 1, type: `test_mystery_${c.name}` });
        failing.add(bad);
        const warn = mock.method(console, 'warn', () => {});
        const errors: unknown[] = [];
        const onError = (e: unknown) => errors.push(e);
        const before = calls.length;
        try {
          assert.equal(await runDueWork(db, clock, { onError }), 6);
          assert.equal(warn.mock.calls.filter((w) => String(w.arguments[0]).includes(`test_mystery_${c.name}`)).length, 1);
        } finally {
          warn.mock.restore();
        }
        assert.equal(errors.length, 1);
        assert.match(String(errors[0]), /renewal of .*_bad failed/);
        assert.deepEqual(await periodsOf(db, `${c.name}_ok1`), [NOW - 100]);
        assert.deepEqual(await periodsOf(db, `${c.name}_ok2`), [NOW - 10]);
        assert.deepEqual(await periodsOf(db, bad), []); // its insert was rolled back with it
        assert.deepEqual(await periodsOf(db, `${c.name}_live`), [NOW - 5]);
        const live = await db.selectFrom('billing_periods').select('livemode').where('subscription', '=', `${c.name}_live`).executeTakeFirstOrThrow();
        assert.equal(live.livemode, true);
        // Real time: the handler's clock is the worker's clock.
        assert.ok(calls.slice(before).every((x) => x.now === NOW));
        assert.deepEqual(calls.slice(before).map((x) => x.id.replace(`${c.name}_`, '')), ['ok1', 'bad', 'ok2', 'live']);
        assert.equal((await rowOf(db, `${c.name}_ok1`)).due_at, 1814349600); // 2027-06-30T10:00:00Z
        assert.equal((await rowOf(db, `${c.name}_m1`)).due_at, null);
        assert.equal((await rowOf(db, `${c.name}_m2`)).due_at, null);
        assert.equal((await rowOf(db, `${c.name}_future`)).due_at, NOW + 100);
        let row = await rowOf(db, bad);
        assert.equal(row.due_at, NOW + 60);
        assert.equal(row.private.due_failures, 1);
        assert.equal(row.private.due_for, NOW - 50); // what the retry will be the renewal of

        // Nothing is due until the backoff ends; then it fails again and waits twice as long.
        assert.equal(await runDueWork(db, clock, { onError }), 0);
        clock.set(NOW + 60);
        assert.equal(await runDueWork(db, clock, { onError }), 1);
        row = await rowOf(db, bad);
        assert.equal(row.due_at, NOW + 60 + 120);
        assert.equal(row.private.due_failures, 2);

        // Once the renewal works, it runs for its original due time and the failure count is cleared.
        failing.delete(bad);
        clock.set(NOW + 180);
        assert.equal(await runDueWork(db, clock, { onError }), 2); // and `future`, due at NOW + 100 by now
        assert.deepEqual(await periodsOf(db, bad), [NOW - 50]);
        assert.deepEqual(await periodsOf(db, `${c.name}_future`), [NOW + 100]);
        row = await rowOf(db, bad);
        assert.equal(row.due_at, 1814349600);
        assert.equal('due_failures' in row.private || 'due_for' in row.private, false);
        assert.ok(calls.slice(before).filter((x) => x.id === bad).every((x) => x.due === NOW - 50));
        assert.equal(errors.length, 2);
      }));

    test('an advance whose work fails is rolled back whole and the clock reports internal_failure', () =>
      withStorage(c.open, async ({ db }) => {
        const clock = new ManualClock(T0);
        const ctx = ctxOf(db, clock);
        const tc = await createTestClock(ctx, { frozen_time: T0 });
        await renewable(ctx, `${c.name}_fine`, { anchor: T0, due: FEB28, testClock: tc.id });
        await renewable(ctx, `${c.name}_broken`, { anchor: T0, due: MAR31, testClock: tc.id });
        failing.add(`${c.name}_broken`);
        await db.transaction().execute((tx) => advanceTestClock(ctxOf(tx, clock), tc.id, APR30));
        const errors: unknown[] = [];
        const worker = startClockWorker(db, clock, { auto: false, onError: (e) => errors.push(e) });
        await worker.tick();
        const before = calls.length;
        await worker.tick(); // not retried on every tick
        await worker.stop();
        failing.delete(`${c.name}_broken`);
        assert.equal(calls.length, before);
        assert.equal(errors.length, 1);
        assert.match(String(errors[0]), /renewal of .*_broken failed/);
        const after = await getTestClock(ctx, tc.id);
        assert.equal(after.status, 'internal_failure');
        assert.equal(after.frozen_time, T0);
        assert.deepEqual(await periodsOf(db, `${c.name}_fine`), []); // its Feb 28 renewal was rolled back too
        assert.equal((await rowOf(db, `${c.name}_fine`)).due_at, FEB28);
        const types = (await db.selectFrom('events').select(['type', 'data']).orderBy('seq').execute())
          .filter((e) => e.data.data.object.id === tc.id)
          .map((e) => e.type);
        assert.deepEqual(types.slice(-2), ['test_helpers.test_clock.advancing', 'test_helpers.test_clock.internal_failure']);
      }));

    test('workers racing on one database process each object once', () =>
      withStorage(c.open, async ({ db }) => {
        const NOW = 1811808000;
        const clock = new ManualClock(NOW);
        const ctx = ctxOf(db, clock);
        for (let i = 0; i < 120; i++) await renewable(ctx, `${c.name}_race${i}`, { anchor: T0, due: NOW - i });
        const before = calls.length;
        const drain = async () => {
          let total = 0;
          for (let n = await runDueWork(db, clock, { batchSize: 7 }); n > 0; n = await runDueWork(db, clock, { batchSize: 7 })) total += n;
          return total;
        };
        const counts = await Promise.all([drain(), drain(), drain()]);
        assert.equal(counts.reduce((a, b) => a + b, 0), 120);
        const ids = calls.slice(before).map((x) => x.id);
        assert.equal(ids.length, 120);
        assert.equal(new Set(ids).size, 120);
      }));

    test('batches are bounded and ordered by due time; a handler returning a time not after its due time fails', () =>
      withStorage(c.open, async ({ db }) => {
        const NOW = 1811808000;
        const clock = new ManualClock(NOW);
        const ctx = ctxOf(db, clock);
        for (let i = 0; i < 5; i++) await renewable(ctx, `${c.name}_b${i}`, { anchor: T0, due: NOW - 10 * (5 - i) });
        const before = calls.length;
        assert.equal(await runDueWork(db, clock, { batchSize: 2 }), 2);
        assert.deepEqual(calls.slice(before).map((x) => x.due), [NOW - 50, NOW - 40]);
        assert.equal(await runDueWork(db, clock, { batchSize: 10 }), 3);
        assert.equal(await runDueWork(db, clock, { batchSize: 10 }), 0);

        registerDueHandler('test_stuck', async (_ctx, r) => r.due_at);
        await renewable(ctx, `${c.name}_stuck`, { anchor: T0, due: NOW - 1, type: 'test_stuck' });
        const errors: unknown[] = [];
        assert.equal(await runDueWork(db, clock, { onError: (e) => errors.push(e) }), 1);
        assert.match(String(errors[0]), /not after its due time/);
        assert.equal((await rowOf(db, `${c.name}_stuck`)).due_at, NOW + 60);
      }));
  });
}

describe('billing clock backoff', () => {
  test('60 s · 2^k, capped at one hour', () => {
    assert.deepEqual([0, 1, 2, 5, 6, 7, 50].map(dueBackoff), [60, 120, 240, 1920, 3600, 3600, 3600]);
  });
});

describe('billing clock concurrency on PostgreSQL', () => {
  const url = process.env.DATABASE_URL;
  test(
    'two workers on two pools drain 5,000 due objects: each processed exactly once',
    { skip: url ? false : 'DATABASE_URL is unset: the concurrency test needs PostgreSQL' },
    async (t) => {
      const { storage: first, url: schemaUrl } = await openPostgresSchemaWithUrl(url!, 5);
      const second = await openStorage({ kind: 'postgres', url: schemaUrl, poolSize: 5 });
      try {
        const NOW = 1811808000;
        const clock = new ManualClock(NOW);
        const N = 5_000;
        const ids = Array.from({ length: N }, (_, i) => `conc_${String(i).padStart(5, '0')}`);
        for (let i = 0; i < N; i += 1_000) {
          await first.db
            .insertInto('objects')
            .values(
              ids.slice(i, i + 1_000).map((id, j) => ({
                livemode: false,
                id,
                object: TYPE,
                created: T0,
                customer: null,
                data: JSON.stringify({ id, anchor: T0 }),
                // Spread over the last ~17 minutes so the due order interleaves the two workers' claims.
                due_at: NOW - 1_000 + ((i + j) % 1_000),
              })),
            )
            .execute();
        }
        const before = calls.length;
        const drain = async (db: Db): Promise<number> => {
          let total = 0;
          for (let n = await runDueWork(db, clock); n > 0; n = await runDueWork(db, clock)) total += n;
          return total;
        };
        const started = performance.now();
        const [a, b] = await Promise.all([drain(first.db), drain(second.db)]);
        const seconds = (performance.now() - started) / 1000;
        const throughput = Math.round(N / seconds);
        console.log(`billing clock: ${N} objects, 2 workers (${a} + ${b}) in ${seconds.toFixed(2)} s = ${throughput} objects/s`);
        t.diagnostic(`throughput ${throughput} objects/s (${a} + ${b})`);

        assert.equal(a + b, N);
        assert.ok(a > 0 && b > 0, 'both workers took part');
        const perId = new Map<string, number>();
        for (const x of calls.slice(before)) perId.set(x.id, (perId.get(x.id) ?? 0) + 1);
        assert.equal(perId.size, N);
        assert.ok([...perId.values()].every((n) => n === 1), 'every object handled exactly once');
        const { count } = await first.db
          .selectFrom('billing_periods')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .executeTakeFirstOrThrow();
        assert.equal(Number(count), N);
        const due = await first.db.selectFrom('objects').select('id').where('due_at', '<=', NOW).execute();
        assert.equal(due.length, 0);
        // A second invoice for a period already written is impossible.
        await assert.rejects(
          first.db
            .insertInto('billing_periods')
            .values({ livemode: false, subscription: ids[0]!, period_start: NOW - 1_000, invoice: 'in_dup', created: NOW })
            .execute(),
          { code: '23505' },
        );
      } finally {
        await second.close();
        await first.close();
      }
    },
  );
});
