/**
 * `/v1/billing_portal/configurations` through the official SDK: the seed documents' calls, every field
 * against the reference (§2–§3), Stripe's defaults, each validation rule with its `param`, the default
 * configuration of each mode, list filters, the login page URL, and the events.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { storageCases } from './support/storages.ts';
import { fails, strip } from './support/assertions.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { objectEvents, useTestServer } from './support/suite.ts';

const CONFIG_KEYS = [
  'active', 'application', 'business_profile', 'created', 'default_return_url', 'features', 'id', 'is_default',
  'livemode', 'login_page', 'metadata', 'name', 'object', 'updated',
];

for (const db of storageCases()) {
  describe(`billing portal configurations on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    async function recurringPrice(product: string, amount = 1000, interval: 'month' | 'year' = 'month') {
      return stripe.prices.create({ product, currency: 'usd', unit_amount: amount, recurring: { interval } });
    }

    test("the seed document's call: headline and invoice history, with Stripe's defaults for the rest", async () => {
      const c = await stripe.billingPortal.configurations.create({
        business_profile: { headline: 'Cactus Practice partners with Stripe for simplified billing.' },
        features: { invoice_history: { enabled: true } },
      });
      assert.deepEqual(Object.keys(c).filter((k) => k !== 'lastResponse').sort(), CONFIG_KEYS);
      assert.match(c.id, /^bpc_[A-Za-z0-9]{24}$/);
      assert.equal(c.object, 'billing_portal.configuration');
      assert.equal(c.active, true);
      assert.equal(c.application, null);
      assert.deepEqual(c.business_profile, {
        headline: 'Cactus Practice partners with Stripe for simplified billing.',
        privacy_policy_url: null,
        terms_of_service_url: null,
      });
      assert.equal(c.created, server.clock.now());
      assert.equal(c.updated, server.clock.now());
      assert.equal(c.default_return_url, null);
      assert.equal(c.is_default, false);
      assert.equal(c.livemode, false);
      assert.deepEqual(c.login_page, { enabled: false, url: null });
      assert.deepEqual(c.metadata, {});
      assert.equal(c.name, null);
      assert.deepEqual(c.features, {
        customer_update: { allowed_updates: [], enabled: false },
        invoice_history: { enabled: true },
        payment_method_update: { enabled: false, payment_method_configuration: null },
        subscription_cancel: {
          cancellation_reason: { enabled: false, feedback_options: null, options: [] },
          enabled: false,
          mode: 'at_period_end',
          proration_behavior: 'none',
        },
        subscription_pause: {
          duration: { interval_options: [{ interval: 'month', interval_count: 1 }], type: 'interval_options' },
          enabled: false,
        },
        subscription_update: {
          billing_cycle_anchor: null,
          default_allowed_updates: [],
          enabled: false,
          products: [],
          proration_behavior: 'none',
          schedule_at_period_end: { conditions: [] },
          trial_update_behavior: 'end_trial',
        },
      });
      assert.deepEqual(strip(await stripe.billingPortal.configurations.retrieve(c.id)), strip(c));
      const events = await objectEvents(server, c.id);
      assert.deepEqual(events.map((e) => e.type), ['billing_portal.configuration.created']);
    });

    test('every feature set on create, then each changed on update with previous_attributes', async () => {
      const product = await stripe.products.create({ name: 'Plan' });
      const monthly = await recurringPrice(product.id, 1000, 'month');
      const yearly = await recurringPrice(product.id, 10000, 'year');
      const c = await stripe.billingPortal.configurations.create({
        name: 'Everything',
        default_return_url: 'https://example.com/account',
        business_profile: {
          headline: 'Acme',
          privacy_policy_url: 'https://example.com/privacy',
          terms_of_service_url: 'https://example.com/terms',
        },
        metadata: { team: 'billing' },
        features: {
          customer_update: { enabled: true, allowed_updates: ['email', 'address', 'tax_id'] },
          invoice_history: { enabled: true },
          payment_method_update: { enabled: true },
          subscription_cancel: {
            enabled: true,
            mode: 'immediately',
            proration_behavior: 'create_prorations',
            cancellation_reason: { enabled: true, options: ['too_expensive', 'unused', 'other'] },
          },
          subscription_update: {
            enabled: true,
            default_allowed_updates: ['price', 'quantity', 'promotion_code'],
            proration_behavior: 'always_invoice',
            billing_cycle_anchor: 'now',
            trial_update_behavior: 'continue_trial',
            schedule_at_period_end: { conditions: [{ type: 'decreasing_item_amount' }, { type: 'shortening_interval' }] },
            products: [
              { product: product.id, prices: [monthly.id, yearly.id], adjustable_quantity: { enabled: true, minimum: 1, maximum: 10 } },
            ],
          },
        },
      });
      assert.equal(c.name, 'Everything');
      assert.equal(c.default_return_url, 'https://example.com/account');
      assert.deepEqual(c.features.customer_update, { allowed_updates: ['email', 'address', 'tax_id'], enabled: true });
      assert.deepEqual(c.features.subscription_cancel, {
        cancellation_reason: { enabled: true, feedback_options: null, options: ['too_expensive', 'unused', 'other'] },
        enabled: true,
        mode: 'immediately',
        proration_behavior: 'create_prorations',
      });
      assert.deepEqual(c.features.subscription_update, {
        billing_cycle_anchor: 'now',
        default_allowed_updates: ['price', 'quantity', 'promotion_code'],
        enabled: true,
        products: [{ adjustable_quantity: { enabled: true, maximum: 10, minimum: 1 }, prices: [monthly.id, yearly.id], product: product.id }],
        proration_behavior: 'always_invoice',
        schedule_at_period_end: { conditions: [{ type: 'decreasing_item_amount' }, { type: 'shortening_interval' }] },
        trial_update_behavior: 'continue_trial',
      });

      (server.clock as ManualClock).advance(60);
      const u = await stripe.billingPortal.configurations.update(c.id, {
        business_profile: { headline: '', privacy_policy_url: '' },
        default_return_url: '',
        name: '',
        metadata: { team: '', owner: 'ops' },
        features: {
          subscription_cancel: { mode: 'at_period_end', proration_behavior: 'none' },
          subscription_update: { products: '', schedule_at_period_end: { conditions: '' } },
          customer_update: { allowed_updates: '' },
        },
      });
      assert.deepEqual(u.business_profile, { headline: null, privacy_policy_url: null, terms_of_service_url: 'https://example.com/terms' });
      assert.equal(u.default_return_url, null);
      assert.equal(u.name, null);
      assert.deepEqual(u.metadata, { owner: 'ops' });
      assert.equal(u.features.subscription_cancel.mode, 'at_period_end');
      assert.deepEqual(u.features.subscription_update.products, []);
      assert.deepEqual(u.features.subscription_update.schedule_at_period_end, { conditions: [] });
      assert.deepEqual(u.features.customer_update, { allowed_updates: [], enabled: true });
      // Unsent fields keep their values.
      assert.equal(u.features.subscription_update.trial_update_behavior, 'continue_trial');
      assert.equal(u.features.invoice_history.enabled, true);
      assert.equal(u.updated, server.clock.now());

      const events = await objectEvents(server, c.id);
      assert.deepEqual(events.map((e) => e.type), ['billing_portal.configuration.created', 'billing_portal.configuration.updated']);
      const prev = events[1]!.data.previous_attributes;
      assert.equal(prev.name, 'Everything');
      assert.equal(prev.default_return_url, 'https://example.com/account');
      assert.deepEqual(prev.business_profile, { headline: 'Acme', privacy_policy_url: 'https://example.com/privacy' });
      assert.deepEqual(prev.metadata, { team: 'billing', owner: null });
      assert.equal(prev.features.subscription_cancel.mode, 'immediately');
      assert.equal(prev.features.subscription_update.products.length, 1);
      assert.equal(prev.features.invoice_history, undefined);
      assert.equal(prev.updated, c.updated);
    });

    test('each mode has one default configuration, used by sessions that name none, that cannot be deactivated', async () => {
      const test = await stripe.billingPortal.configurations.list({ is_default: true });
      assert.equal(test.data.length, 1);
      const def = test.data[0]!;
      assert.equal(def.is_default, true);
      assert.equal(def.livemode, false);
      assert.equal(def.active, true);
      assert.equal(def.features.invoice_history.enabled, true);
      assert.equal(def.features.payment_method_update.enabled, true);
      assert.equal(def.features.subscription_cancel.enabled, true);
      const live = await server.live.billingPortal.configurations.list({ is_default: true });
      assert.equal(live.data.length, 1);
      assert.equal(live.data[0]!.livemode, true);
      assert.notEqual(live.data[0]!.id, def.id);
      await fails(server.live.billingPortal.configurations.retrieve(def.id), { status: 404, code: 'resource_missing', param: 'configuration' });
      await fails(stripe.billingPortal.configurations.update(def.id, { active: false }), { status: 400, param: 'active' });
      const customer = await stripe.customers.create({ email: 'd@example.com' });
      const session = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://example.com' });
      assert.equal(session.configuration, def.id);
    });

    test('list: newest first, active and is_default filters, pagination, auto-pagination', async () => {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) {
        made.push((await stripe.billingPortal.configurations.create({ features: { invoice_history: { enabled: true } }, name: `L${i}` })).id);
      }
      await stripe.billingPortal.configurations.update(made[1]!, { active: false });
      const page = await stripe.billingPortal.configurations.list({ limit: 3 });
      assert.equal(page.object, 'list');
      assert.equal(page.url, '/v1/billing_portal/configurations');
      assert.equal(page.has_more, true);
      assert.deepEqual(page.data.map((c) => c.id), [made[4], made[3], made[2]]);
      const inactive = await stripe.billingPortal.configurations.list({ active: false });
      assert.deepEqual(inactive.data.map((c) => c.id), [made[1]]);
      const nonDefault = await stripe.billingPortal.configurations.list({ is_default: false, limit: 100 });
      assert.ok(nonDefault.data.every((c) => !c.is_default));
      const all: string[] = [];
      for await (const c of stripe.billingPortal.configurations.list({ limit: 2 })) all.push(c.id);
      assert.equal(new Set(all).size, all.length);
      for (const id of made) assert.ok(all.includes(id));
      const before = await stripe.billingPortal.configurations.list({ ending_before: made[2]!, limit: 2 });
      assert.deepEqual(before.data.map((c) => c.id), [made[4], made[3]]);
    });

    test('login page: enabling gives a URL, disabling kills it for good, enabling again gives another', async () => {
      const c = await stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        login_page: { enabled: true },
      });
      assert.equal(c.login_page.enabled, true);
      assert.match(c.login_page.url!, new RegExp(`^${server.url}/p/login/[A-Za-z0-9_-]{43}$`));
      const again = await stripe.billingPortal.configurations.update(c.id, { login_page: { enabled: true } });
      assert.equal(again.login_page.url, c.login_page.url, 'enabling an enabled page keeps its URL');
      const off = await stripe.billingPortal.configurations.update(c.id, { login_page: { enabled: false } });
      assert.deepEqual(off.login_page, { enabled: false, url: null });
      const on = await stripe.billingPortal.configurations.update(c.id, { login_page: { enabled: true } });
      assert.notEqual(on.login_page.url, c.login_page.url);
      const { findConfigurationByLoginToken } = await import('../src/portal/configurations/index.ts');
      const db = server.portico.storage.db;
      assert.equal(await findConfigurationByLoginToken(db, c.login_page.url!.split('/').pop()!), null);
      const found = await findConfigurationByLoginToken(db, on.login_page.url!.split('/').pop()!);
      assert.deepEqual({ livemode: found?.livemode, configuration: found?.configuration }, { livemode: false, configuration: c.id });
      assert.match(found!.key, /^[A-Za-z0-9_-]{22}$/, 'the page key its links are bound to');
    });

    test('validation: each rule answers 400 naming its param', async () => {
      const product = await stripe.products.create({ name: 'P' });
      const other = await stripe.products.create({ name: 'Other' });
      const price = await recurringPrice(product.id);
      const otherPrice = await recurringPrice(other.id);
      const oneTime = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500 });
      const archived = await recurringPrice(product.id, 700);
      await stripe.prices.update(archived.id, { active: false });
      const create = (p: Record<string, unknown>) => stripe.billingPortal.configurations.create(p as any);
      const ih = { invoice_history: { enabled: true } };

      // Bodies the SDK would not send (it drops empty objects): posted raw.
      const raw = async (body: string) => {
        const r = await rawRequest(server, 'POST', '/v1/billing_portal/configurations', body);
        return { status: r.status, param: r.json.error?.param, code: r.json.error?.code };
      };
      assert.deepEqual(await raw(''), { status: 400, param: 'features', code: 'parameter_missing' });
      assert.deepEqual(await raw('features[invoice_history][enabled]=true&login_page[x]=1'), {
        status: 400,
        param: 'login_page[x]',
        code: 'parameter_unknown',
      });
      assert.deepEqual(await raw('features[invoice_history][enabled]=true&login_page[enabled]='), {
        status: 400,
        param: 'login_page[enabled]',
        code: 'parameter_invalid_empty',
      });
      await fails(create({ features: ih, business_profile: { headline: 'x'.repeat(61) } }), {
        status: 400,
        param: 'business_profile[headline]',
        code: 'string_length_exceeds_maximum',
      });
      assert.equal((await create({ features: ih, business_profile: { headline: 'x'.repeat(60) } })).business_profile.headline!.length, 60);
      await fails(create({ features: ih, name: 'n'.repeat(257) }), { status: 400, param: 'name' });
      await fails(create({ features: ih, default_return_url: 'javascript:alert(1)' }), { status: 400, param: 'default_return_url' });
      await fails(create({ features: ih, business_profile: { privacy_policy_url: 'ftp://x' } }), {
        status: 400,
        param: 'business_profile[privacy_policy_url]',
      });
      await fails(create({ features: { payment_method_update: { payment_method_configuration: '' } } }), {
        status: 400,
        param: 'features[payment_method_update][enabled]',
        code: 'parameter_missing',
      });
      await fails(create({ features: { customer_update: { allowed_updates: ['email'] } } }), {
        status: 400,
        param: 'features[customer_update][enabled]',
      });
      await fails(create({ features: { customer_update: { enabled: true, allowed_updates: ['birthday'] } } }), {
        status: 400,
        param: 'features[customer_update][allowed_updates][0]',
      });
      await fails(create({ features: { subscription_cancel: { enabled: true, cancellation_reason: { enabled: true } } } }), {
        status: 400,
        param: 'features[subscription_cancel][cancellation_reason][options]',
        code: 'parameter_missing',
      });
      await fails(create({ features: { subscription_cancel: { enabled: true, cancellation_reason: { enabled: true, options: '' } } } }), {
        status: 400,
        param: 'features[subscription_cancel][cancellation_reason][options]',
      });
      await fails(create({ features: { subscription_cancel: { enabled: true, proration_behavior: 'always_invoice' } } }), {
        status: 400,
        param: 'features[subscription_cancel][proration_behavior]',
      });
      await fails(create({ features: { subscription_cancel: { enabled: true, proration_behavior: 'create_prorations' } } }), {
        status: 400,
        param: 'features[subscription_cancel][proration_behavior]',
        message: /only be create_prorations when .*immediately/,
      });
      await fails(create({ features: { subscription_cancel: { enabled: true, cancellation_reason: { enabled: false, options: '', feedback_options: ['fbo_x'] } } } }), {
        status: 404,
        param: 'features[subscription_cancel][cancellation_reason][feedback_options][0]',
      });
      await fails(create({ features: { payment_method_update: { enabled: true, payment_method_configuration: 'pmc_123' } } }), {
        status: 404,
        param: 'features[payment_method_update][payment_method_configuration]',
      });
      const su = (products: unknown, extra: Record<string, unknown> = {}) => create({ features: { subscription_update: { enabled: true, products, ...extra } } });
      await fails(su(Array.from({ length: 11 }, () => ({ product: product.id, prices: [price.id] }))), {
        status: 400,
        param: 'features[subscription_update][products]',
      });
      await fails(su([{ product: 'prod_missing', prices: [price.id] }]), { status: 404, param: 'features[subscription_update][products][0][product]' });
      await fails(su([{ product: product.id }]), { status: 400, param: 'features[subscription_update][products][0][prices]', code: 'parameter_missing' });
      await fails(su([{ product: product.id, prices: [otherPrice.id] }]), {
        status: 400,
        param: 'features[subscription_update][products][0][prices][0]',
        message: /does not belong/,
      });
      await fails(su([{ product: product.id, prices: [price.id, oneTime.id] }]), {
        status: 400,
        param: 'features[subscription_update][products][0][prices][1]',
        message: /not a recurring price/,
      });
      await fails(su([{ product: product.id, prices: [archived.id] }]), { status: 400, param: 'features[subscription_update][products][0][prices][0]' });
      await fails(su([{ product: product.id, prices: ['price_missing'] }]), { status: 404, param: 'features[subscription_update][products][0][prices][0]' });
      await fails(su([{ product: product.id, prices: [price.id] }, { product: product.id, prices: [price.id] }]), {
        status: 400,
        param: 'features[subscription_update][products][1][product]',
      });
      await fails(su([{ product: product.id, prices: [price.id], adjustable_quantity: { enabled: true, minimum: 5, maximum: 2 } }]), {
        status: 400,
        param: 'features[subscription_update][products][0][adjustable_quantity][minimum]',
      });
      await fails(su([], { schedule_at_period_end: { conditions: [{ type: 'sometimes' }] } }), {
        status: 400,
        param: 'features[subscription_update][schedule_at_period_end][conditions][0][type]',
      });
      await fails(su([], { trial_update_behavior: 'forever' }), { status: 400, param: 'features[subscription_update][trial_update_behavior]' });
      await fails(su([], { billing_cycle_anchor: 'later' }), { status: 400, param: 'features[subscription_update][billing_cycle_anchor]' });
      await fails(create({ features: ih, unknown: 'x' }), { status: 400, param: 'unknown', code: 'parameter_unknown' });
      await fails(create({ features: ih, metadata: { ['k'.repeat(41)]: 'v' } }), { status: 400 });

      // Update: the stored state plus the change is validated whole.
      const c = await create({ features: { subscription_cancel: { enabled: true, mode: 'immediately', proration_behavior: 'create_prorations' } } });
      await fails(stripe.billingPortal.configurations.update(c.id, { features: { subscription_cancel: { mode: 'at_period_end' } } }), {
        status: 400,
        param: 'features[subscription_cancel][mode]',
      });
      await fails(stripe.billingPortal.configurations.update(c.id, { features: { payment_method_update: { payment_method_configuration: '' } as any } }), {
        status: 400,
        param: 'features[payment_method_update][enabled]',
      });
      await fails(stripe.billingPortal.configurations.update('bpc_missing', { active: false }), { status: 404, param: 'configuration' });
      // A refused update changed nothing and wrote no event.
      assert.deepEqual(strip(await stripe.billingPortal.configurations.retrieve(c.id)), strip(c));
      assert.deepEqual((await objectEvents(server, c.id)).map((e) => e.type), ['billing_portal.configuration.created']);
    });
  });
}
