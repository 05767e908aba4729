/**
 * Subscription schedules on test clocks, on every database: adopting a subscription, phase
 * transitions at period boundaries, release, cancel, end_behavior cancel, events and validation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const JAN16 = 1_800_057_600; // 2027-01-16T00:00:00Z
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z
const FEB16 = 1_802_736_000; // 2027-02-16T00:00:00Z
const MAR1 = 1_803_859_200; // 2027-03-01T00:00:00Z
const APR1 = 1_806_537_600; // 2027-04-01T00:00:00Z

for (const db of storageCases()) {
  describe(`subscription schedules on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function price(unit: number) {
      return stripe.prices.create({ currency: 'usd', unit_amount: unit, recurring: { interval: 'month' }, product_data: { name: `Plan ${unit}` } });
    }

    const onClock = (frozen = JAN1) => customerOnClock(server, frozen);

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    async function invoices(subscription: string) {
      return (await stripe.invoices.list({ subscription, limit: 100 })).data.reverse();
    }

    /** Event types about `id`, oldest first (read from the outbox: 2027 clock events are outside the API window). */
    async function eventTypes(id: string): Promise<string[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as any).filter((e) => e.data.object.id === id).map((e) => e.type);
    }

    const rejects = (p: Promise<unknown>, param: string | undefined, message?: RegExp) =>
      assert.rejects(p, (e: any) => {
        assert.equal(e.statusCode ?? e.raw?.statusCode, e.statusCode === 404 ? 404 : 400);
        assert.equal(e.param, param);
        if (message) assert.match(e.message, message);
        return true;
      });

    test('from_subscription: the schedule manages the subscription; direct cancelation changes are refused', async () => {
      const { customer } = await onClock();
      const p10 = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p10.id, quantity: 2 }] });
      const sched = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
      assert.equal(sched.object, 'subscription_schedule');
      assert.match(sched.id, /^sub_sched_/);
      assert.equal(sched.status, 'active');
      assert.equal(sched.subscription, sub.id);
      assert.equal(sched.customer, customer.id);
      assert.equal(sched.end_behavior, 'release');
      assert.deepEqual(sched.current_phase, { start_date: JAN1, end_date: FEB1 });
      assert.equal(sched.phases.length, 1);
      assert.equal(sched.phases[0]!.start_date, JAN1);
      assert.equal(sched.phases[0]!.end_date, FEB1);
      assert.deepEqual(sched.phases[0]!.items.map((i) => [i.price, i.quantity]), [[p10.id, 2]]);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).schedule, sched.id);
      assert.deepEqual(await stripe.subscriptionSchedules.retrieve(sched.id), sched);

      const managed = new RegExp(`managed by the subscription schedule \`${sched.id}\``);
      await rejects(stripe.subscriptions.cancel(sub.id), undefined, managed);
      await rejects(stripe.subscriptions.update(sub.id, { cancel_at_period_end: true }), undefined, managed);
      await rejects(stripe.subscriptions.update(sub.id, { cancel_at: FEB1 }), undefined, managed);
      await rejects(stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 3 }] }), undefined, managed);
      // Metadata is not the schedule's business.
      assert.equal((await stripe.subscriptions.update(sub.id, { metadata: { a: 'b' } })).metadata.a, 'b');
      // A subscription has at most one schedule.
      await rejects(stripe.subscriptionSchedules.create({ from_subscription: sub.id }), 'from_subscription', /already attached/);

      const list = await stripe.subscriptionSchedules.list({ customer: customer.id });
      assert.deepEqual(list.data.map((s) => s.id), [sched.id]);
      assert.deepEqual(await eventTypes(sched.id), ['subscription_schedule.created']);
    });

    test('two phases: $10 for one month, then $30 from the boundary, no prorations; released at the end', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      const p30 = await price(3000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        start_date: 'now',
        end_behavior: 'release',
        phases: [
          { items: [{ price: p10.id }], duration: { interval: 'month', interval_count: 1 }, metadata: { phase: 'intro' } },
          { items: [{ price: p30.id }], duration: { interval: 'month', interval_count: 1 }, metadata: { phase: 'full' } },
        ],
      });
      assert.equal(sched.status, 'active');
      assert.deepEqual(sched.phases.map((p) => [p.start_date, p.end_date]), [[JAN1, FEB1], [FEB1, MAR1]]);
      assert.deepEqual(sched.current_phase, { start_date: JAN1, end_date: FEB1 });
      const subId = sched.subscription as string;
      const sub = await stripe.subscriptions.retrieve(subId);
      assert.equal(sub.status, 'active');
      assert.equal(sub.schedule, sched.id);
      assert.equal(sub.metadata.phase, 'intro');
      const itemId = sub.items.data[0]!.id;

      await advance(clock.id, FEB1 + 60);
      const moved = await stripe.subscriptions.retrieve(subId);
      assert.deepEqual(moved.items.data.map((i) => [i.id, i.price.id, i.quantity]), [[itemId, p30.id, 1]]);
      assert.equal(moved.items.data[0]!.current_period_start, FEB1);
      assert.equal(moved.items.data[0]!.current_period_end, MAR1);
      assert.equal(moved.metadata.phase, 'full');
      const afterFeb = await stripe.subscriptionSchedules.retrieve(sched.id);
      assert.equal(afterFeb.status, 'active');
      assert.deepEqual(afterFeb.current_phase, { start_date: FEB1, end_date: MAR1 });
      // Invoices: Jan 1 create = 1 × $10.00 = 1000; Feb 1 renewal = the new phase's price for the whole
      // period [Feb 1, Mar 1) = 1 × $30.00 = 3000. The phase starts exactly at the period boundary, so
      // nothing is prorated: no proration lines and no pending items.
      let all = await invoices(subId);
      assert.deepEqual(all.map((i) => [i.billing_reason, i.status, i.amount_paid]), [
        ['subscription_create', 'paid', 1000],
        ['subscription_cycle', 'paid', 3000],
      ]);
      assert.deepEqual(all[1]!.lines.data.map((l) => [l.amount, l.parent?.subscription_item_details?.proration ?? false]), [[3000, false]]);
      assert.equal(all[1]!.period_start, FEB1);
      assert.equal((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.length, 0);

      // The last phase ends on Mar 1: end_behavior release lets the subscription go on at $30.
      await advance(clock.id, MAR1 + 60);
      const released = await stripe.subscriptionSchedules.retrieve(sched.id);
      assert.equal(released.status, 'released');
      assert.equal(released.released_at, MAR1);
      assert.equal(released.released_subscription, subId);
      assert.equal(released.subscription, null);
      assert.equal(released.current_phase, null);
      const after = await stripe.subscriptions.retrieve(subId);
      assert.equal(after.status, 'active');
      assert.equal(after.schedule, null);
      all = await invoices(subId);
      assert.deepEqual(all.map((i) => i.amount_paid), [1000, 3000, 3000]);
      // `expiring` seven days before the Mar 1 end (Feb 22), after the Feb 1 phase change.
      assert.deepEqual(await eventTypes(sched.id), [
        'subscription_schedule.created',
        'subscription_schedule.updated',
        'subscription_schedule.expiring',
        'subscription_schedule.released',
      ]);
    });

    test('a phase starting mid-period prorates (create_prorations), billed with the next renewal', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      const p30 = await price(3000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        phases: [
          { items: [{ price: p10.id }], end_date: JAN16 },
          { items: [{ price: p30.id }], proration_behavior: 'create_prorations' },
        ],
      });
      // The second phase lasts one iteration (a month) from its start.
      assert.deepEqual(sched.phases.map((p) => [p.start_date, p.end_date]), [[JAN1, JAN16], [JAN16, FEB16]]);
      await advance(clock.id, FEB1 + 60);
      const sub = await stripe.subscriptions.retrieve(sched.subscription as string);
      assert.equal(sub.items.data[0]!.price.id, p30.id);
      // Jan 16 is 16 of January's 31 days before the Feb 1 boundary: credit −1000 × 16/31 = −516.13 → −516,
      // charge 3000 × 16/31 = 1548.39 → 1548. Feb 1 invoice: 3000 (new period) + 1548 − 516 = 4032.
      const all = await invoices(sub.id);
      assert.deepEqual(all.map((i) => i.amount_paid), [1000, 4032]);
      assert.deepEqual(all[1]!.lines.data.map((l) => l.amount).sort((a, b) => a - b), [-516, 1548, 3000]);
    });

    test('release: the subscription keeps going without a schedule', async () => {
      const { customer } = await onClock();
      const p10 = await price(1000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        phases: [{ items: [{ price: p10.id, quantity: 1 }], end_date: MAR1 }],
      });
      assert.deepEqual(sched.current_phase, { start_date: JAN1, end_date: MAR1 });
      const released = await stripe.subscriptionSchedules.release(sched.id);
      assert.equal(released.status, 'released');
      assert.equal(released.released_subscription, sched.subscription);
      assert.equal(released.subscription, null);
      const sub = await stripe.subscriptions.retrieve(released.released_subscription!);
      assert.equal(sub.status, 'active');
      assert.equal(sub.schedule, null);
      await rejects(stripe.subscriptionSchedules.release(sched.id), undefined, /released/);
      await rejects(stripe.subscriptionSchedules.cancel(sched.id), undefined, /released/);
      // No longer managed: the subscription can be canceled directly.
      assert.equal((await stripe.subscriptions.cancel(sub.id)).status, 'canceled');
      assert.deepEqual(await eventTypes(sched.id), ['subscription_schedule.created', 'subscription_schedule.released']);
    });

    test('cancel: cancels the subscription too', async () => {
      const { customer } = await onClock();
      const p10 = await price(1000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        phases: [{ items: [{ price: p10.id }] }],
      });
      // One iteration by default.
      assert.deepEqual(sched.current_phase, { start_date: JAN1, end_date: FEB1 });
      const canceled = await stripe.subscriptionSchedules.cancel(sched.id, { invoice_now: false, prorate: false });
      assert.equal(canceled.status, 'canceled');
      assert.equal(canceled.canceled_at, JAN1);
      assert.equal(canceled.current_phase, null);
      const sub = await stripe.subscriptions.retrieve(sched.subscription as string);
      assert.equal(sub.status, 'canceled');
      assert.equal(sub.ended_at, JAN1);
      assert.deepEqual(await eventTypes(sched.id), ['subscription_schedule.created', 'subscription_schedule.canceled']);
      await rejects(stripe.subscriptionSchedules.update(sched.id, { metadata: { a: 'b' } }), undefined, /canceled/);
    });

    test('cancel defaults (invoice_now, prorate): the unused time is credited on a final invoice', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      const sched = await stripe.subscriptionSchedules.create({ customer: customer.id, phases: [{ items: [{ price: p10.id }], iterations: 3 } as Stripe.SubscriptionScheduleCreateParams.Phase] });
      await advance(clock.id, JAN16);
      await stripe.subscriptionSchedules.cancel(sched.id);
      // Unused: 16 of January's 31 days of $10.00 = −516.13 → −516, invoiced at once.
      const all = await invoices(sched.subscription as string);
      assert.deepEqual(all.map((i) => i.total), [1000, -516]);
      assert.equal((await stripe.subscriptions.retrieve(sched.subscription as string)).status, 'canceled');
    });

    test('end_behavior cancel: the subscription ends with the last phase', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      const p20 = await price(2000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        end_behavior: 'cancel',
        phases: [
          { items: [{ price: p10.id }], end_date: FEB1 },
          // `iterations` (older API versions) is still accepted: two months from Feb 1.
          { items: [{ price: p20.id }], iterations: 2 } as Stripe.SubscriptionScheduleCreateParams.Phase,
        ],
      });
      assert.deepEqual(sched.phases.map((p) => [p.start_date, p.end_date]), [[JAN1, FEB1], [FEB1, APR1]]);
      const subId = sched.subscription as string;
      await advance(clock.id, APR1 + 60);
      const done = await stripe.subscriptionSchedules.retrieve(sched.id);
      assert.equal(done.status, 'completed');
      assert.equal(done.completed_at, APR1);
      const sub = await stripe.subscriptions.retrieve(subId);
      assert.equal(sub.status, 'canceled');
      assert.equal(sub.ended_at, APR1);
      // Jan 1 create $10; Feb 1 and Mar 1 renewals at the second phase's $20; nothing on Apr 1 (ended).
      assert.deepEqual((await invoices(subId)).map((i) => [i.billing_reason, i.amount_paid]), [
        ['subscription_create', 1000],
        ['subscription_cycle', 2000],
        ['subscription_cycle', 2000],
      ]);
      assert.deepEqual(await eventTypes(sched.id), [
        'subscription_schedule.created',
        'subscription_schedule.updated',
        'subscription_schedule.expiring',
        'subscription_schedule.completed',
      ]);
    });

    test('subscription_schedule.expiring: seven days before the end, once per end date', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        phases: [{ items: [{ price: p10.id }], end_date: MAR1 }],
      });
      const expiring = async () =>
        (await server.portico.storage.db.selectFrom('events').select(['data']).where('type', '=', 'subscription_schedule.expiring').orderBy('seq').execute())
          .map((r) => r.data as any)
          .filter((e) => e.data.object.id === sched.id);
      const WEEK = 7 * 86_400;
      await advance(clock.id, MAR1 - WEEK - 1);
      assert.equal((await expiring()).length, 0, 'not before seven days ahead');
      await advance(clock.id, MAR1 - WEEK);
      let sent = await expiring();
      assert.equal(sent.length, 1);
      assert.equal(sent[0].created, MAR1 - WEEK);
      assert.equal(sent[0].data.object.status, 'active');
      // Moving the end a month later announces the new end a week before it, once.
      await stripe.subscriptionSchedules.update(sched.id, { phases: [{ items: [{ price: p10.id }], start_date: JAN1, end_date: APR1 }] });
      await advance(clock.id, APR1 - WEEK - 1);
      assert.equal((await expiring()).length, 1);
      await advance(clock.id, APR1 + 60);
      sent = await expiring();
      assert.deepEqual(sent.map((e) => e.created), [MAR1 - WEEK, APR1 - WEEK]);
      assert.equal((await stripe.subscriptionSchedules.retrieve(sched.id)).status, 'released');
    });

    test('update: future phases are replaced; the current phase start_date must stay', async () => {
      const { clock, customer } = await onClock();
      const p10 = await price(1000);
      const p30 = await price(3000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        phases: [{ items: [{ price: p10.id }], end_date: FEB1 }],
      });
      await rejects(
        stripe.subscriptionSchedules.update(sched.id, { phases: [{ items: [{ price: p10.id }], start_date: JAN1 + 5, end_date: FEB1 }] }),
        'phases[0][start_date]',
      );
      const updated = await stripe.subscriptionSchedules.update(sched.id, {
        end_behavior: 'cancel',
        phases: [
          { items: [{ price: p10.id }], start_date: JAN1, end_date: FEB1 },
          { items: [{ price: p30.id }], end_date: MAR1 },
        ],
      });
      assert.equal(updated.end_behavior, 'cancel');
      assert.deepEqual(updated.phases.map((p) => [p.start_date, p.end_date]), [[JAN1, FEB1], [FEB1, MAR1]]);
      await advance(clock.id, FEB1 + 60);
      const sub = await stripe.subscriptions.retrieve(sched.subscription as string);
      assert.equal(sub.items.data[0]!.price.id, p30.id);
      assert.deepEqual((await invoices(sub.id)).map((i) => i.amount_paid), [1000, 3000]);
    });

    test('validation errors name their param', async () => {
      const { customer } = await onClock();
      const p10 = await price(1000);
      await rejects(stripe.subscriptionSchedules.create({ phases: [{ items: [{ price: p10.id }] }] }), 'customer');
      await rejects(stripe.subscriptionSchedules.create({ customer: customer.id }), 'phases');
      await rejects(stripe.subscriptionSchedules.create({ customer: customer.id, phases: [{ items: [{ quantity: 2 }] as any }] }), 'phases[0][items][0][price]', /Missing required param/);
      await rejects(stripe.subscriptionSchedules.create({ customer: customer.id, phases: [{ items: [{ price: 'price_nope' }] }] }), 'phases[0][items][0][price]', /No such price/);
      await rejects(
        stripe.subscriptionSchedules.create({ customer: customer.id, start_date: JAN1 - 86_400, phases: [{ items: [{ price: p10.id }] }] }),
        'start_date',
      );
      await rejects(
        stripe.subscriptionSchedules.create({
          customer: customer.id,
          phases: [{ items: [{ price: p10.id }], end_date: FEB1, duration: { interval: 'month' } }],
        }),
        'phases[0][end_date]',
      );
      await rejects(
        stripe.subscriptionSchedules.create({ customer: customer.id, phases: [{ items: [{ price: p10.id }], end_date: JAN1 - 10 }] }),
        'phases[0][end_date]',
      );
      const yearly = await stripe.prices.create({ currency: 'usd', unit_amount: 5000, recurring: { interval: 'year' }, product_data: { name: 'Y' } });
      // One phase's prices share an interval (phases of different intervals: subscription-schedules-interval.test.ts).
      await rejects(
        stripe.subscriptionSchedules.create({
          customer: customer.id,
          phases: [{ items: [{ price: p10.id }, { price: yearly.id }] }],
        }),
        'phases[0][items][1][price]',
      );
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p10.id }] });
      await rejects(stripe.subscriptionSchedules.create({ from_subscription: sub.id, customer: customer.id }), 'customer');
      await rejects(stripe.subscriptionSchedules.retrieve('sub_sched_nope'), 'id');
      // Nothing was kept by the refused requests.
      assert.equal((await stripe.subscriptionSchedules.list({ customer: customer.id })).data.length, 0);
    });
  });
}
