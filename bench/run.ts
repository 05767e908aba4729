/**
 * `npm run bench`: Portico against the honest limits of the same work, measured in the same run (design
 * §6). Every server runs in its own process (bench/server-process.ts), one at a time, on the database
 * being measured:
 *
 *   reference    bare node:http, fixed customer JSON, no database (a reference line, not a limit)
 *   limit R      node:http + one primary-key SELECT of a customer row, stored JSON text sent as is
 *   GET  /v1/customers/{id}                                               ÷ R
 *   limit W      node:http + BEGIN; insert object, event, idempotency row; COMMIT
 *   POST /v1/customers (form body, unique Idempotency-Key per request)     ÷ W
 *   POST /v1/billing_portal/sessions (customer + return_url, unique key)   ÷ W
 *   GET  /p/home (a portal page with its session cookie, gzip): render p50/p99 and bytes
 *   limit S      node:http + one subscription create's writes in one transaction (bench/subscriptions.ts)
 *   POST /v1/subscriptions, 300 distinct customers / the same customer      ÷ S
 *   portal       the plan-change review page of a customer with 5 subscriptions (bench/portal.ts)
 *   mixed        a fixed-rate mix of reads, lists and writes: achieved rate, p99, max, errors (bench/mixed.ts)
 *   webhooks: deliveries/s ÷ limit C (sign + POST the same payloads, same concurrency)   (bench/webhooks.ts)
 *   billing clock: subscriptions renewed/s, 1 and 2 workers, 100k projection ÷ D   (bench/billing.ts)
 *   limit D      a renewal's writes alone, no reads or domain work     (bench/billing-floor.ts)
 *
 * on embedded PGlite (in memory) and on PostgreSQL (DATABASE_URL, default the local `test` database;
 * each server gets a schema of its own, dropped after; skipped with a note when it does not answer).
 * Every HTTP load runs autocannon in a worker thread with the same connections and duration; see
 * bench/load.ts. Prints a table and writes bench/results/latest.json. Aims that are missed are
 * reported, never turned into a failing exit code.
 *
 * Environment: BENCH_CONNECTIONS (10), BENCH_DURATION (5 s), BENCH_ROUNDS (3), BENCH_WARMUP (1 s), BENCH_DATABASES
 * (`pglite,postgres`), BENCH_MIXED_SECONDS (20), BENCH_MIXED_RATE (per database: `postgres:1000,pglite:300`).
 * Arguments pick sections (`api`, `portal`, `mixed`, `webhooks`, `billing`; default all), e.g. `npm run bench -- billing`.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { sampleCustomer } from './baselines.ts';
import { startServerProcess, type ServerProcess, type ServerRole } from './server-process.ts';
import { httpLoad, interleavedLoad, rawGet, settings, type Measurement } from './load.ts';
import { aims, log, notes, record, report, rows, type Aim, type DbName, type Row } from './report.ts';
import { benchReviewPage } from './portal.ts';
import { mixedLoad } from './mixed.ts';
import { benchWebhooks } from './webhooks.ts';
import { benchBilling, describeRow } from './billing.ts';
import { benchSubscriptionCreates, SUBSCRIPTION_CUSTOMERS } from './subscriptions.ts';

/** Issue 15's aims: ratios to the limits at 10 connections; p99 only on PostgreSQL. */
const AIMS = {
  postgres: { read: 0.9, write: 0.75, session: 0.6, subscription: 0.5, p99Ms: 10 as number | null },
  pglite: { read: 0.8, write: 0.65, session: 0.5, subscription: 0.5, p99Ms: null as number | null },
};

/** The customer used by the read benchmark, with the same fields as the baseline's fixed body. */
function customerForm(email: string): string {
  const c = sampleCustomer;
  const f = new URLSearchParams();
  f.set('email', email);
  f.set('name', c.name);
  f.set('description', c.description);
  f.set('phone', c.phone);
  f.set('invoice_prefix', c.invoice_prefix);
  f.set('preferred_locales[0]', 'en');
  for (const [k, v] of Object.entries(c.metadata)) f.set(`metadata[${k}]`, v);
  for (const [k, v] of Object.entries(c.address)) if (v !== null) f.set(`address[${k}]`, v);
  f.set('shipping[name]', c.shipping.name);
  for (const [k, v] of Object.entries(c.shipping.address)) if (v !== null) f.set(`shipping[address][${k}]`, v);
  return f.toString();
}


