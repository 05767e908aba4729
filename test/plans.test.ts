/**
 * `/v1/plans` and `items[][plan]` through the SDK: a plan is the recurring price with its id, so both
 * endpoints always show the same thing, and every write announces both objects.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import { customerOnClock, objectEvents, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

for (const db of storageCases()) {
  describe(`plans on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    test('create with an inline product; the same object as a price; plan.created and price.created', async () => {
      const plan = await stripe.plans.create({ id: `gold-${db.name}`, amount: 2000, currency: 'usd', interval: 'month', product: { name: 'Gold' }, nickname: 'Gold monthly', metadata: { tier: 'gold' } });
      assert.equal(plan.id, `gold-${db.name}`);
      assert.equal(plan.object, 'plan');
      assert.equal(plan.amount, 2000);
      assert.equal(plan.interval, 'month');
      assert.equal(plan.interval_count, 1);
      assert.equal(plan.usage_type, 'licensed');
      const price = await stripe.prices.retrieve(plan.id);
      assert.equal(price.unit_amount, 2000);
      assert.equal(price.recurring?.interval, 'month');
      assert.equal(price.product, plan.product);
      assert.equal(price.nickname, 'Gold monthly');
      assert.deepEqual((await objectEvents(server, plan.id)).map((e) => e.type), ['price.created', 'plan.created']);
      assert.equal(((await stripe.plans.retrieve(plan.id, { expand: ['product'] })).product as Stripe.Product).name, 'Gold');
      await fails(stripe.plans.create({ id: plan.id, amount: 1, currency: 'usd', interval: 'month', product: plan.product as string }), { status: 400, param: 'id', code: 'resource_already_exists' });
      await fails(stripe.plans.create({ currency: 'usd', interval: 'month', product: plan.product as string }), { status: 400, param: 'amount', code: 'parameter_missing' });
      await fails(stripe.plans.create({ amount: 1, currency: 'usd', interval: 'fortnight' as 'month', product: plan.product as string }), { status: 400, param: 'interval' });
    });

    test('tiered plans, update through either object, list, delete', async () => {
      const product = await stripe.products.create({ name: 'Seats' });
      const plan = await stripe.plans.create({
        currency: 'usd', interval: 'year', product: product.id, billing_scheme: 'tiered', tiers_mode: 'graduated',
        tiers: [{ up_to: 10, unit_amount: 500 }, { up_to: 'inf', unit_amount: 400 }], transform_usage: undefined,
      });
      assert.equal(plan.amount, null);
      assert.equal(plan.tiers_mode, 'graduated');
      assert.equal((await stripe.plans.retrieve(plan.id, { expand: ['tiers'] })).tiers?.length, 2);
      const updated = await stripe.plans.update(plan.id, { nickname: 'Yearly seats', metadata: { a: '1' }, trial_period_days: 14 });
      assert.equal(updated.nickname, 'Yearly seats');
      assert.equal(updated.trial_period_days, 14);
      assert.equal((await stripe.prices.retrieve(plan.id)).recurring?.trial_period_days, 14);
      await stripe.prices.update(plan.id, { active: false });
      assert.equal((await stripe.plans.retrieve(plan.id)).active, false);
      const types = (await objectEvents(server, plan.id)).map((e) => e.type);
      assert.deepEqual(types, ['price.created', 'plan.created', 'price.updated', 'price.updated', 'plan.updated', 'price.updated']);

      const once = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 });
      await fails(stripe.plans.retrieve(once.id), { status: 404, message: /No such plan/ });
      const listed = await stripe.plans.list({ product: product.id });
      assert.deepEqual(listed.data.map((p) => [p.id, p.object]), [[plan.id, 'plan']]);

      const deleted = await stripe.plans.del(plan.id);
      assert.deepEqual({ id: deleted.id, object: deleted.object, deleted: deleted.deleted }, { id: plan.id, object: 'plan', deleted: true });
      await fails(stripe.plans.retrieve(plan.id), { status: 404 });
      await fails(stripe.prices.retrieve(plan.id), { status: 404 });
    });

    test('items[][plan] subscribes to the plan’s price; plan on subscription items too', async () => {
      const { customer } = await customerOnClock(server, 1_798_761_600);
      const basic = await stripe.plans.create({ amount: 1000, currency: 'usd', interval: 'month', product: { name: 'Basic' } });
      const extra = await stripe.plans.create({ amount: 300, currency: 'usd', interval: 'month', product: { name: 'Extra' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ plan: basic.id, quantity: 2 }] });
      assert.equal(sub.items.data[0]!.price.id, basic.id);
      assert.equal(sub.items.data[0]!.plan.id, basic.id);
      assert.equal(sub.items.data[0]!.plan.amount, 1000);
      const item = await stripe.subscriptionItems.create({ subscription: sub.id, plan: extra.id, proration_behavior: 'none' });
      assert.equal(item.price.id, extra.id);
      await fails(stripe.subscriptions.create({ customer: customer.id, items: [{ plan: basic.id, price: basic.id }] }), { status: 400, param: 'items[0][plan]', code: 'parameters_exclusive' });
    });
  });
}
