/**
 * GET by id sends the stored JSON text as is when nothing is to be expanded (api/router.ts, `StoredRead`).
 * A property test: for every object type that has that fast path, objects made with random parameters
 * (odd characters, nulls, metadata, updates) answer exactly what the domain's retrieve function gives
 * (byte for byte once parsed and serialized again, so key order counts); with `expand` they answer
 * what `applyExpand` makes of it; deleted and missing objects keep the handler's stub and 404.
 * The plain GET is answered below Hono (api/fast-get.ts): its answer must be the Hono route's, headers
 * included, and every other case must reach Hono.
 */
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
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
import { publicBaseUrl, setPublicBaseUrl } from '../src/lib/public-url.ts';
import type { Ctx } from '../src/storage/context.ts';
import { insertObject } from '../src/storage/objects.ts';
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

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  json: any;
}

/** A GET whose path is sent exactly as written (fetch and `new URL` drop an empty `?`). */
function get(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, headers: { Authorization: `Bearer ${server.portico.keys.testSecretKey}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The same answer: status, body (key order included) and headers but for Request-Id's value and the Date. */
function assertSameAnswer(actual: Answer, expected: Answer, what: string): void {
  assert.equal(actual.status, expected.status, what);
  assert.equal(JSON.stringify(actual.json), JSON.stringify(expected.json), what);
  for (const a of [actual, expected]) {
    assert.match(String(a.headers['request-id']), /^req_[A-Za-z0-9]{14}$/, what);
    assert.ok(a.headers.date, what);
  }
  const rest = (h: IncomingHttpHeaders) => ({ ...h, 'request-id': undefined, date: undefined });
  assert.deepEqual(rest(actual.headers), rest(expected.headers), what);
}

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

    test('the plain GET is answered below Hono, exactly as the Hono route answers it', async () => {
      const served = () => server.portico.fastGet!.served;
      /** The path once answered below Hono, and once (with an empty query string) by the Hono route. */
      const both = async (path: string, headers: Record<string, string> = {}) => {
        const before = served();
        const fast = await get(server, path, headers);
        assert.equal(served(), before + 1, `${path} answered below Hono`);
        const hono = await get(server, `${path}?`, headers);
        assert.equal(served(), before + 1, `${path}? answered by Hono`);
        assertSameAnswer(fast, hono, path);
        return fast;
      };
      const objects = await makeObjects(16, 2);
      const before = publicBaseUrl();
      try {
        for (const [path, id, type] of objects) {
          assert.equal((await both(`${path}/${id}`)).status, 200);
          await both(`${path}/${id}`, { 'Stripe-Version': '2024-06-20' });
          await both(`${path}/${id}`, { Authorization: `Basic ${Buffer.from(`${server.portico.keys.testSecretKey}:`).toString('base64')}` });
          // With expand, the Hono route answers (and expands).
          for (const field of expansions[type]!) {
            const at = served();
            assert.equal((await get(server, `${path}/${id}?expand[]=${encodeURIComponent(field)}`)).status, 200);
            assert.equal(served(), at, `${type} expand ${field} reaches Hono`);
          }
        }
        // An https deployment's HSTS header on both.
        setPublicBaseUrl('https://billing.example.com');
        for (const [path, id] of objects) assert.equal((await both(`${path}/${id}`)).headers['strict-transport-security'], 'max-age=31536000');
      } finally {
        setPublicBaseUrl(before);
      }
      const live = await server.live.customers.create({ email: 'live-fast@example.com' });
      await both(`/v1/customers/${live.id}`, { Authorization: `Bearer ${server.portico.keys.liveSecretKey}` });
    });

    test('every other GET reaches Hono and keeps its Stripe error or answer', async () => {
      const served = () => server.portico.fastGet!.served;
      const customer = await stripe.customers.create({ email: 'fall@example.com' });
      const path = `/v1/customers/${customer.id}`;
      const viaHono = async (p: string, headers: Record<string, string> = {}) => {
        const before = served();
        const res = await get(server, p, headers);
        assert.equal(served(), before, `${p} ${JSON.stringify(headers)} reaches Hono`);
        return res;
      };
      const badKey = await viaHono(path, { Authorization: 'Bearer sk_test_nope' });
      assert.equal(badKey.status, 401);
      assert.equal(badKey.json.error.type, 'invalid_request_error');
      assert.equal((await viaHono(path, { Authorization: '' })).status, 401);
      assert.equal((await viaHono(path, { Authorization: `Bearer ${server.portico.keys.testSecretKey} junk` })).status, 401);
      const unknown = await viaHono('/v1/customers/cus_nope');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.code, 'resource_missing');
      const version = await viaHono(path, { 'Stripe-Version': 'yesterday' });
      assert.equal(version.status, 400);
      assert.ok(version.json.error.message, 'a Stripe error body');
      const expanded = await viaHono(`${path}?expand[]=test_clock`);
      assert.equal(expanded.status, 200);
      assert.equal(expanded.json.id, customer.id);
      // Another GET route under the same path keeps it, even with a stored object of that id.
      assert.equal((await viaHono('/v1/customers/search?query=email%3A%27fall%40example.com%27')).status, 200);
      await insertObject(ctx(), { id: 'search', object: 'customer', created: 1, data: { id: 'search', object: 'customer' } });
      const search = await viaHono('/v1/customers/search');
      assert.equal(search.status, 400);
      assert.equal(search.json.error.param, 'query');
      // Another type's object under this path, and a deleted one.
      const product = await stripe.products.create({ name: 'P' });
      assert.equal((await viaHono(`/v1/customers/${product.id}`)).status, 404);
      await stripe.customers.del(customer.id);
      assert.deepEqual((await viaHono(path)).json, { id: customer.id, object: 'customer', deleted: true });
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
