/**
 * The servers the API benchmarks load, each in its own process (as Portico runs in production), started
 * with `startServerProcess` and told what to be through its environment:
 *
 *   portico   the whole Portico server (API, portal, webhook worker, billing clock), as `npm start` runs it
 *   limit-r   limit R: node:http + one primary-key SELECT of a customer row of `objects`, the stored JSON
 *             text sent as is (a named prepared statement on PostgreSQL)
 *   limit-w   limit W: node:http that reads the form body, then BEGIN; insert the object, its event and
 *             the idempotency row; COMMIT (the same tables and indexes as Portico's)
 *   limit-s   limit S: node:http that reads the form body, then BEGIN; the rows a `POST /v1/subscriptions`
 *             writes, with the statements Portico's unit of work writes them with (3 objects in one
 *             INSERT, an UPDATE of the customer row, a billing period, 6 events in one INSERT, the
 *             idempotency row); COMMIT. `POST /seed` (`ids=a,b,…`) first inserts the customer rows.
 *   bare      bare node:http answering a fixed customer-sized JSON (the reference line: no database)
 *
 * Each opens its own storage: an in-memory PGlite, or the PostgreSQL schema named by BENCH_DB_URL (the
 * limits and Portico get a schema each, migrated alike). The parent receives `{ url, keys? }` over IPC.
 * BENCH_CPU_PROF=<dir>: Portico's process writes a CPU profile (`--cpu-prof`) there when it closes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Mutex } from '../src/lib/mutex.ts';
import { openStorage, type Storage } from '../src/storage/database.ts';
import { pgliteQuery } from '../src/storage/pglite-query.ts';
import { sampleCustomer } from './baselines.ts';

export type ServerRole = 'portico' | 'limit-r' | 'limit-w' | 'limit-s' | 'bare';

export interface ServerProcess {
  url: string;
  /** Portico's test secret key (portico only). */
  secretKey: string | null;
  /** The customer a limit-r server reads (limit-r only). */
  customerId: string | null;
  close(): Promise<void>;
}

/** Starts `role` in a child process on `db` (`url`: a PostgreSQL URL selecting a schema; null: PGlite). */
export async function startServerProcess(role: ServerRole, url: string | null): Promise<ServerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', ...(role === 'portico' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, BENCH_ROLE: role, BENCH_DB_URL: url ?? '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ url: string; secretKey?: string; customerId?: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string }));
    child.once('exit', (code) => reject(new Error(`${role} server exited (${code}) before listening`)));
  });
  return {
    url: ready.url,
    secretKey: ready.secretKey ?? null,
    customerId: ready.customerId ?? null,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('close');
      }),
  };
}

// ---- child side ----

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const identity = (v: string) => v;
const JSON_OID = 114;

/** One statement: a named prepared statement on PostgreSQL, a PGlite query otherwise. */
type Run = (name: string, text: string, values: unknown[]) => Promise<Array<Record<string, unknown>>>;
type InTx = (fn: (run: Run) => Promise<void>) => Promise<void>;

