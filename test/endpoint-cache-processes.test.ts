/**
 * The webhook-endpoint cache across processes (events/endpoint-cache.ts): an API process that has
 * cached its endpoints routes the very next event by another process's change to them (created,
 * events changed, disabled, deleted), with no wait for NOTIFY or the cache's lifetime. PostgreSQL only
 * (several processes on one database): it runs when DATABASE_URL is set, as CI does.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { systemClock } from '../src/lib/clock.ts';
import type { Storage } from '../src/storage/database.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { openPostgresSchemaWithUrl } from './support/storages.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PG_URL = process.env.DATABASE_URL;
const TEST_KEY = 'sk_test_endpointcache000000000000';
const LIVE_KEY = 'sk_live_endpointcache000000000000';

if (PG_URL) {
  describe('webhook-endpoint cache across two processes (postgres)', () => {
    let storage: Storage;
    let a: TestServer;
    let child: ChildProcess;
    let b: Stripe;
    let output = '';

    before(async () => {
      const opened = await openPostgresSchemaWithUrl(PG_URL);
      storage = opened.storage;
      a = await startTestServer({ storage, clock: systemClock, config: { testSecretKey: TEST_KEY, liveSecretKey: LIVE_KEY } });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: opened.url,
        PORTICO_ROLE: 'api',
        PORTICO_DEMO: '0',
        PORT: '0',
        PORTICO_TEST_SECRET_KEY: TEST_KEY,
        PORTICO_LIVE_SECRET_KEY: LIVE_KEY,
      };
      delete env.NODE_TEST_CONTEXT;
      child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the API process did not start in 60 s:\n${output}`)), 60_000);
        child.stdout!.on('data', () => {
          const m = /Portico listening on (\S+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`the API process exited (${code}):\n${output}`)));
      });
      const u = new URL(url);
      b = new Stripe(TEST_KEY, { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
    });

    after(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await a?.close();
      await storage?.close();
    });

    /** The deliveries written for the latest event of `type` about `objectId`, by endpoint. */
    async function deliveriesOf(type: string, objectId: string): Promise<{ pending: number; endpoints: string[] }> {
      const events = await a.stripe.events.list({ type, limit: 20 });
      const event = events.data.find((e) => (e.data.object as { id: string }).id === objectId);
      assert.ok(event, `${type} for ${objectId}`);
      const rows = await storage.db.selectFrom('webhook_deliveries').select('endpoint_id').where('event_id', '=', event.id).execute();
      return { pending: event.pending_webhooks, endpoints: rows.map((r) => r.endpoint_id).sort() };
    }

    test("process B's next event follows each endpoint change process A makes", async () => {
      // B caches "no endpoints" (it wrote an event with none).
      const c1 = await b.customers.create({ email: 'one@example.com' });
      assert.deepEqual(await deliveriesOf('customer.created', c1.id), { pending: 0, endpoints: [] });

      // A creates an endpoint; B's very next event is delivered to it.
      const hook = await a.stripe.webhookEndpoints.create({ url: 'https://example.com/hook', enabled_events: ['customer.created'] });
      const c2 = await b.customers.create({ email: 'two@example.com' });
      assert.deepEqual(await deliveriesOf('customer.created', c2.id), { pending: 1, endpoints: [hook.id] });

      // A changes what it listens to: created no longer, updated yes.
      await a.stripe.webhookEndpoints.update(hook.id, { enabled_events: ['customer.updated'] });
      const c3 = await b.customers.create({ email: 'three@example.com' });
      assert.deepEqual(await deliveriesOf('customer.created', c3.id), { pending: 0, endpoints: [] });
      await b.customers.update(c3.id, { name: 'Three' });
      assert.deepEqual(await deliveriesOf('customer.updated', c3.id), { pending: 1, endpoints: [hook.id] });

      // A second endpoint for everything, then the first disabled.
      const all = await a.stripe.webhookEndpoints.create({ url: 'https://example.com/all', enabled_events: ['*'] });
      await a.stripe.webhookEndpoints.update(hook.id, { disabled: true });
      await b.customers.update(c3.id, { name: 'Three again' });
      assert.deepEqual(await deliveriesOf('customer.updated', c3.id), { pending: 1, endpoints: [all.id] });

      // Both gone: nothing is delivered.
      await a.stripe.webhookEndpoints.del(all.id);
      await a.stripe.webhookEndpoints.del(hook.id);
      await b.customers.update(c3.id, { name: 'Three at last' });
      assert.deepEqual(await deliveriesOf('customer.updated', c3.id), { pending: 0, endpoints: [] });
    });
  });
}
