/**
 * `discounts` on `POST /v1/subscriptions/{id}`, on test clocks, on every database: redeeming a coupon
 * or a promotion code into a running subscription, keeping a discount by id, removing them all; the
 * `customer.discount.*` events; and what the next renewal charges (hand-computed below).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { advanceTestClock, useTestServer } from './support/suite.ts';

const JAN1 = 1_924_992_000; // 2031-01-01T00:00:00Z
const FEB1 = JAN1 + 31 * 86_400;
const MAR1 = FEB1 + 28 * 86_400;
const APR1 = MAR1 + 31 * 86_400;

for (const db of storageCases()) {
  describe(`subscription discount updates on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    async function events(type: string): Promise<any[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as any).filter((e) => e.type === type);
    }

    async function subscribed() {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const customer = await stripe.customers.create({ test_clock: clock.id });
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' }, product_data: { name: 'Team' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      return { clock, customer, sub };
    }

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    async function latestTotal(sub: string): Promise<number> {
      const s = await stripe.subscriptions.retrieve(sub, { expand: ['latest_invoice'] });
      return (s.latest_invoice as Stripe.Invoice).total;
    }

    test('redeem a coupon, keep it and add a promotion code, then remove them all', async () => {
      const { clock, customer, sub } = await subscribed();
      assert.equal(await latestTotal(sub.id), 2000);
      const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const withCoupon = await stripe.subscriptions.update(sub.id, { discounts: [{ coupon: quarter.id }] });
      assert.equal(withCoupon.discounts.length, 1);
      const discountId = withCoupon.discounts[0] as string;
      assert.match(discountId, /^di_/);
      const created = (await events('customer.discount.created')).filter((e) => e.data.object.subscription === sub.id);
      assert.equal(created.length, 1);
      assert.equal(created[0].data.object.id, discountId);
      assert.deepEqual(created[0].data.object.source, { type: 'coupon', coupon: quarter.id });
      assert.equal(created[0].data.object.customer, customer.id);
      assert.equal((await stripe.coupons.retrieve(quarter.id)).times_redeemed, 1);
      const updated = (await events('customer.subscription.updated')).filter((e) => e.data.object.id === sub.id).pop();
      assert.deepEqual(updated.data.previous_attributes.discounts, []);

      // Feb 1 renewal: $20.00 − 25 % = $15.00.
      await advance(clock.id, FEB1);
      assert.equal(await latestTotal(sub.id), 1500);

      const fiver = await stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'forever' });
      const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: fiver.id }, code: 'FIVEOFF' });
      const both = await stripe.subscriptions.update(sub.id, { discounts: [{ discount: discountId }, { promotion_code: promo.id }] });
      assert.equal(both.discounts.length, 2);
      assert.equal(both.discounts[0], discountId, 'the kept discount keeps its id');
      assert.equal((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 1);
      assert.equal((await stripe.coupons.retrieve(quarter.id)).times_redeemed, 1, 'keeping is not redeeming again');

      const cleared = await stripe.subscriptions.update(sub.id, { discounts: '' });
      assert.deepEqual(cleared.discounts, []);
      const deleted = (await events('customer.discount.deleted')).filter((e) => e.data.object.subscription === sub.id);
      assert.equal(deleted.length, 2);
      assert.deepEqual(new Set(deleted.map((e) => e.data.object.id)), new Set(both.discounts as string[]));
      // Mar 1 renewal: no discount, $20.00.
      await advance(clock.id, MAR1);
      assert.equal(await latestTotal(sub.id), 2000);
      await advance(clock.id, APR1);
      assert.equal(await latestTotal(sub.id), 2000);
    });

    test('a repeating discount ends at the first renewal after its months, a once discount at the second invoice', async () => {
      const { clock, customer } = await subscribed();
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' }, product_data: { name: 'Duo' } });
      const twoMonths = await stripe.coupons.create({ percent_off: 50, duration: 'repeating', duration_in_months: 2 });
      const firstOnly = await stripe.coupons.create({ amount_off: 300, currency: 'usd', duration: 'once' });
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        discounts: [{ coupon: twoMonths.id }, { coupon: firstOnly.id }],
      });
      const [halfId, onceId] = sub.discounts as string[];
      // Jan 1: $20.00 − 50 % − $3.00 = $7.00 (percentage first, then the amount: 2000 − 1000 − 300).
      assert.equal(await latestTotal(sub.id), 700);
      const deletedOf = async () => (await events('customer.discount.deleted')).filter((e) => e.data.object.subscription === sub.id);

      // Feb 1: the once discount was used by January's invoice: it ends with this invoice; $10.00.
      await advance(clock.id, FEB1);
      assert.equal(await latestTotal(sub.id), 1000);
      let deleted = await deletedOf();
      assert.deepEqual(deleted.map((e) => e.data.object.id), [onceId]);
      assert.equal(deleted[0].data.object.end, FEB1, 'a once discount ends when it is taken off');
      const afterFeb = await stripe.subscriptions.retrieve(sub.id);
      assert.deepEqual(afterFeb.discounts, [halfId]);
      const febUpdate = (await events('customer.subscription.updated')).filter((e) => e.data.object.id === sub.id).pop();
      assert.deepEqual(febUpdate.data.previous_attributes.discounts, [halfId, onceId]);

      // Mar 1 is two months after Jan 1: the repeating discount's end; full price from now on.
      await advance(clock.id, MAR1);
      assert.equal(await latestTotal(sub.id), 2000);
      deleted = await deletedOf();
      assert.deepEqual(deleted.map((e) => e.data.object.id), [onceId, halfId]);
      assert.equal(deleted[1].data.object.end, MAR1, 'its own end, two months after redemption');
      assert.deepEqual((await stripe.subscriptions.retrieve(sub.id)).discounts, []);
      // Nothing further ends at the next renewal.
      await advance(clock.id, APR1);
      assert.equal(await latestTotal(sub.id), 2000);
      assert.equal((await deletedOf()).length, 2);
    });

    test('validation names the param; a refused change redeems nothing', async () => {
      const { sub } = await subscribed();
      const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'once' });
      await fails(stripe.subscriptions.update(sub.id, { discounts: [{ coupon: 'nope' }] }), { status: 404, param: 'discounts[0][coupon]' });
      await fails(stripe.subscriptions.update(sub.id, { discounts: [{ coupon: coupon.id }, { promotion_code: 'promo_nope' }] }), {
        status: 404,
        param: 'discounts[1][promotion_code]',
      });
      await fails(stripe.subscriptions.update(sub.id, { discounts: [{ discount: 'di_nope' }] }), { status: 404, param: 'discounts[0][discount]' });
      await fails(stripe.subscriptions.update(sub.id, { discounts: [{ coupon: coupon.id, promotion_code: 'x' } as any] }), {
        status: 400,
        param: 'discounts[0]',
      });
      assert.equal((await stripe.coupons.retrieve(coupon.id)).times_redeemed, 0);
      assert.deepEqual((await stripe.subscriptions.retrieve(sub.id)).discounts, []);
      const applied = await stripe.subscriptions.update(sub.id, { discounts: [{ coupon: coupon.id }] });
      await fails(stripe.subscriptions.update(sub.id, { discounts: [{ discount: applied.discounts[0] as string }, { coupon: coupon.id }] }), {
        status: 400,
        param: 'discounts[1]',
        message: /more than once/,
      });
    });
  });
}
