/**
 * Money and dates in the page's locale. Intl separates amount and symbol with U+00A0 (no-break space)
 * in many locales; the expectations spell it out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCount, formatDate, formatMoney, minorUnitsToDecimal } from './format.ts';

const NBSP = '\u00a0';

test('minor units become exact decimals', () => {
  assert.equal(minorUnitsToDecimal(1999, 2), '19.99');
  assert.equal(minorUnitsToDecimal(5, 2), '0.05');
  assert.equal(minorUnitsToDecimal(-5, 2), '-0.05');
  assert.equal(minorUnitsToDecimal(1500, 3), '1.500');
  assert.equal(minorUnitsToDecimal(500, 0), '500');
  assert.equal(minorUnitsToDecimal(0, 3), '0.000');
  assert.equal(minorUnitsToDecimal(123456789012345678901234567890n, 2), '1234567890123456789012345678.90');
  assert.throws(() => minorUnitsToDecimal(1.5, 2), RangeError);
});

test('USD, JPY and KWD in en, de and ja', () => {
  assert.equal(formatMoney(1999, 'usd', 'en'), '$19.99');
  assert.equal(formatMoney(1999, 'usd', 'de'), `19,99${NBSP}$`);
  assert.equal(formatMoney(1999, 'usd', 'ja'), '$19.99');
  // JPY has no minor unit: 500 is ¥500, never ¥5.00.
  assert.equal(formatMoney(500, 'jpy', 'en'), '¥500');
  assert.equal(formatMoney(500, 'jpy', 'de'), `500${NBSP}¥`);
  assert.equal(formatMoney(500, 'JPY', 'ja'), '￥500');
  // KWD has three decimals: 1500 fils is 1.500 KWD.
  assert.equal(formatMoney(1500, 'kwd', 'en'), `KWD${NBSP}1.500`);
  assert.equal(formatMoney(1500, 'kwd', 'de'), `1,500${NBSP}KWD`);
  assert.equal(formatMoney(1500, 'kwd', 'ja'), `KWD${NBSP}1.500`);
});

test('amounts never go through a float', () => {
  // 999 999 999 999.999 has 15 significant digits plus 3 decimals: a float would round the last digit.
  assert.equal(formatMoney(999_999_999_999_999, 'kwd', 'en'), `KWD${NBSP}999,999,999,999.999`);
  assert.equal(formatMoney(-1050, 'eur', 'fr'), `-10,50${NBSP}€`);
  assert.equal(formatMoney(1n, 'usd', 'en'), '$0.01');
});

test('dates are unix seconds, in UTC by default, in the locale', () => {
  const t = 1767225600; // 2026-01-01T00:00:00Z
  assert.equal(formatDate(t, 'en'), 'January 1, 2026');
  assert.equal(formatDate(t, 'en-GB'), '1 January 2026');
  assert.equal(formatDate(t, 'de'), '1. Januar 2026');
  assert.equal(formatDate(t, 'ja'), '2026年1月1日');
  assert.equal(formatDate(t, 'en', { style: 'medium' }), 'Jan 1, 2026');
  // One second before midnight UTC is still Dec 31 in UTC, whatever the server's zone.
  assert.equal(formatDate(t - 1, 'en'), 'December 31, 2025');
  assert.equal(formatDate(t - 1, 'en', { timeZone: 'Asia/Tokyo' }), 'January 1, 2026');
});

test('counts use the locale’s grouping', () => {
  assert.equal(formatCount(1234, 'de'), '1.234');
  assert.equal(formatCount(1234, 'en'), '1,234');
});

test('Arabic and Hebrew: money, dates and counts by Intl, with its direction marks', () => {
  const RLM = '\u200f';
  const LRM = '\u200e';
  // ICU's CLDR for `ar` and `he` uses Latin digits; the marks keep the sign and symbol in place in RTL text.
  assert.equal(formatMoney(199_999, 'usd', 'ar'), `${RLM}1,999.99${NBSP}US$`);
  assert.equal(formatMoney(-500, 'ils', 'he'), `${RLM}${LRM}-5.00${NBSP}${RLM}₪`);
  assert.equal(formatMoney(1500, 'kwd', 'ar'), `${RLM}1.500${NBSP}د.ك.${RLM}`);
  assert.equal(formatMoney(500, 'jpy', 'he'), `${RLM}500${NBSP}${RLM}¥`);
  assert.equal(formatDate(1767225600, 'ar'), '1 يناير 2026');
  assert.equal(formatDate(1767225600, 'he'), '1 בינואר 2026');
  assert.equal(formatCount(1234567, 'ar'), '1,234,567');
  assert.equal(formatCount(1234567, 'he'), '1,234,567');
  // Each matches Intl itself for the locale: the catalogs add nothing of their own.
  assert.equal(formatMoney(123, 'eur', 'ar-EG'), new Intl.NumberFormat('ar-EG', { style: 'currency', currency: 'EUR' }).format(1.23));
});
