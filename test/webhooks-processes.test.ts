/**
 * Webhook delivery across real processes: `portico start` children killed with SIGKILL mid-delivery and
 * restarted lose no event (at-least-once, counted by distinct event id at the receiver), on PostgreSQL
 * (worker children sharing a schema with this process) and on PGlite (whole-server children on one data
 * directory); and two worker children deliver 10,000 events exactly once each on PostgreSQL.
 * The PostgreSQL tests need DATABASE_URL and are skipped, saying so, without it.
 */
import { ensureDefaultConfigurations } from '../src/portal/configurations/index.ts';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import Stripe from 'stripe';
import { loadConfig } from '../src/config.ts';
import { emit } from '../src/events/outbox.ts';
import { createEndpoint } from '../src/events/webhook-endpoints.ts';
import { systemClock } from '../src/lib/clock.ts';
import { startPortico } from '../src/main.ts';
import type { Ctx } from '../src/storage/context.ts';
import { openStorage, type Db, type Executor } from '../src/storage/database.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { openPostgresSchemaWithUrl } from './support/storages.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PG_URL = process.env.DATABASE_URL;
const NEEDS_PG = PG_URL ? false : 'needs DATABASE_URL (a PostgreSQL database to run worker processes against; CI sets it)';
/**
 * Short attempts, so a killed worker's claims come due again after 3 × 2 s + 5 s (see `leaseSeconds`);
 * still ten times what the receiver takes, so a busy machine does not turn answers into timeouts.
 */
const SHORT_TIMEOUT = { PORTICO_WEBHOOK_TIMEOUT_MS: '2000' };
const TEST_KEY = 'sk_test_processes0000000000000000';

