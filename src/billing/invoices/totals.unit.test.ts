/**
 * Invoice arithmetic with hand-computed cents. Every expected number has its derivation beside it;
 * rates are scaled as in totals.ts (tax R = pct·10⁴, so 100 % = 10⁶; percent_off P = pct·100).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocate, applyBalance, computeTotals, type DiscountInput, type TotalsLineInput } from './totals.ts';

const rate = (id: string, percentage: number, inclusive: boolean) => ({ id, percentage, inclusive });
const line = (amount: number, rates: TotalsLineInput['rates'] = [], discountable = true, product: string | null = null): TotalsLineInput => ({
  amount,
  discountable,
  product,
  rates,
});
const pct = (id: string, percent_off: number, products: string[] | null = null): DiscountInput => ({ id, percent_off, amount_off: null, products });
const off = (id: string, amount_off: number): DiscountInput => ({ id, percent_off: null, amount_off, products: null });

describe('computeTotals', () => {
  test('exclusive and inclusive rates with a percent and an amount_off discount', () => {
    const t = computeTotals(
      [line(10_000, [rate('txr_ex', 8.25, false)]), line(5_000, [rate('txr_in', 20, true)]), line(3_333)],
      [pct('di_pct', 10), off('di_amt', 1_000)],
    );
    // 10 % (P = 1000): 10000·1000/10⁴ = 1000; 5000 → 500; 3333 → 333.3 → 333. Remaining 9000, 4500, 3000.
    // $10 off over S = 16500: 1000·9000/16500 = 545 r 7500; ·4500 → 272 r 12000; ·3000 → 181 r 13500;
    // 998 given, the 2 cents left go to the largest remainders (line 3, then line 2): 545, 273, 182.
    assert.deepEqual(t.lines.map((l) => l.discount_amounts), [
      [{ discount: 'di_pct', amount: 1000 }, { discount: 'di_amt', amount: 545 }],
      [{ discount: 'di_pct', amount: 500 }, { discount: 'di_amt', amount: 273 }],
      [{ discount: 'di_pct', amount: 333 }, { discount: 'di_amt', amount: 182 }],
    ]);
    // Line 1 taxable 10000 − 1545 = 8455; 8.25 %: 8455·82500/10⁶ = 697.5375 → 698.
    assert.deepEqual(t.lines[0]!.taxes, [{ rate: 'txr_ex', inclusive: false, amount: 698, taxable_amount: 8455 }]);
    // Line 2 taxable 5000 − 773 = 4227, 20 % inside: net = 4227·10⁶/1.2·10⁶ = 3522.5 → 3523; tax 704.
    assert.deepEqual(t.lines[1]!.taxes, [{ rate: 'txr_in', inclusive: true, amount: 704, taxable_amount: 3523 }]);
    assert.deepEqual(t.lines[2]!.taxes, []);
    assert.equal(t.subtotal, 18_333); // 10000 + 5000 + 3333
    assert.deepEqual(t.total_discount_amounts, [
      { discount: 'di_pct', amount: 1833 }, // 1000 + 500 + 333
      { discount: 'di_amt', amount: 1000 }, // 545 + 273 + 182
    ]);
    assert.equal(t.total, 16_198); // 18333 − 2833 + 698 (the inclusive 704 is already inside)
    assert.equal(t.total_excluding_tax, 14_796); // 18333 − 2833 − 704
    // Undiscounted, line 2 carries 5000 − round(5000/1.2 = 4166.67 → 4167) = 833 of VAT: 18333 − 833.
    assert.equal(t.subtotal_excluding_tax, 17_500);
    assert.deepEqual(t.total_taxes, [
      { rate: 'txr_ex', inclusive: false, amount: 698, taxable_amount: 8455 },
      { rate: 'txr_in', inclusive: true, amount: 704, taxable_amount: 3523 },
    ]);
  });

  test('zero-decimal currency amounts follow the same rules on yen', () => {
    // ¥999 at 15 % off: 999·1500/10⁴ = 149.85 → 150; ¥849 taxed 10 %: 84.9 → 85; total 849 + 85 = 934.
    const t = computeTotals([line(999, [rate('txr_jct', 10, false)])], [pct('di', 15)]);
    assert.equal(t.total_discount_amounts[0]!.amount, 150);
    assert.equal(t.total_taxes[0]!.amount, 85);
    assert.equal(t.total, 934);
  });

  test('percent_off with two decimals and a half-cent rounds half up', () => {
    // 12.5 % (P = 1250) of 1004 = 125.5 → 126.
    const t = computeTotals([line(1004)], [pct('di', 12.5)]);
    assert.equal(t.total_discount_amounts[0]!.amount, 126);
    assert.equal(t.total, 878);
  });

  test('amount_off is capped at the discountable amounts and skips credits and non-discountable lines', () => {
    // Only line 1 (300) is eligible: line 2 is not discountable, line 3 is a credit. 500 off → 300.
    const t = computeTotals([line(300), line(700, [], false), line(-200)], [off('di', 500)]);
    assert.deepEqual(t.lines.map((l) => l.discount_amounts.map((d) => d.amount)), [[300], [], []]);
    assert.equal(t.total, 500); // 300 + 700 − 200 − 300
  });

  test('a coupon restricted to products discounts only their lines', () => {
    const t = computeTotals([line(1000, [], true, 'prod_a'), line(1000, [], true, 'prod_b')], [pct('di', 50, ['prod_b'])]);
    assert.deepEqual(t.lines.map((l) => l.discount_amounts.map((d) => d.amount)), [[], [500]]);
  });

  test('two inclusive rates split the tax inside the amount exactly', () => {
    // 1150 with 10 % + 5 % inside: net = 1150/1.15 = 1000; 10 % of net = 100, the other takes 150 − 100 = 50.
    const t = computeTotals([line(1150, [rate('a', 10, true), rate('b', 5, true)])], []);
    assert.deepEqual(t.lines[0]!.taxes.map((x) => x.amount), [100, 50]);
    assert.equal(t.total, 1150);
    assert.equal(t.total_excluding_tax, 1000);
  });

  test('a proration (non-discountable) lists its own discounts with 0 and is not discounted again by the invoice', () => {
    // A cycle line of 3000 and a proration of 1125 already net of di_1 (25 %), which is also the invoice's.
    const pct = { percent_off: 25, amount_off: null, products: null };
    const t = computeTotals([line(3000), line(1125, [], false)], [{ id: 'di_1', ...pct, lines: [1] }, { id: 'di_1', ...pct }]);
    assert.deepEqual(t.lines.map((l) => l.discount_amounts), [[{ discount: 'di_1', amount: 750 }], [{ discount: 'di_1', amount: 0 }]]);
    assert.deepEqual(t.total_discount_amounts, [{ discount: 'di_1', amount: 750 }]);
    assert.equal(t.total, 2250 + 1125);
  });

  test('three-decimal currencies and four-decimal rates', () => {
    // 1.000 KWD = 1000 fils at 7.1234 %: 1000·71234/10⁶ = 71.234 → 71.
    const t = computeTotals([line(1000, [rate('r', 7.1234, false)])], []);
    assert.equal(t.total, 1071);
  });

  test('a negative line gets negative tax, rounded half away from zero', () => {
    // −250 at 10 %: −25; −5 at 10 %: −0.5 → −1.
    const t = computeTotals([line(-250, [rate('r', 10, false)]), line(-5, [rate('r', 10, false)])], []);
    assert.deepEqual(t.total_taxes, [{ rate: 'r', inclusive: false, amount: -26, taxable_amount: -255 }]);
    assert.equal(t.total, -281);
  });
});

describe('allocate', () => {
  test('parts sum exactly, extra cents to the largest remainders, ties to the earlier', () => {
    assert.deepEqual(allocate(100n, [1n, 1n, 1n]), [34n, 33n, 33n]);
    assert.deepEqual(allocate(10n, [0n, 5n]), [0n, 10n]);
    assert.deepEqual(allocate(5n, [0n, 0n]), [0n, 0n]);
  });
});

describe('applyBalance', () => {
  test('credit lowers what is due, never below zero; a negative total becomes credit; a debit is collected', () => {
    assert.deepEqual(applyBalance(1000, -300), { amount_due: 700, ending_balance: 0 });
    assert.deepEqual(applyBalance(1000, -1500), { amount_due: 0, ending_balance: -500 });
    assert.deepEqual(applyBalance(-400, 0), { amount_due: 0, ending_balance: -400 });
    assert.deepEqual(applyBalance(1000, 250), { amount_due: 1250, ending_balance: 0 });
  });
});
