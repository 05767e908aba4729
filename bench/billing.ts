/**
 * Billing-clock benchmark: subscriptions renewed per second by `runDueWork` (each renewal = a
 * `subscription_cycle` invoice created, finalized and charged off-session, its `billing_periods` row,
 * the subscription saved, and their events), on PostgreSQL (one worker in this process, then worker
 * processes, each with its own pool, as `PORTICO_ROLE=worker` processes) and on embedded PGlite (one
 * worker). Creating the subscriptions (a few through the domain functions, the rest replicated from
 * them in SQL: bench/billing-seed.ts) is timed but not part of the rate. Then the billing clock at
 * scale (bench/billing-scale.ts): 100,000 and 1,000,000 due subscriptions on PostgreSQL with the
 * worker processes, 100,000 on PGlite, peak RSS per worker.
 *
 * Aim: 100,000 renewals in < 2 minutes on PostgreSQL.
 *
 * Run with `npm run bench` (bench/run.ts; `npm run bench -- billing` runs only this part) or alone:
 * `tsx bench/billing.ts`. Environment: BENCH_RENEWALS_PG (100000), BENCH_RENEWALS_PGLITE (10000),
 * BENCH_CLOCK_WORKERS (2), BENCH_DATABASES, DATABASE_URL, and those of bench/billing-scale.ts. On PostgreSQL the subscriptions are created
 * once: one worker renews their first period, then the worker processes their second.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runDueWork } from '../src/billing/billing-clock.ts';
import { attachPaymentMethod } from '../src/billing/payment-methods.ts';
import { createCustomer, updateCustomer } from '../src/billing/customers.ts';
import { createPrice } from '../src/billing/prices.ts';
import { createSubscription } from '../src/billing/subscriptions/index.ts';
import { ManualClock, type Clock } from '../src/lib/clock.ts';
import type { Ctx } from '../src/storage/context.ts';
import { openStorage, type Db } from '../src/storage/database.ts';
import { UnitOfWork } from '../src/storage/unit-of-work.ts';
import { WEBHOOK_CHANNEL } from '../src/events/outbox.ts';
import { openPostgresSchemaWithUrl } from '../test/support/storages.ts';
import { measureWriteFloor } from './billing-floor.ts';
import { benchBillingScale, describeScale } from './billing-scale.ts';
import { seedFast } from './billing-seed.ts';
import { isMainModule, runSectionAlone } from './report.ts';

const NO_REQUEST = { id: null, idempotencyKey: null } as const;
const AIM_RENEWALS = 100_000;
const AIM_SECONDS = 120;

export function ctxOf(db: Db, clock: Clock): Ctx {
  return { db, livemode: false, clock, request: NO_REQUEST };
}

/**
 * Creates `n` paying customers (`pm_card_visa` as default) each with one monthly subscription to the
 * same price, through the domain functions the API calls, in transactions of `chunk`, `parallel` at a
 * time, each in a unit of work (its rows and events written together at the end; `unitOfWork: false`
 * writes them one by one as the API does). Returns the subscription ids and the price.
 */
