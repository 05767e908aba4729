/**
 * GET by id sends the stored JSON text as is when nothing is to be expanded (api/router.ts, `StoredRead`).
 * A property test: for every object type that has that fast path, objects made with random parameters
 * (odd characters, nulls, metadata, updates) answer exactly what the domain's retrieve function gives
 * (byte for byte once parsed and serialized again, so key order counts); with `expand` they answer
 * what `applyExpand` makes of it; deleted and missing objects keep the handler's stub and 404.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { applyExpand } from '../src/api/expand.ts';
import { storedReads } from '../src/api/router.ts';
import { retrieveCustomer } from '../src/billing/customers.ts';
import { getInvoiceItem } from '../src/billing/invoice-items.ts';
import { getPrice } from '../src/billing/prices.ts';
import { getProduct } from '../src/billing/products.ts';
import { getPromotionCode } from '../src/billing/promotion-codes.ts';
import { getTaxRate } from '../src/billing/tax-rates.ts';
import { getEndpoint } from '../src/events/webhook-endpoints.ts';
import type { Ctx } from '../src/storage/context.ts';
import { storageCases } from './support/storages.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const ODD = ['"', '\\', '/', '\u00e9', '\u2028', '\u{1F600}', '<', '&', ' ', 'x', '\t', '\u0001'];
  const text = (n = 1 + Math.floor(next() * 12)) => Array.from({ length: n }, () => pick(ODD)).join('') + 'z';
  const maybe = <T>(v: () => T): T | undefined => (next() < 0.5 ? v() : undefined);
  const metadata = () => Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`k${i}${pick(['', '_a', '-b'])}`, text()]));
  return { next, pick, text, maybe, metadata };
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

type Getter = (ctx: Ctx, id: string) => Promise<object>;

/** The handler's domain function for each stored read (a new fast path must be added here). */
const getters: Record<string, Getter> = {
  customer: retrieveCustomer,
  webhook_endpoint: getEndpoint,
  invoiceitem: (ctx, id) => getInvoiceItem(ctx, id, 'id'),
  price: (ctx, id) => getPrice(ctx, id, 'id'),
  product: (ctx, id) => getProduct(ctx, id, 'id'),
  promotion_code: (ctx, id) => getPromotionCode(ctx, id),
  tax_rate: (ctx, id) => getTaxRate(ctx, id),
};

/** Expandable fields to try per type. */
const expansions: Record<string, string[]> = {
  customer: ['test_clock', 'invoice_settings.default_payment_method', 'tax_ids'],
  webhook_endpoint: [],
  invoiceitem: ['customer', 'invoice'],
  price: ['product'],
  product: ['default_price'],
  promotion_code: ['customer', 'promotion.coupon'],
  tax_rate: [],
};