async function postgresReachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    const fsync = await client.query<{ synchronous_commit: string }>('show synchronous_commit');
    return `PostgreSQL ${rows[0]?.server_version} (synchronous_commit=${fsync.rows[0]?.synchronous_commit})`;
  } catch (err) {
    notes.push(`PostgreSQL skipped: ${url} does not answer (${(err as Error).message})`);
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh schema in the bench database for one server process; its URL selects it. */
async function createSchema(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

/** Runs `fn` against `role` in its own process on `db` (a schema of its own on PostgreSQL). */
async function withServer<T>(role: ServerRole, db: DbName, pgUrl: string, fn: (s: ServerProcess) => Promise<T>): Promise<T> {
  const schema = db === 'postgres' ? await createSchema(pgUrl) : null;
  try {
    const server = await startServerProcess(role, schema?.url ?? null);
    try {
      return await fn(server);
    } finally {
      await server.close();
    }
  } finally {
    await schema?.drop();
  }
}

const LIMIT_R = 'limit R: node:http + PK SELECT';
const LIMIT_W = 'limit W: node:http + 3-insert tx';
const LIMIT_S = "limit S: node:http + a subscription create's writes";
const SUB_DISTINCT = `POST /v1/subscriptions (${SUBSCRIPTION_CUSTOMERS} customers)`;
const SUB_SAME = 'POST /v1/subscriptions (same customer)';

const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': '[<id>]' };
// Encoded as the SDK encodes it; `[<id>]` becomes a fresh id per request (here and in the key).
const CREATE_BODY = 'email=bench-[<id>]%40example.com&name=Bench%20Customer&metadata%5Bk%5D=v';

/** Starts `role` in its own process on `db` (a schema of its own on PostgreSQL); `close` stops both. */
async function startOn(role: ServerRole, db: DbName, pgUrl: string): Promise<ServerProcess> {
  const schema = db === 'postgres' ? await createSchema(pgUrl) : null;
  try {
    const server = await startServerProcess(role, schema?.url ?? null);
    return {
      ...server,
      async close() {
        await server.close();
        await schema?.drop();
      },
    };
  } catch (err) {
    await schema?.drop();
    throw err;
  }
}

/**
 * On `db`: limit R, limit W and Portico, each in its own process, all started first; then their loads
 * interleaved (bench/load.ts `interleavedLoad`); then the portal's home page.
 */
async function benchDatabase(db: DbName, pgUrl: string): Promise<void> {
  const started: ServerProcess[] = [];
  try {
    const limitR = await startOn('limit-r', db, pgUrl);
    started.push(limitR);
    const limitW = await startOn('limit-w', db, pgUrl);
    started.push(limitW);
    const limitS = await startOn('limit-s', db, pgUrl);
    started.push(limitS);
    const portico = await startOn('portico', db, pgUrl);
    started.push(portico);
    await benchPortico(db, limitR, limitW, portico);
    await benchSubscriptions(db, limitS, portico);
  } finally {
    for (const s of started.reverse()) await s.close();
  }
}

async function benchPortico(db: DbName, limitR: ServerProcess, limitW: ServerProcess, portico: ServerProcess): Promise<void> {
  const auth = { Authorization: `Bearer ${portico.secretKey}` };
  const created = await fetch(`${portico.url}/v1/customers`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: customerForm('jenny.rosen@example.com'),
  });
  const customerJson = await created.text();
  if (created.status !== 200) throw new Error(`creating the read customer failed: ${created.status} ${customerJson}`);
  const customerId = (JSON.parse(customerJson) as { id: string }).id;

  log(`${db}: limit R, GET /v1/customers/{id} (${Buffer.byteLength(customerJson)} bytes), limit W, POST /v1/customers, POST /v1/billing_portal/sessions, in ${settings.rounds} rounds…`);
  const [r, read, w, write, sessions] = await interleavedLoad([
    { url: `${limitR.url}/v1/customers/${limitR.customerId}` },
    { url: `${portico.url}/v1/customers/${customerId}`, headers: auth },
    { url: `${limitW.url}/v1/customers`, method: 'POST', headers: formHeaders, body: CREATE_BODY, idReplacement: true },
    { url: `${portico.url}/v1/customers`, method: 'POST', headers: { ...auth, ...formHeaders }, body: CREATE_BODY, idReplacement: true },
    {
      url: `${portico.url}/v1/billing_portal/sessions`,
      method: 'POST',
      headers: { ...auth, ...formHeaders },
      body: `customer=${customerId}&return_url=https%3A%2F%2Fexample.com%2Faccount`,
      idReplacement: true,
    },
  ]);
  const rowR = record({ name: LIMIT_R, db, measurement: r! });
  const rowW = record({ name: LIMIT_W, db, measurement: w! });
  const against = (limit: Row, m: Measurement) => ({ limit: `${limit.name} (${db})`, ratio: m.perSecond / limit.measurement.perSecond });
  record({ name: 'GET /v1/customers/{id}', db, measurement: read!, ...against(rowR, read!) });
  record({ name: 'POST /v1/customers', db, measurement: write!, ...against(rowW, write!) });
  record({ name: 'POST /v1/billing_portal/sessions', db, measurement: sessions!, ...against(rowW, sessions!) });

  // The portal's home page for that customer: bytes on the wire (gzip) and render time under load.
  const session = await fetch(`${portico.url}/v1/billing_portal/sessions`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `customer=${customerId}&return_url=https%3A%2F%2Fexample.com%2Faccount`,
  });
  const portalUrl = ((await session.json()) as { url: string }).url;
  const opened = await fetch(portalUrl, { redirect: 'manual' });
  const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0]!;
  const page = await rawGet(`${portico.url}/p/home`, { Cookie: cookie, 'Accept-Encoding': 'gzip' });
  log(`${db}: GET /p/home (${page.wire} bytes gzip, ${page.plain} bytes of HTML)…`);
  const home = await httpLoad({ url: `${portico.url}/p/home`, headers: { Cookie: cookie, 'Accept-Encoding': 'gzip' } });
  record({
    name: 'GET /p/home (portal page)',
    db,
    measurement: home,
    note: `${page.wire} bytes on the wire (gzip), ${page.plain} bytes of HTML`,
  });
  notes.push(
    `portal home page (${db}): ${page.wire} bytes on the wire gzip-compressed (${page.plain} bytes of HTML); ` +
      `render p50 ${home.latencyMs.p50} ms, p99 ${home.latencyMs.p99} ms under ${settings.connections} connections`,
  );
}

