/**
 * The portal acts on subscriptions, in a real browser (Chromium via playwright-core) against a real
 * server: switch plan and quantity (review = the engine's preview = what is charged), promotion codes,
 * a downgrade scheduled at the period end then undone, trials, a declined upgrade, cancel with a reason
 * then renew, immediate cancel, the retention offer, flows with each `after_completion`, Stripe's
 * limits, and the safety of every form (another customer's id, double submit, expired session).
 * The SDK checks the objects; webhooks are verified with `constructEvent`.
 *
 * One server and one browser for the file (each walk has its own customer and browser context). The
 * server's clock is manual: subscriptions start on 2030-04-01 (a 30-day month) and walks move it, so
 * prorations can be worked out by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { ManualClock } from '../src/lib/clock.ts';
import { axeViolations, browserSkipReason, launchBrowser } from './support/browser.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const skip = browserSkipReason();
const APRIL_1 = 1_901_232_000; // 2030-04-01T00:00:00Z (2030-01-01 + 90 days)
const DAY = 86_400;

describe('portal subscription actions in a browser', { skip: skip ?? false }, () => {
  let server: TestServer;
  let stripe: Stripe;
  let browser: Browser;
  let clock: ManualClock;
  let receiver: Receiver;
  let endpoint: Stripe.WebhookEndpoint;
  let catalog: { basic: Stripe.Product; pro: Stripe.Product; b10: Stripe.Price; b5: Stripe.Price; p30: Stripe.Price; p300: Stripe.Price };
  const pageErrors: string[] = [];

  before(async () => {
    clock = new ManualClock(APRIL_1);
    server = await startTestServer({ clock });
    stripe = server.stripe;
    browser = await launchBrowser();
    receiver = await startReceiver();
    endpoint = await stripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['customer.subscription.updated', 'customer.subscription.deleted', 'invoice.paid', 'subscription_schedule.created', 'subscription_schedule.released', 'customer.discount.created'],
    });
    const basic = await stripe.products.create({ name: 'Basic' });
    const pro = await stripe.products.create({ name: 'Pro' });
    catalog = {
      basic,
      pro,
      b10: await stripe.prices.create({ product: basic.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } }),
      b5: await stripe.prices.create({ product: basic.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } }),
      p30: await stripe.prices.create({ product: pro.id, currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' } }),
      p300: await stripe.prices.create({ product: pro.id, currency: 'usd', unit_amount: 30000, recurring: { interval: 'year' } }),
    };
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.close();
  });

  type Features = Stripe.BillingPortal.ConfigurationCreateParams.Features;

  function features(over: Partial<Features> = {}): Features {
    return {
      subscription_update: {
        enabled: true,
        default_allowed_updates: ['price', 'quantity', 'promotion_code'],
        proration_behavior: 'always_invoice',
        products: [
          { product: catalog.basic.id, prices: [catalog.b10.id, catalog.b5.id], adjustable_quantity: { enabled: true, minimum: 1, maximum: 10 } },
          { product: catalog.pro.id, prices: [catalog.p30.id, catalog.p300.id] },
        ],
      },
      subscription_cancel: {
        enabled: true,
        mode: 'at_period_end',
        cancellation_reason: { enabled: true, options: ['too_expensive', 'missing_features', 'other'] },
      },
      ...over,
    };
  }

  /** A customer with a card (default: Visa) and a subscription started on April 1 (clock reset to then). */
  async function customerWith(opts: { card?: string; price?: string; quantity?: number; trialDays?: number } = {}) {
    clock.set(APRIL_1);
    const customer = await stripe.customers.create({ email: 'jenny@example.com', name: 'Jenny Rosen' });
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: opts.price ?? catalog.b10.id, quantity: opts.quantity ?? 1 }],
      ...(opts.trialDays ? { trial_period_days: opts.trialDays } : {}),
    });
    if (opts.card) {
      const other = await stripe.paymentMethods.attach(opts.card, { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: other.id } });
    }
    return { customer, sub };
  }

  async function openPortal(
    customer: string,
    feat: Features = features(),
    opts: { flow?: Stripe.BillingPortal.SessionCreateParams.FlowData; locale?: string } = {},
  ): Promise<{ page: Page; context: BrowserContext }> {
    const config = await stripe.billingPortal.configurations.create({ business_profile: { headline: 'Acme billing' }, features: feat });
    const session = await stripe.billingPortal.sessions.create({
      customer,
      configuration: config.id,
      return_url: 'https://example.com/account',
      ...(opts.flow ? { flow_data: opts.flow } : {}),
    });
    const context = await browser.newContext({ locale: opts.locale ?? 'en-US' });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) pageErrors.push(m.text());
    });
    await page.goto(session.url);
    return { page, context };
  }

  const text = async (page: Page) => (await page.textContent('body')) ?? '';

  async function assertAccessible(page: Page, label: string) {
    const bad = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad, [], `${label}: ${JSON.stringify(bad, null, 2)}`);
  }

  test('upgrade $10 → $30 mid-month with always_invoice: the review shows the hand-computed proration, the charge equals it, webhooks verify', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 15 * DAY); // half of April's 30 days left
    const { page, context } = await openPortal(customer.id);
    assert.equal(new URL(page.url()).pathname, '/p/home');
    await assertAccessible(page, 'home');
    await page.click(`[data-subscription="${sub.id}"] a:has-text("Update plan")`);
    assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/update`);
    await assertAccessible(page, 'choose');
    await page.check(`input[name=price][value="${catalog.p30.id}"]`);
    await page.click('button:has-text("Continue")');
    assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/review`);
    await assertAccessible(page, 'review');
    // Unused time on $10 for half the month: −$5.00; $30 for the other half: +$15.00; due today $10.00.
    assert.equal(await page.getAttribute('[data-due-today]', 'data-due-today'), '1000');
    assert.match(await text(page), /\$10\.00/);
    assert.match(await text(page), /-\$5\.00|−\$5\.00/);
    assert.match(await text(page), /\$15\.00/);
    const before = receiver.received.length;
    await page.click('button:has-text("Confirm")');
    assert.equal(new URL(page.url()).pathname, '/p/home');
    assert.match(await text(page), /Your plan has been updated/);
    const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    assert.equal(after.items.data[0]!.price.id, catalog.p30.id);
    const invoice = after.latest_invoice as Stripe.Invoice;
    assert.equal(invoice.status, 'paid');
    assert.equal(invoice.amount_paid, 1000, 'the charge equals the review');
    await server.portico.deliveryWorker!.drain();
    await receiver.waitFor(before + 2);
    const events = receiver.received.slice(before).map((r) => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, endpoint.secret!));
    const updated = events.find((e) => e.type === 'customer.subscription.updated' && (e.data.object as Stripe.Subscription).id === sub.id);
    assert.ok(updated, 'customer.subscription.updated was delivered');
    assert.ok(events.some((e) => e.type === 'invoice.paid' && (e.data.object as Stripe.Invoice).id === invoice.id));
    await context.close();
  });

  test('quantity 1 → 3 within bounds; 11 refused where the maximum is 10 (nothing changed)', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 10 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
    assert.equal(await page.getAttribute('#quantity', 'max'), '10', 'the browser already bounds the field');
    // Past the browser's own check (e.g. an edited form), the server refuses it too.
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/review?price=${catalog.b10.id}&quantity=11`);
    assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/update`);
    assert.match(await text(page), /within the allowed range/);
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.quantity, 1);
    await page.fill('#quantity', '3');
    await page.click('button:has-text("Continue")');
    // Two more $10 seats for 20 of 30 days: 2 × $10 × 20/30 = $13.33 (rounded per line).
    const due = Number(await page.getAttribute('[data-due-today]', 'data-due-today'));
    await page.click('button:has-text("Confirm")');
    const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    assert.equal(after.items.data[0]!.quantity, 3);
    assert.equal((after.latest_invoice as Stripe.Invoice).amount_paid, due);
    assert.ok(due >= 1333 && due <= 1334, `due ${due}`);
    await context.close();
  });

  test('monthly → yearly switch starts a yearly period billed today', async () => {
    const { customer, sub } = await customerWith({ price: catalog.p30.id });
    clock.set(APRIL_1 + 15 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
    await page.check(`input[name=price][value="${catalog.p300.id}"]`);
    await page.click('button:has-text("Continue")');
    // $300 for the new year, less half of April's $30 unused: $285.00.
    assert.equal(await page.getAttribute('[data-due-today]', 'data-due-today'), '28500');
    await page.click('button:has-text("Confirm")');
    const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    assert.equal(after.items.data[0]!.price.id, catalog.p300.id);
    assert.equal((after.latest_invoice as Stripe.Invoice).amount_paid, 28500);
    await context.close();
  });

  test('promotion codes: unknown and expired ones are refused with a clear message; a valid one is in the review and applied', async () => {
    const { customer, sub } = await customerWith();
    const coupon = await stripe.coupons.create({ percent_off: 50, duration: 'once' });
    const half = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'HALF' + sub.id.slice(-6) });
    await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'OLD' + sub.id.slice(-6), expires_at: APRIL_1 + 2 * DAY });
    clock.set(APRIL_1 + 15 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
    await page.check(`input[name=price][value="${catalog.p30.id}"]`);
    await page.fill('#promotion_code', 'NOPE');
    await page.click('button:has-text("Continue")');
    assert.match(await text(page), /This promotion code is not valid/);
    await page.fill('#promotion_code', 'OLD' + sub.id.slice(-6));
    await page.click('button:has-text("Continue")');
    assert.match(await text(page), /This promotion code has expired/);
    await page.fill('#promotion_code', 'HALF' + sub.id.slice(-6));
    await page.click('button:has-text("Continue")');
    assert.match(await text(page), /New plan/);
    const due = Number(await page.getAttribute('[data-due-today]', 'data-due-today'));
    assert.equal((await stripe.promotionCodes.retrieve(half.id)).times_redeemed, 0, 'the review redeemed nothing');
    await page.click('button:has-text("Confirm")');
    const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    assert.equal(after.discounts.length, 1);
    assert.equal((after.latest_invoice as Stripe.Invoice).amount_paid, due, 'what the review said is what was charged');
    assert.equal((await stripe.promotionCodes.retrieve(half.id)).times_redeemed, 1);
    await context.close();
  });

  test('a downgrade is scheduled at the period end, shown on the home page, then undone', async () => {
    const { customer, sub } = await customerWith({ price: catalog.p30.id });
    clock.set(APRIL_1 + 5 * DAY);
    const feat = features();
    feat.subscription_update!.schedule_at_period_end = { conditions: [{ type: 'decreasing_item_amount' }] };
    const { page, context } = await openPortal(customer.id, feat);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
    await page.check(`input[name=price][value="${catalog.b10.id}"]`);
    await page.click('button:has-text("Continue")');
    assert.equal(await page.getAttribute('[data-due-today]', 'data-due-today'), '0');
    assert.match(await text(page), /takes effect on/);
    await page.click('button:has-text("Confirm")');
    assert.match(await text(page), /Your plan change has been scheduled/);
    assert.match(await text(page), /Changes to Basic on/);
    const scheduled = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(scheduled.items.data[0]!.price.id, catalog.p30.id, 'nothing changes now');
    assert.ok(scheduled.schedule);
    const sched = await stripe.subscriptionSchedules.retrieve(scheduled.schedule as string);
    assert.equal(sched.phases[1]!.items[0]!.price, catalog.b10.id);
    assert.equal(sched.phases[1]!.start_date, scheduled.items.data[0]!.current_period_end);
    await page.click('button:has-text("Undo scheduled change")');
    assert.match(await text(page), /The scheduled change has been canceled/);
    const undone = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(undone.schedule, null);
    assert.equal(undone.items.data[0]!.price.id, catalog.p30.id);
    assert.equal((await stripe.subscriptionSchedules.retrieve(sched.id)).status, 'released');
    await context.close();
  });

  test('trials: continue_trial keeps the trial end and bills nothing; end_trial ends it and bills now', async () => {
    for (const behavior of ['continue_trial', 'end_trial'] as const) {
      const { customer, sub } = await customerWith({ trialDays: 14 });
      clock.set(APRIL_1 + 3 * DAY);
      const feat = features();
      feat.subscription_update!.trial_update_behavior = behavior;
      const { page, context } = await openPortal(customer.id, feat);
      await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
      await page.check(`input[name=price][value="${catalog.p30.id}"]`);
      await page.click('button:has-text("Continue")');
      if (behavior === 'continue_trial') {
        assert.match(await text(page), /Your trial continues until/);
        assert.equal(await page.getAttribute('[data-due-today]', 'data-due-today'), '0');
      } else {
        assert.match(await text(page), /Your trial ends now/);
        assert.equal(await page.getAttribute('[data-due-today]', 'data-due-today'), '3000');
      }
      await page.click('button:has-text("Confirm")');
      const after = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(after.items.data[0]!.price.id, catalog.p30.id);
      assert.equal(after.status, behavior === 'continue_trial' ? 'trialing' : 'active');
      if (behavior === 'continue_trial') assert.equal(after.trial_end, sub.trial_end);
      await context.close();
    }
  });

  test('a declined upgrade shows the decline and leaves the subscription as it was', async () => {
    const { customer, sub } = await customerWith({ card: 'pm_card_chargeCustomerFail' });
    clock.set(APRIL_1 + 15 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
    await page.check(`input[name=price][value="${catalog.p30.id}"]`);
    await page.click('button:has-text("Continue")');
    await page.click('button:has-text("Confirm")');
    assert.match(await text(page), /Your payment was declined/);
    const after = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(after.items.data[0]!.price.id, catalog.b10.id);
    assert.equal(after.status, 'active');
    await context.close();
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

  test('subscription_update and subscription_update_confirm flows open their action; the confirm flow reviews the requested items at once', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 15 * DAY);
    const one = await openPortal(customer.id, features(), { flow: { type: 'subscription_update', subscription_update: { subscription: sub.id } } });
    assert.equal(new URL(one.page.url()).pathname, `/p/subscriptions/${sub.id}/update`);
    await one.context.close();
    const two = await openPortal(customer.id, features(), {
      flow: {
        type: 'subscription_update_confirm',
        subscription_update_confirm: { subscription: sub.id, items: [{ id: sub.items.data[0]!.id, price: catalog.p30.id }] },
        after_completion: { type: 'redirect', redirect: { return_url: 'https://example.com/upgraded' } },
      },
    });
    assert.equal(new URL(two.page.url()).pathname, `/p/subscriptions/${sub.id}/review`);
    assert.equal(await two.page.getAttribute('[data-due-today]', 'data-due-today'), '1000');
    const [answer] = await Promise.all([
      two.page.waitForResponse((r) => r.request().method() === 'POST'),
      two.page.click('button:has-text("Confirm")'),
    ]);
    assert.equal(answer.status(), 303);
    assert.equal(answer.headers()['location'], 'https://example.com/upgraded');
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.id, catalog.p30.id);
    await two.context.close();
  });

  test('pause for one month ("Paused until"), and an indefinite pause then "Resume now"; the subscription_pause flow opens the pause', async () => {
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
    await page.click('button:has-text("Pause subscription")');
    assert.match(await text(page), /Your subscription has been paused/);
    assert.match(await text(page), /Paused until May 11, 2030/);
    const paused = await stripe.subscriptions.retrieve(sub.id);
    assert.deepEqual(paused.pause_collection, { behavior: 'void', resumes_at: APRIL_1 + 40 * DAY });
    await context.close();

    const other = await customerWith();
    const indefinite = features({ subscription_pause: { enabled: true, duration: { type: 'indefinite' } } as never });
    const flow = await openPortal(other.customer.id, indefinite, { flow: { type: 'subscription_pause', subscription_pause: { subscription: other.sub.id } } as never });
    assert.equal(new URL(flow.page.url()).pathname, `/p/subscriptions/${other.sub.id}/pause`);
    assert.match(await text(flow.page), /Until I resume it/);
    await flow.page.click('button:has-text("Pause subscription")');
    assert.equal(new URL(flow.page.url()).pathname, '/p/flow/done', 'the flow ends on the hosted confirmation (default after_completion)');
    assert.deepEqual((await stripe.subscriptions.retrieve(other.sub.id)).pause_collection, { behavior: 'void', resumes_at: null });
    await flow.page.goto(`${server.url}/p/home`);
    assert.match(await text(flow.page), /Paused until you resume it/);
    await flow.page.click('button:has-text("Resume now")');
    assert.match(await text(flow.page), /Your subscription has been resumed/);
    assert.equal((await stripe.subscriptions.retrieve(other.sub.id)).pause_collection, null);
    await flow.context.close();
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

  test('keyboard only: choose a plan, review and confirm without a mouse', async () => {
    const { customer, sub } = await customerWith();
    clock.set(APRIL_1 + 15 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
    // Tab to the first plan radio, move to the next plan with the arrow keys, then submit.
    await page.focus(`input[name=price][value="${catalog.b10.id}"]`);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const chosen = await page.$eval('input[name=price]:checked', (e) => (e as HTMLInputElement).value);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/review/);
    await page.focus('button:has-text("Confirm")');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/p\/home/);
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.id, chosen);
    assert.notEqual(chosen, catalog.b10.id);
    assert.deepEqual(pageErrors, []);
    await context.close();
  });
});
