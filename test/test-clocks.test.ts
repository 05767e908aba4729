/** `/v1/test_helpers/test_clocks` through the official SDK. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

for (const db of storageCases()) {
  describe(`test clocks on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    test('create, retrieve and list', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_950_000_000, name: 'Annual renewal' });
      assert.match(clock.id, /^clock_/);
      assert.equal(clock.object, 'test_helpers.test_clock');
      assert.equal(clock.frozen_time, 1_950_000_000);
      assert.equal(clock.status, 'ready');
      assert.equal(clock.name, 'Annual renewal');
      assert.equal(clock.deletes_after, clock.created + 30 * 86400);
      assert.deepEqual(clock.status_details, {});
      const again = await stripe.testHelpers.testClocks.retrieve(clock.id);
      assert.equal(again.frozen_time, clock.frozen_time);
      const list = await stripe.testHelpers.testClocks.list();
      assert.ok(list.data.some((c) => c.id === clock.id));
    });

    test('customers attached to a clock live at its frozen time; a clock can adopt an existing customer', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_950_000_000 });
      const c = await stripe.customers.create({ test_clock: clock.id });
      assert.equal(c.created, 1_950_000_000);
      assert.equal(c.test_clock, clock.id);
      const existing = await stripe.customers.create();
      const second = await stripe.testHelpers.testClocks.create({ frozen_time: 1_960_000_000, customer: existing.id });
      assert.equal((await stripe.customers.retrieve(existing.id) as Stripe.Customer).test_clock, second.id);
      await assert.rejects(stripe.testHelpers.testClocks.create({ frozen_time: 1, customer: existing.id }), {
        statusCode: 400,
        param: 'customer',
      });
      await assert.rejects(stripe.customers.create({ test_clock: 'clock_nope' }), { statusCode: 404, param: 'test_clock' });
    });

    test('advance goes through advancing to ready at the target time, once at a time, forward only', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_950_000_000 });
      await assert.rejects(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1_949_999_999 }), {
        statusCode: 400,
        param: 'frozen_time',
      });
      const advancing = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1_950_086_400 });
      assert.equal(advancing.status, 'advancing');
      assert.deepEqual(advancing.status_details, { advancing: { target_frozen_time: 1_950_086_400 } });
      assert.equal(advancing.frozen_time, 1_950_000_000);
      await assert.rejects(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1_950_090_000 }), {
        statusCode: 400,
      });
      await server.portico.clockWorker!.tick();
      const ready = await stripe.testHelpers.testClocks.retrieve(clock.id);
      assert.equal(ready.status, 'ready');
      assert.equal(ready.frozen_time, 1_950_086_400);
      const events = await server.portico.storage.db.selectFrom('events').select(['type', 'data']).orderBy('seq').execute();
      const types = events.filter((e) => e.data.data.object.id === clock.id).map((e) => e.type);
      assert.deepEqual(types, [
        'test_helpers.test_clock.created',
        'test_helpers.test_clock.advancing',
        'test_helpers.test_clock.ready',
      ]);
    });

    test('delete removes the clock and deletes its customers', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_950_000_000 });
      const c = await stripe.customers.create({ test_clock: clock.id });
      const deleted = await stripe.testHelpers.testClocks.del(clock.id);
      assert.equal(deleted.deleted, true);
      await assert.rejects(stripe.testHelpers.testClocks.retrieve(clock.id), { statusCode: 404 });
      assert.equal((await stripe.customers.retrieve(c.id) as Stripe.DeletedCustomer).deleted, true);
    });

    test('test clocks are test mode only', async () => {
      await assert.rejects(server.live.testHelpers.testClocks.create({ frozen_time: 1_950_000_000 }), { statusCode: 400 });
      await assert.rejects(server.live.testHelpers.testClocks.list(), { statusCode: 400 });
    });
  });
}
