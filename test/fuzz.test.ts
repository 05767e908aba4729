/**
 * Bad input never yields a 500 and never changes data. For every create endpoint, a seeded generator
 * takes a valid body and breaks it in one of many ways (unknown keys, wrong types, invalid UTF-8,
 * broken percent-escapes, deep nesting, huge values, duplicate keys, too many parameters, prototype
 * keys), adds random noise, and posts it. Every answer must be a Stripe error with a 4xx status, and
 * the object store and the event outbox must be exactly as they were.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, startTestServer, type TestServer } from './support/server.ts';

/** mulberry32: a small seeded PRNG, so a failure reproduces from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof rng>;

interface Endpoint {
  path: string;
  /** A valid body (pairs, unencoded). */
  valid: [string, string][];
  /** Scalar params the endpoint knows, with a value of the wrong kind for each. */
  scalars: string[];
}

const enc = (s: string) => encodeURIComponent(s).replace(/%5B/g, '[').replace(/%5D/g, ']');
const form = (pairs: [string, string][]) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');

const NOISE_VALUES = ['', ' ', '0', '-1', '1e309', 'true', 'null', '[]', '{}', '\u0000', '😀', 'x'.repeat(300), '<script>'];

/** One way to make a valid body invalid; returns raw bytes or text. */
const MUTATIONS: ((e: Endpoint, r: Rng) => string | Uint8Array)[] = [
  (e, r) => `${form(e.valid)}&zz_unknown_${r.int(1e6)}=1`,
  (e, r) => `${form(e.valid)}&${enc(r.pick(e.scalars))}[0]=array-instead-of-scalar`,
  (e, r) => `${form(e.valid)}&${enc(r.pick(e.scalars))}[nested]=object-instead-of-scalar`,
  (e, r) => {
    const k = r.pick(e.scalars);
    return `${form(e.valid.filter(([key]) => key !== k))}&${enc(k)}=a&${enc(k)}=b`;
  },
  (e, r) => Buffer.concat([Buffer.from(`${form(e.valid)}&${r.pick(e.scalars)}=`), Buffer.from([0xc3, 0x28, 0xff, 0xfe])]),
  (e, r) => `${form(e.valid)}&${r.pick(e.scalars)}=%E2%82`,
  (e, r) => `${form(e.valid)}&${r.pick(e.scalars)}=%ZZ`,
  (e, r) => `${form(e.valid)}&${r.pick(e.scalars)}=a%00b`,
  (e) => `${form(e.valid)}&metadata[k%00]=v`,
  (e) => `${form(e.valid)}&metadata${'[x]'.repeat(9 + 1)}=deep`,
  (e, r) => `${form(e.valid)}&${r.pick(e.scalars)}=${'y'.repeat(50_001 + r.int(100_000))}`,
  (e) => `${form(e.valid)}&${Array.from({ length: 2100 }, (_, i) => `p${i}=1`).join('&')}`,
  (e) => `${form(e.valid)}&metadata=${'m'.repeat(10)}&metadata[a]=b`,
  (e, r) => `${form(e.valid)}&metadata[${'k'.repeat(41 + r.int(50))}]=v`,
  (e) => `${form(e.valid)}&__proto__[polluted]=1`,
  (e) => `${form(e.valid)}&constructor[prototype][polluted]=1`,
  (e) => `${form(e.valid)}&expand[0]=nonexistent_field`,
  (e) => `${form(e.valid)}&expand=${'e'.repeat(5001)}`,
  (e, r) => `${form(e.valid)}&${r.pick(e.scalars)}[]=`,
  (e) => `${form(e.valid)}&metadata[0]=a&metadata[1]=b&metadata[x]=${'v'.repeat(501)}`,
];

const ERROR_TYPES = new Set(['invalid_request_error', 'card_error', 'idempotency_error']);

