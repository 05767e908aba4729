/**
 * `payment_behavior=pending_if_incomplete` on test clocks, on every database: a change whose payment
 * fails is held in `pending_update` until its invoice is paid (applied) or 23 hours pass (expired).
 * One 31-day January period is 2,678,400 s; from Jan 16 to Feb 1 remains 16 days: a share of 16/31.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import type { TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, useTestServer } from './support/suite.ts';

const HOUR = 3600;
const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const JAN16 = 1_800_057_600; // 2027-01-16T00:00:00Z
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z

type AnyEvent = { type: string; data: { object: any; previous_attributes?: any } };

for (const db of storageCases()) {
  describe(`pending updates on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const price = (unit: number, name: string) =>
      stripe.prices.create({ currency: 'usd', unit_amount: unit, recurring: { interval: 'month' }, product_data: { name } });

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    async function events(id: string, type?: string): Promise<AnyEvent[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as AnyEvent).filter((e) => e.data.object.id === id && (type === undefined || e.type === type));
    }

    const invoices = async (subscription: string) => (await stripe.invoices.list({ subscription, limit: 100 })).data.reverse();

    /**
     * Basic ($10.00/month) paid on Jan 1 with the customer's visa; on Jan 16 the subscription's own
     * default payment method becomes a card that declines.
     */
    async function basicOnJan16() {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const customer = await stripe.customers.create({ test_clock: clock.id });
      const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
      const basic = await price(1000, 'Basic');
      const pro = await price(3000, 'Pro');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }], metadata: { plan: 'basic' } });
      await advance(clock.id, JAN16);
      const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
      await stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });
      return { clock, customer, sub, basic, pro, item: sub.items.data[0]!.id };
    }

    test('a refused upgrade is held in pending_update and applied when its invoice is paid', async () => {
      const { clock, sub, basic, pro, item } = await basicOnJan16();
      const held = await stripe.subscriptions.update(sub.id, {
        items: [{ id: item, price: pro.id }],
        proration_behavior: 'always_invoice',
        payment_behavior: 'pending_if_incomplete',
        metadata: { plan: 'pro' },
      });
      // Nothing changed but latest_invoice and pending_update.
      assert.equal(held.status, 'active');
      assert.equal(held.items.data[0]!.price.id, basic.id);
      assert.deepEqual(held.metadata, { plan: 'basic' });
      assert.ok(held.pending_update);
      assert.equal(held.pending_update.expires_at, JAN16 + 23 * HOUR);
      assert.equal(held.pending_update.subscription_items![0]!.id, item);
      assert.equal(held.pending_update.subscription_items![0]!.price.id, pro.id);
      assert.deepEqual(held.pending_update.metadata, { plan: 'pro' });
      assert.equal(held.pending_update.billing_cycle_anchor, null);
      assert.equal(held.pending_update.trial_end, null);
      const inv = await stripe.invoices.retrieve(held.latest_invoice as string);
      // −1000 × 16/31 = −516.13 → −516 ; 3000 × 16/31 = 1548.39 → 1548 ; 1032 due, refused once
      assert.deepEqual(inv.lines.data.map((l) => l.amount), [-516, 1548]);
      assert.deepEqual([inv.status, inv.amount_remaining, inv.attempt_count], ['open', 1032, 1]);
      const heldEvent = (await events(sub.id, 'customer.subscription.updated')).at(-1)!;
      assert.equal(heldEvent.data.previous_attributes.pending_update, null);
      assert.equal(heldEvent.data.previous_attributes.items, undefined);

      await stripe.invoices.pay(inv.id, { payment_method: 'pm_card_visa' });
      const applied = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(applied.pending_update, null);
      assert.equal(applied.items.data[0]!.price.id, pro.id);
      assert.deepEqual(applied.metadata, { plan: 'pro' });
      assert.equal((await events(sub.id, 'customer.subscription.pending_update_applied')).length, 1);
      const appliedEvent = (await events(sub.id, 'customer.subscription.updated')).at(-1)!;
      assert.equal(appliedEvent.data.previous_attributes.items.data[0].price.id, basic.id);
      assert.equal(appliedEvent.data.previous_attributes.pending_update.expires_at, JAN16 + 23 * HOUR);
      // The renewal bills Pro (3000); the prorations went with the update's invoice.
      await stripe.subscriptions.update(sub.id, { default_payment_method: '' });
      await advance(clock.id, FEB1 + 60);
      const renewal = (await invoices(sub.id)).at(-1)!;
      assert.deepEqual([renewal.billing_reason, renewal.total, renewal.amount_paid], ['subscription_cycle', 3000, 3000]);
    });

    test('an unpaid pending update expires after 23 hours: discarded, its invoice voided', async () => {
      const { clock, sub, basic, pro, item } = await basicOnJan16();
      const held = await stripe.subscriptions.update(sub.id, {
        items: [{ id: item, price: pro.id }],
        proration_behavior: 'always_invoice',
        payment_behavior: 'pending_if_incomplete',
      });
      await advance(clock.id, JAN16 + 23 * HOUR - 60);
      assert.notEqual((await stripe.subscriptions.retrieve(sub.id)).pending_update, null);
      await advance(clock.id, JAN16 + 23 * HOUR + 60);
      const expired = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(expired.pending_update, null);
      assert.equal(expired.items.data[0]!.price.id, basic.id);
      assert.equal(expired.status, 'active');
      assert.equal((await stripe.invoices.retrieve(held.latest_invoice as string)).status, 'void');
      const ev = await events(sub.id, 'customer.subscription.pending_update_expired');
      assert.equal(ev.length, 1);
      assert.equal(ev[0]!.data.object.pending_update, null);
      assert.equal((await events(sub.id, 'customer.subscription.updated')).at(-1)!.data.previous_attributes.pending_update.expires_at, JAN16 + 23 * HOUR);
      await assert.rejects(stripe.invoices.pay(held.latest_invoice as string, { payment_method: 'pm_card_visa' }));
      // The renewal bills Basic alone (1000): the change never happened.
      await stripe.subscriptions.update(sub.id, { default_payment_method: '' });
      await advance(clock.id, FEB1 + 60);
      assert.equal((await invoices(sub.id)).at(-1)!.total, 1000);
    });

    test('a pending update made 10 hours before the period end expires at the period end', async () => {
      const { clock, sub, basic, pro, item } = await basicOnJan16();
      await advance(clock.id, FEB1 - 10 * HOUR);
      const held = await stripe.subscriptions.update(sub.id, {
        items: [{ id: item, price: pro.id }],
        proration_behavior: 'always_invoice',
        payment_behavior: 'pending_if_incomplete',
      });
      // The period ends before 23 hours pass: Stripe expires the update then.
      assert.equal(held.pending_update!.expires_at, FEB1);
      await advance(clock.id, FEB1 + 60);
      const renewed = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(renewed.pending_update, null);
      assert.equal(renewed.items.data[0]!.price.id, basic.id);
      assert.equal((await stripe.invoices.retrieve(held.latest_invoice as string)).status, 'void');
      assert.equal((await events(sub.id, 'customer.subscription.pending_update_expired')).length, 1);
      // The Feb 1 renewal bills Basic alone (1000): the change never happened.
      const renewal = (await invoices(sub.id)).at(-1)!;
      assert.deepEqual([renewal.billing_reason, renewal.total], ['subscription_cycle', 1000]);
    });

    test('paid at once or invoicing nothing now, the change applies as usual', async () => {
      const { sub, pro, item, customer } = await basicOnJan16();
      // create_prorations invoices nothing now: applied at once, prorations pending
      const applied = await stripe.subscriptions.update(sub.id, { items: [{ id: item, price: pro.id }], payment_behavior: 'pending_if_incomplete' });
      assert.equal(applied.items.data[0]!.price.id, pro.id);
      assert.equal(applied.pending_update, null);
      assert.deepEqual((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.map((i) => i.amount).sort((a, b) => a - b), [-516, 1548]);
      // with a card that pays, always_invoice applies and charges: Pro → Basic, −1548 + 516 = −1032 (credit)
      await stripe.subscriptions.update(sub.id, { default_payment_method: '' });
      const back = await stripe.subscriptions.update(sub.id, {
        items: [{ id: item, price: (await price(1000, 'Basic again')).id }],
        proration_behavior: 'always_invoice',
        payment_behavior: 'pending_if_incomplete',
      });
      assert.equal(back.pending_update, null);
      assert.equal(back.items.data[0]!.price.unit_amount, 1000);
    });

    test('the subscription item endpoint holds a refused change the same way', async () => {
      const { sub, basic, pro, item } = await basicOnJan16();
      const changed = await stripe.subscriptionItems.update(item, {
        price: pro.id,
        proration_behavior: 'always_invoice',
        payment_behavior: 'pending_if_incomplete',
      });
      // the item as it still is (Basic); the change waits in the subscription's pending_update
      assert.equal(changed.price.id, basic.id);
      const held = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(held.pending_update?.subscription_items?.[0]?.price.id, pro.id);
      assert.equal((await stripe.invoices.retrieve(held.latest_invoice as string)).amount_remaining, 1032); // −516 + 1548
      await fails(
        stripe.subscriptionItems.update(item, { price: pro.id, tax_rates: ['txr_nope'], payment_behavior: 'pending_if_incomplete' }),
        { status: 400, param: 'tax_rates' },
      );
    });

    test('only the parameters of pending updates are accepted', async () => {
      const { sub, pro, item } = await basicOnJan16();
      const pending = { payment_behavior: 'pending_if_incomplete' as const };
      await fails(stripe.subscriptions.update(sub.id, { ...pending, cancel_at_period_end: true }), { status: 400, param: 'cancel_at_period_end', message: /pending_if_incomplete/ });
      await fails(stripe.subscriptions.update(sub.id, { ...pending, description: 'x' }), { status: 400, param: 'description' });
      await fails(
        stripe.subscriptions.update(sub.id, { ...pending, items: [{ id: item, price: pro.id, tax_rates: ['txr_nope'] }] }),
        { status: 400, param: 'items[0][tax_rates]' },
      );
      await fails(stripe.subscriptions.update(sub.id, { payment_behavior: 'sometimes' as any }), { status: 400, param: 'payment_behavior' });
      const unchanged = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(unchanged.cancel_at_period_end, false);
      assert.equal(unchanged.description, null);
      const customer = await stripe.customers.create();
      await fails(
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }], payment_behavior: 'pending_if_incomplete' }),
        { status: 400, param: 'payment_behavior', message: /only used with updates/ },
      );
      const sent = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }], collection_method: 'send_invoice', days_until_due: 30 });
      await fails(
        stripe.subscriptions.update(sent.id, { ...pending, items: [{ id: sent.items.data[0]!.id, quantity: 2 }], proration_behavior: 'always_invoice' }),
        { status: 400, param: 'payment_behavior', message: /send_invoice/ },
      );
    });
  });
}
