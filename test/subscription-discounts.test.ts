/**
 * A subscription's discount on its renewals, on every database: the coupon it redeemed keeps applying
 * after the coupon's `redeem_by` passed, after it reached `max_redemptions` and after it was deleted
 * (Stripe keeps an already-applied discount), while a new redemption is still refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runDueWork } from '../src/billing/billing-clock.ts';
import { createCoupon, deleteCoupon } from '../src/billing/coupons.ts';
import { attachPaymentMethod } from '../src/billing/payment-methods.ts';
import { createCustomer, updateCustomer } from '../src/billing/customers.ts';
import { createPrice } from '../src/billing/prices.ts';
import { createSubscription } from '../src/billing/subscriptions/index.ts';
import { getInvoice } from '../src/billing/invoices/index.ts';
import { ManualClock } from '../src/lib/clock.ts';
import type { Ctx } from '../src/storage/context.ts';
import type { Db } from '../src/storage/database.ts';
import { storageCases } from './support/storages.ts';

const DAY = 86_400;

for (const c of storageCases()) {
  describe(`subscription discounts on ${c.name}`, () => {
    test('renewals keep a redeemed coupon past redeem_by, at max_redemptions and once deleted', async () => {
      const storage = await c.open();
      try {
        const start = Math.floor(Date.now() / 1000);
        const clock = new ManualClock(start);
        const ctxOf = (db: Db): Ctx => ({ db, livemode: false, clock, request: { id: null, idempotencyKey: null } });
        const ctx = ctxOf(storage.db);
        const price = await createPrice(ctx, {
          currency: 'usd',
          unit_amount: 2000,
          recurring: { interval: 'month' },
          product_data: { name: 'Plan' },
        } as Parameters<typeof createPrice>[1]);
        const capped = await createCoupon(ctx, { percent_off: 50, duration: 'forever', max_redemptions: 1, redeem_by: start + DAY } as Parameters<typeof createCoupon>[1]);
        const doomed = await createCoupon(ctx, { amount_off: 300, currency: 'usd', duration: 'forever' } as Parameters<typeof createCoupon>[1]);
        const subscribe = async (coupon: string) =>
          storage.db.transaction().execute(async (tx) => {
            const t = ctxOf(tx);
            const customer = await createCustomer(t, { email: 'd@example.com' });
            const pm = await attachPaymentMethod(t, 'pm_card_visa', customer.id);
            await updateCustomer(t, customer.id, { invoice_settings: { default_payment_method: pm.id } });
            return createSubscription(t, { customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon }] });
          });
        const a = await subscribe(capped.id);
        const b = await subscribe(doomed.id);
        assert.equal((await getInvoice(ctx, a.latest_invoice!)).total, 1000);
        assert.equal((await getInvoice(ctx, b.latest_invoice!)).total, 1700);
        // The capped coupon is used up: a new subscription cannot redeem it.
        await assert.rejects(subscribe(capped.id), (e: any) => e.status === 400 && /maximum number of times/.test(e.message));
        await deleteCoupon(ctx, doomed.id);

        // Past the period end, and past the capped coupon's redeem_by.
        clock.set(start + 32 * DAY);
        const errors: unknown[] = [];
        let n = 0;
        for (let k = await runDueWork(storage.db, clock, { onError: (e) => errors.push(e) }); k > 0; k = await runDueWork(storage.db, clock)) n += k;
        assert.deepEqual(errors, []);
        assert.equal(n, 2);
        for (const [sub, total] of [
          [a.id, 1000],
          [b.id, 1700],
        ] as const) {
          const row = await storage.db.selectFrom('objects').select('data').where('id', '=', sub).executeTakeFirstOrThrow();
          const s = row.data as any;
          assert.notEqual(s.latest_invoice, sub === a.id ? a.latest_invoice : b.latest_invoice);
          const renewal = await getInvoice(ctx, s.latest_invoice);
          assert.equal(renewal.billing_reason, 'subscription_cycle');
          assert.equal(renewal.status, 'paid');
          assert.equal(renewal.total, total, `${sub}: the discount still applies on renewal`);
          assert.equal(renewal.discounts.length, 1);
        }
      } finally {
        await storage.close();
      }
    });
  });
}
