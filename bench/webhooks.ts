/**
 * Webhook benchmarks (design §6), on embedded PGlite and on PostgreSQL:
 *
 *   limit C      the same N queued events' payloads, signed and POSTed to the receiver by a loop with
 *                the worker's client and concurrency (50 in flight), no database
 *   delivery throughput: one DeliveryWorker delivers the N queued events (default 5,000) ÷ C
 *   commit-to-delivery latency, idle: one `POST /v1/customers` at a time on a whole server (API and
 *     worker in one process, as `npm start` runs it); from the API response to the receiver's arrival
 *
 * The receiver answers 200 at once and runs in a worker thread, so it has its own event loop. Run with
 * `npm run bench` (bench/run.ts) or alone: `tsx bench/webhooks.ts`.
 * Environment: BENCH_WEBHOOK_EVENTS (5000), BENCH_WEBHOOK_SAMPLES (200), BENCH_DATABASES, DATABASE_URL.
 */
import { Worker } from 'node:worker_threads';
import { createCustomer } from '../src/billing/customers.ts';
import { loadConfig } from '../src/config.ts';
import { DeliveryWorker } from '../src/events/delivery-worker.ts';
import { WEBHOOK_CHANNEL } from '../src/events/outbox.ts';
import { createEndpoint, deleteEndpoint } from '../src/events/webhook-endpoints.ts';
import { systemClock } from '../src/lib/clock.ts';
import { signatureHeader } from '../src/events/signing.ts';
import { sql } from 'kysely';
import { startPortico } from '../src/main.ts';
import type { Ctx } from '../src/storage/context.ts';
import { openStorage, type Executor, type Storage } from '../src/storage/database.ts';
import { openPostgresSchema } from '../test/support/storages.ts';
import type { Measurement } from './load.ts';
import { isMainModule, runSectionAlone } from './report.ts';

type DbName = 'pglite' | 'postgres';

export interface WebhookRow {
  name: string;
  db: DbName | null;
  measurement: Measurement;
  limit?: string;
  ratio?: number;
}

export interface WebhookAim {
  aim: string;
  value: string;
  met: boolean | null;
}

const AIMS = { deliveriesPerSecond: 1000, p99Ms: 100, limitRatio: 0.5 };
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 5000);
const SAMPLES = Number(process.env.BENCH_WEBHOOK_SAMPLES ?? 200);
const WARMUP_EVENTS = 500;
const IN_FLIGHT = 50; // the worker's default concurrency

