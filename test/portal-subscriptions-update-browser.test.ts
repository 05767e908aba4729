/**
 * The portal switches plan and quantity, in a real browser (Chromium via playwright-core) against a
 * real server: the review is the engine's preview and equals what is charged, promotion codes, a
 * downgrade and a yearly → monthly switch (`shortening_interval`) scheduled at the period end then undone, trials, a declined upgrade, the update flows, and
 * a walk by keyboard alone. The SDK checks the objects; webhooks are verified with `constructEvent`.
 * Set-up and catalog: `support/portal-subscriptions.ts` (subscriptions start on 2030-04-01, a 30-day
 * month, and walks move the manual clock, so prorations can be worked out by hand).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { browserSkipReason } from './support/browser.ts';
import { advanceTestClock } from './support/suite.ts';
import { APRIL_1, DAY, portalSubscriptionsFixture, type Catalog } from './support/portal-subscriptions.ts';
import type { TestServer } from './support/server.ts';

const skip = browserSkipReason();

describe('portal plan changes in a browser', { skip: skip ?? false }, () => {
  const f = portalSubscriptionsFixture();
  const { features, customerWith, openPortal, text, assertAccessible, pageErrors } = f;
  let server: TestServer;
  let stripe: Stripe;
  let clock: ManualClock;
  let catalog: Catalog;
  before(() => {
    ({ server, stripe, clock, catalog } = f);
  });

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
    const before = f.receiver.received.length;
    await page.click('button:has-text("Confirm")');
    assert.equal(new URL(page.url()).pathname, '/p/home');
    assert.match(await text(page), /Your plan has been updated/);
    const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    assert.equal(after.items.data[0]!.price.id, catalog.p30.id);
    const invoice = after.latest_invoice as Stripe.Invoice;
    assert.equal(invoice.status, 'paid');
    assert.equal(invoice.amount_paid, 1000, 'the charge equals the review');
    await server.portico.deliveryWorker!.drain();
    await f.receiver.waitFor(before + 2);
    const events = f.verifiedEvents(before);
    const updated = events.find((e) => e.type === 'customer.subscription.updated' && (e.data.object as Stripe.Subscription).id === sub.id);
    assert.ok(updated, 'customer.subscription.updated was delivered');
    assert.ok(events.some((e) => e.type === 'invoice.paid' && (e.data.object as Stripe.Invoice).id === invoice.id));
    await context.close();
  });

  test('with 25 % off, the review shows the discounted prorations and exactly that is charged', async () => {
    const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
    const { customer, sub } = await customerWith({ coupon: quarter.id });
    clock.set(APRIL_1 + 15 * DAY);
    const { page, context } = await openPortal(customer.id);
    await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
    await page.check(`input[name=price][value="${catalog.p30.id}"]`);
    await page.click('button:has-text("Continue")');
    assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/review`);
    // Unused half of $10 − 25 %: −$3.75; remaining half of $30 − 25 %: +$11.25; due today $7.50 (not $10.00).
    assert.equal(await page.getAttribute('[data-due-today]', 'data-due-today'), '750');
    const shown = await text(page);
    assert.match(shown, /\$7\.50/);
    assert.match(shown, /-\$3\.75|−\$3\.75/);
    assert.match(shown, /\$11\.25/);
    await page.click('button:has-text("Confirm")');
    assert.equal(new URL(page.url()).pathname, '/p/home');
    const invoice = (await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] })).latest_invoice as Stripe.Invoice;
    assert.equal(invoice.amount_paid, 750, 'the charge equals the review');
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

  test('shortening_interval: a yearly customer picks the monthly price → scheduled, shown on home, undone; scheduled again, the clock passes the period end → monthly, one invoice', async () => {
    const APRIL_1_2031 = APRIL_1 + 365 * DAY;
    const MAY_1_2031 = APRIL_1_2031 + 30 * DAY;
    clock.set(APRIL_1);
    const testClock = await stripe.testHelpers.testClocks.create({ frozen_time: APRIL_1 });
    const customer = await stripe.customers.create({ email: 'yearly@example.com', name: 'Yuri Early', test_clock: testClock.id });
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: catalog.p300.id }] });
    await advanceTestClock(server, testClock.id, APRIL_1 + 40 * DAY);
    const feat = features();
    feat.subscription_update!.schedule_at_period_end = { conditions: [{ type: 'shortening_interval' }] };
    const { page, context } = await openPortal(customer.id, feat);

    const choose = async () => {
      await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
      // The monthly price is offered to the yearly customer.
      await page.check(`input[name=price][value="${catalog.p30.id}"]`);
      await page.click('button:has-text("Continue")');
      assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/review`);
    };
    await choose();
    await assertAccessible(page, 'review of a scheduled interval change');
    // Scheduled: nothing today; the next invoice is the engine's preview of the change at the period
    // end, the first month of Pro monthly: $30.00 on April 1, 2031 (not $300 for a year).
    assert.equal(await page.getAttribute('[data-due-today]', 'data-due-today'), '0');
    assert.equal(await page.getAttribute('[data-next-invoice]', 'data-next-invoice'), '3000');
    assert.match(await text(page), /takes effect on/);
    assert.match(await text(page), /Next invoice on April 1, 2031/);
    await page.click('button:has-text("Confirm")');
    assert.equal(new URL(page.url()).pathname, '/p/home');
    assert.match(await text(page), /Your plan change has been scheduled/);
    assert.match(await text(page), /Changes to Pro on/);
    const scheduled = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(scheduled.items.data[0]!.price.id, catalog.p300.id, 'nothing changes now');
    const sched = await stripe.subscriptionSchedules.retrieve(scheduled.schedule as string);
    assert.deepEqual(sched.phases.map((ph) => [ph.items[0]!.price, ph.start_date]), [[catalog.p300.id, APRIL_1], [catalog.p30.id, APRIL_1_2031]]);
    await page.click('button:has-text("Undo scheduled change")');
    assert.match(await text(page), /The scheduled change has been canceled/);
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).schedule, null);
    assert.equal((await stripe.subscriptionSchedules.retrieve(sched.id)).status, 'released');

    await choose();
    await page.click('button:has-text("Confirm")');
    assert.match(await text(page), /Changes to Pro on/);
    await advanceTestClock(server, testClock.id, APRIL_1_2031 + 60);
    const monthly = await stripe.subscriptions.retrieve(sub.id);
    assert.deepEqual(
      [monthly.items.data[0]!.price.id, monthly.items.data[0]!.current_period_start, monthly.items.data[0]!.current_period_end, monthly.billing_cycle_anchor],
      [catalog.p30.id, APRIL_1_2031, MAY_1_2031, APRIL_1_2031],
    );
    // One invoice at the period end: the first month of Pro monthly, no yearly renewal.
    const invoices = (await stripe.invoices.list({ subscription: sub.id })).data.reverse();
    assert.deepEqual(invoices.map((i) => [i.billing_reason, i.amount_paid, i.period_start]), [
      ['subscription_create', 30000, APRIL_1],
      ['subscription_update', 3000, APRIL_1_2031],
    ]);
    await page.goto(`${server.url}/p/home`);
    assert.doesNotMatch(await text(page), /Changes to Pro on/);
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

  test('an upgrade the bank asks to authenticate goes through 3-D Secure: completed, the pending update applies; failed, nothing changes', async () => {
    for (const result of ['complete', 'fail'] as const) {
      // 4000 0027 6000 3184 (pm_card_authenticationRequired): the test processor asks to authenticate every charge.
      const { customer, sub } = await customerWith({ card: 'pm_card_authenticationRequired' });
      clock.set(APRIL_1 + 15 * DAY);
      const { page, context } = await openPortal(customer.id);
      await page.goto(`${server.url}/p/subscriptions/${sub.id}/update`);
      await page.check(`input[name=price][value="${catalog.p30.id}"]`);
      await page.click('button:has-text("Continue")');
      // As in the upgrade walk: −$5.00 unused on $10, +$15.00 for half a month on $30.
      assert.equal(await page.getAttribute('[data-due-today]', 'data-due-today'), '1000');
      const from = f.receiver.received.length;
      await page.click('button:has-text("Confirm")');
      assert.match(new URL(page.url()).pathname, /^\/p\/authenticate\/pa_[A-Za-z0-9]{24}$/, 'the customer is sent through the challenge');
      assert.match(await text(page), /confirm a payment of \$10\.00/);
      if (result === 'complete') await assertAccessible(page, '3-D Secure');
      const held = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
      assert.equal(held.items.data[0]!.price.id, catalog.b10.id, 'nothing changes before the authentication');
      assert.ok(held.pending_update, 'the change waits as a pending update');
      assert.equal(held.pending_update.subscription_items?.[0]?.price.id, catalog.p30.id);
      const invoice = held.latest_invoice as Stripe.Invoice;
      assert.equal(invoice.status, 'open');
      assert.equal(invoice.amount_due, 1000);

      await page.click(`button:has-text("${result === 'complete' ? 'Complete authentication' : 'Fail authentication'}")`);
      const after = await stripe.subscriptions.retrieve(sub.id);
      const paid = await stripe.invoices.retrieve(invoice.id);
      await server.portico.deliveryWorker!.drain();
      if (result === 'complete') {
        assert.equal(new URL(page.url()).pathname, '/p/home');
        assert.match(await text(page), /Your plan has been updated/);
        assert.equal(after.items.data[0]!.price.id, catalog.p30.id, 'paying the invoice applied the pending update');
        assert.equal(after.pending_update, null);
        assert.equal(after.status, 'active');
        assert.equal(paid.status, 'paid');
        assert.equal(paid.amount_paid, 1000, 'the charge equals the review');
        await f.receiver.waitFor(from + 4);
        const events = f.verifiedEvents(from);
        const about = (type: string, id: string) => events.some((e) => e.type === type && (e.data.object as { id: string }).id === id);
        assert.ok(about('invoice.payment_action_required', invoice.id), 'invoice.payment_action_required');
        assert.ok(about('invoice.paid', invoice.id), 'invoice.paid');
        assert.ok(about('customer.subscription.pending_update_applied', sub.id), 'customer.subscription.pending_update_applied');
        const updated = events.find((e) => e.type === 'customer.subscription.updated' && (e.data.object as Stripe.Subscription).id === sub.id && (e.data.object as Stripe.Subscription).items.data[0]!.price.id === catalog.p30.id);
        assert.ok(updated, 'customer.subscription.updated with the new plan');
      } else {
        assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/update`);
        assert.match(await text(page), /Authentication failed, so your plan has not changed/);
        assert.equal(after.items.data[0]!.price.id, catalog.b10.id);
        assert.equal(after.status, 'active');
        assert.notEqual(paid.status, 'paid');
        assert.equal(paid.amount_paid, 0, 'nothing was charged');
        await f.receiver.waitFor(from + 1);
        const events = f.verifiedEvents(from);
        assert.ok(events.some((e) => e.type === 'invoice.payment_action_required' && (e.data.object as Stripe.Invoice).id === invoice.id));
        assert.ok(!events.some((e) => e.type === 'customer.subscription.pending_update_applied' && (e.data.object as Stripe.Subscription).id === sub.id));
        assert.ok(!events.some((e) => e.type === 'invoice.paid' && (e.data.object as Stripe.Invoice).id === invoice.id));
      }
      await context.close();
    }
  });

  test('subscription_update_confirm with discounts[][coupon] or discounts[][promotion_code]: the review shows the discount, the charge equals it to the cent', async () => {
    const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'once', name: 'Spring twenty' });
    const off = await stripe.coupons.create({ amount_off: 250, currency: 'usd', duration: 'once' });
    const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: off.id }, code: `FLOW${Date.now().toString(36).toUpperCase()}` });
    // Basic $10 a month → Pro $300 a year on April 16: the new year's $300 (discountable) less half of
    // April's $10 unused (a proration, not discounted): $295.00. 20 % off the year: −$60.00 → $235.00;
    // $2.50 off: → $292.50.
    const cases = [
      { discount: { coupon: coupon.id }, label: /Spring twenty/, off: /-\$60\.00|−\$60\.00/, due: 23500 },
      { discount: { promotion_code: promo.id }, label: new RegExp(promo.code), off: /-\$2\.50|−\$2\.50/, due: 29250 },
    ];
    for (const c of cases) {
      const { customer, sub } = await customerWith();
      clock.set(APRIL_1 + 15 * DAY);
      const { page, context } = await openPortal(customer.id, features(), {
        flow: {
          type: 'subscription_update_confirm',
          subscription_update_confirm: { subscription: sub.id, items: [{ id: sub.items.data[0]!.id, price: catalog.p300.id }], discounts: [c.discount] },
        },
      });
      assert.equal(new URL(page.url()).pathname, `/p/subscriptions/${sub.id}/review`);
      assert.equal(Number(await page.getAttribute('[data-due-today]', 'data-due-today')), c.due);
      assert.match(await text(page), c.label);
      assert.match(await text(page), c.off);
      const untouched = await stripe.subscriptions.retrieve(sub.id);
      assert.deepEqual(untouched.discounts, [], 'the review applied nothing');
      // The engine's own preview of the same change agrees with the review.
      const preview = await stripe.invoices.createPreview({
        customer: customer.id,
        subscription: sub.id,
        subscription_details: { items: [{ id: sub.items.data[0]!.id, price: catalog.p300.id }], proration_behavior: 'always_invoice', proration_date: clock.now() },
        discounts: [c.discount],
      });
      assert.equal(preview.amount_due, c.due);
      await page.click('button:has-text("Confirm")');
      const after = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
      assert.equal(after.items.data[0]!.price.id, catalog.p300.id);
      assert.equal(after.discounts.length, 1);
      assert.equal((after.latest_invoice as Stripe.Invoice).amount_paid, c.due, 'what the review said is what was charged');
      await context.close();
    }
    assert.equal((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 1);
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
