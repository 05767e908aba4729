/**
 * The portal's payment and billing pages in a real browser (Chromium via playwright-core), with the
 * SDK checking the objects and a webhook receiver checking the signed events: adding cards from the
 * test card form (a good card, a declined one, 3-D Secure completed and failed), making one the default
 * (a renewal on a test clock then charges it), removing one, refusing to remove the card a subscription
 * charges, refusing another customer's ids, live mode without a card form, and that the card number
 * and CVC are nowhere: in no table, no log line, no event. One server and one browser for the file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import Stripe from 'stripe';
import { sql } from 'kysely';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { advanceTestClock, customerOnClock } from './support/suite.ts';

const skip = browserSkipReason();
const NOW = 1_893_456_000; // 2030-01-01T00:00:00Z, the test server's clock
/** Every card number and the CVC typed in this file; none may be kept anywhere. */
const TYPED_NUMBERS = ['4111111111111111', '4242424242424242', '4000000000000002', '4000002760003184', '378282246310005', '4000000000009995'];
const TYPED_CVC = '7391';

describe('portal payment methods in a browser', { skip: skip ?? false }, () => {
  let server: TestServer;
  let stripe: Stripe;
  let browser: Browser;
  let receiver: Receiver;
  let secret: string;
  const log: string[] = [];
  const cspErrors: string[] = [];
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  before(async () => {
    // Every line the server process writes is kept for the card-number search.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: any[]) => (log.push(String(chunk)), writes.out(chunk, ...rest))) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: any[]) => (log.push(String(chunk)), writes.err(chunk, ...rest))) as typeof process.stderr.write;
    server = await startTestServer({ logInfo: (l) => log.push(l), logWarning: (l) => log.push(l) });
    stripe = server.stripe;
    browser = await launchBrowser();
    receiver = await startReceiver();
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    secret = endpoint.secret!;
  });
  after(async () => {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    await browser?.close();
    await receiver?.close();
    await server?.close();
  });

  /** The signed events delivered so far, verified with the endpoint's secret. */
  async function deliveredEvents(): Promise<Stripe.Event[]> {
    await server.portico.deliveryWorker!.drain();
    return receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, String(r.headers['stripe-signature']), secret));
  }

  async function openPortal(customer: string, opts: { locale?: string; live?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
    const client = opts.live ? server.live : stripe;
    const config = await client.billingPortal.configurations.create({
      business_profile: { headline: 'Acme Cloud billing' },
      features: { payment_method_update: { enabled: true }, invoice_history: { enabled: true } },
    });
    const session = await client.billingPortal.sessions.create({ customer, configuration: config.id, return_url: 'https://example.com/account' });
    const context = await browser.newContext({ locale: opts.locale ?? 'en-US' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    const res = await page.goto(session.url);
    assert.equal(res?.status(), 200);
    return { context, page };
  }

  async function fillCard(page: Page, number: string, opts: { expiry?: string; cvc?: string; makeDefault?: boolean } = {}) {
    await page.goto(`${server.url}/p/payment-methods/new`);
    await page.fill('#card-number', number);
    await page.fill('#card-expiry', opts.expiry ?? '12 / 34');
    await page.fill('#card-cvc', opts.cvc ?? (number.startsWith('37') ? TYPED_CVC : '739'));
    await page.fill('#card-name', 'Jenny Rosen');
    await page.selectOption('#card-country', 'DE');
    await page.fill('#card-postal_code', '10115');
    if (opts.makeDefault === false) await page.uncheck('input[name=make_default]');
    await Promise.all([page.waitForEvent('load'), page.click('form[action="/p/payment-methods"] button[type=submit]')]);
  }

  /** Posts a portal form by hand (as a forged or hand-made request would), with this page's CSRF token. */
  async function postForm(page: Page, path: string, fields: Record<string, string> = {}) {
    const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
    return page.request.post(`${server.url}${path}`, { form: { csrf: csrf ?? '', ...fields }, headers: { Origin: server.url }, maxRedirects: 0 });
  }

  const attachedCards = async (customer: string) => (await stripe.customers.listPaymentMethods(customer)).data;

  test('add 4242 and make it the default: the subscription renews on it; the old card can then be removed', async () => {
    const { clock, customer, pm: oldPm } = await customerOnClock(server, NOW, 'pm_card_mastercard', 'jenny@example.com');
    const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2900, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: oldPm! });
    const { context, page } = await openPortal(customer.id);
    try {
      await page.goto(`${server.url}/p/payment-methods`);
      assert.match(await page.textContent('main') ?? '', /Mastercard ending in 4444/);
      await fillCard(page, '4242 4242 4242 4242', { makeDefault: false });
      assert.equal(new URL(page.url()).pathname, '/p/payment-methods');
      assert.match(await page.textContent('[role=status]') ?? '', /Your card was added/);
      const cards = await attachedCards(customer.id);
      const visa = cards.find((c) => c.card?.last4 === '4242');
      assert.ok(visa, 'the new card is attached');
      assert.equal(visa.card?.brand, 'visa');
      assert.equal(visa.card?.exp_month, 12);
      assert.equal(visa.card?.exp_year, 2034);
      assert.equal(visa.billing_details.name, 'Jenny Rosen');
      assert.equal(visa.billing_details.address?.country, 'DE');
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).invoice_settings.default_payment_method, oldPm, 'not default unless asked');

      await Promise.all([page.waitForEvent('load'), page.click(`[data-payment-method="${visa.id}"] form[action$="/default"] button`)]);
      assert.match(await page.textContent('[role=status]') ?? '', /default payment method was updated/);
      const after = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
      assert.equal(after.invoice_settings.default_payment_method, visa.id);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).default_payment_method, visa.id, 'the subscription’s own default follows');
      const badge = page.locator(`[data-payment-method="${visa.id}"] .badge`, { hasText: 'Default' });
      assert.equal(await badge.count(), 1);
      assert.deepEqual(await axeViolations(page), []);

      // The renewal a month later charges the new card.
      await advanceTestClock(server, clock.id, NOW + 32 * 86400);
      const invoices = await stripe.invoices.list({ customer: customer.id, limit: 1 });
      assert.equal(invoices.data[0]!.billing_reason, 'subscription_cycle');
      assert.equal(invoices.data[0]!.status, 'paid');
      assert.equal((invoices.data[0] as any).default_payment_method, visa.id);

      // The old card no longer pays anything: it may go.
      await page.goto(`${server.url}/p/payment-methods`);
      await Promise.all([page.waitForEvent('load'), page.click(`[data-payment-method="${oldPm}"] form[action$="/remove"] button`)]);
      assert.match(await page.textContent('[role=status]') ?? '', /The card was removed/);
      assert.deepEqual((await attachedCards(customer.id)).map((c) => c.id), [visa.id]);

      const events = (await deliveredEvents()).filter((e) => JSON.stringify(e.data).includes(customer.id));
      const types: string[] = events.map((e) => e.type);
      for (const t of ['payment_method.attached', 'customer.updated', 'customer.subscription.updated', 'payment_method.detached']) assert.ok(types.includes(t), `${t} in ${types}`);
      const updated = events.find((e) => e.type === 'customer.updated' && (e.data.object as Stripe.Customer).invoice_settings.default_payment_method === visa.id)!;
      assert.deepEqual(updated.data.previous_attributes, { invoice_settings: { default_payment_method: oldPm } });
    } finally {
      await context.close();
    }
  });

  test('a declined card is attached to nothing; form errors are kept per field without echoing the number', async () => {
    const customer = await stripe.customers.create({ email: 'decline@example.com' });
    const { context, page } = await openPortal(customer.id);
    try {
      await fillCard(page, '4000 0000 0000 0002');
      assert.match(await page.textContent('[role=alert]') ?? '', /Your card was declined/);
      assert.equal(await page.inputValue('#card-number'), '', 'the number is not written back');
      assert.equal(await page.inputValue('#card-cvc'), '');
      assert.equal(await page.inputValue('#card-expiry'), '12 / 34', 'the rest of the form is kept');
      assert.deepEqual(await attachedCards(customer.id), []);
      assert.ok(!(await deliveredEvents()).some((e) => e.type === 'payment_method.attached' && (e.data.object as Stripe.PaymentMethod).customer === customer.id));

      await fillCard(page, '4242 4242 4242 4241', { expiry: '13 / 30', cvc: '12' });
      assert.match(await page.textContent('#card-number-error') ?? '', /card number is incorrect/);
      assert.match(await page.textContent('#card-expiry-error') ?? '', /valid expiration date/);
      assert.match(await page.textContent('#card-cvc-error') ?? '', /security code is invalid/);
      assert.equal(await page.getAttribute('#card-number', 'aria-invalid'), 'true');
      await fillCard(page, '4242 4242 4242 4242', { expiry: '11 / 29' });
      assert.match(await page.textContent('#card-expiry-error') ?? '', /expired/);
      await fillCard(page, '4000 0000 0000 9995');
      assert.match(await page.textContent('[role=alert]') ?? '', /declined/);
      assert.deepEqual(await axeViolations(page), []);
      assert.deepEqual(await attachedCards(customer.id), []);
    } finally {
      await context.close();
    }
  });

  test('a card that asks for 3-D Secure: completing attaches it, failing attaches nothing', async () => {
    const customer = await stripe.customers.create({ email: '3ds@example.com' });
    const { context, page } = await openPortal(customer.id);
    try {
      await fillCard(page, '4000 0027 6000 3184');
      assert.match(new URL(page.url()).pathname, /^\/p\/authenticate\/pa_/);
      assert.match(await page.textContent('main') ?? '', /confirm that this card is yours/);
      assert.deepEqual(await attachedCards(customer.id), [], 'nothing attached before the challenge');
      assert.deepEqual(await axeViolations(page), []);
      const challenge = page.url();
      await Promise.all([page.waitForEvent('load'), page.click('button:has-text("Complete authentication")')]);
      assert.match(await page.textContent('[role=status]') ?? '', /Your card was added/);
      const cards = await attachedCards(customer.id);
      assert.equal(cards.length, 1);
      assert.equal(cards[0]!.card?.last4, '3184');
      assert.equal(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).invoice_settings.default_payment_method, cards[0]!.id);
      // The challenge resolves once.
      await page.goto(challenge);
      assert.match(await page.textContent('main') ?? '', /already over/);

      await fillCard(page, '4000 0027 6000 3184');
      await Promise.all([page.waitForEvent('load'), page.click('button:has-text("Fail authentication")')]);
      assert.match(await page.textContent('[role=alert]') ?? '', /Authentication failed, so the card was not added/);
      assert.equal((await attachedCards(customer.id)).length, 1);
    } finally {
      await context.close();
    }
  });

  test('the default card of a subscription charged automatically cannot be removed; another customer’s ids are not found', async () => {
    const customer = await stripe.customers.create({ email: 'keep@example.com' });
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const price = await stripe.prices.create({ currency: 'usd', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'Basic' } });
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const other = await stripe.customers.create({ email: 'other@example.com' });
    const otherPm = await stripe.paymentMethods.attach('pm_card_amex', { customer: other.id });
    const { context, page } = await openPortal(customer.id);
    try {
      await page.goto(`${server.url}/p/payment-methods`);
      await Promise.all([page.waitForEvent('load'), page.click(`[data-payment-method="${pm.id}"] form[action$="/remove"] button`)]);
      assert.match(await page.textContent('[role=alert]') ?? '', /Make another card the default before removing it/);
      assert.equal((await attachedCards(customer.id)).length, 1);
      for (const action of ['default', 'remove']) {
        const res = await postForm(page, `/p/payment-methods/${otherPm.id}/${action}`);
        assert.equal(res.status(), 404, action);
      }
      const challenge = await page.request.get(`${server.url}/p/authenticate/pa_000000000000000000000000`);
      assert.equal(challenge.status(), 404);
      assert.equal((await stripe.paymentMethods.retrieve(otherPm.id)).customer, other.id, 'untouched');
      // A post without the CSRF token, or from another origin, is refused before anything happens.
      const forged = await page.request.post(`${server.url}/p/payment-methods/${pm.id}/remove`, { form: { csrf: 'x' }, headers: { Origin: server.url }, maxRedirects: 0 });
      assert.equal(forged.status(), 403);
    } finally {
      await context.close();
    }
  });

  test('live mode offers no card form and refuses a posted card', async () => {
    const customer = await server.live.customers.create({ email: 'live@example.com' });
    // A live card saved through the API (no processor charges it): the page then has forms to take a token from.
    const livePm = await server.live.paymentMethods.create({ type: 'card', card: { number: '4111111111111111', exp_month: 12, exp_year: 2034, cvc: TYPED_CVC } });
    await server.live.paymentMethods.attach(livePm.id, { customer: customer.id });
    const { context, page } = await openPortal(customer.id, { live: true });
    try {
      await page.goto(`${server.url}/p/payment-methods`);
      assert.match(await page.textContent('main') ?? '', /Visa ending in 1111/);
      const res = await postForm(page, '/p/payment-methods', { number: '4242424242424242', expiry: '12/34', cvc: '123' });
      assert.equal(res.status(), 403);
      await page.goto(`${server.url}/p/payment-methods/new`);
      assert.match(await page.textContent('main') ?? '', /no payment processor for real cards/);
      assert.equal(await page.locator('input[name=number]').count(), 0);
      assert.deepEqual((await server.live.customers.listPaymentMethods(customer.id)).data.map((p) => p.id), [livePm.id]);
    } finally {
      await context.close();
    }
  });

  test('an American Express card with a four-digit CVC is added', async () => {
    const customer = await stripe.customers.create({ email: 'amex@example.com' });
    const { context, page } = await openPortal(customer.id);
    try {
      await fillCard(page, '3782 822463 10005');
      assert.match(await page.textContent('[role=status]') ?? '', /Your card was added/);
      assert.equal((await attachedCards(customer.id))[0]!.card?.brand, 'amex');
    } finally {
      await context.close();
    }
  });

  test('the card numbers and CVC typed above are in no table, no event and no log line', async () => {
    await deliveredEvents();
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(server.portico.storage.db);
    assert.ok(tables.rows.length >= 10);
    const found: string[] = [];
    let rows = 0;
    for (const { table_name } of tables.rows) {
      const dump = await sql<{ t: string }>`select t::text as t from ${sql.table(table_name)} as t`.execute(server.portico.storage.db);
      rows += dump.rows.length;
      for (const { t } of dump.rows) {
        const digits = t.replace(/[\s-]/g, '');
        for (const n of TYPED_NUMBERS) if (digits.includes(n)) found.push(`${table_name}: ${n}`);
        if (new RegExp(`cvc[^0-9]{0,8}${TYPED_CVC}`, 'i').test(t)) found.push(`${table_name}: the CVC`);
      }
    }
    assert.ok(rows > 100, `the search read the database (${rows} rows)`);
    // The search itself finds what it looks for: the last 4 digits are stored, as they must be.
    const pms = await sql<{ t: string }>`select t::text as t from objects as t where object = 'payment_method'`.execute(server.portico.storage.db);
    assert.ok(pms.rows.some((r) => /last4\W{1,8}0005/.test(r.t)), 'the last 4 digits are found');
    for (const line of [...log, ...receiver.received.map((r) => r.body)]) {
      for (const n of TYPED_NUMBERS) if (line.replace(/[\s-]/g, '').includes(n)) found.push(`log: ${n}`);
      if (new RegExp(`cvc[^0-9]{0,8}${TYPED_CVC}`, 'i').test(line)) found.push('log: the CVC');
    }
    assert.deepEqual(found, []);
    assert.deepEqual(cspErrors, []);
  });
});
