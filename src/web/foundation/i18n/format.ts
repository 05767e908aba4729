/**
 * Dates and money for portal pages, in the page's locale.
 *
 * Dates are unix seconds formatted in UTC by default. The portal runs no script, so it cannot learn the
 * browser's time zone, and the customer record has none; UTC is the one zone in which a billing date
 * reads the same on the page, in the login email, on the hosted invoice and in the PDF (which also
 * format in UTC), and in which tests are deterministic. A caller that knows better passes `timeZone`.
 *
 * Money is integer minor units. The amount becomes an exact decimal string (`1999` USD → `"19.99"`,
 * `1500` KWD → `"1.500"`) that `Intl.NumberFormat` formats without ever going through a float.
 */
import { currencyExponent } from '../../../lib/money.ts';

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * A date for people, e.g. `formatDate(1767225600, 'de')` → `1. Januar 2026`.
 * @param style `long` (default) for prose, `medium` for tables.
 */
export function formatDate(unixSeconds: number, locale: string, options: { timeZone?: string; style?: 'long' | 'medium' } = {}): string {
  const timeZone = options.timeZone ?? 'UTC';
  const style = options.style ?? 'long';
  const key = `${locale}\u0000${timeZone}\u0000${style}`;
  let fmt = dateFormats.get(key);
  if (!fmt) dateFormats.set(key, (fmt = new Intl.DateTimeFormat(locale, { dateStyle: style, timeZone })));
  return fmt.format(new Date(unixSeconds * 1000));
}

/** `amount` minor units as an exact decimal string with `exponent` decimals: `(-5, 2)` → `"-0.05"`. */
export function minorUnitsToDecimal(amount: number | bigint, exponent: number): `${number}` {
  if (typeof amount === 'number' && !Number.isSafeInteger(amount)) throw new RangeError('amount must be an integer');
  const n = BigInt(amount);
  const digits = (n < 0n ? -n : n).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${n < 0n ? '-' : ''}${whole}${fraction}` as `${number}`;
}

declare global {
  namespace Intl {
    interface NumberFormat {
      /** Exact decimal strings (ES2023 Intl, in Node 20); the project's ES2022 lib types omit this overload. */
      format(value: `${number}`): string;
    }
  }
}

/**
 * Money for people in the page's locale with the currency's own decimals.
 * @example formatMoney(1999, 'usd', 'en') // '$19.99'
 * @example formatMoney(1500, 'kwd', 'en') // 'KWD 1.500'
 * @example formatMoney(500, 'jpy', 'ja') // '￥500'
 */
export function formatMoney(amount: number | bigint, currency: string, locale: string): string {
  const code = currency.toLowerCase();
  const exponent = currencyExponent(code);
  const key = `${locale}\u0000${code}`;
  let fmt = moneyFormats.get(key);
  if (!fmt) {
    fmt = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: code.toUpperCase(),
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    moneyFormats.set(key, fmt);
  }
  return fmt.format(minorUnitsToDecimal(amount, exponent));
}

/** A plain count in the locale (`1234` → `1.234` in `de`), for `quantityOf`. */
export function formatCount(n: number, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}
