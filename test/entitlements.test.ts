/**
 * Entitlements through the SDK: features (`/v1/entitlements/features`), product features
 * (`/v1/products/{id}/features`), a customer's active entitlements derived from subscriptions whose
 * status grants access, and `entitlements.active_entitlement_summary.updated` when they change.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import { useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const SUMMARY = 'entitlements.active_entitlement_summary.updated';

for (const db of storageCases()) {
  describe(`entitlements on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    /** The summary events about a customer, oldest first. */
    const summaries = async (customer: string) => {
      const rows = await server.portico.storage.db.selectFrom('events').selectAll().where('type', '=', SUMMARY).orderBy('seq', 'asc').execute();
      return rows.map((r) => r.data as any).filter((e) => e.data.object.customer === customer);
    };
    const customerWith = async (email: string, pm: string) => {
      const customer = await stripe.customers.create({ email });
      const attached = await stripe.paymentMethods.attach(pm, { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
      return customer;
    };
    const keys = (list: { lookup_key: string }[]) => list.map((e) => e.lookup_key).sort();

    test('features: create, retrieve, list by lookup_key and archived, update, archive for good', async () => {
      const feature = await stripe.entitlements.features.create({ name: 'API access', lookup_key: 'api-access', metadata: { tier: 'pro' } });
      assert.match(feature.id, /^feat_/);
      assert.deepEqual(
        { object: feature.object, active: feature.active, livemode: feature.livemode, lookup_key: feature.lookup_key, metadata: feature.metadata, name: feature.name },
        { object: 'entitlements.feature', active: true, livemode: false, lookup_key: 'api-access', metadata: { tier: 'pro' }, name: 'API access' },
      );
      assert.equal((await stripe.entitlements.features.retrieve(feature.id)).name, 'API access');
      await fails(stripe.entitlements.features.create({ name: 'Again', lookup_key: 'api-access' }), { status: 400, param: 'lookup_key' });
      await fails(stripe.entitlements.features.create({ name: 'x'.repeat(81), lookup_key: 'long' }), { status: 400, param: 'name' });
      await fails(stripe.entitlements.features.create({ name: 'No key' } as Stripe.Entitlements.FeatureCreateParams), { status: 400, param: 'lookup_key' });
      const other = await stripe.entitlements.features.create({ name: 'Reports', lookup_key: 'reports' });
      assert.deepEqual((await stripe.entitlements.features.list({ lookup_key: 'api-access' })).data.map((f) => f.id), [feature.id]);

      const renamed = await stripe.entitlements.features.update(feature.id, { name: 'API', metadata: { tier: '', region: 'eu' } });
      assert.equal(renamed.name, 'API');
      assert.deepEqual(renamed.metadata, { region: 'eu' });
      const archived = await stripe.entitlements.features.update(other.id, { active: false });
      assert.equal(archived.active, false);
      const listed = (await stripe.entitlements.features.list({ limit: 100 })).data.map((f) => f.id);
      assert.ok(listed.includes(feature.id) && !listed.includes(other.id), 'archived features are not listed');
      assert.deepEqual((await stripe.entitlements.features.list({ archived: true, limit: 100 })).data.map((f) => f.id).filter((id) => id === other.id), [other.id]);
      await fails(stripe.entitlements.features.update(other.id, { name: 'Back' }), { status: 400, param: 'name' });
      await fails(stripe.entitlements.features.update(other.id, { active: true }), { status: 400, param: 'active' });
      await fails(stripe.entitlements.features.update(other.id, { active: false, name: 'Back' }), { status: 400, param: 'name' });
      assert.equal((await stripe.entitlements.features.update(other.id, { active: false })).active, false);
      // An archived feature frees its lookup key.
      const reused = await stripe.entitlements.features.create({ name: 'Reports v2', lookup_key: 'reports' });
      assert.notEqual(reused.id, other.id);
      await fails(stripe.entitlements.features.retrieve('feat_missing'), { status: 404, code: 'resource_missing' });
    });

    test('product features: attach, list, retrieve, detach; archived and duplicate refused; another product’s not found', async () => {
      const product = await stripe.products.create({ name: 'Pro' });
      const otherProduct = await stripe.products.create({ name: 'Basic' });
      const seats = await stripe.entitlements.features.create({ name: 'Seats', lookup_key: 'pf-seats' });
      const sso = await stripe.entitlements.features.create({ name: 'SSO', lookup_key: 'pf-sso' });
      const attached = await stripe.products.createFeature(product.id, { entitlement_feature: seats.id });
      assert.match(attached.id, /^prodft_/);
      assert.equal(attached.object, 'product_feature');
      assert.equal(attached.livemode, false);
      assert.equal(attached.entitlement_feature.id, seats.id);
      assert.equal(attached.entitlement_feature.lookup_key, 'pf-seats');
      const second = await stripe.products.createFeature(product.id, { entitlement_feature: sso.id });
      await fails(stripe.products.createFeature(product.id, { entitlement_feature: seats.id }), { status: 400, param: 'entitlement_feature' });
      await fails(stripe.products.createFeature(product.id, { entitlement_feature: 'feat_nope' }), { status: 404, param: 'entitlement_feature' });
      await fails(stripe.products.createFeature('prod_nope', { entitlement_feature: seats.id }), { status: 404 });

      const list = await stripe.products.listFeatures(product.id);
      assert.deepEqual(list.data.map((f) => f.id), [second.id, attached.id]);
      // The product feature shows the feature as it is now.
      await stripe.entitlements.features.update(seats.id, { name: 'Seat licences' });
      assert.equal((await stripe.products.retrieveFeature(product.id, attached.id)).entitlement_feature.name, 'Seat licences');
      await fails(stripe.products.retrieveFeature(otherProduct.id, attached.id), { status: 404 });

      const deleted = await stripe.products.deleteFeature(product.id, attached.id);
      assert.deepEqual({ id: deleted.id, object: deleted.object, deleted: deleted.deleted }, { id: attached.id, object: 'product_feature', deleted: true });
      await fails(stripe.products.retrieveFeature(product.id, attached.id), { status: 404 });
      assert.deepEqual((await stripe.products.listFeatures(product.id)).data.map((f) => f.id), [second.id]);
      // Detached, it can be attached again (a new product feature).
      assert.notEqual((await stripe.products.createFeature(product.id, { entitlement_feature: seats.id })).id, attached.id);

      await stripe.entitlements.features.update(sso.id, { active: false });
      await fails(stripe.products.createFeature(otherProduct.id, { entitlement_feature: sso.id }), { status: 400, param: 'entitlement_feature' });
    });

    test('active entitlements follow the subscriptions, with a summary event at each change', async () => {
      const customer = await customerWith('ent@example.com', 'pm_card_visa');
      const basic = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Basic' } });
      const pro = await stripe.prices.create({ currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' }, product_data: { name: 'Pro plan' } });
      const seats = await stripe.entitlements.features.create({ name: 'Seats', lookup_key: 'ae-seats' });
      const sso = await stripe.entitlements.features.create({ name: 'SSO', lookup_key: 'ae-sso' });
      const audit = await stripe.entitlements.features.create({ name: 'Audit log', lookup_key: 'ae-audit' });
      await stripe.products.createFeature(basic.product as string, { entitlement_feature: seats.id });
      await stripe.products.createFeature(pro.product as string, { entitlement_feature: seats.id });
      await stripe.products.createFeature(pro.product as string, { entitlement_feature: sso.id });

      assert.deepEqual((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data, []);

      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
      assert.equal(sub.status, 'active');
      const afterCreate = await stripe.entitlements.activeEntitlements.list({ customer: customer.id });
      assert.deepEqual(keys(afterCreate.data), ['ae-seats']);
      const ent = afterCreate.data[0]!;
      assert.match(ent.id, /^ent_/);
      assert.deepEqual({ object: ent.object, feature: ent.feature, livemode: ent.livemode }, { object: 'entitlements.active_entitlement', feature: seats.id, livemode: false });
      assert.deepEqual(await stripe.entitlements.activeEntitlements.retrieve(ent.id).then((e) => e.id), ent.id);
      const expanded = await stripe.entitlements.activeEntitlements.retrieve(ent.id, { expand: ['feature'] });
      assert.equal((expanded.feature as Stripe.Entitlements.Feature).lookup_key, 'ae-seats');

      let events = await summaries(customer.id);
      assert.equal(events.length, 1);
      assert.equal(events[0].data.object.object, 'entitlements.active_entitlement_summary');
      assert.deepEqual(keys(events[0].data.object.entitlements.data), ['ae-seats']);
      assert.deepEqual(events[0].data.previous_attributes.entitlements.data, []);

      // Upgrade to Pro: seats stay (same id), SSO is added.
      const upgraded = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: pro.id }], proration_behavior: 'none' });
      const afterUpgrade = (await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data;
      assert.deepEqual(keys(afterUpgrade), ['ae-seats', 'ae-sso']);
      assert.equal(afterUpgrade.find((e) => e.lookup_key === 'ae-seats')!.id, ent.id);
      events = await summaries(customer.id);
      assert.equal(events.length, 2);
      assert.deepEqual(keys(events[1].data.object.entitlements.data), ['ae-seats', 'ae-sso']);
      assert.deepEqual(keys(events[1].data.previous_attributes.entitlements.data), ['ae-seats']);

      // Pagination over the computed list.
      const firstPage = await stripe.entitlements.activeEntitlements.list({ customer: customer.id, limit: 1 });
      assert.equal(firstPage.has_more, true);
      const nextPage = await stripe.entitlements.activeEntitlements.list({ customer: customer.id, limit: 1, starting_after: firstPage.data[0]!.id });
      assert.equal(nextPage.has_more, false);
      assert.deepEqual([...firstPage.data, ...nextPage.data].map((e) => e.id), afterUpgrade.map((e) => e.id));

      // A change that keeps the products (metadata) sends nothing; a feature attached later is there at once.
      await stripe.subscriptions.update(upgraded.id, { metadata: { note: 'x' } });
      assert.equal((await summaries(customer.id)).length, 2);
      await stripe.products.createFeature(pro.product as string, { entitlement_feature: audit.id });
      assert.deepEqual(keys((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data), ['ae-audit', 'ae-seats', 'ae-sso']);

      // A second subscription to Basic: seats already held, nothing changes, no event.
      const second = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
      assert.equal((await summaries(customer.id)).length, 2);

      // Canceling Pro leaves what Basic gives.
      await stripe.subscriptions.cancel(upgraded.id);
      assert.deepEqual(keys((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data), ['ae-seats']);
      events = await summaries(customer.id);
      assert.equal(events.length, 3);
      assert.deepEqual(keys(events[2].data.object.entitlements.data), ['ae-seats']);
      assert.deepEqual(keys(events[2].data.previous_attributes.entitlements.data), ['ae-audit', 'ae-seats', 'ae-sso']);
      // The SSO entitlement is gone: its id no longer retrieves.
      const ssoId = afterUpgrade.find((e) => e.lookup_key === 'ae-sso')!.id;
      await fails(stripe.entitlements.activeEntitlements.retrieve(ssoId), { status: 404, code: 'resource_missing' });

      await stripe.subscriptions.cancel(second.id);
      assert.deepEqual((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data, []);
      assert.equal((await summaries(customer.id)).length, 4);
    });

    test('a subscription that does not grant access (incomplete) gives no entitlement; errors', async () => {
      const customer = await customerWith('declined@example.com', 'pm_card_chargeCustomerFail');
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'Lite' } });
      const feature = await stripe.entitlements.features.create({ name: 'Lite access', lookup_key: 'lite' });
      await stripe.products.createFeature(price.product as string, { entitlement_feature: feature.id });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'allow_incomplete' });
      assert.equal(sub.status, 'incomplete');
      assert.deepEqual((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data, []);
      assert.deepEqual(await summaries(customer.id), []);
      // Trialing grants access.
      const trial = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
      assert.equal(trial.status, 'trialing');
      assert.deepEqual(keys((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data), ['lite']);

      await fails(stripe.entitlements.activeEntitlements.list({} as Stripe.Entitlements.ActiveEntitlementListParams), { status: 400, param: 'customer' });
      await fails(stripe.entitlements.activeEntitlements.list({ customer: 'cus_missing' }), { status: 404, param: 'customer' });
      await fails(stripe.entitlements.activeEntitlements.retrieve('ent_garbage'), { status: 404 });
    });

    test('idempotent under the SDK’s keys', async () => {
      const params = { name: 'Once', lookup_key: 'idem-once' };
      const a = await stripe.entitlements.features.create(params, { idempotencyKey: 'feat-once' });
      const b = await stripe.entitlements.features.create(params, { idempotencyKey: 'feat-once' });
      assert.equal(a.id, b.id);
      const product = await stripe.products.create({ name: 'Idem' });
      const x = await stripe.products.createFeature(product.id, { entitlement_feature: a.id }, { idempotencyKey: 'prodft-once' });
      const y = await stripe.products.createFeature(product.id, { entitlement_feature: a.id }, { idempotencyKey: 'prodft-once' });
      assert.equal(x.id, y.id);
    });
  });
}
