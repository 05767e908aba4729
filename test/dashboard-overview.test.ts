/**
 * The dashboard overview's numbers (both databases): active subscriptions, MRR by currency brought to
 * a month exactly, new and canceled subscriptions per day, cancellation reasons, failed payments and
 * webhook failures, each for the mode viewed only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadOverview } from '../src/web/dashboard/metrics.ts';
import type { TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { useTestServer } from './support/suite.ts';

for (const db of storageCases()) {
  describe(`dashboard overview (${db.name})`, () => {
    let server: TestServer;
    useTestServer(db, (s) => (server = s));

    test('counts, MRR and reasons for the mode viewed', async () => {
      const stripe = server.stripe;
      const customer = async (pm = 'pm_card_visa') => {
        const c = await stripe.customers.create({ email: 'o@example.com' });
        const attached = await stripe.paymentMethods.attach(pm, { customer: c.id });
        await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: attached.id } });
        return c.id;
      };
      const price = (currency: string, unit_amount: number, interval: 'day' | 'week' | 'month' | 'year', interval_count = 1) =>
        stripe.prices.create({ currency, unit_amount, recurring: { interval, interval_count }, product_data: { name: `${interval}` } });
      const monthly = await price('usd', 1000, 'month');
      const yearly = await price('usd', 12_001, 'year'); // 1000.0833… a month
      const quarterly = await price('usd', 3000, 'month', 3); // 1000 a month
      const weekly = await price('eur', 700, 'week'); // 700 × 52 / 12 = 3033.33…
      await stripe.subscriptions.create({ customer: await customer(), items: [{ price: monthly.id, quantity: 2 }] });
      await stripe.subscriptions.create({ customer: await customer(), items: [{ price: yearly.id }] });
      await stripe.subscriptions.create({ customer: await customer(), items: [{ price: quarterly.id }] });
      await stripe.subscriptions.create({ customer: await customer(), items: [{ price: weekly.id }] });
      const gone = await stripe.subscriptions.create({ customer: await customer(), items: [{ price: monthly.id }] });
      await stripe.subscriptions.cancel(gone.id, { cancellation_details: { feedback: 'too_expensive' } });
      // A declined renewal-style payment: a subscription whose first payment fails.
      await stripe.subscriptions.create({ customer: await customer('pm_card_chargeCustomerFail'), items: [{ price: monthly.id }], payment_behavior: 'allow_incomplete' });
      // Live mode has its own, not counted here.
      const liveCus = await server.live.customers.create({ email: 'l@example.com' });
      void liveCus;

      const ctx = { db: server.portico.storage.db, livemode: false, clock: server.clock, request: { id: null, idempotencyKey: null } };
      const o = await loadOverview(ctx);
      assert.equal(o.activeSubscriptions, 4);
      // usd: 2000 + 1000.0833… + 1000 = 4000.0833… → 4000; eur: 3033.33… → 3033 (rounded once, half-up).
      assert.deepEqual(o.mrr, [
        { currency: 'eur', amount: 3033 },
        { currency: 'usd', amount: 4000 },
      ]);
      const today = o.days[o.days.length - 1]!;
      assert.equal(o.days.length, 30);
      assert.equal(today.created, 6);
      assert.equal(today.canceled, 1);
      assert.ok(today.failedPayments >= 1, JSON.stringify(today));
      assert.deepEqual(o.reasons, [{ reason: 'too_expensive', count: 1 }]);
      const live = await loadOverview({ ...ctx, livemode: true });
      assert.equal(live.activeSubscriptions, 0);
      assert.deepEqual(live.mrr, []);
      assert.equal(live.days.reduce((n, d) => n + d.created, 0), 0);
    });
  });
}
