/**
 * `billing.feedback_option` through the SDK (`stripe.billing.feedbackOptions`): create, retrieve,
 * update, list by status, deactivate; configurations accept only active options of their mode; a
 * subscription keeps the chosen option in `cancellation_details.feedback_option`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe('billing.feedback_option', () => {
  let server: TestServer;
  let stripe: Stripe;
  before(async () => {
    server = await startTestServer();
    stripe = server.stripe;
  });
  after(async () => server?.close());

  test('create, retrieve, update, list by status, deactivate', async () => {
    const fo = await stripe.billing.feedbackOptions.create({ description: 'Moving to an in-house tool' });
    assert.match(fo.id, /^fo_/);
    assert.equal(fo.object, 'billing.feedback_option');
    assert.equal(fo.status, 'active');
    assert.equal(fo.livemode, false);
    assert.deepEqual(fo.status_transitions, { deactivated_at: null });
    assert.equal((await stripe.billing.feedbackOptions.retrieve(fo.id)).description, 'Moving to an in-house tool');
    const renamed = await stripe.billing.feedbackOptions.update(fo.id, { description: 'In-house tool' });
    assert.equal(renamed.description, 'In-house tool');
    const other = await stripe.billing.feedbackOptions.create({ description: 'Company closed' });
    const off = await stripe.billing.feedbackOptions.deactivate(other.id);
    assert.equal(off.status, 'inactive');
    assert.equal(off.status_transitions.deactivated_at, server.clock.now());
    const active = await stripe.billing.feedbackOptions.list({ status: 'active' });
    assert.ok(active.data.some((o) => o.id === fo.id) && !active.data.some((o) => o.id === other.id));
    const inactive = await stripe.billing.feedbackOptions.list({ status: 'inactive' });
    assert.deepEqual(inactive.data.map((o) => o.id), [other.id]);
    await fails(stripe.billing.feedbackOptions.create({ description: 'x'.repeat(101) }), { status: 400, param: 'description' });
    await fails(stripe.billing.feedbackOptions.create({} as never), { status: 400, param: 'description' });
    await fails(stripe.billing.feedbackOptions.retrieve('fo_missing'), { status: 404, param: 'id' });
    await fails(server.live.billing.feedbackOptions.retrieve(fo.id), { status: 404 });
  });

  test('configurations name only active options; subscriptions keep the chosen one', async () => {
    const fo = await stripe.billing.feedbackOptions.create({ description: 'Too slow' });
    const gone = await stripe.billing.feedbackOptions.create({ description: 'Old reason' });
    await stripe.billing.feedbackOptions.deactivate(gone.id);
    const base = { enabled: true, options: ['other' as const] };
    const config = await stripe.billingPortal.configurations.create({
      features: { subscription_cancel: { enabled: true, cancellation_reason: { ...base, feedback_options: [fo.id] } } },
    });
    assert.deepEqual(config.features.subscription_cancel.cancellation_reason.feedback_options, [fo.id]);
    await fails(
      stripe.billingPortal.configurations.create({ features: { subscription_cancel: { enabled: true, cancellation_reason: { ...base, feedback_options: [gone.id] } } } }),
      { status: 400, param: 'features[subscription_cancel][cancellation_reason][feedback_options][0]' },
    );
    await fails(
      stripe.billingPortal.configurations.create({ features: { subscription_cancel: { enabled: true, cancellation_reason: { ...base, feedback_options: ['fo_nope'] } } } }),
      { status: 404, param: 'features[subscription_cancel][cancellation_reason][feedback_options][0]' },
    );
    const customer = await stripe.customers.create({ email: 'fo@example.com' });
    await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const price = await stripe.prices.create({ currency: 'usd', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'P' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_payment_method: (await stripe.customers.listPaymentMethods(customer.id)).data[0]!.id });
    const updated = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true, cancellation_details: { feedback_option: fo.id } });
    assert.equal(updated.cancellation_details?.feedback_option, fo.id);
    await fails(stripe.subscriptions.update(sub.id, { cancellation_details: { feedback_option: gone.id } }), { status: 400, param: 'cancellation_details[feedback_option]' });
    const ended = await stripe.subscriptions.cancel(sub.id, { cancellation_details: { feedback_option: '' as never } });
    assert.equal(ended.cancellation_details?.feedback_option, null);
  });
});
