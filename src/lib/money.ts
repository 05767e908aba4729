/**
 * Money: integer amounts in the currency's minor unit, never floats. This module knows each currency's
 * exponent (zero-decimal JPY, three-decimal KWD) and holds the one rounding rule (half up, per line).
 */
import { errors } from './errors.ts';

/** Currencies whose minor unit is the major unit (amount 100 = ¥100). */
const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);

/** Currencies with three decimals (amount 1000 = 1.000 KWD). */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** ISO 4217 codes Portico accepts for prices, coupons and invoices. */
export const CURRENCIES = new Set([
  ...ZERO_DECIMAL, ...THREE_DECIMAL,
  'aed', 'afn', 'all', 'amd', 'ang', 'aoa', 'ars', 'aud', 'awg', 'azn', 'bam', 'bbd', 'bdt', 'bgn', 'bmd', 'bnd',
  'bob', 'brl', 'bsd', 'bwp', 'byn', 'bzd', 'cad', 'cdf', 'chf', 'cny', 'cop', 'crc', 'cve', 'czk', 'dkk', 'dop',
  'dzd', 'egp', 'etb', 'eur', 'fjd', 'fkp', 'gbp', 'gel', 'gip', 'gmd', 'gtq', 'gyd', 'hkd', 'hnl', 'htg', 'huf',
  'idr', 'ils', 'inr', 'isk', 'jmd', 'kes', 'kgs', 'khr', 'kyd', 'kzt', 'lak', 'lbp', 'lkr', 'lrd', 'lsl', 'mad',
  'mdl', 'mkd', 'mmk', 'mnt', 'mop', 'mur', 'mvr', 'mwk', 'mxn', 'myr', 'mzn', 'nad', 'ngn', 'nio', 'nok', 'npr',
  'nzd', 'pab', 'pen', 'pgk', 'php', 'pkr', 'pln', 'qar', 'ron', 'rsd', 'rub', 'sar', 'sbd', 'scr', 'sek', 'sgd',
  'shp', 'sle', 'sos', 'srd', 'std', 'szl', 'thb', 'tjs', 'top', 'try', 'ttd', 'twd', 'tzs', 'uah', 'usd', 'uyu',
  'uzs', 'wst', 'xcd', 'yer', 'zar', 'zmw',
]);

/** Number of decimals of the currency's major unit: 0 (JPY), 2 (USD) or 3 (KWD). */
export function currencyExponent(currency: string): 0 | 2 | 3 {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

/** Validates and lower-cases a currency param. */
export function parseCurrency(value: string, param = 'currency'): string {
  const c = value.toLowerCase();
  if (!CURRENCIES.has(c)) throw errors.invalidParam(param, `Invalid currency: ${value.slice(0, 10)}.`);
  return c;
}

/** The largest amount Portico accepts on any single price or line, in minor units (Stripe's 8 digits + 4). */
export const MAX_AMOUNT = 999_999_999_999;

/**
 * `numerator / denominator` rounded half up (away from zero for halves), on exact integers.
 * @example roundDiv(5n, 2n) // 3n
 */
export function roundDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const q = (2n * n + denominator) / (2n * denominator);
  return negative ? -q : q;
}

/** Formats an amount for people, e.g. `formatAmount(1999, 'usd', 'en')` → `$19.99`. */
export function formatAmount(amount: number, currency: string, locale = 'en'): string {
  const exp = currencyExponent(currency);
  // Building a formatter costs far more than using one (renewals format a line each).
  const key = `${locale}\u0000${currency}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: currency.toUpperCase(),
      minimumFractionDigits: exp,
      maximumFractionDigits: exp,
    });
    if (formatters.size < 1000) formatters.set(key, format);
  }
  return format.format(amount / 10 ** exp);
}

const formatters = new Map<string, Intl.NumberFormat>();
