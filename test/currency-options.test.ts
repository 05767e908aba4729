/**
 * Prices with `currency_options` billed in the subscription's currency: the customer's currency once
 * it has one, else the subscription's `currency`, else the price's own. Each amount uses that
 * currency's option (`unit_amount` or `tiers`), in the first invoice, its preview, prorations and
 * renewals; every figure worked out by hand beside it. The price used: $10.00 a month, €9.00 in eur.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const JAN16 = 1_800_057_600; // 2027-01-16T00:00:00Z: 16 of January's 31 days remain
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z

for (const db of storageCases()) {
  describe(`currency_options billed on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const worldPrice = (name: string) =>
      stripe.prices.create({
        currency: 'usd',
        unit_amount: 1000,
        currency_options: { eur: { unit_amount: 900 } },
        recurring: { interval: 'month' },
        product_data: { name },
      });
    const invoicesOf = async (subscription: string) => (await stripe.invoices.list({ subscription, limit: 100 })).data.reverse();

    test('currency=eur bills the eur option: preview, first invoice, proration and renewal', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const price = await worldPrice('Pro');
      const items = [{ price: price.id, quantity: 2 }];
      const preview = await stripe.invoices.createPreview({ customer: customer.id, currency: 'eur', subscription_details: { items } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items, currency: 'eur' });
      assert.equal(sub.currency, 'eur');
      const first = (await invoicesOf(sub.id))[0]!;
      // 2 × €9.00 = 1800
      assert.equal(first.currency, 'eur');
      assert.equal(first.total, 1800);
      assert.equal(first.amount_paid, 1800);
      assert.equal(first.lines.data[0]!.currency, 'eur');
      assert.equal(first.lines.data[0]!.description, '2 × Pro (at €9.00 / month)');
      assert.equal(preview.currency, 'eur');
      assert.equal(preview.total, first.total);
      assert.deepEqual(preview.lines.data.map((l) => [l.amount, l.description]), first.lines.data.map((l) => [l.amount, l.description]));

      await advanceTestClock(server, clock.id, JAN16);
      await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 3 }] });
      const pending = (await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.reverse();
      // credit −1800 × 16/31 = −929.03 → −929; 3 × 900 = 2700 × 16/31 = 1393.55 → 1394
      assert.deepEqual(pending.map((i) => [i.amount, i.currency]), [[-929, 'eur'], [1394, 'eur']]);
      await advanceTestClock(server, clock.id, FEB1 + 60);
      const renewal = (await invoicesOf(sub.id)).at(-1)!;
      // 2700 for February + 1394 − 929 = 3165
      assert.equal(renewal.currency, 'eur');
      assert.equal(renewal.total, 3165);
      assert.equal(renewal.amount_paid, 3165);
    });

    test('tiered option: graduated eur tiers bill 7 seats', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      const price = await stripe.prices.create({
        currency: 'usd',
        billing_scheme: 'tiered',
        tiers_mode: 'graduated',
        tiers: [{ up_to: 5, unit_amount: 1000, flat_amount: 500 }, { up_to: 'inf', unit_amount: 800 }],
        currency_options: { eur: { tiers: [{ up_to: 5, unit_amount: 900, flat_amount: 400 }, { up_to: 'inf', unit_amount: 700 }] } },
        recurring: { interval: 'month' },
        product_data: { name: 'Seats' },
      });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 7 }], currency: 'eur' });
      // 5 × 900 + 400 + 2 × 700 = 6300 (in usd it would be 5 × 1000 + 500 + 2 × 800 = 7100)
      const first = (await invoicesOf(sub.id))[0]!;
      assert.equal(first.currency, 'eur');
      assert.equal(first.total, 6300);
    });

    test('the customer’s currency picks the option; another currency param, or one with no option, is refused', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      // A credit in eur gives the customer its currency.
      await stripe.customers.createBalanceTransaction(customer.id, { amount: -500, currency: 'eur' });
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).currency, 'eur');
      const price = await worldPrice('Team');
      await fails(stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], currency: 'usd' }), { status: 400, param: 'currency' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      assert.equal(sub.currency, 'eur');
      const first = (await invoicesOf(sub.id))[0]!;
      // €9.00, of which the €5.00 credit pays 500: 400 charged
      assert.deepEqual([first.currency, first.total, first.amount_due, first.amount_paid], ['eur', 900, 400, 400]);

      const usdOnly = await stripe.prices.create({ currency: 'usd', unit_amount: 700, recurring: { interval: 'month' }, product_data: { name: 'Addon' } });
      await fails(stripe.subscriptions.update(sub.id, { items: [{ price: usdOnly.id }] }), {
        status: 400,
        param: 'items',
        message: "The price specified supports currencies of `usd` which doesn't include the expected currency of `eur`.",
      });

      const other = (await customerOnClock(server, JAN1)).customer;
      await fails(stripe.subscriptions.create({ customer: other.id, items: [{ price: price.id }], currency: 'gbp' }), {
        status: 400,
        param: 'items[0][price]',
        message: "The price specified supports currencies of `usd, eur` which doesn't include the expected currency of `gbp`.",
      });
      await fails(stripe.subscriptions.create({ customer: other.id, items: [{ price: price.id }, { price: usdOnly.id }], currency: 'eur' }), { status: 400, param: 'items[1][price]' });
      // Without currency, the price's own.
      const usd = await stripe.subscriptions.create({ customer: other.id, items: [{ price: price.id }] });
      assert.equal(usd.currency, 'usd');
      assert.equal((await invoicesOf(usd.id))[0]!.total, 1000);
    });
  });
}
