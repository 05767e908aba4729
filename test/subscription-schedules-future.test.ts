/**
 * Future-dated subscription schedules on test clocks, on every database: `not_started` with no
 * subscription until the billing clock reaches `start_date`, then the subscription is created and the
 * phases run to the end behavior.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import type { TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, useTestServer } from './support/suite.ts';

const DAY = 86_400;
const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z
const MAR1 = 1_803_859_200; // 2027-03-01T00:00:00Z (February 2027 has 28 days)
const APR1 = 1_806_537_600; // 2027-04-01T00:00:00Z (MAR1 + 31 days)

type AnyEvent = { type: string; data: { object: any; previous_attributes?: any } };

for (const db of storageCases()) {
  describe(`future subscription schedules on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const price = (unit: number) =>
      stripe.prices.create({ currency: 'usd', unit_amount: unit, recurring: { interval: 'month' }, product_data: { name: `Plan ${unit}` } });

    const onClock = () => customerOnClock(server, JAN1);

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    async function events(id: string, type?: string): Promise<AnyEvent[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as AnyEvent).filter((e) => e.data.object.id === id && (type === undefined || e.type === type));
    }

    test('not_started until start_date, then the subscription is created and the phases run to cancel', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      const p30 = await price(3000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        start_date: FEB1,
        end_behavior: 'cancel',
        phases: [{ items: [{ price: p10.id }] }, { items: [{ price: p30.id }] }],
      });
      assert.equal(sched.status, 'not_started');
      assert.equal(sched.subscription, null);
      assert.equal(sched.current_phase, null);
      // one month each, from the start date: Feb 1 → Mar 1 → Apr 1
      assert.deepEqual(sched.phases.map((ph) => [ph.start_date, ph.end_date]), [[FEB1, MAR1], [MAR1, APR1]]);
      assert.deepEqual((await events(sched.id)).map((e) => e.type), ['subscription_schedule.created']);
      assert.equal((await stripe.subscriptionSchedules.list({ customer: customer.id, scheduled: true })).data.length, 1);

      await advance(clock.id, FEB1 - 60);
      assert.equal((await stripe.subscriptionSchedules.retrieve(sched.id)).status, 'not_started');
      assert.equal((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data.length, 0);

      await advance(clock.id, FEB1 + 60);
      const started = await stripe.subscriptionSchedules.retrieve(sched.id);
      assert.equal(started.status, 'active');
      assert.deepEqual(started.current_phase, { start_date: FEB1, end_date: MAR1 });
      const updated = (await events(sched.id, 'subscription_schedule.updated')).at(-1)!;
      assert.deepEqual(
        [updated.data.previous_attributes.status, updated.data.previous_attributes.subscription, updated.data.previous_attributes.current_phase],
        ['not_started', null, null],
      );
      const sub = await stripe.subscriptions.retrieve(started.subscription as string);
      // created at the start date itself, not when the clock happened to run
      assert.deepEqual([sub.status, sub.start_date, sub.schedule], ['active', FEB1, sched.id]);
      assert.deepEqual([sub.items.data[0]!.current_period_start, sub.items.data[0]!.current_period_end], [FEB1, MAR1]);
      const types = (await events(sub.id)).map((e) => e.type);
      assert.equal(types[0], 'customer.subscription.created');
      const first = await stripe.invoices.retrieve(sub.latest_invoice as string);
      assert.deepEqual([first.billing_reason, first.amount_paid, first.created], ['subscription_create', 1000, FEB1]);

      await advance(clock.id, MAR1 + 60);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.id, p30.id);
      await advance(clock.id, APR1 + 60);
      const done = await stripe.subscriptionSchedules.retrieve(sched.id);
      assert.equal(done.status, 'completed');
      const ended = await stripe.subscriptions.retrieve(sub.id);
      assert.deepEqual([ended.status, ended.ended_at], ['canceled', APR1]);
      // Feb at 1000, Mar at 3000; no April renewal after the cancel
      const all = (await stripe.invoices.list({ subscription: sub.id })).data.reverse();
      assert.deepEqual(all.map((i) => i.amount_paid), [1000, 3000]);
    });

    test('a not_started schedule can be updated, released or canceled before it starts', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      const a = await stripe.subscriptionSchedules.create({ customer: customer.id, start_date: FEB1, phases: [{ items: [{ price: p10.id }] }] });
      const moved = await stripe.subscriptionSchedules.update(a.id, { phases: [{ items: [{ price: p10.id, quantity: 2 }], start_date: FEB1 + 10 * DAY, duration: { interval: 'month', interval_count: 2 } }] });
      assert.equal(moved.status, 'not_started');
      // Feb 11 + 2 months: Apr 11
      assert.deepEqual(moved.phases.map((ph) => [ph.start_date, ph.end_date, ph.items[0]!.quantity]), [[FEB1 + 10 * DAY, APR1 + 10 * DAY, 2]]);
      await fails(stripe.subscriptionSchedules.update(a.id, { phases: [{ items: [{ price: p10.id }], start_date: JAN1 - DAY }] }), { status: 400, param: 'phases[0][start_date]' });
      const b = await stripe.subscriptionSchedules.create({ customer: customer.id, start_date: FEB1, phases: [{ items: [{ price: p10.id }] }] });
      const released = await stripe.subscriptionSchedules.release(b.id);
      assert.deepEqual([released.status, released.released_subscription], ['released', null]);
      const c = await stripe.subscriptionSchedules.create({ customer: customer.id, start_date: FEB1, phases: [{ items: [{ price: p10.id }] }] });
      const canceled = await stripe.subscriptionSchedules.cancel(c.id);
      assert.equal(canceled.status, 'canceled');

      await advance(clock.id, FEB1 + 11 * DAY);
      // Only the moved schedule started (on Feb 11, at quantity 2: 2 × 1000 = 2000).
      const subs = (await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data;
      assert.equal(subs.length, 1);
      assert.deepEqual([subs[0]!.schedule, subs[0]!.start_date, subs[0]!.items.data[0]!.quantity], [a.id, FEB1 + 10 * DAY, 2]);
      assert.equal((await stripe.invoices.retrieve(subs[0]!.latest_invoice as string)).amount_paid, 2000);
      assert.equal((await stripe.subscriptionSchedules.retrieve(b.id)).status, 'released');
      assert.equal((await stripe.subscriptionSchedules.retrieve(c.id)).status, 'canceled');
    });

    test('a past start_date is refused; a schedule whose customer is gone is canceled at its start', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      await fails(
        stripe.subscriptionSchedules.create({ customer: customer.id, start_date: JAN1 - DAY, phases: [{ items: [{ price: p10.id }] }] }),
        { status: 400, param: 'start_date' },
      );
      const sched = await stripe.subscriptionSchedules.create({ customer: customer.id, start_date: FEB1, phases: [{ items: [{ price: p10.id }] }] });
      await stripe.customers.del(customer.id);
      await advance(clock.id, FEB1 + 60);
      const after = await stripe.subscriptionSchedules.retrieve(sched.id);
      assert.deepEqual([after.status, after.canceled_at, after.subscription], ['canceled', FEB1, null]);
    });
  });
}
