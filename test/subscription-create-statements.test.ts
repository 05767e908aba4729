/**
 * `POST /v1/subscriptions`, `POST /v1/subscriptions/:id` with `always_invoice` and `/pay` (issue 15): the
 * statements one request runs (besides BEGIN and COMMIT), counted through a wrapper around the
 * server's storage, must not grow back. A create was 17: the idempotency key (1), the customer locked,
 * its price, the product, its pending items locked, its tax IDs and its payment method (6, now 2: the
 * customer with the prices and products, then the rest once the customer's lock is held), the webhook
 * endpoints (1: no endpoint cache in this test server), the billing settings (1), the writes (6: the
 * objects, the customer's update, the billing period, the events, their deliveries, the NOTIFY), the
 * product's features (1, now in the second read) and the key's row (1). An always_invoice update to
 * another product was 19: its reads after the subscription's lock (the old and new prices and
 * products, the customer locked, its pending items, tax IDs and card, the products' features) are now
 * 2, as the create's. What those reads preloaded must be what the requests use: the customer's pending
 * item and tax ID, its default card (without which the invoice would stay open), the products'
 * features (none: no entitlements event; one: the event). A `/pay` that activates the subscription
 * was 15: the customer and the invoice are now locked in one statement, and the features check no
 * longer flushes the unit mid-request (which made the subscription be read again).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import { ManualClock } from '../src/lib/clock.ts';
import type { Storage } from '../src/storage/database.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { countingStorage } from './support/statement-counter.ts';

const CREATE_STATEMENTS = 12;
const ALWAYS_INVOICE_STATEMENTS = 12;
const PAY_STATEMENTS = 13;

for (const db of storageCases()) {
  describe(`subscription create, always_invoice and pay statements (${db.name})`, () => {
    let storage: Storage;
    let counting: ReturnType<typeof countingStorage>;
    let server: TestServer;
    let stripe: Stripe;
    let price: Stripe.Price;
    let dear: Stripe.Price;
    let pro: Stripe.Price;

    before(async () => {
      storage = await db.open();
      counting = countingStorage(storage);
      server = await startTestServer({ storage: counting.storage, clock: new ManualClock(1_901_232_000) });
      stripe = server.stripe;
      await stripe.webhookEndpoints.create({ url: 'https://hooks.example.com/portico', enabled_events: ['*'] });
      price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Basic' } });
      dear = await stripe.prices.create({ currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' }, product_data: { name: 'Plus' } });
      pro = await stripe.prices.create({ currency: 'usd', unit_amount: 5000, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
      const feature = await stripe.entitlements.features.create({ name: 'Reports', lookup_key: 'reports' });
      await stripe.products.createFeature(pro.product as string, { entitlement_feature: feature.id });
    });
    after(async () => {
      await server?.close();
      await storage?.close();
    });

    test(`a pay runs at most ${PAY_STATEMENTS} statements`, async () => {
      const customer = await stripe.customers.create({ email: 'pay@example.com' });
      const declining = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: declining.id } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'allow_incomplete' });
      assert.equal(sub.status, 'incomplete');
      const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
      let paid: Stripe.Invoice | undefined;
      const statements = await counting.record(async () => {
        paid = await stripe.invoices.pay(sub.latest_invoice as string);
      });
      assert.ok(statements.length <= PAY_STATEMENTS, `${statements.length} statements (at most ${PAY_STATEMENTS}):\n${statements.join('\n')}`);
      assert.equal(paid!.status, 'paid');
      assert.equal(paid!.amount_paid, 1000);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
    });

    test(`a create runs at most ${CREATE_STATEMENTS} statements, an always_invoice update ${ALWAYS_INVOICE_STATEMENTS}; the invoices use what was preloaded`, async () => {
      const customer = await stripe.customers.create({ email: 'statements@example.com' });
      const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
      await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'DE123456789' });
      const pending = await stripe.invoiceItems.create({ customer: customer.id, amount: 250, currency: 'usd', description: 'Setup' });

      let sub: Stripe.Subscription | undefined;
      const created = await counting.record(async () => {
        sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] }, { idempotencyKey: `create-${customer.id}` });
      });
      assert.ok(created.length <= CREATE_STATEMENTS, `${created.length} statements (at most ${CREATE_STATEMENTS}):\n${created.join('\n')}`);
      assert.equal(sub!.status, 'active');
      const first = await stripe.invoices.retrieve(sub!.latest_invoice as string);
      assert.equal(first.status, 'paid', 'charged to the default card (preloaded)');
      assert.equal(first.amount_paid, 1250, 'the plan and the pending item');
      assert.deepEqual(first.customer_tax_ids?.map((t) => t.value), ['DE123456789']);
      assert.equal((await stripe.invoiceItems.retrieve(pending.id)).invoice, first.id);

      let updated: Stripe.Subscription | undefined;
      const changed = await counting.record(async () => {
        updated = await stripe.subscriptions.update(sub!.id, { items: [{ id: sub!.items.data[0]!.id, price: dear.id }], proration_behavior: 'always_invoice' });
      });
      assert.ok(changed.length <= ALWAYS_INVOICE_STATEMENTS, `${changed.length} statements (at most ${ALWAYS_INVOICE_STATEMENTS}):\n${changed.join('\n')}`);
      const proration = await stripe.invoices.retrieve(updated!.latest_invoice as string);
      assert.notEqual(proration.id, first.id);
      assert.equal(proration.status, 'paid');
      assert.equal(proration.amount_paid, 2000, 'a month of Plus less the unused month of Basic');
      assert.deepEqual(proration.customer_tax_ids?.map((t) => t.value), ['DE123456789']);
      const summaryType = 'entitlements.active_entitlement_summary.updated';
      assert.equal((await stripe.events.list({ type: summaryType })).data.length, 0, 'Basic and Plus have no feature');

      // Pro has one: the change to Pro entitles the customer to it.
      await stripe.subscriptions.update(sub!.id, { items: [{ id: updated!.items.data[0]!.id, price: pro.id }], proration_behavior: 'always_invoice' });
      const summaries = (await stripe.events.list({ type: summaryType, limit: 10 })).data;
      assert.equal(summaries.length, 1);
      const summary = summaries[0]!.data.object as unknown as { customer: string; entitlements: { data: { lookup_key: string }[] } };
      assert.equal(summary.customer, customer.id);
      assert.deepEqual(summary.entitlements.data.map((e) => e.lookup_key), ['reports']);
    });
  });
}
