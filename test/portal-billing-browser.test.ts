/**
 * The portal's billing information and invoice pages in a real browser (Chromium via playwright-core),
 * the SDK checking the objects and the webhook receiver checking signed events: editing every allowed
 * billing field and tax IDs (a valid and an invalid EU VAT number), a field that `allowed_updates`
 * leaves out shown read-only and refused when posted by hand, the invoice history with "Show more",
 * paying the open invoice of a `past_due` subscription with a card that asks for 3-D Secure (it becomes
 * `active`), two tabs paying one invoice (one payment), a declined payment, and another customer's
 * invoice, card and tax ID ids refused. axe-core on each page, in English and Japanese.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import Stripe from 'stripe';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { advanceTestClock, customerOnClock, objectEvents } from './support/suite.ts';
import { openPostgresSchema } from './support/storages.ts';
import type { Storage } from '../src/storage/database.ts';

const skip = browserSkipReason();
const NOW = 1_893_456_000; // 2030-01-01T00:00:00Z

describe('portal billing information and invoices in a browser', { skip: skip ?? false }, () => {
  let server: TestServer;
  let stripe: Stripe;
  let browser: Browser;
  let receiver: Receiver;
  let secret: string;

  let storage: Storage | null = null;

  before(async () => {
    // Row locks matter here (two tabs paying one invoice): with DATABASE_URL the file runs on PostgreSQL.
    const url = process.env.DATABASE_URL;
    storage = url ? await openPostgresSchema(url) : null;
    server = await startTestServer(storage ? { storage } : {});
    stripe = server.stripe;
    browser = await launchBrowser();
    receiver = await startReceiver();
    secret = (await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] })).secret!;
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.close();
    await storage?.close();
  });

  async function deliveredEvents(): Promise<Stripe.Event[]> {
    await server.portico.deliveryWorker!.drain();
    return receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, String(r.headers['stripe-signature']), secret));
  }

  async function openPortal(
    customer: string,
    features: Stripe.BillingPortal.ConfigurationCreateParams.Features,
    locale = 'en-US',
  ): Promise<{ context: BrowserContext; page: Page }> {
    const config = await stripe.billingPortal.configurations.create({ business_profile: { headline: 'Acme Cloud billing' }, features });
    const session = await stripe.billingPortal.sessions.create({ customer, configuration: config.id, return_url: 'https://example.com/account' });
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    assert.equal((await page.goto(session.url))?.status(), 200);
    return { context, page };
  }

  /** Clicks and waits for the page the click leads to (waitForLoadState would see the current one, already loaded). */
  async function submit(page: Page, selector: string) {
    await Promise.all([page.waitForEvent('load'), page.click(selector)]);
  }

  async function postForm(page: Page, path: string, fields: Record<string, string>) {
    const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
    return page.request.post(`${server.url}${path}`, { form: { csrf: csrf ?? '', ...fields }, headers: { Origin: server.url }, maxRedirects: 0 });
  }

  const ALL: Stripe.BillingPortal.ConfigurationCreateParams.Features = {
    customer_update: { enabled: true, allowed_updates: ['name', 'email', 'address', 'phone', 'shipping', 'tax_id'] },
    invoice_history: { enabled: true },
    payment_method_update: { enabled: true },
  };

  test('every allowed billing field and tax IDs are edited; errors stay in the form', async () => {
    const customer = await stripe.customers.create({ email: 'jenny@example.com', name: 'Jenny Rosen' });
    const other = await stripe.customers.create({ email: 'other@example.com' });
    const otherTaxId = await stripe.customers.createTaxId(other.id, { type: 'eu_vat', value: 'DE123456789' });
    const { context, page } = await openPortal(customer.id, ALL);
    try {
      await page.goto(`${server.url}/p/billing`);
      assert.deepEqual(await axeViolations(page), []);
      await page.fill('#billing-name', 'Jenny Q. Rosen');
      await page.fill('#billing-email', 'not-an-email');
      await page.fill('#billing-phone', '+49 30 1234567');
      await page.selectOption('#billing-address_country', 'DE');
      await page.fill('#billing-address_line1', 'Unter den Linden 1');
      await page.fill('#billing-address_city', 'Berlin');
      await page.fill('#billing-address_postal_code', '10117');
      await page.fill('#billing-shipping_line1', 'Friedrichstraße 2');
      await submit(page, 'form[action="/p/billing"] button[type=submit]');
      assert.match(await page.textContent('#billing-email-error') ?? '', /valid email/);
      assert.match(await page.textContent('#billing-shipping_name-error') ?? '', /required/);
      assert.equal(await page.inputValue('#billing-name'), 'Jenny Q. Rosen', 'typed values stay');
      assert.equal(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).name, 'Jenny Rosen', 'nothing saved');

      await page.fill('#billing-email', 'jenny.rosen@example.com');
      await page.fill('#billing-shipping_name', 'Jenny Rosen');
      await page.selectOption('#billing-shipping_country', 'DE');
      await page.fill('#billing-shipping_city', 'Berlin');
      await page.fill('#billing-shipping_postal_code', '10117');
      await submit(page, 'form[action="/p/billing"] button[type=submit]');
      assert.match(await page.textContent('[role=status]') ?? '', /billing information was saved/);
      const saved = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
      assert.equal(saved.name, 'Jenny Q. Rosen');
      assert.equal(saved.email, 'jenny.rosen@example.com');
      assert.equal(saved.phone, '+49 30 1234567');
      assert.deepEqual(saved.address, { city: 'Berlin', country: 'DE', line1: 'Unter den Linden 1', line2: null, postal_code: '10117', state: null });
      assert.deepEqual(saved.shipping, {
        name: 'Jenny Rosen',
        phone: null,
        address: { city: 'Berlin', country: 'DE', line1: 'Friedrichstraße 2', line2: null, postal_code: '10117', state: null },
      });

      // Tax IDs: an invalid EU VAT number is refused beside its field; a valid one is added, then removed.
      await page.selectOption('#tax-id-type', 'eu_vat');
      await page.fill('#tax-id-value', 'DE12');
      await submit(page, 'form[action="/p/billing/tax-ids"] button[type=submit]');
      assert.match(await page.textContent('#tax-id-value-error') ?? '', /not valid/);
      assert.equal(await page.inputValue('#tax-id-value'), 'DE12');
      await page.fill('#tax-id-value', 'DE123456789');
      await submit(page, 'form[action="/p/billing/tax-ids"] button[type=submit]');
      assert.match(await page.textContent('[role=status]') ?? '', /tax ID was added/);
      const taxIds = (await stripe.customers.listTaxIds(customer.id)).data;
      assert.deepEqual(taxIds.map((x) => [x.type, x.value]), [['eu_vat', 'DE123456789']]);
      assert.equal((await postForm(page, `/p/billing/tax-ids/${otherTaxId.id}/remove`, {})).status(), 404, 'another customer’s tax ID');
      await submit(page, `[data-tax-id="${taxIds[0]!.id}"] button`);
      assert.match(await page.textContent('[role=status]') ?? '', /tax ID was removed/);
      assert.deepEqual((await stripe.customers.listTaxIds(customer.id)).data, []);
      assert.equal((await stripe.customers.listTaxIds(other.id)).data.length, 1);

      const events = (await deliveredEvents()).filter((e) => JSON.stringify(e.data.object).includes(customer.id));
      const updated = events.filter((e) => e.type === 'customer.updated');
      assert.equal(updated.length, 1, 'one save, one event');
      assert.deepEqual(Object.keys(updated[0]!.data.previous_attributes ?? {}).sort(), ['address', 'email', 'name', 'phone', 'shipping']);
      assert.equal((updated[0]!.data.previous_attributes as any).name, 'Jenny Rosen');
      const types = events.map((e) => e.type as string);
      assert.ok(types.includes('customer.tax_id.created') && types.includes('customer.tax_id.deleted'), String(types));
    } finally {
      await context.close();
    }
  });

  test('a field not in allowed_updates is read-only and refused when posted by hand', async () => {
    const customer = await stripe.customers.create({ email: 'ro@example.com', name: 'Read Only' });
    const { context, page } = await openPortal(customer.id, { customer_update: { enabled: true, allowed_updates: ['email'] } }, 'ja-JP');
    try {
      await page.goto(`${server.url}/p/billing`);
      assert.equal(await page.locator('input[name=name]').count(), 0);
      assert.match(await page.textContent('[data-readonly=name]') ?? '', /Read Only/);
      assert.equal(await page.locator('#tax-id-value').count(), 0, 'tax IDs not editable either');
      assert.deepEqual(await axeViolations(page), []);
      const res = await postForm(page, '/p/billing', { email: 'ro2@example.com', name: 'Changed' });
      assert.equal(res.status(), 400);
      const after = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
      assert.equal(after.name, 'Read Only');
      assert.equal(after.email, 'ro@example.com', 'nothing of a refused form is saved');
      assert.equal((await postForm(page, '/p/billing/tax-ids', { type: 'eu_vat', value: 'DE123456789' })).status(), 400);
      assert.deepEqual((await stripe.customers.listTaxIds(customer.id)).data, []);
      await page.fill('#billing-email', 'ro3@example.com');
      await submit(page, 'form[action="/p/billing"] button[type=submit]');
      assert.equal(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).email, 'ro3@example.com');
    } finally {
      await context.close();
    }
  });

  test('paying the open invoice of a past_due subscription with a card that asks for 3-D Secure makes it active', async () => {
    const { clock, customer } = await customerOnClock(server, NOW, 'pm_card_visa', 'late@example.com');
    const price = await stripe.prices.create({ currency: 'eur', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Team' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: failing.id } });
    await advanceTestClock(server, clock.id, NOW + 32 * 86400);
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'past_due');
    const open = (await stripe.invoices.list({ customer: customer.id, status: 'open' })).data[0]!;
    const threeDs = await stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: customer.id });
    const other = await stripe.customers.create({ email: 'someone@example.com' });
    const otherPm = await stripe.paymentMethods.attach('pm_card_visa', { customer: other.id });

    const { context, page } = await openPortal(customer.id, ALL);
    try {
      await page.goto(`${server.url}/p/invoices`);
      assert.deepEqual(await axeViolations(page), []);
      await submit(page, `[data-invoice="${open.id}"] a.button`);
      assert.equal(new URL(page.url()).pathname, `/p/invoices/${open.id}/pay`);
      assert.match(await page.textContent('main') ?? '', /€15\.00/);
      assert.deepEqual(await axeViolations(page), []);
      // Another customer's card, posted by hand, is not found; nothing is charged.
      assert.equal((await postForm(page, `/p/invoices/${open.id}/pay`, { payment_method: otherPm.id })).status(), 404);
      // The default (declining) card first: declined, the invoice stays open.
      await submit(page, 'form[action$="/pay"] button[type=submit]');
      assert.match(await page.textContent('[role=alert]') ?? '', /payment was declined/);
      assert.equal((await stripe.invoices.retrieve(open.id)).status, 'open');
      // Then the 3-D Secure card: the challenge, failed once, then completed.
      await page.check(`input[name=payment_method][value="${threeDs.id}"]`);
      await submit(page, 'form[action$="/pay"] button[type=submit]');
      assert.match(new URL(page.url()).pathname, /^\/p\/authenticate\//);
      assert.match(await page.textContent('main') ?? '', /confirm a payment of €15\.00/);
      await submit(page, 'button:has-text("Fail authentication")');
      assert.match(await page.textContent('[role=alert]') ?? '', /no payment was made/);
      assert.equal((await stripe.invoices.retrieve(open.id)).status, 'open');
      await page.goto(`${server.url}/p/invoices/${open.id}/pay`);
      await page.check(`input[name=payment_method][value="${threeDs.id}"]`);
      await submit(page, 'form[action$="/pay"] button[type=submit]');
      await submit(page, 'button:has-text("Complete authentication")');
      assert.match(await page.textContent('[role=status]') ?? '', /Payment received/);
      assert.equal((await stripe.invoices.retrieve(open.id)).status, 'paid');
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
      // Events of objects on a test clock are dated at the clock's time, so their webhooks wait for it: read them stored.
      const types = (await objectEvents(server, open.id)).map((e) => e.type);
      assert.ok(types.includes('invoice.payment_action_required') && types.includes('invoice.paid'), String(types));
    } finally {
      await context.close();
    }
  });

  test('two tabs paying one invoice make one payment; Show more pages the history; another customer’s invoice is not found', async () => {
    const customer = await stripe.customers.create({ email: 'tabs@example.com' });
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) {
      await stripe.invoiceItems.create({ customer: customer.id, amount: 1000 + i, currency: 'usd', description: `Item ${i}` });
      const inv = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', auto_advance: false });
      ids.push((await stripe.invoices.finalizeInvoice(inv.id)).id);
    }
    const newest = ids[ids.length - 1]!;
    const other = await stripe.customers.create({ email: 'x@example.com' });
    await stripe.invoiceItems.create({ customer: other.id, amount: 500, currency: 'usd' });
    const otherInvoice = await stripe.invoices.finalizeInvoice((await stripe.invoices.create({ customer: other.id, pending_invoice_items_behavior: 'include', auto_advance: false })).id);

    const { context, page } = await openPortal(customer.id, ALL);
    try {
      await page.goto(`${server.url}/p/invoices`);
      assert.equal(await page.locator('tr[data-invoice]').count(), 10);
      await submit(page, 'a:has-text("Show more")');
      assert.deepEqual(await page.locator('tr[data-invoice]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-invoice'))), [ids[0]]);
      assert.equal(await page.locator('a:has-text("Show more")').count(), 0);

      const second = await context.newPage();
      await page.goto(`${server.url}/p/invoices/${newest}/pay`);
      await second.goto(`${server.url}/p/invoices/${newest}/pay`);
      await Promise.all([submit(page, 'form[action$="/pay"] button[type=submit]'), submit(second, 'form[action$="/pay"] button[type=submit]')]);
      const notices = [await page.textContent('[role=status]'), await second.textContent('[role=status]')].sort();
      assert.match(notices[0] ?? '', /Payment received/);
      assert.match(notices[1] ?? '', /already paid/);
      const paid = await stripe.invoices.retrieve(newest);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.attempt_count, 1, 'one payment');
      const succeeded = (await deliveredEvents()).filter((e) => e.type === 'invoice.payment_succeeded' && (e.data.object as Stripe.Invoice).id === newest);
      assert.equal(succeeded.length, 1);

      assert.equal((await page.request.get(`${server.url}/p/invoices/${otherInvoice.id}/pay`)).status(), 404);
      await page.goto(`${server.url}/p/payment-methods`);
      assert.equal((await postForm(page, `/p/invoices/${otherInvoice.id}/pay`, {})).status(), 404);
      assert.equal((await stripe.invoices.retrieve(otherInvoice.id)).status, 'open');
    } finally {
      await context.close();
    }
  });
});
