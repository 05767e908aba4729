/**
 * API writes through a unit of work (api/router.ts `unitOfWork`: `POST /v1/subscriptions`,
 * `POST /v1/subscriptions/:id`, `POST /v1/invoices/:id/pay`), on every database: a query other than by
 * id later in the same request sees what the request wrote earlier (the unit's settle rule), what is
 * stored equals what the answer and the events say, and a request that fails leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import { useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

for (const db of storageCases()) {
  describe(`API writes through the unit of work on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function payingCustomer(pm = 'pm_card_visa') {
      const customer = await stripe.customers.create({ email: 'u@example.com' });
      const attached = await stripe.paymentMethods.attach(pm, { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
      return customer;
    }

    const storedRows = (customer: string) =>
      server.portico.storage.db.selectFrom('objects').select(['id', 'object', 'data']).where('customer', '=', customer).orderBy('seq').execute();
    const storedEvents = async () =>
      (await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute()).map((r) => r.data as any);

    test('always_invoice: the proration items the request wrote are on the invoice it made (a query of pending items, same request)', async () => {
      const customer = await payingCustomer();
      const cheap = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Cheap' } });
      const dear = await stripe.prices.create({ currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' }, product_data: { name: 'Dear' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: cheap.id }] });
      const eventsBefore = (await storedEvents()).length;

      const updated = await stripe.subscriptions.update(sub.id, {
        items: [{ id: sub.items.data[0]!.id, price: dear.id }],
        proration_behavior: 'always_invoice',
      });
      const invoice = await stripe.invoices.retrieve(updated.latest_invoice as string);
      assert.notEqual(invoice.id, sub.latest_invoice, 'a new invoice for the proration');
      assert.equal(invoice.status, 'paid');
      // The proration items were buffered in the unit when the invoice listed the customer's pending
      // items: both are on it (credit for the unused cheap time, charge for the dear), none left pending.
      const lines = (await stripe.invoices.listLineItems(invoice.id, { limit: 10 })).data;
      assert.equal(lines.length, 2);
      assert.deepEqual(lines.map((l) => Math.sign(l.amount)).sort(), [-1, 1]);
      assert.equal(invoice.amount_paid, 2000);
      const items = await stripe.invoiceItems.list({ customer: customer.id, limit: 10 });
      assert.equal(items.data.length, 2);
      for (const item of items.data) assert.equal(item.invoice, invoice.id);
      assert.equal((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.length, 0);

      // Stored rows are what the answers say, and the request's events went out in the order made.
      const rows = await storedRows(customer.id);
      const storedSub = rows.find((r) => r.id === sub.id)!.data as any;
      assert.equal(storedSub.items.data[0].price.id, dear.id);
      assert.equal(storedSub.latest_invoice, invoice.id);
      const types = (await storedEvents()).slice(eventsBefore).map((e) => e.type);
      assert.deepEqual(types.filter((t) => t.startsWith('invoiceitem.')), ['invoiceitem.created', 'invoiceitem.created']);
      assert.ok(types.indexOf('invoiceitem.created') < types.indexOf('invoice.created'), types.join(' '));
      assert.ok(types.indexOf('invoice.created') < types.indexOf('invoice.finalized'), types.join(' '));
      assert.ok(types.indexOf('invoice.finalized') < types.indexOf('invoice.paid'), types.join(' '));
      assert.ok(types.includes('customer.subscription.updated'));
      for (const e of (await storedEvents()).slice(eventsBefore)) assert.equal(e.request.id !== null, true, 'every event names the request');
    });

    test('a declined card with error_if_incomplete leaves no object, event, period or key behind; the key replays the error', async () => {
      const customer = await payingCustomer('pm_card_chargeCustomerFail');
      const p = await stripe.prices.create({ currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Declined' } });
      const rowsBefore = await storedRows(customer.id);
      const eventsBefore = (await storedEvents()).length;
      const periodsBefore = (await server.portico.storage.db.selectFrom('billing_periods').selectAll().execute()).length;
      const create = () =>
        stripe.subscriptions.create(
          { customer: customer.id, items: [{ price: p.id }], payment_behavior: 'error_if_incomplete' },
          { idempotencyKey: `declined-${customer.id}` },
        );
      const first = await create().then(
        () => assert.fail('the create should fail'),
        (err: any) => err,
      );
      assert.equal(first.statusCode, 402);
      assert.equal(first.raw?.code, 'card_declined');
      assert.deepEqual(await storedRows(customer.id), rowsBefore, 'no subscription, invoice or payment written');
      assert.equal((await storedEvents()).length, eventsBefore, 'no event written');
      assert.equal((await server.portico.storage.db.selectFrom('billing_periods').selectAll().execute()).length, periodsBefore);
      assert.equal((await stripe.subscriptions.list({ customer: customer.id })).data.length, 0);
      assert.equal((await stripe.invoices.list({ customer: customer.id })).data.length, 0);
      const again = await create().then(
        () => assert.fail('the replay should fail'),
        (err: any) => err,
      );
      assert.equal(again.statusCode, 402);
      assert.equal(again.headers?.['idempotent-replayed'], 'true');
      assert.equal((await storedEvents()).length, eventsBefore);
    });

    test('a failed pay keeps the attempt (committed with its events), and a paying retry activates the subscription', async () => {
      const customer = await payingCustomer('pm_card_chargeCustomerFail');
      const p = await stripe.prices.create({ currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Retry' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], payment_behavior: 'allow_incomplete' });
      assert.equal(sub.status, 'incomplete');
      const invoiceId = sub.latest_invoice as string;
      await assert.rejects(stripe.invoices.pay(invoiceId), (err: any) => err.statusCode === 402);
      const failed = await stripe.invoices.retrieve(invoiceId);
      assert.equal(failed.status, 'open');
      assert.equal(failed.attempt_count, 2, 'the failed attempt was kept');
      const good = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      const paid = await stripe.invoices.pay(invoiceId, { payment_method: good.id });
      assert.equal(paid.status, 'paid');
      // The paid hook found the subscription through the unit (locked, SKIP LOCKED) and activated it.
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
      const stored = (await storedRows(customer.id)).find((r) => r.id === invoiceId)!.data as any;
      assert.equal(stored.status, 'paid');
      const types = (await storedEvents()).filter((e) => e.data.object.id === sub.id).map((e) => e.type);
      assert.equal(types.at(-1), 'customer.subscription.updated');
    });
  });
}
