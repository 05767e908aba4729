/**
 * The test-mode demo seeded on first start (unless PORTICO_DEMO=0) and by `portico seed`: a small
 * catalog (Starter and Pro, monthly and yearly) and a customer with a card, so that a new user has
 * something to point the SDK — and, once it exists, the portal — at. Seeding twice changes nothing:
 * the demo prices' lookup keys mark it as done.
 */
import type { Clock } from './lib/clock.ts';
import type { Db } from './storage/database.ts';
import type { Ctx } from './storage/context.ts';
import { createCustomer, updateCustomer } from './billing/customers.ts';
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
    return { created: true, customerId: customer.id };
  });
}
