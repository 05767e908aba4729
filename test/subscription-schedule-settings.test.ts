/**
 * Subscription schedules' `default_settings` and `billing_mode`, and the `canceled_at`,
 * `completed_at`, `released_at` list filters, through the SDK.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import { customerOnClock, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const MONTH = 31 * 86_400;

for (const db of storageCases()) {
  describe(`subscription schedule settings on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const monthly = (amount: number) =>
      stripe.prices.create({ currency: 'usd', unit_amount: amount, recurring: { interval: 'month' }, product_data: { name: `Plan ${amount}` } });

    test('default_settings shape the subscription, and changes reach it', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      const price = await monthly(1000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        start_date: 'now',
        billing_mode: { type: 'classic' },
        default_settings: { collection_method: 'send_invoice', invoice_settings: { days_until_due: 14 }, description: 'Annual contract', automatic_tax: { enabled: false } },
        phases: [{ items: [{ price: price.id }], end_date: JAN1 + MONTH }],
      });
      assert.equal(sched.default_settings.collection_method, 'send_invoice');
      assert.equal(sched.default_settings.invoice_settings.days_until_due, 14);
      assert.equal(sched.default_settings.description, 'Annual contract');
      assert.deepEqual(sched.billing_mode, { flexible: null, type: 'classic' });
      const sub = await stripe.subscriptions.retrieve(sched.subscription as string);
      assert.equal(sub.collection_method, 'send_invoice');
      assert.equal(sub.days_until_due, 14);
      assert.equal(sub.description, 'Annual contract');

      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      const updated = await stripe.subscriptionSchedules.update(sched.id, { default_settings: { collection_method: 'charge_automatically', default_payment_method: pm.id, description: '' } });
      assert.equal(updated.default_settings.collection_method, 'charge_automatically');
      assert.equal(updated.default_settings.invoice_settings.days_until_due, null);
      assert.equal(updated.default_settings.description, null);
      const after = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(after.collection_method, 'charge_automatically');
      assert.equal(after.days_until_due, null);
      assert.equal(after.default_payment_method, pm.id);
      assert.equal(after.description, null);
    });

    test('switching to charge_automatically needs days_until_due cleared; refusals name the parameter', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      const price = await monthly(2000);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        start_date: 'now',
        default_settings: { description: 'Before' },
        phases: [{ items: [{ price: price.id }], end_date: JAN1 + MONTH }],
      });
      const updated = await stripe.subscriptionSchedules.update(sched.id, { default_settings: { description: 'After' } });
      assert.equal(updated.default_settings.description, 'After');
      assert.equal((await stripe.subscriptions.retrieve(sched.subscription as string)).description, 'After');
      await fails(stripe.subscriptionSchedules.update(sched.id, { default_settings: { collection_method: 'send_invoice' } }), { status: 400, param: 'default_settings[invoice_settings][days_until_due]' });
      await fails(stripe.subscriptionSchedules.update(sched.id, { default_settings: { automatic_tax: { enabled: true } } }), { status: 400, param: 'default_settings[automatic_tax][enabled]', message: /not supported/ });
      await fails(stripe.subscriptionSchedules.update(sched.id, { default_settings: { billing_cycle_anchor: 'phase_start' } }), { status: 400, param: 'default_settings[billing_cycle_anchor]' });
      await fails(stripe.subscriptionSchedules.update(sched.id, { default_settings: { default_payment_method: 'pm_nope' } }), { status: 404, param: 'default_settings[default_payment_method]' });
      await fails(stripe.subscriptionSchedules.create({ customer: customer.id, pause_schedules: [{ start_date: JAN1 }] as any, phases: [{ items: [{ price: price.id }], end_date: JAN1 + MONTH }] }), { status: 400, param: 'pause_schedules', code: 'parameter_unsupported' });
      await fails(stripe.subscriptionSchedules.create({ customer: customer.id, phases: [{ items: [{ price: price.id }], end_date: JAN1 + MONTH, automatic_tax: { enabled: true } }] }), { status: 400, param: 'phases[0][automatic_tax][enabled]', code: 'parameter_unsupported' });
      const noTax = await stripe.subscriptionSchedules.create({ customer: customer.id, start_date: JAN1 + MONTH, phases: [{ items: [{ price: price.id }], end_date: JAN1 + 2 * MONTH, automatic_tax: { enabled: false } }] });
      assert.equal(noTax.status, 'not_started');
      await fails(stripe.subscriptionSchedules.create({ customer: customer.id, billing_mode: { type: 'flexible' }, phases: [{ items: [{ price: price.id }], end_date: JAN1 + MONTH }] }), { status: 400, param: 'billing_mode[type]' });
      await fails(stripe.subscriptionSchedules.create({ customer: customer.id, default_settings: { bogus: 1 } as any, phases: [{ items: [{ price: price.id }], end_date: JAN1 + MONTH }] }), { status: 400, param: 'default_settings[bogus]', code: 'parameter_unknown' });
    });

    test('list filters canceled_at, completed_at and released_at', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      const price = await monthly(3000);
      const make = () => stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: price.id }], end_date: JAN1 + MONTH }] });
      const released = await stripe.subscriptionSchedules.release((await make()).id);
      const canceled = await stripe.subscriptionSchedules.cancel((await make()).id);
      const open = await make();
      assert.equal(released.released_at, JAN1);
      assert.equal(canceled.canceled_at, JAN1);
      const ids = async (q: Stripe.SubscriptionScheduleListParams) => (await stripe.subscriptionSchedules.list({ customer: customer.id, ...q })).data.map((s) => s.id);
      assert.deepEqual(await ids({ released_at: { gte: JAN1 } }), [released.id]);
      assert.deepEqual(await ids({ canceled_at: JAN1 }), [canceled.id]);
      assert.deepEqual(await ids({ canceled_at: { lt: JAN1 } }), []);
      assert.deepEqual(await ids({ completed_at: { gte: 0 } }), []);
      assert.deepEqual(await ids({}), [open.id, canceled.id, released.id]);
      await fails(stripe.subscriptionSchedules.list({ released_at: { gte: 'x' as any } }), { status: 400, param: 'released_at[gte]' });
    });
  });
}