const THROUGHPUT = 'webhook deliveries (1 worker)';
const LATENCY = 'webhook commit→delivery, idle';
const BASELINE = 'limit C: sign + POST same payloads';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function stats(values: number[]): Measurement['latencyMs'] {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Absolute milliseconds, comparable between threads. */
const nowMs = () => performance.timeOrigin + performance.now();

interface Arrival {
  id: string | null;
  objectId: string | null;
  at: number;
}

/** The receiver's code, run in a worker thread (plain JS: eval'd threads are not compiled by tsx). */
const RECEIVER_THREAD = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    const at = performance.timeOrigin + performance.now();
    let id = null, objectId = null;
    try {
      const e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      id = e.id ?? null;
      objectId = (e.data && e.data.object && e.data.object.id) ?? null;
    } catch {}
    parentPort.postMessage({ id, objectId, at });
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

interface ReceiverThread {
  url: string;
  count: number;
  /** Resolves with the arrival time of the event about `objectId`. */
  arrivalOf(objectId: string, timeoutMs: number): Promise<number>;
  /** Resolves once `total` deliveries have arrived since start. */
  waitForCount(total: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

async function startReceiverThread(): Promise<ReceiverThread> {
  const worker = new Worker(RECEIVER_THREAD, { eval: true });
  const byObject = new Map<string, number>();
  const waiters = new Set<() => void>();
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { port: number }) => resolve(m.port));
  });
  const r: ReceiverThread = {
    url: `http://127.0.0.1:${port}/webhook`,
    count: 0,
    arrivalOf(objectId, timeoutMs) {
      return waitUntil(() => byObject.get(objectId), timeoutMs, `the delivery about ${objectId}`);
    },
    waitForCount(total, timeoutMs) {
      return waitUntil(() => (r.count >= total ? true : undefined), timeoutMs, `${total} deliveries`).then(() => {});
    },
    async close() {
      await worker.terminate();
    },
  };
  worker.on('message', (m: Arrival) => {
    r.count++;
    if (m.objectId) byObject.set(m.objectId, m.at);
    for (const w of [...waiters]) w();
  });
  function waitUntil<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = get();
        if (v === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${r.count} arrived)`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }
  return r;
}

/**
 * Limit C: the same payloads (the queued events' stored text) signed with the endpoint's secret and
 * POSTed to the same receiver with the same client (fetch) and headers, `IN_FLIGHT` at a time, from
 * this thread: a delivery worker's work without the database.
 */
async function signedPosts(receiver: ReceiverThread, secret: string, bodies: string[]): Promise<Measurement> {
  const durations: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        try {
          const res = await fetch(receiver.url, {
            method: 'POST',
            redirect: 'manual',
            signal: AbortSignal.timeout(10_000),
            headers: {
              'Content-Type': 'application/json; charset=utf-8',
              'User-Agent': 'Portico/1.0 (+webhooks)',
              'Stripe-Signature': signatureHeader(secret, body, systemClock.now()),
            },
            body,
          });
          await res.text();
          if (res.status !== 200) failures++;
          durations.push(performance.now() - t0);
        } catch {
          failures++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: durations.length / seconds, total: durations.length, failures, latencyMs: stats(durations) };
}

const ctxOf = (db: Executor): Ctx => ({ db, livemode: false, clock: systemClock, request: { id: null, idempotencyKey: null } });

/** Queues `n` customer.created events (in transactions of 500), with no worker running. */
async function queueEvents(storage: Storage, n: number, tag: string): Promise<void> {
  for (let done = 0; done < n; done += 500) {
    await storage.db.transaction().execute(async (tx) => {
      for (let i = done; i < Math.min(n, done + 500); i++) await createCustomer(ctxOf(tx), { email: `${tag}-${i}@example.com` });
    });
  }
}

/** Starts one worker on `n` queued deliveries and times it until all are recorded. */
async function deliverQueued(storage: Storage, n: number): Promise<Measurement> {
  const durations: number[] = [];
  let failures = 0;
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const worker = new DeliveryWorker({
    db: storage.db,
    clock: systemClock,
    subscribe: (onNotify) => storage.listen(WEBHOOK_CHANNEL, onNotify),
    onDelivery: (report) => {
      if (report.outcome === 'delivered') durations.push(report.durationMs);
      else failures++;
      if (durations.length + failures >= n) finish();
    },
    onError: (err) => console.error('[bench] delivery worker:', err),
  });
  const started = performance.now();
  await worker.start();
  const timeout = setTimeout(finish, 120_000);
  await finished;
  const seconds = (performance.now() - started) / 1000;
  clearTimeout(timeout);
  await worker.stop();
  failures += n - durations.length - failures;
  return { perSecond: durations.length / seconds, total: durations.length, failures, latencyMs: stats(durations) };
}

/** Limit C and one worker's deliveries of the same `EVENTS` queued events. */
async function throughput(storage: Storage, receiver: ReceiverThread, log: (m: string) => void): Promise<{ limit: Measurement; worker: Measurement }> {
  const endpoint = await createEndpoint(ctxOf(storage.db), { url: receiver.url, enabled_events: ['*'] });
  try {
    await queueEvents(storage, WARMUP_EVENTS, 'warmup');
    await deliverQueued(storage, WARMUP_EVENTS);
    log(`  queueing ${EVENTS} events…`);
    await queueEvents(storage, EVENTS, 'bench');
    const { rows } = await sql<{ body: string }>`select data::text as body from events where data->'data'->'object'->>'email' like 'bench-%' order by seq`.execute(storage.db);
    log(`  limit C: signing and POSTing their ${rows.length} payloads…`);
    const bodies = rows.map((r) => r.body);
    await signedPosts(receiver, endpoint.secret!, bodies.slice(0, WARMUP_EVENTS));
    const limit = await signedPosts(receiver, endpoint.secret!, bodies);
    log(`  delivering them with one worker…`);
    return { limit, worker: await deliverQueued(storage, EVENTS) };
  } finally {
    await deleteEndpoint(ctxOf(storage.db), endpoint.id);
  }
}

/** One API change at a time on a whole server; from the API's response to the receiver's arrival. */
async function latency(storage: Storage, receiver: ReceiverThread): Promise<Measurement> {
  let settled = () => {};
  const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', demo: false };
  const portico = await startPortico({ config, storage, onDelivery: () => settled() });
  try {
    const headers = { Authorization: `Bearer ${portico.keys.testSecretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' };
    const post = async (path: string, body: string) => {
      const res = await fetch(`${portico.url}${path}`, { method: 'POST', headers, body });
      const at = nowMs();
      const json = (await res.json()) as { id: string };
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
      return { id: json.id, at };
    };
    const endpoint = await post('/v1/webhook_endpoints', `url=${encodeURIComponent(receiver.url)}&enabled_events[]=customer.created`);
    const samples: number[] = [];
    let failures = 0;
    const started = performance.now();
    for (let i = -20; i < SAMPLES; i++) {
      // Idle: the worker has recorded the previous delivery before the next change commits.
      const recorded = new Promise<void>((resolve) => (settled = resolve));
      const change = await post('/v1/customers', `email=latency-${i + 20}%40example.com`);
      try {
        const arrived = await receiver.arrivalOf(change.id, 10_000);
        await recorded;
        if (i >= 0) samples.push(arrived - change.at);
      } catch {
        failures++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    await fetch(`${portico.url}/v1/webhook_endpoints/${endpoint.id}`, { method: 'DELETE', headers });
    return { perSecond: samples.length / seconds, total: samples.length, failures, latencyMs: stats(samples) };
  } finally {
    await portico.close();
  }
}

export interface WebhookBenchOptions {
  databases: string[];
  /** A reachable PostgreSQL, or null to skip it. */
  pgUrl: string | null;
  log: (msg: string) => void;
}

export async function benchWebhooks(opts: WebhookBenchOptions): Promise<{ rows: WebhookRow[]; aims: WebhookAim[]; notes: string[] }> {
  const rows: WebhookRow[] = [];
  const notes: string[] = [];
  const receiver = await startReceiverThread();
  try {
    for (const db of opts.databases) {
      if (db !== 'pglite' && db !== 'postgres') continue;
      if (db === 'postgres' && !opts.pgUrl) continue;
      const storage = db === 'pglite' ? await openStorage({ kind: 'pglite', dataDir: null }) : await openPostgresSchema(opts.pgUrl!);
      try {
        opts.log(`webhooks (${db}): throughput, ${EVENTS} events…`);
        const { limit, worker: t } = await throughput(storage, receiver, opts.log);
        rows.push({ name: BASELINE, db, measurement: limit });
        rows.push({ name: THROUGHPUT, db, measurement: t, limit: `${BASELINE} (${db})`, ratio: t.perSecond / limit.perSecond });
        opts.log(`webhooks (${db}): ${t.perSecond.toFixed(0)} deliveries/s; latency, ${SAMPLES} samples…`);
        rows.push({ name: LATENCY, db, measurement: await latency(storage, receiver) });
      } catch (err) {
        notes.push(`webhooks (${db}): benchmark aborted: ${(err as Error).stack ?? String(err)}`);
        opts.log(`webhooks (${db}): aborted: ${String(err)}`);
      } finally {
        await storage.close();
      }
    }
  } finally {
    await receiver.close();
  }
  for (const r of rows) if (r.measurement.failures > 0) notes.push(`${r.name} (${r.db ?? '-'}): ${r.measurement.failures} failed`);
  const find = (name: string) => rows.find((r) => r.db === 'postgres' && r.name === name);
  const t = find(THROUGHPUT);
  const l = find(LATENCY);
  const aims: WebhookAim[] = [];
  for (const db of ['postgres', 'pglite']) {
    const r = rows.find((x) => x.db === db && x.name === THROUGHPUT);
    aims.push({
      aim: `webhook deliveries per worker ≥ ${AIMS.limitRatio * 100} % of limit C (${db === 'postgres' ? 'PostgreSQL' : 'PGlite'})`,
      value: r?.ratio === undefined ? 'not measured' : `${(r.ratio * 100).toFixed(1)} %`,
      met: r?.ratio === undefined ? null : r.ratio >= AIMS.limitRatio,
    });
  }
  aims.push(
    {
      aim: `webhook deliveries ≥ ${AIMS.deliveriesPerSecond}/s per worker (PostgreSQL)`,
      value: t ? `${t.measurement.perSecond.toFixed(0)}/s` : 'not measured',
      met: t ? t.measurement.perSecond >= AIMS.deliveriesPerSecond : null,
    },
    {
      aim: `webhook commit→delivery p99 < ${AIMS.p99Ms} ms idle (PostgreSQL)`,
      value: l ? `${l.measurement.latencyMs.p99.toFixed(1)} ms` : 'not measured',
      met: l ? l.measurement.latencyMs.p99 < AIMS.p99Ms : null,
    },
  );
  return { rows, aims, notes };
}

// `tsx bench/webhooks.ts`: this section alone.
if (isMainModule(import.meta.url)) {
  runSectionAlone(benchWebhooks, ({ rows }) =>
    rows.map((r) => {
      const m = r.measurement;
      return (
        `${r.name} (${r.db ?? '-'}): ${m.perSecond.toFixed(0)}/s, p50 ${m.latencyMs.p50.toFixed(2)} ms, p99 ` +
        `${m.latencyMs.p99.toFixed(2)} ms, max ${m.latencyMs.max.toFixed(2)} ms` +
        (r.ratio !== undefined ? `, ratio ${(r.ratio * 100).toFixed(1)} %` : '') +
        (m.failures ? `, ${m.failures} failed` : '')
      );
    }),
  );
}