async function limitDriver(storage: Storage): Promise<{ run: Run; inTx: InTx; close(): Promise<void> }> {
  if (storage.pool) {
    // The same pool size as Portico's; json comes back as its text.
    const pool = new pg.Pool({
      connectionString: process.env.BENCH_DB_URL!,
      max: 10,
      types: { getTypeParser: ((oid: number, format?: any) => (oid === JSON_OID ? identity : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
    });
    const runOn = (client: { query: pg.Pool['query'] }): Run => async (name, text, values) => (await client.query({ name, text, values })).rows;
    return {
      run: runOn(pool),
      async inTx(fn) {
        const client = await pool.connect();
        try {
          await client.query('begin');
          await fn(runOn(client));
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch(() => {});
          throw err;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  const pglite = storage.pglite!;
  const mutex = new Mutex();
  // Portico's own one-call statements (src/storage/pglite-query.ts); json comes back as its text.
  pglite.parsers[JSON_OID] = identity;
  const run: Run = async (_name, text, values) => (await pgliteQuery<Record<string, unknown>>(pglite, text, values)).rows;
  return {
    async run(name, text, values) {
      const release = await mutex.acquire();
      try {
        return await run(name, text, values);
      } finally {
        release();
      }
    },
    async inTx(fn) {
      const release = await mutex.acquire();
      try {
        await run('', 'begin', []);
        try {
          await fn(run);
          await run('', 'commit', []);
        } catch (err) {
          await run('', 'rollback', []).catch(() => {});
          throw err;
        }
      } finally {
        release();
      }
    },
    close: async () => {},
  };
}

const READ = 'select data from objects where livemode = $1 and id = $2 and deleted = false';
const INSERT_OBJECT = 'insert into objects (livemode, id, object, created, customer, data, private) values ($1, $2, $3, $4, null, $5, $6)';
const INSERT_EVENT = 'insert into events (id, livemode, type, created, data) values ($1, $2, $3, $4, $5)';
const INSERT_KEY = `insert into idempotency_keys (livemode, key, request_hash, created, locked_at, status, response)
  values ($1, $2, $3, $4, null, 200, $5)`;

const INSERT_3_OBJECTS = `insert into objects (livemode, id, object, created, customer, data, private)
  values ($1, $2, 'subscription', $3, $4, $5, '{}'), ($1, $6, 'invoice', $3, $4, $7, '{}'), ($1, $8, 'payment_intent', $3, $4, $9, '{}')`;
const UPDATE_CUSTOMER = `update objects as o set data = v.data from (values ($1::boolean, $2::text, $3::json)) as v (livemode, id, data)
  where o.livemode = v.livemode and o.id = v.id`;
const INSERT_PERIOD = 'insert into billing_periods (livemode, subscription, period_start, invoice, created) values ($1, $2, $3, $4, $5)';
const INSERT_6_EVENTS = `insert into events (id, livemode, type, created, data) values
  ($1 || '1', $2, $3, $4, $5), ($1 || '2', $2, $3, $4, $5), ($1 || '3', $2, $3, $4, $5),
  ($1 || '4', $2, $3, $4, $5), ($1 || '5', $2, $3, $4, $5), ($1 || '6', $2, $3, $4, $5)`;

/** limit S: one subscription create's writes (see the module comment), `n` a fresh number. */
async function subscriptionWrites(driver: { inTx: InTx }, customer: string, key: string, n: number): Promise<string> {
  const id = `${process.pid}x${n}`;
  const created = Math.floor(Date.now() / 1000);
  // Documents of about the sizes Portico stores (a subscription ~2 KB, an invoice ~4 KB).
  const sub = JSON.stringify({ id: `sub_${id}`, object: 'subscription', customer, pad: 'x'.repeat(2000) });
  const invoice = JSON.stringify({ id: `in_${id}`, object: 'invoice', customer, pad: 'x'.repeat(4000) });
  const intent = JSON.stringify({ id: `pi_${id}`, object: 'payment_intent', customer, pad: 'x'.repeat(1000) });
  const customerJson = JSON.stringify({ ...sampleCustomer, id: customer, next_invoice_sequence: n });
  const event = `{"id":"evt_${id}","object":"event","data":{"object":${invoice}},"type":"invoice.paid"}`;
  await driver.inTx(async (run) => {
    await run('limit_s_objects', INSERT_3_OBJECTS, [false, `sub_${id}`, created, customer, sub, `in_${id}`, invoice, `pi_${id}`, intent]);
    await run('limit_s_customer', UPDATE_CUSTOMER, [false, customer, customerJson]);
    await run('limit_s_period', INSERT_PERIOD, [false, `sub_${id}`, created, `in_${id}`, created]);
    await run('limit_s_events', INSERT_6_EVENTS, [`evt_${id}_`, false, 'invoice.paid', created, event]);
    await run('limit_insert_key', INSERT_KEY, [false, key, 'hash', created, sub]);
  });
  return sub;
}

async function childMain(): Promise<void> {
  const role = process.env.BENCH_ROLE as ServerRole;
  const dbUrl = process.env.BENCH_DB_URL || null;
  if (role === 'bare') {
    const payload = Buffer.from(JSON.stringify(sampleCustomer));
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': payload.length }).end(payload);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.send!({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    process.on('message', () => server.close(() => process.exit(0)) && server.closeAllConnections());
    return;
  }
  const storage = await openStorage(dbUrl ? { kind: 'postgres', url: dbUrl } : { kind: 'pglite', dataDir: null });
  if (role === 'portico') {
    const { loadConfig } = await import('../src/config.ts');
    const { startPortico } = await import('../src/main.ts');
    const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', demo: false };
    let errors = 0;
    const portico = await startPortico({
      config,
      storage,
      logError: (err) => {
        if (errors++ < 3) console.error('[bench portico]', err);
      },
    });
    process.send!({ url: portico.url, secretKey: portico.keys.testSecretKey });
    process.on('message', async () => {
      await portico.close();
      await storage.close();
      process.exit(0);
    });
    return;
  }

  const driver = await limitDriver(storage);
  const customerJson = JSON.stringify(sampleCustomer);
  await driver.run('limit_insert_object', INSERT_OBJECT, [false, sampleCustomer.id, 'customer', sampleCustomer.created, customerJson, '{}']);
  let n = 0;
  const server = createServer((req, res) => {
    const fail = (err: unknown) => {
      res.writeHead(500).end(String(err));
    };
    if (role === 'limit-r') {
      const id = req.url!.slice(req.url!.lastIndexOf('/') + 1);
      driver.run('limit_read', READ, [false, id]).then((rows) => {
        const text = rows[0]?.data as string | undefined;
        if (text === undefined) return void res.writeHead(404).end();
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
      }, fail);
      return;
    }
    readBody(req)
      .then(async (body) => {
        const params = new URLSearchParams(body.toString('utf8'));
        if (role === 'limit-s') {
          if (req.url === '/seed') {
            for (const c of (params.get('ids') ?? '').split(',').filter(Boolean)) {
              const json = JSON.stringify({ ...sampleCustomer, id: c });
              await driver.run('limit_insert_object', INSERT_OBJECT, [false, c, 'customer', sampleCustomer.created, json, '{}']);
            }
            return void res.writeHead(200).end('{}');
          }
          const key = String(req.headers['idempotency-key'] ?? `k${n + 1}`);
          const sub = await subscriptionWrites(driver, params.get('customer') ?? '', key, ++n);
          return void res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(sub) }).end(sub);
        }
        const id = `cus_limit${process.pid}x${++n}`;
        const created = Math.floor(Date.now() / 1000);
        const object = JSON.stringify({ ...sampleCustomer, id, email: params.get('email'), name: params.get('name') });
        const event = `{"id":"evt_${id}","object":"event","data":{"object":${object}},"type":"customer.created"}`;
        await driver.inTx(async (run) => {
          await run('limit_insert_object', INSERT_OBJECT, [false, id, 'customer', created, object, '{}']);
          await run('limit_insert_event', INSERT_EVENT, [`evt_${id}`, false, 'customer.created', created, event]);
          await run('limit_insert_key', INSERT_KEY, [false, req.headers['idempotency-key'] ?? id, 'hash', created, object]);
        });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(object) }).end(object);
      })
      .catch(fail);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send!({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, customerId: sampleCustomer.id });
  process.on('message', async () => {
    server.close();
    server.closeAllConnections();
    await driver.close();
    await storage.close();
    process.exit(0);
  });
}

if (process.env.BENCH_ROLE && process.send) {
  childMain().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
