/**
 * `pending_invoice_item_interval` on test clocks, on every database, through the SDK: the
 * subscription's own pending invoice items are invoiced every interval between renewals
 * (`automatic_pending_invoice_item_invoice`), nothing pending → no invoice, `""` stops it, and
 * intervals over a year or of an unknown unit are refused naming the parameter.
 *
 * Dates: Jan 1 2031 00:00 UTC, a monthly price (renewal Feb 1) and a weekly pending-items interval
 * (Jan 8, Jan 15, Jan 22, Jan 29).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, objectEvents, useTestServer } from './support/suite.ts';

const DAY = 86_400;
const JAN1 = 1_924_992_000; // 2031-01-01T00:00:00Z
const WEEK = 7 * DAY;
const FEB1 = JAN1 + 31 * DAY;

for (const db of storageCases()) {
  describe(`pending_invoice_item_interval on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    async function monthly(params: Partial<Stripe.SubscriptionCreateParams> = {}) {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' }, product_data: { name: 'Team' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], ...params });
      return { clock, customer, sub };
    }

    const invoicesOf = async (sub: string) => (await stripe.invoices.list({ subscription: sub, limit: 100 })).data;

    test('set on create: each interval invoices exactly the subscription’s pending items, and charges them', async () => {
      const { clock, customer, sub } = await monthly({ pending_invoice_item_interval: { interval: 'week' } });
      assert.deepEqual(sub.pending_invoice_item_interval, { interval: 'week', interval_count: 1 });
      assert.equal(sub.next_pending_invoice_item_invoice, JAN1 + WEEK);
      assert.equal((await invoicesOf(sub.id)).length, 1, 'the first invoice only');

      const item = await stripe.invoiceItems.create({ customer: customer.id, amount: 750, currency: 'usd', description: 'Extra seats', subscription: sub.id });
      // A customer-level item (no subscription) is not the subscription's: it waits for the renewal.
      const loose = await stripe.invoiceItems.create({ customer: customer.id, amount: 300, currency: 'usd', description: 'Loose' });

      await advance(clock.id, JAN1 + WEEK - 1);
      assert.equal((await invoicesOf(sub.id)).length, 1, 'nothing before the interval');
      await advance(clock.id, JAN1 + WEEK);
      const invoices = await invoicesOf(sub.id);
      assert.equal(invoices.length, 2);
      const inv = invoices.find((i) => i.billing_reason === 'automatic_pending_invoice_item_invoice');
      assert.ok(inv, 'an automatic_pending_invoice_item_invoice invoice');
      assert.equal(inv.created, JAN1 + WEEK);
      assert.deepEqual(
        inv.lines.data.map((l) => [l.amount, l.description]),
        [[750, 'Extra seats']],
      );
      assert.equal(inv.total, 750);
      assert.equal(inv.amount_paid, 750);
      assert.equal(inv.status, 'paid');
      assert.equal(inv.parent?.subscription_details?.subscription, sub.id);
      assert.equal((await stripe.invoiceItems.retrieve(item.id)).invoice, inv.id);
      assert.equal((await stripe.invoiceItems.retrieve(loose.id)).invoice, null);
      const types = (await objectEvents(server, inv.id)).map((e) => e.type);
      for (const t of ['invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']) {
        assert.ok(types.includes(t), `${t} in ${types.join(', ')}`);
      }

      const after = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(after.next_pending_invoice_item_invoice, JAN1 + 2 * WEEK);
      assert.equal(after.latest_invoice, inv.id);
      assert.equal(after.status, 'active');
      const moved = (await objectEvents(server, sub.id)).filter(
        (e) => e.type === 'customer.subscription.updated' && e.data.previous_attributes?.next_pending_invoice_item_invoice === JAN1 + WEEK,
      );
      assert.equal(moved.length, 1, 'customer.subscription.updated for the moved next_pending_invoice_item_invoice');

      // Nothing pending at the next interval: no invoice, the schedule moves on.
      await advance(clock.id, JAN1 + 2 * WEEK);
      assert.equal((await invoicesOf(sub.id)).length, 2);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).next_pending_invoice_item_invoice, JAN1 + 3 * WEEK);

      // The renewal takes the loose item (and the subscription’s, had there been any) as before.
      await advance(clock.id, FEB1);
      const renewal = (await invoicesOf(sub.id)).find((i) => i.billing_reason === 'subscription_cycle');
      assert.ok(renewal);
      assert.deepEqual(renewal.lines.data.map((l) => l.amount).sort((a, b) => a - b), [300, 2000]);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).next_pending_invoice_item_invoice, JAN1 + 5 * WEEK);
    });

    test('set on update counts from then; "" unsets it and the items wait for the renewal', async () => {
      const { clock, customer, sub } = await monthly();
      assert.equal(sub.pending_invoice_item_interval, null);
      assert.equal(sub.next_pending_invoice_item_invoice, null);
      await advance(clock.id, JAN1 + DAY);
      const set = await stripe.subscriptions.update(sub.id, { pending_invoice_item_interval: { interval: 'day', interval_count: 3 } });
      assert.deepEqual(set.pending_invoice_item_interval, { interval: 'day', interval_count: 3 });
      assert.equal(set.next_pending_invoice_item_invoice, JAN1 + 4 * DAY);
      const changed = (await objectEvents(server, sub.id)).filter((e) => e.type === 'customer.subscription.updated').at(-1);
      assert.ok(changed);
      assert.deepEqual(changed.data.previous_attributes, { next_pending_invoice_item_invoice: null, pending_invoice_item_interval: null });

      await stripe.invoiceItems.create({ customer: customer.id, amount: 1234, currency: 'usd', subscription: sub.id });
      await advance(clock.id, JAN1 + 4 * DAY);
      const auto = (await invoicesOf(sub.id)).filter((i) => i.billing_reason === 'automatic_pending_invoice_item_invoice');
      assert.deepEqual(auto.map((i) => i.total), [1234]);

      const unset = await stripe.subscriptions.update(sub.id, { pending_invoice_item_interval: '' });
      assert.equal(unset.pending_invoice_item_interval, null);
      assert.equal(unset.next_pending_invoice_item_invoice, null);
      await stripe.invoiceItems.create({ customer: customer.id, amount: 999, currency: 'usd', subscription: sub.id });
      await advance(clock.id, JAN1 + 10 * DAY);
      assert.equal((await invoicesOf(sub.id)).filter((i) => i.billing_reason === 'automatic_pending_invoice_item_invoice').length, 1, 'no more automatic invoices');
      await advance(clock.id, FEB1);
      const renewal = (await invoicesOf(sub.id)).find((i) => i.billing_reason === 'subscription_cycle');
      assert.ok(renewal);
      assert.deepEqual(renewal.lines.data.map((l) => l.amount).sort((a, b) => a - b), [999, 2000]);
    });

    test('a refused charge leaves that invoice open and the subscription active', async () => {
      const { clock, customer, sub } = await monthly({ pending_invoice_item_interval: { interval: 'week', interval_count: 2 } });
      assert.equal(sub.next_pending_invoice_item_invoice, JAN1 + 2 * WEEK);
      const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
      await stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 4321, currency: 'usd', subscription: sub.id });
      await advance(clock.id, JAN1 + 2 * WEEK);
      const [inv] = (await invoicesOf(sub.id)).filter((i) => i.billing_reason === 'automatic_pending_invoice_item_invoice');
      assert.ok(inv);
      assert.equal(inv.status, 'open');
      assert.equal(inv.amount_due, 4321);
      assert.equal(inv.attempt_count, 1);
      assert.ok((await objectEvents(server, inv.id)).some((e) => e.type === 'invoice.payment_failed'));
      const s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'active');
      assert.equal(s.next_pending_invoice_item_invoice, JAN1 + 4 * WEEK);
    });

    test('intervals over a year or of an unknown unit: 400 naming the parameter, on create and update', async () => {
      const { customer, sub } = await monthly();
      const price = sub.items.data[0]!.price.id;
      const bad: [unknown, string][] = [
        [{ interval: 'month', interval_count: 13 }, 'pending_invoice_item_interval[interval_count]'],
        [{ interval: 'week', interval_count: 53 }, 'pending_invoice_item_interval[interval_count]'],
        [{ interval: 'day', interval_count: 366 }, 'pending_invoice_item_interval[interval_count]'],
        [{ interval: 'year', interval_count: 2 }, 'pending_invoice_item_interval[interval_count]'],
        [{ interval: 'month', interval_count: 0 }, 'pending_invoice_item_interval[interval_count]'],
        [{ interval: 'fortnight' }, 'pending_invoice_item_interval[interval]'],
        [{ interval_count: 2 }, 'pending_invoice_item_interval[interval]'],
      ];
      for (const [value, param] of bad) {
        const isParam = (e: any) => e.statusCode === 400 && e.type === 'StripeInvalidRequestError' && e.param === param;
        await assert.rejects(
          stripe.subscriptions.create({ customer: customer.id, items: [{ price }], pending_invoice_item_interval: value as any }),
          isParam,
          JSON.stringify(value),
        );
        await assert.rejects(stripe.subscriptions.update(sub.id, { pending_invoice_item_interval: value as any }), isParam, JSON.stringify(value));
      }
      // The largest intervals are accepted.
      for (const ok of [{ interval: 'year', interval_count: 1 }, { interval: 'month', interval_count: 12 }, { interval: 'week', interval_count: 52 }] as const) {
        const updated = await stripe.subscriptions.update(sub.id, { pending_invoice_item_interval: ok });
        assert.deepEqual(updated.pending_invoice_item_interval, ok);
      }
    });
  });
}
