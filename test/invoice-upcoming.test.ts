/**
 * `invoice.upcoming` on test clocks, on every database: sent `upcoming_renewal_days` (default 3)
 * before each automatically charged renewal, once, with the invoice the renewal will make (pending
 * items included); none for a subscription that will not renew that way; trials too.
 *
 * Dates: Jan 1 2031 00:00 UTC; January has 31 days, so the first renewal is Feb 1 and its notice
 * Jan 29 (Feb 1 − 3 days); the second renewal is Mar 1 (February 2031 has 28 days).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type Stripe from 'stripe';
import { DEFAULT_BILLING_SETTINGS, updateBillingSettings, type BillingSettingsUpdate } from '../src/billing/account-settings.ts';
import type { Ctx } from '../src/storage/context.ts';
import type { TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, useTestServer } from './support/suite.ts';

const DAY = 86_400;
const JAN1 = 1_924_992_000; // 2031-01-01T00:00:00Z
const FEB1 = JAN1 + 31 * DAY;
const MAR1 = FEB1 + 28 * DAY;
const APR1 = MAR1 + 31 * DAY;

type Upcoming = { created: number; data: { object: Stripe.Invoice } };

for (const db of storageCases()) {
  describe(`invoice.upcoming on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const settings = (patch: BillingSettingsUpdate) =>
      server.portico.storage.db.transaction().execute((tx) => {
        const ctx: Ctx = { db: tx, livemode: false, clock: server.clock, request: { id: null, idempotencyKey: null } };
        return updateBillingSettings(ctx, patch);
      });
    afterEach(() => settings(DEFAULT_BILLING_SETTINGS));

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    /** The `invoice.upcoming` events of `subscription`, oldest first (from the outbox). */
    async function upcoming(subscription: string): Promise<Upcoming[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).where('type', '=', 'invoice.upcoming').orderBy('seq').execute();
      return rows.map((r) => r.data as Upcoming).filter((e) => e.data.object.parent?.subscription_details?.subscription === subscription);
    }

    async function monthly(unit = 2000, params: Partial<Stripe.SubscriptionCreateParams> = {}) {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: unit, recurring: { interval: 'month' }, product_data: { name: 'Team' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], ...params });
      return { clock, customer, sub, price };
    }

    test('three days before each renewal, once, with what the renewal will charge (pending items included)', async () => {
      const { clock, customer, sub } = await monthly(2000);
      await stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'usd', description: 'Extra seats', subscription: sub.id });
      await advance(clock.id, FEB1 - 3 * DAY - 1);
      assert.equal((await upcoming(sub.id)).length, 0, 'not before Jan 29');
      await advance(clock.id, FEB1 - 3 * DAY);
      const [notice] = await upcoming(sub.id);
      assert.ok(notice);
      assert.equal(notice.created, FEB1 - 3 * DAY);
      const preview = notice.data.object;
      assert.match(preview.id!, /^upcoming_in_/);
      assert.equal(preview.status, 'draft');
      assert.equal(preview.customer, customer.id);
      assert.equal(preview.billing_reason, 'subscription_cycle');
      assert.equal(preview.collection_method, 'charge_automatically');
      assert.deepEqual([preview.period_start, preview.period_end], [FEB1, MAR1]);
      // $20.00 for Feb 1 – Mar 1 plus the pending $5.00 item.
      assert.deepEqual(preview.lines.data.map((l) => l.amount).sort((a, b) => a - b), [500, 2000]);
      assert.equal(preview.total, 2500);
      // Nothing was stored for the preview.
      await assert.rejects(stripe.invoices.retrieve(preview.id!), (e: any) => e.statusCode === 404);

      // The renewal charges what the notice said, and no second notice is sent for it.
      await advance(clock.id, FEB1);
      const renewal = await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string);
      assert.deepEqual([renewal.billing_reason, renewal.total, renewal.status], ['subscription_cycle', 2500, 'paid']);
      assert.equal((await upcoming(sub.id)).length, 1);

      // Mar 1's notice on Feb 26, for $20.00 (the item went with February's invoice).
      await advance(clock.id, MAR1 - 3 * DAY);
      const notices = await upcoming(sub.id);
      assert.deepEqual(notices.map((e) => e.created), [FEB1 - 3 * DAY, MAR1 - 3 * DAY]);
      assert.equal(notices[1]!.data.object.total, 2000);
      assert.deepEqual([notices[1]!.data.object.period_start, notices[1]!.data.object.period_end], [MAR1, APR1]);
    });

    test('upcoming_renewal_days sets the notice period; it applies from the next renewal planned', async () => {
      await assert.rejects(settings({ upcoming_renewal_days: 10 }), (e: any) => e.status === 400 && e.body.param === 'upcoming_renewal_days');
      await settings({ upcoming_renewal_days: 7 });
      const { clock, sub } = await monthly(1000);
      await advance(clock.id, FEB1 - 7 * DAY - 1);
      assert.equal((await upcoming(sub.id)).length, 0);
      await advance(clock.id, FEB1 - 7 * DAY);
      assert.deepEqual((await upcoming(sub.id)).map((e) => e.created), [FEB1 - 7 * DAY]);
    });

    test('none for a subscription that will not be charged automatically at the renewal', async () => {
      const canceling = await monthly(1000);
      await stripe.subscriptions.update(canceling.sub.id, { cancel_at_period_end: true });
      const invoiced = await monthly(1000, { collection_method: 'send_invoice', days_until_due: 30 });
      await advance(canceling.clock.id, FEB1 + 60);
      await advance(invoiced.clock.id, FEB1 + 60);
      assert.equal((await upcoming(canceling.sub.id)).length, 0, 'it ends at the period end');
      assert.equal((await stripe.subscriptions.retrieve(canceling.sub.id)).status, 'canceled');
      assert.equal((await upcoming(invoiced.sub.id)).length, 0, 'send_invoice');
    });

    test('a trial gets its notice three days before the trial ends, with trial_will_end', async () => {
      const { clock, sub } = await monthly(3000, { trial_period_days: 14 });
      const trialEnd = JAN1 + 14 * DAY;
      await advance(clock.id, trialEnd - 3 * DAY);
      const [notice] = await upcoming(sub.id);
      assert.ok(notice);
      assert.equal(notice.created, trialEnd - 3 * DAY);
      // The first paid period starts at the trial end: $30.00 for Jan 15 – Feb 15.
      assert.deepEqual([notice.data.object.period_start, notice.data.object.period_end, notice.data.object.total], [trialEnd, trialEnd + 31 * DAY, 3000]);
      const types = (await server.portico.storage.db.selectFrom('events').select(['type', 'created']).where('type', '=', 'customer.subscription.trial_will_end').execute()).filter(
        (e) => e.created === trialEnd - 3 * DAY,
      );
      assert.equal(types.length, 1);
    });
  });
}
