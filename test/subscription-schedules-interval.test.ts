/**
 * Subscription schedules whose phases change the billing interval, on test clocks and every database:
 * yearly → monthly and monthly → yearly at the period boundary (one invoice, the new interval's first
 * period; the cycle and anchor move), a mid-period change (unused time credited per the phase's
 * proration behavior), and a release before the boundary (nothing changes). Amounts are worked out by
 * hand: a $36.50 yearly price over 2027's 365 days is 10 cents a day.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { runDueWork } from '../src/billing/billing-clock.ts';
import { ManualClock } from '../src/lib/clock.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, objectEvents, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const DAY = 86_400;
const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z
const APR11 = JAN1 + 100 * DAY; // 2027-04-11T00:00:00Z
const MAY11 = APR11 + 30 * DAY; // 2027-05-11T00:00:00Z
const JAN1_28 = JAN1 + 365 * DAY; // 2028-01-01T00:00:00Z
const FEB1_28 = JAN1_28 + 31 * DAY; // 2028-02-01T00:00:00Z
const MAR1_28 = FEB1_28 + 29 * DAY; // 2028-03-01T00:00:00Z (leap year)
const JAN1_29 = JAN1_28 + 366 * DAY; // 2029-01-01T00:00:00Z

for (const db of storageCases()) {
  describe(`subscription schedules changing the interval on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const price = (unit: number, interval: 'month' | 'year', currency = 'usd') =>
      stripe.prices.create({ currency, unit_amount: unit, recurring: { interval }, product_data: { name: `Plan ${unit}/${interval}` } });

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    async function invoices(subscription: string) {
      return (await stripe.invoices.list({ subscription, limit: 100 })).data.reverse();
    }

    const summary = (list: Stripe.Invoice[]) => list.map((i) => [i.billing_reason, i.status, i.amount_paid, i.period_start, i.period_end]);

    /** The portal's shape: adopt the subscription, then the next phase from the period end, released after it. */
    async function scheduleAtPeriodEnd(sub: Stripe.Subscription, next: Stripe.Price) {
      const adopted = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
      const current = adopted.phases[0]!;
      return stripe.subscriptionSchedules.update(adopted.id, {
        end_behavior: 'release',
        phases: [
          { items: [{ price: current.items[0]!.price as string }], start_date: current.start_date, end_date: current.end_date },
          { items: [{ price: next.id }], duration: { interval: next.recurring!.interval }, proration_behavior: 'none' },
        ],
      });
    }

    test('yearly → monthly at the period end: one invoice for the monthly price, then monthly periods; events', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const yearly = await price(12_000, 'year');
      const monthly = await price(1_500, 'month');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: yearly.id }] });
      const itemId = sub.items.data[0]!.id;
      const sched = await scheduleAtPeriodEnd(sub, monthly);
      assert.deepEqual(sched.phases.map((p) => [p.start_date, p.end_date]), [[JAN1, JAN1_28], [JAN1_28, FEB1_28]]);

      // A second before the boundary nothing has changed.
      await advance(clock.id, JAN1_28 - 2);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.id, yearly.id);
      assert.equal((await invoices(sub.id)).length, 1);

      await advance(clock.id, JAN1_28 + 60);
      const moved = await stripe.subscriptions.retrieve(sub.id);
      assert.deepEqual(moved.items.data.map((i) => [i.id, i.price.id, i.current_period_start, i.current_period_end]), [[itemId, monthly.id, JAN1_28, FEB1_28]]);
      assert.equal(moved.billing_cycle_anchor, JAN1_28);
      assert.equal(moved.status, 'active');
      // Exactly one invoice at the boundary: the monthly price for [Jan 1, Feb 1) 2028 = $15.00; no
      // yearly renewal, no proration (the old period was used up).
      let all = await invoices(sub.id);
      assert.deepEqual(summary(all), [
        ['subscription_create', 'paid', 12_000, JAN1, JAN1_28],
        ['subscription_update', 'paid', 1_500, JAN1_28, FEB1_28],
      ]);
      assert.deepEqual(all[1]!.lines.data.map((l) => [l.amount, l.pricing?.price_details?.price, l.period.start, l.period.end]), [[1_500, monthly.id, JAN1_28, FEB1_28]]);
      assert.equal((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.length, 0);
      const during = await stripe.subscriptionSchedules.retrieve(sched.id);
      assert.equal(during.status, 'active');
      assert.deepEqual(during.current_phase, { start_date: JAN1_28, end_date: FEB1_28 });

      // The schedule is released at its end; the subscription goes on monthly.
      await advance(clock.id, MAR1_28 + 60);
      const released = await stripe.subscriptionSchedules.retrieve(sched.id);
      assert.equal(released.status, 'released');
      assert.equal(released.released_subscription, sub.id);
      const after = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(after.schedule, null);
      assert.deepEqual([after.items.data[0]!.current_period_start, after.items.data[0]!.current_period_end], [MAR1_28, MAR1_28 + 31 * DAY]);
      all = await invoices(sub.id);
      assert.deepEqual(summary(all).slice(2), [
        ['subscription_cycle', 'paid', 1_500, FEB1_28, MAR1_28],
        ['subscription_cycle', 'paid', 1_500, MAR1_28, MAR1_28 + 31 * DAY],
      ]);

      const schedEvents = (await objectEvents(server, sched.id)).map((e) => e.type);
      assert.deepEqual(schedEvents, [
        'subscription_schedule.created',
        'subscription_schedule.updated', // the phases of the portal's shape
        'subscription_schedule.updated', // the monthly phase started
        'subscription_schedule.expiring',
        'subscription_schedule.released',
      ]);
      const transition = (await objectEvents(server, sub.id)).find(
        (e) => e.type === 'customer.subscription.updated' && e.created === JAN1_28 && e.data.previous_attributes?.billing_cycle_anchor !== undefined,
      );
      assert.ok(transition, 'customer.subscription.updated at the phase start');
      assert.equal(transition.data.previous_attributes.billing_cycle_anchor, JAN1);
      assert.equal(transition.data.object.billing_cycle_anchor, JAN1_28);
      assert.equal(transition.data.object.items.data[0].price.id, monthly.id);
    });

    test('monthly → yearly at the boundary: one invoice for the year, the next renewal a year later', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const monthly = await price(1_500, 'month');
      const yearly = await price(12_000, 'year');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      const sched = await scheduleAtPeriodEnd(sub, yearly);
      assert.deepEqual(sched.phases.map((p) => [p.start_date, p.end_date]), [[JAN1, FEB1], [FEB1, FEB1 + 365 * DAY]]);
      await advance(clock.id, FEB1 + 60);
      const moved = await stripe.subscriptions.retrieve(sub.id);
      assert.deepEqual([moved.items.data[0]!.price.id, moved.items.data[0]!.current_period_start, moved.items.data[0]!.current_period_end], [yearly.id, FEB1, FEB1_28]);
      assert.equal(moved.billing_cycle_anchor, FEB1);
      assert.deepEqual(summary(await invoices(sub.id)), [
        ['subscription_create', 'paid', 1_500, JAN1, FEB1],
        ['subscription_update', 'paid', 12_000, FEB1, FEB1_28],
      ]);
      // Months pass without invoices; the schedule is released a second before the year is over.
      await advance(clock.id, FEB1_28 - 3 * DAY);
      assert.equal((await invoices(sub.id)).length, 2);
      await advance(clock.id, FEB1_28 + 60);
      assert.equal((await stripe.subscriptionSchedules.retrieve(sched.id)).status, 'released');
      assert.deepEqual(summary(await invoices(sub.id)).slice(2), [['subscription_cycle', 'paid', 12_000, FEB1_28, FEB1_28 + 366 * DAY]]);
    });

    test('a phase with another interval starting mid-period: the unused time is credited (create_prorations), or not (none)', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const yearly = await price(3_650, 'year');
      const monthly = await price(3_000, 'month');
      for (const behavior of ['create_prorations', 'none'] as const) {
        const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: yearly.id }] });
        const sched = await stripe.subscriptionSchedules.update((await stripe.subscriptionSchedules.create({ from_subscription: sub.id })).id, {
          phases: [
            { items: [{ price: yearly.id }], start_date: JAN1, end_date: APR11 },
            { items: [{ price: monthly.id }], duration: { interval: 'month', interval_count: 2 }, proration_behavior: behavior },
          ],
        });
        assert.deepEqual(sched.phases.map((p) => [p.start_date, p.end_date]), [[JAN1, APR11], [APR11, APR11 + 61 * DAY]]);
        if (behavior === 'none') continue; // advanced below, together with the first one
      }
      await advance(clock.id, APR11 + 60);
      const subs = (await stripe.subscriptions.list({ customer: customer.id })).data.reverse();
      assert.equal(subs.length, 2);
      for (const [k, sub] of subs.entries()) {
        assert.deepEqual([sub.items.data[0]!.price.id, sub.items.data[0]!.current_period_start, sub.items.data[0]!.current_period_end, sub.billing_cycle_anchor], [monthly.id, APR11, MAY11, APR11]);
        const all = await invoices(sub.id);
        assert.equal(all.length, 2);
        const update = all[1]!;
        assert.equal(update.billing_reason, 'subscription_update');
        const lines = update.lines.data.map((l) => [l.amount, l.parent?.invoice_item_details?.proration ?? l.parent?.subscription_item_details?.proration ?? false]).sort((a, b) => Number(a[0]) - Number(b[0]));
        if (k === 0) {
          // create_prorations: 265 of 365 days unused on $36.50 = −$26.50; the month from Apr 11 = $30.00;
          // charged $30.00 − $26.50 = $3.50.
          assert.deepEqual(lines, [[-2_650, true], [3_000, false]]);
          assert.equal(update.amount_paid, 350);
        } else {
          // none: the month only.
          assert.deepEqual(lines, [[3_000, false]]);
          assert.equal(update.amount_paid, 3_000);
        }
      }
      // The monthly cycle runs from the phase start: renewed on May 11.
      await advance(clock.id, MAY11 + 60);
      for (const sub of subs) {
        assert.deepEqual(summary(await invoices(sub.id)).slice(2), [['subscription_cycle', 'paid', 3_000, MAY11, MAY11 + 31 * DAY]]);
      }
    });

    test('changing the current phase to another interval mid-period with always_invoice: credited and invoiced at once', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const yearly = await price(3_650, 'year');
      const monthly = await price(3_000, 'month');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: yearly.id }] });
      const sched = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
      await advance(clock.id, APR11);
      await stripe.subscriptionSchedules.update(sched.id, {
        proration_behavior: 'always_invoice',
        phases: [{ items: [{ price: monthly.id }], start_date: JAN1, end_date: JAN1_28 }],
      });
      const moved = await stripe.subscriptions.retrieve(sub.id);
      assert.deepEqual([moved.items.data[0]!.price.id, moved.items.data[0]!.current_period_start, moved.items.data[0]!.current_period_end, moved.billing_cycle_anchor], [monthly.id, APR11, MAY11, APR11]);
      const all = await invoices(sub.id);
      // −$26.50 for the 265 unused days of the year, $30.00 for the month from Apr 11: $3.50 charged now.
      assert.deepEqual(summary(all), [
        ['subscription_create', 'paid', 3_650, JAN1, JAN1_28],
        ['subscription_update', 'paid', 350, APR11, MAY11],
      ]);
      assert.equal((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.length, 0);
      // Its due time moved with the cycle: renewed monthly, not at the old year's end.
      await advance(clock.id, MAY11 + 60);
      assert.deepEqual(summary(await invoices(sub.id)).slice(2), [['subscription_cycle', 'paid', 3_000, MAY11, MAY11 + 31 * DAY]]);
    });

    test('released before the boundary: the subscription renews yearly, unchanged', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const yearly = await price(12_000, 'year');
      const monthly = await price(1_500, 'month');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: yearly.id }] });
      const sched = await scheduleAtPeriodEnd(sub, monthly);
      await advance(clock.id, JAN1_28 - 10 * DAY);
      const released = await stripe.subscriptionSchedules.release(sched.id);
      assert.equal(released.status, 'released');
      await advance(clock.id, JAN1_28 + 60);
      const after = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(after.schedule, null);
      assert.deepEqual([after.items.data[0]!.price.id, after.items.data[0]!.current_period_start, after.items.data[0]!.current_period_end, after.billing_cycle_anchor], [yearly.id, JAN1_28, JAN1_29, JAN1]);
      assert.deepEqual(summary(await invoices(sub.id)), [
        ['subscription_create', 'paid', 12_000, JAN1, JAN1_28],
        ['subscription_cycle', 'paid', 12_000, JAN1_28, JAN1_29],
      ]);
    });

    test('validation: the prices of one phase share an interval, and all phases one currency', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      const monthly = await price(1_500, 'month');
      const yearly = await price(12_000, 'year');
      const euros = await price(1_500, 'year', 'eur');
      const refused = (p: Promise<unknown>, param: string) =>
        assert.rejects(p, (e: any) => {
          assert.equal(e.statusCode, 400);
          assert.equal(e.param, param);
          return true;
        });
      await refused(
        stripe.subscriptionSchedules.create({ customer: customer.id, phases: [{ items: [{ price: monthly.id }, { price: yearly.id }] }] }),
        'phases[0][items][1][price]',
      );
      await refused(
        stripe.subscriptionSchedules.create({ customer: customer.id, phases: [{ items: [{ price: monthly.id }] }, { items: [{ price: euros.id }] }] }),
        'phases[1][items][0][price]',
      );
      assert.equal((await stripe.subscriptionSchedules.list({ customer: customer.id })).data.length, 0);
      // Phases of different intervals are accepted.
      const ok = await stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: monthly.id }] }, { items: [{ price: yearly.id }] }] });
      assert.deepEqual(ok.phases.map((p) => [p.start_date, p.end_date]), [[JAN1, FEB1], [FEB1, FEB1 + 365 * DAY]]);
    });
  });

  describe(`schedules changing the plan in real time on ${db.name}`, () => {
    const clock = new ManualClock(JAN1);
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(
      db,
      (s) => {
        server = s;
        stripe = s.stripe;
      },
      { clock },
    );

    // The worker was away: the phase change (due a second before the boundary) and the renewal are
    // claimed in one batch. Still due at its invoice.upcoming notice, the subscription comes first and
    // reaches its renewal before the schedule ran: it waits for it. Its notice sent (due at the
    // boundary), it comes after the schedule: it is read again once the schedule changed it.
    for (const [label, fromInterval, toInterval, toAmount, reason, noticeSent] of [
      ['yearly → monthly', 'year', 'month', 1_500, 'subscription_update', false],
      ['yearly $120 → yearly $60', 'year', 'year', 6_000, 'subscription_cycle', false],
      ['yearly → monthly, notice sent', 'year', 'month', 1_500, 'subscription_update', true],
      ['yearly $120 → yearly $60, notice sent', 'year', 'year', 6_000, 'subscription_cycle', true],
    ] as const) {
      test(`${label}: one batch runs the phase change then the renewal; one invoice, the new plan's`, async () => {
        clock.set(JAN1);
        const customer = await stripe.customers.create({ email: 'rt@example.com' });
        const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
        await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
        const [from, to] = await Promise.all([
          stripe.prices.create({ currency: 'usd', unit_amount: 12_000, recurring: { interval: fromInterval }, product_data: { name: 'From' } }),
          stripe.prices.create({ currency: 'usd', unit_amount: toAmount, recurring: { interval: toInterval }, product_data: { name: 'To' } }),
        ]);
        const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: from.id }] });
        const adopted = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
        await stripe.subscriptionSchedules.update(adopted.id, {
          phases: [
            { items: [{ price: from.id }], start_date: JAN1, end_date: JAN1_28 },
            { items: [{ price: to.id }], duration: { interval: toInterval }, proration_behavior: 'none' },
          ],
        });
        const errors: unknown[] = [];
        const drain = async () => {
          while ((await runDueWork(server.portico.storage.db, clock, { onError: (e) => errors.push(e) })) > 0 && errors.length === 0);
        };
        if (noticeSent) {
          clock.set(JAN1_28 - 2);
          await drain();
        }
        // An hour late; then the worker's next passes.
        clock.set(JAN1_28 + 3_600);
        await drain();
        clock.set(JAN1_28 + 3_601);
        await drain();
        assert.deepEqual(errors, []);
        const after = await stripe.subscriptions.retrieve(sub.id);
        assert.equal(after.items.data[0]!.price.id, to.id);
        // The new cycle counts from the phase start, not from when the worker got there.
        assert.equal(after.items.data[0]!.current_period_start, JAN1_28);
        const all = (await stripe.invoices.list({ subscription: sub.id })).data.reverse();
        assert.deepEqual(all.map((i) => [i.billing_reason, i.amount_due, i.period_start]), [
          ['subscription_create', 12_000, JAN1],
          [reason, toAmount, JAN1_28],
        ]);
      });
    }
  });
}
