/** Currency exponents and the one rounding rule. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currencyExponent, formatAmount, parseCurrency, roundDiv } from './money.ts';

test('currency exponents: zero-, two- and three-decimal currencies', () => {
  assert.equal(currencyExponent('jpy'), 0);
  assert.equal(currencyExponent('usd'), 2);
  assert.equal(currencyExponent('kwd'), 3);
  assert.equal(parseCurrency('EUR'), 'eur');
  assert.throws(() => parseCurrency('xyz'));
});

test('roundDiv rounds half away from zero on exact integers', () => {
  assert.equal(roundDiv(5n, 2n), 3n);
  assert.equal(roundDiv(-5n, 2n), -3n);
  assert.equal(roundDiv(4n, 3n), 1n);
  assert.equal(roundDiv(5n, 3n), 2n);
  // 2999 cents × 15 days / 30 days = 1499.5 → 1500
  assert.equal(roundDiv(2999n * 15n, 30n), 1500n);
  assert.throws(() => roundDiv(1n, 0n));
});

test('formatAmount uses the currency exponent', () => {
  assert.equal(formatAmount(1999, 'usd', 'en'), '$19.99');
  assert.equal(formatAmount(500, 'jpy', 'en'), '¥500');
  assert.match(formatAmount(1500, 'kwd', 'en'), /^KWD\s1\.500$/);
});
