/**
 * `/v1/promotion_codes` through the official SDK: every operation, every validation rule (status and
 * param), code uniqueness, expansion, events, and the redemption helpers the billing engine uses.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import {
  getRedeemablePromotionCode,
  recordPromotionRedemption,
  type RedemptionContext,
} from '../src/billing/promotion-codes.ts';
import type { ManualClock } from '../src/lib/clock.ts';
import { fails, failsInDomain, strip, type Expected } from './support/assertions.ts';
import { useDiscountSuite } from './support/discounts-suite.ts';
import type { TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';

const DAY = 24 * 60 * 60;

for (const db of storageCases()) {
  describe(`promotion codes on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    let clock: ManualClock;
    let start: number;
    const { inTx, eventsFor, percentCoupon } = useDiscountSuite(db, (s) => ({ server, stripe, clock, start } = s));

    let coupon: Stripe.Coupon;
    let customer: Stripe.Customer;
    before(async () => {
      coupon = await stripe.coupons.create({ amount_off: 1000, currency: 'usd', duration: 'forever' });
      customer = await stripe.customers.create({ email: 'promo@example.com' });
    });
    const promo = (extra: Partial<Stripe.PromotionCodeCreateParams> = {}) =>
      stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, ...extra });

    test('create with defaults: a generated code and the coupon under `promotion`', async () => {
      const pc = await promo();
      assert.match(pc.id, /^promo_[A-Za-z0-9]{24}$/);
      assert.match(pc.code, /^[A-Z0-9]{8}$/);
      assert.deepEqual(strip(pc), {
        id: pc.id,
        object: 'promotion_code',
        active: true,
        code: pc.code,
        created: clock.now(),
        customer: null,
        customer_account: null,
        expires_at: null,
        livemode: false,
        max_redemptions: null,
        metadata: {},
        promotion: { coupon: coupon.id, type: 'coupon' },
        restrictions: { first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null },
        times_redeemed: 0,
      });
      assert.equal('coupon' in pc, false);
      assert.deepEqual(strip(await stripe.promotionCodes.retrieve(pc.id)), strip(pc));
      const [created] = await eventsFor(pc.id, 'promotion_code.created');
      assert.deepEqual(created.data.object, strip(pc));
    });

    test('create with every field', async () => {
      const expiresAt = start + 10 * DAY;
      const pc = await promo({
        code: 'Full-Set_1',
        customer: customer.id,
        expires_at: expiresAt,
        max_redemptions: 5,
        active: false,
        metadata: { source: 'newsletter' },
        restrictions: {
          first_time_transaction: true,
          minimum_amount: 2000,
          minimum_amount_currency: 'USD',
          currency_options: { eur: { minimum_amount: 1800 } },
        },
      });
      assert.equal(pc.code, 'Full-Set_1');
      assert.equal(pc.customer, customer.id);
      assert.equal(pc.expires_at, expiresAt);
      assert.equal(pc.max_redemptions, 5);
      assert.equal(pc.active, false);
      assert.deepEqual(pc.metadata, { source: 'newsletter' });
      assert.deepEqual(pc.restrictions, {
        first_time_transaction: true,
        minimum_amount: 2000,
        minimum_amount_currency: 'usd',
        currency_options: { eur: { minimum_amount: 1800 } },
      });
    });

    test('every create rule is a 4xx naming its param', async () => {
      const capped = await percentCoupon({ max_redemptions: 3, redeem_by: start + 5 * DAY });
      const gone = await percentCoupon();
      await stripe.coupons.del(gone.id);
      const ok = { type: 'coupon', coupon: coupon.id };
      const cases: [Record<string, unknown>, Expected][] = [
        [{}, { status: 400, param: 'promotion', code: 'parameter_missing' }],
        [{ promotion: { type: 'coupon' } }, { status: 400, param: 'promotion.coupon', message: /You must pass promotion.coupon/ }],
        [{ promotion: { coupon: coupon.id } }, { status: 400, param: 'promotion[type]', code: 'parameter_missing' }],
        [{ promotion: { type: 'price', coupon: coupon.id } }, { status: 400, param: 'promotion[type]' }],
        [{ promotion: { type: 'coupon', coupon: 'NOPE1234' } }, { status: 404, param: 'promotion[coupon]', code: 'resource_missing', message: /No such coupon: 'NOPE1234'/ }],
        [{ promotion: { type: 'coupon', coupon: gone.id } }, { status: 404, param: 'promotion[coupon]' }],
        [{ coupon: coupon.id }, { status: 400, param: 'coupon', code: 'parameter_unknown' }],
        [{ promotion: ok, customer: 'cus_nope' }, { status: 404, param: 'customer', code: 'resource_missing' }],
        [{ promotion: ok, customer_account: 'acct_nope' }, { status: 404, param: 'customer_account' }],
        [{ promotion: ok, code: 'has spaces!' }, { status: 400, param: 'code', message: /regex pattern/ }],
        [{ promotion: ok, code: 'x'.repeat(501) }, { status: 400, param: 'code' }],
        [{ promotion: ok, expires_at: 2000 }, { status: 400, param: 'expires_at', message: /`2000` which is in the past/ }],
        [{ promotion: ok, expires_at: start + 6 * 365 * DAY }, { status: 400, param: 'expires_at', message: /five years/ }],
        [{ promotion: { type: 'coupon', coupon: capped.id }, expires_at: start + 6 * DAY }, { status: 400, param: 'expires_at', message: /redeem_by/ }],
        [{ promotion: { type: 'coupon', coupon: capped.id }, max_redemptions: 4 }, { status: 400, param: 'max_redemptions' }],
        [{ promotion: ok, max_redemptions: 0 }, { status: 400, param: 'max_redemptions' }],
        [{ promotion: ok, active: 'maybe' }, { status: 400, param: 'active' }],
        [{ promotion: ok, restrictions: { minimum_amount: 100 } }, { status: 400, param: 'restrictions[minimum_amount_currency]' }],
        [{ promotion: ok, restrictions: { minimum_amount_currency: 'usd' } }, { status: 400, param: 'restrictions[minimum_amount]' }],
        [{ promotion: ok, restrictions: { minimum_amount: 100, minimum_amount_currency: 'zzz' } }, { status: 400, param: 'restrictions[minimum_amount_currency]' }],
        [{ promotion: ok, restrictions: { minimum_amount: 0, minimum_amount_currency: 'usd' } }, { status: 400, param: 'restrictions[minimum_amount]' }],
        [
          { promotion: ok, restrictions: { minimum_amount: 100, minimum_amount_currency: 'usd', currency_options: { usd: { minimum_amount: 5 } } } },
          { status: 400, param: 'restrictions[currency_options][usd]' },
        ],
        [{ promotion: ok, restrictions: { currency_options: { eur: { minimum_amount: 5 } } } }, { status: 400, param: 'restrictions[currency_options]' }],
        [{ promotion: ok, restrictions: { first_time_transaction: 'yes' } }, { status: 400, param: 'restrictions[first_time_transaction]' }],
      ];
      for (const [params, want] of cases) {
        await fails(stripe.promotionCodes.create(params as any), want, JSON.stringify(params));
      }
      const within = await promo({ code: 'WITHIN-LIMITS' });
      assert.equal(within.active, true);
      const cappedOk = await stripe.promotionCodes.create({
        promotion: { type: 'coupon', coupon: capped.id },
        expires_at: start + 5 * DAY,
        max_redemptions: 3,
      });
      assert.equal(cappedOk.max_redemptions, 3);
    });

    test('codes are unique regardless of case, among active codes only', async () => {
      const first = await promo({ code: 'SUMMER30' });
      await fails(promo({ code: 'summer30' }), {
        status: 400,
        param: 'code',
        code: 'resource_already_exists',
        message: /An active promotion code with `code: summer30` already exists/,
      });
      const inactiveTwin = await promo({ code: 'Summer30', active: false });
      assert.equal(inactiveTwin.active, false);
      await stripe.promotionCodes.update(first.id, { active: false });
      const second = await promo({ code: 'summer30' });
      assert.equal(second.active, true);
      await fails(stripe.promotionCodes.update(first.id, { active: true }), {
        status: 400,
        param: 'active',
        code: 'resource_already_exists',
      });
      await fails(stripe.promotionCodes.update(inactiveTwin.id, { active: true }), { status: 400, param: 'active' });
      // Concurrent requests for one code: exactly one wins, the others get the same 400 (never a 500).
      const racers = await Promise.allSettled(Array.from({ length: 6 }, () => promo({ code: 'race-code' })));
      assert.equal(racers.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of racers) {
        if (r.status === 'rejected') assert.equal((r.reason as any).code, 'resource_already_exists');
      }
      // The same code may be active in live mode too: modes never see each other.
      const liveCoupon = await server.live.coupons.create({ percent_off: 5 });
      const live = await server.live.promotionCodes.create({ promotion: { type: 'coupon', coupon: liveCoupon.id }, code: 'SUMMER30' });
      assert.equal(live.livemode, true);
    });

    test('update: active, metadata and per-currency minimums only, with an event', async () => {
      const pc = await promo({ code: 'UPDATE-ME', metadata: { a: '1' }, restrictions: { minimum_amount: 1000, minimum_amount_currency: 'usd' } });
      const off = await stripe.promotionCodes.update(pc.id, { active: false, metadata: { b: '2' } });
      assert.equal(off.active, false);
      assert.deepEqual(off.metadata, { a: '1', b: '2' });
      const [updated] = await eventsFor(pc.id, 'promotion_code.updated');
      assert.deepEqual(updated.data.previous_attributes, { active: true, metadata: { b: null } });
      const on = await stripe.promotionCodes.update(pc.id, {
        active: true,
        restrictions: { currency_options: { eur: { minimum_amount: 900 } } },
      });
      assert.equal(on.active, true);
      assert.deepEqual(on.restrictions.currency_options, { eur: { minimum_amount: 900 } });
      for (const param of ['code', 'customer', 'expires_at', 'max_redemptions']) {
        await fails(stripe.promotionCodes.update(pc.id, { [param]: 'x' } as any), { status: 400, param, code: 'parameter_unknown' });
      }
      await fails(stripe.promotionCodes.update(pc.id, { restrictions: { minimum_amount: 5 } } as any), {
        status: 400,
        param: 'restrictions[minimum_amount]',
        code: 'parameter_unknown',
      });
      const plain = await promo();
      await fails(stripe.promotionCodes.update(plain.id, { restrictions: { currency_options: { eur: { minimum_amount: 1 } } } }), {
        status: 400,
        param: 'restrictions[currency_options]',
      });
      await fails(stripe.promotionCodes.retrieve('promo_nope'), {
        status: 404,
        param: 'promotion_code',
        message: /No such promotion code: 'promo_nope'/,
      });
      await fails(stripe.promotionCodes.update('promo_nope', { active: false }), { status: 404 });
    });

    test('a code is only reactivated while it could still be redeemed', async () => {
      const pc = await promo({ expires_at: start + DAY, active: false });
      clock.set(start + 2 * DAY);
      await fails(stripe.promotionCodes.update(pc.id, { active: true }), { status: 400, param: 'active', message: /expired/ });
      const c = await percentCoupon();
      const other = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id }, active: false });
      await stripe.coupons.del(c.id);
      await fails(stripe.promotionCodes.update(other.id, { active: true }), { status: 400, param: 'active', message: /coupon/ });
    });

    test('deleting a coupon deactivates its active codes, with events', async () => {
      const c = await percentCoupon();
      const on = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id } });
      const off = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id }, active: false });
      await stripe.coupons.del(c.id);
      assert.equal((await stripe.promotionCodes.retrieve(on.id)).active, false);
      const [event] = await eventsFor(on.id, 'promotion_code.updated');
      assert.deepEqual(event.data.previous_attributes, { active: true });
      assert.deepEqual(await eventsFor(off.id, 'promotion_code.updated'), []);
      const expanded = await stripe.promotionCodes.retrieve(on.id, { expand: ['promotion.coupon'] });
      assert.equal((expanded.promotion.coupon as Stripe.Coupon).valid, false);
    });

    test('list filters: active, code (any case), coupon, customer, created', async () => {
      const c = await percentCoupon();
      const forCoupon = (extra: Partial<Stripe.PromotionCodeCreateParams> = {}) =>
        stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id }, ...extra });
      clock.set(start + 5000);
      const a = await forCoupon({ code: 'LIST-A' });
      const b = await forCoupon({ code: 'LIST-B', customer: customer.id });
      const inactive = await forCoupon({ code: 'LIST-C', active: false });
      const ids = (l: Stripe.ApiList<Stripe.PromotionCode>) => l.data.map((x) => x.id);
      assert.deepEqual(ids(await stripe.promotionCodes.list({ coupon: c.id })), [inactive.id, b.id, a.id]);
      assert.deepEqual(ids(await stripe.promotionCodes.list({ coupon: c.id, active: true })), [b.id, a.id]);
      assert.deepEqual(ids(await stripe.promotionCodes.list({ coupon: c.id, active: false })), [inactive.id]);
      assert.deepEqual(ids(await stripe.promotionCodes.list({ code: 'list-a' })), [a.id]);
      assert.deepEqual(ids(await stripe.promotionCodes.list({ customer: customer.id, coupon: c.id })), [b.id]);
      assert.deepEqual(ids(await stripe.promotionCodes.list({ created: { gte: start + 5000, lte: start + 5000 } })), [inactive.id, b.id, a.id]);
      const page = await stripe.promotionCodes.list({ coupon: c.id, limit: 2 });
      assert.equal(page.has_more, true);
      assert.deepEqual(ids(await stripe.promotionCodes.list({ coupon: c.id, starting_after: b.id })), [a.id]);
      await fails(stripe.promotionCodes.list({ coupon: 'UNKNOWN1' }), { status: 404, param: 'coupon', message: /No such coupon/ });
      await fails(stripe.promotionCodes.list({ active: 'yes' } as any), { status: 400, param: 'active' });
    });

    test('expand promotion.coupon and customer, on one code and on lists', async () => {
      const pc = await promo({ customer: customer.id });
      const full = await stripe.promotionCodes.retrieve(pc.id, { expand: ['promotion.coupon', 'customer'] });
      const expanded = full.promotion.coupon as Stripe.Coupon;
      assert.equal(expanded.object, 'coupon');
      assert.equal(expanded.id, coupon.id);
      assert.equal(expanded.valid, true);
      assert.equal((full.customer as Stripe.Customer).email, 'promo@example.com');
      const bare = await stripe.promotionCodes.retrieve(pc.id, { expand: ['promotion'] });
      assert.deepEqual(bare.promotion, { coupon: coupon.id, type: 'coupon' });
      const listed = await stripe.promotionCodes.list({ customer: customer.id, expand: ['data.promotion.coupon'] });
      assert.ok(listed.data.length > 0);
      for (const x of listed.data) assert.equal((x.promotion.coupon as Stripe.Coupon).object, 'coupon');
      const created = await promo({ expand: ['promotion.coupon'] });
      assert.equal((created.promotion.coupon as Stripe.Coupon).id, coupon.id);
      await fails(stripe.promotionCodes.retrieve(pc.id, { expand: ['code'] }), { status: 400, param: 'expand' });
    });

    test('redemption helper: by id or code, and every restriction', async () => {
      const redeem = (idOrCode: string, context: RedemptionContext) =>
        inTx((ctx) => getRedeemablePromotionCode(ctx, idOrCode, context, 'discounts[0][promotion_code]'));
      const refused = (idOrCode: string, context: RedemptionContext, message: RegExp) =>
        failsInDomain(redeem(idOrCode, context), { status: 400, param: 'discounts[0][promotion_code]', message });

      const pc = await promo({
        code: 'WELCOME10',
        customer: customer.id,
        restrictions: {
          first_time_transaction: true,
          minimum_amount: 2000,
          minimum_amount_currency: 'usd',
          currency_options: { eur: { minimum_amount: 1500 } },
        },
      });
      const good: RedemptionContext = { customer: customer.id, amount: 2000, currency: 'usd', isFirstTransaction: true };
      const byId = await redeem(pc.id, good);
      assert.equal(byId.promotionCode.id, pc.id);
      assert.equal(byId.coupon.id, coupon.id);
      assert.equal((await redeem('welcome10', good)).promotionCode.id, pc.id);
      assert.equal((await redeem(pc.id, { ...good, amount: 1500, currency: 'EUR' })).promotionCode.id, pc.id);
      await failsInDomain(redeem('NO-SUCH-CODE', good), { status: 404, param: 'discounts[0][promotion_code]', code: 'resource_missing' });
      await refused(pc.id, { ...good, customer: 'cus_other' }, /restricted to a different customer/);
      await refused(pc.id, { ...good, customer: null }, /restricted to a different customer/);
      await refused(pc.id, { ...good, isFirstTransaction: false }, /associated customer has prior transactions/);
      await refused(pc.id, { ...good, amount: 1999 }, /minimum amount/);
      await refused(pc.id, { ...good, amount: 1499, currency: 'eur' }, /minimum amount/);
      await refused(pc.id, { ...good, currency: 'gbp' }, /minimum amount is not defined in gbp/);

      const expiring = await promo({ expires_at: start + DAY });
      clock.set(start + DAY + 1);
      await refused(expiring.id, {}, /has expired/);
      clock.set(start);
      await stripe.promotionCodes.update(expiring.id, { active: false });
      await refused(expiring.id, {}, /inactive/);
    });

    test('recorded redemptions count on the code and its coupon, up to max_redemptions', async () => {
      const c = await stripe.coupons.create({ percent_off: 50, max_redemptions: 5 });
      const pc = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id }, max_redemptions: 2 });
      for (let i = 0; i < 2; i++) {
        await inTx(async (ctx) => {
          await getRedeemablePromotionCode(ctx, pc.code, {}, 'promotion_code');
          await recordPromotionRedemption(ctx, pc.id);
        });
      }
      assert.equal((await stripe.promotionCodes.retrieve(pc.id)).times_redeemed, 2);
      assert.equal((await stripe.coupons.retrieve(c.id)).times_redeemed, 2);
      await failsInDomain(inTx((ctx) => getRedeemablePromotionCode(ctx, pc.id, {}, 'promotion_code')), {
        status: 400,
        message: /used the maximum number of times/,
      });
      await failsInDomain(inTx((ctx) => recordPromotionRedemption(ctx, pc.id)), { status: 400, param: 'promotion_code' });
      await fails(stripe.promotionCodes.update(pc.id, { active: false }).then(() => stripe.promotionCodes.update(pc.id, { active: true })), {
        status: 400,
        param: 'active',
        message: /maximum number of times/,
      });
      // A code whose coupon is used up cannot be redeemed either.
      const one = await stripe.coupons.create({ percent_off: 5, max_redemptions: 1 });
      const p1 = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: one.id } });
      const p2 = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: one.id } });
      await inTx((ctx) => recordPromotionRedemption(ctx, p1.id));
      await failsInDomain(inTx((ctx) => getRedeemablePromotionCode(ctx, p2.id, {}, 'promotion_code')), {
        status: 400,
        message: /coupon is no longer valid/,
      });
      assert.equal((await stripe.coupons.retrieve(one.id)).valid, false);
    });
  });
}
