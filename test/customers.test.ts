/** `/v1/customers` through the official SDK: every operation, its validation and its events. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

async function eventsFor(server: TestServer, id: string): Promise<any[]> {
  const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
  return rows.map((r) => r.data).filter((e) => e.data.object.id === id);
}

for (const db of storageCases()) {
  describe(`customers on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    test('create with every field, then retrieve the same object', async () => {
      const c = await stripe.customers.create({
        email: 'jenny@example.com',
        name: 'Jenny Rosen',
        phone: '+33 1 23 45 67 89',
        description: 'A good customer',
        address: { line1: '1 Rue de Rivoli', city: 'Paris', postal_code: '75001', country: 'fr' },
        shipping: { name: 'Jenny R.', address: { line1: '2 Quai', city: 'Lyon', country: 'FR' }, phone: '+33 4' },
        preferred_locales: ['fr', 'en'],
        invoice_settings: { footer: 'Merci', custom_fields: [{ name: 'PO', value: '42' }] },
        invoice_prefix: 'JENNY1',
        tax_exempt: 'reverse',
        balance: -500,
        metadata: { plan: 'gold' },
      });
      assert.match(c.id, /^cus_[A-Za-z0-9]{24}$/);
      assert.equal(c.object, 'customer');
      assert.equal(c.email, 'jenny@example.com');
      assert.deepEqual(c.address, { line1: '1 Rue de Rivoli', line2: null, city: 'Paris', postal_code: '75001', state: null, country: 'FR' });
      assert.equal(c.shipping?.name, 'Jenny R.');
      assert.equal(c.shipping?.address?.city, 'Lyon');
      assert.deepEqual(c.preferred_locales, ['fr', 'en']);
      assert.equal(c.invoice_settings.footer, 'Merci');
      assert.deepEqual(c.invoice_settings.custom_fields, [{ name: 'PO', value: '42' }]);
      assert.equal(c.invoice_prefix, 'JENNY1');
      assert.equal(c.tax_exempt, 'reverse');
      assert.equal(c.balance, -500);
      assert.equal(c.livemode, false);
      assert.equal(c.created, server.clock.now());
      assert.deepEqual(await stripe.customers.retrieve(c.id).then(({ lastResponse, ...rest }) => rest), (({ lastResponse, ...rest }) => rest)(c));
    });

    test('defaults of a customer created with nothing', async () => {
      const c = await stripe.customers.create();
      assert.equal(c.email, null);
      assert.equal(c.name, null);
      assert.equal(c.address, null);
      assert.equal(c.shipping, null);
      assert.equal(c.balance, 0);
      assert.equal(c.tax_exempt, 'none');
      assert.equal(c.invoice_settings.default_payment_method, null);
      assert.match(c.invoice_prefix ?? '', /^[A-Z0-9]{8}$/);
      assert.equal(c.next_invoice_sequence, 1);
      assert.deepEqual(c.metadata, {});
    });

    test('validation errors name their param', async () => {
      await assert.rejects(stripe.customers.create({ email: 'nope' }), { statusCode: 400, param: 'email' });
      await assert.rejects(stripe.customers.create({ name: 'x'.repeat(257) }), { statusCode: 400, param: 'name' });
      await assert.rejects(stripe.customers.create({ tax_exempt: 'sometimes' as any }), { statusCode: 400, param: 'tax_exempt' });
      await assert.rejects(stripe.customers.create({ invoice_prefix: 'ab' }), { statusCode: 400, param: 'invoice_prefix' });
      await assert.rejects(stripe.customers.create({ preferred_locales: 'fr' as any }), {
        statusCode: 400,
        param: 'preferred_locales',
      });
      await assert.rejects(
        stripe.customers.create({ invoice_settings: { custom_fields: Array(5).fill({ name: 'a', value: 'b' }) } }),
        { statusCode: 400, param: 'invoice_settings[custom_fields]' },
      );
    });

    test('update changes only what is sent and reports previous attributes', async () => {
      const c = await stripe.customers.create({ email: 'up@example.com', address: { city: 'Oslo', country: 'NO' } });
      const u = await stripe.customers.update(c.id, { address: { city: 'Bergen' }, phone: '+47 1' });
      assert.equal(u.address?.city, 'Bergen');
      assert.equal(u.address?.country, null, 'an address param replaces the whole address, as Stripe does');
      assert.equal(u.email, 'up@example.com');
      const unset = await stripe.customers.update(c.id, { address: '', shipping: '' } as any);
      assert.equal(unset.address, null);
      const events = await eventsFor(server, c.id);
      assert.deepEqual(events.map((e) => e.type), ['customer.created', 'customer.updated', 'customer.updated']);
      assert.deepEqual(events[1].data.previous_attributes, { address: { city: 'Oslo', country: 'NO' }, phone: null });
      // An update that changes nothing writes no event.
      await stripe.customers.update(c.id, { email: 'up@example.com' });
      assert.equal((await eventsFor(server, c.id)).length, 3);
    });

    test('delete leaves a stub; a deleted customer cannot change and is not listed', async () => {
      const c = await stripe.customers.create({ email: 'gone@example.com' });
      const d = await stripe.customers.del(c.id);
      assert.deepEqual({ id: d.id, object: d.object, deleted: d.deleted }, { id: c.id, object: 'customer', deleted: true });
      const stub = await stripe.customers.retrieve(c.id);
      assert.equal((stub as Stripe.DeletedCustomer).deleted, true);
      await assert.rejects(stripe.customers.update(c.id, { name: 'x' }), { statusCode: 404 });
      await assert.rejects(stripe.customers.del(c.id), { statusCode: 404 });
      const list = await stripe.customers.list({ email: 'gone@example.com' });
      assert.equal(list.data.length, 0);
      const events = await eventsFor(server, c.id);
      assert.deepEqual(events.map((e) => e.type), ['customer.created', 'customer.deleted']);
    });

    test('list filters by exact, case-sensitive email', async () => {
      const a = await stripe.customers.create({ email: 'Case@example.com' });
      await stripe.customers.create({ email: 'case@example.com' });
      const found = await stripe.customers.list({ email: 'Case@example.com' });
      assert.deepEqual(found.data.map((c) => c.id), [a.id]);
    });
  });
}
