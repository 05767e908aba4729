/**
 * The write path's database work (issue 15): the statements one `POST /v1/billing_portal/sessions` and
 * one `POST /v1/customers` run (besides BEGIN and COMMIT), counted through a wrapper around the server's
 * storage, must not grow back above SESSION_STATEMENTS (it was 5, then 4) and CUSTOMER_STATEMENTS (it
 * was 4): the idempotency key's lock and lookup (1), for a session the customer and the configuration,
 * default or named (1), then the unit of work's flush (1): the new row (the session's, or the
 * customer's object), its event and delivery, and the idempotency row in one statement. The event is
 * routed by the process's endpoint cache, so the flush is also run with a stale cache (the event then
 * written by further statements): the session must be stored exactly once, its link must open, and
 * the event must exist once with its delivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type Stripe from 'stripe';
import { ManualClock } from '../src/lib/clock.ts';
import type { Storage } from '../src/storage/database.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { COUNTED_SERVER, countingStorage } from './support/statement-counter.ts';

const SESSION_STATEMENTS = 3;
const CUSTOMER_STATEMENTS = 2;

for (const db of storageCases()) {
  describe(`portal session create statements (${db.name})`, () => {
    let storage: Storage;
    let counting: ReturnType<typeof countingStorage>;
    let server: TestServer;
    let stripe: Stripe;
    let customer: Stripe.Customer;
    let named: Stripe.BillingPortal.Configuration;

    before(async () => {
      storage = await db.open();
      counting = countingStorage(storage);
      server = await startTestServer({ ...COUNTED_SERVER, storage: counting.storage, clock: new ManualClock(1_901_232_000) });
      stripe = server.stripe;
      customer = await stripe.customers.create({ email: 'statements@example.com' });
      named = await stripe.billingPortal.configurations.create({
        business_profile: { headline: 'Named' },
        features: { invoice_history: { enabled: true } },
        default_return_url: 'https://example.com/named',
      });
      await stripe.webhookEndpoints.create({ url: 'https://hooks.example.com/portico', enabled_events: ['billing_portal.session.created'] });
      // The first create fills the process's endpoint cache.
      await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://example.com/account' });
    });
    after(async () => {
      await server?.close();
      await storage?.close();
    });

    /** The link is exchanged for a cookie (the way in answers 303 with one). */
    async function assertOpens(url: string): Promise<void> {
      const opened = await fetch(url, { redirect: 'manual' });
      assert.equal(opened.status, 303, await opened.text());
      assert.match(opened.headers.get('set-cookie') ?? '', /./, 'a cookie is set');
    }

    async function eventsOf(sessionId: string): Promise<number> {
      const { rows } = await sql<{ n: number | string }>`
        select count(*) as n from events where type = 'billing_portal.session.created' and data->'data'->'object'->>'id' = ${sessionId}`.execute(storage.db);
      return Number(rows[0]!.n);
    }

    test(`a session create runs at most ${SESSION_STATEMENTS} statements, with the default or a named configuration`, async () => {
      for (const params of [
        { customer: customer.id, return_url: 'https://example.com/account' },
        { customer: customer.id, configuration: named.id },
      ]) {
        let session: Stripe.BillingPortal.Session | undefined;
        const statements = await counting.record(async () => {
          session = await stripe.billingPortal.sessions.create(params);
        });
        assert.ok(statements.length <= SESSION_STATEMENTS, `${statements.length} statements (at most ${SESSION_STATEMENTS}):\n${statements.join('\n')}`);
        assert.equal(session!.configuration, params.configuration ?? session!.configuration);
        assert.equal(await eventsOf(session!.id), 1);
        const { rows } = await sql<{ token_hash: string; data: { url: string } }>`
          select token_hash, data from portal_sessions where id = ${session!.id}`.execute(storage.db);
        assert.equal(rows.length, 1);
        assert.match(rows[0]!.token_hash, /^[0-9a-f]{64}$/);
        assert.ok(!session!.url.includes(rows[0]!.token_hash), 'the link is not the stored hash');
        assert.equal(rows[0]!.data.url, '', 'the stored session keeps no url');
        await assertOpens(session!.url);
      }
    });

    test(`a customer create runs at most ${CUSTOMER_STATEMENTS} statements, and its answer replays`, async () => {
      const key = `statements-${Date.now()}`;
      let created: Stripe.Customer | undefined;
      const statements = await counting.record(async () => {
        created = await stripe.customers.create({ email: 'counted@example.com', metadata: { k: 'v' } }, { idempotencyKey: key });
      });
      assert.ok(statements.length <= CUSTOMER_STATEMENTS, `${statements.length} statements (at most ${CUSTOMER_STATEMENTS}):\n${statements.join('\n')}`);
      const plain = (c: object) => {
        const { lastResponse: _, ...rest } = c as { lastResponse?: unknown };
        return rest;
      };
      assert.deepEqual(plain(await stripe.customers.retrieve(created!.id)), plain(created!));
      const { rows } = await sql<{ n: number | string }>`
        select count(*) as n from events where type = 'customer.created' and data->'data'->'object'->>'id' = ${created!.id}`.execute(storage.db);
      assert.equal(Number(rows[0]!.n), 1);
      const again = await stripe.customers.create({ email: 'counted@example.com', metadata: { k: 'v' } }, { idempotencyKey: key });
      assert.deepEqual(plain(again), plain(created!));
      assert.equal(again.lastResponse.headers['idempotent-replayed'], 'true');
    });

    test('with a stale endpoint cache the session is stored once, opens, and its event is written once with its delivery', async () => {
      // Another process's endpoint change, as the cached version no longer matches (no NOTIFY here).
      await sql`update webhook_endpoint_versions set version = version + 1`.execute(storage.db);
      const session = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://example.com/stale' });
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from portal_sessions where id = ${session.id}`.execute(storage.db);
      assert.equal(Number(rows[0]!.n), 1);
      assert.equal(await eventsOf(session.id), 1);
      const event = (await stripe.events.list({ type: 'billing_portal.session.created', limit: 1 })).data[0]!;
      assert.equal((event.data.object as { id: string }).id, session.id);
      assert.equal(event.pending_webhooks, 1);
      await assertOpens(session.url);
    });
  });
}
