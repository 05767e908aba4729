/**
 * Tiered prices (`volume`, `graduated`), `transform_quantity`, `custom_unit_amount` and
 * `currency_options` through the SDK, and subscriptions billed with them on test clocks, every amount
 * worked out by hand beside it. Tiers used throughout: 1–5 at $10.00 each plus a $5.00 flat fee,
 * 6–10 at $8.00 each, 11 and up at $6.00 each plus a $1.00 flat fee.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { fails } from './support/assertions.ts';
import { storageCases } from './support/storages.ts';
import { advanceTestClock, customerOnClock, objectEvents, useTestServer } from './support/suite.ts';
import type { TestServer } from './support/server.ts';

const JAN1 = 1_798_761_600; // 2027-01-01T00:00:00Z
const JAN16 = 1_800_057_600; // 2027-01-16T00:00:00Z: 16 of January's 31 days remain
const FEB1 = 1_801_440_000; // 2027-02-01T00:00:00Z

/** The SDK parses `*_decimal` fields into Decimals; compare plain JSON. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

const TIERS: Stripe.PriceCreateParams.Tier[] = [
  { up_to: 5, unit_amount: 1000, flat_amount: 500 },
  { up_to: 10, unit_amount: 800 },
  { up_to: 'inf', unit_amount: 600, flat_amount: 100 },
];

for (const db of storageCases()) {
  describe(`tiered prices on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const tiered = (mode: 'volume' | 'graduated', name = `Seats ${mode}`) =>
      stripe.prices.create({
        currency: 'usd',
        billing_scheme: 'tiered',
        tiers_mode: mode,
        tiers: TIERS,
        recurring: { interval: 'month' },
        product_data: { name },
      });

    const invoicesOf = async (subscription: string) => (await stripe.invoices.list({ subscription, limit: 100 })).data.reverse();

    test('create: the shape, tiers only when expanded, events', async () => {
      const price = await tiered('graduated');
      assert.equal(price.billing_scheme, 'tiered');
      assert.equal(price.tiers_mode, 'graduated');
      assert.equal(price.unit_amount, null);
      assert.equal(price.unit_amount_decimal, null);
      assert.equal('tiers' in price, false);
      const expanded = await stripe.prices.retrieve(price.id, { expand: ['tiers'] });
      assert.deepEqual(plain(expanded.tiers), [
        { flat_amount: 500, flat_amount_decimal: '500', unit_amount: 1000, unit_amount_decimal: '1000', up_to: 5 },
        { flat_amount: null, flat_amount_decimal: null, unit_amount: 800, unit_amount_decimal: '800', up_to: 10 },
        { flat_amount: 100, flat_amount_decimal: '100', unit_amount: 600, unit_amount_decimal: '600', up_to: null },
      ]);
      const listed = await stripe.prices.list({ product: price.product as string, expand: ['data.tiers'] });
      assert.equal(listed.data[0]!.tiers?.length, 3);
      assert.deepEqual((await objectEvents(server, price.id)).map((e) => e.type), ['price.created']);
      assert.equal((await stripe.prices.retrieve((await stripe.prices.create({ currency: 'usd', unit_amount: 5, product: price.product as string })).id, { expand: ['tiers'] })).tiers, null);
    });

    test('create: Stripe’s rules for tiers, transforms and custom amounts', async () => {
      const product = (await stripe.products.create({ name: 'Rules' })).id;
      const base = { product, currency: 'usd', billing_scheme: 'tiered' as const, tiers_mode: 'volume' as const };
      await fails(stripe.prices.create({ ...base, tiers: [{ up_to: 5, unit_amount: 1 }] }), { status: 400, param: 'tiers[0][up_to]', message: /last tier/ });
      await fails(stripe.prices.create({ ...base, tiers: [{ up_to: 'inf', unit_amount: 1 }, { up_to: 'inf', unit_amount: 1 }] }), { status: 400, param: 'tiers[0][up_to]' });
      await fails(stripe.prices.create({ ...base, tiers: [{ up_to: 5, unit_amount: 1 }, { up_to: 5, unit_amount: 1 }, { up_to: 'inf', unit_amount: 1 }] }), { status: 400, param: 'tiers[1][up_to]', message: /sorted/ });
      await fails(stripe.prices.create({ ...base, tiers: [{ up_to: 'inf' }] }), { status: 400, param: 'tiers[0]', message: /neither/ });
      await fails(stripe.prices.create({ ...base, tiers: [{ up_to: 'inf', unit_amount: 1, unit_amount_decimal: Stripe.Decimal.from('1') }] }), { status: 400, code: 'parameters_exclusive' });
      await fails(stripe.prices.create({ ...base, tiers: [{ up_to: 'inf', unit_amount: 1 }], unit_amount: 5 }), { status: 400, param: 'unit_amount' });
      await fails(stripe.prices.create({ ...base, tiers_mode: undefined, tiers: [{ up_to: 'inf', unit_amount: 1 }] }), { status: 400, param: 'tiers_mode', code: 'parameter_missing' });
      await fails(stripe.prices.create({ product, currency: 'usd', unit_amount: 5, tiers_mode: 'volume' }), { status: 400, param: 'tiers_mode' });
      await fails(stripe.prices.create({ ...base, tiers: [{ up_to: 'inf', unit_amount: 1 }], transform_quantity: { divide_by: 2, round: 'up' } }), { status: 400, param: 'transform_quantity' });
      await fails(stripe.prices.create({ product, currency: 'usd', unit_amount: 5, transform_quantity: { divide_by: 0, round: 'up' } }), { status: 400, param: 'transform_quantity[divide_by]' });
      await fails(stripe.prices.create({ product, currency: 'usd', custom_unit_amount: { enabled: true, minimum: 500, maximum: 100 } }), { status: 400, param: 'custom_unit_amount[minimum]' });

      const packs = await stripe.prices.create({ product, currency: 'usd', unit_amount: 1000, transform_quantity: { divide_by: 10, round: 'up' } });
      assert.deepEqual(packs.transform_quantity, { divide_by: 10, round: 'up' });
      const custom = await stripe.prices.create({ product, currency: 'usd', custom_unit_amount: { enabled: true, minimum: 100, preset: 500 } });
      assert.deepEqual(custom.custom_unit_amount, { maximum: null, minimum: 100, preset: 500 });
      assert.equal(custom.unit_amount, null);
    });

    test('currency_options: shown on expand (the price’s own currency among them), updated per currency', async () => {
      const price = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 1000,
        currency_options: { eur: { unit_amount: 900 }, jpy: { unit_amount: 1500, tax_behavior: 'inclusive' } },
        recurring: { interval: 'month' },
        product_data: { name: 'Worldwide' },
      });
      assert.equal('currency_options' in price, false);
      const expanded = await stripe.prices.retrieve(price.id, { expand: ['currency_options'] });
      assert.deepEqual(plain(expanded.currency_options), {
        eur: { custom_unit_amount: null, tax_behavior: 'unspecified', unit_amount: 900, unit_amount_decimal: '900' },
        jpy: { custom_unit_amount: null, tax_behavior: 'inclusive', unit_amount: 1500, unit_amount_decimal: '1500' },
        usd: { custom_unit_amount: null, tax_behavior: 'unspecified', unit_amount: 1000, unit_amount_decimal: '1000' },
      });
      const updated = await stripe.prices.update(price.id, { currency_options: { eur: { unit_amount: 950 } }, expand: ['currency_options'] });
      assert.equal(updated.currency_options!.eur!.unit_amount, 950);
      assert.equal(updated.currency_options!.jpy!.unit_amount, 1500);
      const event = (await objectEvents(server, price.id)).at(-1)!;
      assert.equal(event.type, 'price.updated');
      await fails(stripe.prices.update(price.id, { currency_options: { gbp: { tiers: [{ up_to: 'inf', unit_amount: 1 }] } } }), { status: 400, param: 'currency_options[gbp][tiers]' });
      const tieredWorld = await stripe.prices.create({
        currency: 'usd', billing_scheme: 'tiered', tiers_mode: 'volume', tiers: TIERS, product_data: { name: 'Tiered world' },
        currency_options: { eur: { tiers: [{ up_to: 'inf', unit_amount: 700 }] } },
      });
      const opts = (await stripe.prices.retrieve(tieredWorld.id, { expand: ['currency_options'] })).currency_options!;
      assert.equal(opts.eur!.tiers![0]!.unit_amount, 700);
      await fails(stripe.prices.create({ currency: 'usd', billing_scheme: 'tiered', tiers_mode: 'volume', tiers: TIERS, product_data: { name: 'x' }, currency_options: { eur: { unit_amount: 5 } } }), { status: 400, param: 'currency_options[eur][unit_amount]' });
    });

    test('graduated: 3 seats, then 7 from 16 January (create_prorations), renewal bills both', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const price = await tiered('graduated', 'Graduated seats');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 3 }] });
      const first = (await invoicesOf(sub.id))[0]!;
      // 3 × 1000 + 500 flat = 3500, a line for tier 1's units and one for its flat fee
      assert.equal(first.total, 3500);
      assert.equal(first.amount_paid, 3500);
      assert.deepEqual(first.lines.data.map((l) => [l.amount, l.quantity, l.description]), [
        [3000, 3, '3 × Graduated seats (Tier 1 at $10.00 / month)'],
        [500, 1, 'Graduated seats (Tier 1 flat fee at $5.00 / month)'],
      ]);
      await advanceTestClock(server, clock.id, JAN16);
      await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 7 }] });
      const pending = (await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.reverse();
      // credit: −3500 × 16/31 = −1806.45 → −1806; 7 seats = 5 × 1000 + 500 + 2 × 800 = 7100; 7100 × 16/31 = 3664.52 → 3665
      assert.deepEqual(pending.map((i) => [i.amount, i.quantity]), [[-1806, 3], [3665, 7]]);
      await advanceTestClock(server, clock.id, FEB1 + 60);
      const renewal = (await invoicesOf(sub.id)).at(-1)!;
      // 7100 for February (5 × 1000 + 500 flat + 2 × 800) + 3665 − 1806 = 8959
      assert.deepEqual(renewal.lines.data.filter((l) => l.parent?.type === 'subscription_item_details').map((l) => [l.amount, l.quantity]), [[5000, 5], [500, 1], [1600, 2]]);
      assert.equal(renewal.total, 8959);
      assert.equal(renewal.amount_paid, 8959);
    });

    test('graduated: 12 seats itemized per tier on the invoice and its preview, totals to the cent', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      const price = await tiered('graduated', 'Team seats');
      const items = [{ price: price.id, quantity: 12 }];
      const preview = await stripe.invoices.createPreview({ customer: customer.id, subscription_details: { items } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items });
      const first = (await invoicesOf(sub.id))[0]!;
      // 1–5: 5 × 1000 = 5000 and 500 flat; 6–10: 5 × 800 = 4000; 11–12: 2 × 600 = 1200 and 100 flat: 10800
      const expected = [
        [5000, 5, '5 × Team seats (Tier 1 at $10.00 / month)', '1000'],
        [500, 1, 'Team seats (Tier 1 flat fee at $5.00 / month)', '500'],
        [4000, 5, '5 × Team seats (Tier 2 at $8.00 / month)', '800'],
        [1200, 2, '2 × Team seats (Tier 3 at $6.00 / month)', '600'],
        [100, 1, 'Team seats (Tier 3 flat fee at $1.00 / month)', '100'],
      ];
      const shape = (inv: Stripe.Invoice) => inv.lines.data.map((l) => [l.amount, l.quantity, l.description, plain(l.pricing?.unit_amount_decimal)]);
      assert.deepEqual(shape(first), expected);
      assert.deepEqual(shape(preview), expected);
      assert.equal(first.subtotal, 10800);
      assert.equal(first.total, 10800);
      assert.equal(preview.total, 10800);
      assert.ok(first.lines.data.every((l) => l.parent?.subscription_item_details?.subscription_item === sub.items.data[0]!.id && l.pricing?.price_details?.price === price.id));
      // A trial's line stays one line (nothing billed).
      const trial = await stripe.subscriptions.create({ customer: customer.id, items, trial_period_days: 7 });
      assert.deepEqual((await invoicesOf(trial.id))[0]!.lines.data.map((l) => l.amount), [0]);
    });

    test('promotion code minimum_amount is checked against the tiered amount', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      const price = await tiered('graduated', 'Minimum seats');
      const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'forever' });
      const code = await stripe.promotionCodes.create({
        promotion: { type: 'coupon', coupon: coupon.id },
        restrictions: { minimum_amount: 6000, minimum_amount_currency: 'usd' },
      });
      // 5 seats: 5 × 1000 + 500 = 5500 < 6000
      await fails(stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 5 }], discounts: [{ promotion_code: code.id }] }), {
        status: 400, param: 'discounts[0][promotion_code]', message: /minimum amount/,
      });
      // 7 seats: 5 × 1000 + 500 + 2 × 800 = 7100 ≥ 6000 (the price has no unit_amount: unit × quantity would be 0)
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 7 }], discounts: [{ promotion_code: code.id }] });
      const first = (await invoicesOf(sub.id))[0]!;
      // 10 % of each line: 500 + 50 + 160 = 710 off 7100
      assert.equal(first.total, 6390);
      // On update too: a 5-seat subscription is refused the code, a 7-seat one takes it.
      const small = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 5 }] });
      await fails(stripe.subscriptions.update(small.id, { discounts: [{ promotion_code: code.id }] }), { status: 400, param: 'discounts[0][promotion_code]', message: /minimum amount/ });
      const big = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 7 }] });
      const updated = await stripe.subscriptions.update(big.id, { discounts: [{ promotion_code: code.id }] });
      assert.equal(updated.discounts.length, 1);
    });

    test('volume: 5 seats, then 12 from 16 January (always_invoice), renewal at the new tier', async () => {
      const { clock, customer } = await customerOnClock(server, JAN1);
      const price = await tiered('volume', 'Volume seats');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 5 }] });
      // 5 × 1000 + 500 = 5500
      assert.equal((await invoicesOf(sub.id))[0]!.total, 5500);
      await advanceTestClock(server, clock.id, JAN16);
      const preview = await stripe.invoices.createPreview({
        subscription: sub.id,
        subscription_details: { items: [{ id: sub.items.data[0]!.id, quantity: 12 }], proration_behavior: 'always_invoice' },
      });
      const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 12 }], proration_behavior: 'always_invoice' });
      const now = await stripe.invoices.retrieve(updated.latest_invoice as string);
      // credit −5500 × 16/31 = −2838.71 → −2839; 12 seats all at tier 3: 12 × 600 + 100 = 7300; 7300 × 16/31 = 3767.74 → 3768
      assert.deepEqual(now.lines.data.map((l) => l.amount), [-2839, 3768]);
      assert.equal(now.total, 929);
      assert.equal(now.amount_paid, 929);
      assert.equal(preview.total, now.total);
      await advanceTestClock(server, clock.id, FEB1 + 60);
      assert.equal((await invoicesOf(sub.id)).at(-1)!.total, 7300);
    });

    test('transform_quantity bills packs; custom_unit_amount cannot be subscribed to', async () => {
      const { customer } = await customerOnClock(server, JAN1);
      const packs = await stripe.prices.create({
        currency: 'usd', unit_amount: 1000, transform_quantity: { divide_by: 10, round: 'up' },
        recurring: { interval: 'month' }, product_data: { name: 'Packs' },
      });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: packs.id, quantity: 21 }] });
      // 21 units → 3 packs of 10 (rounded up) × 1000 = 3000
      assert.equal((await invoicesOf(sub.id))[0]!.total, 3000);
      assert.deepEqual(sub.items.data[0]!.plan.transform_usage, { divide_by: 10, round: 'up' });
      const oneTime = await stripe.prices.create({ currency: 'usd', billing_scheme: 'tiered', tiers_mode: 'graduated', tiers: TIERS, product_data: { name: 'Setup hours' } });
      const item = await stripe.invoiceItems.create({ customer: customer.id, pricing: { price: oneTime.id }, quantity: 7 });
      // 5 × 1000 + 500 + 2 × 800 = 7100
      assert.equal(item.amount, 7100);
      const custom = await stripe.prices.create({ currency: 'usd', custom_unit_amount: { enabled: true }, recurring: { interval: 'month' }, product_data: { name: 'Tip jar' } });
      await fails(stripe.subscriptions.create({ customer: customer.id, items: [{ price: custom.id }] }), { status: 400, param: 'items[0][price]', message: /custom_unit_amount/ });
    });
  });
}
