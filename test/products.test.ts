/** `/v1/products` through the official SDK: every operation, validation, delete rules, events. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { ManualClock } from '../src/lib/clock.ts';
import { fails } from './support/assertions.ts';
import { type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { objectEvents, useTestServer } from './support/suite.ts';

/** The SDK sends and returns `*_decimal` fields as its own Decimal type (a string on the wire). */
const dec = (s: string) => Stripe.Decimal.from(s);
const PRODUCT_KEYS = [
  'active', 'created', 'default_price', 'description', 'id', 'images', 'livemode', 'marketing_features', 'metadata',
  'name', 'object', 'package_dimensions', 'shippable', 'statement_descriptor', 'tax_code', 'tax_details', 'type',
  'unit_label', 'updated', 'url',
];

for (const db of storageCases()) {
  describe(`products on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });
    const events = (objectId: string) => objectEvents(server, objectId);

    test('create with defaults has exactly the SDK fields', async () => {
      const product = await stripe.products.create({ name: 'Basic' });
      assert.deepEqual(Object.keys(product).sort(), PRODUCT_KEYS);
      assert.match(product.id, /^prod_/);
      assert.equal(product.object, 'product');
      assert.equal(product.active, true);
      assert.equal(product.type, 'service');
      assert.equal(product.default_price, null);
      assert.equal(product.shippable, null);
      assert.equal(product.package_dimensions, null);
      assert.equal(product.tax_details, null);
      assert.deepEqual(product.images, []);
      assert.deepEqual(product.marketing_features, []);
      assert.deepEqual(product.metadata, {});
      assert.equal(product.livemode, false);
      assert.equal(product.updated, product.created);
      assert.deepEqual(await stripe.products.retrieve(product.id), product);
    });

    test('create with every field, then update and unset them', async () => {
      const product = await stripe.products.create({
        id: 'prod_custom_gold',
        name: 'Gold',
        active: false,
        description: 'The gold plan',
        images: ['https://example.com/a.png'],
        marketing_features: [{ name: 'Fast' }, { name: 'Cheap' }],
        metadata: { tier: 'gold' },
        package_dimensions: { height: 1.5, length: 2, weight: 3.25, width: 4 },
        shippable: true,
        statement_descriptor: 'PORTICO GOLD',
        tax_code: 'txcd_10000000',
        unit_label: 'seat',
        url: 'https://example.com/gold',
      });
      assert.equal(product.id, 'prod_custom_gold');
      assert.equal(product.active, false);
      assert.deepEqual(product.marketing_features, [{ name: 'Fast' }, { name: 'Cheap' }]);
      assert.deepEqual(product.package_dimensions, { height: 1.5, length: 2, weight: 3.25, width: 4 });
      assert.equal(product.statement_descriptor, 'PORTICO GOLD');
      assert.equal(product.tax_code, 'txcd_10000000');
      assert.equal(product.unit_label, 'seat');

      assert.ok(server.clock instanceof ManualClock);
      server.clock.advance(60); // so that `updated` moves
      const updated = await stripe.products.update(product.id, {
        active: true,
        description: '',
        images: '',
        marketing_features: '',
        metadata: { tier: '', extra: 'x' },
        package_dimensions: '',
        unit_label: '',
        url: '',
        tax_code: '',
        name: 'Gold 2',
      });
      assert.equal(updated.active, true);
      assert.equal(updated.description, null);
      assert.deepEqual(updated.images, []);
      assert.deepEqual(updated.marketing_features, []);
      assert.deepEqual(updated.metadata, { extra: 'x' });
      assert.equal(updated.package_dimensions, null);
      assert.equal(updated.unit_label, null);
      assert.equal(updated.url, null);
      assert.equal(updated.tax_code, null);
      assert.equal(updated.name, 'Gold 2');
      assert.equal(updated.updated, product.updated + 60);
      assert.equal(updated.created, product.created);

      const evs = await events(product.id);
      assert.deepEqual(evs.map((e) => e.type), ['product.created', 'product.updated']);
      const prev = evs[1]!.data.previous_attributes;
      assert.equal(prev.active, false);
      assert.equal(prev.name, 'Gold');
      assert.equal(prev.updated, product.updated);
      assert.deepEqual(prev.metadata, { tier: 'gold', extra: null });
    });

    test('validation errors name their param', async () => {
      await fails(stripe.products.create({} as any), { status: 400, code: 'parameter_missing', param: 'name' });
      await fails(stripe.products.create({ name: '' }), { status: 400, code: 'parameter_invalid_empty', param: 'name' });
      await fails(stripe.products.create({ name: 'x', images: Array(9).fill('https://e.com/i.png') }), {
        status: 400,
        param: 'images',
      });
      await fails(
        stripe.products.create({ name: 'x', marketing_features: Array.from({ length: 16 }, () => ({ name: 'f' })) }),
        { status: 400, param: 'marketing_features' },
      );
      await fails(stripe.products.create({ name: 'x', statement_descriptor: 'X'.repeat(23) }), {
        status: 400,
        param: 'statement_descriptor',
      });
      await fails(stripe.products.create({ name: 'x', statement_descriptor: '12345' }), {
        status: 400,
        param: 'statement_descriptor',
      });
      await fails(stripe.products.create({ name: 'x', statement_descriptor: 'AB<C' }), {
        status: 400,
        param: 'statement_descriptor',
      });
      await fails(
        stripe.products.create({ name: 'x', package_dimensions: { height: 1.555, length: 1, weight: 1, width: 1 } }),
        { status: 400, param: 'package_dimensions[height]' },
      );
      await fails(stripe.products.create({ name: 'x', package_dimensions: { height: 1 } as any }), {
        status: 400,
        code: 'parameter_missing',
        param: 'package_dimensions[length]',
      });
      await fails(stripe.products.create({ name: 'x', type: 'good', unit_label: 'kg' }), {
        status: 400,
        param: 'unit_label',
      });
      await fails(stripe.products.update('prod_missing', { name: 'y' }), {
        status: 404,
        code: 'resource_missing',
        param: 'id',
        message: "No such product: 'prod_missing'",
      });
      await fails(stripe.products.update((await stripe.products.create({ name: 'z' })).id, { type: 'good' } as any), {
        status: 400,
        code: 'parameter_unknown',
        param: 'type',
      });
    });

    test('a duplicate custom id is resource_already_exists', async () => {
      await stripe.products.create({ id: 'prod_dup', name: 'one' });
      await fails(stripe.products.create({ id: 'prod_dup', name: 'two' }), {
        status: 400,
        code: 'resource_already_exists',
        param: 'id',
      });
      // Concurrent creates with one id: exactly one wins, the other gets a 400 (never a 500).
      const results = await Promise.allSettled(
        [1, 2, 3].map((n) => stripe.products.create({ id: 'prod_race', name: `r${n}` })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as any).statusCode, 400);
      }
    });

    test('delete: refused while the product has prices, otherwise a stub and product.deleted', async () => {
      const bare = await stripe.products.create({ name: 'to delete' });
      const deleted = await stripe.products.del(bare.id);
      assert.deepEqual(deleted, { id: bare.id, object: 'product', deleted: true });
      await fails(stripe.products.retrieve(bare.id), { status: 404, code: 'resource_missing' });
      await fails(stripe.products.del(bare.id), { status: 404 });
      assert.deepEqual((await events(bare.id)).map((e) => e.type), ['product.created', 'product.deleted']);
      // Its id stays taken.
      await fails(stripe.products.create({ id: bare.id, name: 'again' }), { status: 400, code: 'resource_already_exists' });

      const priced = await stripe.products.create({ name: 'priced' });
      const price = await stripe.prices.create({ product: priced.id, currency: 'usd', unit_amount: 100 });
      await stripe.prices.update(price.id, { active: false });
      await fails(stripe.products.del(priced.id), {
        status: 400,
        message: 'This product cannot be deleted because it has one or more user-created prices.',
      });
    });

    test('default_price_data creates the default price; default_price must be an active price of the product', async () => {
      const product = await stripe.products.create({
        name: 'With default',
        default_price_data: { currency: 'eur', unit_amount: 990, recurring: { interval: 'month' }, tax_behavior: 'exclusive' },
        expand: ['default_price'],
      });
      const dp = product.default_price as Stripe.Price;
      assert.equal(dp.object, 'price');
      assert.equal(dp.product, product.id);
      assert.equal(dp.currency, 'eur');
      assert.equal(dp.unit_amount, 990);
      assert.equal(dp.tax_behavior, 'exclusive');
      assert.equal(dp.recurring?.interval, 'month');
      const types = [...(await events(product.id)), ...(await events(dp.id))].map((e) => e.type);
      assert.deepEqual(types, ['product.created', 'price.created']);

      await fails(
        stripe.products.create({ name: 'bad', default_price_data: { currency: 'usd' } as any }),
        { status: 400, code: 'parameter_missing', param: 'default_price_data[unit_amount]' },
      );
      await fails(
        stripe.products.create({ name: 'bad', default_price_data: { currency: 'usd', unit_amount: 1, unit_amount_decimal: dec('1') } }),
        { status: 400, code: 'parameters_exclusive', param: 'default_price_data[unit_amount]' },
      );
      await fails(stripe.products.create({ name: 'bad', default_price_data: { currency: 'xxx', unit_amount: 1 } }), {
        status: 400,
        param: 'default_price_data[currency]',
      });

      const second = await stripe.prices.create({ product: product.id, currency: 'eur', unit_amount: 1990 });
      const switched = await stripe.products.update(product.id, { default_price: second.id });
      assert.equal(switched.default_price, second.id);
      const evs = await events(product.id);
      assert.deepEqual(evs.at(-1)!.data.previous_attributes, { default_price: dp.id });

      // The default price cannot be archived; the former default can.
      await fails(stripe.prices.update(second.id, { active: false }), {
        status: 400,
        message: 'This price cannot be archived because it is the default price of its product.',
      });
      const archived = await stripe.prices.update(dp.id, { active: false });
      assert.equal(archived.active, false);
      await fails(stripe.products.update(product.id, { default_price: dp.id }), { status: 400, param: 'default_price' });
      const other = await stripe.prices.create({ product_data: { name: 'other' }, currency: 'eur', unit_amount: 5 });
      await fails(stripe.products.update(product.id, { default_price: other.id }), { status: 400, param: 'default_price' });
      await fails(stripe.products.update(product.id, { default_price: 'price_nope' }), {
        status: 404,
        code: 'resource_missing',
        param: 'default_price',
      });
    });

    test('list filters and pagination', async () => {
      const live = server.live;
      const a = await live.products.create({ name: 'A', shippable: true, url: 'https://a.example' });
      const b = await live.products.create({ name: 'B', active: false, type: 'good' });
      const c = await live.products.create({ name: 'C' });
      assert.deepEqual((await live.products.list()).data.map((p) => p.id), [c.id, b.id, a.id]);
      assert.deepEqual((await live.products.list({ active: false })).data.map((p) => p.id), [b.id]);
      assert.deepEqual((await live.products.list({ active: true })).data.map((p) => p.id), [c.id, a.id]);
      assert.deepEqual((await live.products.list({ shippable: true })).data.map((p) => p.id), [a.id]);
      assert.deepEqual((await live.products.list({ type: 'good' })).data.map((p) => p.id), [b.id]);
      assert.deepEqual((await live.products.list({ url: 'https://a.example' })).data.map((p) => p.id), [a.id]);
      assert.deepEqual((await live.products.list({ ids: [a.id, c.id] })).data.map((p) => p.id), [c.id, a.id]);
      await fails(live.products.list({ ids: [a.id], starting_after: c.id }), { status: 400, param: 'ids' });
      const page1 = await live.products.list({ limit: 2 });
      assert.equal(page1.has_more, true);
      assert.equal(page1.url, '/v1/products');
      const page2 = await live.products.list({ limit: 2, starting_after: page1.data[1]!.id });
      assert.deepEqual(page2.data.map((p) => p.id), [a.id]);
      assert.equal(page2.has_more, false);
      const all: string[] = [];
      for await (const p of live.products.list({ limit: 1 })) all.push(p.id);
      assert.deepEqual(all, [c.id, b.id, a.id]);
      assert.equal((await live.products.list({ created: { gt: a.created } })).data.length, 0);
      assert.equal((await live.products.list({ created: { gte: a.created } })).data.length, 3);
      // Test mode never sees live products.
      assert.ok(!(await stripe.products.list({ limit: 100 })).data.some((p) => p.id === a.id));
      await fails(stripe.prices.create({ product: a.id, currency: 'usd', unit_amount: 1 }), {
        status: 404,
        param: 'product',
      });
    });
  });
}
