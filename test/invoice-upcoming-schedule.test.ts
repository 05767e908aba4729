/**
 * The upcoming invoice of a subscription on a schedule whose next phase starts at the period end (the
 * portal's scheduled downgrade), on test clocks and every database: `createPreview({ subscription })`,
 * `createPreview({ schedule })` and the `invoice.upcoming` notice show the next phase's price, and the
 * billing clock then bills exactly that invoice; a released schedule previews the current plan again.
 *
 * Dates: Jan 1 2031 00:00 UTC; the first monthly renewal is Feb 1 (notice Jan 29), the yearly one
 * Jan 1 2032 (2031 is not a leap year), whose first monthly period ends Feb 1 2032.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, useTestServer } from './support/suite.ts';

const DAY = 86_400;
const JAN1 = 1_924_992_000; // 2031-01-01T00:00:00Z
const FEB1 = JAN1 + 31 * DAY;
const MAR1 = FEB1 + 28 * DAY;
const JAN1_32 = JAN1 + 365 * DAY;
const FEB1_32 = JAN1_32 + 31 * DAY;

type Upcoming = { created: number; data: { object: Stripe.Invoice } };

for (const db of storageCases()) {
  describe(`the upcoming invoice follows the subscription's schedule on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const price = (unit: number, interval: 'month' | 'year') =>
      stripe.prices.create({ currency: 'usd', unit_amount: unit, recurring: { interval }, product_data: { name: `Plan ${unit}/${interval}` } });

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    async function upcoming(subscription: string): Promise<Upcoming[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).where('type', '=', 'invoice.upcoming').orderBy('seq').execute();
      return rows.map((r) => r.data as Upcoming).filter((e) => e.data.object.parent?.subscription_details?.subscription === subscription);
    }

    /** The portal's shape: adopt the subscription, then the next phase from the period end, released after it. */
    async function scheduleAtPeriodEnd(sub: Stripe.Subscription, next: Stripe.Price) {
      const adopted = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
      const current = adopted.phases[0]!;
      return stripe.subscriptionSchedules.update(adopted.id, {
        end_behavior: 'release',
        phases: [
          { items: [{ price: current.items[0]!.price as string }], start_date: current.start_date, end_date: current.end_date },
          { items: [{ price: next.id }], duration: { interval: next.recurring!.interval }, proration_behavior: 'none', metadata: { plan: 'next' } },
        ],
      });
    }

    const lines = (i: Stripe.Invoice) => i.lines.data.map((l) => [l.amount, l.pricing?.price_details?.price, l.period.start, l.period.end]);
    const billed = (i: Stripe.Invoice) => [i.billing_reason, i.total, i.amount_due, i.period_start, i.period_end, lines(i)];

    test('$30/month with a schedule to $10/month: previews, notice and the renewal all bill $10.00', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const thirty = await price(3_000, 'month');
      const ten = await price(1_000, 'month');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: thirty.id }] });
      const sched = await scheduleAtPeriodEnd(sub, ten);
      const recurring = await stripe.invoices.createPreview({ subscription: sub.id, preview_mode: 'recurring' });
      assert.deepEqual([recurring.total, lines(recurring)], [1_000, [[1_000, ten.id, FEB1, MAR1]]]);
      // A pending item is billed with the next invoice: the preview shows it with the $10 renewal.
      await stripe.invoiceItems.create({ customer: customer.id, amount: 250, currency: 'usd', description: 'Setup', subscription: sub.id });

      const bySub = await stripe.invoices.createPreview({ subscription: sub.id });
      assert.deepEqual(billed(bySub).slice(0, 5), ['subscription_cycle', 1_250, 1_250, FEB1, MAR1]);
      assert.deepEqual(lines(bySub).map((l) => l.slice(0, 2)).sort(), [[1_000, ten.id], [250, undefined]].sort());
      assert.equal(bySub.customer, customer.id);
      const bySchedule = await stripe.invoices.createPreview({ schedule: sched.id });
      assert.deepEqual(billed(bySchedule), billed(bySub));
      // Nothing of the previews stayed: the subscription still bills $30 until Feb 1.
      const still = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(still.items.data[0]!.price.id, thirty.id);
      assert.equal(still.metadata.plan, undefined);

      await advance(clock.id, FEB1 - 3 * DAY);
      const [notice] = await upcoming(sub.id);
      assert.ok(notice, 'invoice.upcoming was sent three days before');
      assert.deepEqual(billed(notice.data.object), billed(bySub));

      await advance(clock.id, FEB1 + 60);
      const all = (await stripe.invoices.list({ subscription: sub.id })).data.reverse();
      assert.equal(all.length, 2);
      assert.deepEqual(billed(all[1]!), billed(bySub));
      assert.equal(all[1]!.status, 'paid');
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).metadata.plan, 'next');
    });

    test('yearly → monthly: the preview is the monthly plan’s first period from the period end, as billed', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const yearly = await price(12_000, 'year');
      const monthly = await price(1_500, 'month');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: yearly.id }] });
      const sched = await scheduleAtPeriodEnd(sub, monthly);
      await stripe.invoiceItems.create({ customer: customer.id, amount: 250, currency: 'usd', description: 'Setup', subscription: sub.id });

      const preview = await stripe.invoices.createPreview({ subscription: sub.id });
      assert.deepEqual(billed(preview).slice(0, 5), ['subscription_update', 1_750, 1_750, JAN1_32, FEB1_32]);
      assert.deepEqual(lines(preview).map((l) => l.slice(0, 2)).sort(), [[1_500, monthly.id], [250, undefined]].sort());
      assert.deepEqual(billed(await stripe.invoices.createPreview({ schedule: sched.id })), billed(preview));
      const recurring = await stripe.invoices.createPreview({ subscription: sub.id, preview_mode: 'recurring' });
      assert.deepEqual([recurring.total, lines(recurring)], [1_500, [[1_500, monthly.id, JAN1_32, FEB1_32]]]);

      await advance(clock.id, JAN1_32 - 3 * DAY);
      const [notice] = await upcoming(sub.id);
      assert.ok(notice);
      assert.deepEqual(billed(notice.data.object), billed(preview));

      await advance(clock.id, JAN1_32 + 60);
      const all = (await stripe.invoices.list({ subscription: sub.id })).data.reverse();
      assert.equal(all.length, 2, 'one invoice at the boundary, no yearly renewal');
      assert.deepEqual(billed(all[1]!), billed(preview));
    });

    test('a released schedule: the preview and the notice are the current plan’s renewal again', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const thirty = await price(3_000, 'month');
      const ten = await price(1_000, 'month');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: thirty.id }] });
      const sched = await scheduleAtPeriodEnd(sub, ten);
      assert.equal((await stripe.invoices.createPreview({ subscription: sub.id })).total, 1_000);
      await stripe.subscriptionSchedules.release(sched.id);

      const preview = await stripe.invoices.createPreview({ subscription: sub.id });
      assert.deepEqual(billed(preview), ['subscription_cycle', 3_000, 3_000, FEB1, MAR1, [[3_000, thirty.id, FEB1, MAR1]]]);
      await advance(clock.id, FEB1 - 3 * DAY);
      const [notice] = await upcoming(sub.id);
      assert.ok(notice);
      assert.deepEqual(billed(notice.data.object), billed(preview));
      await advance(clock.id, FEB1 + 60);
      const all = (await stripe.invoices.list({ subscription: sub.id })).data.reverse();
      assert.deepEqual(billed(all[1]!), billed(preview));
    });
  });
}
