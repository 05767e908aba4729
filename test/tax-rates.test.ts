/** `/v1/tax_rates` through the official SDK: create, retrieve, update, list, validation and events. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

for (const db of storageCases()) {
  describe(`tax rates on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    async function eventsFor(id: string, type: string): Promise<any[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as any).filter((e) => e.data.object.id === id && e.type === type);
    }

    test('create with every field, retrieve, and the created event', async () => {
      const t = await stripe.taxRates.create({
        display_name: 'VAT',
        percentage: 20.125,
        inclusive: true,
        active: true,
        country: 'fr',
        state: 'IDF',
        jurisdiction: 'FR',
        description: 'French VAT',
        tax_type: 'vat',
        metadata: { k: 'v' },
      });
      assert.match(t.id, /^txr_/);
      assert.equal(t.object, 'tax_rate');
      assert.equal(t.percentage, 20.125);
      assert.equal(t.effective_percentage, 20.125);
      assert.equal(t.inclusive, true);
      assert.equal(t.country, 'FR');
      assert.equal(t.tax_type, 'vat');
      assert.equal(t.rate_type, 'percentage');
      assert.equal(t.created, server.clock.now());
      const { lastResponse: _a, ...got } = await stripe.taxRates.retrieve(t.id);
      const { lastResponse: _b, ...made } = t;
      assert.deepEqual(got, made);
      assert.equal((await eventsFor(t.id, 'tax_rate.created')).length, 1);
    });

    test('update changes descriptive fields only, with tax_rate.updated', async () => {
      const t = await stripe.taxRates.create({ display_name: 'Sales tax', percentage: 8.25, inclusive: false });
      const u = await stripe.taxRates.update(t.id, { active: false, display_name: 'Old sales tax', metadata: { a: '1' } });
      assert.equal(u.active, false);
      assert.equal(u.display_name, 'Old sales tax');
      const [event] = await eventsFor(t.id, 'tax_rate.updated');
      assert.deepEqual(event.data.previous_attributes, { active: true, display_name: 'Sales tax', metadata: { a: null } });
      await assert.rejects(stripe.taxRates.update(t.id, { percentage: 5 } as any), { statusCode: 400, param: 'percentage' });
      await assert.rejects(stripe.taxRates.update(t.id, { inclusive: true } as any), { statusCode: 400, param: 'inclusive' });
    });

    test('list filters by active and inclusive', async () => {
      const inc = await stripe.taxRates.create({ display_name: 'Inc', percentage: 10, inclusive: true });
      const off = await stripe.taxRates.create({ display_name: 'Off', percentage: 10, inclusive: false, active: false });
      const active = await stripe.taxRates.list({ active: true, limit: 100 });
      assert.ok(active.data.some((t) => t.id === inc.id));
      assert.ok(!active.data.some((t) => t.id === off.id));
      const inclusive = await stripe.taxRates.list({ inclusive: true, limit: 100 });
      assert.ok(inclusive.data.every((t) => t.inclusive));
      assert.equal(inclusive.url, '/v1/tax_rates');
    });

    test('validation errors name their param', async () => {
      await assert.rejects(stripe.taxRates.create({ percentage: 5, inclusive: false } as any), { statusCode: 400, param: 'display_name' });
      await assert.rejects(stripe.taxRates.create({ display_name: 'x', inclusive: false } as any), { statusCode: 400, param: 'percentage' });
      await assert.rejects(stripe.taxRates.create({ display_name: 'x', percentage: 5 } as any), { statusCode: 400, param: 'inclusive' });
      await assert.rejects(stripe.taxRates.create({ display_name: 'x'.repeat(51), percentage: 5, inclusive: false }), { statusCode: 400, param: 'display_name' });
      await assert.rejects(stripe.taxRates.create({ display_name: 'x', percentage: 100.5, inclusive: false }), { statusCode: 400, param: 'percentage' });
      await assert.rejects(stripe.taxRates.create({ display_name: 'x', percentage: 1.23456, inclusive: false }), { statusCode: 400, param: 'percentage' });
      await assert.rejects(stripe.taxRates.create({ display_name: 'x', percentage: -1, inclusive: false }), { statusCode: 400, param: 'percentage' });
      await assert.rejects(stripe.taxRates.create({ display_name: 'x', percentage: 5, inclusive: false, tax_type: 'nope' as any }), { statusCode: 400, param: 'tax_type' });
      await assert.rejects(stripe.taxRates.create({ display_name: 'x', percentage: 5, inclusive: false, country: 'FRA' }), { statusCode: 400, param: 'country' });
      await assert.rejects(stripe.taxRates.retrieve('txr_missing'), { statusCode: 404, code: 'resource_missing' });
      const raw = await rawRequest(server, 'POST', '/v1/tax_rates', 'display_name=x&percentage=abc&inclusive=false');
      assert.equal(raw.status, 400);
      assert.equal(raw.json.error.param, 'percentage');
    });
  });
}
