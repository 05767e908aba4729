/** `/v1/prices` through the official SDK: every operation, validation, lookup keys, lists, expand, events. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { objectEvents, useTestServer } from './support/suite.ts';

/** The SDK sends and returns `*_decimal` fields as its own Decimal type (a string on the wire). */
const dec = (s: string) => Stripe.Decimal.from(s);
const PRICE_KEYS = [
  'active', 'billing_scheme', 'created', 'currency', 'custom_unit_amount', 'id', 'livemode', 'lookup_key', 'metadata',
  'nickname', 'object', 'product', 'recurring', 'tax_behavior', 'tiers_mode', 'transform_quantity', 'type',
  'unit_amount', 'unit_amount_decimal',
];

for (const db of storageCases()) {
  describe(`prices on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });
    const events = (objectId: string) => objectEvents(server, objectId);

    test('one-time and recurring prices have exactly the SDK fields', async () => {
      const product = await stripe.products.create({ name: 'Priced' });
      const once = await stripe.prices.create({ product: product.id, currency: 'USD', unit_amount: 1500 });
      assert.deepEqual(Object.keys(once).sort(), PRICE_KEYS);
      assert.match(once.id, /^price_/);
      assert.equal(once.object, 'price');
      assert.equal(once.active, true);
      assert.equal(once.billing_scheme, 'per_unit');
      assert.equal(once.currency, 'usd');
      assert.equal(once.custom_unit_amount, null);
      assert.equal(once.lookup_key, null);
      assert.equal(once.nickname, null);
      assert.equal(once.product, product.id);
      assert.equal(once.recurring, null);
      assert.equal(once.tax_behavior, 'unspecified');
      assert.equal(once.tiers_mode, null);
      assert.equal(once.transform_quantity, null);
      assert.equal(once.type, 'one_time');
      assert.equal(once.unit_amount, 1500);
      assert.equal(String(once.unit_amount_decimal), '1500');
      assert.deepEqual(await stripe.prices.retrieve(once.id), once);

      const monthly = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount_decimal: dec('12.50'),
        recurring: { interval: 'week', interval_count: 2, trial_period_days: 14 },
        nickname: 'biweekly',
        metadata: { a: '1' },
        tax_behavior: 'inclusive',
      });
      assert.equal(monthly.type, 'recurring');
      assert.deepEqual(monthly.recurring, {
        interval: 'week',
        interval_count: 2,
        meter: null,
        trial_period_days: 14,
        usage_type: 'licensed',
      });
      assert.equal(monthly.unit_amount, null);
      assert.equal(String(monthly.unit_amount_decimal), '12.5');
      const whole = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount_decimal: dec('700.000') });
      assert.equal(whole.unit_amount, 700);
      assert.equal(String(whole.unit_amount_decimal), '700');
      const free = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 0 });
      assert.equal(free.unit_amount, 0);
    });

    test('product_data creates the product; product and product_data are exclusive', async () => {
      const price = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 100,
        product_data: { name: 'Inline', id: 'prod_inline', metadata: { k: 'v' }, unit_label: 'unit' },
        expand: ['product'],
      });
      const product = price.product as Stripe.Product;
      assert.equal(product.id, 'prod_inline');
      assert.equal(product.name, 'Inline');
      assert.deepEqual(product.metadata, { k: 'v' });
      assert.equal(product.unit_label, 'unit');
      assert.equal(product.default_price, null);
      assert.deepEqual((await events('prod_inline')).map((e) => e.type), ['product.created']);
      await fails(
        stripe.prices.create({ currency: 'usd', unit_amount: 1, product_data: { name: 'again', id: 'prod_inline' } }),
        { status: 400, code: 'resource_already_exists', param: 'product_data[id]' },
      );
      await fails(
        stripe.prices.create({ currency: 'usd', unit_amount: 1, product: 'prod_inline', product_data: { name: 'x' } }),
        { status: 400, code: 'parameters_exclusive', param: 'product' },
      );
      await fails(stripe.prices.create({ currency: 'usd', unit_amount: 1 }), {
        status: 400,
        code: 'parameter_missing',
        param: 'product',
      });
      await fails(stripe.prices.create({ currency: 'usd', unit_amount: 1, product_data: { active: true } as any }), {
        status: 400,
        code: 'parameter_missing',
        param: 'product_data[name]',
      });
    });

    test('create validation errors name their param', async () => {
      const product = await stripe.products.create({ name: 'Validation' });
      const base = { product: product.id, currency: 'usd' };
      await fails(stripe.prices.create({ product: product.id, unit_amount: 1 } as any), {
        status: 400,
        code: 'parameter_missing',
        param: 'currency',
      });
      await fails(stripe.prices.create({ ...base, currency: 'zzz', unit_amount: 1 }), { status: 400, param: 'currency' });
      await fails(stripe.prices.create({ product: 'prod_nope', currency: 'usd', unit_amount: 1 }), {
        status: 404,
        code: 'resource_missing',
        param: 'product',
        message: "No such product: 'prod_nope'",
      });
      await fails(stripe.prices.create(base), { status: 400, code: 'parameter_missing', param: 'unit_amount' });
      await fails(stripe.prices.create({ ...base, unit_amount: 1, unit_amount_decimal: dec('1') }), {
        status: 400,
        code: 'parameters_exclusive',
      });
      await fails(stripe.prices.create({ ...base, unit_amount: -1 }), { status: 400, param: 'unit_amount' });
      await fails(stripe.prices.create({ ...base, unit_amount: 1_000_000_000_000 }), { status: 400, param: 'unit_amount' });
      await fails(stripe.prices.create({ ...base, unit_amount_decimal: dec('1000000000000.5') }), {
        status: 400,
        param: 'unit_amount_decimal',
      });
      await fails(stripe.prices.create({ ...base, unit_amount_decimal: dec('1.0000000000001') }), {
        status: 400,
        param: 'unit_amount_decimal',
      });
      await fails(stripe.prices.create({ ...base, unit_amount: 1, recurring: { interval: 'fortnight' as 'day' } }), {
        status: 400,
        param: 'recurring[interval]',
      });
      await fails(stripe.prices.create({ ...base, unit_amount: 1, recurring: { interval_count: 2 } as any }), {
        status: 400,
        code: 'parameter_missing',
        param: 'recurring[interval]',
      });
      for (const [interval, max] of [['day', 1095], ['week', 156], ['month', 36], ['year', 3]] as const) {
        const ok = await stripe.prices.create({ ...base, unit_amount: 1, recurring: { interval, interval_count: max } });
        assert.equal(ok.recurring?.interval_count, max);
        await fails(stripe.prices.create({ ...base, unit_amount: 1, recurring: { interval, interval_count: max + 1 } }), {
          status: 400,
          param: 'recurring[interval_count]',
        });
      }
      await fails(
        stripe.prices.create({ ...base, unit_amount: 1, recurring: { interval: 'month', usage_type: 'metered' } }),
        { status: 400, param: 'recurring[usage_type]', message: /not supported by Portico/ },
      );
      await fails(stripe.prices.create({ ...base, billing_scheme: 'tiered', tiers_mode: 'volume' }), {
        status: 400,
        param: 'tiers',
        code: 'parameter_missing',
      });
      await fails(stripe.prices.create({ ...base, unit_amount: 5, custom_unit_amount: { enabled: true } }), {
        status: 400,
        param: 'unit_amount',
        code: 'parameters_exclusive',
      });
      await fails(stripe.prices.create({ ...base, unit_amount: 1, tax_behavior: 'sometimes' as 'inclusive' }), {
        status: 400,
        param: 'tax_behavior',
      });
      await fails(stripe.prices.create({ ...base, unit_amount: 1, lookup_key: 'k'.repeat(201) }), {
        status: 400,
        param: 'lookup_key',
      });
    });

    test('update: mutable fields, immutable ones are unknown params, tax_behavior only from unspecified', async () => {
      const product = await stripe.products.create({ name: 'Updates' });
      const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500, metadata: { a: '1' } });
      const updated = await stripe.prices.update(price.id, {
        nickname: 'Five',
        metadata: { a: '', b: '2' },
        tax_behavior: 'exclusive',
        active: false,
      });
      assert.equal(updated.nickname, 'Five');
      assert.deepEqual(updated.metadata, { b: '2' });
      assert.equal(updated.tax_behavior, 'exclusive');
      assert.equal(updated.active, false);
      assert.equal(updated.unit_amount, 500);
      const evs = await events(price.id);
      assert.deepEqual(evs.map((e) => e.type), ['price.created', 'price.updated']);
      assert.deepEqual(evs[1]!.data.previous_attributes, {
        active: true,
        metadata: { a: '1', b: null },
        nickname: null,
        tax_behavior: 'unspecified',
      });

      await fails(stripe.prices.update(price.id, { tax_behavior: 'inclusive' }), { status: 400, param: 'tax_behavior' });
      assert.equal((await stripe.prices.update(price.id, { tax_behavior: 'exclusive' })).tax_behavior, 'exclusive');
      for (const field of ['unit_amount', 'currency', 'recurring', 'product', 'unit_amount_decimal']) {
        const value = field === 'recurring' ? { interval: 'month' } : field === 'unit_amount' ? 1 : 'usd';
        await fails(stripe.prices.update(price.id, { [field]: value } as any), {
          status: 400,
          code: 'parameter_unknown',
          param: field === 'recurring' ? 'recurring' : field,
        });
      }
      await fails(stripe.prices.update('price_nope', { nickname: 'x' }), { status: 404, code: 'resource_missing', param: 'id' });
      // No update, no event.
      await stripe.prices.update(price.id, { nickname: 'Five' });
      assert.equal((await events(price.id)).length, 2);
    });

    test('lookup keys are unique per mode; transfer_lookup_key moves one', async () => {
      const product = await stripe.products.create({ name: 'Lookup' });
      const base = { product: product.id, currency: 'usd', unit_amount: 100 };
      const first = await stripe.prices.create({ ...base, lookup_key: 'standard' });
      assert.equal(first.lookup_key, 'standard');
      await fails(stripe.prices.create({ ...base, lookup_key: 'standard' }), {
        status: 400,
        code: 'resource_already_exists',
        param: 'lookup_key',
        message: `A price (\`${first.id}\`) already uses that lookup key.`,
      });
      // An archived holder still holds its key.
      await stripe.prices.update(first.id, { active: false });
      await fails(stripe.prices.create({ ...base, lookup_key: 'standard' }), { status: 400, code: 'resource_already_exists' });

      const second = await stripe.prices.create({ ...base, lookup_key: 'standard', transfer_lookup_key: true });
      assert.equal(second.lookup_key, 'standard');
      assert.equal((await stripe.prices.retrieve(first.id)).lookup_key, null);
      const firstEvents = await events(first.id);
      assert.deepEqual(firstEvents.at(-1)!.data.previous_attributes, { lookup_key: 'standard' });

      const third = await stripe.prices.create(base);
      await fails(stripe.prices.update(third.id, { lookup_key: 'standard' }), {
        status: 400,
        code: 'resource_already_exists',
        param: 'lookup_key',
      });
      const moved = await stripe.prices.update(third.id, { lookup_key: 'standard', transfer_lookup_key: true });
      assert.equal(moved.lookup_key, 'standard');
      assert.equal((await stripe.prices.retrieve(second.id)).lookup_key, null);
      assert.deepEqual((await stripe.prices.list({ lookup_keys: ['standard'] })).data.map((p) => p.id), [third.id]);

      // Another mode has its own keys.
      const liveProduct = await server.live.products.create({ name: 'Live lookup' });
      const live = await server.live.prices.create({ product: liveProduct.id, currency: 'usd', unit_amount: 1, lookup_key: 'standard' });
      assert.equal(live.lookup_key, 'standard');

      // Concurrent claims of one fresh key: one wins, the others get a 400 (never a 500).
      const results = await Promise.allSettled(
        [1, 2, 3].map(() => stripe.prices.create({ ...base, lookup_key: 'contested' })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as any).statusCode, 400);
      await fails(stripe.prices.list({ lookup_keys: Array.from({ length: 11 }, (_, i) => `k${i}`) }), {
        status: 400,
        param: 'lookup_keys',
      });
    });

    test('list filters, pagination and expand', async () => {
      const live = server.live;
      const p1 = await live.products.create({ name: 'List one' });
      const p2 = await live.products.create({ name: 'List two' });
      const a = await live.prices.create({ product: p1.id, currency: 'usd', unit_amount: 1 });
      const b = await live.prices.create({ product: p1.id, currency: 'eur', unit_amount: 2, recurring: { interval: 'month' } });
      const c = await live.prices.create({ product: p2.id, currency: 'usd', unit_amount: 3, recurring: { interval: 'year' } });
      const d = await live.prices.create({ product: p2.id, currency: 'usd', unit_amount: 4, active: false, lookup_key: 'live_d' });
      const ids = async (params: Stripe.PriceListParams) => (await live.prices.list({ limit: 100, ...params })).data.map((p) => p.id);
      const mine = (list: string[]) => list.filter((id) => [a.id, b.id, c.id, d.id].includes(id));
      assert.deepEqual(mine(await ids({})), [d.id, c.id, b.id, a.id]);
      assert.deepEqual(mine(await ids({ active: true })), [c.id, b.id, a.id]);
      assert.deepEqual(mine(await ids({ active: false })), [d.id]);
      assert.deepEqual(await ids({ product: p1.id }), [b.id, a.id]);
      assert.deepEqual(mine(await ids({ currency: 'EUR' })), [b.id]);
      assert.deepEqual(await ids({ product: p2.id, type: 'recurring' }), [c.id]);
      assert.deepEqual(await ids({ product: p1.id, type: 'one_time' }), [a.id]);
      assert.deepEqual(mine(await ids({ recurring: { interval: 'month' } })), [b.id]);
      assert.deepEqual(mine(await ids({ recurring: { usage_type: 'licensed' } })), [c.id, b.id]);
      assert.deepEqual(await ids({ lookup_keys: ['live_d', 'nothing'] }), [d.id]);
      assert.deepEqual(mine(await ids({ created: { lt: a.created } })), []);
      await fails(live.prices.list({ type: 'sometimes' as 'one_time' }), { status: 400, param: 'type' });

      const page = await live.prices.list({ product: p2.id, limit: 1 });
      assert.equal(page.has_more, true);
      assert.equal(page.url, '/v1/prices');
      const next = await live.prices.list({ product: p2.id, limit: 1, starting_after: page.data[0]!.id });
      assert.deepEqual(next.data.map((p) => p.id), [c.id]);
      const back = await live.prices.list({ product: p2.id, limit: 1, ending_before: c.id });
      assert.deepEqual(back.data.map((p) => p.id), [d.id]);

      const expanded = await live.prices.retrieve(a.id, { expand: ['product'] });
      assert.equal((expanded.product as Stripe.Product).name, 'List one');
      const list = await live.prices.list({ product: p2.id, expand: ['data.product'] });
      assert.ok(list.data.every((p) => (p.product as Stripe.Product).id === p2.id));
      await fails(live.prices.retrieve(a.id, { expand: ['currency'] }), { status: 400, param: 'expand' });
      const withDefault = await live.products.update(p1.id, { default_price: a.id, expand: ['default_price'] });
      assert.equal((withDefault.default_price as Stripe.Price).unit_amount, 1);
      const products = await live.products.list({ ids: [p1.id], expand: ['data.default_price'] });
      assert.equal((products.data[0]!.default_price as Stripe.Price).id, a.id);
    });

    test('malformed input is always a 4xx', async () => {
      const product = await stripe.products.create({ name: 'Raw' });
      const bodies = [
        `product=${product.id}&currency=usd&unit_amount=12x`,
        `product=${product.id}&currency=usd&unit_amount=1&recurring=month`,
        `product=${product.id}&currency[a]=usd&unit_amount=1`,
        `product[0]=${product.id}&currency=usd&unit_amount=1`,
        `product=${product.id}&currency=usd&unit_amount_decimal=1e5`,
        `product=${product.id}&currency=usd&unit_amount=1&recurring[interval]=month&recurring[interval_count]=0`,
        `product=${product.id}&currency=usd&unit_amount=1&recurring[interval]=month&recurring[meter]=m`,
        `product=${product.id}&currency=usd&unit_amount=1&currency_options[eur]=1`,
        `product=${product.id}&currency=usd&unit_amount=1&currency_options[xyz][unit_amount]=1`,
        `product=${product.id}&currency=usd&unit_amount=1&currency_options[eur][tiers][0][up_to]=inf`,
        `product=${product.id}&currency=usd&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=5&tiers[0][unit_amount]=1`,
        `product=${product.id}&currency=usd&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=x&tiers[0][unit_amount]=1`,
        `product=${product.id}&currency=usd&unit_amount=1&transform_quantity[divide_by]=2`,
        `product=${product.id}&currency=usd&unit_amount=1&metadata=x`,
      ];
      for (const body of bodies) {
        const res = await rawRequest(server, 'POST', '/v1/prices', body);
        assert.equal(res.status, 400, `${body}: ${JSON.stringify(res.json)}`);
        assert.equal(res.json.error.type, 'invalid_request_error');
      }
      const productBodies = [
        'name=x&package_dimensions[height]=-1&package_dimensions[length]=1&package_dimensions[weight]=1&package_dimensions[width]=1',
        'name=x&images=notalist',
        'name=x&marketing_features[0][title]=y',
        'name=x&tax_code=general',
        'name=x&tax_details[performance_location]=loc_1',
        'name=x&default_price_data[currency]=usd&default_price_data[unit_amount]=1&default_price_data[custom_unit_amount][enabled]=true',
        'name[x]=y',
      ];
      for (const body of productBodies) {
        const res = await rawRequest(server, 'POST', '/v1/products', body);
        assert.equal(res.status, 400, `${body}: ${JSON.stringify(res.json)}`);
      }
      assert.equal((await rawRequest(server, 'GET', '/v1/products?shippable=maybe')).status, 400);
      assert.equal((await rawRequest(server, 'GET', '/v1/prices?recurring=month')).status, 400);
      assert.equal((await rawRequest(server, 'GET', '/v1/prices?starting_after=price_nope')).status, 404);
      assert.equal((await rawRequest(server, 'DELETE', `/v1/prices/${product.id}`)).status, 404);
    });
  });
}
