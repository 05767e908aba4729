/**
 * Billing scenarios on test clocks, on every database: each customer lives on a clock frozen at a fixed
 * date, the clock is advanced, and every amount is checked to the cent against a hand computation
 * written beside it. Periods are half-open [start, end); prorations are amount × remaining seconds /
 * period seconds, rounded half up per line.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const DAY = 86_400;
const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const JAN16 = 1_800_057_600; // 2027-01-16T00:00:00Z (15 days into a 31-day January)
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z
const MAR1 = 1_803_859_200; // 2027-03-01T00:00:00Z
const JAN1_2028 = 1_830_297_600; // 2028-01-01T00:00:00Z

for (const db of storageCases()) {
  describe(`billing scenarios on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function price(unit: number, opts: { interval?: 'month' | 'year'; currency?: string; name?: string; tax?: 'exclusive' | 'inclusive' } = {}) {
      return stripe.prices.create({
        currency: opts.currency ?? 'usd',
        unit_amount: unit,
        recurring: { interval: opts.interval ?? 'month' },
        product_data: { name: opts.name ?? `Plan ${unit}` },
        ...(opts.tax ? { tax_behavior: opts.tax } : {}),
      });
    }

    /** A clock at `frozen`, a customer on it with `pm` attached as its default. */
    const onClock = async (pm = 'pm_card_visa', frozen = JAN1) => {
      const made = await customerOnClock(server, frozen, pm);
      return { ...made, pm: made.pm! };
    };

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    async function invoices(subscription: string) {
      return (await stripe.invoices.list({ subscription, limit: 100 })).data.reverse();
    }

    /** Event types about `id`, oldest first (read from the outbox: events on a 2027 clock are outside the API's 30-day window). */
    async function eventTypes(id: string): Promise<string[]> {
      const rows = await server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq').execute();
      return rows.map((r) => r.data as any).filter((e) => e.data.object.id === id).map((e) => e.type);
    }

    const lineAmounts = (inv: Stripe.Invoice) => inv.lines.data.map((l) => l.amount);

    test('a monthly subscription renews once per period and charges each renewal', async () => {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      assert.equal(sub.status, 'active');
      assert.equal(sub.start_date, JAN1);
      assert.equal(sub.items.data[0]!.current_period_start, JAN1);
      assert.equal(sub.items.data[0]!.current_period_end, FEB1);
      await advance(clock.id, MAR1 + 10);
      const all = await invoices(sub.id);
      // create (Jan) + cycle (Feb 1) + cycle (Mar 1): $10.00 each
      assert.deepEqual(all.map((i) => [i.billing_reason, i.status, i.amount_paid]), [
        ['subscription_create', 'paid', 1000],
        ['subscription_cycle', 'paid', 1000],
        ['subscription_cycle', 'paid', 1000],
      ]);
      const after = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(after.status, 'active');
      assert.equal(after.items.data[0]!.current_period_start, MAR1);
      assert.equal(after.latest_invoice, all[2]!.id);
      // one billing_periods row per invoiced period, naming its invoice (the exactly-once guard)
      const periods = await server.portico.storage.db
        .selectFrom('billing_periods')
        .select(['period_start', 'invoice'])
        .where('subscription', '=', sub.id)
        .orderBy('period_start')
        .execute();
      assert.deepEqual(periods.map((r) => [Number(r.period_start), r.invoice]), [
        [JAN1, all[0]!.id],
        [FEB1, all[1]!.id],
        [MAR1, all[2]!.id],
      ]);
      // a second insert for a period already invoiced is refused by the primary key
      await assert.rejects(
        server.portico.storage.db
          .insertInto('billing_periods')
          .values({ livemode: false, subscription: sub.id, period_start: FEB1, invoice: 'in_dup', created: FEB1 })
          .execute(),
      );
    });

    // One 31-day January period is 2,678,400 s; from Jan 16 to Feb 1 remains 16 days: a share of 16/31.

    test('mid-cycle upgrade with create_prorations: credit and charge wait for the renewal', async () => {
      const { clock, customer } = await onClock();
      const basic = await price(1000, { name: 'Basic' });
      const pro = await price(3000, { name: 'Pro' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
      await advance(clock.id, JAN16);
      const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: pro.id }] });
      assert.equal(updated.items.data[0]!.id, sub.items.data[0]!.id);
      assert.equal(updated.items.data[0]!.price.id, pro.id);
      const pending = (await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.reverse();
      // −1000 × 16/31 = −516.13 → −516 ; 3000 × 16/31 = 1548.39 → 1548
      assert.deepEqual(pending.map((i) => [i.amount, i.proration, i.description]), [
        [-516, true, 'Unused time on Basic after 16 Jan 2027'],
        [1548, true, 'Remaining time on Pro after 16 Jan 2027'],
      ]);
      await advance(clock.id, FEB1 + 60);
      const renewal = (await invoices(sub.id))[1]!;
      // next period at the new price 3000, plus the prorations: 3000 − 516 + 1548 = 4032
      assert.equal(renewal.billing_reason, 'subscription_cycle');
      assert.deepEqual(lineAmounts(renewal).sort((a, b) => a - b), [-516, 1548, 3000]);
      assert.equal(renewal.total, 4032);
      assert.equal(renewal.amount_paid, 4032);
    });

    test('mid-cycle upgrade with always_invoice charges the difference at once; none bills nothing', async () => {
      const { clock, customer } = await onClock();
      const basic = await price(1000, { name: 'Basic' });
      const pro = await price(3000, { name: 'Pro' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
      await advance(clock.id, JAN16);
      const item = sub.items.data[0]!.id;
      const preview = await stripe.invoices.createPreview({
        subscription: sub.id,
        subscription_details: { items: [{ id: item, price: pro.id }], proration_behavior: 'always_invoice' },
      });
      const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: item, price: pro.id }], proration_behavior: 'always_invoice' });
      const now = await stripe.invoices.retrieve(updated.latest_invoice as string);
      // −516 + 1548 = 1032, charged now
      assert.equal(now.billing_reason, 'subscription_update');
      assert.deepEqual(lineAmounts(now), [-516, 1548]);
      assert.equal(now.amount_paid, 1032);
      assert.equal(now.status, 'paid');
      // The preview was computed by the same function: same lines, same amounts.
      assert.deepEqual(preview.lines.data.map((l) => [l.amount, l.description]), now.lines.data.map((l) => [l.amount, l.description]));
      assert.equal(preview.total, now.total);

      // none: back to Basic without any proration; the renewal bills Basic only (1000)
      await stripe.subscriptions.update(sub.id, { items: [{ id: item, price: basic.id }], proration_behavior: 'none' });
      assert.equal((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.length, 0);
      await advance(clock.id, FEB1 + 60);
      const renewal = (await invoices(sub.id)).at(-1)!;
      assert.equal(renewal.billing_reason, 'subscription_cycle');
      assert.equal(renewal.total, 1000);
    });

    test('mid-cycle downgrade with always_invoice leaves a credit that pays the next renewal', async () => {
      const { clock, customer } = await onClock();
      const basic = await price(1000, { name: 'Basic' });
      const pro = await price(3000, { name: 'Pro' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
      await advance(clock.id, JAN16);
      const updated = await stripe.subscriptions.update(sub.id, {
        items: [{ id: sub.items.data[0]!.id, price: basic.id }],
        proration_behavior: 'always_invoice',
      });
      const credit = await stripe.invoices.retrieve(updated.latest_invoice as string);
      // −3000 × 16/31 = −1548.39 → −1548 ; 1000 × 16/31 = 516.13 → 516 ; total −1032 → customer credit
      assert.deepEqual(lineAmounts(credit), [-1548, 516]);
      assert.equal(credit.total, -1032);
      assert.equal(credit.amount_due, 0);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).balance, -1032);
      await advance(clock.id, FEB1 + 60);
      const renewal = (await invoices(sub.id)).at(-1)!;
      // 1000 due, all of it taken from the 1032 credit: amount_due 0, 32 of credit left
      assert.equal(renewal.total, 1000);
      assert.equal(renewal.amount_due, 0);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).balance, -32);
    });

    test('mid-cycle downgrade with create_prorations: a negative renewal becomes credit', async () => {
      const { clock, customer } = await onClock();
      const basic = await price(1000, { name: 'Basic' });
      const pro = await price(3000, { name: 'Pro' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
      await advance(clock.id, JAN16);
      await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: basic.id }] });
      await advance(clock.id, FEB1 + 60);
      const renewal = (await invoices(sub.id)).at(-1)!;
      // 1000 (Basic, February) − 1548 + 516 = −32 → nothing due, 32 of credit
      assert.equal(renewal.total, -32);
      assert.equal(renewal.amount_due, 0);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).balance, -32);
    });

    test('a quantity change prorates the old and the new quantity', async () => {
      const { clock, customer } = await onClock();
      const seats = await price(1200, { name: 'Seats' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: seats.id, quantity: 1 }] });
      await advance(clock.id, JAN16);
      await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 3 }] });
      const pending = (await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.reverse();
      // −1200 × 16/31 = −619.35 → −619 ; 3 × 1200 × 16/31 = 1858.06 → 1858
      assert.deepEqual(pending.map((i) => [i.amount, i.quantity, i.description]), [
        [-619, 1, 'Unused time on Seats after 16 Jan 2027'],
        [1858, 3, 'Remaining time on 3 × Seats after 16 Jan 2027'],
      ]);
      await advance(clock.id, FEB1 + 60);
      // 3 × 1200 + 1858 − 619 = 4839
      assert.equal((await invoices(sub.id)).at(-1)!.total, 4839);
    });

    test('monthly → yearly resets the cycle and invoices at once', async () => {
      const { clock, customer } = await onClock();
      const monthly = await price(1000, { name: 'Team' });
      const yearly = await price(10_000, { name: 'Team yearly', interval: 'year' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      await advance(clock.id, JAN16);
      const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: yearly.id }] });
      assert.equal(updated.billing_cycle_anchor, JAN16);
      assert.equal(updated.items.data[0]!.current_period_start, JAN16);
      assert.equal(updated.items.data[0]!.current_period_end, 1_831_593_600); // 2028-01-16 (2027 has 365 days)
      const inv = await stripe.invoices.retrieve(updated.latest_invoice as string);
      // a full year 10000, minus the unused January time −516: 9484, charged now
      assert.deepEqual(lineAmounts(inv).sort((a, b) => a - b), [-516, 10_000]);
      assert.equal(inv.amount_paid, 9484);
      await advance(clock.id, JAN1_2028);
      assert.equal((await invoices(sub.id)).length, 2); // no renewal before 2028-01-16
    });

    test('cancel immediately with proration and a final invoice', async () => {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      await advance(clock.id, JAN16);
      const canceled = await stripe.subscriptions.cancel(sub.id, {
        prorate: true,
        invoice_now: true,
        cancellation_details: { feedback: 'too_expensive', comment: 'Bye' },
      });
      assert.equal(canceled.status, 'canceled');
      assert.equal(canceled.ended_at, JAN16);
      assert.equal(canceled.canceled_at, JAN16);
      assert.deepEqual(canceled.cancellation_details, { comment: 'Bye', feedback: 'too_expensive', feedback_option: null, reason: 'cancellation_requested' });
      const final = await stripe.invoices.retrieve(canceled.latest_invoice as string);
      // unused 16/31 of 1000 = −516 → customer credit
      assert.equal(final.total, -516);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).balance, -516);
      await advance(clock.id, MAR1);
      assert.equal((await invoices(sub.id)).length, 2);
    });

    test('cancel at period end ends without renewal; unsetting it reactivates', async () => {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const ending = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      const staying = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      await advance(clock.id, JAN16);
      const marked = await stripe.subscriptions.update(ending.id, { cancel_at_period_end: true });
      assert.equal(marked.cancel_at, FEB1);
      assert.equal(marked.canceled_at, JAN16);
      assert.equal(marked.status, 'active');
      await stripe.subscriptions.update(staying.id, { cancel_at_period_end: true });
      const reactivated = await stripe.subscriptions.update(staying.id, { cancel_at_period_end: false });
      assert.equal(reactivated.cancel_at, null);
      assert.equal(reactivated.canceled_at, null);
      await advance(clock.id, FEB1 + 60);
      const ended = await stripe.subscriptions.retrieve(ending.id);
      assert.equal(ended.status, 'canceled');
      assert.equal(ended.ended_at, FEB1);
      assert.equal((await eventTypes(ending.id)).at(-1), 'customer.subscription.deleted');
      assert.equal((await invoices(ending.id)).length, 1);
      assert.equal((await stripe.subscriptions.retrieve(staying.id)).status, 'active');
      assert.equal((await invoices(staying.id)).length, 2);
    });

    test('a trial: $0 invoice, trial_will_end 3 days before, first paid period at its end', async () => {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const JAN15 = JAN1 + 14 * DAY;
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], trial_period_days: 14 });
      assert.equal(sub.status, 'trialing');
      assert.equal(sub.trial_start, JAN1);
      assert.equal(sub.trial_end, JAN15);
      assert.equal(sub.billing_cycle_anchor, JAN15);
      const first = await stripe.invoices.retrieve(sub.latest_invoice as string);
      assert.equal(first.total, 0);
      assert.equal(first.status, 'paid');
      await advance(clock.id, JAN15 - 3 * DAY);
      assert.ok((await eventTypes(sub.id)).includes('customer.subscription.trial_will_end'));
      await advance(clock.id, JAN15 + 60);
      const after = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(after.status, 'active');
      assert.equal(after.items.data[0]!.current_period_start, JAN15);
      assert.equal(after.items.data[0]!.current_period_end, JAN15 + 31 * DAY); // Feb 15
      const paid = (await invoices(sub.id)).at(-1)!;
      assert.equal(paid.billing_reason, 'subscription_cycle');
      assert.equal(paid.amount_paid, 1000);
    });

    test('a once coupon on a trial subscription discounts the first paid invoice, not the $0 one', async () => {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const coupon = await stripe.coupons.create({ percent_off: 50, duration: 'once' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }], trial_period_days: 7, discounts: [{ coupon: coupon.id }] });
      await advance(clock.id, JAN1 + 7 * DAY + 60);
      await advance(clock.id, JAN1 + 7 * DAY + 31 * DAY + 60);
      // trial $0 → first paid period 1000 − 50 % = 500 → next period 1000 (the once coupon is used)
      assert.deepEqual((await invoices(sub.id)).map((i) => i.total), [0, 500, 1000]);
    });

    test('a trial continues through a price change (no prorations) and can be ended now', async () => {
      const { clock, customer } = await onClock();
      const basic = await price(1000);
      const pro = await price(3000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }], trial_period_days: 14 });
      await advance(clock.id, JAN1 + 4 * DAY);
      const changed = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: pro.id }] });
      assert.equal(changed.status, 'trialing');
      assert.equal((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.length, 0);
      const ended = await stripe.subscriptions.update(sub.id, { trial_end: 'now' });
      assert.equal(ended.status, 'active');
      assert.equal(ended.trial_end, JAN1 + 4 * DAY);
      assert.equal(ended.billing_cycle_anchor, JAN1 + 4 * DAY);
      // the new period Jan 5 → Feb 5 at Pro's 3000, charged now
      const inv = await stripe.invoices.retrieve(ended.latest_invoice as string);
      assert.equal(inv.amount_paid, 3000);
      assert.equal(ended.items.data[0]!.current_period_end, JAN1 + 4 * DAY + 31 * DAY);
    });

    test('a declined renewal: past_due, retried 3 more times (3, 5, 7 days), then canceled', async () => {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
      await stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });
      await advance(clock.id, FEB1 + 60);
      let s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'past_due');
      let inv = await stripe.invoices.retrieve(s.latest_invoice as string);
      assert.equal(inv.status, 'open');
      assert.equal(inv.attempt_count, 1);
      assert.equal(inv.next_payment_attempt, FEB1 + 3 * DAY);
      await advance(clock.id, FEB1 + 3 * DAY + 60);
      inv = await stripe.invoices.retrieve(inv.id);
      assert.equal(inv.attempt_count, 2);
      assert.equal(inv.next_payment_attempt, FEB1 + 8 * DAY); // 3 + 5 days
      await advance(clock.id, FEB1 + 8 * DAY + 60);
      assert.equal((await stripe.invoices.retrieve(inv.id)).attempt_count, 3);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'past_due');
      await advance(clock.id, FEB1 + 15 * DAY + 60); // + 7 days: the 4th and last attempt
      inv = await stripe.invoices.retrieve(inv.id);
      assert.equal(inv.attempt_count, 4);
      assert.equal(inv.next_payment_attempt, null);
      s = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(s.status, 'canceled');
      assert.equal(s.cancellation_details?.reason, 'payment_failed');
      assert.equal(s.ended_at, FEB1 + 15 * DAY);
      assert.equal((await eventTypes(sub.id)).at(-1), 'customer.subscription.deleted');
    });

    test('a past_due subscription becomes active when its invoice is paid by hand', async () => {
      const { clock, customer } = await onClock();
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
      await stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });
      await advance(clock.id, FEB1 + 60);
      const pastDue = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(pastDue.status, 'past_due');
      await stripe.invoices.pay(pastDue.latest_invoice as string, { payment_method: 'pm_card_visa' });
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
      await advance(clock.id, FEB1 + 10 * DAY);
      const later = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(later.status, 'active');
      assert.equal((await stripe.invoices.retrieve(pastDue.latest_invoice as string)).attempt_count, 2);
    });

    test('3-D Secure on the first invoice: incomplete, payment_action_required, expired after 23 h', async () => {
      const { clock, customer } = await onClock('pm_card_authenticationRequired');
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      assert.equal(sub.status, 'incomplete');
      const inv = await stripe.invoices.retrieve(sub.latest_invoice as string);
      assert.equal(inv.status, 'open');
      assert.ok((await eventTypes(inv.id)).includes('invoice.payment_action_required'));
      await advance(clock.id, JAN1 + 23 * 3600 + 1);
      const expired = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(expired.status, 'incomplete_expired');
      assert.equal((await stripe.invoices.retrieve(inv.id)).status, 'void');
    });

    test('paying an incomplete subscription\'s invoice activates it at once', async () => {
      const { clock, customer } = await onClock('pm_card_chargeCustomerFail');
      const p = await price(1000);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
      assert.equal(sub.status, 'incomplete');
      await stripe.invoices.pay(sub.latest_invoice as string, { payment_method: 'pm_card_visa' });
      const active = await stripe.subscriptions.retrieve(sub.id);
      assert.equal(active.status, 'active');
      assert.equal((await eventTypes(sub.id)).at(-1), 'customer.subscription.updated');
      await advance(clock.id, JAN1 + DAY);
      assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
    });

    test('JPY with a 100 % once coupon: ¥0 first invoice, full yen afterwards, yen prorations', async () => {
      const { clock, customer } = await onClock();
      const small = await price(1000, { currency: 'jpy', name: 'Small' });
      const large = await price(3000, { currency: 'jpy', name: 'Large' });
      const coupon = await stripe.coupons.create({ percent_off: 100, duration: 'once' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: small.id }], discounts: [{ coupon: coupon.id }] });
      assert.equal(sub.status, 'active');
      assert.equal(sub.currency, 'jpy');
      assert.equal(sub.discounts.length, 1);
      const first = await stripe.invoices.retrieve(sub.latest_invoice as string);
      assert.equal(first.subtotal, 1000); // ¥1000 (zero-decimal: 1000 means ¥1000)
      assert.equal(first.total, 0); // 100 % off
      assert.equal((await stripe.coupons.retrieve(coupon.id)).times_redeemed, 1);
      await advance(clock.id, JAN16);
      await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: large.id }] });
      await advance(clock.id, FEB1 + 60);
      const renewal = (await invoices(sub.id)).at(-1)!;
      // ¥3000 + (−1000 × 16/31 = −516.13 → −516) + (3000 × 16/31 = 1548.39 → 1548) = ¥4032; the once coupon is used up
      assert.equal(renewal.total, 4032);
      assert.equal(renewal.amount_paid, 4032);
    });

    test('a promotion code with a minimum amount and first-time restriction', async () => {
      const { customer } = await onClock();
      const cheap = await price(1000);
      const dear = await price(2500);
      const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'forever' });
      const promo = await stripe.promotionCodes.create({
        promotion: { type: 'coupon', coupon: coupon.id },
        code: `WELCOME${Date.now() % 100000}`,
        restrictions: { minimum_amount: 2000, minimum_amount_currency: 'usd', first_time_transaction: true },
      });
      await assert.rejects(
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: cheap.id }], discounts: [{ promotion_code: promo.id }] }),
        (err: any) => err.statusCode === 400 && err.raw.param === 'discounts[0][promotion_code]' && /minimum amount/.test(err.message),
      );
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: dear.id }], discounts: [{ promotion_code: promo.id }] });
      const inv = await stripe.invoices.retrieve(sub.latest_invoice as string);
      // 2500 − 20 % (500) = 2000
      assert.equal(inv.total, 2000);
      assert.equal((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 1);
      await assert.rejects(
        stripe.subscriptions.create({ customer: customer.id, items: [{ price: dear.id }], discounts: [{ promotion_code: promo.id }] }),
        (err: any) => err.statusCode === 400 && /prior transactions/.test(err.message),
      );
    });
  });
}
