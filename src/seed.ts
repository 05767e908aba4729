/**
 * The test-mode demo seeded on first start (unless PORTICO_DEMO=0) and by `portico seed`: a small
 * catalog (Starter and Pro, monthly and yearly), a customer with a card and a Starter subscription, and
 * the default test portal configuration set up to offer plan changes and its login page, so that a new
 * user has something to point the SDK and the portal at. Seeding twice changes nothing:
 * the demo prices' lookup keys mark it as done.
 */
import type { Clock } from './lib/clock.ts';
import type { Db } from './storage/database.ts';
import type { Ctx } from './storage/context.ts';
import { createCustomer, listCustomers, updateCustomer } from './billing/customers.ts';
import { createSubscription } from './billing/subscriptions/index.ts';
import { defaultConfiguration, ensureDefaultConfiguration, updateConfiguration } from './portal/configurations/index.ts';
import { createPortalSession } from './portal/sessions/index.ts';
import { attachPaymentMethod } from './billing/payment-methods.ts';
import { createPrice, listPrices } from './billing/prices.ts';
import { createProduct } from './billing/products.ts';

export interface DemoSeed {
  created: boolean;
  customerId: string | null;
}

const MARKER = 'demo_pro_monthly';

export async function seedDemo(db: Db, clock: Clock): Promise<DemoSeed> {
  return db.transaction().execute(async (tx) => {
    const ctx: Ctx = { db: tx, livemode: false, clock, request: { id: null, idempotencyKey: null } };
    const existing = await listPrices(ctx, { lookup_keys: [MARKER] }, { limit: 1 });
    if (existing.data.length > 0) return { created: false, customerId: null };

    const starter = await createProduct(ctx, {
      name: 'Starter',
      description: 'For small teams getting started',
      metadata: { portico_demo: 'true' },
    });
    const pro = await createProduct(ctx, {
      name: 'Pro',
      description: 'Everything in Starter, plus priority support',
      metadata: { portico_demo: 'true' },
    });
    const prices = [
      { product: starter.id, unit_amount: 900, interval: 'month' as const, lookup_key: 'demo_starter_monthly' },
      { product: starter.id, unit_amount: 9000, interval: 'year' as const, lookup_key: 'demo_starter_yearly' },
      { product: pro.id, unit_amount: 2900, interval: 'month' as const, lookup_key: MARKER },
      { product: pro.id, unit_amount: 29000, interval: 'year' as const, lookup_key: 'demo_pro_yearly' },
    ];
    for (const p of prices) {
      await createPrice(ctx, {
        currency: 'usd',
        product: p.product,
        unit_amount: p.unit_amount,
        recurring: { interval: p.interval },
        tax_behavior: 'exclusive',
        lookup_key: p.lookup_key,
      });
    }
    const customer = await createCustomer(ctx, {
      email: 'jenny.rosen@example.com',
      name: 'Jenny Rosen',
      address: { line1: '27 Fredrick Ave', city: 'Brothers', state: 'OR', postal_code: '97712', country: 'US' },
      metadata: { portico_demo: 'true' },
    });
    const card = await attachPaymentMethod(ctx, 'pm_card_visa', customer.id);
    await updateCustomer(ctx, customer.id, { invoice_settings: { default_payment_method: card.id } });
    const made = (await listPrices(ctx, { lookup_keys: prices.map((x) => x.lookup_key) }, { limit: 10 })).data.map((r) => r.data);
    const byKey = new Map(made.map((pr) => [pr.lookup_key, pr.id]));
    await createSubscription(ctx, { customer: customer.id, items: [{ price: byKey.get('demo_starter_monthly')! }] });
    // The default test configuration lets the demo customer try everything the portal offers.
    const config = await ensureDefaultConfiguration(ctx);
    await updateConfiguration(ctx, config.id, {
      business_profile: { headline: 'Manage your Portico demo subscription' },
      default_return_url: DEMO_RETURN_URL,
      login_page: { enabled: true },
      features: {
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price', 'quantity', 'promotion_code'],
          proration_behavior: 'create_prorations',
          products: [
            { product: starter.id, prices: [byKey.get('demo_starter_monthly')!, byKey.get('demo_starter_yearly')!], adjustable_quantity: { enabled: true, minimum: 1, maximum: 20 } },
            { product: pro.id, prices: [byKey.get(MARKER)!, byKey.get('demo_pro_yearly')!], adjustable_quantity: { enabled: true, minimum: 1, maximum: 20 } },
          ],
        },
      },
    });
    return { created: true, customerId: customer.id };
  });
}

/** Where the demo's portal "return" link goes (there is no business site in the demo). */
const DEMO_RETURN_URL = 'https://example.com/account';

export interface DemoLinks {
  /** A fresh portal session for the demo customer (opens within 5 minutes). */
  sessionUrl: string;
  /** The default test configuration's login page, when enabled. */
  loginUrl: string | null;
  email: string;
}

/** Portal links for the demo customer, made anew at each start; null when there is no demo. */
export async function demoPortalLinks(db: Db, clock: Clock): Promise<DemoLinks | null> {
  return db.transaction().execute(async (tx) => {
    const ctx: Ctx = { db: tx, livemode: false, clock, request: { id: null, idempotencyKey: null } };
    const found = await listCustomers(ctx, { email: 'jenny.rosen@example.com' }, { limit: 1 });
    const customer = found.data[0]?.data;
    if (!customer || customer.metadata.portico_demo !== 'true') return null;
    const config = await defaultConfiguration(ctx);
    const session = await createPortalSession(ctx, { customer: customer.id, return_url: config.default_return_url ?? DEMO_RETURN_URL });
    return { sessionUrl: session.url, loginUrl: config.login_page.url, email: customer.email ?? '' };
  });
}
