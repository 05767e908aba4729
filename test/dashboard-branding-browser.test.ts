/**
 * The dashboard's Branding page in a real browser (Chromium via playwright-core): Preview shows the
 * draft in the portal frame with a contrast warning and nothing saved; the live script refreshes the
 * frame as a colour is typed; a logo uploaded and colours, font and corners saved here appear in a
 * new portal session opened through the SDK; an oversized file and a file that is no image are
 * refused with a field error; the audit log shows the change. axe-core (no serious or critical
 * violation) on the page, its error state and the preview; no CSP violation anywhere. Embedded
 * database (the HTTP suite, dashboard-branding.test.ts, runs on both).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openStorage, type Storage } from '../src/storage/database.ts';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { makeAdmin } from './support/dashboard-client.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const skip = browserSkipReason();
/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

describe('dashboard branding in a browser', { skip: skip ?? false }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-branding-'));
  let storage: Storage;
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspErrors: string[] = [];

  before(async () => {
    storage = await openStorage({ kind: 'pglite', dataDir });
    server = await startTestServer({ storage });
    browser = await launchBrowser();
    context = await browser.newContext({ locale: 'en-US' });
    page = await context.newPage();
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) cspErrors.push(msg.text());
    });
    page.on('pageerror', (e) => cspErrors.push(String(e)));
    const admin = await makeAdmin(server);
    await page.goto(`${server.url}/dashboard/branding`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/dashboard`);
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await storage?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function accessible(label: string): Promise<void> {
    const bad = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad, [], `${label}: ${JSON.stringify(bad, null, 2)}`);
  }
  const eventCount = async () => Number((await storage.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const preview = () => page.frameLocator('#branding-preview');
  const frameStyle = (selector: string, property: string) =>
    preview().locator(selector).first().evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), property);

  test('Preview shows the draft in the portal frame, warns about contrast, and saves nothing', async () => {
    await page.goto(`${server.url}/dashboard/branding`);
    await accessible('branding');
    const events = await eventCount();
    await page.getByLabel('Primary colour (the business column)').fill('#0a2540');
    await page.getByLabel('Secondary colour (buttons and links)').fill('#ffd60a');
    await page.getByLabel('Business name').fill('Acme Cloud');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Preview' }).click()]);
    assert.match(await page.textContent('main') ?? '', /Not saved yet/);
    assert.match(await page.locator('.warning').first().textContent() ?? '', /#ffd60a has 1\.41:1 \(WCAG AA asks 4\.5:1\)/);
    await preview().locator('.business').waitFor();
    assert.equal(await frameStyle('.business', 'background-color'), 'rgb(10, 37, 64)');
    assert.equal((await frameStyle(':root', '--accent')).trim(), '#ffd60a');
    assert.match(await preview().locator('.business-name').textContent() ?? '', /Acme Cloud/);
    await accessible('branding preview with warnings');
    assert.equal(await eventCount(), events);
  });

  test('the frame follows the fields as they are typed (the live script)', async () => {
    await page.getByLabel('Secondary colour (buttons and links)').fill('#0e7c3a');
    await page.waitForFunction(() => document.getElementById('branding-preview')?.getAttribute('src')?.includes('secondary_color=%230e7c3a'));
    await preview().locator('.business').waitFor();
    await page.waitForFunction(() => {
      const doc = (document.getElementById('branding-preview') as HTMLIFrameElement).contentDocument;
      return doc !== null && getComputedStyle(doc.documentElement).getPropertyValue('--accent').trim() === '#0e7c3a';
    });
  });

  test('a logo and colours saved here show in a new portal session; the audit log has the change', async () => {
    await page.getByLabel('Logo', { exact: true }).setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
    await page.getByLabel('Font').selectOption('serif');
    await page.getByLabel('Corners').selectOption('square');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/dashboard\/branding\?saved=1$/);
    assert.match(await page.textContent('main') ?? '', /Saved\./);
    assert.equal(await page.getByRole('img', { name: 'Current logo' }).count(), 1);
    await accessible('branding saved');

    const customer = await server.stripe.customers.create({ email: 'brand@example.com', name: 'Brand Customer' });
    const session = await server.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://acme.example/account' });
    const portal = await context.newPage();
    await portal.goto(session.url);
    const logo = portal.locator('img.logo');
    assert.match(await logo.getAttribute('src') ?? '', /^\/p\/-\/files\/file_/);
    assert.equal(await logo.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth), 1);
    const style = (selector: string, property: string) => portal.locator(selector).first().evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), property);
    assert.equal(await style('.business', 'background-color'), 'rgb(10, 37, 64)');
    assert.equal((await style(':root', '--accent')).trim(), '#0e7c3a');
    assert.equal((await style(':root', '--radius')).trim(), '0');
    assert.match(await style('body', 'font-family'), /Georgia/);
    assert.match(await portal.textContent('.business-name') ?? '', /Acme Cloud/);
    await portal.close();

    await page.goto(`${server.url}/dashboard/audit`);
    const actions = await page.locator('tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    assert.deepEqual(actions.slice(0, 2), ['account.update', 'file.create']);
    assert.match(await page.locator('tr[data-action="account.update"]').first().textContent() ?? '', /#0e7c3a/);
  });

  test('an oversized file and a file that is no image are refused with a field error', async () => {
    const events = await eventCount();
    await page.goto(`${server.url}/dashboard/branding`);
    await page.getByLabel('Logo', { exact: true }).setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.concat([PNG, Buffer.alloc(600 * 1024)]) });
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Save' }).click()]);
    assert.equal(await page.getByLabel('Logo', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#f-logo_file-error').textContent() ?? '', /too large: branding images are at most 512 KB/);
    await accessible('branding with a field error');
    await page.getByLabel('Icon', { exact: true }).setInputFiles({ name: 'icon.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Save' }).click()]);
    assert.match(await page.locator('#f-icon_file-error').textContent() ?? '', /must be a PNG, JPEG or GIF image/);
    assert.equal(await eventCount(), events);
    await page.goto(`${server.url}/dashboard/branding/preview`);
    await accessible('branding preview frame');
    assert.deepEqual(cspErrors, []);
  });
});
