/**
 * Customer balance transactions and the customer fields of issue 13 through the SDK: a credit
 * balance consumed by two invoices (cents worked out beside each assertion), the transaction log
 * that explains every change of `balance`, its events, and `expand[]` of subscriptions, sources and tax.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import { objectEvents, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

for (const db of storageCases()) {
  describe(`customer balance on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function invoiceFor(customer: string, amount: number): Promise<Stripe.Invoice> {
      await stripe.invoiceItems.create({ customer, amount, currency: 'usd', description: 'Consulting' });
      const draft = await stripe.invoices.create({ customer, pending_invoice_items_behavior: 'include', auto_advance: false });
      return stripe.invoices.finalizeInvoice(draft.id);
    }

    test('a $15.00 credit is consumed by two $10.00 invoices', async () => {
      const customer = await stripe.customers.create({ email: 'credit@example.com' });
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const credit = await stripe.customers.createBalanceTransaction(customer.id, { amount: -1500, currency: 'usd', description: 'Goodwill', metadata: { ticket: '42' } });
      assert.match(credit.id, /^cbtxn_/);
      assert.equal(credit.object, 'customer_balance_transaction');
      assert.equal(credit.type, 'adjustment');
      assert.equal(credit.ending_balance, -1500);
      const after = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
      assert.equal(after.balance, -1500);
      assert.equal(after.currency, 'usd');

      // First: 1000 due, all of it from the credit: amount_due 0, 500 of credit left.
      const first = await invoiceFor(customer.id, 1000);
      assert.equal(first.total, 1000);
      assert.equal(first.starting_balance, -1500);
      assert.equal(first.ending_balance, -500);
      assert.equal(first.amount_due, 0);
      assert.equal(first.status, 'paid');
      // Second: 1000 − the 500 left = 500 due, charged to the card; the balance is 0.
      const second = await invoiceFor(customer.id, 1000);
      assert.equal(second.starting_balance, -500);
      assert.equal(second.ending_balance, 0);
      assert.equal(second.amount_due, 500);
      const paid = await stripe.invoices.pay(second.id);
      assert.equal(paid.amount_paid, 500);
      assert.equal(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance, 0);

      const log = (await stripe.customers.listBalanceTransactions(customer.id)).data.reverse();
      assert.deepEqual(log.map((t) => [t.type, t.amount, t.ending_balance, t.invoice]), [
        ['adjustment', -1500, -1500, null],
        ['applied_to_invoice', 1000, -500, first.id],
        ['applied_to_invoice', 500, 0, second.id],
      ]);
      assert.deepEqual(ids((await stripe.customers.listBalanceTransactions(customer.id, { invoice: second.id })).data), [log[2]!.id]);
      // Every change of balance is a customer.updated with the old balance.
      const balances = (await objectEvents(server, customer.id)).filter((e) => e.data.previous_attributes?.balance !== undefined);
      assert.deepEqual(balances.map((e) => [e.data.previous_attributes.balance, e.data.object.balance]), [[0, -1500], [-1500, -500], [-500, 0]]);
    });

    test('a voided invoice gives its credit back; balance set on the customer is logged too', async () => {
      const customer = await stripe.customers.create({ balance: -800 });
      const initial = (await stripe.customers.listBalanceTransactions(customer.id)).data;
      assert.deepEqual(initial.map((t) => [t.type, t.amount, t.ending_balance]), [['initial', -800, -800]]);
      // 1000 − 800 of credit = 200 due; the invoice stays open (no payment method), then is voided.
      const inv = await invoiceFor(customer.id, 1000);
      assert.equal(inv.amount_due, 200);
      assert.equal(inv.status, 'open');
      await stripe.invoices.voidInvoice(inv.id);
      assert.equal(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance, -800);
      await stripe.customers.update(customer.id, { balance: 250 });
      const log = (await stripe.customers.listBalanceTransactions(customer.id)).data.reverse();
      assert.deepEqual(log.map((t) => [t.type, t.amount, t.ending_balance]), [
        ['initial', -800, -800],
        ['applied_to_invoice', 800, 0],
        ['unapplied_from_invoice', -800, -800],
        ['adjustment', 1050, 250],
      ]);
    });

    test('retrieve, update and errors; idempotent creation', async () => {
      const customer = await stripe.customers.create();
      const other = await stripe.customers.create();
      const txn = await stripe.customers.createBalanceTransaction(customer.id, { amount: 700, currency: 'usd' }, { idempotencyKey: `bt-${db.name}` });
      const again = await stripe.customers.createBalanceTransaction(customer.id, { amount: 700, currency: 'usd' }, { idempotencyKey: `bt-${db.name}` });
      assert.equal(again.id, txn.id);
      assert.equal(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance, 700);
      const updated = await stripe.customers.updateBalanceTransaction(customer.id, txn.id, { description: 'Late fee', metadata: { a: '1' } });
      assert.equal(updated.description, 'Late fee');
      assert.equal(updated.amount, 700);
      assert.deepEqual((await stripe.customers.retrieveBalanceTransaction(customer.id, txn.id, { expand: ['customer'] })).customer, await stripe.customers.retrieve(customer.id).then(({ lastResponse, ...c }) => c));
      await fails(stripe.customers.retrieveBalanceTransaction(other.id, txn.id), { status: 404 });
      await fails(stripe.customers.createBalanceTransaction(customer.id, { amount: 5, currency: 'eur' }), { status: 400, param: 'currency' });
      await fails(stripe.customers.createBalanceTransaction(customer.id, { amount: 0, currency: 'usd' }), { status: 400, param: 'amount' });
      await fails(stripe.customers.createBalanceTransaction(customer.id, { currency: 'usd' } as any), { status: 400, param: 'amount', code: 'parameter_missing' });
      await fails(stripe.customers.createBalanceTransaction('cus_nope', { amount: 5, currency: 'usd' }), { status: 404, param: 'customer' });
      await fails(stripe.customers.updateBalanceTransaction(customer.id, txn.id, { amount: 5 } as any), { status: 400, param: 'amount' });
    });

    test('business_name, individual_name, tax, and expand[] subscriptions, sources, tax, invoice_credit_balance', async () => {
      const c = await stripe.customers.create({
        business_name: 'Rocket Rides',
        individual_name: 'Jenny Rosen',
        address: { country: 'FR', city: 'Paris' },
        tax: { ip_address: '203.0.113.9', validate_location: 'immediately' },
      });
      assert.equal(c.business_name, 'Rocket Rides');
      assert.equal(c.individual_name, 'Jenny Rosen');
      const unset = await stripe.customers.update(c.id, { business_name: '' });
      assert.equal('business_name' in unset, false);
      const expanded = await stripe.customers.retrieve(c.id, { expand: ['tax', 'sources', 'subscriptions', 'invoice_credit_balance'] }) as Stripe.Customer;
      assert.deepEqual(expanded.tax, { automatic_tax: 'not_collecting', ip_address: '203.0.113.9', location: { country: 'FR', source: 'billing_address', state: null }, provider: 'stripe' });
      assert.deepEqual(expanded.sources, { object: 'list', data: [], has_more: false, url: `/v1/customers/${c.id}/sources` });
      assert.deepEqual(expanded.subscriptions?.data, []);
      assert.deepEqual(expanded.invoice_credit_balance, {});
      await fails(stripe.customers.create({ tax: { validate_location: 'immediately' } }), { status: 400, param: 'tax[validate_location]', code: 'customer_tax_location_invalid' });
      await fails(stripe.customers.create({ address: { country: 'US' }, tax: { validate_location: 'immediately' } }), { status: 400, param: 'tax[validate_location]' });
      await fails(stripe.customers.create({ tax: { ip_address: 'not an ip' } }), { status: 400, param: 'tax[ip_address]' });
      // Sources and cash balance settings are real now (test/customer-sources.test.ts): an unknown card is missing.
      await fails(stripe.customers.update(c.id, { default_source: 'card_1' }), { status: 404, param: 'default_source', code: 'resource_missing' });

      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Plan' } });
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
      await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: pm.id } });
      const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
      const withSubs = await stripe.customers.list({ email: undefined, limit: 1, expand: ['data.subscriptions'] });
      assert.deepEqual(withSubs.data[0]!.subscriptions?.data.map((s) => s.id), [sub.id]);
    });
  });
}

const ids = (objects: { id: string }[]) => objects.map((o) => o.id);
