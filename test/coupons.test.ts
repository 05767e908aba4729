/**
 * `/v1/coupons` through the official SDK: every operation, every validation rule (status and param),
 * `valid` over time and redemptions, events, and the redemption helpers the billing engine uses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { getRedeemableCoupon, recordRedemption } from '../src/billing/coupons.ts';
import type { ManualClock } from '../src/lib/clock.ts';
import { fails, failsInDomain, strip, type Expected } from './support/assertions.ts';
import { useDiscountSuite } from './support/discounts-suite.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';

const DAY = 24 * 60 * 60;

for (const db of storageCases()) {
  describe(`coupons on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    let clock: ManualClock;
    let start: number;
    const { inTx, eventsFor, percentCoupon } = useDiscountSuite(db, (s) => ({ server, stripe, clock, start } = s));

    async function insertProduct(id: string): Promise<void> {
      await server.portico.storage.db
        .insertInto('objects')
        .values({ livemode: false, id, object: 'product', created: clock.now(), customer: null, data: JSON.stringify({ id, object: 'product' }) })
        .execute();
    }

    test('a percent coupon gets Stripe defaults and reads back the same', async () => {
      const c = await stripe.coupons.create({ percent_off: 12.5 });
      assert.match(c.id, /^[A-Za-z0-9]{8}$/);
      assert.deepEqual(strip(c), {
        id: c.id,
        object: 'coupon',
        amount_off: null,
        created: clock.now(),
        currency: null,
        duration: 'once',
        duration_in_months: null,
        livemode: false,
        max_redemptions: null,
        metadata: {},
        name: null,
        percent_off: 12.5,
        redeem_by: null,
        times_redeemed: 0,
        valid: true,
      });
      assert.deepEqual(strip(await stripe.coupons.retrieve(c.id)), strip(c));
      const [created] = await eventsFor(c.id, 'coupon.created');
      assert.deepEqual(created.data.object, strip(c));
    });

    test('an amount coupon with every field; applies_to and currency_options only when expanded', async () => {
      await insertProduct('prod_coupon_a');
      await insertProduct('prod_coupon_b');
      const redeemBy = clock.now() + 30 * DAY;
      const c = await stripe.coupons.create({
        id: 'SPRING-2030_off',
        amount_off: 500,
        currency: 'USD',
        currency_options: { eur: { amount_off: 450 } },
        duration: 'repeating',
        duration_in_months: 3,
        max_redemptions: 10,
        redeem_by: redeemBy,
        name: 'Spring sale',
        applies_to: { products: ['prod_coupon_a', 'prod_coupon_b'] },
        metadata: { campaign: 'spring' },
      });
      assert.equal(c.id, 'SPRING-2030_off');
      assert.equal(c.amount_off, 500);
      assert.equal(c.currency, 'usd');
      assert.equal(c.percent_off, null);
      assert.equal(c.duration, 'repeating');
      assert.equal(c.duration_in_months, 3);
      assert.equal(c.max_redemptions, 10);
      assert.equal(c.redeem_by, redeemBy);
      assert.equal(c.name, 'Spring sale');
      assert.deepEqual(c.metadata, { campaign: 'spring' });
      assert.equal('applies_to' in c, false);
      assert.equal('currency_options' in c, false);
      const full = await stripe.coupons.retrieve(c.id, { expand: ['applies_to', 'currency_options'] });
      assert.deepEqual(full.applies_to, { products: ['prod_coupon_a', 'prod_coupon_b'] });
      assert.deepEqual(full.currency_options, { usd: { amount_off: 500 }, eur: { amount_off: 450 } });
      await fails(stripe.coupons.retrieve(c.id, { expand: ['name'] }), { status: 400, param: 'expand' });
    });

    test('every create rule is a 4xx naming its param', async () => {
      const cases: [Record<string, unknown>, Expected][] = [
        [{ percent_off: 10, amount_off: 5, currency: 'usd' }, { status: 400, param: 'amount_off', code: 'parameters_exclusive' }],
        [{ duration: 'once' }, { status: 400, param: 'percent_off' }],
        [{ amount_off: 500 }, { status: 400, param: 'currency' }],
        [{ amount_off: 500, currency: 'xyz' }, { status: 400, param: 'currency' }],
        [{ amount_off: 0, currency: 'usd' }, { status: 400, param: 'amount_off' }],
        [{ percent_off: 0 }, { status: 400, param: 'percent_off' }],
        [{ percent_off: 100.5 }, { status: 400, param: 'percent_off' }],
        [{ percent_off: 10, currency: 'usd' }, { status: 400, param: 'currency' }],
        [{ percent_off: 10, currency_options: { eur: { amount_off: 5 } } }, { status: 400, param: 'currency_options' }],
        [{ amount_off: 5, currency: 'usd', currency_options: { xyz: { amount_off: 5 } } }, { status: 400, param: 'currency_options[xyz]' }],
        [{ amount_off: 5, currency: 'usd', currency_options: { eur: { amount_off: 'abc' } } }, { status: 400, param: 'currency_options[eur][amount_off]', code: 'parameter_invalid_integer' }],
        [{ amount_off: 5, currency: 'usd', currency_options: { eur: { percent_off: 5 } } }, { status: 400, param: 'currency_options[eur][percent_off]', code: 'parameter_unknown' }],
        [{ amount_off: 5, currency: 'usd', currency_options: { usd: { amount_off: 6 } } }, { status: 400, param: 'currency_options[usd][amount_off]' }],
        [{ percent_off: 10, duration: 'repeating' }, { status: 400, param: 'duration_in_months' }],
        [{ percent_off: 10, duration: 'forever', duration_in_months: 3 }, { status: 400, param: 'duration_in_months' }],
        [{ percent_off: 10, duration_in_months: 3 }, { status: 400, param: 'duration_in_months' }],
        [{ percent_off: 10, duration: 'repeating', duration_in_months: 0 }, { status: 400, param: 'duration_in_months' }],
        [{ percent_off: 10, duration: 'weekly' }, { status: 400, param: 'duration' }],
        [{ percent_off: 10, max_redemptions: 0 }, { status: 400, param: 'max_redemptions' }],
        [{ percent_off: 10, redeem_by: 1_000 }, { status: 400, param: 'redeem_by', message: /in the past/ }],
        [{ percent_off: 10, redeem_by: 'now' }, { status: 400, param: 'redeem_by', code: 'parameter_invalid_integer' }],
        [{ percent_off: 10, name: 'x'.repeat(41) }, { status: 400, param: 'name' }],
        [{ percent_off: 10, id: 'x'.repeat(201) }, { status: 400, param: 'id' }],
        [{ percent_off: 10, applies_to: { products: ['prod_nope'] } }, { status: 404, param: 'applies_to[products][0]', code: 'resource_missing' }],
        [{ percent_off: 10, applies_to: { categories: ['x'] } }, { status: 400, param: 'applies_to[categories]', code: 'parameter_unknown' }],
        [{ percent_off: 10, valid: false }, { status: 400, param: 'valid', code: 'parameter_unknown' }],
      ];
      for (const [params, want] of cases) {
        await fails(stripe.coupons.create(params as any), want, JSON.stringify(params));
      }
      await fails(stripe.coupons.create({ percent_off: 10, redeem_by: clock.now() + 6 * 365 * DAY }), {
        status: 400,
        param: 'redeem_by',
        message: /five years/,
      });
      const raw = await rawRequest(server, 'POST', '/v1/coupons', 'percent_off=abc');
      assert.equal(raw.status, 400);
      assert.equal(raw.json.error.param, 'percent_off');
    });

    test('a custom id is unique: a second coupon with it is resource_already_exists', async () => {
      await percentCoupon({ id: 'ONCE-ONLY' });
      await fails(percentCoupon({ id: 'ONCE-ONLY' }), { status: 400, param: 'id', code: 'resource_already_exists', message: /Coupon already exists/ });
    });

    test('update changes name, metadata and currency options only, with an event', async () => {
      const c = await stripe.coupons.create({ amount_off: 300, currency: 'usd', name: 'Old', metadata: { a: '1', b: '2' } });
      const u = await stripe.coupons.update(c.id, {
        name: 'New',
        metadata: { a: '', c: '3' },
        currency_options: { gbp: { amount_off: 250 } },
      });
      assert.equal(u.name, 'New');
      assert.deepEqual(u.metadata, { b: '2', c: '3' });
      const full = await stripe.coupons.retrieve(c.id, { expand: ['currency_options'] });
      assert.deepEqual(full.currency_options, { usd: { amount_off: 300 }, gbp: { amount_off: 250 } });
      const [updated] = await eventsFor(c.id, 'coupon.updated');
      assert.deepEqual(updated.data.previous_attributes, { name: 'Old', metadata: { a: '1', c: null } });

      for (const param of ['percent_off', 'amount_off', 'duration', 'redeem_by', 'max_redemptions']) {
        await fails(stripe.coupons.update(c.id, { [param]: 1 } as any), { status: 400, param, code: 'parameter_unknown' });
      }
      const percent = await percentCoupon();
      await fails(stripe.coupons.update(percent.id, { currency_options: { eur: { amount_off: 1 } } }), {
        status: 400,
        param: 'currency_options',
      });
      await fails(stripe.coupons.update('nope', { name: 'x' }), { status: 404, param: 'id', code: 'resource_missing' });
    });

    test('delete: a stub, 404 afterwards, an event, and the id can be used again', async () => {
      const c = await percentCoupon({ id: 'GONE-SOON' });
      const deleted = await stripe.coupons.del(c.id);
      assert.deepEqual(strip(deleted), { id: 'GONE-SOON', object: 'coupon', deleted: true });
      await fails(stripe.coupons.retrieve(c.id), { status: 404, param: 'id', code: 'resource_missing', message: /No such coupon: 'GONE-SOON'/ });
      await fails(stripe.coupons.update(c.id, { name: 'x' }), { status: 404 });
      await fails(stripe.coupons.del(c.id), { status: 404 });
      const [event] = await eventsFor(c.id, 'coupon.deleted');
      assert.equal(event.data.object.valid, false);
      const listed = await stripe.coupons.list({ limit: 100 });
      assert.ok(!listed.data.some((x) => x.id === c.id));
      await failsInDomain(inTx((ctx) => getRedeemableCoupon(ctx, c.id, 'coupon')), { status: 404, param: 'coupon' });
      const again = await stripe.coupons.create({ id: 'GONE-SOON', amount_off: 100, currency: 'eur' });
      assert.equal(again.amount_off, 100);
      assert.equal((await stripe.coupons.retrieve('GONE-SOON')).currency, 'eur');
    });

    test('list pages newest first and filters on created', async () => {
      clock.set(start + 1000);
      const a = await percentCoupon();
      clock.set(start + 2000);
      const b = await percentCoupon();
      const c = await percentCoupon();
      const page = await stripe.coupons.list({ limit: 2 });
      assert.deepEqual(page.data.map((x) => x.id), [c.id, b.id]);
      assert.equal(page.has_more, true);
      const next = await stripe.coupons.list({ limit: 2, starting_after: b.id });
      assert.equal(next.data[0]?.id, a.id);
      const ranged = await stripe.coupons.list({ created: { gte: start + 1000, lt: start + 2000 } });
      assert.deepEqual(ranged.data.map((x) => x.id), [a.id]);
      const exact = await stripe.coupons.list({ created: start + 2000 });
      assert.deepEqual(exact.data.map((x) => x.id), [c.id, b.id]);
    });

    test('valid turns false once redeem_by has passed', async () => {
      const c = await percentCoupon({ redeem_by: start + DAY });
      clock.set(start + DAY);
      assert.equal((await stripe.coupons.retrieve(c.id)).valid, true);
      clock.set(start + DAY + 1);
      assert.equal((await stripe.coupons.retrieve(c.id)).valid, false);
      const listed = await stripe.coupons.list({ created: start });
      assert.equal(listed.data.find((x) => x.id === c.id)?.valid, false);
      await failsInDomain(inTx((ctx) => getRedeemableCoupon(ctx, c.id, 'discounts[0][coupon]')), {
        status: 400,
        param: 'discounts[0][coupon]',
        code: 'coupon_expired',
        message: /Coupon expired/,
      });
      await fails(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id } }), {
        status: 400,
        param: 'promotion[coupon]',
        code: 'coupon_expired',
      });
    });

    test('max_redemptions: redemptions count up and the coupon stops being valid', async () => {
      const c = await percentCoupon({ max_redemptions: 2 });
      const redeemed = await inTx(async (ctx) => {
        await getRedeemableCoupon(ctx, c.id, 'coupon');
        await recordRedemption(ctx, c.id);
        return recordRedemption(ctx, c.id);
      });
      assert.equal(redeemed.times_redeemed, 2);
      const after = await stripe.coupons.retrieve(c.id);
      assert.equal(after.times_redeemed, 2);
      assert.equal(after.valid, false);
      await failsInDomain(inTx((ctx) => recordRedemption(ctx, c.id)), { status: 400, code: 'coupon_expired' });
      await failsInDomain(inTx((ctx) => getRedeemableCoupon(ctx, c.id, 'coupon')), { status: 400, param: 'coupon', code: 'coupon_expired' });
      // A redemption in a transaction that rolls back counts for nothing.
      const d = await percentCoupon({ max_redemptions: 1 });
      await assert.rejects(
        inTx(async (ctx) => {
          await recordRedemption(ctx, d.id);
          throw new Error('payment failed');
        }),
        /payment failed/,
      );
      assert.equal((await stripe.coupons.retrieve(d.id)).times_redeemed, 0);
    });

    test('concurrent creates with one custom id: one coupon, the rest resource_already_exists', async () => {
      const racers = await Promise.allSettled(Array.from({ length: 6 }, () => percentCoupon({ id: 'RACE-COUPON' })));
      assert.equal(racers.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of racers) {
        if (r.status === 'rejected') assert.equal((r.reason as any).code, 'resource_already_exists');
      }
    });

    test('test-mode coupons are invisible to live mode', async () => {
      const c = await percentCoupon();
      await fails(server.live.coupons.retrieve(c.id), { status: 404 });
      const live = await server.live.coupons.create({ percent_off: 5 });
      assert.equal(live.livemode, true);
      await fails(stripe.coupons.retrieve(live.id), { status: 404 });
    });
  });
}
