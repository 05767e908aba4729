/**
 * The limits the Portico numbers are divided by, measured in the same run on the same machine:
 * - A: a bare `node:http` server answering a fixed customer-sized JSON body (the best any Node HTTP API
 *   can do for a read);
 * - B: raw single-row INSERT transactions (BEGIN; INSERT; COMMIT) through the same database driver at the
 *   same concurrency (the best any API can do for a durable write).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { Mutex } from '../src/lib/mutex.ts';
import { loopLoad, type Measurement } from './load.ts';

/** A customer object as the API returns it (about 900 bytes of JSON). */
export const sampleCustomer = {
  id: 'cus_Bench0000000000000000',
  object: 'customer',
  address: {
    city: 'Springfield',
    country: 'US',
    line1: '742 Evergreen Terrace',
    line2: null,
    postal_code: '49007',
    state: 'OR',
  },
  balance: 0,
  created: 1_893_456_000,
  currency: null,
  default_source: null,
  delinquent: false,
  description: 'A customer used by the benchmarks',
  discount: null,
  email: 'jenny.rosen@example.com',
  invoice_prefix: 'BENCH123',
  invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
  livemode: false,
  metadata: { order_id: '6735', segment: 'enterprise' },
  name: 'Jenny Rosen',
  next_invoice_sequence: 1,
  phone: '+15555550123',
  preferred_locales: ['en'],
  shipping: {
    address: {
      city: 'Springfield',
      country: 'US',
      line1: '742 Evergreen Terrace',
      line2: null,
      postal_code: '49007',
      state: 'OR',
    },
    name: 'Jenny Rosen',
    phone: null,
  },
  tax_exempt: 'none',
  test_clock: null,
};

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Baseline A: a bare node:http server answering `body` as JSON to every request. */
export async function startBareServer(body: string): Promise<RunningServer> {
  const payload = Buffer.from(body);
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const SCRATCH = 'bench_scratch';
const CREATE = `create table ${SCRATCH} (id text primary key, data jsonb not null)`;
const INSERT = `insert into ${SCRATCH} (id, data) values ($1, $2)`;
const rowData = JSON.stringify(sampleCustomer);
let counter = 0;
const nextId = () => `row_${process.pid}_${++counter}`;

/** Baseline B on PostgreSQL: a pool, one transaction per loop iteration, loops in parallel. */
export async function rawInsertsPostgres(pool: pg.Pool): Promise<Measurement> {
  await pool.query(CREATE);
  try {
    return await loopLoad(async () => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(INSERT, [nextId(), rowData]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    });
  } finally {
    await pool.query(`drop table ${SCRATCH}`);
  }
}

/**
 * Baseline B on PGlite: the same statements on one instance. PGlite has one session, so transactions
 * are serialized by a FIFO mutex, exactly as Portico's PGlite dialect does.
 */
export async function rawInsertsPglite(instance: PGlite): Promise<Measurement> {
  await instance.query(CREATE);
  const mutex = new Mutex();
  try {
    return await loopLoad(async () => {
      const release = await mutex.acquire();
      try {
        await instance.query('begin');
        try {
          await instance.query(INSERT, [nextId(), rowData]);
          await instance.query('commit');
        } catch (err) {
          await instance.query('rollback').catch(() => {});
          throw err;
        }
      } finally {
        release();
      }
    });
  } finally {
    await instance.query(`drop table ${SCRATCH}`);
  }
}
