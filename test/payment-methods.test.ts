/**
 * Payment methods (cards) and the built-in test processor, through the official SDK against a real
 * server on every database: card validation and Stripe's card errors, test cards / tokens / test
 * PaymentMethod ids, attach and detach with their events, customer hooks (payment_method on create,
 * default payment method ownership, detaching on deletion), lists, expansion, that no full card number
 * or CVC is ever stored, and the processor's outcome for each test card.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import { chargeCard } from '../src/billing/test-processor.ts';
import { luhnValid } from '../src/billing/test-cards.ts';
import { ApiError } from '../src/lib/errors.ts';
import type { Ctx } from '../src/storage/context.ts';
import type { Storage } from '../src/storage/database.ts';
import { rawRequest, startTestServer, type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';

interface Expected {
  status: number;
  type?: string;
  code?: string;
  param?: string;
  decline_code?: string;
  message?: string | RegExp;
}

async function rejects(promise: Promise<unknown>, e: Expected): Promise<void> {
  await assert.rejects(promise, (thrown: any) => {
    // An SDK error, or (calling domain code directly) Portico's ApiError with the wire body.
    const err = thrown instanceof ApiError ? { statusCode: thrown.status, rawType: thrown.body.type, ...thrown.body } : thrown;
    assert.equal(err.statusCode, e.status, err.message);
    if (e.type !== undefined) assert.equal(err.rawType, e.type);
    if (e.code !== undefined) assert.equal(err.code, e.code);
    if (e.param !== undefined) assert.equal(err.param, e.param);
    if (e.decline_code !== undefined) assert.equal(err.decline_code, e.decline_code);
    if (typeof e.message === 'string') assert.equal(err.message, e.message);
    else if (e.message) assert.match(err.message, e.message);
    return true;
  });
}

/** A Luhn-valid number that is not one of Stripe's test cards (the check digit is computed). */
function nonTestCardNumber(prefix15 = '457173000012345'): string {
  for (let d = 0; d < 10; d++) if (luhnValid(`${prefix15}${d}`)) return `${prefix15}${d}`;
  throw new Error('unreachable');
}

