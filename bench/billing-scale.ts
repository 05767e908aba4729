/**
 * The billing clock at scale: the renewal rate with 100,000 and with 1,000,000 due subscriptions on
 * PostgreSQL (BENCH_CLOCK_WORKERS worker processes, each a fresh schema seeded by bench/billing-seed.ts,
 * seeding not timed), each worker's peak RSS, and 100,000 on PGlite (one worker, in this process).
 * Every subscription is due once (its first period end); the rate is renewals per second from the
 * moment the workers are ready until nothing is due.
 *
 * Environment: BENCH_SCALE_PG (sizes on PostgreSQL, default `100000,1000000`; `0` skips),
 * BENCH_SCALE_PGLITE (default 100000; `0` skips), BENCH_SCALE_RENEWALS (renewals per run, the same at
 * every size, e.g. 50000 on a busy machine; default: every due subscription), BENCH_SEED_EVENTS (`0`: replicas without their
 * creation events, see bench/billing-seed.ts).
 */
import { sql } from 'kysely';
import { ManualClock } from '../src/lib/clock.ts';
import { openStorage, type Db } from '../src/storage/database.ts';
import { openPostgresSchemaWithUrl } from '../test/support/storages.ts';
import { processRun, renewalRun, type BillingRow } from './billing.ts';
import { seedFast } from './billing-seed.ts';
import { isMainModule, runSectionAlone } from './report.ts';

/** The ratio the issue asks of the largest size's rate to the smallest's (within 10 %). */
const AIM_RATIO = 0.9;

function sizes(value: string | undefined, fallback: string): number[] {
  return (value ?? fallback)
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

async function tablesBytes(db: Db): Promise<number> {
  const { rows } = await sql<{ bytes: string | null }>`
    select sum(pg_total_relation_size(c.oid)) as bytes
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = current_schema() and c.relkind = 'r'`.execute(db);
  return Number(rows[0]?.bytes ?? 0);
}

/** BENCH_SCALE_RENEWALS: renewals per run (the same work at every size; default: all that is due). */
function limitOf(n: number): number | undefined {
  const limit = Number(process.env.BENCH_SCALE_RENEWALS ?? 0);
  return limit > 0 && limit < n ? limit : undefined;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Seeds `n` due subscriptions on `db` (not timed); returns the seeding time and the renewal instant. */
async function seed(db: Db, n: number, name: string, log: (m: string) => void): Promise<{ seconds: number; due: number }> {
  const start = Math.floor(Date.now() / 1000);
  const t0 = performance.now();
  log(`${name}: seeding ${n.toLocaleString('en')} subscriptions (templates through the domain, replicas in SQL)…`);
  await seedFast(db, new ManualClock(start), n, { keep: 0, events: process.env.BENCH_SEED_EVENTS !== '0', log });
  const seconds = (performance.now() - t0) / 1000;
  log(`${name}: seeded in ${seconds.toFixed(0)} s, tables ${mb(await tablesBytes(db))}`);
  // Past the first period end (monthly: at most 31 days).
  return { seconds, due: start + 32 * 86_400 };
}

export async function benchBillingScale(opts: {
  databases: string[];
  pgUrl: string | null;
  workers: number;
  log: (m: string) => void;
}): Promise<{ rows: BillingRow[]; aims: { aim: string; value: string; met: boolean | null }[]; notes: string[] }> {
  const rows: BillingRow[] = [];
  const notes: string[] = [];
  const aims: { aim: string; value: string; met: boolean | null }[] = [];
  const log = opts.log;
  if (opts.databases.includes('pglite')) {
    for (const n of sizes(process.env.BENCH_SCALE_PGLITE, '100000')) {
      const name = `billing clock at scale, ${n.toLocaleString('en')} due, 1 worker`;
      const s = await openStorage({ kind: 'pglite', dataDir: null });
      try {
        const { seconds, due } = await seed(s.db, n, `pglite ${name}`, log);
        const row = await renewalRun(name, 'pglite', [s.db], new ManualClock(due), seconds, log, limitOf(n));
        rows.push({ ...row, due: n });
        log(describeScale(rows.at(-1)!));
      } finally {
        await s.close();
      }
    }
  }
  const pgRows: BillingRow[] = [];
  if (opts.databases.includes('postgres') && opts.pgUrl) {
    for (const n of sizes(process.env.BENCH_SCALE_PG, '100000,1000000')) {
      const name = `billing clock at scale, ${n.toLocaleString('en')} due, ${opts.workers} worker processes`;
      const { storage, url } = await openPostgresSchemaWithUrl(opts.pgUrl, 5);
      try {
        const { seconds, due } = await seed(storage.db, n, `postgres ${name}`, log);
        const row = { ...(await processRun(name, url, opts.workers, due, seconds, log, limitOf(n))), due: n };
        log(`postgres ${name}: tables ${mb(await tablesBytes(storage.db))} after the renewals`);
        rows.push(row);
        pgRows.push(row);
        log(describeScale(row));
      } finally {
        await storage.close();
      }
    }
  }
  if (pgRows.length >= 2) {
    pgRows.sort((a, b) => a.due! - b.due!);
    const small = pgRows[0]!;
    const large = pgRows.at(-1)!;
    const ratio = large.perSecond / small.perSecond;
    aims.push({
      aim: `billing clock: rate at ${large.due!.toLocaleString('en')} due ≥ ${AIM_RATIO} × the rate at ${small.due!.toLocaleString('en')} (PostgreSQL, ${large.workers} worker processes)`,
      // The load averages beside the rates: on a shared machine they, more than the sizes, may explain a ratio.
      value:
        `${large.perSecond.toFixed(0)}/s vs ${small.perSecond.toFixed(0)}/s = ${ratio.toFixed(3)} ` +
        `(load average ${large.load?.[0]?.toFixed(1) ?? '?'} vs ${small.load?.[0]?.toFixed(1) ?? '?'})`,
      met: ratio >= AIM_RATIO,
    });
  }
  notes.push(
    'billing clock at scale: each size a fresh database seeded by bench/billing-seed.ts (4 templates made through ' +
      'the domain functions, the rest replicated in SQL with their own ids; not timed), every subscription due once' +
      (process.env.BENCH_SEED_EVENTS === '0' ? '; replicas seeded without their creation events (BENCH_SEED_EVENTS=0)' : ''),
  );
  return { rows, aims, notes };
}

/** One line for a scale row: rate, peak RSS per worker, load average. */
export function describeScale(r: BillingRow): string {
  const rss = (r.peakRss ?? []).map(mb).join(' + ');
  const load = (r.load ?? []).map((l) => l.toFixed(2)).join(' ');
  return (
    `${r.name} (${r.db}): ${r.renewals} renewals in ${r.seconds.toFixed(1)} s = ${r.perSecond.toFixed(0)}/s` +
    `${r.failures ? ` (${r.failures} FAILED)` : ''}; peak RSS ${rss}${r.db === 'pglite' ? ' (this process, seeding included)' : ' (per worker)'}; ` +
    `load average ${load}; seeded in ${r.createSeconds.toFixed(0)} s (not timed)`
  );
}

// `tsx bench/billing-scale.ts`: the scale runs alone (log lines carry the time: a run takes long).
if (isMainModule(import.meta.url)) {
  const log = (m: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
  runSectionAlone(
    ({ databases, pgUrl }) => benchBillingScale({ databases, pgUrl, workers: Number(process.env.BENCH_CLOCK_WORKERS ?? 2), log }),
    ({ rows }) => rows.map(describeScale),
  );
}