/** `POST /v1/subscriptions` ÷ limit S, over distinct customers and with one customer (bench/subscriptions.ts). */
async function benchSubscriptions(db: DbName, limitS: ServerProcess, portico: ServerProcess): Promise<void> {
  log(`${db}: limit S and POST /v1/subscriptions (${SUBSCRIPTION_CUSTOMERS} customers, then the same customer), in ${settings.rounds} rounds…`);
  const m = await benchSubscriptionCreates({ url: portico.url, secretKey: portico.secretKey! }, limitS.url);
  const limitDistinct = record({ name: `${LIMIT_S} (${SUBSCRIPTION_CUSTOMERS} customers)`, db, measurement: m.limitDistinct });
  const limitSame = record({ name: `${LIMIT_S} (same customer)`, db, measurement: m.limitSame });
  const against = (limit: Row, x: Measurement) => ({ limit: `${limit.name} (${db})`, ratio: x.perSecond / limit.measurement.perSecond });
  record({ name: SUB_DISTINCT, db, measurement: m.distinct, ...against(limitDistinct, m.distinct) });
  record({ name: SUB_SAME, db, measurement: m.same, ...against(limitSame, m.same) });
}

function evaluateAims(): Aim[] {
  const out: Aim[] = [];
  for (const db of ['postgres', 'pglite'] as const) {
    const aim = AIMS[db];
    const find = (name: string) => rows.find((r) => r.db === db && r.name === name);
    const label = db === 'postgres' ? 'PostgreSQL' : 'PGlite';
    const checks: Array<[string, number, string]> = [
      ['GET /v1/customers/{id}', aim.read, 'R'],
      ['POST /v1/customers', aim.write, 'W'],
      ['POST /v1/billing_portal/sessions', aim.session, 'W'],
      [SUB_DISTINCT, aim.subscription, 'S'],
      [SUB_SAME, aim.subscription, 'S'],
    ];
    for (const [name, ratio, limit] of checks) {
      const r = find(name);
      const p99 = limit === 'S' ? null : aim.p99Ms;
      out.push({
        aim: `${name} ≥ ${Math.round(ratio * 100)} % of limit ${limit}${p99 ? `, p99 < ${p99} ms` : ''} (${label})`,
        value: r?.ratio === undefined ? 'not measured' : `${(r.ratio * 100).toFixed(1)} %, p99 ${Math.round(r.measurement.latencyMs.p99)} ms`,
        met: r?.ratio === undefined ? null : r.ratio >= ratio && (p99 === null || r.measurement.latencyMs.p99 < p99),
      });
    }
  }
  return out;
}

