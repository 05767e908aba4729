/**
 * API conventions every endpoint shares, driven through the official SDK against a real server:
 * authentication and modes, errors, Stripe-Version and Request-Id, idempotency, pagination, expand,
 * metadata limits and unsetting with "".
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { ManualClock } from '../src/lib/clock.ts';
import { storageCases } from './support/storages.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

for (const db of storageCases()) {
  describe(`API conventions on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    describe('authentication and modes', () => {
      test('Bearer and Basic auth both work', async () => {
        const bearer = await rawRequest(server, 'GET', '/v1/customers');
        assert.equal(bearer.status, 200);
        const basic = await fetch(`${server.url}/v1/customers`, {
          headers: { Authorization: `Basic ${Buffer.from(`${server.portico.keys.testSecretKey}:`).toString('base64')}` },
        });
        assert.equal(basic.status, 200);
      });

      test('no key, an unknown key and a publishable key get 401', async () => {
        const none = await fetch(`${server.url}/v1/customers`);
        assert.equal(none.status, 401);
        assert.match((await none.json()).error.message, /did not provide an API key/);

        await assert.rejects(server.client('sk_test_wrongwrongwrong1234').customers.list(), (e: any) => {
          assert.ok(e instanceof Stripe.errors.StripeAuthenticationError);
          assert.equal(e.statusCode, 401);
          assert.match(e.message, /Invalid API Key provided: sk_test_\*+1234/);
          return true;
        });
        await assert.rejects(server.client(server.portico.keys.testPublishableKey).customers.list(), (e: any) => {
          assert.equal(e.statusCode, 401);
          assert.match(e.message, /publishable API key/);
          return true;
        });
      });

      test('a live key cannot see test objects, and the other way round', async () => {
        const testCustomer = await stripe.customers.create({ email: 'mode@example.com' });
        const liveCustomer = await server.live.customers.create({ email: 'mode@example.com' });
        assert.equal(testCustomer.livemode, false);
        assert.equal(liveCustomer.livemode, true);
        await assert.rejects(server.live.customers.retrieve(testCustomer.id), { statusCode: 404 });
        await assert.rejects(stripe.customers.retrieve(liveCustomer.id), { statusCode: 404 });
        const liveList = await server.live.customers.list({ email: 'mode@example.com' });
        assert.deepEqual(liveList.data.map((c) => c.id), [liveCustomer.id]);
      });
    });

    describe('errors and headers', () => {
      test('a missing required param is a 400 naming the param', async () => {
        await assert.rejects(stripe.testHelpers.testClocks.create({} as any), (e: any) => {
          assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError);
          assert.equal(e.statusCode, 400);
          assert.equal(e.type, 'StripeInvalidRequestError');
          assert.equal((e.raw as any).type, 'invalid_request_error');
          assert.equal(e.code, 'parameter_missing');
          assert.equal(e.param, 'frozen_time');
          assert.equal(e.message, 'Missing required param: frozen_time.');
          return true;
        });
      });

      test('unknown params, bad integers and nested params are named in bracket form', async () => {
        await assert.rejects(stripe.customers.create({ nope: 'x' } as any), { code: 'parameter_unknown', param: 'nope' });
        await assert.rejects(stripe.customers.create({ shipping: { name: 'A' } } as any), {
          code: 'parameter_missing',
          param: 'shipping[address]',
        });
        const bad = await rawRequest(server, 'POST', '/v1/customers', 'balance=12x');
        assert.equal(bad.status, 400);
        assert.equal(bad.json.error.param, 'balance');
        assert.equal(bad.json.error.code, 'parameter_invalid_integer');
        const badCustom = await rawRequest(server, 'POST', '/v1/customers', 'invoice_settings[custom_fields][0][name]=a');
        assert.equal(badCustom.json.error.param, 'invoice_settings[custom_fields][0][value]');
      });

      test('an unknown id is a 404 resource_missing; an unknown URL is a 404', async () => {
        await assert.rejects(stripe.customers.retrieve('cus_missing'), (e: any) => {
          assert.equal(e.statusCode, 404);
          assert.equal(e.code, 'resource_missing');
          assert.equal(e.param, 'id');
          assert.equal(e.message, "No such customer: 'cus_missing'");
          return true;
        });
        const res = await rawRequest(server, 'GET', '/v1/nothing_here');
        assert.equal(res.status, 404);
        assert.match(res.json.error.message, /Unrecognized request URL \(GET: \/v1\/nothing_here\)/);
      });

      test('every response carries Request-Id and Stripe-Version; a bad version is refused', async () => {
        const c = await stripe.customers.create({});
        assert.match(c.lastResponse.requestId, /^req_[A-Za-z0-9]{14}$/);
        assert.equal(c.lastResponse.apiVersion, '2026-10-28.endive');
        const older = await rawRequest(server, 'GET', '/v1/customers', undefined, { 'Stripe-Version': '2024-06-20' });
        assert.equal(older.headers.get('stripe-version'), '2024-06-20');
        const bad = await rawRequest(server, 'GET', '/v1/customers', undefined, { 'Stripe-Version': 'yesterday' });
        assert.equal(bad.status, 400);
        assert.match(bad.json.error.message, /Invalid Stripe API version/);
        assert.ok(bad.headers.get('request-id'));
      });

      test('malformed bodies are 400s, not 500s', async () => {
        const invalidUtf8 = await rawRequest(server, 'POST', '/v1/customers', new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xff, 0xfe]));
        assert.equal(invalidUtf8.status, 400);
        const badPercent = await rawRequest(server, 'POST', '/v1/customers', 'name=%E0%A4%A');
        assert.equal(badPercent.status, 400);
        const deep = await rawRequest(server, 'POST', '/v1/customers', `metadata${'[a]'.repeat(50)}=x`);
        assert.equal(deep.status, 400);
        const dup = await rawRequest(server, 'POST', '/v1/customers', 'name=a&name=b');
        assert.equal(dup.status, 400);
        assert.equal(dup.json.error.param, 'name');
        const huge = await rawRequest(server, 'POST', '/v1/customers', `description=${'x'.repeat(2 * 1024 * 1024)}`);
        assert.equal(huge.status, 400);
      });
    });

    describe('"" unsets and metadata', () => {
      test('posting "" clears an emptyable field; a required one refuses it', async () => {
        const c = await stripe.customers.create({ name: 'Ada', phone: '+15550100', metadata: { a: '1', b: '2' } });
        const cleared = await stripe.customers.update(c.id, { name: '', metadata: { a: '' } });
        assert.equal(cleared.name, null);
        assert.equal(cleared.phone, '+15550100');
        assert.deepEqual(cleared.metadata, { b: '2' });
        const all = await stripe.customers.update(c.id, { metadata: '' as any });
        assert.deepEqual(all.metadata, {});
        await assert.rejects(stripe.testHelpers.testClocks.create({ frozen_time: '' as any }), {
          code: 'parameter_invalid_empty',
        });
      });

      test('metadata limits: 50 keys, keys ≤ 40 characters, values ≤ 500', async () => {
        const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
        const ok = await stripe.customers.create({ metadata: fifty });
        assert.equal(Object.keys(ok.metadata).length, 50);
        await assert.rejects(stripe.customers.create({ metadata: { ...fifty, k50: 'v' } }), { statusCode: 400, param: 'metadata' });
        await assert.rejects(stripe.customers.update(ok.id, { metadata: { extra: 'v' } }), { statusCode: 400 });
        await assert.rejects(stripe.customers.create({ metadata: { ['k'.repeat(41)]: 'v' } }), { statusCode: 400 });
        await assert.rejects(stripe.customers.create({ metadata: { k: 'v'.repeat(501) } }), { statusCode: 400 });
        const edge = await stripe.customers.create({ metadata: { ['k'.repeat(40)]: 'v'.repeat(500) } });
        assert.equal(edge.metadata['k'.repeat(40)], 'v'.repeat(500));
      });
    });

    describe('idempotency', () => {
      test('the same key and params replay the first response', async () => {
        const key = `replay-${Math.random()}`;
        const first = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
        const second = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
        assert.equal(second.id, first.id);
        const raw = await rawRequest(server, 'POST', '/v1/customers', 'email=idem%40example.com', { 'Idempotency-Key': key });
        assert.equal(raw.headers.get('idempotent-replayed'), 'true');
        assert.equal(raw.json.id, first.id);
        const count = await stripe.customers.list({ email: 'idem@example.com', limit: 100 });
        assert.equal(count.data.length, 1);
      });

      test('the same key with other params is an idempotency_error', async () => {
        const key = `mismatch-${Math.random()}`;
        await stripe.customers.create({ email: 'one@example.com' }, { idempotencyKey: key });
        await assert.rejects(stripe.customers.create({ email: 'two@example.com' }, { idempotencyKey: key }), (e: any) => {
          assert.ok(e instanceof Stripe.errors.StripeIdempotencyError);
          assert.equal(e.statusCode, 400);
          return true;
        });
      });

      test('concurrent requests with one key execute once: the rest replay or get 409', async () => {
        const key = `concurrent-${Math.random()}`;
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            rawRequest(server, 'POST', '/v1/customers', 'email=race%40example.com', { 'Idempotency-Key': key }),
          ),
        );
        const ok = results.filter((r) => r.status === 200);
        const conflicts = results.filter((r) => r.status === 409);
        assert.equal(ok.length + conflicts.length, 20);
        assert.ok(ok.length >= 1);
        assert.equal(new Set(ok.map((r) => r.json.id)).size, 1);
        for (const r of conflicts) assert.equal(r.json.error.code, 'idempotency_key_in_use');
        const created = await stripe.customers.list({ email: 'race@example.com', limit: 100 });
        assert.equal(created.data.length, 1);
      });

      test('a request that fails validation saves nothing: a corrected retry with the key runs', async () => {
        const key = `validation-${Math.random()}`;
        await assert.rejects(stripe.customers.create({ email: 'not an email' }, { idempotencyKey: key }), { statusCode: 400 });
        // Different params with the same key are fine: the failed attempt did not keep the key.
        const c = await stripe.customers.create({ email: 'fixed@example.com' }, { idempotencyKey: key });
        assert.equal(c.email, 'fixed@example.com');
      });

      test('keys expire after 24 hours; keys longer than 255 characters are refused', async () => {
        const clock = server.clock as ManualClock;
        const key = `expiry-${Math.random()}`;
        const first = await stripe.customers.create({ email: 'ttl@example.com' }, { idempotencyKey: key });
        clock.advance(24 * 60 * 60 - 1);
        const replay = await stripe.customers.create({ email: 'ttl@example.com' }, { idempotencyKey: key });
        assert.equal(replay.id, first.id);
        clock.advance(1);
        const fresh = await stripe.customers.create({ email: 'ttl@example.com' }, { idempotencyKey: key });
        assert.notEqual(fresh.id, first.id);
        await assert.rejects(stripe.customers.create({}, { idempotencyKey: 'k'.repeat(256) }), { statusCode: 400 });
      });

      test('the billing clock forgets keys older than 24 hours', async () => {
        const clock = server.clock as ManualClock;
        const key = `prune-${Math.random()}`;
        await stripe.customers.create({}, { idempotencyKey: key });
        const rows = () =>
          server.portico.storage.db.selectFrom('idempotency_keys').select('key').where('key', '=', key).execute();
        assert.equal((await rows()).length, 1);
        clock.advance(24 * 60 * 60 + 3600);
        await server.portico.clockWorker!.tick();
        assert.equal((await rows()).length, 0);
      });

      test('keys are per mode', async () => {
        const key = `mode-${Math.random()}`;
        const t = await stripe.customers.create({}, { idempotencyKey: key });
        const l = await server.live.customers.create({}, { idempotencyKey: key });
        assert.notEqual(t.id, l.id);
        assert.equal(l.livemode, true);
      });
    });

    describe('lists', () => {
      test('auto-pagination walks 250 customers newest first, each exactly once', async () => {
        const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_900_000_000 });
        const created: string[] = [];
        for (let i = 0; i < 250; i++) created.push((await stripe.customers.create({ test_clock: clock.id })).id);
        const seen: string[] = [];
        for await (const c of stripe.customers.list({ test_clock: clock.id, limit: 37 })) seen.push(c.id);
        assert.deepEqual(seen, [...created].reverse());
        const all = await stripe.customers.list({ test_clock: clock.id, limit: 100 }).autoPagingToArray({ limit: 1000 });
        assert.equal(all.length, 250);

        // ending_before pages backwards and still returns each page newest first.
        const page = await stripe.customers.list({ test_clock: clock.id, ending_before: created[100], limit: 3 });
        assert.deepEqual(page.data.map((c) => c.id), [created[103], created[102], created[101]]);
        assert.equal(page.has_more, true);
        const backwards: string[] = [];
        for await (const c of stripe.customers.list({ test_clock: clock.id, ending_before: created[10], limit: 50 })) {
          backwards.push(c.id);
        }
        assert.equal(backwards.length, 239);
        assert.deepEqual(new Set(backwards), new Set(created.slice(11)));
      });

      test('list envelope, limit bounds and cursor errors', async () => {
        const list = await rawRequest(server, 'GET', '/v1/customers?limit=1');
        assert.equal(list.json.object, 'list');
        assert.equal(list.json.url, '/v1/customers');
        assert.equal(typeof list.json.has_more, 'boolean');
        assert.equal((await rawRequest(server, 'GET', '/v1/customers?limit=0')).status, 400);
        assert.equal((await rawRequest(server, 'GET', '/v1/customers?limit=101')).status, 400);
        const missing = await rawRequest(server, 'GET', '/v1/customers?starting_after=cus_nope');
        assert.equal(missing.status, 404);
        assert.equal(missing.json.error.param, 'starting_after');
      });

      test('created range filters', async () => {
        const clock = server.clock as ManualClock;
        const t0 = clock.now();
        clock.advance(100);
        const a = await stripe.customers.create({ email: 'range@example.com' });
        clock.advance(100);
        const b = await stripe.customers.create({ email: 'range@example.com' });
        const gte = await stripe.customers.list({ email: 'range@example.com', created: { gte: t0 + 150 } });
        assert.deepEqual(gte.data.map((c) => c.id), [b.id]);
        const lt = await stripe.customers.list({ email: 'range@example.com', created: { lt: t0 + 150, gt: t0 } });
        assert.deepEqual(lt.data.map((c) => c.id), [a.id]);
        const exact = await stripe.customers.list({ email: 'range@example.com', created: t0 + 100 });
        assert.deepEqual(exact.data.map((c) => c.id), [a.id]);
      });
    });

    describe('expand', () => {
      test('expands declared fields on objects and on list items; refuses others', async () => {
        const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_900_000_000, name: 'expand' });
        const c = await stripe.customers.create({ test_clock: clock.id, email: 'expand@example.com' });
        const expanded = await stripe.customers.retrieve(c.id, { expand: ['test_clock'] });
        assert.equal((expanded as Stripe.Customer).test_clock && typeof (expanded as any).test_clock, 'object');
        assert.equal((expanded as any).test_clock.name, 'expand');
        const list = await stripe.customers.list({ email: 'expand@example.com', expand: ['data.test_clock'] });
        assert.equal((list.data[0] as any).test_clock.id, clock.id);
        const created = await stripe.customers.create({ test_clock: clock.id, expand: ['test_clock'] });
        assert.equal((created as any).test_clock.object, 'test_helpers.test_clock');
        await assert.rejects(stripe.customers.retrieve(c.id, { expand: ['email'] }), (e: any) => {
          assert.equal(e.statusCode, 400);
          assert.equal(e.message, 'This property cannot be expanded (email).');
          return true;
        });
        await assert.rejects(stripe.customers.retrieve(c.id, { expand: ['a.b.c.d.e'] }), { statusCode: 400 });
      });
    });

    describe('events', () => {
      test('changes write events in the same transaction, with request and previous_attributes', async () => {
        const key = `events-${Math.random()}`;
        const c = await stripe.customers.create({ email: 'ev@example.com', metadata: { a: '1' } }, { idempotencyKey: key });
        const updated = await stripe.customers.update(c.id, { email: 'ev2@example.com', metadata: { b: '2' } });
        const rows = await server.portico.storage.db
          .selectFrom('events')
          .select(['type', 'data'])
          .where((eb) => eb(eb.fn('json_extract_path_text', ['data', eb.val('data'), eb.val('object'), eb.val('id')]), '=', c.id))
          .orderBy('seq')
          .execute();
        assert.deepEqual(rows.map((r) => r.type), ['customer.created', 'customer.updated']);
        const [createdEvent, updatedEvent] = rows.map((r) => r.data);
        assert.equal(createdEvent.request.idempotency_key, key);
        assert.match(createdEvent.request.id, /^req_/);
        assert.equal(createdEvent.api_version, '2026-10-28.endive');
        assert.equal(updatedEvent.request.id, updated.lastResponse.requestId);
        assert.deepEqual(updatedEvent.data.previous_attributes, { email: 'ev@example.com', metadata: { b: null } });
        assert.equal(updatedEvent.data.object.email, 'ev2@example.com');
      });

      test('a change that fails writes no event', async () => {
        const before = await server.portico.storage.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        await assert.rejects(stripe.customers.create({ test_clock: 'clock_missing' }), { statusCode: 404 });
        const afterCount = await server.portico.storage.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(afterCount.n), Number(before.n));
      });
    });
  });
}
