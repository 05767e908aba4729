/**
 * The portal in a real browser (Chromium via playwright-core): a customer follows a session link and
 * lands on the home page with the URL's secret gone, the cookie out of reach of scripts, no CSP
 * violation, and no accessibility violation (axe-core, WCAG 2.1 A/AA) on the home and expired pages.
 * Runs on the embedded database only: what it checks is the browser's side, which no database changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const skip = browserSkipReason();

describe('portal in a browser', { skip: skip ?? false }, () => {
  let server: TestServer;
  let stripe: Stripe;
  let browser: Browser;
  let context: BrowserContext;
  const cspErrors: string[] = [];

  before(async () => {
    server = await startTestServer();
    stripe = server.stripe;
    browser = await launchBrowser();
    context = await browser.newContext({ locale: 'en-US' });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  function watch(page: Page): void {
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    page.on('pageerror', (e) => cspErrors.push(String(e)));
  }

  async function portalSession() {
    const customer = await stripe.customers.create({ email: 'jenny@example.com', name: 'Jenny Rosen' });
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2900, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const config = await stripe.billingPortal.configurations.create({
      business_profile: { headline: 'Acme Cloud billing' },
      features: { invoice_history: { enabled: true } },
    });
    return stripe.billingPortal.sessions.create({ customer: customer.id, configuration: config.id, return_url: 'https://example.com/account' });
  }

  test('following the link lands on the home page, secret gone, cookie hidden, accessible', async () => {
    const session = await portalSession();
    const page = await context.newPage();
    watch(page);
    const response = await page.goto(session.url);
    assert.equal(response?.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/p/home', 'the token left the address bar');
    assert.match(await page.textContent('body') ?? '', /Pro/);
    assert.match(await page.textContent('body') ?? '', /\$29\.00/);
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is httpOnly');
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0]!.httpOnly, true);
    assert.equal(cookies[0]!.sameSite, 'Lax');
    const back = page.locator('a[href="https://example.com/account"]');
    assert.equal(await back.count(), 1, 'the return link is there');
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
    await page.screenshot({ path: '/tmp/portico-portal-home.png', fullPage: true });
    assert.deepEqual(cspErrors, []);
    await page.close();
  });

  test('the accessibility check itself finds violations (so a pass means something)', async () => {
    const page = await context.newPage();
    await page.setContent('<html><body><img src="data:,"><input type="text"><a href="#"></a></body></html>');
    const ids = (await axeViolations(page)).map((v) => v.id).sort();
    for (const id of ['html-has-lang', 'image-alt', 'label', 'link-name']) assert.ok(ids.includes(id), `${id} in ${ids}`);
    await page.close();
  });

  test('the expired page is accessible and shows no customer data', async () => {
    const fresh = await browser.newContext({ locale: 'en-US' });
    try {
      const page = await fresh.newPage();
      watch(page);
      const response = await page.goto(`${server.url}/p/home`);
      assert.equal(response?.status(), 401);
      assert.match(await page.textContent('body') ?? '', /expired/i);
      assert.doesNotMatch(await page.content(), /Jenny|Pro\b/);
      const violations = await axeViolations(page);
      assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
      assert.deepEqual(cspErrors, []);
    } finally {
      await fresh.close();
    }
  });
});
