/**
 * Branding through the API as Stripe's SDK sends it: `stripe.files.create` (multipart/form-data; PNG,
 * JPEG or GIF by their first bytes, at most 512 KB; anything else a Stripe error), `stripe.accounts
 * .retrieve()` and `stripe.accounts.update(id, { business_profile, settings: { branding } })` with
 * `account.updated`; then a new portal session in a real browser shows the logo (served from Portico's
 * own origin), the colours and the support contacts, and the portal's new pages pass axe-core in
 * English and Japanese, each with a light and a dark brand colour.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import Stripe from 'stripe';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { rawRequest, startTestServer, type TestServer } from './support/server.ts';

/** A real 1×1 PNG (so the browser decodes it). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

describe('branding through the Accounts and Files APIs', () => {
  let server: TestServer;
  let stripe: Stripe;

  before(async () => {
    server = await startTestServer({ config: { businessName: 'Default Name Inc.' } });
    stripe = server.stripe;
  });
  after(async () => {
    await server?.close();
  });

  test('files: branding images are stored, retrieved and listed; anything else is a Stripe error', async () => {
    const logo = await stripe.files.create({ purpose: 'business_logo', file: { data: PNG, name: 'logo.png', type: 'image/png' } });
    assert.equal(logo.object, 'file');
    assert.match(logo.id, /^file_/);
    assert.equal(logo.purpose, 'business_logo');
    assert.equal(logo.type, 'png');
    assert.equal(logo.size, PNG.length);
    assert.equal(logo.filename, 'logo.png');
    assert.equal(logo.url, `${server.url}/p/-/files/${logo.id}`);
    const icon = await stripe.files.create({ purpose: 'business_icon', file: { data: GIF, name: 'icon.gif', type: 'image/gif' } });
    assert.equal(icon.type, 'gif');
    assert.deepEqual((await stripe.files.retrieve(logo.id)).id, logo.id);
    assert.deepEqual((await stripe.files.list({ purpose: 'business_icon' })).data.map((f) => f.id), [icon.id]);
    assert.equal((await stripe.files.list()).data.length, 2);

    const refused = async (params: Stripe.FileCreateParams, want: { param: string; code?: string }) => {
      await assert.rejects(stripe.files.create(params), (err: any) => {
        assert.equal(err.statusCode, 400, err.message);
        assert.equal(err.type, 'StripeInvalidRequestError');
        assert.equal(err.param, want.param);
        if (want.code) assert.equal(err.code, want.code);
        return true;
      });
    };
    // An SVG (it can carry script) and a PNG in name only are refused by their bytes.
    await refused({ purpose: 'business_logo', file: { data: SVG, name: 'logo.svg', type: 'image/svg+xml' } }, { param: 'file', code: 'file_invalid' });
    await refused({ purpose: 'business_logo', file: { data: SVG, name: 'logo.png', type: 'image/png' } }, { param: 'file', code: 'file_invalid' });
    const big = Buffer.concat([PNG, Buffer.alloc(600 * 1024)]);
    await refused({ purpose: 'business_logo', file: { data: big, name: 'big.png', type: 'image/png' } }, { param: 'file', code: 'file_too_large' });
    await refused({ purpose: 'dispute_evidence' as any, file: { data: PNG, name: 'x.png', type: 'image/png' } }, { param: 'purpose' });
    // Larger than any API body: refused before it is read, still a Stripe error.
    await assert.rejects(stripe.files.create({ purpose: 'business_logo', file: { data: Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]), name: 'huge.png', type: 'image/png' } }), (err: any) => err.statusCode === 400 && err.type === 'StripeInvalidRequestError');
    // A form-encoded create has no file.
    const plain = await rawRequest(server, 'POST', '/v1/files', 'purpose=business_logo', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(plain.status, 400);
    assert.equal(plain.json.error.param, 'file');
    // Another mode's key sees none of these files.
    await assert.rejects(server.live.files.retrieve(logo.id), (err: any) => err.statusCode === 404);
    assert.equal((await stripe.files.list()).data.length, 2, 'refused uploads left nothing');
  });

  test('accounts: retrieve, update branding and business profile (account.updated); bad values refused', async () => {
    const account = await stripe.accounts.retrieveCurrent();
    assert.equal(account.object, 'account');
    assert.match(account.id, /^acct_/);
    assert.equal(account.business_profile?.name, 'Default Name Inc.', 'PORTICO_BUSINESS_NAME is the default');
    assert.equal(account.settings?.branding?.logo, null);

    const logo = await stripe.files.create({ purpose: 'business_logo', file: { data: PNG, name: 'logo.png', type: 'image/png' } });
    const icon = await stripe.files.create({ purpose: 'business_icon', file: { data: GIF, name: 'icon.gif', type: 'image/gif' } });
    await assert.rejects(stripe.accounts.update(account.id, { settings: { branding: { icon: logo.id } } }), (err: any) => err.statusCode === 400 && err.param === 'settings[branding][icon]');
    await assert.rejects(stripe.accounts.update(account.id, { settings: { branding: { primary_color: 'red' } } }), (err: any) => err.statusCode === 400 && err.param === 'settings[branding][primary_color]');
    await assert.rejects(stripe.accounts.update(account.id, { settings: { branding: { logo: 'file_nope' } } }), (err: any) => err.statusCode === 404);
    await assert.rejects(stripe.accounts.update('acct_other', { business_profile: { name: 'X' } }), (err: any) => err.statusCode === 404);

    const updated = await stripe.accounts.update(account.id, {
      business_profile: { name: 'Acme Cloud', support_email: 'help@acme.test', support_phone: '+1 555 0100', support_url: 'https://acme.test/help' },
      settings: { branding: { icon: icon.id, logo: logo.id, primary_color: '#0A2540', secondary_color: '#ffd60a', portico_font: 'serif', portico_corners: 'square' } as any },
    });
    assert.equal(updated.business_profile?.name, 'Acme Cloud');
    assert.deepEqual(updated.settings?.branding, { icon: icon.id, logo: logo.id, primary_color: '#0a2540', secondary_color: '#ffd60a', portico_font: 'serif', portico_corners: 'square' });
    assert.deepEqual((await stripe.accounts.retrieveCurrent()).settings?.branding, updated.settings?.branding);
    const events = await stripe.events.list({ type: 'account.updated' });
    assert.equal(events.data.length, 1);
    assert.deepEqual((events.data[0]!.data.previous_attributes as any).business_profile.name, 'Default Name Inc.');

    // The logo is served from Portico's own origin (only the account's current icon and logo are).
    const res = await fetch(`${server.url}/p/-/files/${logo.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG);
    const stale = await stripe.files.create({ purpose: 'business_logo', file: { data: PNG, name: 'old.png', type: 'image/png' } });
    assert.equal((await fetch(`${server.url}/p/-/files/${stale.id}`)).status, 404);
  });

  describe('in a browser', { skip: browserSkipReason() ?? false }, () => {
    let browser: Browser;
    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
    });

    test('a new portal session shows the logo, colours and support contacts; new pages pass axe with a light and a dark brand colour', async () => {
      const account = await stripe.accounts.retrieveCurrent();
      const customer = await stripe.customers.create({ email: 'brand@example.com', name: 'Brand Customer' });
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 1200, currency: 'eur' });
      const inv = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', auto_advance: false });
      await stripe.invoices.finalizeInvoice(inv.id);
      const config = await stripe.billingPortal.configurations.create({
        features: {
          payment_method_update: { enabled: true },
          invoice_history: { enabled: true },
          customer_update: { enabled: true, allowed_updates: ['name', 'email', 'address', 'tax_id'] },
        },
      });
      for (const [primary, locale] of [['#0a2540', 'en-US'], ['#f6f8fa', 'ja-JP'], ['#0a2540', 'ja-JP'], ['#f6f8fa', 'en-US']] as const) {
        await stripe.accounts.update(account.id, { settings: { branding: { primary_color: primary } } });
        const session = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: config.id, return_url: 'https://acme.test/account' });
        const context = await browser.newContext({ locale });
        const page = await context.newPage();
        try {
          assert.equal((await page.goto(session.url))?.status(), 200);
          const logo = page.locator('img.logo');
          assert.equal(await logo.getAttribute('src'), `/p/-/files/${account.settings!.branding!.logo ?? (await stripe.accounts.retrieveCurrent()).settings!.branding!.logo}`);
          assert.ok(await logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 1), 'the logo loads under the CSP');
          assert.match(await page.title(), /Acme Cloud/);
          assert.equal(await page.locator('a[href="mailto:help@acme.test"]').count(), 1);
          const background = await page.locator('.business').evaluate((el) => getComputedStyle(el).backgroundColor);
          assert.equal(background, primary === '#0a2540' ? 'rgb(10, 37, 64)' : 'rgb(246, 248, 250)');
          for (const path of ['/p/home', '/p/payment-methods', '/p/payment-methods/new', '/p/billing', '/p/invoices', `/p/invoices/${inv.id}/pay`]) {
            assert.equal((await page.goto(`${server.url}${path}`))?.status(), 200, path);
            const violations = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
            assert.deepEqual(violations, [], `${path} ${primary} ${locale}: ${JSON.stringify(violations)}`);
          }
        } finally {
          await context.close();
        }
      }
    });
  });
});