for (const sc of storageCases()) {
  describe(`payment methods on ${sc.name}`, () => {
    let storage: Storage;
    let server: TestServer;
    let stripe: Stripe;
    before(async () => {
      storage = await sc.open();
      server = await startTestServer({ storage });
      stripe = server.stripe;
    });
    after(async () => {
      await server.close();
      await storage.close();
    });

    const card = (number: string, extra: Partial<Stripe.PaymentMethodCreateParams.Card> = {}) =>
      stripe.paymentMethods.create({ type: 'card', card: { number, exp_month: 12, exp_year: 2034, cvc: '123', ...extra } });
    const eventsFor = async (id: string) =>
      (await storage.db.selectFrom('events').select(['type', 'data']).orderBy('seq').execute())
        .filter((e) => e.data.data.object.id === id)
        .map((e) => ({ type: e.type as string, previous: e.data.data.previous_attributes, object: e.data.data.object }));
    const ctx = (livemode = false): Ctx => ({
      db: storage.db,
      livemode,
      clock: server.clock,
      request: { id: null, idempotencyKey: null },
    });

    test('a card from a number has exactly the shape of Stripe.PaymentMethod.Card, and no event', async () => {
      const pm = await stripe.paymentMethods.create({
        type: 'card',
        card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 34, cvc: '123' },
        billing_details: { name: 'Ada', email: 'ada@example.com', address: { line1: '1 Main St', postal_code: '94107' } },
        metadata: { order: '42' },
        allow_redisplay: 'always',
      });
      assert.match(pm.id, /^pm_[0-9A-Za-z]{24}$/);
      assert.deepEqual(Object.keys(pm).sort(), [
        'allow_redisplay', 'billing_details', 'card', 'created', 'customer', 'customer_account', 'id', 'livemode',
        'metadata', 'object', 'type',
      ]);
      assert.equal(pm.object, 'payment_method');
      assert.equal(pm.type, 'card');
      assert.equal(pm.customer, null);
      assert.equal(pm.livemode, false);
      assert.equal(pm.allow_redisplay, 'always');
      assert.deepEqual(pm.metadata, { order: '42' });
      assert.deepEqual(pm.billing_details, {
        address: { city: null, country: null, line1: '1 Main St', line2: null, postal_code: '94107', state: null },
        email: 'ada@example.com',
        name: 'Ada',
        phone: null,
        tax_id: null,
      });
      assert.match(pm.card!.fingerprint!, /^[0-9A-Za-z]{16}$/);
      const expected: Stripe.PaymentMethod.Card = {
        brand: 'visa',
        checks: { address_line1_check: 'unchecked', address_postal_code_check: 'unchecked', cvc_check: 'unchecked' },
        country: 'US',
        display_brand: 'visa',
        exp_month: 12,
        exp_year: 2034,
        fingerprint: pm.card!.fingerprint ?? null,
        funding: 'credit',
        generated_from: null,
        last4: '4242',
        networks: { available: ['visa'], preferred: null },
        regulated_status: 'unregulated',
        three_d_secure_usage: { supported: true },
        wallet: null,
      };
      assert.deepEqual(pm.card, expected);
      assert.deepEqual(await stripe.paymentMethods.retrieve(pm.id), pm);
      assert.deepEqual(await eventsFor(pm.id), [], 'Stripe has no payment_method.created event');
    });

    test('tokens and brands: tok_amex, tok_mastercard_debit, tok_unionpay', async () => {
      const amex = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_amex' } });
      assert.deepEqual([amex.card!.brand, amex.card!.display_brand, amex.card!.last4, amex.card!.funding], ['amex', 'american_express', '0005', 'credit']);
      const debit = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_mastercard_debit' } });
      assert.deepEqual([debit.card!.brand, debit.card!.funding, debit.card!.last4], ['mastercard', 'debit', '8210']);
      const up = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_unionpay' } });
      assert.deepEqual([up.card!.brand, up.card!.display_brand, up.card!.country], ['unionpay', 'union_pay', 'CN']);
    });

    test('bad card details are Stripe card errors (402) or invalid requests (400), naming the param', async () => {
      const cardError = (code: string, param: string) => ({ status: 402, type: 'card_error', code, param });
      await rejects(card('4242424242424241'), { ...cardError('incorrect_number', 'card[number]'), message: 'Your card number is incorrect.' });
      await rejects(card('4242abcd'), cardError('invalid_number', 'card[number]'));
      await rejects(card('42'), cardError('invalid_number', 'card[number]'));
      await rejects(card('4242424242424242', { exp_month: 13 }), cardError('invalid_expiry_month', 'card[exp_month]'));
      await rejects(card('4242424242424242', { exp_month: 0 }), cardError('invalid_expiry_month', 'card[exp_month]'));
      await rejects(card('4242424242424242', { exp_year: 2029 }), {
        ...cardError('invalid_expiry_year', 'card[exp_year]'),
        message: "Your card's expiration year is invalid.",
      });
      await rejects(card('4242424242424242', { exp_year: 2099 }), cardError('invalid_expiry_year', 'card[exp_year]'));
      await rejects(card('4242424242424242', { cvc: '12a' }), cardError('invalid_cvc', 'card[cvc]'));
      await rejects(card(nonTestCardNumber()), {
        status: 402,
        code: 'card_declined',
        decline_code: 'test_mode_live_card',
        message: /in test mode, but used a non test \(live\) card/,
      });
      await rejects(stripe.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_year: 2034 } }), {
        status: 400,
        code: 'parameter_missing',
        param: 'card[exp_month]',
      });
      await rejects(stripe.paymentMethods.create({ type: 'card' }), { status: 400, code: 'parameter_missing', param: 'card' });
      await rejects(stripe.paymentMethods.create({ type: 'sepa_debit' }), { status: 400, param: 'type' });
      await rejects(stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa', number: '4242424242424242' } }), {
        status: 400,
        param: 'card[token]',
      });
      await rejects(stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_nope' } }), {
        status: 404,
        code: 'resource_missing',
        param: 'card[token]',
      });
      await rejects(card('4242424242424242', { networks: { preferred: 'mastercard' } }), {
        status: 400,
        param: 'card[networks][preferred]',
      });
      const raw = await rawRequest(server, 'POST', '/v1/payment_methods', 'type=card&card[number]=4242424242424242&card[exp_month]=x&card[exp_year]=2034');
      assert.equal(raw.status, 400);
      assert.equal(raw.json.error.code, 'parameter_invalid_integer');
      const nested = await rawRequest(server, 'POST', '/v1/payment_methods', 'type=card&card[number][a]=1&card[exp_month]=1&card[exp_year]=2034');
      assert.equal(nested.status, 400);
      const email = await rawRequest(server, 'POST', '/v1/payment_methods', 'type=card&card[token]=tok_visa&billing_details[email]=nope');
      assert.equal(email.json.error.param, 'billing_details[email]');
    });

    test('live mode refuses test cards, tokens and test PaymentMethod ids; a real card is accepted', async () => {
      await rejects(server.live.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 1, exp_year: 2031 } }), {
        status: 402,
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'live_mode_test_card',
        message: 'Your card was declined. Your request was in live mode, but used a known test card.',
      });
      await rejects(server.live.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } }), { status: 404, param: 'card[token]' });
      const customer = await server.live.customers.create({ email: 'live@example.com' });
      await rejects(server.live.paymentMethods.attach('pm_card_visa', { customer: customer.id }), { status: 404, code: 'resource_missing' });
      await rejects(server.live.customers.create({ payment_method: 'pm_card_visa' }), { status: 404, param: 'payment_method' });
      const pm = await server.live.paymentMethods.create({ type: 'card', card: { number: nonTestCardNumber(), exp_month: 1, exp_year: 2031 } });
      assert.deepEqual([pm.livemode, pm.card!.brand, pm.card!.funding, pm.card!.country, pm.card!.checks!.cvc_check], [true, 'visa', 'unknown', null, null]);
      await rejects(stripe.paymentMethods.retrieve(pm.id), { status: 404 });
    });

    test('the fingerprint is stable for a number, whether given raw, as a token or a test PaymentMethod id', async () => {
      const customer = await stripe.customers.create();
      const a = await card('4242424242424242');
      const b = await card('4242424242424242', { exp_month: 3, exp_year: 2031 });
      const tok = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
      const clone = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      const mc = await card('5555555555554444');
      assert.equal(a.card!.fingerprint, b.card!.fingerprint);
      assert.equal(a.card!.fingerprint, tok.card!.fingerprint);
      assert.equal(a.card!.fingerprint, clone.card!.fingerprint);
      assert.notEqual(a.card!.fingerprint, mc.card!.fingerprint);
      assert.notEqual(a.id, b.id);
    });

    test('neither the full card number nor the CVC is stored anywhere', async () => {
      const customer = await stripe.customers.create();
      const debit = await card('4000056655665556', { cvc: '987' });
      await stripe.paymentMethods.attach(debit.id, { customer: customer.id });
      await stripe.paymentMethods.update(debit.id, { metadata: { k: 'v' } });
      const amex = await card('378282246310005', { cvc: '4321' });
      await stripe.paymentMethods.attach(amex.id, { customer: customer.id });
      const declined = await card('4000000000009995', { cvc: '987' });
      await rejects(stripe.paymentMethods.attach(declined.id, { customer: customer.id }), { status: 402 });
      const dump = JSON.stringify([
        await storage.db.selectFrom('objects').selectAll().execute(),
        await storage.db.selectFrom('events').selectAll().execute(),
        await storage.db.selectFrom('idempotency_keys').selectAll().execute(),
      ]);
      assert.ok(dump.includes('5556') && dump.includes('0005'), 'the dump holds the cards (last4)');
      for (const secret of ['4000056655665556', '378282246310005', '4000000000009995']) assert.ok(!dump.includes(secret), secret);
      for (const cvc of ['987', '4321']) {
        assert.ok(!dump.includes(`"${cvc}"`) && !dump.includes(`:${cvc},`), `CVC ${cvc}`);
      }
      assert.ok(!/"cvc"\s*:/.test(dump) && !/"number"\s*:/.test(dump), 'no cvc or number field');
    });

    test('attach: events, checks, declines on validation, another customer, unknown ids', async () => {
      const alice = await stripe.customers.create({ email: 'alice@example.com' });
      const bob = await stripe.customers.create({ email: 'bob@example.com' });
      const pm = await card('4242424242424242');
      const attached = await stripe.paymentMethods.attach(pm.id, { customer: alice.id });
      assert.equal(attached.customer, alice.id);
      assert.equal(attached.card!.checks!.cvc_check, 'pass');
      assert.deepEqual((await eventsFor(pm.id)).map((e) => e.type), ['payment_method.attached']);
      assert.deepEqual(await stripe.paymentMethods.attach(pm.id, { customer: alice.id }), attached, 'same customer: no change');
      assert.equal((await eventsFor(pm.id)).length, 1);
      await rejects(stripe.paymentMethods.attach(pm.id, { customer: bob.id }), {
        status: 400,
        message: 'The payment method you provided has already been attached to a customer.',
      });
      await rejects(stripe.paymentMethods.attach(pm.id, { customer: 'cus_nope' }), { status: 404, param: 'customer' });
      await rejects(stripe.paymentMethods.attach('pm_nope', { customer: bob.id }), { status: 404, param: 'payment_method', message: "No such PaymentMethod: 'pm_nope'" });
      await rejects(stripe.paymentMethods.attach(pm.id, {}), { status: 400, code: 'parameter_missing', param: 'customer' });

      await rejects(stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: bob.id }), {
        status: 402,
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
      });
      await rejects(stripe.paymentMethods.attach('pm_card_chargeDeclinedInsufficientFunds', { customer: bob.id }), {
        status: 402,
        decline_code: 'insufficient_funds',
      });
      await rejects(stripe.paymentMethods.attach('pm_card_chargeDeclinedExpiredCard', { customer: bob.id }), { status: 402, code: 'expired_card' });
      const raw = await card('4000000000000002');
      await rejects(stripe.paymentMethods.attach(raw.id, { customer: bob.id }), { status: 402, decline_code: 'generic_decline' });
      assert.equal((await stripe.paymentMethods.retrieve(raw.id)).customer, null);
      assert.equal((await stripe.customers.listPaymentMethods(bob.id)).data.length, 0, 'a declined clone is rolled back');

      const failLater = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: bob.id });
      assert.match(failLater.id, /^pm_[0-9A-Za-z]{24}$/);
      assert.equal(failLater.customer, bob.id);
      assert.equal(failLater.card!.last4, '0341');
      const threeDS = await stripe.paymentMethods.attach('pm_card_threeDSecure2Required', { customer: bob.id });
      assert.equal(threeDS.card!.last4, '3220');
      const avs = await card('4000000000000010', { cvc: undefined });
      const avsPm = await stripe.paymentMethods.create({
        type: 'card',
        card: { number: '4000000000000010', exp_month: 1, exp_year: 2032 },
        billing_details: { address: { line1: 'x', postal_code: '1' } },
      });
      assert.equal(avs.card!.checks!.cvc_check, null);
      const checked = await stripe.paymentMethods.attach(avsPm.id, { customer: bob.id });
      assert.deepEqual(checked.card!.checks, { address_line1_check: 'fail', address_postal_code_check: 'fail', cvc_check: null });
    });

    test('update: only attached payment methods; fields, expiry errors and payment_method.updated', async () => {
      const customer = await stripe.customers.create();
      const pm = await card('5555555555554444');
      await rejects(stripe.paymentMethods.update(pm.id, { metadata: { a: '1' } }), {
        status: 400,
        message: 'You must save this PaymentMethod to a customer before you can update it.',
      });
      await stripe.paymentMethods.attach(pm.id, { customer: customer.id });
      const updated = await stripe.paymentMethods.update(pm.id, {
        billing_details: { name: 'Grace', phone: '+15555550100' },
        card: { exp_month: 6, exp_year: 2035 },
        metadata: { a: '1' },
        allow_redisplay: 'limited',
      });
      assert.deepEqual([updated.billing_details.name, updated.billing_details.phone], ['Grace', '+15555550100']);
      assert.deepEqual([updated.card!.exp_month, updated.card!.exp_year, updated.allow_redisplay], [6, 2035, 'limited']);
      assert.deepEqual(updated.metadata, { a: '1' });
      const event = (await eventsFor(pm.id)).at(-1)!;
      assert.equal(event.type, 'payment_method.updated');
      assert.deepEqual(event.previous, {
        allow_redisplay: 'unspecified',
        billing_details: { name: null, phone: null },
        card: { exp_month: 12, exp_year: 2034 },
        metadata: { a: null },
      });
      const cleared = await stripe.paymentMethods.update(pm.id, { billing_details: { name: '' }, metadata: '' });
      assert.deepEqual([cleared.billing_details.name, cleared.metadata], [null, {}]);
      await rejects(stripe.paymentMethods.update(pm.id, { card: { exp_month: 13 } }), { status: 402, code: 'invalid_expiry_month' });
      await rejects(stripe.paymentMethods.update(pm.id, { card: { exp_year: 2020 } }), { status: 402, code: 'invalid_expiry_year' });
      await rejects(stripe.paymentMethods.update(pm.id, { allow_redisplay: 'sometimes' as 'always' }), { status: 400, param: 'allow_redisplay' });
      await rejects(stripe.paymentMethods.retrieve('pm_nope'), { status: 404, code: 'resource_missing', param: 'payment_method' });
    });

    test('detach: clears the default (customer.updated), emits payment_method.detached, is final', async () => {
      const customer = await stripe.customers.create();
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const detached = await stripe.paymentMethods.detach(pm.id);
      assert.equal(detached.customer, null);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).invoice_settings.default_payment_method, null);
      const pmEvents = await eventsFor(pm.id);
      assert.deepEqual(pmEvents.map((e) => e.type), ['payment_method.attached', 'payment_method.detached']);
      assert.deepEqual(pmEvents[1]!.previous, { customer: customer.id });
      const customerUpdates = (await eventsFor(customer.id)).filter((e) => e.type === 'customer.updated');
      assert.deepEqual(customerUpdates.at(-1)!.previous, { invoice_settings: { default_payment_method: pm.id } });
      await rejects(stripe.paymentMethods.detach(pm.id), {
        status: 400,
        message: 'The payment method you provided is not attached to a customer so detachment is impossible.',
      });
      await rejects(stripe.paymentMethods.attach(pm.id, { customer: customer.id }), { status: 400, message: /may not be used again/ });
      await rejects(stripe.paymentMethods.detach((await card('4242424242424242')).id), { status: 400 });
      await rejects(stripe.paymentMethods.detach('pm_nope'), { status: 404 });
    });

    test("lists: all, a customer's (type filter, pagination), retrieve through the customer, expand", async () => {
      const customer = await stripe.customers.create();
      const other = await stripe.customers.create();
      const ids: string[] = [];
      for (const id of ['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex']) {
        ids.unshift((await stripe.paymentMethods.attach(id, { customer: customer.id })).id);
      }
      const foreign = await stripe.paymentMethods.attach('pm_card_visa_debit', { customer: other.id });
      const page = await stripe.customers.listPaymentMethods(customer.id, { limit: 2, type: 'card' });
      assert.deepEqual([page.data.map((p) => p.id), page.has_more, page.url], [ids.slice(0, 2), true, `/v1/customers/${customer.id}/payment_methods`]);
      const all = await stripe.customers.listPaymentMethods(customer.id, { limit: 1 }).autoPagingToArray({ limit: 10 });
      assert.deepEqual(all.map((p) => p.id), ids);
      assert.deepEqual((await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data.map((p) => p.id), ids);
      assert.equal((await stripe.customers.listPaymentMethods(customer.id, { type: 'sepa_debit' })).data.length, 0);
      assert.ok((await stripe.paymentMethods.list({ limit: 100 })).data.some((p) => p.id === foreign.id));
      await rejects(stripe.paymentMethods.list({ customer: 'cus_nope' }), { status: 404, param: 'customer' });
      await rejects(stripe.customers.listPaymentMethods('cus_nope'), { status: 404, param: 'customer' });
      await rejects(stripe.customers.listPaymentMethods(customer.id, { type: 'bogus' as 'card' }), { status: 400, param: 'type' });

      assert.equal((await stripe.customers.retrievePaymentMethod(customer.id, ids[0]!)).id, ids[0]);
      await rejects(stripe.customers.retrievePaymentMethod(customer.id, foreign.id), { status: 404, code: 'resource_missing' });
      await rejects(stripe.customers.retrievePaymentMethod('cus_nope', foreign.id), { status: 404, param: 'customer' });

      const expanded = await stripe.paymentMethods.retrieve(ids[0]!, { expand: ['customer'] });
      assert.equal((expanded.customer as Stripe.Customer).id, customer.id);
      const list = await stripe.customers.listPaymentMethods(customer.id, { expand: ['data.customer'] });
      assert.ok(list.data.every((p) => (p.customer as Stripe.Customer).object === 'customer'));
    });

    test('customer payment_method on create attaches it (not as default); a declining card fails the create', async () => {
      const customer = await stripe.customers.create({ email: 'pm-on-create@example.com', payment_method: 'pm_card_visa' });
      assert.equal(customer.invoice_settings.default_payment_method, null);
      const [pm] = (await stripe.customers.listPaymentMethods(customer.id)).data;
      assert.equal(pm!.card!.last4, '4242');
      const raw = await card('5555555555554444');
      const second = await stripe.customers.create({ payment_method: raw.id });
      assert.equal((await stripe.paymentMethods.retrieve(raw.id)).customer, second.id);
      await rejects(stripe.customers.create({ email: 'declined@example.com', payment_method: 'pm_card_chargeDeclined' }), {
        status: 402,
        decline_code: 'generic_decline',
      });
      assert.equal((await stripe.customers.list({ email: 'declined@example.com' })).data.length, 0, 'nothing was created');
      await rejects(stripe.customers.create({ payment_method: 'pm_nope' }), { status: 404, param: 'payment_method' });
      await rejects(stripe.customers.create({ payment_method: raw.id }), { status: 400, param: 'payment_method' });
    });

    test('invoice_settings.default_payment_method must be attached to that customer', async () => {
      const customer = await stripe.customers.create();
      const other = await stripe.customers.create({ payment_method: 'pm_card_mastercard' });
      const foreign = (await stripe.customers.listPaymentMethods(other.id)).data[0]!;
      const param = 'invoice_settings[default_payment_method]';
      await rejects(stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: foreign.id } }), {
        status: 400,
        param,
        message: `The customer does not have a payment method with the ID ${foreign.id}. The payment method must be attached to the customer.`,
      });
      const loose = await card('4242424242424242');
      await rejects(stripe.customers.create({ invoice_settings: { default_payment_method: loose.id } }), { status: 400, param });
      await rejects(stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: 'pm_nope' } }), {
        status: 404,
        code: 'resource_missing',
        param,
      });
      await rejects(stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: 'pm_card_visa' } }), { status: 404, param });
      const own = await stripe.paymentMethods.attach(loose.id, { customer: customer.id });
      const updated = await stripe.customers.update(customer.id, {
        invoice_settings: { default_payment_method: own.id },
        expand: ['invoice_settings.default_payment_method'],
      });
      assert.equal((updated.invoice_settings.default_payment_method as Stripe.PaymentMethod).card!.last4, '4242');
      const unset = await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: '' } });
      assert.equal(unset.invoice_settings.default_payment_method, null);
      const withDefault = await stripe.customers.create({ payment_method: 'pm_card_amex' });
      const amex = (await stripe.customers.listPaymentMethods(withDefault.id)).data[0]!;
      assert.equal((await stripe.customers.update(withDefault.id, { invoice_settings: { default_payment_method: amex.id } })).invoice_settings.default_payment_method, amex.id);
    });

    test("deleting a customer detaches the customer's payment methods", async () => {
      const customer = await stripe.customers.create({ payment_method: 'pm_card_visa' });
      const second = await stripe.paymentMethods.attach('pm_card_amex', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: second.id } });
      const first = (await stripe.customers.listPaymentMethods(customer.id)).data.find((p) => p.id !== second.id)!;
      await stripe.customers.del(customer.id);
      for (const pm of [first, second]) {
        assert.equal((await stripe.paymentMethods.retrieve(pm.id)).customer, null);
        assert.equal((await eventsFor(pm.id)).at(-1)!.type, 'payment_method.detached');
      }
      const fresh = await stripe.customers.create();
      await rejects(stripe.paymentMethods.attach(first.id, { customer: fresh.id }), { status: 400, message: /may not be used again/ });
    });

    test('the test processor: each test card charges as scripted; live mode has no processor', async () => {
      const outcome = async (name: string, offSession: boolean, authenticated = false) => {
        const pm = await stripe.paymentMethods.create({ type: 'card', card: { token: `tok_${name}` } });
        return chargeCard(ctx(), pm.id, 2000, 'usd', { offSession, authenticated });
      };
      const ok = { outcome: 'succeeded' };
      const action = { outcome: 'requires_action' };
      const declined = (code: string, decline_code: string) => ({ outcome: 'declined', code, decline_code });
      const cases: [string, boolean, boolean, object][] = [
        ['visa', false, false, ok],
        ['mastercard', true, false, ok],
        ['amex', true, false, ok],
        ['visa_debit', true, false, ok],
        ['threeDSecureOptional', false, false, ok],
        ['chargeDeclined', true, false, declined('card_declined', 'generic_decline')],
        ['chargeDeclinedInsufficientFunds', true, false, declined('card_declined', 'insufficient_funds')],
        ['chargeCustomerFail', true, false, declined('card_declined', 'generic_decline')],
        ['chargeDeclinedExpiredCard', false, false, declined('expired_card', 'expired_card')],
        ['chargeDeclinedIncorrectCvc', false, false, declined('incorrect_cvc', 'incorrect_cvc')],
        ['chargeDeclinedProcessingError', false, false, declined('processing_error', 'processing_error')],
        ['radarBlock', true, false, declined('card_declined', 'fraudulent')],
        ['authenticationRequired', true, false, action],
        ['authenticationRequired', false, false, action],
        ['authenticationRequired', false, true, ok],
        ['authenticationRequiredOnSetup', false, false, action],
        ['authenticationRequiredOnSetup', true, false, ok],
        ['threeDSecure2Required', true, false, action],
        ['authenticationRequiredChargeDeclinedInsufficientFunds', false, false, action],
        ['authenticationRequiredChargeDeclinedInsufficientFunds', false, true, declined('card_declined', 'insufficient_funds')],
      ];
      for (const [name, offSession, authenticated, expected] of cases) {
        const got = await outcome(name, offSession, authenticated);
        const { message, ...rest } = got as { message?: string };
        assert.deepEqual(rest, expected, `${name} offSession=${offSession} authenticated=${authenticated}`);
        if (got.outcome === 'declined') assert.ok(message && message.length > 0);
      }

      const live = await server.live.paymentMethods.create({ type: 'card', card: { number: nonTestCardNumber(), exp_month: 1, exp_year: 2031 } });
      const liveOutcome = await chargeCard(ctx(true), live.id, 2000, 'usd', { offSession: true });
      assert.equal(liveOutcome.outcome, 'declined');
      assert.match((liveOutcome as { message: string }).message, /No live payment processor is configured/);

      const customer = await stripe.customers.create();
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await rejects(chargeCard(ctx(), pm.id, 0, 'usd', { offSession: true }), { status: 400, param: 'amount' });
      await rejects(chargeCard(ctx(), pm.id, 100, 'USD!', { offSession: true }), { status: 400, param: 'currency' });
      await rejects(chargeCard(ctx(), 'pm_nope', 100, 'usd', { offSession: true }), { status: 404 });
      await rejects(chargeCard(ctx(true), pm.id, 100, 'usd', { offSession: true }), { status: 404 });
      await stripe.paymentMethods.detach(pm.id);
      await rejects(chargeCard(ctx(), pm.id, 100, 'usd', { offSession: true }), { status: 400, message: /may not be used again/ });
    });
  });
}
