/**
 * Invoice items and invoices through the official SDK, on every database: totals to the cent (each
 * expected number derived in a comment), numbering, payment outcomes and their recorded attempts,
 * void / uncollectible / delete, the customer's credit balance, validation and events. Also the engine
 * functions the billing clock uses (retries, previews), called directly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { attemptInvoicePayment, invoicePaidHooks, previewInvoice, retryDueInvoice } from '../src/billing/invoices/index.ts';
import type { Ctx } from '../src/storage/context.ts';
import { storageCases } from './support/storages.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

const DAY = 86400;

for (const db of storageCases()) {
  describe(`invoices on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    async function events(id: string): Promise<any[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as any).filter((e) => e.data.object.id === id);
    }
    const types = async (id: string) => (await events(id)).map((e) => e.type);
    const inTx = <T>(fn: (ctx: Ctx) => Promise<T>) =>
      server.portico.storage.db.transaction().execute((tx) =>
        fn({ db: tx, livemode: false, clock: server.clock, request: { id: null, idempotencyKey: null } }),
      );

    /** A customer with one pending item of `amount` cents and an invoice (draft) that pulled it in. */
    async function draftFor(amount: number, customerParams: Stripe.CustomerCreateParams = {}, currency = 'usd') {
      const customer = await stripe.customers.create(customerParams);
      await stripe.invoiceItems.create({ customer: customer.id, amount, currency });
      const invoice = await stripe.invoices.create({ customer: customer.id, currency, pending_invoice_items_behavior: 'include' });
      return { customer, invoice };
    }

    test('a manual invoice from items with exclusive and inclusive taxes, a percent and an amount_off coupon', async () => {
      const customer = await stripe.customers.create({ email: 'tax@example.com', invoice_prefix: 'TAXES' });
      const ex = await stripe.taxRates.create({ display_name: 'Sales tax', percentage: 8.25, inclusive: false });
      const inc = await stripe.taxRates.create({ display_name: 'VAT', percentage: 20, inclusive: true });
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2500, product_data: { name: 'Widget' } });
      const i1 = await stripe.invoiceItems.create({ customer: customer.id, amount: 10_000, currency: 'usd', description: 'Setup', tax_rates: [ex.id] });
      const i2 = await stripe.invoiceItems.create({ customer: customer.id, pricing: { price: price.id }, quantity: 2, tax_rates: [inc.id] });
      const i3 = await stripe.invoiceItems.create({ customer: customer.id, amount: 3333, currency: 'usd' });
      assert.equal(i2.amount, 5000); // 2500 × 2
      assert.equal(i2.pricing?.price_details?.product, price.product);
      assert.equal(i1.invoice, null);
      const tenPct = await stripe.coupons.create({ percent_off: 10 });
      const tenOff = await stripe.coupons.create({ amount_off: 1000, currency: 'usd' });

      const invoice = await stripe.invoices.create({
        customer: customer.id,
        pending_invoice_items_behavior: 'include',
        discounts: [{ coupon: tenPct.id }, { coupon: tenOff.id }],
        metadata: { order: '42' },
      });
      assert.match(invoice.id, /^in_/);
      assert.equal(invoice.status, 'draft');
      assert.equal(invoice.billing_reason, 'manual');
      assert.equal(invoice.number, null);
      assert.equal(invoice.parent, null);
      assert.equal(invoice.lines.data.length, 3);
      assert.equal(invoice.lines.url, `/v1/invoices/${invoice.id}/lines`);
      const [l1, l2, l3] = invoice.lines.data;
      assert.match(l1!.id, /^il_/);
      assert.equal(l1!.parent?.invoice_item_details?.invoice_item, i1.id);
      assert.equal(l2!.pricing?.price_details?.price, price.id);
      // 10 %: 1000, 500, 333 (3333 × 10 % = 333.3); $10 off the rest (9000, 4500, 3000 of 16500): 545, 273, 182.
      assert.deepEqual(l1!.discount_amounts!.map((d) => d.amount), [1000, 545]);
      assert.deepEqual(l2!.discount_amounts!.map((d) => d.amount), [500, 273]);
      assert.deepEqual(l3!.discount_amounts!.map((d) => d.amount), [333, 182]);
      // 8.25 % of 8455 = 697.54 → 698 added; VAT inside 4227: 4227 − round(4227 / 1.2 = 3522.5 → 3523) = 704.
      assert.deepEqual(l1!.taxes, [{ amount: 698, tax_behavior: 'exclusive', tax_rate_details: { tax_rate: ex.id }, taxability_reason: 'not_available', taxable_amount: 8455, type: 'tax_rate_details' }]);
      assert.deepEqual(l2!.taxes?.map((t) => [t.amount, t.tax_behavior, t.taxable_amount]), [[704, 'inclusive', 3523]]);
      assert.equal(invoice.subtotal, 18_333); // 10000 + 5000 + 3333
      assert.equal(invoice.total, 16_198); // 18333 − 2833 + 698
      assert.equal(invoice.total_excluding_tax, 14_796); // 18333 − 2833 − 704
      assert.equal(invoice.subtotal_excluding_tax, 17_500); // 18333 − 833 (VAT inside the undiscounted 5000)
      assert.deepEqual(invoice.total_discount_amounts!.map((d) => d.amount), [1833, 1000]);
      assert.equal(invoice.discounts.length, 2);
      assert.equal(invoice.amount_due, 16_198);
      assert.deepEqual(invoice.metadata, { order: '42' });
      assert.equal((await stripe.coupons.retrieve(tenPct.id)).times_redeemed, 1);
      assert.equal((await stripe.invoiceItems.retrieve(i1.id)).invoice, invoice.id);
      assert.deepEqual(await types(invoice.id), ['invoice.created']);

      // The discount objects can be expanded where they are named by id.
      const discount = await stripe.invoices.retrieve(invoice.id, { expand: ['customer'] });
      assert.equal((discount.customer as Stripe.Customer).email, 'tax@example.com');

      const lines = await stripe.invoices.listLineItems(invoice.id, { limit: 2 });
      assert.deepEqual(lines.data.map((l) => l.id), [l1!.id, l2!.id]);
      assert.equal(lines.has_more, true);
      const rest = await stripe.invoices.listLineItems(invoice.id, { limit: 2, starting_after: l2!.id });
      assert.deepEqual(rest.data.map((l) => l.id), [l3!.id]);

      const open = await stripe.invoices.finalizeInvoice(invoice.id);
      assert.equal(open.status, 'open');
      assert.equal(open.number, 'TAXES-0001');
      assert.equal(open.status_transitions.finalized_at, server.clock.now());
      assert.equal(open.effective_at, server.clock.now());
      assert.equal(open.total, 16_198);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).next_invoice_sequence, 2);
      await assert.rejects(stripe.invoices.finalizeInvoice(invoice.id), { statusCode: 400 });

      const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_paid, 16_198);
      assert.equal(paid.amount_remaining, 0);
      assert.equal(paid.attempt_count, 1);
      assert.equal(paid.attempted, true);
      assert.equal(paid.status_transitions.paid_at, server.clock.now());
      assert.deepEqual(await types(invoice.id), ['invoice.created', 'invoice.finalized', 'invoice.payment_succeeded', 'invoice.paid']);
      await assert.rejects(stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' }), {
        statusCode: 400,
        message: 'Invoice is already paid',
      });
      // The next invoice of the customer takes the next number.
      await stripe.invoiceItems.create({ customer: customer.id, amount: 100, currency: 'usd' });
      const second = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
      assert.equal((await stripe.invoices.finalizeInvoice(second.id)).number, 'TAXES-0002');
    });

    test('JPY is zero-decimal: the same rules on whole yen', async () => {
      const customer = await stripe.customers.create();
      const jct = await stripe.taxRates.create({ display_name: 'JCT', percentage: 10, inclusive: false });
      const coupon = await stripe.coupons.create({ percent_off: 15 });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 999, currency: 'jpy', tax_rates: [jct.id] });
      const invoice = await stripe.invoices.create({
        customer: customer.id,
        currency: 'jpy',
        pending_invoice_items_behavior: 'include',
        discounts: [{ coupon: coupon.id }],
      });
      // ¥999 − 15 % (149.85 → 150) = ¥849; JCT 10 % = 84.9 → 85; total 849 + 85 = 934.
      assert.equal(invoice.currency, 'jpy');
      assert.equal(invoice.total_discount_amounts![0]!.amount, 150);
      assert.equal(invoice.total_taxes![0]!.amount, 85);
      assert.equal(invoice.total, 934);
      const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_paid, 934);
      assert.match(paid.number ?? '', /-0001$/);
    });

    test('a declined payment answers 402 and stays recorded; an idempotent retry replays it', async () => {
      const { invoice } = await draftFor(2000);
      await stripe.invoices.finalizeInvoice(invoice.id);
      const key = `pay-${invoice.id}`;
      for (let i = 0; i < 2; i++) {
        await assert.rejects(stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_chargeCustomerFail' }, { idempotencyKey: key }), {
          statusCode: 402,
          type: 'StripeCardError',
          code: 'card_declined',
          decline_code: 'generic_decline',
        });
      }
      const after = await stripe.invoices.retrieve(invoice.id);
      assert.equal(after.status, 'open');
      assert.equal(after.attempt_count, 1); // the replay did not charge again
      assert.equal(after.attempted, true);
      assert.equal(after.amount_paid, 0);
      assert.equal(after.next_payment_attempt, server.clock.now() + 3 * DAY);
      assert.deepEqual(await types(invoice.id), ['invoice.created', 'invoice.finalized', 'invoice.payment_failed']);
    });

    test('3D Secure: 402 and invoice.payment_action_required', async () => {
      const { invoice } = await draftFor(1500);
      await assert.rejects(stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_authenticationRequired' }), {
        statusCode: 402,
        code: 'invoice_payment_intent_requires_action',
      });
      const after = await stripe.invoices.retrieve(invoice.id);
      assert.equal(after.status, 'open'); // /pay finalized the draft first
      assert.equal(after.attempt_count, 1);
      assert.ok((await types(invoice.id)).includes('invoice.payment_action_required'));
    });

    test('no payment method: 400, attempt recorded; the clock retries on schedule and succeeds later', async () => {
      const { customer, invoice } = await draftFor(1200);
      await assert.rejects(stripe.invoices.pay(invoice.id), { statusCode: 400, code: 'payment_method_missing' });
      const failed = await stripe.invoices.retrieve(invoice.id);
      assert.equal(failed.attempt_count, 1);
      assert.equal(failed.next_payment_attempt, server.clock.now() + 3 * DAY);
      // Not due yet: nothing happens.
      assert.equal((await inTx((ctx) => retryDueInvoice(ctx, invoice.id))).payment.outcome, 'nothing_due');
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      (server.clock as any).advance(3 * DAY);
      const retried = await inTx((ctx) => retryDueInvoice(ctx, invoice.id));
      assert.equal(retried.payment.outcome, 'succeeded');
      assert.equal(retried.invoice.status, 'paid');
      assert.equal(retried.invoice.attempt_count, 2);
      assert.equal(retried.invoice.next_payment_attempt, null);
    });

    test('failed automatic attempts are retried after 3, 5 and 7 days, then no more', async () => {
      const { invoice } = await draftFor(900);
      await stripe.invoices.finalizeInvoice(invoice.id);
      const expected = [3, 5, 7, null];
      for (const days of expected) {
        const { invoice: inv, payment } = await inTx((ctx) => attemptInvoicePayment(ctx, invoice.id, { offSession: true }));
        assert.equal(payment.outcome, 'declined');
        assert.equal(inv.next_payment_attempt, days === null ? null : server.clock.now() + days * DAY);
      }
      const last = await stripe.invoices.retrieve(invoice.id);
      assert.equal(last.status, 'open');
      assert.equal(last.attempt_count, 4);
    });

    test('paid_out_of_band marks it paid without charging; paid hooks run', async () => {
      const { invoice } = await draftFor(4200);
      await stripe.invoices.finalizeInvoice(invoice.id);
      const seen: string[] = [];
      const hook = async (_ctx: Ctx, inv: { id: string; status: string }) => void seen.push(`${inv.id}:${inv.status}`);
      invoicePaidHooks.push(hook);
      const paid = await stripe.invoices.pay(invoice.id, { paid_out_of_band: true }).finally(() => invoicePaidHooks.splice(invoicePaidHooks.indexOf(hook), 1));
      assert.deepEqual(seen, [`${invoice.id}:paid`]);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_paid, 4200);
      assert.equal(paid.attempt_count, 0);
      assert.deepEqual((await types(invoice.id)).slice(-1), ['invoice.paid']);
    });

    test('void, uncollectible (then paid) and deleting a draft', async () => {
      const a = await draftFor(1000);
      await assert.rejects(stripe.invoices.voidInvoice(a.invoice.id), { statusCode: 400 });
      await stripe.invoices.finalizeInvoice(a.invoice.id);
      const voided = await stripe.invoices.voidInvoice(a.invoice.id);
      assert.equal(voided.status, 'void');
      assert.equal(voided.status_transitions.voided_at, server.clock.now());
      await assert.rejects(stripe.invoices.pay(a.invoice.id, { payment_method: 'pm_card_visa' }), { statusCode: 400 });
      await assert.rejects(stripe.invoices.markUncollectible(a.invoice.id), { statusCode: 400 });
      assert.ok((await types(a.invoice.id)).includes('invoice.voided'));

      const b = await draftFor(1000);
      await stripe.invoices.finalizeInvoice(b.invoice.id);
      const bad = await stripe.invoices.markUncollectible(b.invoice.id);
      assert.equal(bad.status, 'uncollectible');
      assert.equal(bad.status_transitions.marked_uncollectible_at, server.clock.now());
      const paid = await stripe.invoices.pay(b.invoice.id, { payment_method: 'pm_card_visa' });
      assert.equal(paid.status, 'paid');
      assert.ok((await types(b.invoice.id)).includes('invoice.marked_uncollectible'));

      const c = await draftFor(1000);
      const [item] = (await stripe.invoiceItems.list({ customer: c.customer.id })).data;
      assert.equal(item!.invoice, c.invoice.id);
      await assert.rejects(stripe.invoiceItems.del(item!.id), { statusCode: 400 });
      const deleted = await stripe.invoices.del(c.invoice.id);
      assert.deepEqual({ id: deleted.id, deleted: deleted.deleted }, { id: c.invoice.id, deleted: true });
      await assert.rejects(stripe.invoices.retrieve(c.invoice.id), { statusCode: 404 });
      assert.equal((await stripe.invoiceItems.retrieve(item!.id)).invoice, null); // pending again
      assert.deepEqual((await types(c.invoice.id)).slice(-1), ['invoice.deleted']);
      await assert.rejects(stripe.invoices.del(b.invoice.id), { statusCode: 400 });
    });

    test('credit balance lowers amount_due; a negative total becomes credit; voiding gives it back', async () => {
      const { customer, invoice } = await draftFor(2000, { balance: -500 });
      assert.equal(invoice.starting_balance, -500);
      const open = await stripe.invoices.finalizeInvoice(invoice.id);
      // 2000 − 500 credit = 1500 due; the credit is used up.
      assert.equal(open.amount_due, 1500);
      assert.equal(open.starting_balance, -500);
      assert.equal(open.ending_balance, 0);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).balance, 0);
      const updates = (await events(customer.id)).filter((e) => e.type === 'customer.updated');
      assert.deepEqual(updates.at(-1).data.previous_attributes.balance, -500);
      await stripe.invoices.voidInvoice(invoice.id);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).balance, -500);

      const credit = await draftFor(-700);
      const done = await stripe.invoices.finalizeInvoice(credit.invoice.id);
      // Total −700: nothing due, so paid at once; the 700 becomes credit.
      assert.equal(done.total, -700);
      assert.equal(done.amount_due, 0);
      assert.equal(done.status, 'paid');
      assert.equal(done.ending_balance, -700);
      assert.equal((await stripe.customers.retrieve(credit.customer.id) as Stripe.Customer).balance, -700);
      assert.deepEqual((await types(credit.invoice.id)).slice(-3), ['invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']);
    });

    test('send_invoice: due_date from days_until_due; updates only while draft for most fields', async () => {
      const customer = await stripe.customers.create();
      const inv = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 30 });
      const rate = await stripe.taxRates.create({ display_name: 'T', percentage: 5, inclusive: false });
      const updated = await stripe.invoices.update(inv.id, { description: 'Hello', default_tax_rates: [rate.id] });
      assert.equal(updated.description, 'Hello');
      assert.deepEqual(updated.default_tax_rates.map((r) => r.id), [rate.id]);
      assert.deepEqual((await types(inv.id)).slice(-1), ['invoice.updated']);
      const open = await stripe.invoices.finalizeInvoice(inv.id);
      assert.equal(open.due_date, server.clock.now() + 30 * DAY);
      // Nothing to collect on an empty invoice: it is paid at once.
      assert.equal(open.status, 'paid');
      // A paid invoice keeps its metadata editable, nothing else.
      assert.deepEqual((await stripe.invoices.update(inv.id, { metadata: { a: 'b' } })).metadata, { a: 'b' });
      await assert.rejects(stripe.invoices.update(inv.id, { description: 'x' }), { statusCode: 400, param: 'description' });
      const other = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 7 });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 100, currency: 'usd' });
      const o2 = await stripe.invoices.finalizeInvoice(other.id);
      assert.equal(o2.status, 'paid');
      const third = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', collection_method: 'send_invoice', days_until_due: 7 });
      const o3 = await stripe.invoices.finalizeInvoice(third.id);
      assert.equal(o3.status, 'open');
      assert.equal(o3.next_payment_attempt, null);
      await assert.rejects(stripe.invoices.update(third.id, { default_tax_rates: [rate.id] }), { statusCode: 400, param: 'default_tax_rates' });
      assert.deepEqual((await stripe.invoices.update(third.id, { metadata: { a: 'b' } })).metadata, { a: 'b' });
      const list = await stripe.invoices.list({ customer: customer.id, status: 'open' });
      assert.deepEqual(list.data.map((i) => i.id), [third.id]);
    });

    test('invoice items: update and delete while pending, list filters, events', async () => {
      const customer = await stripe.customers.create();
      const item = await stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'eur', metadata: { a: '1' } });
      assert.equal(item.object, 'invoiceitem');
      assert.equal(item.discountable, true);
      assert.equal(item.date, server.clock.now());
      const credit = await stripe.invoiceItems.create({ customer: customer.id, amount: -100, currency: 'eur' });
      assert.equal(credit.discountable, false);
      const u = await stripe.invoiceItems.update(item.id, { amount: 600, description: 'More' });
      assert.equal(u.amount, 600);
      const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
      assert.deepEqual(pending.data.map((i) => i.id), [credit.id, item.id]);
      const gone = await stripe.invoiceItems.del(credit.id);
      assert.equal(gone.deleted, true);
      assert.deepEqual(await types(item.id), ['invoiceitem.created']);
      assert.deepEqual(await types(credit.id), ['invoiceitem.created', 'invoiceitem.deleted']);
      const expanded = await stripe.invoiceItems.retrieve(item.id, { expand: ['customer'] });
      assert.equal((expanded.customer as Stripe.Customer).id, customer.id);
    });

    test("a customer on a test clock is invoiced at the clock's time", async () => {
      const frozen = server.clock.now() - 100 * DAY;
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozen });
      const customer = await stripe.customers.create({ test_clock: clock.id });
      const item = await stripe.invoiceItems.create({ customer: customer.id, amount: 300, currency: 'usd' });
      assert.equal(item.date, frozen);
      assert.equal(item.test_clock, clock.id);
      const invoice = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
      assert.equal(invoice.created, frozen);
      assert.equal(invoice.test_clock, clock.id);
      const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
      assert.equal(paid.status_transitions.finalized_at, frozen);
      assert.equal(paid.status_transitions.paid_at, frozen);
    });

    test('an uncollectible invoice that fails again gets no automatic retry', async () => {
      const { invoice } = await draftFor(800);
      await stripe.invoices.finalizeInvoice(invoice.id);
      await stripe.invoices.markUncollectible(invoice.id);
      await assert.rejects(stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_chargeCustomerFail' }), { statusCode: 402 });
      const after = await stripe.invoices.retrieve(invoice.id);
      assert.equal(after.status, 'uncollectible');
      assert.equal(after.attempt_count, 1);
      assert.equal(after.next_payment_attempt, null);
    });

    test('previewInvoice computes without storing anything', async () => {
      const customer = await stripe.customers.create();
      const preview = await inTx((ctx) =>
        previewInvoice(ctx, {
          customer: customer.id,
          currency: 'usd',
          billing_reason: 'subscription_cycle',
          collection_method: 'charge_automatically',
          subscription: { id: 'sub_test', metadata: { k: 'v' } },
          lines: [
            {
              type: 'subscription_item_details', amount: 1999, currency: 'usd', description: '1 × Plan', quantity: 1, price: null,
              period: { start: 0, end: 100 }, proration: false, subscription: 'sub_test', subscription_item: 'si_test',
              invoice_item: null, tax_rates: [], discountable: true,
            },
          ],
          period_start: 0,
          period_end: 100,
        }),
      );
      assert.match(preview.id, /^upcoming_in_/);
      assert.equal(preview.total, 1999);
      assert.deepEqual(preview.parent, { type: 'subscription_details', quote_details: null, subscription_details: { metadata: { k: 'v' }, subscription: 'sub_test' } });
      assert.equal(preview.lines.data[0]!.parent?.subscription_item_details?.subscription_item, 'si_test');
      assert.equal((await stripe.invoices.list({ customer: customer.id })).data.length, 0);
    });

    test('validation errors name their param', async () => {
      const customer = await stripe.customers.create();
      const eur = await stripe.coupons.create({ amount_off: 100, currency: 'eur' });
      const inactive = await stripe.taxRates.create({ display_name: 'Old', percentage: 1, inclusive: false, active: false });
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 100, product_data: { name: 'P' } });
      const cases: [() => Promise<unknown>, number, string][] = [
        [() => stripe.invoiceItems.create({ amount: 1, currency: 'usd' }), 400, 'customer'],
        [() => stripe.invoiceItems.create({ customer: customer.id, currency: 'usd' }), 400, 'amount'],
        [() => stripe.invoiceItems.create({ customer: customer.id, amount: 1 }), 400, 'currency'],
        [() => stripe.invoiceItems.create({ customer: 'cus_nope', amount: 1, currency: 'usd' }), 404, 'customer'],
        [() => stripe.invoiceItems.create({ customer: customer.id, amount: 1, currency: 'usd', tax_rates: ['txr_nope'] }), 404, 'tax_rates[0]'],
        [() => stripe.invoiceItems.create({ customer: customer.id, amount: 1, currency: 'usd', tax_rates: [inactive.id] }), 400, 'tax_rates[0]'],
        [() => stripe.invoiceItems.create({ customer: customer.id, amount: 1, currency: 'usd', quantity: 2 }), 400, 'quantity'],
        [() => stripe.invoiceItems.create({ customer: customer.id, amount: 1, pricing: { price: price.id } }), 400, 'amount'],
        [() => stripe.invoiceItems.create({ customer: customer.id, pricing: { price: 'price_nope' } }), 404, 'pricing[price]'],
        [() => stripe.invoiceItems.create({ customer: customer.id, amount: 1, currency: 'usd', period: { start: 10, end: 5 } }), 400, 'period[end]'],
        [() => stripe.invoiceItems.create({ customer: customer.id, amount: 1, currency: 'usd', subscription: 'sub_nope' }), 404, 'subscription'],
        [() => stripe.invoices.create({} as any), 400, 'customer'],
        [() => stripe.invoices.create({ customer: 'cus_nope' }), 404, 'customer'],
        [() => stripe.invoices.create({ customer: customer.id, discounts: [{ coupon: 'nope' }] }), 404, 'discounts[0][coupon]'],
        [() => stripe.invoices.create({ customer: customer.id, discounts: [{ coupon: eur.id }] }), 400, 'discounts[0][coupon]'],
        [() => stripe.invoices.create({ customer: customer.id, discounts: [{ promotion_code: 'promo_nope' }] }), 404, 'discounts[0][promotion_code]'],
        [() => stripe.invoices.create({ customer: customer.id, collection_method: 'mail' as any }), 400, 'collection_method'],
        [() => stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice' }), 400, 'days_until_due'],
        [() => stripe.invoices.create({ customer: customer.id, days_until_due: 3 }), 400, 'days_until_due'],
        [() => stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'maybe' as any }), 400, 'pending_invoice_items_behavior'],
        [() => stripe.invoices.create({ customer: customer.id, default_tax_rates: [inactive.id] }), 400, 'default_tax_rates[0]'],
        [() => stripe.invoices.create({ customer: customer.id, default_payment_method: 'pm_nope' }), 404, 'default_payment_method'],
        [() => stripe.invoices.create({ customer: customer.id, currency: 'zzz' }), 400, 'currency'],
        [() => stripe.invoices.retrieve('in_nope'), 404, 'id'],
        [() => stripe.taxRates.retrieve('txr_nope'), 404, 'id'],
      ];
      for (const [call, statusCode, param] of cases) {
        await assert.rejects(call(), (e: any) => {
          assert.equal(e.statusCode, statusCode, `${param}: ${e.message}`);
          assert.equal(e.param, param, `${param}: ${e.message}`);
          return true;
        });
      }
      const raw = await rawRequest(server, 'POST', `/v1/invoices/in_nope/pay`, 'paid_out_of_band=maybe');
      assert.equal(raw.status, 400);
      assert.equal(raw.json.error.param, 'paid_out_of_band');
      // Nothing half-made: no invoice exists for the customer after the failures.
      assert.equal((await stripe.invoices.list({ customer: customer.id })).data.length, 0);
    });
  });
}
