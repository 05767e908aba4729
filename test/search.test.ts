/**
 * `GET /v1/{customers,invoices,prices,products,subscriptions}/search` through the official SDK: the
 * `search_result` shape, paging with `next_page`, `total_count`, errors, and results equal to the same
 * filter done by listing, on every database.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

const ids = (objects: { id: string }[]) => objects.map((o) => o.id);

/** Every object of a list (auto-paging), newest first. */
async function all<T extends { id: string }>(list: AsyncIterable<T>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of list) out.push(o.id);
  return out;
}

for (const db of storageCases()) {
  describe(`search on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });
    const clock = () => server.clock as ManualClock;

    test('customers: exact, substring, metadata, created, AND/OR, negation; equal to listing', async () => {
      const t0 = server.clock.now();
      const made: Stripe.Customer[] = [];
      for (let i = 0; i < 7; i++) {
        made.push(
          await stripe.customers.create({
            email: i % 2 === 0 ? 'even@example.com' : `odd${i}@example.org`,
            name: i === 3 ? 'Jenny Rosen' : `Customer ${i}`,
            metadata: i < 3 ? { plan: 'pro' } : { plan: 'basic' },
          }),
        );
        clock().advance(60);
      }
      const cust = await stripe.customers.search({ query: `email:'even@example.com'` });
      assert.equal(cust.object, 'search_result');
      assert.equal(cust.url, '/v1/customers/search');
      assert.equal(cust.has_more, false);
      assert.equal(cust.next_page, null);
      assert.equal('total_count' in cust, false);
      assert.deepEqual(ids(cust.data), await all(stripe.customers.list({ email: 'even@example.com' })));
      assert.deepEqual(ids(cust.data), [made[6]!.id, made[4]!.id, made[2]!.id, made[0]!.id]);

      const since = t0 + 3 * 60;
      assert.deepEqual(
        ids((await stripe.customers.search({ query: `created>=${since}`, limit: 100 })).data),
        await all(stripe.customers.list({ created: { gte: since } })),
      );
      assert.deepEqual(ids((await stripe.customers.search({ query: `metadata['plan']:'pro'` })).data), [made[2]!.id, made[1]!.id, made[0]!.id]);
      assert.deepEqual(
        ids((await stripe.customers.search({ query: `metadata['plan']:'pro' AND -email:'even@example.com'` })).data),
        [made[1]!.id],
      );
      assert.deepEqual(
        ids((await stripe.customers.search({ query: `email:'odd1@example.org' OR name:'Jenny Rosen'` })).data),
        [made[3]!.id, made[1]!.id],
      );
      assert.deepEqual(ids((await stripe.customers.search({ query: `name~'jenny'` })).data), [made[3]!.id]);
      assert.deepEqual(ids((await stripe.customers.search({ query: `email~'EXAMPLE.ORG' created<${t0 + 120}` })).data), [made[1]!.id]);
      assert.deepEqual(ids((await stripe.customers.search({ query: `metadata['missing']:null created<${t0 + 60}` })).data), [made[0]!.id]);
      assert.equal((await stripe.customers.search({ query: `-metadata['plan']:null` })).data.length, 7 > 10 ? 10 : 7);
    });

    test('pages: next_page walks every match once; total_count on expand; data.x expands', async () => {
      const tag = `page-${db.name}`;
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.unshift((await stripe.customers.create({ metadata: { tag } })).id);
      const query = `metadata['tag']:'${tag}'`;
      const first = await stripe.customers.search({ query, limit: 2, expand: ['total_count'] });
      assert.equal(first.total_count, 5);
      assert.equal(first.has_more, true);
      assert.equal(typeof first.next_page, 'string');
      const second = await stripe.customers.search({ query, limit: 2, page: first.next_page! });
      const third = await stripe.customers.search({ query, limit: 2, page: second.next_page! });
      assert.equal(third.has_more, false);
      assert.equal(third.next_page, null);
      assert.deepEqual([...ids(first.data), ...ids(second.data), ...ids(third.data)], made);
      // The SDK's auto-paging follows next_page.
      assert.deepEqual(await all(stripe.customers.search({ query, limit: 2 })), made);
      await fails(stripe.customers.search({ query: `email:'x@y.z'`, page: first.next_page! }), { status: 400, param: 'page', message: /another query/ });
      await fails(stripe.customers.search({ query, page: 'garbage!' }), { status: 400, param: 'page' });

      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: made[0]! });
      await stripe.customers.update(made[0]!, { invoice_settings: { default_payment_method: pm.id } });
      const expanded = await stripe.customers.search({ query, limit: 1, expand: ['data.invoice_settings.default_payment_method'] });
      assert.equal((expanded.data[0]!.invoice_settings.default_payment_method as Stripe.PaymentMethod).id, pm.id);
    });

    test('prices, products, subscriptions and invoices: equal to listing with the same filter', async () => {
      const product = await stripe.products.create({ name: 'Searchable Pro', description: 'The professional plan' });
      const other = await stripe.products.create({ name: 'Other thing', active: false, shippable: true });
      const monthly = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, lookup_key: `pro-${db.name}` });
      const eur = await stripe.prices.create({ product: product.id, currency: 'eur', unit_amount: 900, recurring: { interval: 'month' } });
      const once = await stripe.prices.create({ product: other.id, currency: 'usd', unit_amount: 500, active: false });

      assert.deepEqual(
        ids((await stripe.prices.search({ query: `active:'true' AND currency:'USD' AND product:'${product.id}'` })).data),
        await all(stripe.prices.list({ active: true, currency: 'usd', product: product.id })),
      );
      assert.deepEqual(ids((await stripe.prices.search({ query: `lookup_key:'pro-${db.name}'` })).data), [monthly.id]);
      assert.deepEqual(ids((await stripe.prices.search({ query: `type:'one_time' product:'${other.id}'` })).data), [once.id]);
      assert.deepEqual(ids((await stripe.prices.search({ query: `product:'${product.id}' -currency:'usd'` })).data), [eur.id]);
      assert.deepEqual(
        ids((await stripe.products.search({ query: `active:'false'`, limit: 100 })).data),
        await all(stripe.products.list({ active: false })),
      );
      assert.deepEqual(ids((await stripe.products.search({ query: `name~'searchable' description~'profession'` })).data), [product.id]);
      assert.deepEqual(ids((await stripe.products.search({ query: `shippable:'true' name:'Other thing'` })).data), [other.id]);

      const customer = await stripe.customers.create({ email: 'subscriber@example.com' });
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const active = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], metadata: { team: 'a' } });
      const canceled = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      await stripe.subscriptions.cancel(canceled.id);
      assert.deepEqual(
        ids((await stripe.subscriptions.search({ query: `status:'active'`, limit: 100 })).data),
        await all(stripe.subscriptions.list({ status: 'active' })),
      );
      assert.deepEqual(ids((await stripe.subscriptions.search({ query: `status:'canceled' OR metadata['team']:'a'` })).data), [canceled.id, active.id]);

      const invoices = await all(stripe.invoices.list({ customer: customer.id, status: 'paid' }));
      assert.equal(invoices.length, 2);
      assert.deepEqual(ids((await stripe.invoices.search({ query: `customer:'${customer.id}' status:'paid'` })).data), invoices);
      assert.deepEqual(ids((await stripe.invoices.search({ query: `subscription:'${active.id}' total>=1000 total<1001` })).data), await all(stripe.invoices.list({ subscription: active.id })));
      assert.deepEqual((await stripe.invoices.search({ query: `customer:'${customer.id}' total>1000` })).data, []);
    });

    test('modes and deleted objects: a key finds only its own mode, never a deleted object', async () => {
      const email = `mode-${db.name}@example.com`;
      const test = await stripe.customers.create({ email });
      const live = await server.live.customers.create({ email });
      const gone = await stripe.customers.create({ email });
      await stripe.customers.del(gone.id);
      assert.deepEqual(ids((await stripe.customers.search({ query: `email:'${email}'` })).data), [test.id]);
      assert.deepEqual(ids((await server.live.customers.search({ query: `email:'${email}'` })).data), [live.id]);
    });

    test('errors: malformed queries and unsupported fields are 400s on `query`', async () => {
      await fails(stripe.customers.search({ query: `email:'unterminated` }), { status: 400, param: 'query', message: /closing '/ });
      await fails(stripe.customers.search({ query: `email:'a' AND name:'b' OR phone:'c'` }), { status: 400, param: 'query', message: /AND and OR cannot be combined/ });
      await fails(stripe.subscriptions.search({ query: `email:'a@b.c'` }), { status: 400, param: 'query', message: /not a field you can search subscriptions by/ });
      await fails(stripe.customers.search({ query: `created>'soon'` }), { status: 400, param: 'query', message: /not an integer/ });
      await fails(stripe.customers.search({ query: `email~'ab'` }), { status: 400, param: 'query', message: /at least 3 characters/ });
      await fails(stripe.customers.search({ query: '' }), { status: 400, param: 'query' });
      await fails(stripe.customers.search({} as any), { status: 400, param: 'query', code: 'parameter_missing' });
      await fails(stripe.customers.search({ query: `email:'a'`, limit: 101 }), { status: 400, param: 'limit' });
      await fails(stripe.customers.search({ query: `email:'a'`, bogus: 1 } as any), { status: 400, param: 'bogus' });
      await fails(stripe.customers.search({ query: `email~'example'`, expand: ['data.nope'] }), { status: 400, param: 'expand' });
      // `search` is a route, not a customer id; a real id still retrieves.
      const c = await stripe.customers.create();
      assert.equal((await stripe.customers.retrieve(c.id)).id, c.id);
    });
  });
}
