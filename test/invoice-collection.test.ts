/**
 * Automatic collection of manual invoices on the billing clock, driven through the SDK and test clocks:
 * an auto-advancing `charge_automatically` invoice is charged an hour after finalization; a declined
 * one is retried 3, 5 and 7 days after each failure and then left open with no attempt scheduled; one
 * that is paid by hand meanwhile is never charged again; `auto_advance=false` is never charged; a
 * `send_invoice` invoice gets `invoice.overdue` once when its due date passes unpaid, never when paid.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { advanceTestClock, objectEvents, useTestServer } from './support/suite.ts';

const JAN1 = 1_924_992_000; // 2031-01-01T00:00:00Z
const HOUR = 3600;
const DAY = 86_400;

for (const db of storageCases()) {
  describe(`invoice collection on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    async function openInvoice(pm: string, autoAdvance = true) {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const customer = await stripe.customers.create({ test_clock: clock.id, email: 'i@example.com' });
      const attached = await stripe.paymentMethods.attach(pm, { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 4200, currency: 'usd', description: 'Consulting' });
      const draft = await stripe.invoices.create({ customer: customer.id, auto_advance: autoAdvance, pending_invoice_items_behavior: 'include' });
      const invoice = await stripe.invoices.finalizeInvoice(draft.id);
      return { clock, customer, invoice };
    }

    const advance = (clock: string, to: number) => advanceTestClock(server, clock, to);

    test('charged an hour after finalization', async () => {
      const { clock, invoice } = await openInvoice('pm_card_visa');
      assert.equal(invoice.status, 'open');
      assert.equal(invoice.amount_due, 4200);
      assert.equal(invoice.next_payment_attempt, JAN1 + HOUR);
      await advance(clock.id, JAN1 + HOUR - 1);
      assert.equal((await stripe.invoices.retrieve(invoice.id)).status, 'open', 'not before the hour');
      await advance(clock.id, JAN1 + HOUR);
      const paid = await stripe.invoices.retrieve(invoice.id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_paid, 4200);
      assert.equal(paid.attempt_count, 1);
      assert.equal(paid.next_payment_attempt, null);
      const types = (await objectEvents(server, invoice.id)).map((e) => e.type);
      assert.deepEqual(types.filter((t) => t === 'invoice.paid'), ['invoice.paid']);
      await advance(clock.id, JAN1 + 30 * DAY);
      assert.equal((await stripe.invoices.retrieve(invoice.id)).attempt_count, 1, 'never charged again');
    });

    test('declined: retried 3, 5 and 7 days after each failure, then left open', async () => {
      const { clock, invoice } = await openInvoice('pm_card_chargeCustomerFail');
      // Attempt 1 at +1 h; attempt 2 three days later; 3 five days after that; 4 seven days after that.
      const attempts = [JAN1 + HOUR, JAN1 + HOUR + 3 * DAY, JAN1 + HOUR + 8 * DAY, JAN1 + HOUR + 15 * DAY];
      for (const [i, at] of attempts.entries()) {
        await advance(clock.id, at);
        const now = await stripe.invoices.retrieve(invoice.id);
        assert.equal(now.attempt_count, i + 1, `attempt ${i + 1}`);
        assert.equal(now.status, 'open');
        assert.equal(now.next_payment_attempt, attempts[i + 1] ?? null);
      }
      await advance(clock.id, JAN1 + 60 * DAY);
      assert.equal((await stripe.invoices.retrieve(invoice.id)).attempt_count, 4, 'no fifth attempt');
      const failures = (await objectEvents(server, invoice.id)).filter((e) => e.type === 'invoice.payment_failed');
      assert.equal(failures.length, 4);
    });

    test('an auto-advancing draft is finalized an hour after creation, then charged an hour later', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const customer = await stripe.customers.create({ test_clock: clock.id });
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 1500, currency: 'usd' });
      const draft = await stripe.invoices.create({ customer: customer.id, auto_advance: true, pending_invoice_items_behavior: 'include' });
      const held = await stripe.invoices.create({ customer: customer.id, auto_advance: false });
      await advance(clock.id, JAN1 + HOUR - 1);
      assert.equal((await stripe.invoices.retrieve(draft.id)).status, 'draft');
      await advance(clock.id, JAN1 + HOUR);
      const open = await stripe.invoices.retrieve(draft.id);
      assert.equal(open.status, 'open');
      assert.equal(open.status_transitions.finalized_at, JAN1 + HOUR);
      assert.equal(open.next_payment_attempt, JAN1 + 2 * HOUR);
      await advance(clock.id, JAN1 + 2 * HOUR);
      assert.equal((await stripe.invoices.retrieve(draft.id)).status, 'paid');
      assert.equal((await stripe.invoices.retrieve(held.id)).status, 'draft', 'auto_advance=false stays a draft');
      // Switched on later: finalized on the next run of the clock (its hour has passed).
      await stripe.invoices.update(held.id, { auto_advance: true });
      await advance(clock.id, JAN1 + 2 * HOUR + 1);
      assert.equal((await stripe.invoices.retrieve(held.id)).status, 'paid', 'nothing due: paid at finalization');
    });

    test('paid by hand before the attempt: not charged again; auto_advance=false: never charged', async () => {
      const { clock, invoice } = await openInvoice('pm_card_visa');
      await stripe.invoices.pay(invoice.id, { paid_out_of_band: true });
      await advance(clock.id, JAN1 + 2 * HOUR);
      const after = await stripe.invoices.retrieve(invoice.id);
      assert.equal(after.status, 'paid');
      assert.equal(after.attempt_count, 0);

      const manual = await openInvoice('pm_card_visa', false);
      assert.equal(manual.invoice.next_payment_attempt, null);
      await advance(manual.clock.id, JAN1 + 10 * DAY);
      const still = await stripe.invoices.retrieve(manual.invoice.id);
      assert.equal(still.status, 'open');
      assert.equal(still.attempt_count, 0);
    });

    test('send_invoice: invoice.overdue once when the due date passes unpaid; none for one paid in time', async () => {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: JAN1 });
      const customer = await stripe.customers.create({ test_clock: clock.id, email: 'o@example.com' });
      const issue = async () => {
        await stripe.invoiceItems.create({ customer: customer.id, amount: 9900, currency: 'usd' });
        const draft = await stripe.invoices.create({
          customer: customer.id,
          collection_method: 'send_invoice',
          days_until_due: 7,
          pending_invoice_items_behavior: 'include',
        });
        return stripe.invoices.finalizeInvoice(draft.id);
      };
      const late = await issue();
      const onTime = await issue();
      assert.equal(late.due_date, JAN1 + 7 * DAY);
      assert.equal(late.next_payment_attempt, null, 'nothing is charged');
      const overdue = async (id: string) => (await objectEvents(server, id)).filter((e) => e.type === 'invoice.overdue');

      await advance(clock.id, JAN1 + 7 * DAY - 1);
      assert.equal((await overdue(late.id)).length, 0, 'not before the due date');
      await stripe.invoices.pay(onTime.id, { paid_out_of_band: true });
      await advance(clock.id, JAN1 + 7 * DAY);
      const sent = await overdue(late.id);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.created, JAN1 + 7 * DAY);
      assert.equal(sent[0]!.data.object.status, 'open');
      await advance(clock.id, JAN1 + 40 * DAY);
      assert.equal((await overdue(late.id)).length, 1, 'once');
      assert.equal((await overdue(onTime.id)).length, 0, 'paid before its due date');
      const still = await stripe.invoices.retrieve(late.id);
      assert.equal(still.status, 'open');
      assert.equal(still.attempt_count, 0);
    });
  });
}
