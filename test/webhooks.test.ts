/**
 * Events and webhooks: the outbox, /v1/events, /v1/webhook_endpoints, and signed delivery verified by
 * the official SDK's `constructEvent`, with retries on the backoff schedule driven by the injected clock.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import Stripe from 'stripe';
import { ManualClock } from '../src/lib/clock.ts';
import { backoffSeconds, DeliveryWorker, RETRY_WINDOW_SECONDS } from '../src/events/delivery-worker.ts';
import { WEBHOOK_CHANNEL } from '../src/events/outbox.ts';
import { storageCases } from './support/storages.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';

const sdk = new Stripe('sk_test_unused');

for (const db of storageCases()) {
  describe(`webhooks on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    let clock: ManualClock;
    let receiver: Receiver;
    let closeStorage: () => Promise<void>;
    const endpoints: string[] = [];

    before(async () => {
      const storage = await db.open();
      closeStorage = () => storage.close();
      server = await startTestServer({ storage });
      stripe = server.stripe;
      clock = server.clock as ManualClock;
    });
    after(async () => {
      await server.close();
      await closeStorage();
    });
    beforeEach(async () => {
      receiver = await startReceiver();
    });
    afterEach(async () => {
      // Each test's endpoints stop receiving, so tests stay independent.
      for (const id of endpoints.splice(0)) await stripe.webhookEndpoints.del(id).catch(() => {});
      await server.portico.deliveryWorker!.drain();
      await receiver.close();
    });

    async function endpoint(params: Partial<Stripe.WebhookEndpointCreateParams> = {}) {
      const e = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'], ...params });
      endpoints.push(e.id);
      return e;
    }
    const drain = () => server.portico.deliveryWorker!.drain();

    test('webhook endpoints: the secret only on create; update, disable, list, delete', async () => {
      const e = await endpoint({ description: 'Orders', metadata: { team: 'billing' }, enabled_events: ['customer.created'] });
      assert.match(e.id, /^we_/);
      assert.match(e.secret ?? '', /^whsec_[A-Za-z0-9]{32}$/);
      assert.equal(e.status, 'enabled');
      assert.deepEqual(e.enabled_events, ['customer.created']);
      const again = await stripe.webhookEndpoints.retrieve(e.id);
      assert.equal(again.secret, undefined);
      const updated = await stripe.webhookEndpoints.update(e.id, { disabled: true, enabled_events: ['*'], description: '' });
      assert.equal(updated.status, 'disabled');
      assert.equal(updated.description, null);
      const list = await stripe.webhookEndpoints.list();
      assert.ok(list.data.some((x) => x.id === e.id));
      const deleted = await stripe.webhookEndpoints.del(e.id);
      assert.equal(deleted.deleted, true);
      await assert.rejects(stripe.webhookEndpoints.retrieve(e.id), { statusCode: 404 });
      await assert.rejects(stripe.webhookEndpoints.create({ url: 'ftp://x', enabled_events: ['*'] }), { param: 'url' });
      await assert.rejects(stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.made' as any] }), {
        param: 'enabled_events[0]',
      });
      await assert.rejects(stripe.webhookEndpoints.create({ enabled_events: ['*'] } as any), { param: 'url' });
    });

    test('every delivery verifies with constructEvent; a wrong secret or a changed byte does not', async () => {
      const e = await endpoint();
      const customer = await stripe.customers.create({ email: 'hook@example.com' });
      await stripe.customers.update(customer.id, { name: 'Hook' });
      await drain();
      assert.equal(receiver.received.length, 2);
      const events = receiver.received.map((r) => {
        assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
        return sdk.webhooks.constructEvent(r.body, String(r.headers['stripe-signature']), e.secret!);
      });
      assert.deepEqual(events.map((ev) => ev.type), ['customer.created', 'customer.updated']);
      const created = events[0] as Stripe.CustomerCreatedEvent;
      assert.equal(created.data.object.id, customer.id);
      assert.equal(created.api_version, '2026-10-28.endive');
      assert.equal(created.pending_webhooks, 1);
      assert.equal((events[1] as Stripe.CustomerUpdatedEvent).data.previous_attributes?.name, null);

      const first = receiver.received[0]!;
      const header = String(first.headers['stripe-signature']);
      assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.throws(() => sdk.webhooks.constructEvent(first.body, header, 'whsec_wrong'), Stripe.errors.StripeSignatureVerificationError);
      const tampered = first.body.replace('hook@example.com', 'hook@example.con');
      assert.throws(() => sdk.webhooks.constructEvent(tampered, header, e.secret!), Stripe.errors.StripeSignatureVerificationError);
      assert.throws(() => sdk.webhooks.constructEvent(`${first.body} `, header, e.secret!), Stripe.errors.StripeSignatureVerificationError);
    });

    test('only subscribed event types are delivered, once per endpoint', async () => {
      await endpoint({ enabled_events: ['customer.deleted'] });
      const second = await endpoint({ enabled_events: ['customer.created', 'customer.deleted'] });
      const c = await stripe.customers.create();
      await stripe.customers.update(c.id, { name: 'x' });
      await stripe.customers.del(c.id);
      await drain();
      const types = receiver.received.map((r) => JSON.parse(r.body).type).sort();
      assert.deepEqual(types, ['customer.created', 'customer.deleted', 'customer.deleted']);
      assert.equal(second.enabled_events.length, 2);
    });

    test('a receiver failing three times gets the event on the fourth attempt, on the backoff schedule', async () => {
      await endpoint();
      receiver.respond = (_r, i) => (i < 3 ? 500 : 200);
      const c = await stripe.customers.create();
      const start = clock.now();
      await drain();
      assert.equal(receiver.received.length, 1);
      let expectedAt = start;
      for (let attempt = 1; attempt <= 3; attempt++) {
        const delivery = await server.portico.storage.db
          .selectFrom('webhook_deliveries')
          .selectAll()
          .where('status', '=', 'pending')
          .executeTakeFirstOrThrow();
        const delay = backoffSeconds(attempt);
        assert.ok(
          delivery.next_attempt_at >= expectedAt + delay && delivery.next_attempt_at <= expectedAt + delay * 1.1,
          `attempt ${attempt + 1} scheduled ${delivery.next_attempt_at - expectedAt}s later, expected ${delay}s + ≤10%`,
        );
        clock.set(delivery.next_attempt_at - 1);
        await drain();
        assert.equal(receiver.received.length, attempt, 'nothing is sent before it is due');
        clock.set(delivery.next_attempt_at);
        expectedAt = delivery.next_attempt_at;
        await drain();
        assert.equal(receiver.received.length, attempt + 1);
      }
      const ids = receiver.received.map((r) => JSON.parse(r.body).id);
      assert.equal(new Set(ids).size, 1);
      const attempts = await server.portico.storage.db
        .selectFrom('webhook_attempts')
        .innerJoin('webhook_deliveries', 'webhook_deliveries.id', 'webhook_attempts.delivery_id')
        .select(['webhook_attempts.status_code', 'webhook_attempts.response_body', 'webhook_attempts.duration_ms', 'webhook_deliveries.status'])
        .where('webhook_deliveries.event_id', '=', ids[0])
        .orderBy('webhook_attempts.id')
        .execute();
      assert.deepEqual(attempts.map((a) => a.status_code), [500, 500, 500, 200]);
      assert.equal(attempts[0]!.response_body, 'failed with 500');
      assert.ok(attempts.every((a) => a.status === 'delivered' && a.duration_ms >= 0));
      const event = await stripe.events.retrieve(ids[0]);
      assert.equal(event.pending_webhooks, 0);
      assert.equal((event.data.object as Stripe.Customer).id, c.id);
    });

    test('after 3 days of failures a delivery is marked failed and left alone', async () => {
      await endpoint();
      receiver.respond = () => 503;
      const start = clock.now();
      await stripe.customers.create();
      await drain();
      for (let i = 0; i < 40 && clock.now() < start + RETRY_WINDOW_SECONDS + 86400; i++) {
        clock.advance(13 * 3600);
        await drain();
      }
      const delivery = await server.portico.storage.db.selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal(delivery.status, 'failed');
      const count = receiver.received.length;
      assert.ok(count >= 6 && count <= 14, `${count} attempts in 3 days`);
      const lastAt = receiver.received.length;
      clock.advance(86400);
      await drain();
      assert.equal(receiver.received.length, lastAt);
    });

    test('disabled and deleted endpoints get nothing further', async () => {
      const e = await endpoint();
      receiver.respond = () => 500;
      await stripe.customers.create();
      await drain();
      assert.equal(receiver.received.length, 1);
      await stripe.webhookEndpoints.update(e.id, { disabled: true });
      clock.advance(3600);
      await stripe.customers.create();
      await drain();
      assert.equal(receiver.received.length, 1, 'the pending retry was canceled and the new event not sent');
      await stripe.webhookEndpoints.update(e.id, { disabled: false });
      await stripe.webhookEndpoints.del(e.id);
      await stripe.customers.create();
      await drain();
      assert.equal(receiver.received.length, 1);
    });

    test('a change that rolls back leaves no event and no delivery', async () => {
      await endpoint();
      const before = await server.portico.storage.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      await assert.rejects(stripe.customers.create({ test_clock: 'clock_missing' }));
      const afterCount = await server.portico.storage.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(afterCount.n), Number(before.n));
      await drain();
      assert.equal(receiver.received.length, 0);
    });

    test('/v1/events: retrieve, list with type, types[] and created filters, 30-day window', async () => {
      const t0 = clock.now();
      const c = await stripe.customers.create({ email: 'events@example.com' });
      await stripe.customers.update(c.id, { name: 'E' });
      const clk = await stripe.testHelpers.testClocks.create({ frozen_time: 1_950_000_000 });
      const all = await stripe.events.list({ created: { gte: t0 }, limit: 100 });
      const mine = all.data.filter((e) => (e.data.object as { id: string }).id === c.id);
      assert.deepEqual(mine.map((e) => e.type), ['customer.updated', 'customer.created']);
      const byType = await stripe.events.list({ type: 'customer.*', created: { gte: t0 } });
      assert.ok(byType.data.every((e) => e.type.startsWith('customer.')));
      assert.ok(byType.data.length >= 2);
      const byTypes = await stripe.events.list({ types: ['test_helpers.test_clock.created'], created: { gte: t0 } });
      assert.deepEqual(byTypes.data.map((e) => (e.data.object as { id: string }).id), [clk.id]);
      const one = await stripe.events.retrieve(mine[0]!.id);
      assert.equal(one.type, 'customer.updated');
      assert.equal(one.request?.id, mine[0]!.request?.id);
      await assert.rejects(server.live.events.retrieve(one.id), { statusCode: 404 });
      clock.advance(30 * 86400 + 1);
      await assert.rejects(stripe.events.retrieve(one.id), { statusCode: 404 });
      const later = await stripe.events.list({ created: { gte: t0 }, limit: 100 });
      assert.equal(later.data.length, 0);
    });

    test('the background worker is woken by the commit (LISTEN/NOTIFY), not by polling', async () => {
      await endpoint();
      const worker = new DeliveryWorker({
        db: server.portico.storage.db,
        clock,
        pollMs: 600_000,
        subscribe: (onNotify) => server.portico.storage.listen(WEBHOOK_CHANNEL, onNotify),
      });
      await worker.start();
      try {
        // Give the worker its first (empty) pass, so it is asleep when the change commits.
        await new Promise((r) => setTimeout(r, 100));
        const sent = performance.now();
        await stripe.customers.create({ email: 'notify@example.com' });
        await receiver.waitFor(1, 5000);
        assert.ok(receiver.received[0]!.at - sent < 5000);
      } finally {
        await worker.stop();
      }
    });
  });
}
