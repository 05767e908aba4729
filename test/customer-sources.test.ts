/**
 * Legacy card sources and the cash balance through the official SDK, on every database (issue 13):
 * `tok_…` cards added, listed, retrieved, updated and deleted as `card` objects that are payment methods
 * underneath; `default_source` (first card, promotion on delete, `source` on customer update replacing
 * it) and the charge order of billing (invoice, subscription, then the customer's default_source);
 * ownership errors; `customer.source.*` events; a new `source` retrying a past_due invoice; and the
 * honestly empty cash balance.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, objectEvents, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

for (const db of storageCases()) {
  describe(`customer sources and cash balance on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const customerOf = async (id: string) => (await stripe.customers.retrieve(id)) as Stripe.Customer;
    const asCard = (s: Stripe.CustomerSource) => s as Stripe.Card;

    test('a tok_visa card: created, listed, retrieved, updated, verified (refused) and deleted, with its events', async () => {
      const c = await stripe.customers.create({ email: 'sources@example.com' });
      const visa = asCard(await stripe.customers.createSource(c.id, { source: 'tok_visa', metadata: { from: 'legacy' } }));
      assert.match(visa.id, /^card_/);
      assert.equal(visa.object, 'card');
      assert.equal(visa.brand, 'Visa');
      assert.equal(visa.last4, '4242');
      assert.equal(visa.funding, 'credit');
      assert.equal(visa.country, 'US');
      assert.equal(visa.customer, c.id);
      assert.equal(visa.cvc_check, 'pass');
      assert.equal(visa.name, null);
      assert.deepEqual(visa.metadata, { from: 'legacy' });
      // The first card becomes the default source; the second leaves it alone.
      assert.equal((await customerOf(c.id)).default_source, visa.id);
      const mc = asCard(await stripe.customers.createSource(c.id, { source: 'tok_mastercard' }));
      assert.equal(mc.brand, 'MasterCard');
      assert.equal((await customerOf(c.id)).default_source, visa.id);

      const all = await stripe.customers.listSources(c.id);
      assert.deepEqual(all.data.map((s) => s.id), [mc.id, visa.id]);
      assert.equal(all.url, `/v1/customers/${c.id}/sources`);
      assert.deepEqual((await stripe.customers.listSources(c.id, { object: 'card' })).data.map((s) => s.id), [mc.id, visa.id]);
      assert.deepEqual((await stripe.customers.listSources(c.id, { object: 'bank_account' })).data, []);
      const page = await stripe.customers.listSources(c.id, { limit: 1 });
      assert.equal(page.has_more, true);
      assert.deepEqual((await stripe.customers.listSources(c.id, { limit: 1, starting_after: page.data[0]!.id })).data.map((s) => s.id), [visa.id]);
      // One thing underneath: the PaymentMethods API sees the same cards.
      const pms = await stripe.paymentMethods.list({ customer: c.id });
      assert.deepEqual(pms.data.map((p) => p.id), [mc.id, visa.id]);
      const asPm = await stripe.paymentMethods.retrieve(visa.id);
      assert.equal(asPm.object, 'payment_method');
      assert.equal(asPm.card?.last4, '4242');
      assert.equal(asPm.customer, c.id);

      assert.deepEqual(await stripe.customers.retrieveSource(c.id, visa.id).then((s) => ({ ...s, lastResponse: undefined })), { ...visa, lastResponse: undefined });
      const updated = asCard(
        await stripe.customers.updateSource(c.id, visa.id, { name: 'Jenny Rosen', address_zip: '94107', address_country: 'US', exp_month: '4', exp_year: '2040', metadata: { from: '' } }),
      );
      assert.equal(updated.name, 'Jenny Rosen');
      assert.equal(updated.address_zip, '94107');
      assert.equal(updated.address_country, 'US');
      assert.equal(updated.exp_month, 4);
      assert.equal(updated.exp_year, 2040);
      assert.deepEqual(updated.metadata, {});
      const pmAfter = await stripe.paymentMethods.retrieve(visa.id);
      assert.equal(pmAfter.billing_details.name, 'Jenny Rosen');
      assert.equal(pmAfter.billing_details.address?.postal_code, '94107');
      assert.equal(pmAfter.card?.exp_year, 2040);
      await fails(stripe.customers.updateSource(c.id, visa.id, { exp_year: '1999' }), { status: 402, param: 'exp_year', code: 'invalid_expiry_year' });
      await fails(stripe.customers.updateSource(c.id, visa.id, { account_holder_name: 'x' }), { status: 400, param: 'account_holder_name', code: 'parameter_unsupported' });
      await fails(stripe.customers.verifySource(c.id, visa.id, { amounts: [32, 45] }), { status: 400, message: /only bank account sources can be verified/ });

      const [created, changed] = await objectEvents(server, visa.id);
      assert.equal(created?.type, 'customer.source.created');
      assert.equal(created?.data.object.object, 'card');
      assert.equal(changed?.type, 'customer.source.updated');
      assert.equal(changed?.data.previous_attributes.name, null);
      assert.equal(changed?.data.previous_attributes.address_zip, null);
      const customerEvents = await objectEvents(server, c.id);
      const defaultSet = customerEvents.find((e) => e.type === 'customer.updated');
      assert.equal(defaultSet?.data.previous_attributes.default_source, null);
      assert.equal(defaultSet?.data.object.default_source, visa.id);

      // Deleting the default promotes the most recently added remaining source; the last leaves null.
      const deleted = await stripe.customers.deleteSource(c.id, visa.id);
      assert.deepEqual({ id: deleted.id, object: deleted.object, deleted: (deleted as Stripe.DeletedCard).deleted }, { id: visa.id, object: 'card', deleted: true });
      assert.equal((await customerOf(c.id)).default_source, mc.id);
      await fails(stripe.customers.retrieveSource(c.id, visa.id), { status: 404, code: 'resource_missing', message: `No such source: '${visa.id}'` });
      await fails(stripe.customers.deleteSource(c.id, visa.id), { status: 404, code: 'resource_missing' });
      assert.deepEqual((await stripe.paymentMethods.list({ customer: c.id })).data.map((p) => p.id), [mc.id]);
      const visaEvents = (await objectEvents(server, visa.id)).map((e) => e.type);
      assert.deepEqual(visaEvents, ['customer.source.created', 'customer.source.updated', 'customer.source.deleted']);
      await stripe.customers.deleteSource(c.id, mc.id);
      assert.equal((await customerOf(c.id)).default_source, null);
      assert.deepEqual((await stripe.customers.listSources(c.id)).data, []);
    });

    test('customers: source and validate on create and update, default_source, expand', async () => {
      const c = await stripe.customers.create({ email: 'legacy@example.com', source: 'tok_visa' });
      assert.match(String(c.default_source), /^card_/);
      const created = (await objectEvents(server, c.id)).find((e) => e.type === 'customer.created');
      assert.equal(created?.data.object.default_source, c.default_source);
      const first = String(c.default_source);

      // update with `source`: the new card becomes the default and the former default is deleted.
      const updated = await stripe.customers.update(c.id, { source: 'tok_amex' });
      const amex = String(updated.default_source);
      assert.notEqual(amex, first);
      assert.deepEqual((await stripe.customers.listSources(c.id)).data.map((s) => [s.id, asCard(s).brand]), [[amex, 'American Express']]);
      assert.equal((await objectEvents(server, first)).at(-1)?.type, 'customer.source.deleted');

      // default_source: only one of this customer's own card sources.
      const extra = asCard(await stripe.customers.createSource(c.id, { source: 'tok_discover' }));
      const switched = await stripe.customers.update(c.id, { default_source: extra.id });
      assert.equal(switched.default_source, extra.id);
      const other = await stripe.customers.create({ source: 'tok_visa' });
      const missing = { status: 404, code: 'resource_missing', param: 'default_source' };
      await fails(stripe.customers.update(c.id, { default_source: String(other.default_source) }), missing);
      await fails(stripe.customers.update(c.id, { default_source: 'card_nope' }), missing);
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
      await fails(stripe.customers.update(c.id, { default_source: pm.id }), missing);
      await fails(stripe.customers.retrieveSource(c.id, String(other.default_source)), { status: 404, code: 'resource_missing' });
      await fails(stripe.customers.createSource(c.id, { source: 'tok_nope' }), { status: 404, code: 'resource_missing', param: 'source' });
      await fails(stripe.customers.create({ source: 'tok_nope' }), { status: 404, code: 'resource_missing', param: 'source' });
      await fails(stripe.customers.listSources('cus_nope'), { status: 404, param: 'customer' });

      // A declining card is refused when validated on attach (Stripe's tok_chargeDeclined), unless validate=false;
      // tok_chargeCustomerFail attaches and is declined only when charged (next test).
      await fails(stripe.customers.create({ source: 'tok_chargeDeclined' }), { status: 402, code: 'card_declined' });
      await fails(stripe.customers.createSource(c.id, { source: 'tok_chargeDeclined' }), { status: 402, code: 'card_declined' });
      const unvalidated = await stripe.customers.create({ source: 'tok_chargeDeclined', validate: false });
      assert.match(String(unvalidated.default_source), /^card_/);
      await stripe.customers.update(c.id, { validate: true });

      const expanded = (await stripe.customers.retrieve(c.id, { expand: ['default_source', 'sources'] })) as Stripe.Customer;
      const def = expanded.default_source as Stripe.Card;
      assert.equal(def.id, extra.id);
      assert.equal(def.object, 'card');
      assert.equal(def.brand, 'Discover');
      assert.deepEqual(expanded.sources?.data.map((s) => s.id), [extra.id, amex]);
      const listed = await stripe.customers.list({ email: 'legacy@example.com', expand: ['data.default_source'] });
      assert.equal((listed.data[0]!.default_source as Stripe.Card).id, extra.id);

      // Idempotent under the SDK's keys: the same key replays the same card, no second one.
      const key = `src-${c.id}`;
      const once = await stripe.customers.createSource(c.id, { source: 'tok_jcb' }, { idempotencyKey: key });
      const twice = await stripe.customers.createSource(c.id, { source: 'tok_jcb' }, { idempotencyKey: key });
      assert.equal(twice.id, once.id);
      assert.equal((await stripe.customers.listSources(c.id)).data.filter((s) => asCard(s).brand === 'JCB').length, 1);

      // Detaching through the PaymentMethods API deletes the source too (one thing underneath), and the
      // default moves to the most recent remaining source.
      await stripe.paymentMethods.detach(extra.id);
      assert.equal((await objectEvents(server, extra.id)).at(-1)?.type, 'customer.source.deleted');
      assert.equal((await customerOf(c.id)).default_source, once.id);
      assert.equal((await stripe.customers.listSources(c.id)).data.some((s) => s.id === extra.id), false);

      // Deleting the customer deletes its sources.
      await stripe.customers.del(other.id);
      assert.equal((await objectEvents(server, String(other.default_source))).at(-1)?.type, 'customer.source.deleted');
    });

    test('billing charges the default source, after the invoice and subscription defaults', async () => {
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Legacy plan' } });

      // Only a default_source: the subscription's first invoice is charged to it (the card that paid
      // becomes the subscription's default_payment_method with save_default_payment_method).
      const a = await stripe.customers.create({ source: 'tok_visa' });
      const subA = await stripe.subscriptions.create({
        customer: a.id,
        items: [{ price: price.id }],
        payment_settings: { save_default_payment_method: 'on_subscription' },
        expand: ['latest_invoice'],
      });
      assert.equal(subA.status, 'active');
      assert.equal((subA.latest_invoice as Stripe.Invoice).status, 'paid');
      assert.equal((subA.latest_invoice as Stripe.Invoice).amount_paid, 1000);
      assert.equal(subA.default_payment_method, a.default_source);

      // A default source that declines when charged: the invoice fails on it (not "no payment method").
      const b = await stripe.customers.create({ source: 'tok_chargeCustomerFail' });
      const subB = await stripe.subscriptions.create({ customer: b.id, items: [{ price: price.id }], expand: ['latest_invoice'] });
      assert.equal(subB.status, 'incomplete');
      const failed = subB.latest_invoice as Stripe.Invoice;
      assert.equal(failed.status, 'open');
      assert.equal(failed.attempt_count, 1);
      await fails(stripe.invoices.pay(failed.id), { status: 402, code: 'card_declined' });
      // A new default source pays it.
      const good = asCard(await stripe.customers.createSource(b.id, { source: 'tok_visa' }));
      await stripe.customers.update(b.id, { default_source: good.id });
      assert.equal((await stripe.invoices.pay(failed.id)).status, 'paid');
      assert.equal((await stripe.subscriptions.retrieve(subB.id)).status, 'active');

      // The subscription's default_source comes before the customer's.
      const c = await stripe.customers.create({ source: 'tok_chargeCustomerFail' });
      const cGood = asCard(await stripe.customers.createSource(c.id, { source: 'tok_visa' }));
      const subC = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }], default_source: cGood.id, expand: ['latest_invoice'] });
      assert.equal(subC.default_source, cGood.id);
      assert.equal((subC.latest_invoice as Stripe.Invoice).status, 'paid');
      const missing = { status: 404, code: 'resource_missing', param: 'default_source' };
      await fails(stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }], default_source: String(a.default_source) }), missing);
      await fails(stripe.subscriptions.update(subC.id, { default_source: String(b.default_source) }), missing);
      const cleared = await stripe.subscriptions.update(subC.id, { default_source: '' });
      assert.equal(cleared.default_source, null);
      // Deleting a subscription's default source clears it there too.
      await stripe.subscriptions.update(subC.id, { default_source: cGood.id });
      await stripe.customers.deleteSource(c.id, cGood.id);
      assert.equal((await stripe.subscriptions.retrieve(subC.id)).default_source, null);

      // The invoice's default_source comes before the customer's default_source.
      const d = await stripe.customers.create({ source: 'tok_visa' });
      const dFail = asCard(await stripe.customers.createSource(d.id, { source: 'tok_chargeCustomerFail' }));
      await stripe.invoiceItems.create({ customer: d.id, amount: 700, currency: 'usd' });
      const inv = await stripe.invoices.create({ customer: d.id, default_source: dFail.id, pending_invoice_items_behavior: 'include', auto_advance: false });
      assert.equal(inv.default_source, dFail.id);
      await fails(stripe.invoices.pay(inv.id), { status: 402, code: 'card_declined' });
      // `/pay` with `source`: one of the customer's own card sources.
      await fails(stripe.invoices.pay(inv.id, { source: String(a.default_source) }), { status: 404, code: 'resource_missing', param: 'source' });
      const paidWithSource = await stripe.invoices.pay(inv.id, { source: String(d.default_source) });
      assert.equal(paidWithSource.status, 'paid');
      assert.equal(paidWithSource.amount_paid, 700);
      await stripe.invoiceItems.create({ customer: d.id, amount: 300, currency: 'usd' });
      const inv2 = await stripe.invoices.create({ customer: d.id, default_source: dFail.id, pending_invoice_items_behavior: 'include', auto_advance: false });
      const inv2Updated = await stripe.invoices.update(inv2.id, { default_source: '' });
      assert.equal(inv2Updated.default_source, null);
      const paid = await stripe.invoices.pay(inv2.id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_paid, 300);
      await fails(stripe.invoices.create({ customer: d.id, default_source: String(a.default_source) }), missing);
      await fails(stripe.invoices.update(inv.id, { default_source: dFail.id }), { status: 400, param: 'default_source', code: 'invoice_not_editable' });
    });

    test('a new source on customer update retries a past_due invoice once, outside the retry schedule', async () => {
      const start = 1798761600; // 2027-01-01T00:00:00Z
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
      const c = await stripe.customers.create({ test_clock: clock.id, source: 'tok_visa' });
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2500, recurring: { interval: 'month' }, product_data: { name: 'Retry plan' } });
      const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
      assert.equal(sub.status, 'active');
      const failing = asCard(await stripe.customers.createSource(c.id, { source: 'tok_chargeCustomerFail' }));
      await stripe.customers.update(c.id, { default_source: failing.id });
      // The renewal on 2027-02-01 is refused: past_due, next attempt 3 days after the failure.
      await advanceTestClock(server, clock.id, start + 31 * 86400 + 86400);
      const pastDue = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(pastDue.status, 'past_due');
      const open = await stripe.invoices.retrieve(String(pastDue.latest_invoice));
      assert.equal(open.status, 'open');
      assert.equal(open.attempt_count, 1);
      assert.ok(open.next_payment_attempt !== null);
      const failedEvents = async () => (await objectEvents(server, open.id)).filter((e) => e.type === 'invoice.payment_failed').length;
      const failedBefore = await failedEvents();

      // A new default_source alone retries nothing.
      const spare = asCard(await stripe.customers.createSource(c.id, { source: 'tok_mastercard' }));
      await stripe.customers.update(c.id, { default_source: spare.id });
      assert.equal((await stripe.invoices.retrieve(open.id)).status, 'open');
      await stripe.customers.update(c.id, { default_source: failing.id });
      // A new source that is refused too: tried once, the schedule untouched.
      await stripe.customers.update(c.id, { source: 'tok_chargeCustomerFail' });
      const still = await stripe.invoices.retrieve(open.id);
      assert.equal(still.status, 'open');
      assert.equal(still.attempt_count, 1);
      assert.equal(still.next_payment_attempt, open.next_payment_attempt);
      assert.equal(await failedEvents(), failedBefore + 1);
      // A good card through `source` pays it, and the subscription is active again.
      await stripe.customers.update(c.id, { source: 'tok_visa' });
      const paid = await stripe.invoices.retrieve(open.id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_paid, 2500);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
    });

    test('cash balance: empty, its settings kept, no transactions, no funding instructions', async () => {
      const c = await stripe.customers.create({ email: 'cash@example.com' });
      const balance = await stripe.customers.retrieveCashBalance(c.id);
      assert.deepEqual(
        { ...balance, lastResponse: undefined },
        {
          object: 'cash_balance',
          available: {},
          customer: c.id,
          customer_account: null,
          livemode: false,
          settings: { reconciliation_mode: 'automatic', using_merchant_default: true },
          lastResponse: undefined,
        },
      );
      const manual = await stripe.customers.updateCashBalance(c.id, { settings: { reconciliation_mode: 'manual' } });
      assert.deepEqual(manual.settings, { reconciliation_mode: 'manual', using_merchant_default: false });
      assert.deepEqual((await stripe.customers.retrieveCashBalance(c.id)).settings, manual.settings);
      const back = await stripe.customers.updateCashBalance(c.id, { settings: { reconciliation_mode: 'merchant_default' } });
      assert.deepEqual(back.settings, { reconciliation_mode: 'automatic', using_merchant_default: true });
      await fails(stripe.customers.updateCashBalance(c.id, { settings: { reconciliation_mode: 'sometimes' as 'manual' } }), { status: 400, param: 'settings[reconciliation_mode]' });

      // On customers create and update, and as an expansion.
      const d = await stripe.customers.create({ cash_balance: { settings: { reconciliation_mode: 'manual' } } });
      assert.equal((await stripe.customers.retrieveCashBalance(d.id)).settings.reconciliation_mode, 'manual');
      await stripe.customers.update(d.id, { cash_balance: { settings: { reconciliation_mode: 'automatic' } } });
      const expanded = (await stripe.customers.retrieve(d.id, { expand: ['cash_balance'] })) as Stripe.Customer;
      assert.deepEqual(expanded.cash_balance?.settings, { reconciliation_mode: 'automatic', using_merchant_default: false });

      const txns = await stripe.customers.listCashBalanceTransactions(c.id);
      assert.deepEqual({ object: txns.object, data: txns.data, has_more: txns.has_more, url: txns.url }, { object: 'list', data: [], has_more: false, url: `/v1/customers/${c.id}/cash_balance_transactions` });
      await fails(stripe.customers.retrieveCashBalanceTransaction(c.id, 'ccsbtxn_nope'), { status: 404, code: 'resource_missing', message: "No such customer_cash_balance_transaction: 'ccsbtxn_nope'" });
      await fails(
        stripe.customers.createFundingInstructions(c.id, { funding_type: 'bank_transfer', currency: 'usd', bank_transfer: { type: 'us_bank_transfer' } }),
        { status: 400, code: 'parameter_unsupported', param: 'funding_type', message: /bank transfers are not available/ },
      );
      await fails(stripe.customers.retrieveCashBalance('cus_nope'), { status: 404, param: 'customer' });
      await fails(stripe.customers.listCashBalanceTransactions('cus_nope'), { status: 404, param: 'customer' });
      await fails(stripe.customers.createFundingInstructions('cus_nope', { funding_type: 'bank_transfer', currency: 'usd', bank_transfer: { type: 'us_bank_transfer' } }), { status: 404, param: 'customer' });
    });
  });
}
