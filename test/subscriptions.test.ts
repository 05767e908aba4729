/**
 * Subscriptions through the official SDK, on every database: the object's shape, create options
 * (payment behaviours, collection methods, trials, anchors, discounts), updates, cancellation, list
 * filters and expansions, the invoice preview agreeing with the change it previews, validation errors
 * naming their param, and the events each operation writes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import { useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const DAY = 86_400;
const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z

for (const db of storageCases()) {
  describe(`subscriptions on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function price(unit: number, opts: Partial<Stripe.PriceCreateParams> = {}) {
      return stripe.prices.create({
        currency: 'usd',
        unit_amount: unit,
        recurring: { interval: 'month' },
        product_data: { name: `Plan ${unit}` },
        ...opts,
      } as Stripe.PriceCreateParams);
    }

    async function payingCustomer(pm = 'pm_card_visa', clock?: string) {
      const customer = await stripe.customers.create({ email: 'p@example.com', ...(clock ? { test_clock: clock } : {}) });
      const attached = await stripe.paymentMethods.attach(pm, { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
      return { customer, pm: attached.id };
    }

    async function eventTypes(id: string): Promise<string[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as any).filter((e) => e.data.object.id === id).map((e) => e.type);
    }
    async function lastEvent(id: string, type: string): Promise<any> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq', 'desc').execute();
      return rows.map((r) => r.data as any).find((e) => e.data.object.id === id && e.type === type);
    }

    const rejectsWith = (p: Promise<unknown>, status: number, param: string | undefined, message?: RegExp) =>
      assert.rejects(p, (err: any) => {
        assert.equal(err.statusCode, status, err.message);
        assert.equal(err.raw?.param, param, err.message);
        if (message) assert.match(err.message, message);
        return true;
      });

    test('create: the Stripe shape, an active subscription and its paid first invoice, events', async () => {
      const { customer, pm } = await payingCustomer();
      const p = await price(2000);
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: p.id, quantity: 2, metadata: { seat: 'a' } }],
        metadata: { plan: 'team' },
      });
      const now = server.clock.now();
      assert.match(sub.id, /^sub_/);
      assert.equal(sub.object, 'subscription');
      assert.equal(sub.status, 'active');
      assert.equal(sub.customer, customer.id);
      assert.equal(sub.currency, 'usd');
      assert.equal(sub.start_date, now);
      assert.equal(sub.billing_cycle_anchor, now);
      assert.equal(sub.schedule, null);
      assert.equal(sub.test_clock, null);
      assert.equal(sub.cancel_at_period_end, false);
      assert.deepEqual(sub.metadata, { plan: 'team' });
      assert.equal((sub as any).current_period_start, undefined);
      assert.equal(sub.items.object, 'list');
      const item = sub.items.data[0]!;
      assert.match(item.id, /^si_/);
      assert.equal(item.object, 'subscription_item');
      assert.equal(item.subscription, sub.id);
      assert.equal(item.quantity, 2);
      assert.equal(item.price.id, p.id);
      assert.equal(item.plan.id, p.id);
      assert.equal(item.plan.interval, 'month');
      assert.equal(item.current_period_start, now);
      assert.equal(item.current_period_end, now + 31 * DAY); // 2030-01-01 → 2030-02-01
      const inv = await stripe.invoices.retrieve(sub.latest_invoice as string);
      assert.equal(inv.billing_reason, 'subscription_create');
      assert.equal(inv.amount_paid, 4000); // 2 × 2000
      assert.equal(inv.lines.data[0]!.description, '2 × Plan 2000 (at $20.00 / month)');
      assert.equal(inv.parent?.subscription_details?.subscription, sub.id);
      assert.deepEqual(await eventTypes(sub.id), ['customer.subscription.created', 'customer.subscription.updated']);
      const updated = await lastEvent(sub.id, 'customer.subscription.updated');
      assert.equal(updated.data.previous_attributes.status, 'incomplete');
      assert.equal(updated.data.previous_attributes.latest_invoice, null);
      const expanded = await stripe.subscriptions.retrieve(sub.id, { expand: ['customer', 'latest_invoice', 'default_payment_method'] });
      assert.equal((expanded.customer as Stripe.Customer).id, customer.id);
      assert.equal((expanded.latest_invoice as Stripe.Invoice).id, inv.id);
      assert.equal(expanded.default_payment_method, null);
      const withProduct = await stripe.subscriptions.retrieve(sub.id, { expand: ['items.data.price.product'] });
      assert.equal((withProduct.items.data[0]!.price.product as Stripe.Product).name, 'Plan 2000');
      await rejectsWith(stripe.subscriptions.retrieve(sub.id, { expand: ['metadata'] }), 400, 'expand');
      void pm;
    });

    test('create: validation errors name their param', async () => {
      const { customer } = await payingCustomer();
      const p = await price(1000);
      const yearly = await price(1000, { recurring: { interval: 'year' } });
      const eur = await price(1000, { currency: 'eur' });
      const once = await stripe.prices.create({ currency: 'usd', unit_amount: 500, product_data: { name: 'One-off' } });
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id }), 400, 'items');
      await rejectsWith(stripe.subscriptions.create({ customer: 'cus_nope', items: [{ price: p.id }] }), 404, 'customer');
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: 'price_nope' }] }), 404, 'items[0][price]');
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: once.id }] }), 400, 'items[0][price]', /recurring/);
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }, { price: yearly.id }] }), 400, 'items[1][price]', /interval/);
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }, { price: eur.id }] }), 400, 'items[1][price]', /currency/);
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id, quantity: -1 }] }), 400, 'items[0][quantity]');
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], trial_end: 1 }), 400, 'trial_end');
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], collection_method: 'send_invoice' }), 400, 'days_until_due');
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], default_payment_method: 'pm_nope' }), 404, 'default_payment_method');
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], payment_behavior: 'sometimes' as any }), 400, 'payment_behavior');
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], discounts: [{ coupon: 'nope' }] }), 404, 'discounts[0][coupon]');
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], bogus: 1 } as any), 400, 'bogus');
      const list = await stripe.subscriptions.list({ customer: customer.id, status: 'all' });
      assert.equal(list.data.length, 0);
    });

    test('payment behaviours: error_if_incomplete keeps nothing, allow_incomplete and default_incomplete are incomplete', async () => {
      const { customer } = await payingCustomer('pm_card_chargeCustomerFail');
      const p = await price(1000);
      await rejectsWith(
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], payment_behavior: 'error_if_incomplete' }),
        402,
        undefined,
      );
      assert.equal((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data.length, 0);
      assert.equal((await stripe.invoices.list({ customer: customer.id })).data.length, 0);
      const allow = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      assert.equal(allow.status, 'incomplete');
      const failed = await stripe.invoices.retrieve(allow.latest_invoice as string);
      assert.equal(failed.status, 'open');
      assert.equal(failed.attempt_count, 1);
      const quiet = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], payment_behavior: 'default_incomplete' });
      assert.equal(quiet.status, 'incomplete');
      const unpaid = await stripe.invoices.retrieve(quiet.latest_invoice as string);
      assert.equal(unpaid.status, 'open');
      assert.equal(unpaid.attempt_count, 0);
      const incomplete = await stripe.subscriptions.list({ customer: customer.id, status: 'incomplete' });
      assert.deepEqual(incomplete.data.map((s) => s.id).sort(), [allow.id, quiet.id].sort());
    });

    test('send_invoice, default_payment_method, cancel_at and a billing_cycle_anchor', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 + 10 * DAY });
      const { customer, pm } = await payingCustomer('pm_card_visa', clock.id);
      const p = await price(3100);
      const invoiced = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: p.id }],
        collection_method: 'send_invoice',
        days_until_due: 14,
      });
      assert.equal(invoiced.status, 'active');
      const open = await stripe.invoices.retrieve(invoiced.latest_invoice as string);
      assert.equal(open.status, 'open');
      assert.equal(open.due_date, JAN1 + 24 * DAY);
      const anchored = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: p.id }],
        billing_cycle_anchor: FEB1,
        default_payment_method: pm,
        cancel_at: FEB1 + 40 * DAY,
      });
      assert.equal(anchored.billing_cycle_anchor, FEB1);
      assert.equal(anchored.items.data[0]!.current_period_end, FEB1);
      assert.equal(anchored.default_payment_method, pm);
      assert.equal(anchored.cancel_at, FEB1 + 40 * DAY);
      const first = await stripe.invoices.retrieve(anchored.latest_invoice as string);
      // Jan 11 → Feb 1 of the Jan 1 → Feb 1 period: 3100 × 21/31 = 2100
      assert.equal(first.amount_paid, 2100);
      await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], billing_cycle_anchor: FEB1 + 60 * DAY }), 400, 'billing_cycle_anchor');
    });

    test('update: items, metadata, tax_behavior refusal, events with previous_attributes', async () => {
      const { customer } = await payingCustomer();
      const a = await price(1000, { tax_behavior: 'exclusive' });
      const b = await price(1500, { tax_behavior: 'exclusive' });
      const c = await price(2000, { tax_behavior: 'inclusive' });
      const extra = await price(300, { tax_behavior: 'exclusive' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: a.id }] });
      const item = sub.items.data[0]!.id;
      await rejectsWith(stripe.subscriptions.update(sub.id, { items: [{ id: item, price: c.id }] }), 400, 'items[0][price]', /tax_behavior/);
      await rejectsWith(stripe.subscriptions.update(sub.id, { items: [{ id: 'si_nope', quantity: 2 }] }), 404, 'items[0][id]');
      await rejectsWith(stripe.subscriptions.update(sub.id, { items: [{ id: item, deleted: true }] }), 400, 'items');
      await rejectsWith(stripe.subscriptions.update(sub.id, { proration_date: 1 }), 400, 'proration_date');
      await rejectsWith(stripe.subscriptions.update(sub.id, { cancellation_details: { feedback: 'meh' as any } }), 400, 'cancellation_details[feedback]');
      const updated = await stripe.subscriptions.update(sub.id, {
        items: [{ id: item, price: b.id }, { price: extra.id, quantity: 2 }],
        metadata: { k: 'v' },
        proration_behavior: 'none',
      });
      assert.deepEqual(updated.items.data.map((i) => [i.price.id, i.quantity]), [[b.id, 1], [extra.id, 2]]);
      assert.deepEqual(updated.metadata, { k: 'v' });
      const ev = await lastEvent(sub.id, 'customer.subscription.updated');
      assert.deepEqual(ev.data.previous_attributes.metadata, { k: null });
      assert.equal(ev.data.previous_attributes.items.data[0].price.id, a.id);
      const removed = await stripe.subscriptions.update(sub.id, {
        items: [{ id: updated.items.data[1]!.id, deleted: true }],
        proration_behavior: 'none',
      });
      assert.deepEqual(removed.items.data.map((i) => i.price.id), [b.id]);
      await rejectsWith(stripe.subscriptions.resume(sub.id), 400, undefined, /paused/);
    });

    test('pause_collection is recorded; a renewal while paused is voided', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const { customer } = await payingCustomer('pm_card_visa', clock.id);
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      const paused = await stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' } });
      assert.deepEqual(paused.pause_collection, { behavior: 'void', resumes_at: null });
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB1 + 60 });
      await server.portico.clockWorker!.tick();
      const after = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(after.status, 'active');
      assert.equal((await stripe.invoices.retrieve(after.latest_invoice as string)).status, 'void');
      const resumed = await stripe.subscriptions.update(sub.id, { pause_collection: '' });
      assert.equal(resumed.pause_collection, null);
    });

    test('create_preview uses the same computation as the change (create_prorations → the next renewal)', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const { customer } = await payingCustomer('pm_card_visa', clock.id);
      const basic = await price(1000);
      const pro = await price(4000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN1 + 10 * DAY });
      await server.portico.clockWorker!.tick();
      const item = sub.items.data[0]!.id;
      const prorationDate = JAN1 + 10 * DAY;
      const preview = await stripe.invoices.createPreview({
        subscription: sub.id,
        subscription_details: { items: [{ id: item, price: pro.id }], proration_date: prorationDate },
      });
      assert.equal(preview.billing_reason, 'subscription_cycle');
      await stripe.subscriptions.update(sub.id, { items: [{ id: item, price: pro.id }], proration_date: prorationDate });
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB1 + 60 });
      await server.portico.clockWorker!.tick();
      const renewal = (await stripe.invoices.list({ subscription: sub.id })).data[0]!;
      const key = (i: Stripe.Invoice) => i.lines.data.map((l) => [l.amount, l.description, l.period.start, l.period.end]).sort();
      // −1000 × 21/31 = −677.42 → −677 ; 4000 × 21/31 = 2709.68 → 2710 ; + February at 4000 = 6033
      assert.deepEqual(key(preview), key(renewal));
      assert.equal(preview.total, 6033);
      assert.equal(renewal.total, 6033);
      await rejectsWith(stripe.invoices.createPreview({ subscription: 'sub_nope' }), 404, 'subscription');
    });

    test('cancel: events, refusals on an ended subscription, list filters', async () => {
      const { customer } = await payingCustomer();
      const p = await price(1000);
      const other = await price(2000);
      const keep = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: other.id }] });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      const canceled = await stripe.subscriptions.cancel(sub.id, { cancellation_details: { comment: 'done' } });
      assert.equal(canceled.status, 'canceled');
      assert.equal(canceled.ended_at, server.clock.now());
      assert.equal((await eventTypes(sub.id)).at(-1), 'customer.subscription.deleted');
      await rejectsWith(stripe.subscriptions.cancel(sub.id), 400, undefined);
      await rejectsWith(stripe.subscriptions.update(sub.id, { items: [{ price: other.id }] }), 400, 'items');
      const noted = await stripe.subscriptions.update(sub.id, { metadata: { why: 'price' } });
      assert.deepEqual(noted.metadata, { why: 'price' });
      const ids = async (params: Stripe.SubscriptionListParams) =>
        (await stripe.subscriptions.list({ customer: customer.id, ...params })).data.map((s) => s.id);
      assert.deepEqual(await ids({}), [keep.id]);
      assert.deepEqual(await ids({ status: 'all' }), [sub.id, keep.id]);
      assert.deepEqual(await ids({ status: 'ended' }), [sub.id]);
      assert.deepEqual(await ids({ status: 'canceled' }), [sub.id]);
      assert.deepEqual(await ids({ status: 'all', price: p.id }), [sub.id]);
      assert.deepEqual(await ids({ status: 'all', limit: 1 }), [sub.id]);
      assert.deepEqual(await ids({ status: 'all', limit: 1, starting_after: sub.id }), [keep.id]);
      await rejectsWith(stripe.subscriptions.list({ status: 'nope' as any }), 400, 'status');
      await rejectsWith(stripe.subscriptions.retrieve('sub_nope'), 404, 'id');
    });

    test('a coupon at its last redemption discounts the first invoice; renewals still succeed', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const { customer } = await payingCustomer('pm_card_visa', clock.id);
      const p = await price(1000);
      const coupon = await stripe.coupons.create({ percent_off: 50, duration: 'forever', max_redemptions: 1 });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], discounts: [{ coupon: coupon.id }] });
      const first = await stripe.invoices.retrieve(sub.latest_invoice as string);
      assert.equal(first.total, 500); // 1000 − 50 %
      assert.equal((await stripe.coupons.retrieve(coupon.id)).times_redeemed, 1);
      await rejectsWith(
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], discounts: [{ coupon: coupon.id }] }),
        400,
        'discounts[0][coupon]',
      );
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB1 + 60 });
      await server.portico.clockWorker!.tick();
      const renewal = (await stripe.invoices.list({ subscription: sub.id })).data[0]!;
      assert.equal(renewal.billing_reason, 'subscription_cycle');
      assert.equal(renewal.status, 'paid');
    });

    test('subscription items: list, retrieve, create, update with prorations, delete', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const { customer } = await payingCustomer('pm_card_visa', clock.id);
      const a = await price(1000);
      const b = await price(500);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: a.id }] });
      const first = sub.items.data[0]!;
      const listed = await stripe.subscriptionItems.list({ subscription: sub.id });
      assert.deepEqual(listed.data.map((i) => i.id), [first.id]);
      assert.equal((await stripe.subscriptionItems.retrieve(first.id)).price.id, a.id);
      const added = await stripe.subscriptionItems.create({ subscription: sub.id, price: b.id, quantity: 2, proration_behavior: 'none' });
      assert.equal(added.subscription, sub.id);
      assert.equal(added.quantity, 2);
      const changed = await stripe.subscriptionItems.update(first.id, { quantity: 3, proration_behavior: 'always_invoice' });
      assert.equal(changed.quantity, 3);
      const after = await stripe.subscriptions.retrieve(sub.id);
      const inv = await stripe.invoices.retrieve(after.latest_invoice as string);
      // at the very start of the period: −1000 (whole period unused) + 3000 = 2000, charged now
      assert.deepEqual(inv.lines.data.map((l) => l.amount), [-1000, 3000]);
      assert.equal(inv.amount_paid, 2000);
      await rejectsWith(stripe.subscriptionItems.update(first.id, { price: 'price_nope' }), 404, 'price');
      await rejectsWith(stripe.subscriptionItems.retrieve('si_nope'), 404, 'id');
      await rejectsWith(stripe.subscriptionItems.list({} as any), 400, 'subscription');
      const gone = await stripe.subscriptionItems.del(added.id, { proration_behavior: 'none' });
      assert.deepEqual(gone, { id: added.id, object: 'subscription_item', deleted: true });
      assert.deepEqual((await stripe.subscriptionItems.list({ subscription: sub.id })).data.map((i) => i.id), [first.id]);
      await rejectsWith(stripe.subscriptionItems.del(first.id), 400, 'price', /at least one/);
    });

    test('a trial can be extended; detaching the default payment method clears it', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const { customer, pm } = await payingCustomer('pm_card_visa', clock.id);
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], trial_period_days: 7, default_payment_method: pm });
      const extended = await stripe.subscriptions.update(sub.id, { trial_end: JAN1 + 20 * DAY });
      assert.equal(extended.trial_end, JAN1 + 20 * DAY);
      assert.equal(extended.billing_cycle_anchor, JAN1 + 20 * DAY);
      assert.equal(extended.items.data[0]!.current_period_end, JAN1 + 20 * DAY);
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN1 + 10 * DAY });
      await server.portico.clockWorker!.tick();
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'trialing');
      await stripe.paymentMethods.detach(pm);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).default_payment_method, null);
      await rejectsWith(stripe.subscriptions.update(sub.id, { trial_end: JAN1 }), 400, 'trial_end');
    });

    test('deleting a customer cancels its subscriptions', async () => {
      const { customer } = await payingCustomer();
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      await stripe.customers.del(customer.id);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'canceled');
    });
  });
}
