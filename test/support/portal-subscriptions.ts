/**
 * The shared set-up of the portal's subscription walks (`test/portal-subscriptions-*-browser.test.ts`):
 * one server with a manual clock, one browser and one webhook receiver per file, a small catalog
 * (Basic $10 and $5 a month, Pro $30 a month and $300 a year), and helpers to make a customer with a
 * subscription started on 2030-04-01 (a 30-day month, so prorations can be worked out by hand) and to
 * open a portal session on it. Call `portalSubscriptionsFixture()` inside a `describe`: it registers
 * the `before`/`after` hooks and hands back the fixture, filled once `before` has run.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { ManualClock } from '../../src/lib/clock.ts';
import { axeViolations, launchBrowser } from './browser.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { startTestServer, type TestServer } from './server.ts';

export const APRIL_1 = 1_901_232_000; // 2030-04-01T00:00:00Z (2030-01-01 + 90 days)
export const DAY = 86_400;

export type Features = Stripe.BillingPortal.ConfigurationCreateParams.Features;

export interface Catalog {
  basic: Stripe.Product;
  pro: Stripe.Product;
  b10: Stripe.Price;
  b5: Stripe.Price;
  p30: Stripe.Price;
  p300: Stripe.Price;
}

export interface PortalSubscriptionsFixture {
  server: TestServer;
  stripe: Stripe;
  browser: Browser;
  clock: ManualClock;
  receiver: Receiver;
  endpoint: Stripe.WebhookEndpoint;
  catalog: Catalog;
  /** Browser errors and CSP refusals seen by any page of the file. */
  pageErrors: string[];
  /** The walks' default configuration: update (always_invoice) and cancel at period end, with `over`. */
  features(over?: Partial<Features>): Features;
  /** A customer with a card (default: Visa) and a subscription started on April 1 (clock reset to then). */
  customerWith(opts?: { card?: string; price?: string; quantity?: number; trialDays?: number; coupon?: string }): Promise<{ customer: Stripe.Customer; sub: Stripe.Subscription }>;
  openPortal(
    customer: string,
    feat?: Features,
    opts?: { flow?: Stripe.BillingPortal.SessionCreateParams.FlowData; locale?: string },
  ): Promise<{ page: Page; context: BrowserContext }>;
  text(page: Page): Promise<string>;
  assertAccessible(page: Page, label: string): Promise<void>;
  /** The webhook events received since `from` (an index into `receiver.received`), each verified. */
  verifiedEvents(from: number): Stripe.Event[];
}

const EVENTS: Stripe.WebhookEndpointCreateParams.EnabledEvent[] = [
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.pending_update_applied',
  'invoice.paid',
  'invoice.payment_action_required',
  'subscription_schedule.created',
  'subscription_schedule.released',
  'customer.discount.created',
];

export function portalSubscriptionsFixture(): PortalSubscriptionsFixture {
  const f = { pageErrors: [] as string[] } as PortalSubscriptionsFixture;

  before(async () => {
    f.clock = new ManualClock(APRIL_1);
    f.server = await startTestServer({ clock: f.clock });
    f.stripe = f.server.stripe;
    f.browser = await launchBrowser();
    f.receiver = await startReceiver();
    f.endpoint = await f.stripe.webhookEndpoints.create({ url: f.receiver.url, enabled_events: EVENTS });
    const basic = await f.stripe.products.create({ name: 'Basic' });
    const pro = await f.stripe.products.create({ name: 'Pro' });
    f.catalog = {
      basic,
      pro,
      b10: await f.stripe.prices.create({ product: basic.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } }),
      b5: await f.stripe.prices.create({ product: basic.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } }),
      p30: await f.stripe.prices.create({ product: pro.id, currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' } }),
      p300: await f.stripe.prices.create({ product: pro.id, currency: 'usd', unit_amount: 30000, recurring: { interval: 'year' } }),
    };
  });
  after(async () => {
    await f.browser?.close();
    await f.receiver?.close();
    await f.server?.close();
  });

  f.features = (over = {}) => ({
    subscription_update: {
      enabled: true,
      default_allowed_updates: ['price', 'quantity', 'promotion_code'],
      proration_behavior: 'always_invoice',
      products: [
        { product: f.catalog.basic.id, prices: [f.catalog.b10.id, f.catalog.b5.id], adjustable_quantity: { enabled: true, minimum: 1, maximum: 10 } },
        { product: f.catalog.pro.id, prices: [f.catalog.p30.id, f.catalog.p300.id] },
      ],
    },
    subscription_cancel: {
      enabled: true,
      mode: 'at_period_end',
      cancellation_reason: { enabled: true, options: ['too_expensive', 'missing_features', 'other'] },
    },
    ...over,
  });

  f.customerWith = async (opts = {}) => {
    const { stripe, clock, catalog } = f;
    clock.set(APRIL_1);
    const customer = await stripe.customers.create({ email: 'jenny@example.com', name: 'Jenny Rosen' });
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: opts.price ?? catalog.b10.id, quantity: opts.quantity ?? 1 }],
      ...(opts.trialDays ? { trial_period_days: opts.trialDays } : {}),
      ...(opts.coupon ? { discounts: [{ coupon: opts.coupon }] } : {}),
    });
    if (opts.card) {
      const other = await stripe.paymentMethods.attach(opts.card, { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: other.id } });
    }
    return { customer, sub };
  };

  f.openPortal = async (customer, feat = f.features(), opts = {}) => {
    const config = await f.stripe.billingPortal.configurations.create({ business_profile: { headline: 'Acme billing' }, features: feat });
    const session = await f.stripe.billingPortal.sessions.create({
      customer,
      configuration: config.id,
      return_url: 'https://example.com/account',
      ...(opts.flow ? { flow_data: opts.flow } : {}),
    });
    const context = await f.browser.newContext({ locale: opts.locale ?? 'en-US' });
    const page = await context.newPage();
    page.on('pageerror', (e) => f.pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) f.pageErrors.push(m.text());
    });
    await page.goto(session.url);
    return { page, context };
  };

  f.text = async (page) => (await page.textContent('body')) ?? '';

  f.assertAccessible = async (page, label) => {
    const bad = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad, [], `${label}: ${JSON.stringify(bad, null, 2)}`);
  };

  f.verifiedEvents = (from) =>
    f.receiver.received.slice(from).map((r) => f.stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, f.endpoint.secret!));

  return f;
}
