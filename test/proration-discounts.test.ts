/**
 * Prorations of a discounted subscription, on every database, through the SDK: Stripe reflects the
 * subscription's discounts in the proration items' amounts (`proration_discounts=included`, the classic
 * billing mode's behaviour), with `discountable=false` so the invoice's discounts never apply again.
 * Every figure is hand-computed below; each change is previewed first and the preview must be what is
 * then billed, to the cent. The month is April 2031 (30 days), the change at its middle (Apr 16).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { advanceTestClock, customerOnClock, useTestServer } from './support/suite.ts';

const APR1 = Date.UTC(2031, 3, 1) / 1000;
const APR16 = Date.UTC(2031, 3, 16) / 1000; // exactly half of April's 30 days
const MAY1 = Date.UTC(2031, 4, 1) / 1000;

for (const db of storageCases()) {
  describe(`proration discounts on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function price(unit: number, product?: string) {
      return stripe.prices.create({
        currency: 'usd',
        unit_amount: unit,
        recurring: { interval: 'month' },
        ...(product ? { product } : { product_data: { name: `Plan ${unit}` } }),
      });
    }

    /** A customer on a clock at Apr 1, subscribed to `items` with `discounts`; the clock then at Apr 16. */
    async function subscribed(items: Stripe.SubscriptionCreateParams.Item[], discounts: Stripe.SubscriptionCreateParams.Discount[]) {
      const { clock, customer } = await customerOnClock(server, APR1);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items, discounts });
      await advanceTestClock(server, clock.id, APR16);
      return { clock, customer, sub };
    }

    async function latest(sub: string): Promise<Stripe.Invoice> {
      const s = await stripe.subscriptions.retrieve(sub, { expand: ['latest_invoice'] });
      return s.latest_invoice as Stripe.Invoice;
    }

    const amounts = (inv: Stripe.Invoice) => inv.lines.data.map((l) => l.amount);

    /** Previews the change, makes it, and checks the invoice made is the preview, to the cent. */
    async function previewThenUpdate(sub: Stripe.Subscription, details: Stripe.SubscriptionUpdateParams) {
      const preview = await stripe.invoices.createPreview({
        subscription: sub.id,
        subscription_details: { items: details.items!, proration_behavior: details.proration_behavior! },
      });
      await stripe.subscriptions.update(sub.id, details);
      const invoice = await latest(sub.id);
      assert.deepEqual(amounts(invoice), amounts(preview), 'the preview shows the lines that are billed');
      assert.equal(invoice.total, preview.total, 'the preview total is what is billed');
      assert.equal(invoice.amount_due, preview.amount_due);
      return { preview, invoice };
    }

    test('25 % off, $10 → $30 at half with always_invoice: −$3.75 and +$11.25, $7.50 due, charged as previewed', async () => {
      const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const p10 = await price(1000);
      const p30 = await price(3000);
      const { customer, sub } = await subscribed([{ price: p10.id }], [{ coupon: quarter.id }]);
      assert.equal((await latest(sub.id)).amount_paid, 750, 'the first month: $10 − 25 %');
      const discount = sub.discounts[0] as string;

      const { preview, invoice } = await previewThenUpdate(sub, {
        items: [{ id: sub.items.data[0]!.id, price: p30.id }],
        proration_behavior: 'always_invoice',
      });
      // Unused half of $10 − 25 %: −(1000 − 250)/2 = −375; remaining half of $30 − 25 %: (3000 − 750)/2 = 1125.
      assert.deepEqual(amounts(preview), [-375, 1125]);
      assert.equal(preview.amount_due, 750);
      assert.equal(invoice.amount_paid, 750, '$7.50 is charged, not $10.00');
      assert.equal(invoice.status, 'paid');
      for (const line of invoice.lines.data) {
        assert.equal(line.discountable, false);
        assert.deepEqual(line.discounts, [discount], 'the line names the discount its amount reflects');
        assert.deepEqual(line.discount_amounts, [{ discount, amount: 0 }], 'and it is not discounted again');
        assert.equal(line.parent?.invoice_item_details?.proration, true);
      }
      assert.equal(invoice.subtotal, 750);
      // The invoice's own copy of the coupon (Portico gives each invoice its discount objects) finds no
      // discountable line; the subscription's discount is listed with the 0 its lines show.
      assert.deepEqual(invoice.total_discount_amounts!.map((d) => d.amount), [0, 0]);
      assert.ok(invoice.total_discount_amounts!.some((d) => d.discount === discount));
      const items = (await stripe.invoiceItems.list({ customer: customer.id })).data.filter((i) => i.proration);
      assert.deepEqual(items.map((i) => [i.amount, i.discountable, i.discounts]).sort((a, b) => (a[0] as number) - (b[0] as number)), [
        [-375, false, [discount]],
        [1125, false, [discount]],
      ]);

      // May 1 renewal: $30 − 25 % = $22.50, nothing more.
      await advanceTestClock(server, (await stripe.customers.retrieve(customer.id) as Stripe.Customer).test_clock as string, MAY1);
      const renewal = await latest(sub.id);
      assert.deepEqual(amounts(renewal), [3000]);
      assert.equal(renewal.amount_paid, 2250);
    });

    test('25 % off, $30 → $10 at half: the credit is what the discounted half cost, −$11.25 + $3.75', async () => {
      const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const p30 = await price(3000);
      const p10 = await price(1000);
      const { customer, sub } = await subscribed([{ price: p30.id }], [{ coupon: quarter.id }]);
      const { invoice } = await previewThenUpdate(sub, {
        items: [{ id: sub.items.data[0]!.id, price: p10.id }],
        proration_behavior: 'always_invoice',
      });
      // −(3000 − 750)/2 = −1125; (1000 − 250)/2 = 375. Total −750: nothing due, $7.50 credited (not $10.00).
      assert.deepEqual(amounts(invoice), [-1125, 375]);
      assert.equal(invoice.total, -750);
      assert.equal(invoice.amount_due, 0);
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).balance, -750);
    });

    test('amount_off spread over two items: only the changed item is prorated, net of its share', async () => {
      const eight = await stripe.coupons.create({ amount_off: 800, currency: 'usd', duration: 'forever' });
      const pA = await price(1000);
      const pB = await price(3000);
      const pB2 = await price(5000);
      const { sub } = await subscribed([{ price: pA.id }, { price: pB.id }], [{ coupon: eight.id }]);
      assert.equal((await latest(sub.id)).amount_paid, 3200, '$40 − $8');
      const itemB = sub.items.data.find((i) => i.price.id === pB.id)!;
      const { invoice } = await previewThenUpdate(sub, {
        items: [{ id: itemB.id, price: pB2.id }],
        proration_behavior: 'always_invoice',
      });
      // Before: $8 over 1000 : 3000 → B's share 600, B net 2400, credit −2400/2 = −1200.
      // After: $8 over 1000 : 5000 → 133.33 : 666.67 → A 133, B 667 (largest remainder), B net 4333,
      // charge 4333/2 = 2166.5 → 2167. Total 967 (gross it would be 1000).
      assert.deepEqual(amounts(invoice), [-1200, 2167]);
      assert.equal(invoice.amount_paid, 967);
    });

    test('an amount_off larger than the old price: nothing was paid, nothing is credited', async () => {
      const fifteen = await stripe.coupons.create({ amount_off: 1500, currency: 'usd', duration: 'forever' });
      const p10 = await price(1000);
      const p30 = await price(3000);
      const { sub } = await subscribed([{ price: p10.id }], [{ coupon: fifteen.id }]);
      assert.equal((await latest(sub.id)).amount_paid, 0);
      const { invoice } = await previewThenUpdate(sub, {
        items: [{ id: sub.items.data[0]!.id, price: p30.id }],
        proration_behavior: 'always_invoice',
      });
      // Old: 1000 − min(1500, 1000) = 0 → credit 0; new: (3000 − 1500)/2 = 750.
      assert.deepEqual(amounts(invoice), [0, 750]);
      assert.equal(invoice.amount_paid, 750);
    });

    test('a coupon restricted to another product leaves the prorations gross', async () => {
      const other = await stripe.products.create({ name: 'Other' });
      const onlyOther = await stripe.coupons.create({ percent_off: 25, duration: 'forever', applies_to: { products: [other.id] } });
      const p10 = await price(1000);
      const p30 = await price(3000);
      const { sub } = await subscribed([{ price: p10.id }], [{ coupon: onlyOther.id }]);
      assert.equal((await latest(sub.id)).amount_paid, 1000);
      const { invoice } = await previewThenUpdate(sub, {
        items: [{ id: sub.items.data[0]!.id, price: p30.id }],
        proration_behavior: 'always_invoice',
      });
      assert.deepEqual(amounts(invoice), [-500, 1500]);
      assert.equal(invoice.amount_paid, 1000);
      for (const line of invoice.lines.data) assert.deepEqual(line.discounts, []);
    });

    test('a coupon added with the upgrade discounts the new price only: the old one was paid in full', async () => {
      const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const p10 = await price(1000);
      const p30 = await price(3000);
      const { sub } = await subscribed([{ price: p10.id }], []);
      const preview = await stripe.invoices.createPreview({
        subscription: sub.id,
        discounts: [{ coupon: quarter.id }],
        subscription_details: { items: [{ id: sub.items.data[0]!.id, price: p30.id }], proration_behavior: 'always_invoice' },
      });
      await stripe.subscriptions.update(sub.id, {
        discounts: [{ coupon: quarter.id }],
        items: [{ id: sub.items.data[0]!.id, price: p30.id }],
        proration_behavior: 'always_invoice',
      });
      const invoice = await latest(sub.id);
      // −1000/2 = −500; (3000 − 750)/2 = 1125: 625.
      assert.deepEqual(amounts(invoice), [-500, 1125]);
      assert.deepEqual(amounts(preview), [-500, 1125]);
      assert.equal(invoice.amount_paid, 625);
      assert.equal(preview.amount_due, 625);
    });

    test('create_prorations: the discounted pending items are billed at the renewal, not discounted again', async () => {
      const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const p10 = await price(1000);
      const p30 = await price(3000);
      const { clock, customer, sub } = await subscribed([{ price: p10.id }], [{ coupon: quarter.id }]);
      const preview = await stripe.invoices.createPreview({
        subscription: sub.id,
        subscription_details: { items: [{ id: sub.items.data[0]!.id, price: p30.id }], proration_behavior: 'create_prorations' },
      });
      await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: p30.id }], proration_behavior: 'create_prorations' });
      const pending = (await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data;
      assert.deepEqual(pending.map((i) => i.amount).sort((a, b) => a - b), [-375, 1125]);
      await fails(stripe.invoiceItems.update(pending[0]!.id, { discountable: true }), { status: 400, param: 'discountable' });
      await advanceTestClock(server, clock.id, MAY1);
      const renewal = await latest(sub.id);
      // May: 3000 − 750 = 2250, plus the prorations −375 + 1125 = 750: 3000 (gross prorations would make it 3250).
      assert.deepEqual([...amounts(renewal)].sort((a, b) => a - b), [-375, 1125, 3000]);
      assert.equal(renewal.amount_paid, 3000);
      assert.equal(preview.total, 3000, 'the preview of the renewal said so');
      // 750 off the cycle line only; the prorations list the subscription's discount with 0.
      assert.equal(renewal.total_discount_amounts!.reduce((a, d) => a + d.amount, 0), 750);
      assert.deepEqual(renewal.total_discount_amounts!.find((d) => d.discount === sub.discounts[0]), { discount: sub.discounts[0], amount: 0 });
    });

    test('a schedule phase mid-period: the credit gives back what was billed, the charge is discounted', async () => {
      const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const p10 = await price(1000);
      const p30 = await price(3000);
      const { clock, customer } = await customerOnClock(server, APR1);
      const sched = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        phases: [
          { items: [{ price: p10.id }], end_date: APR16 },
          { items: [{ price: p30.id }], proration_behavior: 'create_prorations' },
        ],
      });
      const subId = sched.subscription as string;
      assert.equal((await latest(subId)).amount_paid, 1000, 'April was billed in full');
      // The coupon comes an hour after April's invoice: it does not reduce the credit for April.
      await advanceTestClock(server, clock.id, APR1 + 3600);
      await stripe.subscriptions.update(subId, { discounts: [{ coupon: quarter.id }] });
      await advanceTestClock(server, clock.id, MAY1);
      const renewal = await latest(subId);
      // −1000/2 = −500; (3000 − 750)/2 = 1125; May 3000 − 750 = 2250: 2875.
      assert.deepEqual([...amounts(renewal)].sort((a, b) => a - b), [-500, 1125, 3000]);
      assert.equal(renewal.amount_paid, 2875);
    });

    test('a coupon removed before the change reduces neither line: Stripe nets out the discounts on the subscription', async () => {
      const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const p10 = await price(1000);
      const p30 = await price(3000);
      const { sub } = await subscribed([{ price: p10.id }], [{ coupon: quarter.id }]);
      await stripe.subscriptions.update(sub.id, { discounts: '' });
      const { invoice } = await previewThenUpdate(sub, {
        items: [{ id: sub.items.data[0]!.id, price: p30.id }],
        proration_behavior: 'always_invoice',
      });
      // −1000/2 = −500; 3000/2 = 1500: 1000.
      assert.deepEqual(amounts(invoice), [-500, 1500]);
      assert.equal(invoice.amount_paid, 1000);
      assert.deepEqual(invoice.lines.data.map((l) => l.discounts.length), [0, 0]);
    });

    test('a once coupon used by the period\'s invoice is gone: the credit is gross, as the renewal after it is', async () => {
      const once = await stripe.coupons.create({ percent_off: 25, duration: 'once' });
      const p10 = await price(1000);
      const p30 = await price(3000);
      const { sub } = await subscribed([{ price: p10.id }], [{ coupon: once.id }]);
      assert.equal((await latest(sub.id)).amount_paid, 750);
      const { invoice } = await previewThenUpdate(sub, {
        items: [{ id: sub.items.data[0]!.id, price: p30.id }],
        proration_behavior: 'always_invoice',
      });
      assert.deepEqual(amounts(invoice), [-500, 1500]);
    });

    test('cancel with prorate: the credit is net of the discount', async () => {
      const quarter = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const p10 = await price(1000);
      const { customer, sub } = await subscribed([{ price: p10.id }], [{ coupon: quarter.id }]);
      await stripe.subscriptions.cancel(sub.id, { prorate: true, invoice_now: true });
      // −(1000 − 250)/2 = −375 back as credit (of the $7.50 paid), not −500.
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).balance, -375);
    });

    test('proration_discounts is billing_mode[flexible][proration_discounts]: a bad value is a 400 naming it', async () => {
      const { customer } = await customerOnClock(server, APR1);
      const p10 = await price(1000);
      const bad = { type: 'classic', flexible: { proration_discounts: 'sometimes' } } as unknown as Stripe.SubscriptionCreateParams.BillingMode;
      await fails(stripe.subscriptions.create({ customer: customer.id, items: [{ price: p10.id }], billing_mode: bad }), {
        status: 400,
        param: 'billing_mode[flexible][proration_discounts]',
      });
      await fails(
        stripe.invoices.createPreview({ customer: customer.id, subscription_details: { items: [{ price: p10.id }], billing_mode: bad } }),
        { status: 400, param: 'subscription_details[billing_mode][flexible][proration_discounts]' },
      );
    });
  });
}
