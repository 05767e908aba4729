/**
 * Proration with hand-computed cents. The period used throughout is 2026-11-07T00:00:00Z →
 * 2026-12-07T00:00:00Z: 30 days = 2,592,000 s, so "half" is 2026-11-22T00:00:00Z.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatProrationDate, prorate, prorationItems, type ProratedItem } from './proration.ts';

const START = 1794009600; // 2026-11-07T00:00:00Z
const END = 1796601600; // 2026-12-07T00:00:00Z (START + 2,592,000)
const HALF = 1795305600; // 2026-11-22T00:00:00Z (START + 1,296,000)
const THIRD = START + 864_000; // 2026-11-17T00:00:00Z: 10 of 30 days used, 20 remain (2/3)

function item(over: Partial<ProratedItem>): ProratedItem {
  return {
    price: 'price_basic',
    unitAmount: 3000,
    quantity: 1,
    currency: 'usd',
    description: 'Basic',
    subscriptionItem: 'si_1',
    taxRates: [],
    ...over,
  };
}

describe('prorate', () => {
  test('the fixtures are what the comments say', () => {
    assert.equal(END - START, 2_592_000);
    assert.equal(HALF - START, 1_296_000);
    assert.equal(formatProrationDate(HALF), '22 Nov 2026');
    assert.equal(formatProrationDate(START), '07 Nov 2026');
  });

  test('half of $30.00 is $15.00; whole and nothing at the period edges', () => {
    assert.equal(prorate(3000, START, END, HALF), 1500);
    assert.equal(prorate(3000, START, END, START), 3000);
    assert.equal(prorate(3000, START, END, END), 0);
    assert.equal(prorate(-3000, START, END, END), 0); // a zero credit is 0, never -0
  });

  test('an explicit `to` prorates a slice inside the period', () => {
    // 10 days of 30 of $30.00 = $10.00
    assert.equal(prorate(3000, START, END, START, THIRD), 1000);
  });

  test('a non-terminating fraction is rounded once, half up', () => {
    // 1000 × 2/3 = 666.666… → 667; 2000 × 2/3 = 1333.333… → 1333
    assert.equal(prorate(1000, START, END, THIRD), 667);
    assert.equal(prorate(2000, START, END, THIRD), 1333);
    // 1 second of $30.00 over 2,592,000 s = 0.00115… cents → 0
    assert.equal(prorate(3000, START, END, END - 1), 0);
  });

  test('halves round away from zero, for charges and credits alike', () => {
    // 5 × 1/2 = 2.5 → 3; −5 × 1/2 = −2.5 → −3; −7 × 1/2 = −3.5 → −4
    assert.equal(prorate(5, 0, 2, 1), 3);
    assert.equal(prorate(-5, 0, 2, 1), -3);
    assert.equal(prorate(-7, 0, 2, 1), -4);
    // −1000 × 1/3 = −333.33… → −333 (not a half: rounds toward the nearer integer)
    assert.equal(prorate(-1000, 0, 3, 2), -333);
  });

  test('a proration date outside the period, or an empty period, is an error', () => {
    assert.throws(() => prorate(3000, START, END, START - 1), RangeError);
    assert.throws(() => prorate(3000, START, END, END + 1), RangeError);
    assert.throws(() => prorate(3000, START, START, START), RangeError);
    assert.throws(() => prorate(3000, START, END, HALF, HALF - 1), RangeError);
    assert.throws(() => prorate(30.5, START, END, HALF), RangeError);
  });
});

describe('prorationItems', () => {
  test('$30 → $50 per month at exactly half the period: −1500 and +2500', () => {
    const lines = prorationItems({
      periodStart: START,
      periodEnd: END,
      prorationDate: HALF,
      removed: [item({ taxRates: ['txr_1'] })],
      added: [item({ price: 'price_pro', unitAmount: 5000, description: 'Pro', taxRates: ['txr_1'] })],
    });
    assert.deepEqual(lines, [
      {
        amount: -1500,
        quantity: 1,
        price: 'price_basic',
        currency: 'usd',
        description: 'Unused time on Basic after 22 Nov 2026',
        period: { start: HALF, end: END },
        subscriptionItem: 'si_1',
        taxRates: ['txr_1'],
        discounts: [],
        proration: true,
      },
      {
        amount: 2500,
        quantity: 1,
        price: 'price_pro',
        currency: 'usd',
        description: 'Remaining time on Pro after 22 Nov 2026',
        period: { start: HALF, end: END },
        subscriptionItem: 'si_1',
        taxRates: ['txr_1'],
        discounts: [],
        proration: true,
      },
    ]);
  });

  test('a discounted item is prorated net of what its discounts take off a full period', () => {
    const off = (amount: number) => ({ amount, discounts: [{ discount: 'di_1', coupon: 'co_25' }] });
    // $10 and $30 with 25 % off (250 and 750 off a period), at half: −(1000 − 250)/2 and +(3000 − 750)/2.
    const lines = prorationItems({
      periodStart: START,
      periodEnd: END,
      prorationDate: HALF,
      removed: [item({ unitAmount: 1000, discount: off(250) })],
      added: [item({ price: 'price_pro', unitAmount: 3000, description: 'Pro', discount: off(750) })],
    });
    assert.deepEqual(lines.map((l) => l.amount), [-375, 1125]);
    assert.deepEqual(lines[0]!.discounts, [{ discount: 'di_1', coupon: 'co_25' }]);
    // A discount can take the whole amount (nothing paid, nothing credited), never more.
    const free = prorationItems({ periodStart: START, periodEnd: END, prorationDate: HALF, removed: [item({ unitAmount: 1000, discount: off(1000) })], added: [] });
    assert.equal(free[0]!.amount, 0);
    assert.throws(() => prorationItems({ periodStart: START, periodEnd: END, prorationDate: HALF, removed: [item({ unitAmount: 1000, discount: off(1001) })], added: [] }), RangeError);
  });

  test('at one third: each line rounded on its own, so the net is 666 and not round(2/3 × 1000) = 667', () => {
    const lines = prorationItems({
      periodStart: START,
      periodEnd: END,
      prorationDate: THIRD,
      removed: [item({ unitAmount: 1000 })],
      added: [item({ price: 'price_pro', unitAmount: 2000, description: 'Pro' })],
    });
    // −1000 × 2/3 = −666.67 → −667; 2000 × 2/3 = 1333.33 → 1333
    assert.deepEqual(lines.map((l) => l.amount), [-667, 1333]);
    assert.equal(lines[0]!.description, 'Unused time on Basic after 17 Nov 2026');
  });

  test('quantity 1 → 3 of a $10 seat at half: −500 and +1500, quantities on the lines', () => {
    const lines = prorationItems({
      periodStart: START,
      periodEnd: END,
      prorationDate: HALF,
      removed: [item({ price: 'price_seat', unitAmount: 1000, quantity: 1, description: 'Seat' })],
      added: [item({ price: 'price_seat', unitAmount: 1000, quantity: 3, description: '3 × Seat' })],
    });
    assert.deepEqual(
      lines.map((l) => [l.amount, l.quantity, l.description]),
      [
        [-500, 1, 'Unused time on Seat after 22 Nov 2026'],
        [1500, 3, 'Remaining time on 3 × Seat after 22 Nov 2026'],
      ],
    );
  });

  test('JPY (zero-decimal): ¥1,000 with 10 of 31 days remaining is ¥323', () => {
    const start = 1798761600; // 2027-01-01T00:00:00Z
    const end = start + 31 * 86_400; // 2027-02-01T00:00:00Z: 2,678,400 s
    const date = end - 10 * 86_400; // 2027-01-22T00:00:00Z
    const lines = prorationItems({
      periodStart: start,
      periodEnd: end,
      prorationDate: date,
      removed: [item({ unitAmount: 1000, currency: 'jpy', description: 'Basic' })],
      added: [item({ unitAmount: 3000, currency: 'jpy', description: 'Pro' })],
    });
    // 1000 × 864,000 / 2,678,400 = 322.58… → 323; 3000 × 10/31 = 967.74… → 968
    assert.deepEqual(lines.map((l) => [l.amount, l.currency]), [[-323, 'jpy'], [968, 'jpy']]);
    assert.equal(lines[0]!.description, 'Unused time on Basic after 22 Jan 2027');
  });

  test('a credit of a half cent rounds away from zero: −0.5 → −1, and +0.5 → +1', () => {
    const lines = prorationItems({
      periodStart: 0,
      periodEnd: 2,
      prorationDate: 1,
      removed: [item({ unitAmount: 1 })],
      added: [item({ unitAmount: 1 })],
    });
    assert.deepEqual(lines.map((l) => l.amount), [-1, 1]);
  });

  test('at the period start the whole period is prorated; at its end, nothing', () => {
    const change = (prorationDate: number) =>
      prorationItems({
        periodStart: START,
        periodEnd: END,
        prorationDate,
        removed: [item({})],
        added: [item({ unitAmount: 5000 })],
      }).map((l) => l.amount);
    assert.deepEqual(change(START), [-3000, 5000]);
    assert.deepEqual(change(END), [0, 0]);
  });

  test('amounts beyond 2^53 before the division stay exact (bigint)', () => {
    // 999,999,999,999 × 10,000 = 9,999,999,999,990,000 > 2^53; half of it is exact.
    const lines = prorationItems({
      periodStart: 0,
      periodEnd: 2_000_000,
      prorationDate: 1_999_999, // one 2,000,000th of the period remains
      removed: [],
      added: [item({ unitAmount: 999_999_999_999, quantity: 10_000 })],
    });
    // 9,999,999,999,990,000 / 2,000,000 = 4,999,999,999.995 → 5,000,000,000
    assert.equal(lines[0]!.amount, 5_000_000_000);
  });
});
