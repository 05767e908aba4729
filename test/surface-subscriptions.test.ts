/**
 * What SaaS code sends to subscriptions (issue 13, part A), through the SDK on every database: a setup
 * fee through `add_invoice_items`, a new subscription's preview equal to its first invoice (and
 * leaving nothing behind), a trial started on an active subscription, pause, discounts expanded and
 * removed, invoice items with inline prices and their own discounts, `automatic_tax`, idempotency.
 * Amounts are worked out by hand in the comments.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, objectEvents, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const T0 = 1_893_456_000; // 2030-01-01T00:00:00Z
const DAY = 86_400;

for (const db of storageCases()) {
  describe(`subscription surface on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const monthly = (amount: number) =>
      stripe.prices.create({ currency: 'usd', unit_amount: amount, recurring: { interval: 'month' }, product_data: { name: `Plan ${amount}` } });

    test('a setup fee through add_invoice_items is billed once, on the first invoice', async () => {
      const { clock, customer } = await customerOnClock(server, T0);
      const price = await monthly(2000);
      const product = await stripe.products.create({ name: 'Setup' });
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        add_invoice_items: [{ price_data: { currency: 'usd', product: product.id, unit_amount: 5000 } }],
        payment_settings: { save_default_payment_method: 'on_subscription', payment_method_types: ['card'] },
        automatic_tax: { enabled: false },
        expand: ['latest_invoice'],
      });
      const first = sub.latest_invoice as Stripe.Invoice;
      // 2000 (the month) + 5000 (the setup fee).
      assert.equal(first.total, 7000);
      assert.equal(first.status, 'paid');
      assert.deepEqual(first.lines.data.map((l) => l.amount).sort((a, b) => a - b), [2000, 5000]);
      assert.equal(sub.payment_settings?.save_default_payment_method, 'on_subscription');
      // on_subscription: the card that paid became the subscription's default.
      assert.ok(sub.default_payment_method);
      const items = await stripe.invoiceItems.list({ customer: customer.id });
      assert.equal(items.data.length, 1);
      assert.equal(items.data[0]!.invoice, first.id);
      assert.ok((await objectEvents(server, items.data[0]!.id)).some((e) => e.type === 'invoiceitem.created'));

      await advanceTestClock(server, clock.id, T0 + 31 * DAY);
      const invoices = await stripe.invoices.list({ subscription: sub.id });
      assert.equal(invoices.data.length, 2);
      assert.equal(invoices.data[0]!.total, 2000); // the renewal: no setup fee again
    });

    test('a new subscription preview equals its first invoice and leaves nothing behind', async () => {
      const { customer } = await customerOnClock(server, T0);
      const price = await monthly(2000);
      const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'forever' });
      const rate = await stripe.taxRates.create({ display_name: 'VAT', percentage: 8.25, inclusive: false });
      const preview = await stripe.invoices.createPreview({
        customer: customer.id,
        subscription_details: { items: [{ price: price.id, quantity: 3 }], default_tax_rates: [rate.id] },
        discounts: [{ coupon: coupon.id }],
      });
      // 3 × 2000 = 6000; 10 % off = 600 → 5400; 8.25 % of 5400 = 445.5 → 446 (half up); 5400 + 446 = 5846.
      assert.equal(preview.subtotal, 6000);
      assert.equal(preview.total_discount_amounts?.[0]?.amount, 600);
      assert.equal(preview.total_taxes?.[0]?.amount, 446);
      assert.equal(preview.total, 5846);
      assert.equal(preview.billing_reason, 'subscription_create');
      // Nothing stayed: no subscription, no redemption, no invoice.
      assert.equal((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data.length, 0);
      assert.equal((await stripe.coupons.retrieve(coupon.id)).times_redeemed, 0);
      assert.equal((await stripe.invoices.list({ customer: customer.id })).data.length, 0);

      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id, quantity: 3 }],
        default_tax_rates: [rate.id],
        discounts: [{ coupon: coupon.id }],
        expand: ['latest_invoice', 'discounts'],
      });
      const first = sub.latest_invoice as Stripe.Invoice;
      for (const k of ['subtotal', 'total', 'amount_due', 'total_excluding_tax'] as const) assert.equal(first[k], preview[k], k);
      assert.deepEqual(first.lines.data.map((l) => [l.amount, l.description, l.quantity]), preview.lines.data.map((l) => [l.amount, l.description, l.quantity]));
      assert.deepEqual(first.total_taxes, preview.total_taxes);
      const discount = (sub.discounts as Stripe.Discount[])[0]!;
      assert.equal(discount.object, 'discount');
      assert.equal(discount.source.coupon, coupon.id);

      const deleted = await stripe.subscriptions.deleteDiscount(sub.id);
      assert.equal(deleted.deleted, true);
      assert.equal(deleted.id, discount.id);
      assert.deepEqual((await stripe.subscriptions.retrieve(sub.id)).discounts, []);
      await assert.rejects(stripe.subscriptions.deleteDiscount(sub.id), (e: any) => e.statusCode === 404 && e.code === 'resource_missing');
      await assert.rejects(stripe.customers.deleteDiscount(customer.id), (e: any) => e.statusCode === 404);
      assert.ok((await objectEvents(server, discount.id)).some((e) => e.type === 'customer.discount.deleted'));
    });

    test('trial_end on an active subscription starts a trial and credits the unused time', async () => {
      const { clock, customer } = await customerOnClock(server, T0);
      const price = await monthly(3000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      assert.equal(sub.status, 'active');
      await advanceTestClock(server, clock.id, T0 + 10 * DAY);
      const trial = await stripe.subscriptions.update(sub.id, { trial_end: T0 + 20 * DAY });
      assert.equal(trial.status, 'trialing');
      assert.equal(trial.trial_start, T0 + 10 * DAY);
      assert.equal(trial.trial_end, T0 + 20 * DAY);
      // January has 31 days; 21 are unused on Jan 11: −3000 × 21 / 31 = −2032.26 → −2032.
      const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
      assert.deepEqual(pending.data.map((i) => i.amount), [-2032]);
      await advanceTestClock(server, clock.id, T0 + 20 * DAY);
      const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
      assert.equal(after.status, 'active');
      // The trial ends: a new month (3000) less the credit (2032) = 968.
      assert.equal((after.latest_invoice as Stripe.Invoice).total, 968);
    });

    test('pause credits the unused time, emits paused, and is idempotent under one key', async () => {
      const { clock, customer } = await customerOnClock(server, T0);
      const price = await monthly(3000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      await advanceTestClock(server, clock.id, T0 + 10 * DAY);
      const key = `pause-${sub.id}`;
      const paused = await stripe.subscriptions.pause(sub.id, {}, { idempotencyKey: key });
      const again = await stripe.subscriptions.pause(sub.id, {}, { idempotencyKey: key });
      assert.equal(paused.status, 'paused');
      assert.deepEqual(again, paused);
      const events = (await objectEvents(server, sub.id)).map((e) => e.type);
      assert.equal(events.filter((t) => t === 'customer.subscription.paused').length, 1);
      const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
      assert.deepEqual(pending.data.map((i) => i.amount), [-2032]);
      await assert.rejects(stripe.subscriptions.pause(sub.id), (e: any) => e.statusCode === 400);
      const resumed = await stripe.subscriptions.resume(sub.id, { billing_cycle_anchor: { type: 'now' } });
      assert.equal(resumed.status, 'active');
    });

    test('update: collection method, default tax rates and invoice settings apply to the next invoice', async () => {
      const { customer } = await customerOnClock(server, T0);
      const price = await monthly(1000);
      const rate = await stripe.taxRates.create({ display_name: 'GST', percentage: 10, inclusive: false });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const updated = await stripe.subscriptions.update(sub.id, {
        collection_method: 'send_invoice',
        days_until_due: 14,
        default_tax_rates: [rate.id],
        invoice_settings: { footer: 'Thank you', custom_fields: [{ name: 'PO', value: '42' }] },
        billing_cycle_anchor: { type: 'now' },
        proration_behavior: 'none',
        expand: ['latest_invoice'],
      });
      assert.equal(updated.collection_method, 'send_invoice');
      assert.equal(updated.days_until_due, 14);
      const invoice = updated.latest_invoice as Stripe.Invoice;
      // 1000 + 10 % = 1100, sent, due in 14 days.
      assert.equal(invoice.total, 1100);
      assert.equal(invoice.collection_method, 'send_invoice');
      assert.equal(invoice.footer, 'Thank you');
      assert.deepEqual(invoice.custom_fields, [{ name: 'PO', value: '42' }]);
      await assert.rejects(
        stripe.subscriptions.update(sub.id, { collection_method: 'charge_automatically', days_until_due: 3 }),
        (e: any) => e.statusCode === 400 && e.param === 'days_until_due',
      );
    });

    test('automatic_tax: false is accepted, true is refused as parameter_unsupported naming it', async () => {
      const { customer } = await customerOnClock(server, T0);
      const price = await monthly(1000);
      await assert.rejects(
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], automatic_tax: { enabled: true } }),
        (e: any) => e.statusCode === 400 && e.code === 'parameter_unsupported' && e.param === 'automatic_tax[enabled]',
      );
      await assert.rejects(
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], transfer_data: { destination: 'acct_1' } }),
        (e: any) => e.code === 'parameter_unsupported' && e.param === 'transfer_data',
      );
      await assert.rejects(
        stripe.invoices.createPreview({ customer: customer.id, automatic_tax: { enabled: true } }),
        (e: any) => e.code === 'parameter_unsupported' && e.param === 'automatic_tax[enabled]',
      );
    });

    test('list filters: current period bounds, plan (a price id) and collection method', async () => {
      const { customer } = await customerOnClock(server, T0);
      const a = await monthly(700);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: a.id }] });
      const end = sub.items.data[0]!.current_period_end;
      const ids = async (p: Stripe.SubscriptionListParams) => (await stripe.subscriptions.list({ customer: customer.id, ...p })).data.map((s) => s.id);
      assert.deepEqual(await ids({ current_period_end: { gte: end } }), [sub.id]);
      assert.deepEqual(await ids({ current_period_end: { lt: end } }), []);
      assert.deepEqual(await ids({ current_period_start: end }), []);
      assert.deepEqual(await ids({ plan: a.id }), [sub.id]);
      assert.deepEqual(await ids({ collection_method: 'send_invoice' }), []);
    });

    test('invoice items: price_data × quantity_decimal, their own discount, added to a draft', async () => {
      const { customer } = await customerOnClock(server, T0);
      const product = await stripe.products.create({ name: 'Hours' });
      const coupon = await stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'once' });
      const draft = await stripe.invoices.create({ customer: customer.id });
      const item = await stripe.invoiceItems.create({
        customer: customer.id,
        price_data: { currency: 'usd', product: product.id, unit_amount_decimal: Stripe.Decimal.from('1250.5') },
        quantity_decimal: Stripe.Decimal.from('2.5'),
        discounts: [{ coupon: coupon.id }],
        invoice: draft.id,
        tax_behavior: 'exclusive',
      });
      // 1250.5 × 2.5 = 3126.25 → 3126 (half up).
      assert.equal(item.amount, 3126);
      assert.equal(item.quantity, 2);
      assert.equal(item.invoice, draft.id);
      const invoice = await stripe.invoices.retrieve(draft.id, { expand: ['lines.data.discounts'] });
      // The item's own 500 off its line: 3126 − 500 = 2626.
      assert.equal(invoice.total, 2626);
      const line = invoice.lines.data[0]!;
      assert.equal((line.discounts[0] as Stripe.Discount).invoice_item, item.id);
      assert.equal(line.discount_amounts?.[0]?.amount, 500);
      await assert.rejects(
        stripe.invoiceItems.create({ customer: customer.id, amount: 100, currency: 'usd', tax_code: 'txcd_10000000' }),
        (e: any) => e.code === 'parameter_unsupported' && e.param === 'tax_code',
      );
    });

    test('invoice lines: added, updated, removed on a draft; a send_invoice invoice sent with its due date', async () => {
      const { customer } = await customerOnClock(server, T0);
      const product = await stripe.products.create({ name: 'Seats' });
      const pending = await stripe.invoiceItems.create({ customer: customer.id, amount: 300, currency: 'usd' });
      const draft = await stripe.invoices.create({ customer: customer.id, number: 'CUSTOM-0001', footer: 'Net 30' });
      const added = await stripe.invoices.addLines(draft.id, {
        lines: [{ price_data: { currency: 'usd', product: product.id, unit_amount: 1000 }, quantity: 2 }, { invoice_item: pending.id }],
        invoice_metadata: { batch: '7' },
      });
      // 2 × 1000 + 300 = 2300.
      assert.equal(added.total, 2300);
      assert.equal(added.metadata?.batch, '7');
      const [seats, extra] = added.lines.data;
      const updated = await stripe.invoices.updateLines(draft.id, { lines: [{ id: seats!.id, quantity: 3 }] });
      assert.equal(updated.total, 3300); // 3 × 1000 + 300
      const line = await stripe.invoices.updateLineItem(draft.id, extra!.id, { description: 'Extra' });
      assert.equal(line.description, 'Extra');
      const removed = await stripe.invoices.removeLines(draft.id, { lines: [{ id: extra!.id, behavior: 'unassign' }] });
      assert.equal(removed.total, 3000);
      assert.equal((await stripe.invoiceItems.retrieve(pending.id)).invoice, null);
      const open = await stripe.invoices.finalizeInvoice(draft.id);
      assert.equal(open.number, 'CUSTOM-0001');
      assert.equal(open.footer, 'Net 30');
      await assert.rejects(stripe.invoices.sendInvoice(open.id), (e: any) => e.statusCode === 400);

      const toSend = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', due_date: T0 + 20 * DAY, pending_invoice_items_behavior: 'include' });
      const sent = await stripe.invoices.sendInvoice(toSend.id);
      assert.equal(sent.status, 'open');
      assert.equal(sent.due_date, T0 + 20 * DAY);
      assert.equal(sent.total, 300);
      assert.ok((await objectEvents(server, sent.id)).some((e) => e.type === 'invoice.sent'));
    });
  });
}
