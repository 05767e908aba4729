/**
 * Right-to-left portal pages in a real browser (Chromium via playwright-core), issue 11 item 6: every
 * portal page (home, subscription update/review/cancel/pause, cards, a new card, the test 3-D Secure
 * challenge, billing details, invoices, paying an invoice, the login page) and the hosted invoice page
 * in Arabic, reached as Stripe's enum forces (session `locale` left `auto`, the browser asking for `ar`),
 * with a light and a dark brand colour set through `stripe.accounts.update`: `<html lang="ar"
 * dir="rtl">` and no serious or critical axe-core violation; the same pages in English and Japanese
 * (left to right) with both colours, as the issue asks of every page in `en`, `ar` and `ja`. Then the geometry: on a wide screen the
 * business column (logo, "Return to …") is on the right in Arabic and on the left in English, the
 * content column the other way round, the table's amounts at the inline end, and the text runs rtl.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import Stripe from 'stripe';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { openPostgresSchema } from './support/storages.ts';
import type { Storage } from '../src/storage/database.ts';

const skip = browserSkipReason();
/** Where the screenshots of the mirrored layout are written, to look at by hand. */
const SHOTS = join(tmpdir(), 'portico-rtl-shots');

describe('right-to-left portal pages in a browser', { skip: skip ?? false }, () => {
  let server: TestServer;
  let stripe: Stripe;
  let browser: Browser;
  let storage: Storage | null = null;
  let accountId: string;
  let prices: { basic: Stripe.Price; pro: Stripe.Price };

  before(async () => {
    const url = process.env.DATABASE_URL;
    storage = url ? await openPostgresSchema(url) : null;
    server = await startTestServer(storage ? { storage } : {});
    stripe = server.stripe;
    browser = await launchBrowser();
    accountId = (await stripe.accounts.retrieveCurrent()).id;
    const basic = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Basic' } });
    const pro = await stripe.prices.create({ currency: 'usd', unit_amount: 3000, recurring: { interval: 'month', interval_count: 3 }, product_data: { name: 'Pro' } });
    prices = { basic, pro };
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await storage?.close();
  });

  function features(): Stripe.BillingPortal.ConfigurationCreateParams.Features {
    return {
      customer_update: { enabled: true, allowed_updates: ['name', 'email', 'address', 'phone', 'shipping', 'tax_id'] },
      invoice_history: { enabled: true },
      payment_method_update: { enabled: true },
      subscription_cancel: { enabled: true, mode: 'at_period_end', cancellation_reason: { enabled: true, options: ['too_expensive', 'other'] } },
      subscription_pause: { enabled: true },
      subscription_update: {
        enabled: true,
        default_allowed_updates: ['price', 'quantity'],
        proration_behavior: 'create_prorations',
        products: [
          { product: prices.basic.product as string, prices: [prices.basic.id] },
          { product: prices.pro.product as string, prices: [prices.pro.id] },
        ],
      },
    };
  }

  /** A customer with a Visa card, a subscription and an open invoice sent for payment. */
  async function customerWithEverything() {
    const customer = await stripe.customers.create({ email: 'layla@example.com', name: 'ليلى أحمد', address: { country: 'AE', line1: 'شارع الشيخ زايد 1', city: 'دبي' } });
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.basic.id }] });
    await stripe.invoiceItems.create({ customer: customer.id, amount: 123_456, currency: 'usd', description: 'ساعات استشارية' });
    const draft = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 30, pending_invoice_items_behavior: 'include' });
    const open = await stripe.invoices.finalizeInvoice(draft.id);
    return { customer, sub, open };
  }

  async function openPortal(customer: string, locale: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const config = await stripe.billingPortal.configurations.create({ business_profile: { headline: 'فوترة أكمي' }, features: features() });
    // No `locale`: Stripe's enum has no `ar` or `he`, so the browser's language decides (`auto`).
    const session = await stripe.billingPortal.sessions.create({ customer, configuration: config.id, return_url: 'https://example.com/account' });
    assert.equal(session.locale, null);
    const context = await browser.newContext({ locale, viewport });
    const page = await context.newPage();
    assert.equal((await page.goto(session.url))?.status(), 200);
    return page;
  }

  /** The page is in `lang`, laid out `dir`, with no serious or critical axe violation. */
  async function assertAccessible(page: Page, name: string, lang: string, dir: 'rtl' | 'ltr') {
    assert.match((await page.getAttribute('html', 'lang')) ?? '', new RegExp(`^${lang}(-|$)`), `${name}: lang`);
    assert.equal((await page.getAttribute('html', 'dir')) ?? 'ltr', dir, `${name}: dir`);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).direction), dir, `${name}: direction`);
    const violations = await axeViolations(page);
    const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(grave, [], `${name}: ${JSON.stringify(grave)}`);
  }

  // Arabic, and the two left-to-right checks (English, Japanese), each with a light and a dark brand.
  const LOCALES = [
    { browser: 'ar-EG', lang: 'ar', dir: 'rtl' },
    { browser: 'en-US', lang: 'en', dir: 'ltr' },
    { browser: 'ja-JP', lang: 'ja', dir: 'ltr' },
  ] as const;
  for (const { browser: browserLocale, lang, dir } of LOCALES) for (const [shade, colour] of [['light', '#ffd60a'], ['dark', '#0a2540']] as const) {
    test(`every portal page in ${lang}, ${shade} brand colour ${colour}: dir="${dir}" and no serious or critical axe violation`, async () => {
      const check = (page: Page, name: string) => assertAccessible(page, name, lang, dir);
      await stripe.accounts.update(accountId, { settings: { branding: { primary_color: colour } } });
      const { customer, sub, open } = await customerWithEverything();
      const page = await openPortal(customer.id, browserLocale);
      try {
        if (lang === 'ar') assert.match(await page.title(), /بوابة الفوترة/);
        await check(page, 'home');
        const pages = [
          `/p/subscriptions/${sub.id}/update`,
          `/p/subscriptions/${sub.id}/review?price=${prices.pro.id}&quantity=1`,
          `/p/subscriptions/${sub.id}/cancel`,
          `/p/subscriptions/${sub.id}/pause`,
          '/p/payment-methods',
          '/p/payment-methods/new',
          '/p/billing',
          '/p/invoices',
          `/p/invoices/${open.id}/pay`,
        ];
        for (const path of pages) {
          const res = await page.goto(`${server.url}${path}`);
          assert.equal(res?.status(), 200, path);
          await check(page, path);
        }
        // The test 3-D Secure challenge, reached by adding a card that asks for it.
        await page.goto(`${server.url}/p/payment-methods/new`);
        await page.fill('#card-number', '4000 0027 6000 3184');
        await page.fill('#card-expiry', '12 / 34');
        await page.fill('#card-cvc', '739');
        await page.fill('#card-name', 'Layla Ahmed');
        await page.selectOption('#card-country', 'AE');
        await Promise.all([page.waitForEvent('load'), page.click('form[action="/p/payment-methods"] button[type=submit]')]);
        assert.match(new URL(page.url()).pathname, /^\/p\/authenticate\//);
        await check(page, '3-D Secure');
        // The hosted invoice page, in the browser's language too.
        assert.equal((await page.goto(open.hosted_invoice_url!))?.status(), 200);
        await check(page, 'hosted invoice');
        if (lang === 'ar') assert.match((await page.textContent('h1')) ?? '', /فاتورة/);
        // The login page.
        const login = await stripe.billingPortal.configurations.create({ features: features(), login_page: { enabled: true } });
        assert.equal((await page.goto(login.login_page.url!))?.status(), 200);
        await check(page, 'login');
      } finally {
        await page.context().close();
      }
    });
  }

  /** The horizontal middle of an element's box, in CSS pixels from the viewport's left. */
  async function middleX(page: Page, selector: string): Promise<number> {
    const box = await page.locator(selector).first().boundingBox();
    assert.ok(box, `${selector} is laid out`);
    return box.x + box.width / 2;
  }

  test('the Arabic layout mirrors the English one: business column right, content left, table columns reversed', async () => {
    await stripe.accounts.update(accountId, { settings: { branding: { primary_color: '#0a2540' } } });
    const { customer } = await customerWithEverything();
    const width = 1280;
    const seen: Record<string, Record<string, number>> = {};
    for (const locale of ['en-US', 'ar-EG']) {
      const page = await openPortal(customer.id, locale, { width, height: 900 });
      try {
        const rtl = locale === 'ar-EG';
        assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).direction), rtl ? 'rtl' : 'ltr');
        await page.screenshot({ path: join(SHOTS, `home-${locale}.png`) });
        seen[locale] = {
          returnLink: await middleX(page, 'a.return'),
          mark: await middleX(page, '.identity'),
          content: await middleX(page, 'main.content'),
        };
        // The back arrow points the way the page reads: towards the business column's outer edge.
        assert.equal((await page.textContent('a.return span[aria-hidden]'))?.trim(), rtl ? '→' : '←');
        await page.goto(`${server.url}/p/invoices`);
        await page.screenshot({ path: join(SHOTS, `invoices-${locale}.png`) });
        const cell = page.locator('table.data td.num').first();
        const dateX = await middleX(page, 'table.data tbody tr td:first-child');
        const amountX = await middleX(page, 'table.data td.num');
        // Columns run in the reading direction: the amount after the date, so right of it in English
        // and left of it in Arabic.
        assert.ok(rtl ? amountX < dateX : amountX > dateX, `amount ${amountX} vs date ${dateX} (${locale})`);
        assert.equal(await cell.evaluate((el) => getComputedStyle(el).textAlign), 'end');
      } finally {
        await page.context().close();
      }
    }
    const en = seen['en-US']!;
    const ar = seen['ar-EG']!;
    for (const key of ['returnLink', 'mark'] as const) {
      assert.ok(en[key]! < width / 2, `${key} on the left in en (${en[key]})`);
      assert.ok(ar[key]! > width / 2, `${key} on the right in ar (${ar[key]})`);
    }
    assert.ok(en.content! > width / 2 && ar.content! < width / 2, `content column mirrored (${en.content} / ${ar.content})`);
    // A mirror image: the same distances from the opposite edges (to the pixel, layout rounding aside).
    assert.ok(Math.abs(en.mark! - (width - ar.mark!)) < 40, `mirrored logo: ${en.mark} vs ${width - ar.mark!}`);
  });

  test('the same on a phone: one column, text starting at the right', async () => {
    const { customer } = await customerWithEverything();
    const page = await openPortal(customer.id, 'ar-EG', { width: 390, height: 844 });
    try {
      // The heading's text itself (not its block box, which spans the column) hugs the right edge.
      const { text, main } = await page.evaluate(() => {
        const heading = document.querySelector('main h1, main h2')!;
        const range = document.createRange();
        range.selectNodeContents(heading);
        const r = range.getBoundingClientRect();
        const m = document.querySelector('main')!.getBoundingClientRect();
        return { text: { left: r.left, right: r.right }, main: { left: m.left, right: m.right } };
      });
      assert.ok(main.right - text.right < text.left - main.left, `the heading starts at the right: ${JSON.stringify({ text, main })}`);
      await page.screenshot({ path: join(SHOTS, 'home-ar-phone.png'), fullPage: true });
    } finally {
      await page.context().close();
    }
  });
});
