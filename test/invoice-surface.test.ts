/**
 * The invoice surface of issue 13 through the official SDK against a real server, on every database:
 * the account's own tax IDs (`/v1/tax_ids`, `account_tax_ids`), `rendering` (tax display and PDF page
 * size), `shipping_cost` in the totals, revisions (`from_invoice`, `latest_revision`) and the
 * `customer_tax_ids` snapshot. Amounts are worked out by hand in the comments.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { formatAmount } from '../src/lib/money.ts';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { objectEvents, useTestServer } from './support/suite.ts';

const usd = (cents: number) => formatAmount(cents, 'usd', 'en');

/** The text of the hosted page (tags dropped, entities of `$` and spaces as they come). */
async function pageText(url: string): Promise<string> {
  const html = await (await fetch(url, { headers: { 'Accept-Language': 'en' } })).text();
  return html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

/** The PDF's page box, `[x y w h]` from its first `/MediaBox`. */
async function mediaBox(url: string): Promise<number[]> {
  const pdf = Buffer.from(await (await fetch(url)).arrayBuffer()).toString('latin1');
  const m = /\/MediaBox\s*\[\s*([\d.\s]+)\]/.exec(pdf);
  assert.ok(m, 'a MediaBox');
  return m[1]!.trim().split(/\s+/).map(Number);
}

async function rejects(p: Promise<unknown>, expected: { status?: number; code?: string; param?: string; message?: RegExp }) {
  await assert.rejects(p, (e: any) => {
    assert.ok(e instanceof Stripe.errors.StripeError, String(e));
    assert.equal(e.statusCode, expected.status ?? 400);
    if (expected.code !== undefined) assert.equal(e.code, expected.code);
    if (expected.param !== undefined) assert.equal(e.param, expected.param);
    if (expected.message) assert.match(e.message, expected.message);
    return true;
  });
}

for (const db of storageCases()) {
  describe(`invoice surface on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function invoiceWith(customer: string, items: { amount: number; tax_rates?: string[] }[], params: Stripe.InvoiceCreateParams = {}) {
      const invoice = await stripe.invoices.create({ customer, ...params });
      for (const item of items) {
        await stripe.invoiceItems.create({ customer, invoice: invoice.id, amount: item.amount, currency: 'usd', description: `Item ${item.amount}`, ...(item.tax_rates ? { tax_rates: item.tax_rates } : {}) });
      }
      return stripe.invoices.retrieve(invoice.id);
    }

    test("the account's own tax IDs: /v1/tax_ids, events, idempotency, on the invoice and its page", async () => {
      const key = `txi-${db.name}`;
      const own = await stripe.taxIds.create({ type: 'eu_vat', value: 'DE 123 456 789' }, { idempotencyKey: key });
      const again = await stripe.taxIds.create({ type: 'eu_vat', value: 'DE 123 456 789' }, { idempotencyKey: key });
      assert.equal(again.id, own.id);
      assert.deepEqual(
        { owner: own.owner, customer: own.customer, value: own.value, country: own.country, status: own.verification?.status },
        { owner: { type: 'self', customer_account: null }, customer: null, value: 'DE123456789', country: 'DE', status: 'verified' },
      );
      assert.deepEqual((await objectEvents(server, own.id)).map((e) => e.type), ['tax_id.created', 'tax_id.updated']);

      const customer = await stripe.customers.create({ name: 'Kunde', email: 'kunde@example.com' });
      const theirs = await stripe.taxIds.create({ type: 'us_ein', value: '12-3456789', owner: { type: 'customer', customer: customer.id } });
      assert.equal(theirs.customer, customer.id);
      assert.deepEqual((await objectEvents(server, theirs.id)).map((e) => e.type), ['customer.tax_id.created']);
      // The list of the account's own holds no customer's.
      const listed = await stripe.taxIds.list({ limit: 100 });
      assert.ok(listed.data.some((t) => t.id === own.id));
      assert.ok(listed.data.every((t) => t.customer === null));
      assert.deepEqual((await stripe.taxIds.list({ owner: { type: 'customer', customer: customer.id } })).data.map((t) => t.id), [theirs.id]);
      assert.equal((await stripe.taxIds.retrieve(theirs.id)).id, theirs.id);
      await rejects(stripe.taxIds.create({ type: 'eu_vat', value: 'DE1', owner: { type: 'account', account: 'acct_1' } }), { code: 'parameter_unsupported' });
      await rejects(stripe.taxIds.create({ type: 'eu_vat', value: 'nope' }), { param: 'value' });

      // An invoice shows only the account's own: a customer's tax ID is no such account tax ID.
      await rejects(stripe.invoices.create({ customer: customer.id, account_tax_ids: [theirs.id] }), { status: 404, param: 'account_tax_ids[0]' });
      const invoice = await invoiceWith(customer.id, [{ amount: 1000 }], { account_tax_ids: [own.id] });
      assert.deepEqual(invoice.account_tax_ids, [own.id]);
      const expanded = await stripe.invoices.retrieve(invoice.id, { expand: ['account_tax_ids'] });
      assert.equal((expanded.account_tax_ids![0] as Stripe.TaxId).value, 'DE123456789');
      const open = await stripe.invoices.finalizeInvoice(invoice.id);
      assert.match(await pageText(open.hosted_invoice_url!), /EU VAT DE123456789/);
      await rejects(stripe.invoices.update(open.id, { account_tax_ids: '' }), { code: 'invoice_not_editable', param: 'account_tax_ids' });

      const gone = await stripe.taxIds.del(own.id);
      assert.deepEqual({ id: gone.id, deleted: gone.deleted }, { id: own.id, deleted: true });
      assert.deepEqual((await objectEvents(server, own.id)).map((e) => e.type), ['tax_id.created', 'tax_id.updated', 'tax_id.deleted']);
      await rejects(stripe.taxIds.retrieve(own.id), { status: 404 });
    });

    test('rendering: amount_tax_display on the page, page_size on the PDF, templates refused', async () => {
      // A 20 % VAT included in a 12.00 line: 12.00 − 12.00/1.2 = 2.00 of tax, 10.00 without it.
      const vat = await stripe.taxRates.create({ display_name: 'VAT', percentage: 20, inclusive: true });
      const us = await stripe.customers.create({ name: 'US', address: { country: 'US', line1: '1 Main St' } });
      const shown = await invoiceWith(us.id, [{ amount: 1200, tax_rates: [vat.id] }, { amount: 500 }], {
        rendering: { amount_tax_display: 'exclude_tax' },
      });
      assert.deepEqual(shown.rendering, { amount_tax_display: 'exclude_tax', pdf: { page_size: 'auto' }, template: null, template_version: null });
      // subtotal 12.00 + 5.00 = 17.00 (with the included tax), 15.00 without; total 17.00 either way.
      assert.deepEqual([shown.subtotal, shown.subtotal_excluding_tax, shown.total, shown.total_excluding_tax], [1700, 1500, 1700, 1500]);
      const open = await stripe.invoices.finalizeInvoice(shown.id);
      const text = await pageText(open.hosted_invoice_url!);
      // Lines 10.00 and 5.00, subtotal 15.00, VAT 2.00, total 17.00.
      assert.match(text, new RegExp(`Item 1200 1 \\${usd(1000)}`));
      assert.match(text, new RegExp(`Subtotal \\${usd(1500)}`));
      assert.match(text, new RegExp(`VAT \\(20 %\\) \\${usd(200)}`));
      assert.match(text, new RegExp(`Total \\${usd(1700)}`));
      assert.deepEqual(await mediaBox(open.invoice_pdf!), [0, 0, 612, 792]); // auto, US customer: Letter

      // The default display: amounts as they are, the tax included in them.
      const plain = await stripe.invoices.finalizeInvoice((await invoiceWith(us.id, [{ amount: 1200, tax_rates: [vat.id] }])).id);
      assert.equal(plain.rendering, null);
      const plainText = await pageText(plain.hosted_invoice_url!);
      assert.match(plainText, new RegExp(`Item 1200 1 \\${usd(1200)}`));
      assert.match(plainText, new RegExp(`Subtotal \\${usd(1200)}`));

      // auto elsewhere is A4; a4 and letter are taken as given.
      const de = await stripe.customers.create({ name: 'DE', address: { country: 'DE' } });
      const a4 = await stripe.invoices.finalizeInvoice((await invoiceWith(de.id, [{ amount: 100 }])).id);
      assert.deepEqual(await mediaBox(a4.invoice_pdf!), [0, 0, 595.28, 841.89]);
      const draft = await invoiceWith(de.id, [{ amount: 100 }]);
      const updated = await stripe.invoices.update(draft.id, { rendering: { pdf: { page_size: 'letter' } } });
      assert.deepEqual(updated.rendering, { amount_tax_display: null, pdf: { page_size: 'letter' }, template: null, template_version: null });
      const events = await objectEvents(server, draft.id);
      const last = events.at(-1)!;
      assert.equal(last.type, 'invoice.updated');
      assert.deepEqual(last.data.previous_attributes, { rendering: null });
      const letter = await stripe.invoices.finalizeInvoice(draft.id);
      assert.deepEqual(await mediaBox(letter.invoice_pdf!), [0, 0, 612, 792]);

      await rejects(stripe.invoices.create({ customer: de.id, rendering: { template: 'inrtem_1' } }), { code: 'parameter_unsupported', param: 'rendering[template]' });
      await rejects(stripe.invoices.create({ customer: de.id, rendering: { pdf: { page_size: 'a3' as 'a4' } } }), { param: 'rendering[pdf][page_size]' });
    });

    test('shipping_cost: added after discounts and taxes, shown, paid, reused and unset', async () => {
      const customer = await stripe.customers.create({ name: 'Shipper', email: 'ship@example.com' });
      const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      const tax = await stripe.taxRates.create({ display_name: 'Sales tax', percentage: 10, inclusive: false });
      const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'once' });
      const key = `ship-${db.name}`;
      const params: Stripe.InvoiceCreateParams = {
        customer: customer.id,
        default_tax_rates: [tax.id],
        discounts: [{ coupon: coupon.id }],
        shipping_cost: { shipping_rate_data: { display_name: 'Ground', type: 'fixed_amount', fixed_amount: { amount: 500, currency: 'usd' }, tax_behavior: 'exclusive' } },
        shipping_details: { name: 'Shipper', address: { line1: '1 Dock Rd', country: 'US' } },
      };
      const created = await stripe.invoices.create(params, { idempotencyKey: key });
      assert.equal((await stripe.invoices.create(params, { idempotencyKey: key })).id, created.id);
      // `invoice.created` already carries the shipping (no lines yet: the total is the shipping alone).
      const createdEvent = (await objectEvents(server, created.id)).find((e) => e.type === 'invoice.created')!;
      assert.deepEqual([createdEvent.data.object.shipping_cost.amount_total, createdEvent.data.object.total], [500, 500]);
      await stripe.invoiceItems.create({ customer: customer.id, invoice: created.id, amount: 2000, currency: 'usd', description: 'Crate' });
      const invoice = await stripe.invoices.retrieve(created.id);
      // 20.00 − 10 % = 18.00; tax 10 % of 18.00 = 1.80; shipping 5.00, neither discounted nor taxed:
      // total 18.00 + 1.80 + 5.00 = 24.80; without tax 18.00 + 5.00 = 23.00.
      const rate = invoice.shipping_cost!.shipping_rate as string;
      assert.match(rate, /^shr_/);
      assert.deepEqual(invoice.shipping_cost, { amount_subtotal: 500, amount_tax: 0, amount_total: 500, shipping_rate: rate, taxes: [] });
      assert.deepEqual(
        [invoice.subtotal, invoice.amount_shipping, invoice.total_excluding_tax, invoice.total, invoice.amount_due],
        [2000, 500, 2300, 2480, 2480],
      );
      assert.equal(invoice.total_taxes![0]!.amount, 180);
      const shippingRate = await stripe.shippingRates.retrieve(rate);
      assert.deepEqual(
        { name: shippingRate.display_name, fixed: shippingRate.fixed_amount, tax: shippingRate.tax_behavior, type: shippingRate.type },
        { name: 'Ground', fixed: { amount: 500, currency: 'usd' }, tax: 'exclusive', type: 'fixed_amount' },
      );

      const open = await stripe.invoices.finalizeInvoice(invoice.id);
      assert.equal(open.amount_due, 2480);
      const text = await pageText(open.hosted_invoice_url!);
      assert.match(text, new RegExp(`Shipping \\(Ground\\) \\${usd(500)}`));
      assert.match(text, new RegExp(`Total \\${usd(2480)}`));
      const paid = await stripe.invoices.pay(open.id, { payment_method: card.id });
      assert.deepEqual([paid.status, paid.amount_paid], ['paid', 2480]);

      // The same rate by id on another invoice, then unset: the total loses exactly the 5.00.
      const other = await invoiceWith(customer.id, [{ amount: 1000 }], { shipping_cost: { shipping_rate: rate } });
      assert.deepEqual([other.total, other.amount_shipping], [1500, 500]);
      const unset = await stripe.invoices.update(other.id, { shipping_cost: '' });
      assert.deepEqual([unset.total, unset.amount_shipping, unset.shipping_cost], [1000, 0, null]);
      const last = (await objectEvents(server, other.id)).at(-1)!;
      assert.equal(last.type, 'invoice.updated');
      assert.equal(last.data.previous_attributes.total, 1500);

      await rejects(
        stripe.invoices.create({ customer: customer.id, shipping_cost: { shipping_rate_data: { display_name: 'X', fixed_amount: { amount: 100, currency: 'eur' } } } }),
        { param: 'shipping_cost[shipping_rate_data][fixed_amount][currency]' },
      );
      await rejects(stripe.invoices.create({ customer: customer.id, shipping_cost: { shipping_rate: 'shr_nope' } }), { status: 404, param: 'shipping_cost[shipping_rate]' });
    });

    test('/v1/shipping_rates: create, list, update; an inactive rate is refused on invoices', async () => {
      const key = `shr-${db.name}`;
      const params: Stripe.ShippingRateCreateParams = {
        display_name: 'Express',
        type: 'fixed_amount',
        fixed_amount: { amount: 1500, currency: 'EUR' },
        delivery_estimate: { minimum: { unit: 'business_day', value: 1 }, maximum: { unit: 'business_day', value: 2 } },
        metadata: { carrier: 'dhl' },
      };
      const rate = await stripe.shippingRates.create(params, { idempotencyKey: key });
      assert.equal((await stripe.shippingRates.create(params, { idempotencyKey: key })).id, rate.id);
      assert.deepEqual(
        { fixed: rate.fixed_amount, tax: rate.tax_behavior, active: rate.active, estimate: rate.delivery_estimate, metadata: rate.metadata },
        {
          fixed: { amount: 1500, currency: 'eur' },
          tax: 'unspecified',
          active: true,
          estimate: { minimum: { unit: 'business_day', value: 1 }, maximum: { unit: 'business_day', value: 2 } },
          metadata: { carrier: 'dhl' },
        },
      );
      assert.deepEqual((await stripe.shippingRates.list({ currency: 'eur' })).data.map((r) => r.id), [rate.id]);
      const taxed = await stripe.shippingRates.update(rate.id, { tax_behavior: 'inclusive' });
      assert.equal(taxed.tax_behavior, 'inclusive');
      await rejects(stripe.shippingRates.update(rate.id, { tax_behavior: 'exclusive' }), { param: 'tax_behavior' });
      await rejects(stripe.shippingRates.create({ display_name: 'No amount' }), { param: 'fixed_amount' });
      await rejects(stripe.shippingRates.create({ display_name: 'Coded', fixed_amount: { amount: 1, currency: 'usd' }, tax_code: 'txcd_92010001' }), { code: 'parameter_unsupported', param: 'tax_code' });

      const customer = await stripe.customers.create({ name: 'Euro' });
      const invoice = await stripe.invoices.create({ customer: customer.id, currency: 'eur', shipping_cost: { shipping_rate: rate.id } });
      assert.deepEqual([invoice.total, invoice.amount_shipping], [1500, 1500]);
      await stripe.shippingRates.update(rate.id, { active: false });
      assert.deepEqual((await stripe.shippingRates.list({ currency: 'eur', active: true })).data, []);
      await rejects(stripe.invoices.create({ customer: customer.id, currency: 'eur', shipping_cost: { shipping_rate: rate.id } }), { param: 'shipping_cost[shipping_rate]', message: /inactive/ });
      // The invoice keeps the amount it took.
      assert.equal((await stripe.invoices.retrieve(invoice.id)).total, 1500);
    });

    test('revisions: a copy of a finalized invoice that voids it when finalized', async () => {
      const customer = await stripe.customers.create({ name: 'Reviser' });
      const draft = await invoiceWith(customer.id, [{ amount: 1000 }], { description: 'First', metadata: { po: '7' } });
      await rejects(stripe.invoices.create({ from_invoice: { action: 'revision', invoice: draft.id } }), {
        code: 'invoice_not_editable',
        param: 'from_invoice[invoice]',
        message: /draft/,
      });
      const original = await stripe.invoices.finalizeInvoice(draft.id);
      const originalItem = (original.lines.data[0]!.parent!.invoice_item_details!.invoice_item) as string;

      const key = `rev-${db.name}`;
      const revision = await stripe.invoices.create({ from_invoice: { action: 'revision', invoice: original.id }, description: 'Corrected' }, { idempotencyKey: key });
      assert.equal((await stripe.invoices.create({ from_invoice: { action: 'revision', invoice: original.id }, description: 'Corrected' }, { idempotencyKey: key })).id, revision.id);
      assert.deepEqual(
        { status: revision.status, from: revision.from_invoice, customer: revision.customer, description: revision.description, metadata: revision.metadata, total: revision.total, number: revision.number },
        { status: 'draft', from: { action: 'revision', invoice: original.id }, customer: customer.id, description: 'Corrected', metadata: { po: '7' }, total: 1000, number: null },
      );
      const copiedItem = revision.lines.data[0]!.parent!.invoice_item_details!.invoice_item as string;
      assert.notEqual(copiedItem, originalItem);
      assert.equal((await stripe.invoiceItems.retrieve(copiedItem)).invoice, revision.id);

      // Editing the revision leaves the original as it was: 10.00 + 2.50 = 12.50 on the revision only.
      await stripe.invoices.addLines(revision.id, { lines: [{ amount: 250, description: 'Forgotten' }] });
      assert.equal((await stripe.invoices.retrieve(revision.id)).total, 1250);
      assert.equal((await stripe.invoices.retrieve(original.id)).total, 1000);
      assert.equal((await stripe.invoiceItems.retrieve(originalItem)).invoice, original.id);

      const final = await stripe.invoices.finalizeInvoice(revision.id);
      assert.deepEqual([final.status, final.number, final.amount_due], ['open', `${original.number}-1`, 1250]);
      const voided = await stripe.invoices.retrieve(original.id, { expand: ['latest_revision'] });
      assert.equal(voided.status, 'void');
      assert.equal((voided.latest_revision as Stripe.Invoice).id, revision.id);
      const events = await objectEvents(server, original.id);
      const voidEvent = events.find((e) => e.type === 'invoice.voided')!;
      assert.equal(voidEvent.data.object.latest_revision, revision.id);

      // A revision of the revision continues the count; void and paid invoices can't be revised.
      const second = await stripe.invoices.create({ from_invoice: { action: 'revision', invoice: final.id } });
      assert.equal((await stripe.invoices.finalizeInvoice(second.id)).number, `${original.number}-2`);
      await rejects(stripe.invoices.create({ from_invoice: { action: 'revision', invoice: original.id } }), { param: 'from_invoice[invoice]', message: /void/ });
      const paid = await stripe.invoices.pay((await stripe.invoices.finalizeInvoice((await invoiceWith(customer.id, [{ amount: 300 }])).id)).id, { paid_out_of_band: true });
      await rejects(stripe.invoices.create({ from_invoice: { action: 'revision', invoice: paid.id } }), { param: 'from_invoice[invoice]', message: /paid/ });
      const stranger = await stripe.customers.create({ name: 'Other' });
      const open = await stripe.invoices.finalizeInvoice((await invoiceWith(customer.id, [{ amount: 300 }])).id);
      await rejects(stripe.invoices.create({ customer: stranger.id, from_invoice: { action: 'revision', invoice: open.id } }), { param: 'customer' });
      await rejects(stripe.invoices.create({ from_invoice: { action: 'revision', invoice: 'in_missing' } }), { status: 404, param: 'from_invoice[invoice]' });

      // A revision dropped before finalization takes its copied items with it: they never become
      // pending items that a later invoice would bill a second time.
      const dropped = await stripe.invoices.create({ from_invoice: { action: 'revision', invoice: open.id } });
      const droppedItem = dropped.lines.data[0]!.parent!.invoice_item_details!.invoice_item as string;
      await stripe.invoices.del(dropped.id);
      assert.deepEqual((await objectEvents(server, droppedItem)).map((e) => e.type), ['invoiceitem.created', 'invoiceitem.deleted']);
      const trimmed = await stripe.invoices.create({ from_invoice: { action: 'revision', invoice: open.id } });
      await stripe.invoices.removeLines(trimmed.id, { lines: [{ id: trimmed.lines.data[0]!.id, behavior: 'unassign' }] });
      await stripe.invoices.del(trimmed.id);
      const next = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
      assert.equal(next.total, 0);
      assert.equal((await stripe.invoices.retrieve(open.id)).status, 'open');
      await rejects(stripe.invoices.create({} as Stripe.InvoiceCreateParams), { param: 'customer' });
    });

    test('status_details: why an invoice is uncollectible, only while it is; an uncollectible one can be revised', async () => {
      const customer = await stripe.customers.create({ name: 'Forgiven' });
      const open = await stripe.invoices.finalizeInvoice((await invoiceWith(customer.id, [{ amount: 700 }])).id);
      assert.equal(open.status_details, undefined);
      const marked = await stripe.invoices.markUncollectible(open.id);
      assert.deepEqual(marked.status_details, { uncollectible: { reason: 'user_forgiven' } });
      const paid = await stripe.invoices.pay(marked.id, { paid_out_of_band: true });
      assert.deepEqual([paid.status, paid.status_details], ['paid', undefined]);

      const other = await stripe.invoices.markUncollectible((await stripe.invoices.finalizeInvoice((await invoiceWith(customer.id, [{ amount: 900 }])).id)).id);
      const revision = await stripe.invoices.create({ from_invoice: { action: 'revision', invoice: other.id } });
      await stripe.invoices.finalizeInvoice(revision.id);
      const voided = await stripe.invoices.retrieve(other.id);
      assert.deepEqual([voided.status, voided.status_details, voided.latest_revision], ['void', undefined, revision.id]);
    });

    test("customer_tax_ids: read again while draft, the finalization's snapshot after", async () => {
      const customer = await stripe.customers.create({ name: 'Taxed' });
      const draft = await invoiceWith(customer.id, [{ amount: 100 }]);
      assert.deepEqual(draft.customer_tax_ids, []);
      await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'FR12345678901' });
      const updated = await stripe.invoices.update(draft.id, { description: 'With tax ID' });
      assert.deepEqual(updated.customer_tax_ids, [{ type: 'eu_vat', value: 'FR12345678901' }]);
      const open = await stripe.invoices.finalizeInvoice(draft.id);
      await stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '12-3456789' });
      assert.deepEqual((await stripe.invoices.retrieve(open.id)).customer_tax_ids, [{ type: 'eu_vat', value: 'FR12345678901' }]);
      assert.match(await pageText(open.hosted_invoice_url!), /EU VAT FR12345678901/);
    });
  });
}
