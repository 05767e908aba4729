/**
 * `POST /v1/billing_portal/sessions` through the official SDK: the seed documents' calls (a session with
 * customer and return_url; each flow type, including a cancel flow that redirects), every field of the
 * answer against the reference (§4), each validation rule with its `param`, the token kept only as a
 * hash, and the three billing_portal webhooks verified with `stripe.webhooks.constructEvent`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import { fails } from './support/assertions.ts';
import { startReceiver } from './support/receiver.ts';
import type { TestServer } from './support/server.ts';
import { objectEvents, useTestServer } from './support/suite.ts';

const SESSION_KEYS = [
  'after_expiration', 'configuration', 'created', 'customer', 'customer_account', 'flow', 'id', 'livemode', 'locale',
  'object', 'on_behalf_of', 'return_url', 'url',
];

for (const db of storageCases()) {
  describe(`billing portal sessions on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    async function setup() {
      const product = await stripe.products.create({ name: 'Team' });
      const basic = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
      const pro = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' } });
      const unlisted = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 5000, recurring: { interval: 'month' } });
      const customer = await stripe.customers.create({ email: 'jenny@example.com', name: 'Jenny Rosen' });
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id, quantity: 2 }] });
      const config = await stripe.billingPortal.configurations.create({
        features: {
          invoice_history: { enabled: true },
          payment_method_update: { enabled: true },
          customer_update: { enabled: true, allowed_updates: ['email', 'address'] },
          subscription_cancel: { enabled: true, mode: 'at_period_end' },
          subscription_pause: { enabled: true },
          subscription_update: {
            enabled: true,
            default_allowed_updates: ['price', 'quantity'],
            products: [{ product: product.id, prices: [basic.id, pro.id], adjustable_quantity: { enabled: true, minimum: 1, maximum: 5 } }],
          },
        },
      });
      return { product, basic, pro, unlisted, customer, sub, config };
    }

    test("the seed document's call: customer and return_url; every field; only the token's hash is stored", async () => {
      const customer = await stripe.customers.create({ email: 'jenny@example.com' });
      const s = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://example.com/account' });
      assert.deepEqual(Object.keys(s).filter((k) => k !== 'lastResponse').sort(), SESSION_KEYS);
      assert.match(s.id, /^bps_[A-Za-z0-9]{24}$/);
      assert.equal(s.object, 'billing_portal.session');
      assert.equal(s.customer, customer.id);
      assert.equal(s.customer_account, null);
      assert.equal(s.created, server.clock.now());
      assert.equal(s.flow, null);
      assert.equal(s.livemode, false);
      assert.equal(s.locale, null);
      assert.equal(s.on_behalf_of, null);
      assert.equal(s.after_expiration, null);
      assert.equal(s.return_url, 'https://example.com/account');
      const def = (await stripe.billingPortal.configurations.list({ is_default: true })).data[0]!;
      assert.equal(s.configuration, def.id);
      const m = new RegExp(`^${server.url}/p/session/([A-Za-z0-9_-]{43})$`).exec(s.url);
      assert.ok(m, s.url);
      const token = m[1]!;
      // 43 base64url characters = 32 bytes = 256 bits of randomness; stored only as its SHA-256.
      assert.equal(Buffer.from(token, 'base64url').length, 32);
      const row = await server.portico.storage.db.selectFrom('portal_sessions').selectAll().where('id', '=', s.id).executeTakeFirstOrThrow();
      assert.equal(row.token_hash, createHash('sha256').update(token).digest('hex'));
      const db = server.portico.storage.db;
      const everything =
        JSON.stringify(await db.selectFrom('portal_sessions').selectAll().execute()) +
        JSON.stringify(await db.selectFrom('events').selectAll().execute()) +
        JSON.stringify(await db.selectFrom('idempotency_keys').selectAll().execute());
      assert.ok((await db.selectFrom('idempotency_keys').selectAll().execute()).length > 0, 'the SDK sent an idempotency key');
      assert.ok(!everything.includes(token), 'the token appears nowhere in the database');
      const [event] = await objectEvents(server, s.id);
      assert.equal(event!.type, 'billing_portal.session.created');
      assert.equal((event!.data.object as any).url, `${server.url}/p/session/${s.id}`);
      // Two sessions never share a token.
      const s2 = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://example.com/account' });
      assert.notEqual(s2.url, s.url);
    });

    test('an idempotent replay answers the same session with a fresh working link, never the stored secret', async () => {
      const customer = await stripe.customers.create({ email: 'r@example.com' });
      const params = { customer: customer.id, return_url: 'https://example.com' };
      const first = await stripe.billingPortal.sessions.create(params, { idempotencyKey: 'portal-replay-1' });
      const again = await stripe.billingPortal.sessions.create(params, { idempotencyKey: 'portal-replay-1' });
      assert.equal(again.id, first.id);
      assert.equal(again.lastResponse.headers['idempotent-replayed'], 'true');
      assert.notEqual(again.url, first.url);
      const visit = (url: string) => fetch(url, { redirect: 'manual' });
      assert.equal((await visit(first.url)).status, 404, 'the lost link no longer opens');
      assert.equal((await visit(again.url)).status, 303, 'the replayed link opens');
      const late = await stripe.billingPortal.sessions.create(params, { idempotencyKey: 'portal-replay-1' });
      assert.equal(late.id, first.id);
      assert.equal(late.url, `${server.url}/p/session/${first.id}`, 'a used session is not handed a new link');
      const rows = await server.portico.storage.db.selectFrom('portal_sessions').select('id').where('customer', '=', customer.id).execute();
      assert.equal(rows.length, 1);
    });

    test('configuration, locale, expand and after_expiration are kept', async () => {
      const { customer, config } = await setup();
      const s = await stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: config.id,
        return_url: 'https://example.com/back',
        locale: 'pt-BR',
        after_expiration: { type: 'customer_login', customer_login: { expires_at: server.clock.now() + 86_400 } },
        expand: ['configuration'],
      });
      assert.equal((s.configuration as Stripe.BillingPortal.Configuration).id, config.id);
      assert.equal(s.locale, 'pt-BR');
      assert.deepEqual(s.after_expiration, { type: 'customer_login', customer_login: { expires_at: server.clock.now() + 86_400 } });
      const withDefault = await stripe.billingPortal.configurations.update(config.id, { default_return_url: 'https://example.com/default' });
      const s2 = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: withDefault.id });
      assert.equal(s2.return_url, 'https://example.com/default');
    });

    test('flows: each type, as the deep-link documents call them', async () => {
      const { customer, sub, config, pro } = await setup();
      const base = { customer: customer.id, configuration: config.id, return_url: 'https://example.com/account' };
      const nulls = { customer_update: null, subscription_cancel: null, subscription_pause: null, subscription_update: null, subscription_update_confirm: null };
      const hosted = { type: 'hosted_confirmation', hosted_confirmation: { custom_message: null }, redirect: null };

      const pmu = await stripe.billingPortal.sessions.create({ ...base, flow_data: { type: 'payment_method_update' } });
      assert.deepEqual(pmu.flow, { ...nulls, after_completion: hosted, type: 'payment_method_update' });

      const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'once' });
      const cancel = await stripe.billingPortal.sessions.create({
        ...base,
        flow_data: {
          type: 'subscription_cancel',
          subscription_cancel: { subscription: sub.id, retention: { type: 'coupon_offer', coupon_offer: { coupon: coupon.id } } },
          after_completion: { type: 'redirect', redirect: { return_url: 'https://example.com/canceled' } },
        },
      });
      assert.deepEqual(cancel.flow, {
        ...nulls,
        after_completion: { type: 'redirect', redirect: { return_url: 'https://example.com/canceled' }, hosted_confirmation: null },
        subscription_cancel: { subscription: sub.id, retention: { type: 'coupon_offer', coupon_offer: { coupon: coupon.id } } },
        type: 'subscription_cancel',
      });

      const upd = await stripe.billingPortal.sessions.create({
        ...base,
        flow_data: { type: 'subscription_update', subscription_update: { subscription: sub.id }, after_completion: { type: 'portal_homepage' } },
      });
      assert.deepEqual(upd.flow, {
        ...nulls,
        after_completion: { type: 'portal_homepage', hosted_confirmation: null, redirect: null },
        subscription_update: { subscription: sub.id },
        type: 'subscription_update',
      });

      const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'WELCOME20' });
      const confirm = await stripe.billingPortal.sessions.create({
        ...base,
        flow_data: {
          type: 'subscription_update_confirm',
          subscription_update_confirm: {
            subscription: sub.id,
            items: [{ id: sub.items.data[0]!.id, price: pro.id, quantity: 3 }],
            discounts: [{ promotion_code: promo.id }],
          },
          after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'Thanks for upgrading!' } },
        },
      });
      assert.deepEqual(confirm.flow, {
        ...nulls,
        after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'Thanks for upgrading!' }, redirect: null },
        subscription_update_confirm: {
          subscription: sub.id,
          items: [{ id: sub.items.data[0]!.id, price: pro.id, quantity: 3 }],
          discounts: [{ coupon: null, promotion_code: promo.id }],
        },
        type: 'subscription_update_confirm',
      });

      const cu = await stripe.billingPortal.sessions.create({ ...base, flow_data: { type: 'customer_update' } });
      assert.deepEqual(cu.flow, { ...nulls, after_completion: hosted, customer_update: {}, type: 'customer_update' });

      const pause = await stripe.billingPortal.sessions.create({
        ...base,
        flow_data: { type: 'subscription_pause', subscription_pause: { subscription: sub.id } },
      });
      assert.deepEqual(pause.flow, { ...nulls, after_completion: hosted, subscription_pause: { subscription: sub.id }, type: 'subscription_pause' });
    });

    test('validation: session params', async () => {
      const { customer, config } = await setup();
      const s = (p: Record<string, unknown>) => stripe.billingPortal.sessions.create(p as any);
      await fails(s({ return_url: 'https://example.com' }), { status: 400, param: 'customer', code: 'parameter_missing' });
      await fails(s({ customer: 'cus_missing', return_url: 'https://example.com' }), { status: 404, param: 'customer', code: 'resource_missing' });
      await fails(server.live.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://example.com' }), {
        status: 404,
        param: 'customer',
      });
      await fails(s({ customer_account: 'acct_1', return_url: 'https://example.com' }), { status: 400, param: 'customer_account' });
      await fails(s({ customer: customer.id, configuration: config.id }), { status: 400, param: 'return_url', code: 'parameter_missing' });
      await fails(s({ customer: customer.id, return_url: 'javascript:alert(1)' }), { status: 400, param: 'return_url' });
      await fails(s({ customer: customer.id, return_url: '/relative' }), { status: 400, param: 'return_url' });
      await fails(s({ customer: customer.id, return_url: 'https://example.com', locale: 'xx' }), { status: 400, param: 'locale' });
      await fails(s({ customer: customer.id, return_url: 'https://example.com', configuration: 'bpc_missing' }), { status: 404, param: 'configuration' });
      await fails(s({ customer: customer.id, return_url: 'https://example.com', on_behalf_of: 'acct_123' }), { status: 404, param: 'on_behalf_of' });
      await fails(
        s({ customer: customer.id, return_url: 'https://example.com', after_expiration: { type: 'customer_login', customer_login: { expires_at: server.clock.now() - 1 } } }),
        { status: 400, param: 'after_expiration[customer_login][expires_at]' },
      );
      const inactive = await stripe.billingPortal.configurations.create({ features: { invoice_history: { enabled: true } } });
      await stripe.billingPortal.configurations.update(inactive.id, { active: false });
      await fails(s({ customer: customer.id, return_url: 'https://example.com', configuration: inactive.id }), {
        status: 400,
        param: 'configuration',
        message: /inactive/,
      });
      const deleted = await stripe.customers.create({});
      await stripe.customers.del(deleted.id);
      await fails(s({ customer: deleted.id, return_url: 'https://example.com' }), { status: 404, param: 'customer' });
      const rows = await server.portico.storage.db.selectFrom('portal_sessions').select('id').where('customer', '=', customer.id).execute();
      assert.equal(rows.length, 0, 'no refused request left a session');
    });

    test('validation: flow_data rules name their params', async () => {
      const { customer, sub, config, pro, unlisted } = await setup();
      const other = await stripe.customers.create({ email: 'other@example.com' });
      const s = (flow_data: Record<string, unknown>, cfg = config.id) =>
        stripe.billingPortal.sessions.create({ customer: customer.id, configuration: cfg, return_url: 'https://example.com', flow_data } as any);
      const item = sub.items.data[0]!.id;
      await fails(s({ after_completion: { type: 'portal_homepage' } }), { status: 400, param: 'flow_data[type]', code: 'parameter_missing' });
      await fails(s({ type: 'teleport' }), { status: 400, param: 'flow_data[type]' });
      await fails(s({ type: 'subscription_cancel' }), { status: 400, param: 'flow_data[subscription_cancel][subscription]', code: 'parameter_missing' });
      await fails(s({ type: 'payment_method_update', subscription_cancel: { subscription: sub.id } }), {
        status: 400,
        param: 'flow_data[subscription_cancel]',
      });
      await fails(s({ type: 'subscription_cancel', subscription_cancel: { subscription: 'sub_missing' } }), {
        status: 404,
        param: 'flow_data[subscription_cancel][subscription]',
      });
      const othersSub = await stripe.subscriptions.create({
        customer: other.id,
        items: [{ price: pro.id }],
        payment_behavior: 'default_incomplete',
      });
      await fails(s({ type: 'subscription_cancel', subscription_cancel: { subscription: othersSub.id } }), {
        status: 404,
        param: 'flow_data[subscription_cancel][subscription]',
      });
      await fails(s({ type: 'subscription_cancel', subscription_cancel: { subscription: sub.id, retention: { type: 'coupon_offer', coupon_offer: { coupon: 'nope' } } } }), {
        status: 404,
        param: 'flow_data[subscription_cancel][retention][coupon_offer][coupon]',
      });
      const expired = await stripe.coupons.create({ percent_off: 10, duration: 'once', max_redemptions: 1 });
      await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }], discounts: [{ coupon: expired.id }] });
      await fails(s({ type: 'subscription_cancel', subscription_cancel: { subscription: sub.id, retention: { type: 'coupon_offer', coupon_offer: { coupon: expired.id } } } }), {
        status: 400,
        param: 'flow_data[subscription_cancel][retention][coupon_offer][coupon]',
      });
      await fails(s({ type: 'subscription_cancel', subscription_cancel: { subscription: sub.id, retention: { type: 'coupon_offer' } } }), {
        status: 400,
        param: 'flow_data[subscription_cancel][retention][coupon_offer]',
        code: 'parameter_missing',
      });
      await fails(s({ type: 'payment_method_update', after_completion: { type: 'redirect' } }), {
        status: 400,
        param: 'flow_data[after_completion][redirect][return_url]',
        code: 'parameter_missing',
      });
      await fails(s({ type: 'payment_method_update', after_completion: { type: 'redirect', redirect: { return_url: 'data:text/html,x' } } }), {
        status: 400,
        param: 'flow_data[after_completion][redirect][return_url]',
      });
      await fails(s({ type: 'payment_method_update', after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'm'.repeat(501) } } }), {
        status: 400,
        param: 'flow_data[after_completion][hosted_confirmation][custom_message]',
      });
      await fails(s({ type: 'payment_method_update', after_completion: { type: 'portal_homepage', redirect: { return_url: 'https://example.com' } } }), {
        status: 400,
        param: 'flow_data[after_completion][redirect]',
      });
      const confirm = (c: Record<string, unknown>) => s({ type: 'subscription_update_confirm', subscription_update_confirm: { subscription: sub.id, ...c } });
      await fails(confirm({}), { status: 400, param: 'flow_data[subscription_update_confirm][items]', code: 'parameter_missing' });
      await fails(confirm({ items: [{ id: item, price: pro.id }, { id: item, price: pro.id }] }), {
        status: 400,
        param: 'flow_data[subscription_update_confirm][items]',
      });
      await fails(confirm({ items: [{ price: pro.id }] }), { status: 400, param: 'flow_data[subscription_update_confirm][items][0][id]', code: 'parameter_missing' });
      await fails(confirm({ items: [{ id: 'si_missing', price: pro.id }] }), { status: 404, param: 'flow_data[subscription_update_confirm][items][0][id]' });
      await fails(confirm({ items: [{ id: item, price: unlisted.id }] }), { status: 400, param: 'flow_data[subscription_update_confirm][items][0][price]' });
      await fails(confirm({ items: [{ id: item, price: pro.id, quantity: 6 }] }), { status: 400, param: 'flow_data[subscription_update_confirm][items][0][quantity]' });
      await fails(confirm({ items: [{ id: item, price: pro.id, quantity: 0 }] }), { status: 400, param: 'flow_data[subscription_update_confirm][items][0][quantity]' });
      await fails(confirm({ items: [{ id: item, price: pro.id }], discounts: [{ coupon: 'nope' }] }), {
        status: 404,
        param: 'flow_data[subscription_update_confirm][discounts][0][coupon]',
      });
      await fails(confirm({ items: [{ id: item, price: pro.id }], discounts: [{ promotion_code: 'promo_nope' }] }), {
        status: 404,
        param: 'flow_data[subscription_update_confirm][discounts][0][promotion_code]',
      });

      // Features that are off refuse their flows.
      const bare = await stripe.billingPortal.configurations.create({ features: { invoice_history: { enabled: true } } });
      for (const flow of [
        { type: 'payment_method_update' },
        { type: 'customer_update' },
        { type: 'subscription_cancel', subscription_cancel: { subscription: sub.id } },
        { type: 'subscription_update', subscription_update: { subscription: sub.id } },
        { type: 'subscription_pause', subscription_pause: { subscription: sub.id } },
        { type: 'subscription_update_confirm', subscription_update_confirm: { subscription: sub.id, items: [{ id: item, price: pro.id }] } },
      ]) {
        await fails(s(flow, bare.id), { status: 400, param: 'flow_data[type]', message: /enabled/ }, flow.type);
      }

      // Subscriptions the portal cannot act on.
      const two = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }, { price: (await stripe.prices.create({ currency: 'usd', unit_amount: 100, recurring: { interval: 'month' }, product_data: { name: 'Add-on' } })).id }] });
      await fails(s({ type: 'subscription_update', subscription_update: { subscription: two.id } }), {
        status: 400,
        param: 'flow_data[subscription_update][subscription]',
        message: /more than one item/,
      });
      const ending = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }], cancel_at_period_end: true });
      await fails(s({ type: 'subscription_cancel', subscription_cancel: { subscription: ending.id } }), {
        status: 400,
        param: 'flow_data[subscription_cancel][subscription]',
        message: /already set to cancel/,
      });
      const gone = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
      await stripe.subscriptions.cancel(gone.id);
      for (const type of ['subscription_cancel', 'subscription_update'] as const) {
        await fails(s({ type, [type]: { subscription: gone.id } }), { status: 400, param: `flow_data[${type}][subscription]`, message: /ended/ });
      }
      const scheduled = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
      await stripe.subscriptionSchedules.create({ from_subscription: scheduled.id });
      for (const type of ['subscription_cancel', 'subscription_update'] as const) {
        await fails(s({ type, [type]: { subscription: scheduled.id } }), { status: 400, param: `flow_data[${type}][subscription]`, message: /schedule/ });
      }
    });

    test('the three billing_portal webhooks verify with constructEvent', async () => {
      const receiver = await startReceiver();
      try {
        const endpoint = await stripe.webhookEndpoints.create({
          url: receiver.url,
          enabled_events: ['billing_portal.configuration.created', 'billing_portal.configuration.updated', 'billing_portal.session.created'],
        });
        const customer = await stripe.customers.create({ email: 'w@example.com' });
        const c = await stripe.billingPortal.configurations.create({ features: { invoice_history: { enabled: true } } });
        await stripe.billingPortal.configurations.update(c.id, { name: 'Renamed' });
        const s = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: c.id, return_url: 'https://example.com' });
        await server.portico.deliveryWorker!.drain();
        await receiver.waitFor(3);
        const events = receiver.received.map((r) =>
          stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, endpoint.secret!),
        );
        assert.deepEqual(events.map((e) => e.type), [
          'billing_portal.configuration.created',
          'billing_portal.configuration.updated',
          'billing_portal.session.created',
        ]);
        assert.equal((events[0]!.data.object as Stripe.BillingPortal.Configuration).id, c.id);
        assert.deepEqual((events[1]!.data as any).previous_attributes, { name: null });
        const sessionEvent = events[2]!.data.object as Stripe.BillingPortal.Session;
        assert.equal(sessionEvent.id, s.id);
        assert.equal(sessionEvent.customer, customer.id);
        assert.notEqual(sessionEvent.url, s.url, 'the webhook does not carry a working link');
        assert.throws(() => stripe.webhooks.constructEvent(receiver.received[2]!.body, receiver.received[2]!.headers['stripe-signature'] as string, 'whsec_wrong'));
      } finally {
        await receiver.close();
      }
    });
  });
}
