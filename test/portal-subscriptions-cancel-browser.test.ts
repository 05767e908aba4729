/**
 * The portal cancels subscriptions, in a real browser against a real server: at period end with a
 * reason and a comment then renewed, immediately with prorations and a custom reason, the retention
 * offer of a `subscription_cancel` flow accepted and declined, and each flow `after_completion`.
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

describe('portal cancel and renew in a browser', { skip: skip ?? false }, () => {
  const f = portalSubscriptionsFixture();
  const { features, customerWith, openPortal, text, assertAccessible, pageErrors } = f;
  let server: TestServer;
  let stripe: Stripe;
  let clock: ManualClock;
  before(() => {
    ({ server, stripe, clock } = f);
  });

  test('cancel at period end with a reason and a comment, then renew', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 10 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.click(`[data-subscription="${sub.id}"] a:has-text("Cancel plan")`);
    await assertAccessible(page, 'cancel');
    assert.match(await text(page), /remains available until the end of your billing period on May 1, 2030/);
    // Exactly the configured reasons.
    assert.deepEqual(await page.$$eval('input[name=reason]', (els) => els.map((e) => (e as HTMLInputElement).value)), ['too_expensive', 'missing_features', 'other']);
    await page.check('input[name=reason][value=too_expensive]');
    await page.fill('#comment', 'Budget cuts this quarter');
    await page.click('button:has-text("Cancel subscription")');
    assert.match(await text(page), /Your subscription has been canceled/);
    const canceled = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(canceled.cancel_at_period_end, true);
    assert.equal(canceled.cancellation_details?.feedback, 'too_expensive');
    assert.equal(canceled.cancellation_details?.comment, 'Budget cuts this quarter');
    await page.click('button:has-text("Renew subscription")');
    assert.match(await text(page), /Your subscription has been renewed/);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(renewed.cancel_at_period_end, false);
    assert.equal(renewed.cancel_at, null);
    await context.close();
  });

  test('immediate cancel with prorations credits the unused time; a custom reason is stored', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 15 * DAY);
    // With the business's own reason (a billing.feedback_option) beside Stripe's.
    const fo = await stripe.billing.feedbackOptions.create({ description: 'Moving to an in-house tool' });
    const feat = features({
      subscription_cancel: {
        enabled: true,
        mode: 'immediately',
        proration_behavior: 'create_prorations',
        cancellation_reason: { enabled: true, options: ['other'], feedback_options: [fo.id] },
      },
    });
    const { page, context } = await openPortal(customer.id, feat);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/cancel`);
    assert.match(await text(page), /canceled immediately/);
    await page.check(`input[name=reason][value="${fo.id}"]`);
    await page.click('button:has-text("Cancel subscription")');
    const after = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(after.status, 'canceled');
    assert.equal(after.cancellation_details?.feedback_option, fo.id);
    // Half of April unused: a $5.00 credit, pending for the customer's next invoice.
    const items = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    assert.deepEqual(items.data.map((i) => i.amount), [-500]);
    await context.close();
  });

  test('retention offer in a subscription_cancel flow: accepted keeps the subscription with the coupon; declined goes on to cancel', async () => {
    const coupon = await stripe.coupons.create({ percent_off: 25, duration: 'repeating', duration_in_months: 3 });
    for (const choice of ['accept', 'decline'] as const) {
      const { customer, sub } = await customerWith();
      const { page, context } = await openPortal(customer.id, features(), {
        flow: { type: 'subscription_cancel', subscription_cancel: { subscription: sub.id, retention: { type: 'coupon_offer', coupon_offer: { coupon: coupon.id } } } },
      });
      assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/cancel`, 'the flow opens its one action');
      assert.match(await text(page), /25% off for 3 months/);
      await assertAccessible(page, 'retention');
      if (choice === 'accept') {
        await page.click('button:has-text("Accept offer")');
        const after = await stripe.subscriptions.retrieve(sub.id);
        assert.equal(after.discounts.length, 1);
        assert.equal(after.status, 'active');
        assert.equal(after.cancel_at_period_end, false);
      } else {
        await page.click('a:has-text("No thanks")');
        await page.click('button:has-text("Cancel subscription")');
        const after = await stripe.subscriptions.retrieve(sub.id);
        assert.equal(after.discounts.length, 0);
        assert.equal(after.cancel_at_period_end, true);
      }
      await context.close();
    }
  });

  test('flows: after_completion redirect (303 to return_url), hosted_confirmation (custom message), portal_homepage', async () => {
    const cases = [
      { type: 'redirect', after_completion: { type: 'redirect', redirect: { return_url: 'https://example.com/done' } } },
      { type: 'hosted_confirmation', after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'Thanks, see you soon!' } } },
      { type: 'portal_homepage', after_completion: { type: 'portal_homepage' } },
    ] as const;
    for (const c of cases) {
      const { customer, sub } = await customerWith();
      const { page, context } = await openPortal(customer.id, features(), {
        flow: { type: 'subscription_cancel', subscription_cancel: { subscription: sub.id }, after_completion: c.after_completion as Stripe.BillingPortal.SessionCreateParams.FlowData.AfterCompletion },
      });
      assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/cancel`);
      assert.equal(await page.locator('a[href="/p/home"]').count(), 0, 'navigation hidden in a flow');
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.click('button:has-text("Cancel subscription")'),
      ]);
      if (c.type === 'redirect') {
        assert.equal(answer.status(), 303);
        assert.equal(answer.headers()['location'], 'https://example.com/done');
      }
      if (c.type === 'hosted_confirmation') {
        assert.equal(new URL(page.url()).pathname, '/p/flow/done');
        assert.match(await text(page), /Thanks, see you soon!/);
        await assertAccessible(page, 'hosted confirmation');
      }
      if (c.type === 'portal_homepage') {
        assert.equal(new URL(page.url()).pathname, '/p/home');
        await page.goto(`${server.url}/p/home`);
        assert.equal(new URL(page.url()).pathname, '/p/home', 'a completed flow no longer redirects');
      }
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end, true);
      assert.deepEqual(pageErrors.filter((e) => /form-action|Refused/.test(e)), [], 'the CSP let the form reach the return_url');
      await context.close();
    }
  });
});
