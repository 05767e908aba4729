/**
 * Customer tax IDs through the official SDK against a real server, on every database: create (formats,
 * normalisation, verification), retrieve, list, delete, `tax_id_data` on customer creation,
 * `expand[]=tax_ids` on a customer, the 25-per-customer limit, mode isolation and the events written.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

for (const db of storageCases()) {
  describe(`customer tax IDs on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    /** The events about one object, oldest first. */
    async function eventsFor(id: string) {
      const rows = await server.portico.storage.db
        .selectFrom('events')
        .selectAll()
        .where('type', 'like', 'customer.tax_id.%')
        .orderBy('seq', 'asc')
        .execute();
      return rows.map((r) => r.data).filter((e) => e.data.object.id === id);
    }

    /** Asserts a request fails with this status and (partial) Stripe error. */
    async function rejects(
      p: Promise<unknown>,
      status: number,
      expected: { code?: string; param?: string; message?: RegExp | string },
    ) {
      await assert.rejects(p, (e: any) => {
        assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError, String(e));
        assert.equal(e.statusCode, status);
        if (expected.code !== undefined) assert.equal(e.code, expected.code);
        if (expected.param !== undefined) assert.equal(e.param, expected.param);
        if (typeof expected.message === 'string') assert.equal(e.message, expected.message);
        else if (expected.message) assert.match(e.message, expected.message);
        return true;
      });
    }

    test('creating an EU VAT number: exact object, verification resolved, events', async () => {
      const customer = await stripe.customers.create({ name: 'Acme GmbH' });
      const taxId = await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'de 123 456 789' });
      assert.match(taxId.id, /^txi_[0-9A-Za-z]{24}$/);
      assert.deepEqual(
        { ...taxId, lastResponse: undefined },
        {
          id: taxId.id,
          object: 'tax_id',
          country: 'DE',
          created: server.clock.now(),
          customer: customer.id,
          customer_account: null,
          livemode: false,
          owner: { type: 'customer', customer: customer.id, customer_account: null },
          type: 'eu_vat',
          value: 'DE123456789',
          verification: { status: 'verified', verified_address: null, verified_name: null },
          lastResponse: undefined,
        },
      );
      const events = await eventsFor(taxId.id);
      assert.deepEqual(
        events.map((e) => e.type),
        ['customer.tax_id.created', 'customer.tax_id.updated'],
      );
      assert.equal(events[0].data.object.verification.status, 'pending');
      assert.equal(events[1].data.object.verification.status, 'verified');
      assert.deepEqual(events[1].data.previous_attributes, { verification: { status: 'pending' } });
      assert.equal(events[0].livemode, false);
    });

    test('verification: test values, unverifiable types, Greek and Northern Irish prefixes', async () => {
      const customer = await stripe.customers.create();
      const failed = await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'DE111111111' });
      assert.equal(failed.verification?.status, 'unverified');
      const ok = await stripe.customers.createTaxId(customer.id, { type: 'gb_vat', value: 'GB000000000' });
      assert.equal(ok.verification?.status, 'verified');
      const abn = await stripe.customers.createTaxId(customer.id, { type: 'au_abn', value: '51 824 753 556' });
      assert.deepEqual([abn.value, abn.country, abn.verification?.status], ['51824753556', 'AU', 'verified']);
      const swiss = await stripe.customers.createTaxId(customer.id, { type: 'ch_vat', value: 'CHE-123.456.789 MWST' });
      assert.deepEqual(
        [swiss.value, swiss.country, swiss.verification?.status],
        ['CHE-123.456.789MWST', 'CH', 'verified'],
      );

      const ein = await stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '12-3456789' });
      assert.deepEqual(ein.verification, { status: 'unavailable', verified_address: null, verified_name: null });
      assert.equal(ein.country, 'US');
      assert.deepEqual((await eventsFor(ein.id)).map((e) => e.type), ['customer.tax_id.created']);
      assert.equal((await eventsFor(ein.id))[0].data.object.verification.status, 'unavailable');

      const greek = await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'EL123456789' });
      assert.equal(greek.country, 'GR');
      const ni = await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'XI123456789' });
      assert.equal(ni.country, 'GB');
      const generic = await stripe.customers.createTaxId(customer.id, { type: 'nz_gst', value: '123-456-789' });
      assert.deepEqual([generic.country, generic.verification?.status], ['NZ', 'unavailable']);
    });

    test('bad input is a Stripe-style 400', async () => {
      const customer = await stripe.customers.create();
      await rejects(stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'DE12345' }), 400, {
        code: 'tax_id_invalid',
        param: 'value',
        message: 'Invalid value for eu_vat.',
      });
      await rejects(stripe.customers.createTaxId(customer.id, { type: 'au_abn', value: '12345678912' }), 400, {
        code: 'tax_id_invalid',
        message: 'Invalid value for au_abn.',
      });
      await rejects(stripe.customers.createTaxId(customer.id, { type: 'br_cpf', value: '123.456.789-87' }), 400, {
        code: 'tax_id_invalid',
      });
      await rejects(stripe.customers.createTaxId(customer.id, { type: 'xx_tin', value: '123' } as any), 400, {
        param: 'type',
        message: /^Invalid type: must be one of ad_nrt, /,
      });
      await rejects(stripe.customers.createTaxId(customer.id, { type: 'unknown', value: '123' } as any), 400, {
        param: 'type',
      });
      await rejects(stripe.customers.createTaxId(customer.id, { type: 'eu_vat' } as any), 400, {
        code: 'parameter_missing',
        param: 'value',
      });
      await rejects(stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: '' }), 400, {
        code: 'parameter_invalid_empty',
        param: 'value',
      });
      const extra = { type: 'eu_vat', value: 'DE123456789', color: 'red' } as any;
      await rejects(stripe.customers.createTaxId(customer.id, extra), 400, {
        code: 'parameter_unknown',
        param: 'color',
      });
      const path = `/v1/customers/${customer.id}/tax_ids`;
      const weird = await rawRequest(server, 'POST', path, 'type[x]=eu_vat&value[]=1');
      assert.equal(weird.status, 400);
      assert.equal(weird.json.error.type, 'invalid_request_error');
      assert.equal((await stripe.customers.listTaxIds(customer.id)).data.length, 0);
    });

    test('unknown and deleted customers are a 404 naming customer', async () => {
      await rejects(stripe.customers.createTaxId('cus_missing', { type: 'us_ein', value: '12-3456789' }), 404, {
        code: 'resource_missing',
        param: 'customer',
        message: "No such customer: 'cus_missing'",
      });
      const customer = await stripe.customers.create();
      const taxId = await stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '12-3456789' });
      await stripe.customers.del(customer.id);
      for (const call of [
        () => stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '12-3456789' }),
        () => stripe.customers.retrieveTaxId(customer.id, taxId.id),
        () => stripe.customers.listTaxIds(customer.id),
        () => stripe.customers.deleteTaxId(customer.id, taxId.id),
      ]) {
        await rejects(call(), 404, { code: 'resource_missing', param: 'customer' });
      }
    });

    test('retrieve, with expand, and never through another customer', async () => {
      const alice = await stripe.customers.create({ name: 'Alice' });
      const bob = await stripe.customers.create({ name: 'Bob' });
      const taxId = await stripe.customers.createTaxId(alice.id, { type: 'jp_trn', value: 'T1234567891234' });
      const got = await stripe.customers.retrieveTaxId(alice.id, taxId.id);
      assert.deepEqual({ ...got, lastResponse: undefined }, { ...taxId, lastResponse: undefined });

      const expanded = await stripe.customers.retrieveTaxId(alice.id, taxId.id, {
        expand: ['customer', 'owner.customer'],
      });
      assert.equal((expanded.customer as Stripe.Customer).name, 'Alice');
      assert.equal((expanded.owner?.customer as Stripe.Customer).id, alice.id);
      await rejects(stripe.customers.retrieveTaxId(alice.id, taxId.id, { expand: ['value'] }), 400, {
        param: 'expand',
      });

      await rejects(stripe.customers.retrieveTaxId(bob.id, taxId.id), 404, { code: 'resource_missing', param: 'id' });
      await rejects(stripe.customers.deleteTaxId(bob.id, taxId.id), 404, { code: 'resource_missing', param: 'id' });
      await rejects(stripe.customers.retrieveTaxId(alice.id, 'txi_missing'), 404, {
        code: 'resource_missing',
        param: 'id',
      });
      // Still there after the failed delete through Bob.
      assert.equal((await stripe.customers.retrieveTaxId(alice.id, taxId.id)).id, taxId.id);
    });

    test('list: newest first, paginated, only this customer', async () => {
      const customer = await stripe.customers.create();
      const other = await stripe.customers.create();
      await stripe.customers.createTaxId(other.id, { type: 'us_ein', value: '98-7654321' });
      const ids: string[] = [];
      for (const value of ['11-1111111', '22-2222222', '33-3333333']) {
        ids.push((await stripe.customers.createTaxId(customer.id, { type: 'us_ein', value })).id);
      }
      const first = await stripe.customers.listTaxIds(customer.id, { limit: 2 });
      assert.equal(first.object, 'list');
      assert.equal(first.url, `/v1/customers/${customer.id}/tax_ids`);
      assert.deepEqual(first.data.map((t) => t.id), [ids[2], ids[1]]);
      assert.equal(first.has_more, true);
      const second = await stripe.customers.listTaxIds(customer.id, { limit: 2, starting_after: ids[1] });
      assert.deepEqual(second.data.map((t) => t.id), [ids[0]]);
      assert.equal(second.has_more, false);
      const back = await stripe.customers.listTaxIds(customer.id, { ending_before: ids[0] });
      assert.deepEqual(back.data.map((t) => t.id), [ids[2], ids[1]]);
      const all: string[] = [];
      for await (const t of stripe.customers.listTaxIds(customer.id, { limit: 1 })) all.push(t.id);
      assert.deepEqual(all, [...ids].reverse());
      await rejects(stripe.customers.listTaxIds(customer.id, { limit: 0 }), 400, { param: 'limit' });
    });

    test('delete: a deleted stub, then gone, with an event', async () => {
      const customer = await stripe.customers.create();
      const taxId = await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'FRAB123456789' });
      const deleted = await stripe.customers.deleteTaxId(customer.id, taxId.id);
      assert.deepEqual(
        { ...deleted, lastResponse: undefined },
        { id: taxId.id, object: 'tax_id', deleted: true, lastResponse: undefined },
      );
      await rejects(stripe.customers.retrieveTaxId(customer.id, taxId.id), 404, { code: 'resource_missing' });
      await rejects(stripe.customers.deleteTaxId(customer.id, taxId.id), 404, { code: 'resource_missing' });
      assert.equal((await stripe.customers.listTaxIds(customer.id)).data.length, 0);
      const events = await eventsFor(taxId.id);
      assert.deepEqual(
        events.map((e) => e.type),
        ['customer.tax_id.created', 'customer.tax_id.updated', 'customer.tax_id.deleted'],
      );
      assert.equal(events[2].data.object.value, 'FRAB123456789');
    });

    test('tax_id_data on customer creation, and expand[]=tax_ids', async () => {
      const customer = await stripe.customers.create({
        name: 'Données SARL',
        tax_id_data: [
          { type: 'eu_vat', value: 'FRAB123456789' },
          { type: 'ca_qst', value: '1234567890 TQ 1234' },
        ],
        expand: ['tax_ids'],
      });
      const list = customer.tax_ids!;
      assert.equal(list.object, 'list');
      assert.equal(list.url, `/v1/customers/${customer.id}/tax_ids`);
      assert.equal(list.has_more, false);
      assert.deepEqual(list.data.map((t) => [t.type, t.value, t.country, t.customer]), [
        ['ca_qst', '1234567890TQ1234', 'CA', customer.id],
        ['eu_vat', 'FRAB123456789', 'FR', customer.id],
      ]);

      const plain = await stripe.customers.retrieve(customer.id);
      assert.equal('tax_ids' in plain, false);
      const retrieved = (await stripe.customers.retrieve(customer.id, { expand: ['tax_ids'] })) as Stripe.Customer;
      assert.deepEqual(retrieved.tax_ids!.data.map((t) => t.id), list.data.map((t) => t.id));
      const listed = await stripe.customers.list({ limit: 1, expand: ['data.tax_ids'] });
      assert.deepEqual(listed.data[0]!.tax_ids!.data.map((t) => t.id), list.data.map((t) => t.id));

      const events = await server.portico.storage.db
        .selectFrom('events')
        .select(['type', 'data'])
        .where('type', '=', 'customer.tax_id.created')
        .execute();
      assert.equal(events.filter((e) => e.data.data.object.customer === customer.id).length, 2);
    });

    test('bad tax_id_data is a 400 naming the item, and creates nothing', async () => {
      const before = (await stripe.customers.list({ limit: 100 })).data.length;
      await rejects(
        stripe.customers.create({
          email: 'rollback@example.com',
          tax_id_data: [
            { type: 'us_ein', value: '12-3456789' },
            { type: 'eu_vat', value: 'DE1' },
          ],
        }),
        400,
        { code: 'tax_id_invalid', param: 'tax_id_data[1][value]', message: 'Invalid value for eu_vat.' },
      );
      await rejects(stripe.customers.create({ tax_id_data: [{ type: 'nope', value: '1' }] } as any), 400, {
        param: 'tax_id_data[0][type]',
      });
      await rejects(stripe.customers.create({ tax_id_data: [{ type: 'us_ein' }] } as any), 400, {
        code: 'parameter_missing',
        param: 'tax_id_data[0][value]',
      });
      assert.equal((await stripe.customers.list({ limit: 100 })).data.length, before);
    });

    test('at most 25 tax IDs per customer', async () => {
      const data = Array.from({ length: 25 }, (_, i) => ({
        type: 'us_ein' as const,
        value: `12-${String(i).padStart(7, '0')}`,
      }));
      await rejects(stripe.customers.create({ tax_id_data: [...data, { type: 'us_ein', value: '99-9999999' }] }), 400, {
        param: 'tax_id_data',
      });
      const customer = await stripe.customers.create({ tax_id_data: data, expand: ['tax_ids'] });
      assert.equal(customer.tax_ids!.data.length, 10);
      assert.equal(customer.tax_ids!.has_more, true);
      await rejects(stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '99-9999999' }), 400, {
        message: /at most 25 tax IDs/,
      });
      const first = (await stripe.customers.listTaxIds(customer.id, { limit: 1 })).data[0]!;
      await stripe.customers.deleteTaxId(customer.id, first.id);
      const again = await stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '99-9999999' });
      assert.equal(again.value, '99-9999999');
    });

    test('a live key cannot see test tax IDs; live verification stays pending', async () => {
      const customer = await stripe.customers.create();
      const taxId = await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'NL123456789B01' });
      await rejects(server.live.customers.retrieveTaxId(customer.id, taxId.id), 404, { param: 'customer' });
      await rejects(server.live.customers.listTaxIds(customer.id), 404, { param: 'customer' });
      await rejects(server.live.customers.deleteTaxId(customer.id, taxId.id), 404, { param: 'customer' });

      const liveCustomer = await server.live.customers.create();
      const liveTaxId = await server.live.customers.createTaxId(liveCustomer.id, {
        type: 'eu_vat',
        value: 'NL123456789B01',
      });
      assert.equal(liveTaxId.livemode, true);
      assert.equal(liveTaxId.verification?.status, 'pending');
      await rejects(stripe.customers.retrieveTaxId(liveCustomer.id, liveTaxId.id), 404, { param: 'customer' });
      await rejects(server.live.customers.retrieveTaxId(liveCustomer.id, taxId.id), 404, { param: 'id' });
      const events = await eventsFor(liveTaxId.id);
      assert.deepEqual(events.map((e) => [e.type, e.livemode]), [['customer.tax_id.created', true]]);
    });

    test('idempotent creation replays the same tax ID', async () => {
      const customer = await stripe.customers.create();
      const key = `txi-${customer.id}`;
      const params = { type: 'ca_bn', value: '123456789' } as const;
      const a = await stripe.customers.createTaxId(customer.id, params, { idempotencyKey: key });
      const b = await stripe.customers.createTaxId(customer.id, params, { idempotencyKey: key });
      assert.equal(a.id, b.id);
      assert.equal((await stripe.customers.listTaxIds(customer.id)).data.length, 1);
    });
  });
}