const SECTIONS = ['api', 'portal', 'mixed', 'webhooks', 'billing'] as const;

async function main(): Promise<void> {
  const started = Date.now();
  const asked = process.argv.slice(2);
  for (const a of asked) if (!(SECTIONS as readonly string[]).includes(a)) throw new Error(`unknown bench section ${a} (${SECTIONS.join(', ')})`);
  const runs = (section: (typeof SECTIONS)[number]) => asked.length === 0 || asked.includes(section);
  const databases = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',').map((s) => s.trim()) as DbName[];
  const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  log(
    `${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s measured ` +
      `per benchmark; node ${process.version}, ${cpus().length} CPUs`,
  );

  const loadAtStart = loadavg()[0]!;
  if (loadAtStart > 1) {
    notes.push(
      `load average was ${loadAtStart.toFixed(2)} at start on ${cpus().length} CPUs: other processes were competing ` +
        'for CPU, so absolute numbers (and to a lesser degree ratios) are pessimistic',
    );
  }

  let postgresVersion: string | null = null;
  if (databases.includes('postgres')) {
    postgresVersion = await postgresReachable(pgUrl);
    if (!postgresVersion) log(`PostgreSQL at ${pgUrl} does not answer: skipping it`);
  }

  if (runs('api')) await benchApi(databases, pgUrl, postgresVersion);
  if (runs('portal') && databases.includes('pglite')) {
    // Issue 10's aim for the plan-change review page, on the embedded database.
    log('pglite: GET /p/subscriptions/:id/review (customer with 5 subscriptions)…');
    const review = await withServer('portico', 'pglite', pgUrl, benchReviewPage);
    const note = `${review.wireBytes} bytes on the wire (gzip), ${review.htmlBytes} bytes of HTML`;
    record({ name: 'GET /p/subscriptions/:id/review (plan change)', db: 'pglite', measurement: review.measurement, note });
    notes.push(
      `plan-change review page (pglite, 5 subscriptions, the engine's preview on every request): ${note}; ` +
        `render p50 ${review.measurement.latencyMs.p50} ms, p99 ${review.measurement.latencyMs.p99} ms under ${settings.connections} connections ` +
        `(aim: under 40 KB compressed, p99 under 15 ms)`,
    );
  }
  if (runs('mixed')) await benchMixed(databases, pgUrl, postgresVersion);

  if (runs('webhooks')) {
    // Webhook delivery throughput and latency (bench/webhooks.ts).
    const webhooks = await benchWebhooks({ databases, pgUrl: postgresVersion ? pgUrl : null, log });
    webhooks.rows.forEach(record);
    notes.push(...webhooks.notes);
    aims.push(...webhooks.aims);
  }

  if (runs('billing')) {
    // Billing-clock renewal throughput (bench/billing.ts); "latency" there is the mean time per renewal.
    const billing = await benchBilling({ databases, pgUrl: postgresVersion ? pgUrl : null, log });
    const FLOOR = "limit D: a renewal's writes alone";
    for (const f of billing.floors) {
      const ms = 1000 / f.perSecond;
      record({ name: FLOOR, db: f.db, measurement: { perSecond: f.perSecond, total: 0, failures: 0, latencyMs: { p50: ms, p99: ms, max: ms } } });
    }
    for (const r of billing.rows) {
      const ms = (r.seconds * 1000 * r.workers) / Math.max(r.renewals, 1);
      const floor = billing.floors.find((f) => f.db === r.db);
      record({
        name: r.name,
        db: r.db,
        measurement: { perSecond: r.perSecond, total: r.renewals, failures: r.failures, latencyMs: { p50: ms, p99: ms, max: ms } },
        ...(floor ? { limit: `${FLOOR} (${r.db})`, ratio: r.perSecond / floor.perSecond } : {}),
      });
      notes.push(describeRow(r));
    }
    notes.push(
      `billing rows: "p50/p99" is the mean time per renewal (per worker); limit D is the same rows written by the ` +
        `unit of work's statements with no reads or domain work, batches of 250, one connection (bench/billing-floor.ts)`,
    );
    notes.push(...billing.notes);
    aims.push(...billing.aims);
  }
  report(started, loadAtStart, postgresVersion);
}

