/**
 * The portal pauses and resumes subscriptions, in a real browser against a real server, with the
 * engine's `POST /v1/subscriptions/:id/pause` and `/resume` (status `paused`): for a duration (the
 * billing clock resumes it) and indefinitely ("Resume now"), each resume billing a new period.
 * Set-up: `support/portal-subscriptions.ts`.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { browserSkipReason } from './support/browser.ts';
import { APRIL_1, DAY, portalSubscriptionsFixture } from './support/portal-subscriptions.ts';
import type { TestServer } from './support/server.ts';

const skip = browserSkipReason();

describe('portal pause and resume in a browser', { skip: skip ?? false }, () => {
  const f = portalSubscriptionsFixture();
  const { features, customerWith, openPortal, text, assertAccessible } = f;
  let server: TestServer;
  let stripe: Stripe;
  let clock: ManualClock;
  before(() => {
    ({ server, stripe, clock } = f);
  });

  /** The subscription's invoices, newest first. */
  const invoicesOf = async (customer: string) => (await stripe.invoices.list({ customer, limit: 10 })).data;

  test('pause for one month: status paused, the unused time credited, "Paused until"; the billing clock resumes it then and bills a new period', async () => {
    const feat = features({
      subscription_pause: { enabled: true, duration: { type: 'interval_options', interval_options: [{ interval: 'month', interval_count: 1 }, { interval: 'week', interval_count: 2 }] } } as never,
    });
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 10 * DAY);
    const { page, context } = await openPortal(customer.id, feat);
    await page.click(`[data-subscription="${sub.id}"] a:has-text("Pause subscription")`);
    await assertAccessible(page, 'pause');
    assert.match(await text(page), /For 1 month/);
    assert.match(await text(page), /For 2 weeks/);
    await page.check('input[name=duration][value="month:1"]');
    const from = f.receiver.received.length;
    await page.click('button:has-text("Pause subscription")');
    assert.match(await text(page), /Your subscription has been paused/);
    assert.match(await text(page), /Paused until May 11, 2030/);
    const row = page.locator(`[data-subscription="${sub.id}"]`);
    assert.equal(await row.locator('button:has-text("Resume now")').count(), 1);
    assert.equal(await row.locator('a:has-text("Pause subscription")').count(), 0);
    const paused = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(paused.status, 'paused', 'the endive pause, not pause_collection');
    assert.equal(paused.pause_collection, null);
    // 20 of April's 30 days unused on $10: a credit of $6.67 for the next invoice.
    const credit = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    assert.deepEqual(credit.data.map((i) => i.amount), [-667]);
    await server.portico.deliveryWorker!.drain();
    await f.receiver.waitFor(from + 1);
    assert.ok(f.verifiedEvents(from).some((e) => e.type === 'customer.subscription.paused' && (e.data.object as Stripe.Subscription).id === sub.id));

    // A day before the end nothing happens; at the end the billing clock resumes it.
    clock.set(APRIL_1 + 39 * DAY);
    await server.portico.clockWorker!.tick();
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'paused');
    const resumeFrom = f.receiver.received.length;
    clock.set(APRIL_1 + 40 * DAY);
    await server.portico.clockWorker!.tick();
    const resumed = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(resumed.status, 'active');
    assert.equal(resumed.items.data[0]!.current_period_start, APRIL_1 + 40 * DAY, 'a new period starts when the pause ends');
    const invoice = (await invoicesOf(customer.id))[0]!;
    assert.equal(invoice.status, 'paid');
    assert.equal(invoice.amount_paid, 1000 - 667, 'the new month, less the credit for the paused time');
    await server.portico.deliveryWorker!.drain();
    await f.receiver.waitFor(resumeFrom + 1);
    assert.ok(f.verifiedEvents(resumeFrom).some((e) => e.type === 'customer.subscription.resumed' && (e.data.object as Stripe.Subscription).id === sub.id));
    await page.goto(`${server.url}/p/home`);
    assert.doesNotMatch(await text(page), /Paused until/);
    await context.close();
  });

  test('an indefinite pause from the subscription_pause flow ("Paused until you resume it"), then "Resume now" bills a new period at once', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 10 * DAY);
    const indefinite = features({ subscription_pause: { enabled: true, duration: { type: 'indefinite' } } as never });
    const { page, context } = await openPortal(customer.id, indefinite, { flow: { type: 'subscription_pause', subscription_pause: { subscription: sub.id } } as never });
    assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/pause`);
    assert.match(await text(page), /Until I resume it/);
    await page.click('button:has-text("Pause subscription")');
    assert.equal(new URL(page.url()).pathname, '/p/flow/done', 'the flow ends on the hosted confirmation (default after_completion)');
    const paused = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(paused.status, 'paused');
    assert.equal(paused.pause_collection, null);
    // Paused for good: the billing clock does nothing with it, even past its old period end.
    clock.set(APRIL_1 + 45 * DAY);
    await server.portico.clockWorker!.tick();
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'paused');
    assert.equal((await invoicesOf(customer.id)).length, 1, 'no invoice while paused');
    await context.close();
    // The flow's session has expired meanwhile: the customer comes back through a new one.
    const later = await openPortal(customer.id, indefinite);
    assert.match(await text(later.page), /Paused until you resume it/);
    await later.page.click('button:has-text("Resume now")');
    assert.match(await text(later.page), /Your subscription has been resumed/);
    const resumed = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(resumed.status, 'active');
    assert.equal(resumed.items.data[0]!.current_period_start, APRIL_1 + 45 * DAY, 'resume starts a new period now');
    const invoice = (await invoicesOf(customer.id))[0]!;
    assert.equal(invoice.status, 'paid');
    // $10 for the new month less the $6.67 credited for 20 unused days of April.
    assert.equal(invoice.amount_paid, 1000 - 667);
    await later.context.close();
  });
});