interface Child {
  proc: ChildProcess;
  /** What `Portico listening on` printed. */
  url: string;
  output(): string;
  /** Sends `signal` and resolves once the process is gone. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** Runs `portico start` with `env` and resolves once it prints that it is listening. */
async function startChild(label: string, env: Record<string, string>): Promise<Child> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORTICO_DEMO: '0', PORT: '0', ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      children.delete(proc);
      resolve();
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /Portico listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before it was listening:\n${out}`));
    });
  });
  return {
    proc,
    url,
    output: () => out,
    async stop(signal) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** Tracks the distinct event ids a receiver got, answering each delivery after `latencyMs()`. */
function trackEvents(receiver: Receiver, latencyMs: () => number) {
  const ids = new Set<string>();
  const waiters: { n: number; resolve: () => void }[] = [];
  receiver.respond = async (r) => {
    ids.add((JSON.parse(r.body) as { id: string }).id);
    for (const w of waiters.filter((x) => ids.size >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const ms = latencyMs();
    if (ms > 0) await delay(ms);
    return 200;
  };
  return {
    ids,
    /** Resolves once `n` distinct events have arrived; rejects after `timeoutMs`. */
    waitFor(n: number, timeoutMs: number): Promise<void> {
      if (ids.size >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${ids.size} of ${n} events arrived in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

/** Polls `check` (a database or API read) every 200 ms until it returns true; bounded by `timeoutMs`. */
async function eventually(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await delay(200);
  }
}

function sdk(url: string, key: string): Stripe {
  const u = new URL(url);
  return new Stripe(key, { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
}

/** Creates `n` customers through the API, `parallel` requests at a time; returns their ids. */
async function createCustomers(stripe: Stripe, n: number, parallel = 10): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const i = next++;
        ids.push((await stripe.customers.create({ email: `crash-${i}@example.com` })).id);
      }
    }),
  );
  return ids;
}

const pending = async (db: Db) =>
  Number(
    (
      await db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('status', '!=', 'delivered')
        .executeTakeFirstOrThrow()
    ).n,
  );

/** The deliveries by status, and the attempts that did not get a 2xx (what to look at when a wait fails). */
async function deliveryState(db: Db): Promise<string> {
  const statuses = await db
    .selectFrom('webhook_deliveries')
    .select(['status', (eb) => eb.fn.countAll().as('n')])
    .groupBy('status')
    .execute();
  const failed = await db
    .selectFrom('webhook_attempts')
    .select(['status_code', 'error', 'duration_ms'])
    .where((eb) => eb.or([eb('status_code', 'is', null), eb('status_code', '>=', 300)]))
    .limit(5)
    .execute();
  return `deliveries ${JSON.stringify(statuses)}; failed attempts ${JSON.stringify(failed)}`;
}

/** Opens an embedded data directory in this process (no server may hold it), runs `fn`, closes it. */
async function inDataDir<T>(dataDir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const storage = await openStorage({ kind: 'pglite', dataDir });
  try {
    return await fn(storage.db);
  } finally {
    await storage.close();
  }
}

describe('webhook delivery across processes', () => {
  test('PostgreSQL: a worker killed with SIGKILL mid-delivery and restarted loses no event', { skip: NEEDS_PG, timeout: 90_000 }, async (t) => {
    const { storage, url } = await openPostgresSchemaWithUrl(PG_URL!);
    const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', demo: false, role: 'api' as const };
    const api = await startPortico({ config, storage, logError: (err) => console.error('server error:', err) });
    const receiver = await startReceiver();
    const events = trackEvents(receiver, () => 50 + Math.random() * 150);
    const env = { PORTICO_ROLE: 'worker', DATABASE_URL: url, ...SHORT_TIMEOUT };
    try {
      assert.equal(api.deliveryWorker, null, 'an api-role server delivers nothing itself');
      const stripe = sdk(api.url, api.keys.testSecretKey);
      await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.created'] });
      await createCustomers(stripe, 300);
      const eventIds = (await storage.db.selectFrom('events').select('id').where('type', '=', 'customer.created').execute()).map((e) => e.id);
      assert.equal(eventIds.length, 300);

      const first = await startChild('worker 1', env);
      await events.waitFor(60, 30_000);
      await first.stop('SIGKILL');
      const atKill = events.ids.size;
      const stranded = Number(
        (
          await storage.db
            .selectFrom('webhook_deliveries')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('status', '=', 'pending')
            .where('attempts', '>', 0)
            .executeTakeFirstOrThrow()
        ).n,
      );
      assert.ok(atKill < 300, `the worker was killed mid-way (${atKill} of 300 had arrived)`);
      assert.ok(stranded > 0, 'the killed worker left claimed deliveries behind');

      const second = await startChild('worker 2', env);
      await events.waitFor(300, 40_000);
      await eventually('every delivery is recorded as delivered', 20_000, async () => (await pending(storage.db)) === 0).catch(
        async (err: Error) => assert.fail(`${err.message}: ${await deliveryState(storage.db)}`),
      );
      await second.stop('SIGTERM');
      assert.deepEqual([...events.ids].sort(), eventIds.sort(), 'every event arrived');
      t.diagnostic(
        `${atKill} events had arrived at the SIGKILL, ${stranded} claims were stranded; ` +
          `${receiver.received.length} deliveries for 300 events (${receiver.received.length - 300} repeated)`,
      );
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await api.close();
      await receiver.close();
      await storage.close();
    }
  });

  test('PGlite: whole-server processes killed with SIGKILL and restarted on the same directory lose nothing', { timeout: 90_000 }, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-crash-'));
    const receiver = await startReceiver();
    const events = trackEvents(receiver, () => 50 + Math.random() * 150);
    const env = { PORTICO_DATA_DIR: dataDir, DATABASE_URL: '', PORTICO_TEST_SECRET_KEY: TEST_KEY, ...SHORT_TIMEOUT };
    try {
      // The changes are made with no worker running, then that process is killed: the commits must survive.
      const writer = await startChild('api process', { ...env, PORTICO_ROLE: 'api' });
      const stripe = sdk(writer.url, TEST_KEY);
      await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.created'] });
      const customerIds = await createCustomers(stripe, 300);
      await writer.stop('SIGKILL');
      const eventIds = await inDataDir(dataDir, async (db) => {
        const customers = await db.selectFrom('objects').select('id').where('object', '=', 'customer').execute();
        assert.deepEqual(
          customers.map((c) => c.id).sort(),
          [...customerIds].sort(),
          'PGlite kept every customer whose creation was acknowledged before the SIGKILL',
        );
        return (await db.selectFrom('events').select('id').where('type', '=', 'customer.created').execute()).map((e) => e.id);
      });
      assert.equal(eventIds.length, 300);

      const first = await startChild('server 1', { ...env, PORTICO_ROLE: 'all' });
      await events.waitFor(60, 30_000);
      await first.stop('SIGKILL');
      const atKill = events.ids.size;
      assert.ok(atKill < 300, `the server was killed mid-way (${atKill} of 300 had arrived)`);

      const second = await startChild('server 2', { ...env, PORTICO_ROLE: 'all' });
      const api = sdk(second.url, TEST_KEY);
      await events.waitFor(300, 40_000);
      const waited = await eventually('no event has a delivery pending', 20_000, async () => {
        const undelivered = await api.events.list({ delivery_success: false, limit: 1 });
        return undelivered.data.length === 0;
      }).catch((err: Error) => err);
      await second.stop('SIGTERM');
      // Stopped gracefully, so its lock is released: read what it recorded.
      await inDataDir(dataDir, async (db) => {
        const state = await deliveryState(db);
        if (waited) assert.fail(`${waited.message}: ${state}`);
        assert.equal(await pending(db), 0, state);
      });
      assert.deepEqual([...events.ids].sort(), eventIds.sort(), 'every event arrived');
      const customersSeen = new Set(receiver.received.map((r) => ((JSON.parse(r.body) as Stripe.Event).data.object as { id: string }).id));
      assert.deepEqual([...customersSeen].sort(), [...customerIds].sort(), 'an event arrived for every customer');
      t.diagnostic(`${atKill} events had arrived at the SIGKILL; ${receiver.received.length} deliveries for 300 events`);
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL: two worker processes deliver 10,000 events, each exactly once', { skip: NEEDS_PG, timeout: 180_000 }, async (t) => {
    const { storage, url } = await openPostgresSchemaWithUrl(PG_URL!);
    const receiver = await startReceiver();
    const events = trackEvents(receiver, () => 0);
    const total = 10_000;
    try {
      const ctx = (db: Executor): Ctx => ({ db, livemode: false, clock: systemClock, request: { id: null, idempotencyKey: null } });
      // What a process's start-up writes (the default portal configurations) is written now, so the
      // workers started below add no events of their own to the 10,000.
      await ensureDefaultConfigurations(storage.db, systemClock);
      await createEndpoint(ctx(storage.db), { url: receiver.url, enabled_events: ['*'] });
      const made = performance.now();
      // Events through the outbox itself (what every domain change calls), 500 to a transaction.
      const perTx = 500;
      let nextTx = 0;
      await Promise.all(
        Array.from({ length: 3 }, async () => {
          while (nextTx < total / perTx) {
            const batch = nextTx++;
            await storage.db.transaction().execute(async (tx) => {
              for (let i = 0; i < perTx; i++) {
                const id = `cus_scale${String(batch * perTx + i).padStart(5, '0')}`;
                await emit(ctx(tx), 'customer.created', { id, object: 'customer', email: `${id}@example.com`, metadata: {} });
              }
            });
          }
        }),
      );
      t.diagnostic(`created ${total} events in ${Math.round(performance.now() - made)} ms`);

      const env = { PORTICO_ROLE: 'worker', DATABASE_URL: url };
      const workers = await Promise.all([startChild('worker A', env), startChild('worker B', env)]);
      await events.waitFor(total, 120_000);
      await eventually('every delivery is recorded as delivered', 30_000, async () => (await pending(storage.db)) === 0).catch(
        async (err: Error) => assert.fail(`${err.message}: ${await deliveryState(storage.db)}`),
      );
      await Promise.all(workers.map((w) => w.stop('SIGTERM')));

      const arrivals = receiver.received.map((r) => r.at);
      const seconds = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
      const rate = Math.round(total / seconds);
      t.diagnostic(`two workers delivered ${total} events in ${seconds.toFixed(2)} s: ${rate} deliveries/s`);
      console.log(`[webhooks-processes] two worker processes: ${rate} deliveries/s (${total} events in ${seconds.toFixed(2)} s)`);

      assert.equal(events.ids.size, total);
      assert.equal(receiver.received.length, total, 'no event was delivered twice');
      const claims = await storage.db
        .selectFrom('webhook_deliveries')
        .select(['attempts', (eb) => eb.fn.countAll().as('n')])
        .groupBy('attempts')
        .execute();
      assert.deepEqual(claims.map((c) => [c.attempts, Number(c.n)]), [[1, total]], 'each delivery was claimed once');
      const attempts = await storage.db
        .selectFrom('webhook_attempts')
        .select(['status_code', (eb) => eb.fn.countAll().as('n')])
        .groupBy('status_code')
        .execute();
      assert.deepEqual(attempts.map((a) => [a.status_code, Number(a.n)]), [[200, total]]);
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await receiver.close();
      await storage.close();
    }
  });
});
