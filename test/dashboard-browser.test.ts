/**
 * The merchant dashboard in a real browser (Chromium via playwright-core), one server and one browser
 * for the whole journey: an administrator created with the CLI signs in; changes a portal setting and
 * sees it in a new portal session; previews a customer's portal with no object, session or event
 * changing; opens a customer's portal; adds a webhook endpoint, sees a delivery with its response and
 * resends it; advances a test clock and sees the renewal invoice; rolls the test key and the SDK is
 * refused with the old one; finds each change in the audit log. Every page is checked with axe-core
 * (no serious or critical violation) and for CSP violations. Embedded database (the browser's side
 * does not depend on it; the security suite runs on both).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import Stripe from 'stripe';
import { openStorage, type Storage } from '../src/storage/database.ts';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const skip = browserSkipReason();
const EMAIL = 'owner@example.com';

describe('dashboard in a browser', { skip: skip ?? false }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-dashboard-'));
  let password: string;
  let storage: Storage;
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let receiver: Receiver;
  const cspErrors: string[] = [];
  const checked = new Set<string>();

  before(async () => {
    // The CLI, as an operator runs it (stdin not a terminal: it generates the password and prints it).
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'admin', 'create', EMAIL], {
      env: { ...process.env, PORTICO_DATA_DIR: dataDir, DATABASE_URL: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
      input: '',
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(cli.status, 0, cli.stderr + cli.stdout);
    assert.match(cli.stdout, new RegExp(`Created administrator ${EMAIL}`));
    password = /Password \(shown once[^:]*: (\S+)/.exec(cli.stdout)![1]!;
    storage = await openStorage({ kind: 'pglite', dataDir });
    server = await startTestServer({ storage });
    receiver = await startReceiver();
    browser = await launchBrowser();
    context = await browser.newContext({ locale: 'en-US' });
    page = await context.newPage();
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) cspErrors.push(msg.text());
    });
    page.on('pageerror', (e) => cspErrors.push(String(e)));
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await server?.close();
    await storage?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** axe-core on the current page, once per route shape. */
  async function accessible(label: string): Promise<void> {
    if (checked.has(label)) return;
    checked.add(label);
    const bad = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad, [], `${label}: ${JSON.stringify(bad, null, 2)}`);
  }
  const go = async (path: string) => {
    const res = await page.goto(`${server.url}${path}`);
    assert.equal(res?.status(), 200, path);
  };
  const eventCount = async () => Number((await storage.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  let customerId: string;
  let configurationId: string;

  test('the CLI\'s administrator signs in (the sign-in page first)', async () => {
    const first = await page.goto(`${server.url}/dashboard`);
    assert.equal(first?.status(), 401); // no session: the sign-in page, no data
    await accessible('sign-in');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/dashboard`);
    assert.match(await page.textContent('body') ?? '', /Viewing test data/);
    await accessible('overview');
    for (const path of ['/dashboard/portal', '/dashboard/customers', '/dashboard/developers/keys', '/dashboard/developers/webhooks', '/dashboard/developers/events', '/dashboard/test-clocks', '/dashboard/audit', '/dashboard/account']) {
      await go(path);
      await accessible(path);
    }
  });

  test('a portal setting changed here shows in a new portal session', async () => {
    const stripe = server.stripe;
    const customer = await stripe.customers.create({ email: 'jenny@example.com', name: 'Jenny Rosen' });
    customerId = customer.id;
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2900, recurring: { interval: 'month' }, product_data: { name: 'Pro plan' } });
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    configurationId = (await stripe.billingPortal.configurations.list({ is_default: true })).data[0]!.id;

    await go('/dashboard/portal');
    await page.getByRole('link', { name: configurationId }).click();
    await accessible('portal settings');
    await page.getByLabel('Headline').fill('Acme Cloud billing');
    await page.getByLabel('Default return URL').fill('https://acme.example/account');
    await page.getByLabel('Let customers sign in with their email (no-code login link)').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/saved=1/);
    assert.match(await page.textContent('main') ?? '', /Saved/);
    const loginLink = await page.getByLabel('Login link to share').inputValue();
    assert.match(loginLink, new RegExp(`^${server.url}/p/login/`));

    // A validation error from the API comes back on its field.
    await page.getByLabel('Privacy policy URL').fill('ftp://acme.example/privacy');
    await page.getByRole('button', { name: 'Save' }).click();
    assert.match(await page.textContent('main') ?? '', /Invalid URL/);
    assert.equal(await page.getByLabel('Privacy policy URL').getAttribute('aria-invalid'), 'true');
    await accessible('portal settings with an error');

    const conf = await stripe.billingPortal.configurations.retrieve(configurationId);
    assert.equal(conf.business_profile.headline, 'Acme Cloud billing');
    assert.equal(conf.login_page.enabled, true);
    const session = await stripe.billingPortal.sessions.create({ customer: customer.id });
    const portal = await context.newPage();
    await portal.goto(session.url);
    assert.match(await portal.textContent('body') ?? '', /Acme Cloud billing/);
    await portal.close();
  });

  test('preview shows a customer\'s portal and changes nothing (no event, no session)', async () => {
    const events = await eventCount();
    const sessions = Number((await storage.db.selectFrom('portal_sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    await go(`/dashboard/portal/${configurationId}`);
    await page.getByLabel('Customer (id or email; empty: a sample customer)').fill('jenny@example.com');
    await page.getByRole('button', { name: 'Preview' }).click();
    const body = await page.textContent('body') ?? '';
    assert.match(body, /Pro plan/);
    assert.match(body, /Acme Cloud billing/);
    await accessible('preview');
    await go(`/dashboard/portal/${configurationId}/preview`);
    assert.match(await page.textContent('body') ?? '', /Sample plan/);
    assert.equal(await eventCount(), events);
    assert.equal(Number((await storage.db.selectFrom('portal_sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), sessions);
  });

  test('a customer found by email opens in the customer portal', async () => {
    await go('/dashboard/customers');
    await page.getByLabel('Search by email or name').fill('jenny@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Jenny Rosen' }).click();
    await accessible('customer');
    const text = await page.textContent('main') ?? '';
    assert.match(text, /pm_/);
    assert.match(text, /customer\.created/);
    await page.getByRole('button', { name: 'Open customer portal' }).click();
    await page.waitForURL(`${server.url}/p/home`);
    assert.match(await page.textContent('body') ?? '', /Pro plan/);
  });

  test('a webhook endpoint added here receives a delivery; its response shows; resend sends it again', async () => {
    await go('/dashboard/developers/webhooks');
    await page.getByLabel('Endpoint URL').fill(`${receiver.url}/hook`);
    await page.getByLabel('Events (comma-separated; * for all)').fill('customer.created');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.waitForURL(/\/dashboard\/developers\/webhooks\/we_/);
    const endpointUrl = page.url();
    await page.getByRole('button', { name: 'Reveal signing secret' }).click();
    const secret = (await page.locator('[data-webhook-secret]').textContent())!.trim();
    assert.match(secret, /^whsec_/);

    receiver.respond = () => 200;
    await server.stripe.customers.create({ email: 'hooked@example.com' });
    await server.portico.deliveryWorker!.drain();
    await receiver.waitFor(1);
    // The signature verifies with the secret the dashboard revealed.
    const first = receiver.received[0]!;
    Stripe.webhooks.constructEvent(first.body, String(first.headers['stripe-signature']), secret);
    await page.goto(endpointUrl);
    const row = page.locator('tr[data-delivery]').first();
    assert.match(await row.textContent() ?? '', /customer\.created/);
    assert.equal(await row.locator('[data-status-code]').getAttribute('data-status-code'), '200');
    assert.match(await row.textContent() ?? '', /delivered/);
    await accessible('webhook endpoint');
    await row.getByRole('button', { name: 'Resend' }).click();
    await page.waitForURL(/resent=1/);
    await server.portico.deliveryWorker!.drain();
    await receiver.waitFor(2);
    assert.equal(receiver.received[1]!.body, first.body);
    await page.goto(endpointUrl);
    const again = page.locator('tr[data-delivery]').first();
    assert.match(await again.textContent() ?? '', /delivered/);
    assert.equal((await again.locator('td.num').first().textContent())?.trim(), '2');
    // The event log shows its JSON and recipients.
    await again.getByRole('link', { name: 'customer.created' }).click();
    assert.match(await page.textContent('main') ?? '', /"hooked@example.com"/);
    await accessible('event');
  });

  test('a test clock created with a customer, advanced a month, shows its renewal invoice', async () => {
    await server.stripe.prices.create({ currency: 'eur', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Clocked' }, nickname: 'Clocked monthly' });
    await go('/dashboard/test-clocks');
    await page.getByLabel('Name').fill('Renewal check');
    await page.getByLabel('Customer email (optional: creates a customer on the clock with a Visa test card)').fill('clocked@example.com');
    await page.getByLabel('Subscribe the customer to').selectOption({ label: 'Clocked monthly (1500 EUR / month)' });
    await page.getByRole('button', { name: 'Create test clock' }).click();
    await page.waitForURL(/\/dashboard\/test-clocks\/clock_/);
    await accessible('test clock');
    assert.equal(await page.locator('tr[data-billing-reason="subscription_create"]').count(), 1);
    await page.getByRole('button', { name: 'Advance clock' }).click();
    await page.waitForURL(/\/dashboard\/test-clocks\/clock_/);
    await server.portico.clockWorker!.tick();
    await page.reload();
    assert.equal(await page.locator('tr[data-billing-reason="subscription_cycle"]').count(), 1);
    assert.match(await page.textContent('main') ?? '', /invoice\.paid/);
  });

  test('rolling the test key: the SDK is refused with the old key at once, the new one works', async () => {
    const old = server.portico.keys.testSecretKey;
    await go('/dashboard/developers/keys');
    assert.ok(!(await page.textContent('main'))!.includes(old), 'the key is masked until revealed');
    await page.getByRole('button', { name: 'Reveal secret key' }).click();
    assert.ok((await page.textContent('main'))!.includes(old));
    await page.getByRole('button', { name: 'Roll secret key' }).click();
    const fresh = (await page.locator('.secret').textContent())!.trim();
    assert.match(fresh, /^sk_test_/);
    assert.notEqual(fresh, old);
    await accessible('keys');
    await assert.rejects(server.stripe.customers.list(), (e: any) => e.type === 'StripeAuthenticationError');
    assert.ok((await server.client(fresh).customers.list()).data.length > 0);
  });

  test('each change is in the audit log, with who and before/after', async () => {
    await go('/dashboard/audit');
    const actions = await page.locator('tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    for (const a of [
      'billing_portal.configuration.update',
      'billing_portal.session.create',
      'webhook_endpoint.create',
      'webhook_endpoint.reveal_secret',
      'webhook_delivery.resend',
      'test_helpers.test_clock.create',
      'test_helpers.test_clock.advance',
      'api_key.reveal',
      'api_key.roll',
    ]) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
    assert.match(await page.textContent('main') ?? '', new RegExp(EMAIL));
    assert.ok(!(await page.content()).includes(server.portico.keys.testSecretKey), 'no secret in the audit log');
    await page.getByLabel('Action starts with').fill('billing_portal.configuration');
    await page.getByRole('button', { name: 'Filter' }).click();
    const filtered = await page.locator('tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    assert.ok(filtered.length > 0 && filtered.every((a) => a === 'billing_portal.configuration.update'));
    assert.match(await page.content(), /Acme Cloud billing/);
    await accessible('audit filtered');
    assert.deepEqual(cspErrors, []);
  });
});