export async function seedSubscriptions(
  db: Db,
  clock: Clock,
  n: number,
  opts: { chunk?: number; parallel?: number; amount?: number; unitOfWork?: boolean; log?: (m: string) => void } = {},
): Promise<{ ids: string[]; price: string }> {
  const chunk = opts.chunk ?? 250;
  const parallel = opts.parallel ?? 2;
  const price = await createPrice(ctxOf(db, clock), {
    currency: 'usd',
    unit_amount: opts.amount ?? 1500,
    recurring: { interval: 'month' },
    product_data: { name: 'Renewal plan' },
  } as Parameters<typeof createPrice>[1]);
  const ids: string[] = new Array(n);
  let next = 0;
  let done = 0;
  const lane = async () => {
    for (;;) {
      const from = next;
      if (from >= n) return;
      next = Math.min(n, from + chunk);
      await db.transaction().execute(async (tx) => {
        // The same domain calls as the API makes, written a chunk at a time (see unit-of-work.ts).
        const uow = opts.unitOfWork === false ? undefined : new UnitOfWork(WEBHOOK_CHANNEL);
        const ctx: Ctx = { ...ctxOf(tx, clock), ...(uow ? { uow } : {}) };
        for (let i = from; i < Math.min(n, from + chunk); i++) {
          const customer = await createCustomer(ctx, { email: `r${i}@example.com` });
          const pm = await attachPaymentMethod(ctx, 'pm_card_visa', customer.id);
          await updateCustomer(ctx, customer.id, { invoice_settings: { default_payment_method: pm.id } });
          const sub = await createSubscription(ctx, { customer: customer.id, items: [{ price: price.id }] });
          ids[i] = sub.id;
        }
        await uow?.flush(tx);
      });
      done += Math.min(n, from + chunk) - from;
      if (opts.log && done % (chunk * 20) === 0) opts.log(`  created ${done}/${n} subscriptions`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return { ids, price: price.id };
}

/** Runs `runDueWork` on each db concurrently until every one finds nothing (or has done `limit`); returns per-worker counts. */
export async function drainWorkers(
  dbs: Db[],
  clock: Clock,
  onError?: (e: unknown) => void,
  onBatch?: (k: number) => void,
  limit = Infinity,
): Promise<number[]> {
  // `limit`: each db stops at the first batch that reaches it (the rest stays due).
  const drain = async (db: Db) => {
    let total = 0;
    for (let k = await runDueWork(db, clock, { onError }); k > 0; k = total < limit ? await runDueWork(db, clock, { onError }) : 0) {
      total += k;
      onBatch?.(k);
    }
    return total;
  };
  return Promise.all(dbs.map(drain));
}

/** Limit D: renewals per second when the database is given only a renewal's writes (billing-floor.ts). */
export interface BillingFloor {
  db: 'pglite' | 'postgres';
  perSecond: number;
}

export interface BillingRow {
  name: string;
  db: 'pglite' | 'postgres';
  workers: number;
  renewals: number;
  seconds: number;
  perSecond: number;
  failures: number;
  createSeconds: number;
  /** Peak RSS of each worker process (bytes); in-process runs: this process's. */
  peakRss?: number[];
  /** Load average (1, 5, 15 min) when the run ended. */
  load?: number[];
  /** Due subscriptions when the run started (scale rows). */
  due?: number;
}

/**
 * Drains everything due at `now` with `workers` worker processes (bench/billing-worker.ts, each with
 * its own pool on `url`, as `PORTICO_ROLE=worker` processes would); timed from the moment all are
 * ready. One row.
 */
export async function processRun(
  name: string,
  url: string,
  workers: number,
  now: number,
  createSeconds: number,
  log: (m: string) => void,
  limit?: number,
): Promise<BillingRow> {
  log(`${name}: renewing with ${workers} worker processes…`);
  const script = fileURLToPath(new URL('./billing-worker.ts', import.meta.url));
  const children = Array.from({ length: workers }, () =>
    fork(script, [JSON.stringify({ url, now, ...(limit ? { limit: Math.ceil(limit / workers) } : {}) })], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const message = (c: ChildProcess) =>
    new Promise<unknown>((resolve, reject) => {
      c.once('message', resolve);
      c.once('exit', (code) => reject(new Error(`billing worker exited with ${code}`)));
    });
  await Promise.all(children.map(message));
  const t1 = performance.now();
  const done = children.map(message);
  for (const c of children) c.send('go');
  const results = (await Promise.all(done)) as { renewals: number; failures: number; maxRssBytes: number }[];
  const seconds = (performance.now() - t1) / 1000;
  const renewals = results.reduce((a, r) => a + r.renewals, 0);
  const failures = results.reduce((a, r) => a + r.failures, 0);
  log(`${name}: ${results.map((r) => r.renewals).join(' + ')} renewals`);
  if (failures > 0) log(`${name}: ${failures} renewals failed`);
  const peakRss = results.map((r) => r.maxRssBytes);
  return { name, db: 'postgres', workers, renewals, seconds, perSecond: renewals / seconds, failures, createSeconds, peakRss, load: loadavg() };
}

/** Drains everything due at `clock` with one runDueWork loop per db; one row. */
export async function renewalRun(
  name: string,
  db: 'pglite' | 'postgres',
  dbs: Db[],
  clock: Clock,
  createSeconds: number,
  log: (m: string) => void,
  limit?: number,
): Promise<BillingRow> {
  let failures = 0;
  log(`${name}: renewing with ${dbs.length} worker(s)…`);
  const t1 = performance.now();
  const counts = await drainWorkers(dbs, clock, () => failures++, undefined, limit);
  const seconds = (performance.now() - t1) / 1000;
  const renewals = counts.reduce((a, b) => a + b, 0);
  if (failures > 0) log(`${name}: ${failures} renewals failed`);
  const peakRss = [process.resourceUsage().maxRSS * 1024];
  return { name, db, workers: dbs.length, renewals, seconds, perSecond: renewals / seconds, failures, createSeconds, peakRss, load: loadavg() };
}

/**
 * Seeds `n` subscriptions once, then renews them at their first period end with `dbs[0]` alone and,
 * on PostgreSQL (`url`), at their second period end with `workers` worker processes concurrently (the
 * same work: one cycle invoice, charge and events each), so the subscriptions are created only once.
 */
async function measure(
  db: 'pglite' | 'postgres',
  dbs: Db[],
  n: number,
  log: (m: string) => void,
  multi: { url: string; workers: number } | null = null,
): Promise<{ rows: BillingRow[]; floor: BillingFloor }> {
  const start = Math.floor(Date.now() / 1000);
  const clock = new ManualClock(start);
  log(`${db}: creating ${n} subscriptions…`);
  const t0 = performance.now();
  // Templates through the domain functions, the rest replicated in SQL (bench/billing-seed.ts).
  const seeded = await seedFast(dbs[0]!, clock, n, { log, events: process.env.BENCH_SEED_EVENTS !== '0' });
  const ids = [...seeded.templates, ...seeded.replicas];
  const createSeconds = (performance.now() - t0) / 1000;
  const rows: BillingRow[] = [];
  // Past the first period end (monthly: at most 31 days), then past the second.
  clock.set(start + 32 * 86_400);
  rows.push(await renewalRun('billing clock renewals, 1 worker', db, [dbs[0]!], clock, createSeconds, log));
  if (multi) {
    rows.push(await processRun(`billing clock renewals, ${multi.workers} worker processes`, multi.url, multi.workers, start + 63 * 86_400, createSeconds, log));
  }
  log(`${db}: a renewal's writes alone (limit D)…`);
  const floor = { db, perSecond: await measureWriteFloor(dbs[0]!, ids) };
  return { rows, floor };
}

export async function benchBilling(opts: {
  databases: string[];
  pgUrl: string | null;
  log: (m: string) => void;
}): Promise<{ rows: BillingRow[]; floors: BillingFloor[]; aims: { aim: string; value: string; met: boolean | null }[]; notes: string[] }> {
  const rows: BillingRow[] = [];
  const floors: BillingFloor[] = [];
  const notes: string[] = [];
  const nPg = Number(process.env.BENCH_RENEWALS_PG ?? AIM_RENEWALS);
  const nLite = Number(process.env.BENCH_RENEWALS_PGLITE ?? 10_000);
  const workers = Number(process.env.BENCH_CLOCK_WORKERS ?? 2);
  if (nPg < AIM_RENEWALS) {
    notes.push(
      `billing clock: ${nPg} subscriptions on PostgreSQL (BENCH_RENEWALS_PG): the aim is stated for ` +
        `${AIM_RENEWALS.toLocaleString('en')} renewals and is projected from the measured rate`,
    );
  }
  if (opts.databases.includes('pglite')) {
    const s = await openStorage({ kind: 'pglite', dataDir: null });
    try {
      const m = await measure('pglite', [s.db], nLite, opts.log);
      rows.push(...m.rows);
      floors.push(m.floor);
    } finally {
      await s.close();
    }
  }
  if (opts.databases.includes('postgres') && opts.pgUrl) {
    const { storage, url } = await openPostgresSchemaWithUrl(opts.pgUrl, 5);
    try {
      const m = await measure('postgres', [storage.db], nPg, opts.log, { url, workers });
      rows.push(...m.rows);
      floors.push(m.floor);
    } finally {
      await storage.close();
    }
  }
  const best = rows.filter((r) => r.db === 'postgres').sort((a, b) => b.perSecond - a.perSecond)[0];
  const projected = best ? AIM_RENEWALS / best.perSecond : null;
  const aims = [
    {
      aim: `${AIM_RENEWALS.toLocaleString('en')} renewals < ${AIM_SECONDS} s (PostgreSQL, best worker count)`,
      value: projected === null ? 'not measured' : `${projected.toFixed(0)} s projected at ${best!.perSecond.toFixed(0)}/s (${best!.workers} worker(s))`,
      met: projected === null ? null : projected < AIM_SECONDS,
    },
  ];
  // The billing clock at 100,000 and 1,000,000 due (bench/billing-scale.ts).
  const scale = await benchBillingScale({ databases: opts.databases, pgUrl: opts.pgUrl, workers, log: opts.log });
  rows.push(...scale.rows);
  aims.push(...scale.aims);
  notes.push(...scale.notes);
  return { rows, floors, aims, notes };
}

export function describeRow(r: BillingRow): string {
  if (r.due !== undefined) return describeScale(r);
  return (
    `${r.name} (${r.db}): ${r.renewals} renewals in ${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(0)}/s` +
    `${r.failures ? ` (${r.failures} FAILED)` : ''}; ` +
    `100,000 would take ${(AIM_RENEWALS / r.perSecond).toFixed(0)} s (aim < ${AIM_SECONDS} s); created in ${r.createSeconds.toFixed(1)} s (not measured)`
  );
}

// `tsx bench/billing.ts`: this section alone.
if (isMainModule(import.meta.url)) {
  runSectionAlone(benchBilling, ({ rows, floors }) => [
    ...floors.map((f) => `limit D, a renewal's writes alone (${f.db}): ${f.perSecond.toFixed(0)}/s`),
    ...rows.map(describeRow),
  ]);
}