describe('malformed bodies across the create endpoints', () => {
  let server: TestServer;
  let endpoints: Endpoint[];
  before(async () => {
    server = await startTestServer();
    const s = server.stripe;
    const product = await s.products.create({ name: 'Fuzz product' });
    const coupon = await s.coupons.create({ percent_off: 10, duration: 'once' });
    const customer = await s.customers.create({ email: 'fuzz@example.com' });
    endpoints = [
      { path: '/v1/customers', valid: [['email', 'a@example.com'], ['name', 'A']], scalars: ['email', 'name', 'balance', 'phone', 'tax_exempt', 'invoice_prefix'] },
      { path: '/v1/products', valid: [['name', 'P']], scalars: ['name', 'active', 'description', 'url', 'shippable'] },
      {
        path: '/v1/prices',
        valid: [['currency', 'usd'], ['unit_amount', '1000'], ['product', product.id], ['recurring[interval]', 'month']],
        scalars: ['currency', 'unit_amount', 'product', 'nickname', 'lookup_key', 'tax_behavior'],
      },
      { path: '/v1/coupons', valid: [['percent_off', '20'], ['duration', 'once']], scalars: ['percent_off', 'duration', 'name', 'max_redemptions', 'redeem_by'] },
      {
        path: '/v1/promotion_codes',
        valid: [['promotion[type]', 'coupon'], ['promotion[coupon]', coupon.id]],
        scalars: ['code', 'active', 'max_redemptions', 'expires_at', 'customer'],
      },
      {
        path: '/v1/payment_methods',
        valid: [['type', 'card'], ['card[token]', 'tok_visa']],
        scalars: ['type', 'allow_redisplay'],
      },
      {
        path: `/v1/customers/${customer.id}/tax_ids`,
        valid: [['type', 'eu_vat'], ['value', 'DE123456789']],
        scalars: ['type', 'value'],
      },
      { path: '/v1/test_helpers/test_clocks', valid: [['frozen_time', '1900000000']], scalars: ['frozen_time', 'name'] },
    ];
  });
  after(() => server.close());

  async function snapshot() {
    const db = server.portico.storage.db;
    const objects = await db.selectFrom('objects').select(['id', 'data', 'deleted']).orderBy('seq').execute();
    const events = await db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return { objects: JSON.stringify(objects), events: Number(events.n) };
  }

  test('1,200 malformed bodies: each a 4xx Stripe error, data unchanged', async () => {
    const r = rng(20261122);
    const before = await snapshot();
    const statuses = new Map<number, number>();
    let sent = 0;
    for (let i = 0; i < 1200; i++) {
      const endpoint = endpoints[i % endpoints.length]!;
      const mutate = MUTATIONS[r.int(MUTATIONS.length)]!;
      let body = mutate(endpoint, r);
      if (typeof body === 'string' && r.next() < 0.3) {
        body += `&${enc(r.pick(endpoint.scalars))}_noise=${enc(r.pick(NOISE_VALUES))}`;
      }
      const res = await rawRequest(server, 'POST', endpoint.path, body);
      sent++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const context = `body #${i} to ${endpoint.path}: ${String(typeof body === 'string' ? body : Buffer.from(body).toString('latin1')).slice(0, 200)}`;
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status} for ${context}`);
      assert.ok(res.json.error, `no error body for ${context}`);
      assert.ok(ERROR_TYPES.has(res.json.error.type), `error type ${res.json.error.type} for ${context}`);
      assert.equal(typeof res.json.error.message, 'string');
    }
    assert.equal(sent, 1200);
    const afterSnapshot = await snapshot();
    assert.equal(afterSnapshot.events, before.events, 'no event was written');
    assert.equal(afterSnapshot.objects, before.objects, 'no object was created or changed');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    // NUL in ids, cursors and filters of reads is a 400 too, never a database error.
    for (const path of ['/v1/customers/cus_%00', '/v1/customers?starting_after=%00', '/v1/customers?email=a%00b', '/v1/payment_methods/pm_%00']) {
      const res = await rawRequest(server, 'GET', path);
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status} for GET ${path}`);
    }
    // The server still works.
    const ok = await server.stripe.customers.create({ email: 'after@example.com' });
    assert.equal(ok.email, 'after@example.com');
  });
});
