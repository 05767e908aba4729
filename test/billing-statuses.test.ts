/**
 * Subscription statuses beyond the happy path, on test clocks, on every database: the end of dunning
 * as the account's billing setting decides (`unpaid`, `past_due`, cancel), `send_invoice` due dates
 * (`invoice.overdue`), and `paused` at a trial end without payment method with `/resume`. Amounts are
 * worked out by hand beside each assertion; periods are half-open and prorations are amount ×
 * remaining seconds / period seconds, rounded half up.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type Stripe from 'stripe';
import { DEFAULT_BILLING_SETTINGS, updateBillingSettings, type BillingSettingsUpdate } from '../src/billing/account-settings.ts';
import type { Ctx } from '../src/storage/context.ts';
import { fails, failsInDomain } from './support/assertions.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, useTestServer } from './support/suite.ts';

const DAY = 86_400;
const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const JAN15 = JAN1 + 14 * DAY; // 2027-01-15
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z
const MAR1 = 1_803_859_200; // 2027-03-01T00:00:00Z
// A failed renewal on Feb 1 is retried 3, 5 and 7 days later: Feb 4, Feb 9, Feb 16 (the 4th and last).
const LAST_RETRY = FEB1 + 15 * DAY;

type AnyEvent = { type: string; data: { object: any; previous_attributes?: any } };

for (const db of storageCases()) {
  describe(`subscription statuses on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const inTx = <T>(fn: (ctx: Ctx) => Promise<T>): Promise<T> =>
      server.portico.storage.db
        .transaction()
        .execute((tx) => fn({ db: tx, livemode: false, clock: server.clock, request: { id: null, idempotencyKey: null } }));
    const settings = (patch: BillingSettingsUpdate) => inTx((ctx) => updateBillingSettings(ctx, patch));
    afterEach(() => settings(DEFAULT_BILLING_SETTINGS));

    async function price(unit: number, name = `Plan ${unit}`) {
      return stripe.prices.create({ currency: 'usd', unit_amount: unit, recurring: { interval: 'month' }, product_data: { name } });
    }

    /** A clock at `frozen` and a customer on it, with `pm` as its default payment method (none: null). */
    const onClock = (pm: string | null = 'pm_card_visa', frozen = JAN1) => customerOnClock(server, frozen, pm);

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    const invoices = async (subscription: string) => (await stripe.invoices.list({ subscription, limit: 100 })).data.reverse();

    /** Events about `id`, oldest first (from the outbox: a 2027 clock is outside the API's 30 days). */
    async function events(id: string, type?: string): Promise<AnyEvent[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as AnyEvent).filter((e) => e.data.object.id === id && (type === undefined || e.type === type));
    }

    /** A $10.00/month subscription paid on Jan 1 whose card declines from then on. */
    async function failingRenewal() {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
      await stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });
      return { clock, customer, sub };
    }

    test('unpaid: the last retry fails, later renewals are drafts, paying the newest one reactivates', async () => {
      await settings({ subscription_payment_failed: 'unpaid' });
      const { clock, sub } = await failingRenewal();
      await advance(clock.id, LAST_RETRY + 60);
      let s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'unpaid');
      assert.equal(s.canceled_at, null);
      const feb = await stripe.invoices.retrieve(s.latest_invoice as string);
      // the Feb renewal (1000) stays open after its 4 attempts, with no attempt left
      assert.deepEqual([feb.status, feb.amount_remaining, feb.attempt_count, feb.next_payment_attempt], ['open', 1000, 4, null]);
      const toUnpaid = (await events(sub.id, 'customer.subscription.updated')).at(-1)!;
      assert.equal(toUnpaid.data.object.status, 'unpaid');
      assert.equal(toUnpaid.data.previous_attributes.status, 'past_due');
      assert.equal((await events(sub.id, 'customer.subscription.deleted')).length, 0);
      assert.ok((await stripe.subscriptions.list({ status: 'unpaid', limit: 100 })).data.some((x) => x.id === sub.id));

      await advance(clock.id, MAR1 + 60);
      s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'unpaid');
      const all = await invoices(sub.id);
      // create (paid 1000 at its 1st attempt), Feb (open 1000), Mar: a 1000 draft, neither finalized nor attempted
      assert.deepEqual(all.map((i) => [i.billing_reason, i.status, i.total, i.attempt_count]), [
        ['subscription_create', 'paid', 1000, 1],
        ['subscription_cycle', 'open', 1000, 4],
        ['subscription_cycle', 'draft', 1000, 0],
      ]);
      const mar = all[2]!;
      assert.equal(mar.auto_advance, false);
      assert.equal(s.latest_invoice, mar.id);
      assert.equal(s.items.data[0]!.current_period_start, MAR1);

      // Paying the most recent invoice (finalized by /pay) returns the subscription to active.
      const paid = await stripe.invoices.pay(mar.id, { payment_method: 'pm_card_visa' });
      assert.deepEqual([paid.status, paid.amount_paid], ['paid', 1000]);
      s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'active');
      const reactivated = (await events(sub.id, 'customer.subscription.updated')).at(-1)!;
      assert.equal(reactivated.data.previous_attributes.status, 'unpaid');
      assert.equal((await stripe.invoices.retrieve(feb.id)).status, 'open');
    });

    test('unpaid: paying the open invoice with a new card before the next renewal reactivates', async () => {
      await settings({ subscription_payment_failed: 'unpaid' });
      const { clock, sub } = await failingRenewal();
      await advance(clock.id, LAST_RETRY + 60);
      const open = (await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string;
      await stripe.invoices.pay(open, { payment_method: 'pm_card_visa' });
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
      // back to normal: no unpaid drafts any more (the Mar renewal is charged, on the failing card: past_due)
      await advance(clock.id, MAR1 + 60);
      const mar = (await invoices(sub.id)).at(-1)!;
      assert.deepEqual([mar.status, mar.attempt_count], ['open', 1]);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'past_due');
    });

    test('unpaid: a deleted renewal draft is forgotten, the next renewal is awaited instead', async () => {
      await settings({ subscription_payment_failed: 'unpaid' });
      const { clock, sub } = await failingRenewal();
      await advance(clock.id, MAR1 + 60);
      const mar = (await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string;
      assert.equal((await stripe.invoices.retrieve(mar)).status, 'draft');
      await stripe.invoices.del(mar);
      const APR1 = MAR1 + 31 * DAY;
      await advance(clock.id, APR1 + 60); // the clock copes with the missing draft
      const s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'unpaid');
      const apr = await stripe.invoices.retrieve(s.latest_invoice as string);
      assert.deepEqual([apr.status, apr.period_start, apr.total], ['draft', APR1, 1000]);
      await stripe.invoices.pay(apr.id, { payment_method: 'pm_card_visa' });
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
    });

    test('past_due: the subscription is left past_due after the last retry; paying the invoice reactivates', async () => {
      await settings({ subscription_payment_failed: 'past_due' });
      const { clock, sub } = await failingRenewal();
      await advance(clock.id, LAST_RETRY + 60);
      const s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'past_due');
      const inv = await stripe.invoices.retrieve(s.latest_invoice as string);
      assert.deepEqual([inv.status, inv.attempt_count, inv.next_payment_attempt], ['open', 4, null]);
      // No more hourly checks while nothing is left to attempt: the next due time is the Mar 1 renewal's
      // invoice.upcoming notice, three days before it (a past_due subscription still renews).
      const row = await server.portico.storage.db.selectFrom('objects').select('due_at').where('id', '=', sub.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.due_at), MAR1 - 3 * DAY);
      await advance(clock.id, LAST_RETRY + 2 * DAY);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'past_due');
      await stripe.invoices.pay(inv.id, { payment_method: 'pm_card_visa' });
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
    });

    test('the default is still to cancel (reason payment_failed); the setting is validated', async () => {
      const { clock, sub } = await failingRenewal();
      await advance(clock.id, LAST_RETRY + 60);
      const s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'canceled');
      assert.equal(s.cancellation_details?.reason, 'payment_failed');
      assert.equal((await events(sub.id, 'customer.subscription.deleted')).length, 1);
      await failsInDomain(settings({ subscription_payment_failed: 'pause' as any }), { status: 400, param: 'subscription_payment_failed' });
      await failsInDomain(settings({ send_invoice_overdue: { days_after_due: -1 } }), { status: 400, param: 'send_invoice_overdue[days_after_due]' });
    });

    test('send_invoice: due_date, nothing charged, invoice.overdue once at the due date, past_due, paid → active', async () => {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: p.id }],
        collection_method: 'send_invoice',
        days_until_due: 7,
      });
      assert.equal(sub.status, 'active');
      const inv = await stripe.invoices.retrieve(sub.latest_invoice as string);
      // finalized Jan 1 + 7 days; the customer's card is never charged
      assert.deepEqual([inv.status, inv.due_date, inv.amount_due, inv.amount_paid, inv.attempt_count], ['open', JAN1 + 7 * DAY, 1000, 0, 0]);
      await advance(clock.id, JAN1 + 7 * DAY - 60);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
      assert.equal((await events(inv.id, 'invoice.overdue')).length, 0);
      await advance(clock.id, JAN1 + 7 * DAY + 60);
      const overdue = await events(inv.id, 'invoice.overdue');
      assert.equal(overdue.length, 1);
      assert.equal(overdue[0]!.data.object.status, 'open');
      const s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'past_due');
      assert.equal((await events(sub.id, 'customer.subscription.updated')).at(-1)!.data.previous_attributes.status, 'active');
      await advance(clock.id, JAN1 + 12 * DAY);
      assert.equal((await events(inv.id, 'invoice.overdue')).length, 1, 'invoice.overdue is sent once');
      await stripe.invoices.pay(inv.id, { payment_method: 'pm_card_visa' });
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
      // The Feb renewal is sent, not charged: open with its own due date.
      await advance(clock.id, FEB1 + 60);
      const feb = (await invoices(sub.id)).at(-1)!;
      assert.deepEqual([feb.billing_reason, feb.status, feb.attempt_count, feb.due_date], ['subscription_cycle', 'open', 0, FEB1 + 7 * DAY]);
    });

    test('send_invoice overdue: unpaid after days_after_due; the default cancels after 30 days', async () => {
      await settings({ send_invoice_overdue: { action: 'unpaid', days_after_due: 5 } });
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const create = () =>
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], collection_method: 'send_invoice', days_until_due: 7 });
      const unpaid = await create();
      // due Jan 8 (Jan 1 + 7 days), + 5 days of grace: unpaid on Jan 13 (Jan 1 + 12 days)
      await advance(clock.id, JAN1 + 12 * DAY - 60);
      assert.equal((await stripe.subscriptions.retrieve(unpaid.id)).status, 'past_due');
      await advance(clock.id, JAN1 + 12 * DAY + 60);
      assert.equal((await stripe.subscriptions.retrieve(unpaid.id)).status, 'unpaid');
      await advance(clock.id, FEB1 + 60);
      assert.equal((await invoices(unpaid.id)).at(-1)!.status, 'draft');

      await settings(DEFAULT_BILLING_SETTINGS);
      const canceled = await create(); // at the clock's Feb 1 + 60 s: due 7 days later, canceled 30 days after that
      const created = FEB1 + 60;
      assert.equal(canceled.start_date, created);
      await advance(clock.id, created + 7 * DAY + 60);
      assert.equal((await stripe.subscriptions.retrieve(canceled.id)).status, 'past_due');
      await advance(clock.id, created + 37 * DAY - 60);
      assert.equal((await stripe.subscriptions.retrieve(canceled.id)).status, 'past_due');
      await advance(clock.id, created + 37 * DAY + 60);
      const ended = await stripe.subscriptions.retrieve(canceled.id);
      assert.equal(ended.status, 'canceled');
      assert.equal(ended.ended_at, created + 37 * DAY);
      assert.equal(ended.cancellation_details?.reason, 'payment_failed');
    });

    test('paused at trial end without a payment method: no invoice, not renewed, resumed now', async () => {
      const { clock, customer } = await onClock(null);
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: p.id }],
        trial_period_days: 14,
        trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
      });
      assert.equal(sub.trial_settings?.end_behavior.missing_payment_method, 'pause');
      await advance(clock.id, JAN15 + 60);
      let s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'paused');
      assert.equal((await events(sub.id, 'customer.subscription.paused')).length, 1);
      assert.ok((await stripe.subscriptions.list({ status: 'paused', customer: customer.id })).data.some((x) => x.id === sub.id));
      assert.equal((await events(sub.id, 'customer.subscription.updated')).at(-1)!.data.previous_attributes.status, 'trialing');
      await advance(clock.id, MAR1 + 60);
      s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'paused');
      assert.deepEqual((await invoices(sub.id)).map((i) => i.total), [0]); // only the $0 trial invoice

      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      // the anchor is a word or `[type]` (what stripe-node 23 sends); anything else names its param
      const bad = await rawRequest(server, 'POST', `/v1/subscriptions/${sub.id}/resume`, 'billing_cycle_anchor=sometimes');
      assert.equal(bad.status, 400);
      assert.deepEqual([bad.json.error.type, bad.json.error.param], ['invalid_request_error', 'billing_cycle_anchor']);
      const badType = await rawRequest(server, 'POST', `/v1/subscriptions/${sub.id}/resume`, 'billing_cycle_anchor[type]=later');
      assert.deepEqual([badType.status, badType.json.error.param], [400, 'billing_cycle_anchor[type]']);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'paused');
      const resumed = await stripe.subscriptions.resume(sub.id);
      // billing_cycle_anchor=now (default): a new period from Mar 1 (+60 s), billed in full (1000) at once
      assert.equal(resumed.status, 'active');
      assert.equal(resumed.billing_cycle_anchor, MAR1 + 60);
      assert.equal(resumed.items.data[0]!.current_period_start, MAR1 + 60);
      const inv = await stripe.invoices.retrieve(resumed.latest_invoice as string);
      assert.deepEqual([inv.status, inv.amount_paid], ['paid', 1000]);
      assert.equal((await events(sub.id, 'customer.subscription.resumed')).length, 1);
      assert.equal((await events(sub.id, 'customer.subscription.updated')).at(-1)!.data.previous_attributes.status, 'paused');
      await fails(stripe.subscriptions.resume(sub.id), { status: 400, code: 'subscription_not_paused', message: /paused/ });
      await fails(stripe.subscriptions.resume('sub_nope'), { status: 404, param: 'id', code: 'resource_missing' });
    });

    test('resume with billing_cycle_anchor unchanged prorates the rest of the period', async () => {
      const { clock, customer } = await onClock(null);
      const p = await price(1000);
      const trial = { trial_period_days: 14, trial_settings: { end_behavior: { missing_payment_method: 'pause' as const } } };
      const a = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], ...trial });
      const b = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], ...trial });
      await advance(clock.id, FEB1);
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      await fails(
        stripe.subscriptions.resume(a.id, { billing_cycle_anchor: { type: 'unchanged' }, proration_date: JAN1 }),
        { status: 400, param: 'proration_date' },
      );
      // The anchor stays Jan 15: the period Jan 15 → Feb 15 (31 days) contains Feb 1; 14 days remain.
      // 1000 × 14/31 = 451.61 → 452
      const invoiced = await stripe.subscriptions.resume(a.id, { billing_cycle_anchor: { type: 'unchanged' }, proration_behavior: 'always_invoice' });
      assert.equal(invoiced.status, 'active');
      assert.equal(invoiced.billing_cycle_anchor, JAN15);
      assert.deepEqual([invoiced.items.data[0]!.current_period_start, invoiced.items.data[0]!.current_period_end], [JAN15, JAN15 + 31 * DAY]);
      const now = await stripe.invoices.retrieve(invoiced.latest_invoice as string);
      assert.deepEqual([now.total, now.amount_paid, now.lines.data[0]!.description], [452, 452, 'Remaining time on Plan 1000 after 01 Feb 2027']);
      // create_prorations: the same 452 waits for the Feb 15 renewal: 1000 + 452 = 1452
      const pending = await stripe.subscriptions.resume(b.id, { billing_cycle_anchor: { type: 'unchanged' } });
      assert.equal(pending.status, 'active');
      await advance(clock.id, JAN15 + 31 * DAY + 60);
      assert.deepEqual((await invoices(b.id)).map((i) => [i.total, i.amount_paid]), [[0, 0], [1452, 1452]]);
    });

    test('resume_on_payment_success keeps a declined resumption paused until its invoice is paid', async () => {
      const { clock, customer } = await onClock(null);
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], trial_period_days: 14 });
      // set on update this time
      const set = await stripe.subscriptions.update(sub.id, { trial_settings: { end_behavior: { missing_payment_method: 'pause' } } });
      assert.equal(set.trial_settings?.end_behavior.missing_payment_method, 'pause');
      await advance(clock.id, JAN15 + 60);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'paused');
      const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: failing.id } });
      const still = await stripe.subscriptions.resume(sub.id, { payment_behavior: 'resume_on_payment_success' });
      assert.equal(still.status, 'paused');
      const inv = await stripe.invoices.retrieve(still.latest_invoice as string);
      // a full new period from Jan 15 (+60 s): 1000, refused once
      assert.deepEqual([inv.status, inv.amount_remaining, inv.attempt_count], ['open', 1000, 1]);
      assert.equal((await events(sub.id, 'customer.subscription.resumed')).length, 0);
      await stripe.invoices.pay(inv.id, { payment_method: 'pm_card_visa' });
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
      assert.equal((await events(sub.id, 'customer.subscription.resumed')).length, 1);

      // resume_on_payment_attempt (the default): a refusal resumes it past_due
      const other = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: p.id }],
        trial_period_days: 1,
        default_payment_method: failing.id,
        trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
      });
      await stripe.subscriptions.update(other.id, { default_payment_method: '' });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: '' } });
      await advance(clock.id, JAN15 + 2 * DAY);
      assert.equal((await stripe.subscriptions.retrieve(other.id)).status, 'paused');
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: failing.id } });
      const pastDue = await stripe.subscriptions.resume(other.id);
      assert.equal(pastDue.status, 'past_due');
      // deleting the customer ends a paused subscription too
      const third = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: p.id }],
        trial_period_days: 1,
        trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
      });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: '' } });
      await advance(clock.id, JAN15 + 4 * DAY);
      assert.equal((await stripe.subscriptions.retrieve(third.id)).status, 'paused');
      await stripe.customers.del(customer.id);
      assert.equal((await stripe.subscriptions.retrieve(third.id)).status, 'canceled');
    });

    test('trial end without a payment method: cancel ends it; a payment method ends the trial as usual', async () => {
      const { clock, customer } = await onClock(null);
      const p = await price(1000);
      const canceled = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: p.id }],
        trial_period_days: 14,
        trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
      });
      const { customer: paying, clock: clock2 } = await onClock();
      const normal = await stripe.subscriptions.create({
        customer: paying.id,
        items: [{ price: p.id }],
        trial_period_days: 14,
        trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
      });
      await advance(clock.id, JAN15 + 60);
      await advance(clock2.id, JAN15 + 60);
      const ended = await stripe.subscriptions.retrieve(canceled.id);
      assert.deepEqual([ended.status, ended.ended_at], ['canceled', JAN15]);
      assert.equal((await events(canceled.id, 'customer.subscription.deleted')).length, 1);
      assert.equal((await invoices(canceled.id)).length, 1);
      const active = await stripe.subscriptions.retrieve(normal.id);
      assert.equal(active.status, 'active');
      assert.equal((await invoices(normal.id)).at(-1)!.amount_paid, 1000);
      await fails(
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], trial_settings: { end_behavior: { missing_payment_method: 'stop' as any } } }),
        { status: 400, param: 'trial_settings[end_behavior][missing_payment_method]' },
      );
    });
  });
}
