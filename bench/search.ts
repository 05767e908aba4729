/**
 * `npx tsx bench/search.ts`: search over 100,000 customers (and 100,000 other objects beside them),
 * on embedded PGlite and on PostgreSQL (DATABASE_URL, when set). Rows are bulk-inserted in the stored
 * shape; then each typical query runs through the domain's `searchObjects` (page of 10 and, for some,
 * `total_count`) and prints its median and worst time over a few runs, before and after ANALYZE (the
 * embedded database is only analyzed by Portico's own maintenance, so both states matter).
 *
 * Environment: SEARCH_BENCH_ROWS (100000), SEARCH_BENCH_RUNS (7), BENCH_DATABASES (`pglite,postgres`).
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { ManualClock } from '../src/lib/clock.ts';
import { searchObjects, type SearchableObject } from '../src/billing/search/index.ts';
import { openStorage, type Storage } from '../src/storage/database.ts';
import { openPostgresSchema } from '../test/support/storages.ts';

const ROWS = Number(process.env.SEARCH_BENCH_ROWS ?? 100_000);
const RUNS = Number(process.env.SEARCH_BENCH_RUNS ?? 7);
const T0 = 1_800_000_000;

const QUERIES: [SearchableObject, string, boolean][] = [
  ['customer', `email:'user${Math.floor(ROWS / 2)}@example.com'`, true],
  ['customer', `metadata['plan']:'enterprise'`, true],
  ['customer', `metadata['plan']:'pro'`, false],
  ['customer', `created>${T0 + ROWS - 50}`, true],
  ['customer', `created<${T0 + 50}`, true],
  ['customer', `name:'Customer ${ROWS - 7}'`, true],
  ['customer', `-metadata['plan']:'pro' AND created>${T0 + ROWS / 2}`, false],
  ['customer', `email:'user1@example.com' OR email:'user2@example.com'`, true],
  ['customer', `email~'user4242'`, false],
  ['customer', `name~'nobody at all'`, false],
  ['invoice', `status:'paid'`, false],
];

async function seed(storage: Storage): Promise<void> {
  // One customer per second from T0; every 100th is 'enterprise', every 3rd 'pro'; as many invoices.
  await sql`
    insert into objects (livemode, id, object, created, customer, data)
    select false, 'cus_b' || g, 'customer', ${T0} + g, 'cus_b' || g,
      json_build_object('id', 'cus_b' || g, 'object', 'customer', 'email', 'user' || g || '@example.com',
        'name', 'Customer ' || g, 'phone', null, 'created', ${T0} + g,
        'metadata', case when g % 100 = 0 then json_build_object('plan', 'enterprise')
                         when g % 3 = 0 then json_build_object('plan', 'pro') else '{}'::json end)
    from generate_series(1, ${ROWS}) g`.execute(storage.db);
  await sql`
    insert into objects (livemode, id, object, created, customer, data)
    select false, 'in_b' || g, 'invoice', ${T0} + g, 'cus_b' || g,
      json_build_object('id', 'in_b' || g, 'object', 'invoice', 'status', case when g % 10 = 0 then 'open' else 'paid' end,
        'total', g % 5000, 'currency', 'usd', 'metadata', '{}'::json)
    from generate_series(1, ${ROWS}) g`.execute(storage.db);
}

async function measure(storage: Storage, label: string): Promise<void> {
  const ctx = { db: storage.db, livemode: false, clock: new ManualClock(T0), request: { id: 'bench', idempotencyKey: null } };
  for (const [object, query, count] of QUERIES) {
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const page = await searchObjects(ctx as never, object, query, { limit: 10 });
      found = count ? await page.count() : page.data.length;
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`${label.padEnd(26)} ${`${object} ${query}${count ? ' +total_count' : ''}`.padEnd(78)} ${String(found).padStart(6)}  p50 ${median.toFixed(1).padStart(7)} ms  max ${times[times.length - 1]!.toFixed(1).padStart(7)} ms`);
  }
}

async function run(name: string, open: () => Promise<Storage>): Promise<void> {
  const storage = await open();
  try {
    const start = performance.now();
    await seed(storage);
    console.log(`${name}: ${ROWS} customers + ${ROWS} invoices seeded in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    await measure(storage, `${name}, not analyzed`);
    await sql`analyze objects`.execute(storage.db);
    await measure(storage, `${name}, analyzed`);
  } finally {
    await storage.close();
  }
}

const dbs = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',');
if (dbs.includes('pglite')) await run('pglite', () => openStorage({ kind: 'pglite', dataDir: null }));
if (dbs.includes('postgres') && process.env.DATABASE_URL) await run('postgres', () => openPostgresSchema(process.env.DATABASE_URL!));
