/**
 * The login page in a real browser (Chromium via playwright-core): a customer types an email into the
 * form and submits it as a browser does (its own Origin / Sec-Fetch-Site headers under
 * `Referrer-Policy: no-referrer`, so the CSRF and Origin checks are proven against a real client),
 * follows the link (from the server log: no SMTP here) into the portal, chooses an account when the
 * address is shared, and meets the invalid-link page; every page passes axe-core (WCAG 2.1 A/AA)
 * with no CSP violation. Embedded database only: what it checks is the browser's side.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { LINK } from './support/login-client.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const skip = browserSkipReason();

describe('login page in a browser', { skip: skip ?? false }, () => {
  let server: TestServer;
  let stripe: Stripe;
  let browser: Browser;
  let context: BrowserContext;
  const lines: string[] = [];
  const cspErrors: string[] = [];

  before(async () => {
    server = await startTestServer({ config: { smtpUrl: null, businessName: 'Acme Cloud' }, logInfo: (l) => lines.push(l) });
    stripe = server.stripe;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function fresh(): Promise<Page> {
    await context?.close();
    context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    page.on('pageerror', (e) => cspErrors.push(String(e)));
    return page;
  }
  async function accessible(page: Page, label: string): Promise<void> {
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 2)}`);
  }
  async function lastSessionCustomer(): Promise<string> {
    const rows = await server.portico.storage.db.selectFrom('events').select('data').where('type', '=', 'billing_portal.session.created').orderBy('seq', 'desc').limit(1).execute();
    return rows[0]?.data.data.object.customer;
  }
  async function loginUrl(): Promise<string> {
    const config = await stripe.billingPortal.configurations.create({
      business_profile: { headline: 'Billing for Acme Cloud teams' },
      features: { invoice_history: { enabled: true } },
      login_page: { enabled: true },
    });
    return config.login_page.url!;
  }
  /** Fills and submits the form as a person would; returns the link the server logged. */
  async function requestLink(page: Page, url: string, email: string): Promise<string> {
    assert.equal((await page.goto(url))?.status(), 200);
    await accessible(page, 'login form');
    const before = lines.length;
    await page.fill('input[type=email]', email);
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
    assert.equal(response.status(), 200, await response.text());
    assert.match((await page.textContent('main')) ?? '', /If an account matches that email/);
    await accessible(page, 'link sent');
    await server.portico.login!.settled();
    const logged = lines.slice(before).find((l) => LINK.test(l));
    return LINK.exec(logged ?? '')?.[1] ?? assert.fail(`no link logged: ${lines.slice(before).join('\n')}`);
  }

  test('email → link → portal home; the used link is the invalid-link page', async () => {
    const jenny = await stripe.customers.create({ email: 'jenny@example.com', name: 'Jenny Rosen' });
    const page = await fresh();
    const link = await requestLink(page, await loginUrl(), 'Jenny@Example.com');
    // The link shows the account and a button; pressing it opens the portal.
    assert.equal((await page.goto(link))?.status(), 200);
    assert.match((await page.textContent('main')) ?? '', /Jenny Rosen/);
    await accessible(page, 'link opened');
    await Promise.all([page.waitForURL('**/p/home'), page.click('button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/p/home', 'through the session URL into the portal');
    assert.equal(await lastSessionCustomer(), jenny.id);
    const again = await page.goto(link);
    assert.equal(again?.status(), 410);
    assert.match((await page.textContent('main')) ?? '', /This link is no longer valid/);
    await accessible(page, 'invalid link');
    assert.deepEqual(cspErrors, []);
  });

  test('an invalid address is explained on the form, accessibly', async () => {
    const page = await fresh();
    await page.goto(await loginUrl());
    await page.fill('input[type=email]', 'not an email');
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
    assert.equal(response.status(), 400);
    assert.equal(await page.getAttribute('input[type=email]', 'aria-invalid'), 'true');
    assert.match((await page.textContent('#email-error')) ?? '', /Enter a valid email address/);
    await accessible(page, 'invalid email');
    assert.deepEqual(cspErrors, []);
  });

  test('a shared address leads to the chooser, and the chosen account opens', async () => {
    const europe = await stripe.customers.create({ email: 'ops@example.com', name: 'Ops Europe' });
    await stripe.customers.create({ email: 'ops@example.com', name: 'Ops America' });
    const page = await fresh();
    const link = await requestLink(page, await loginUrl(), 'ops@example.com');
    await page.goto(link);
    assert.match((await page.textContent('main')) ?? '', /Choose an account/);
    await accessible(page, 'chooser');
    await page.click('button[aria-label="Confirm: Ops Europe"]');
    await page.waitForURL(/\/p\/home$/);
    assert.equal(await lastSessionCustomer(), europe.id);
    assert.deepEqual(cspErrors, []);
  });
});
