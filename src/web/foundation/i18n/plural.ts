/**
 * Plural forms for catalog functions, chosen with `Intl.PluralRules` so each language gets its own
 * categories (Polish `few`/`many`, Arabic's six — `zero`, `one`, `two`, `few` (3–10), `many` (11–99),
 * `other` (100–102…) —, Hebrew's `one`/`two`/`other`, a single `other` for Japanese). A form a catalog
 * leaves out falls back to `other`.
 */

/** The forms of one message; `#` stands for the formatted count, `%a` for an amount. */
export type PluralForms = { other: string } & Partial<Record<Intl.LDMLPluralRule, string>>;

export type Interval = 'day' | 'week' | 'month' | 'year';

const rules = new Map<string, Intl.PluralRules>();
const numbers = new Map<string, Intl.NumberFormat>();

function cached<T>(map: Map<string, T>, locale: string, make: () => T): T {
  let value = map.get(locale);
  if (!value) map.set(locale, (value = make()));
  return value;
}

/**
 * Picks the form for `n` in `locale` and puts the formatted number in place of `#`.
 * @example plural('pl', 5, { one: '# miesiąc', few: '# miesiące', many: '# miesięcy', other: '# miesiąca' }) // '5 miesięcy'
 */
export function plural(locale: string, n: number, forms: PluralForms): string {
  const category = cached(rules, locale, () => new Intl.PluralRules(locale)).select(n);
  const text = forms[category] ?? forms.other;
  const formatted = cached(numbers, locale, () => new Intl.NumberFormat(locale)).format(n);
  return text.split('#').join(formatted);
}

/** How a language says a recurring price: once per interval, and every `n` intervals. */
export interface RecurringTable {
  /** `%a` is the amount: `'%a per month'`. */
  per: Record<Interval, string>;
  /** `%a` is the amount, `#` the count: `{ other: '%a every # months' }`. */
  every: Record<Interval, PluralForms>;
}

/**
 * Builds a catalog's `pricePerInterval(amount, interval, count)` from its table.
 * @example recurring('en', table)('$10.00', 'month', 3) // '$10.00 every 3 months'
 */
export function recurring(locale: string, table: RecurringTable): (amount: string, interval: Interval, count: number) => string {
  return (amount, interval, count) => {
    const text = count === 1 ? table.per[interval] : plural(locale, count, table.every[interval]);
    return text.split('%a').join(amount);
  };
}