for (const db of storageCases()) {
  describe(`GET by id from the stored text on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });
    const ctx = (): Ctx => ({ db: server.portico.storage.db, livemode: false, clock: server.clock, request: { id: null, idempotencyKey: null } });

    test('every stored read has a generator and a domain getter here', () => {
      const objects = [...new Set([...storedReads.values()].map((s) => s.object))].sort();
      assert.deepEqual(objects, Object.keys(getters).sort());
    });

    /** `n` objects of each type made with random parameters, some of them updated; returns [path, id, object]. */
    async function makeObjects(seed: number, n: number): Promise<Array<[string, string, string]>> {
      const r = random(seed);
      const out: Array<[string, string, string]> = [];
      for (let i = 0; i < n; i++) {
        const customer = await stripe.customers.create(
          defined({
            email: r.maybe(() => `c${seed}-${i}@example.com`),
            name: r.maybe(() => r.text()),
            description: r.maybe(() => r.text()),
            phone: r.maybe(() => '+1555' + String(i).padStart(7, '0')),
            metadata: r.metadata(),
            preferred_locales: r.maybe(() => [r.pick(['en', 'fr', 'de'])]),
            address: r.maybe(() => ({ line1: r.text(), city: r.text(), country: 'US' })),
          }),
        );
        if (r.next() < 0.5) await stripe.customers.update(customer.id, { name: r.text(), metadata: { updated: r.text() } });
        if (r.next() < 0.3) {
          const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
          await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
        }
        out.push(['/v1/customers', customer.id, 'customer']);

        const product = await stripe.products.create(defined({ name: r.text(), description: r.maybe(() => r.text()), metadata: r.metadata(), active: r.next() < 0.8 }));
        const price = await stripe.prices.create(
          defined({
            currency: r.pick(['usd', 'eur', 'jpy']),
            unit_amount: Math.floor(r.next() * 100000),
            product: product.id,
            nickname: r.maybe(() => r.text()),
            metadata: r.metadata(),
            recurring: r.maybe(() => ({ interval: r.pick(['month', 'year'] as const) })),
          }),
        );
        if (r.next() < 0.5) await stripe.products.update(product.id, { default_price: price.id });
        out.push(['/v1/products', product.id, 'product'], ['/v1/prices', price.id, 'price']);

        const rate = await stripe.taxRates.create(
          defined({ display_name: r.text(), percentage: Math.round(r.next() * 3000) / 100, inclusive: r.next() < 0.5, jurisdiction: r.maybe(() => r.text()), metadata: r.metadata() }),
        );
        out.push(['/v1/tax_rates', rate.id, 'tax_rate']);

        const item = await stripe.invoiceItems.create(
          defined({ customer: customer.id, amount: 1 + Math.floor(r.next() * 9999), currency: 'usd', description: r.maybe(() => r.text()), metadata: r.metadata() }),
        );
        out.push(['/v1/invoiceitems', item.id, 'invoiceitem']);

        const coupon = await stripe.coupons.create({ percent_off: 1 + Math.floor(r.next() * 90), duration: 'once' });
        const code = await stripe.promotionCodes.create(
          defined({
            promotion: { type: 'coupon' as const, coupon: coupon.id },
            customer: r.next() < 0.5 ? customer.id : undefined,
            metadata: r.metadata(),
          }),
        );
        out.push(['/v1/promotion_codes', code.id, 'promotion_code']);

        const endpoint = await stripe.webhookEndpoints.create(
          defined({ url: `https://example.com/hook/${i}?q=${encodeURIComponent(r.text())}`, enabled_events: [r.pick(['*', 'customer.created'])], description: r.maybe(() => r.text()), metadata: r.metadata() }),
        );
        out.push(['/v1/webhook_endpoints', endpoint.id, 'webhook_endpoint']);
      }
      return out;
    }

    test('without expand: the stored text equals the domain answer; with expand: applyExpand of it', async () => {
      const objects = await makeObjects(15, 4);
      for (const [path, id, type] of objects) {
        const fast = await rawRequest(server, 'GET', `${path}/${id}`);
        assert.equal(fast.status, 200);
        const answer = await getters[type]!(ctx(), id);
        assert.equal(JSON.stringify(fast.json), JSON.stringify(answer), `${type} ${id}`);
        for (const field of expansions[type]!) {
          const expanded = await rawRequest(server, 'GET', `${path}/${id}?expand[]=${encodeURIComponent(field)}`);
          assert.equal(expanded.status, 200, `${type} expand ${field}: ${JSON.stringify(expanded.json)}`);
          const want = await applyExpand(ctx(), structuredClone(await getters[type]!(ctx(), id)) as Record<string, unknown>, [field]);
          assert.equal(JSON.stringify(expanded.json), JSON.stringify(want), `${type} ${id} expand ${field}`);
        }
      }
    });

    test('deleted, missing, other-mode objects and unknown params keep the handler answers', async () => {
      const customer = await stripe.customers.create({ email: 'gone@example.com' });
      await stripe.customers.del(customer.id);
      const stub = await rawRequest(server, 'GET', `/v1/customers/${customer.id}`);
      assert.equal(stub.status, 200);
      assert.deepEqual(stub.json, { id: customer.id, object: 'customer', deleted: true });

      const endpoint = await stripe.webhookEndpoints.create({ url: 'https://example.com/gone', enabled_events: ['*'] });
      await stripe.webhookEndpoints.del(endpoint.id);
      const gone = await rawRequest(server, 'GET', `/v1/webhook_endpoints/${endpoint.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.code, 'resource_missing');

      const missing = await rawRequest(server, 'GET', '/v1/prices/price_nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.param, 'id');
      // Another type's id under this path is no object of this type.
      const product = await stripe.products.create({ name: 'P' });
      assert.equal((await rawRequest(server, 'GET', `/v1/prices/${product.id}`)).status, 404);
      // A live object is invisible to a test key.
      const live = await server.live.customers.create({ email: 'live@example.com' });
      assert.equal((await rawRequest(server, 'GET', `/v1/customers/${live.id}`)).status, 404);
      // Params other than expand are still refused.
      const bogus = await rawRequest(server, 'GET', `/v1/products/${product.id}?bogus=1`);
      assert.equal(bogus.status, 400);
      assert.equal(bogus.json.error.param, 'bogus');
    });
  });
}
