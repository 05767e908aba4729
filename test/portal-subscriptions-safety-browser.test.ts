/**
 * What the portal refuses or explains, in a real browser against a real server: Stripe's limits shown
 * with their reason, another customer's subscription id in every page and form, a double submit, an
 * expired session mid-review, a cross-site post, and accessibility in de and ja.
 * Set-up: `support/portal-subscriptions.ts`.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { browserSkipReason } from './support/browser.ts';
import { APRIL_1, DAY, portalSubscriptionsFixture, type Catalog } from './support/portal-subscriptions.ts';
import type { TestServer } from './support/server.ts';

const skip = browserSkipReason();

describe('portal subscription limits and safety in a browser', { skip: skip ?? false }, () => {
  const f = portalSubscriptionsFixture();
  const { features, customerWith, openPortal, text, assertAccessible } = f;
  let server: TestServer;
  let stripe: Stripe;
  let clock: ManualClock;
  let catalog: Catalog;
  before(() => {
    ({ server, stripe, clock, catalog } = f);
  });

  test('multi-product and send_invoice subscriptions show cancel only, a scheduled one nothing, each with the reason', async () => {
    const { customer } = await customerWith();
    const multi = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: catalog.b10.id }, { price: catalog.p30.id }] });
    const invoiced = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: catalog.b10.id }], collection_method: 'send_invoice', days_until_due: 30 });
    const managed = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: catalog.p30.id }] });
    await stripe.subscriptionSchedules.create({ from_subscription: managed.id });
    const { page, context } = await openPortal(customer.id);
    for (const [id, why] of [[multi.id, /several products/], [invoiced.id, /paid by invoice/]] as const) {
      const row = page.locator(`[data-subscription="${id}"]`);
      assert.match((await row.textContent()) ?? '', why);
      assert.equal(await row.locator('a:has-text("Update plan")').count(), 0);
      assert.equal(await row.locator('a:has-text("Cancel plan")').count(), 1);
    }
    // On the business's schedule: neither, with the reason; its pages say so too.
    const row = page.locator(`[data-subscription="${managed.id}"]`);
    assert.match((await row.textContent()) ?? '', /changes planned by the business/);
    assert.equal(await row.locator('a').count(), 0);
    await page.goto(`${server.url}/p/subscriptions/${managed.id}/cancel`);
    assert.match(await text(page), /changes planned by the business/);
    await context.close();
  });

  test('another customer’s subscription id, in every page and form, is not found and changes nothing', async () => {
    const mine = await customerWith();
    const theirs = await customerWith();
    const { page, context } = await openPortal(mine.customer.id);
    for (const path of ['update', 'review', 'cancel']) {
      const res = await page.goto(`${server.url}/p/subscriptions/${theirs.sub.id}/${path}`);
      assert.equal(res?.status(), 404, path);
    }
    // Take a real form of my own and post it at their subscription.
    await page.goto(`${server.url}/p/subscriptions/${mine.sub.id}/cancel`);
    const csrf = await page.getAttribute('input[name=csrf]', 'value');
    const version = await page.getAttribute('input[name=version]', 'value');
    for (const action of ['update', 'cancel', 'renew', 'undo', 'retention']) {
      const res = await page.request.post(`${server.url}/p/subscriptions/${theirs.sub.id}/${action}`, {
        form: { csrf: csrf!, version: version!, price: catalog.p30.id, quantity: '1', proration_date: String(clock.now()) },
        headers: { origin: server.url },
        maxRedirects: 0,
      });
      assert.equal(res.status(), 404, action);
    }
    const after = await stripe.subscriptions.retrieve(theirs.sub.id);
    assert.equal(after.cancel_at_period_end, false);
    assert.equal(after.items.data[0]!.price.id, catalog.b10.id);
    await context.close();
  });

  test('a double submit (the same form twice) makes one change', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 15 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/review?price=${catalog.p30.id}&quantity=1`);
    const form = Object.fromEntries(
      await page.$$eval('form[method=post] input[type=hidden]', (els) => els.map((e) => [(e as HTMLInputElement).name, (e as HTMLInputElement).value])),
    ) as Record<string, string>;
    const post = () => page.request.post(`${server.url}/p/subscriptions/${sub.id}/update`, { form, headers: { origin: server.url }, maxRedirects: 0 });
    const [a, b] = await Promise.all([post(), post()]);
    assert.deepEqual([a.status(), b.status()], [303, 303]);
    const locations = [a.headers()['location'], b.headers()['location']].sort();
    assert.ok(locations.some((l) => l?.includes('done=changed')), JSON.stringify(locations));
    assert.ok(locations.some((l) => l?.includes('problem=stale')), JSON.stringify(locations));
    const invoices = await stripe.invoices.list({ customer: customer.id, limit: 10 });
    assert.equal(invoices.data.filter((i) => i.billing_reason === 'subscription_update').length, 1, 'one change, one invoice');
    await context.close();
  });

  test('an expired session mid-review gets the expired page and changes nothing; a cross-site post is refused', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 15 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/review?price=${catalog.p30.id}&quantity=1`);
    const forged = await page.request.post(`${server.url}/p/subscriptions/${sub.id}/update`, {
      form: { price: catalog.p30.id },
      headers: { origin: 'https://evil.example' },
      maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    clock.advance(2 * 3600 + 1); // past the two-hour cap
    await page.click('button:has-text("Confirm")');
    assert.match(await text(page), /This session has expired/);
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.id, catalog.b10.id);
    await context.close();
  });

  test('the new pages have no serious or critical accessibility violation in de and ja', async () => {
    for (const locale of ['de', 'ja']) {
      const { customer, sub } = await customerWith();
      const { page, context } = await openPortal(customer.id, features(), { locale });
      for (const path of ['/p/home', `/p/subscriptions/${sub.id}/update`, `/p/subscriptions/${sub.id}/review?price=${catalog.p30.id}&quantity=1`, `/p/subscriptions/${sub.id}/cancel`]) {
        await page.goto(`${server.url}${path}`);
        assert.equal(await page.getAttribute('html', 'lang'), locale);
        await assertAccessible(page, `${locale} ${path}`);
      }
      await context.close();
    }
  });
});