/** The bare reference line, then the limits and the API on each database. */
async function benchApi(databases: DbName[], pgUrl: string, postgresVersion: string | null): Promise<void> {
  log('reference: bare node:http…');
  await withServer('bare', 'pglite', pgUrl, async (s) =>
    record({ name: 'reference: bare node:http (no database)', db: null, measurement: await httpLoad({ url: s.url }) }),
  );
  for (const db of databases) {
    if (db === 'postgres' && !postgresVersion) continue;
    if (db !== 'pglite' && db !== 'postgres') {
      notes.push(`unknown database in BENCH_DATABASES: ${db as string}`);
      continue;
    }
    try {
      await benchDatabase(db, pgUrl);
    } catch (err) {
      notes.push(`${db}: benchmark aborted: ${(err as Error).stack ?? String(err)}`);
      log(`${db}: benchmark aborted: ${String(err)}`);
    }
  }
  aims.push(...evaluateAims());
}

const MIXED_SECONDS = Number(process.env.BENCH_MIXED_SECONDS ?? 20);
const MIXED_RATES: Record<DbName, number> = { postgres: 1000, pglite: 300 };
for (const part of (process.env.BENCH_MIXED_RATE ?? '').split(',').filter(Boolean)) {
  const [db, rate] = part.split(':');
  if ((db === 'postgres' || db === 'pglite') && Number(rate) > 0) MIXED_RATES[db] = Number(rate);
}

/** The fixed-rate mix (bench/mixed.ts) on a whole Portico per database. */
async function benchMixed(databases: DbName[], pgUrl: string, postgresVersion: string | null): Promise<void> {
  for (const db of databases) {
    if (db === 'postgres' && !postgresVersion) continue;
    const rate = MIXED_RATES[db];
    log(`${db}: mixed load, ${rate}/s offered for ${MIXED_SECONDS} s (after seeding 300 customers)…`);
    try {
      const m = await withServer('portico', db, pgUrl, (s) => mixedLoad({ url: s.url, secretKey: s.secretKey! }, rate, MIXED_SECONDS));
      record({
        name: `mixed load, ${rate}/s offered`,
        db,
        measurement: { perSecond: m.achieved, total: m.ok, failures: m.errors, latencyMs: m.latencyMs },
      });
      notes.push(
        `mixed load (${db}): ${m.achieved.toFixed(0)} req/s achieved of ${rate} offered over ${MIXED_SECONDS} s, ` +
          `p99 ${m.latencyMs.p99.toFixed(0)} ms, max ${m.latencyMs.max.toFixed(0)} ms, ${m.errors} errors` +
          (m.unanswered ? ` (${m.unanswered} unanswered 10 s after the end)` : '') +
          (m.firstError ? `; first error: ${m.firstError}` : ''),
      );
      if (db === 'postgres') {
        aims.push({
          aim: `mixed load on PostgreSQL: 1,000 req/s offered held (≥ 99 %), p99 < 100 ms, 0 errors (here ${MIXED_SECONDS} s, not 10 min)`,
          value: `${m.achieved.toFixed(0)} of ${rate}/s, p99 ${m.latencyMs.p99.toFixed(0)} ms, ${m.errors} errors`,
          met: rate >= 1000 && m.achieved >= 0.99 * rate && m.latencyMs.p99 < 100 && m.errors === 0,
        });
      }
    } catch (err) {
      notes.push(`${db}: mixed load aborted: ${(err as Error).stack ?? String(err)}`);
    }
  }
}

main().then(
  // Workers and pools are closed; exit explicitly in case a library keeps a handle open.
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
