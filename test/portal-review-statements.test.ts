/**
 * The plan-change review page's database work (issue 10: under 15 ms p99 on PGlite): the statements
 * one review request runs, counted through a wrapper around the server's storage, must not grow back
 * above REVIEW_STATEMENTS (it was 18: one per object read, the same price up to five times). The
 * review is also checked against the API's own preview of the same change at the same proration date,
 * so the batched reads cannot drift from what the engine computes (the browser walks check that the
 * confirmed change charges exactly the review).
 *
 * The counted request: the session (1), its customer and configuration (1), the account's branding
 * (1), and the review's own reads (1): the subscription, the offered prices and products, and the
 * customer's pending invoice items and tax IDs (src/portal/subscriptions/offer.ts `pageReads`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import { ManualClock } from '../src/lib/clock.ts';
import type { Storage } from '../src/storage/database.ts';
import { visitPortal } from './support/portal-fetch.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { COUNTED_SERVER, countingStorage } from './support/statement-counter.ts';

const REVIEW_STATEMENTS = 4;
const SUBSCRIPTIONS = 5;

for (const db of storageCases()) {
  describe(`plan-change review statements (${db.name})`, () => {
    let storage: Storage;
    let counting: ReturnType<typeof countingStorage>;
    let server: TestServer;
    let stripe: Stripe;
    let cookie: string;
    let subs: Stripe.Subscription[];
    let pro: Stripe.Price;

    before(async () => {
      storage = await db.open();
      counting = countingStorage(storage);
      server = await startTestServer({ ...COUNTED_SERVER, storage: counting.storage, clock: new ManualClock(1_901_232_000) });
      stripe = server.stripe;
      const basicProduct = await stripe.products.create({ name: 'Basic' });
      const proProduct = await stripe.products.create({ name: 'Pro' });
      const basic = await stripe.prices.create({ product: basicProduct.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
      pro = await stripe.prices.create({ product: proProduct.id, currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' } });
      const config = await stripe.billingPortal.configurations.create({
        business_profile: { headline: 'Review statements' },
        features: {
          subscription_update: {
            enabled: true,
            default_allowed_updates: ['price', 'quantity'],
            proration_behavior: 'always_invoice',
            products: [
              { product: basicProduct.id, prices: [basic.id] },
              { product: proProduct.id, prices: [pro.id] },
            ],
          },
          subscription_cancel: { enabled: true },
          invoice_history: { enabled: true },
        },
      });
      const customer = await stripe.customers.create({ email: 'review@example.com' });
      const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
      // What the previewed invoice also reads: a tax ID and a pending invoice item of the customer.
      await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'DE123456789' });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 250, currency: 'usd', description: 'Setup' });
      subs = [];
      for (let i = 0; i < SUBSCRIPTIONS; i++) subs.push(await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] }));
      const session = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: config.id, return_url: 'https://example.com/account' });
      const opened = await fetch(session.url, { redirect: 'manual' });
      cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0]!;
    });
    after(async () => {
      await server?.close();
      await storage?.close();
    });

    test(`a review runs at most ${REVIEW_STATEMENTS} statements and shows the API's preview of the same change`, async () => {
      const sub = subs[0]!;
      const path = `/p/subscriptions/${sub.id}/review?price=${pro.id}&quantity=1`;
      await visitPortal(server.url, path, cookie); // the session's first page after the way in
      let page: Awaited<ReturnType<typeof visitPortal>> | undefined;
      const statements = await counting.record(async () => {
        page = await visitPortal(server.url, path, cookie);
      });
      assert.equal(page!.status, 200, page!.body.slice(0, 300));
      assert.ok(page!.body.includes(`action="/p/subscriptions/${sub.id}/update"`), 'the review with its Confirm form');
      assert.ok(statements.length <= REVIEW_STATEMENTS, `${statements.length} statements (at most ${REVIEW_STATEMENTS}):\n${statements.join('\n')}`);

      const prorationDate = Number(/name="proration_date" value="(\d+)"/.exec(page!.body)?.[1]);
      const dueToday = Number(/data-due-today="(-?\d+)"/.exec(page!.body)?.[1]);
      const preview = await stripe.invoices.createPreview({
        subscription: sub.id,
        subscription_details: { items: [{ id: sub.items.data[0]!.id, price: pro.id, quantity: 1 }], proration_behavior: 'always_invoice', proration_date: prorationDate },
      });
      assert.equal(preview.billing_reason, 'subscription_update');
      assert.ok(preview.amount_due > 0);
      assert.equal(dueToday, preview.amount_due);
      for (const line of preview.lines.data) assert.ok(page!.body.includes(line.description!), `the review shows the line ${line.description}`);
    });

    test('the count does not depend on the number of subscriptions reviewed before', async () => {
      const counts: number[] = [];
      for (const sub of subs) {
        const statements = await counting.record(async () => {
          const page = await visitPortal(server.url, `/p/subscriptions/${sub.id}/review?price=${pro.id}&quantity=1`, cookie);
          assert.equal(page.status, 200);
        });
        counts.push(statements.length);
      }
      assert.ok(Math.max(...counts) <= REVIEW_STATEMENTS, `statements per review: ${counts.join(', ')}`);
    });
  });
}
