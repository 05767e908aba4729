/**
 * Billing-period arithmetic in UTC, as Stripe does it. Pure: no clock, no storage.
 *
 * Invariants:
 * - Every boundary is computed from the billing cycle anchor, never from the previous boundary, so a
 *   day-of-month clamped once (Jan 31 → Feb 28) comes back (→ Mar 31) on the next month.
 * - Boundaries keep the anchor's UTC time of day.
 * - Months and years keep the anchor's day of month, clamped to the target month's last day
 *   (Feb 29 → Feb 28 in a non-leap year). Days and weeks are fixed lengths (86,400 s, 604,800 s): UTC has
 *   no daylight-saving shifts.
 * - Periods are half-open: `[start, end)`.
 */

export type Interval = 'day' | 'week' | 'month' | 'year';

export interface Period {
  start: number;
  end: number;
}

const DAY = 86_400;

function assertCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`interval_count must be a positive integer, got ${count}`);
}

/** Days in a month (month 0–11, any integer: it is normalised into its year). */
function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** `anchor` moved by `months` calendar months, day of month clamped, time of day kept. */
function addMonths(anchor: number, months: number): number {
  const d = new Date(anchor * 1000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  // Normalise the target month into (year, 0–11) before clamping the day.
  const ty = y + Math.floor(m / 12);
  const tm = ((m % 12) + 12) % 12;
  const day = Math.min(d.getUTCDate(), daysInMonth(ty, tm));
  const ms = Date.UTC(ty, tm, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
  return Math.floor(ms / 1000);
}

/**
 * The `n`-th period boundary after the billing cycle anchor `anchorTime` (unix seconds) for a price
 * billed every `count` `interval`s. `n = 0` is the anchor itself; negative `n` counts backwards.
 *
 * @example
 * // anchor 2027-01-31T10:00:00Z, monthly
 * addInterval(1801389600, 'month', 1, 1) // 1803808800 = 2027-02-28T10:00:00Z
 * addInterval(1801389600, 'month', 1, 2) // 1806487200 = 2027-03-31T10:00:00Z
 */
export function addInterval(anchorTime: number, interval: Interval, count: number, n: number): number {
  assertCount(count);
  if (!Number.isInteger(n)) throw new RangeError(`n must be an integer, got ${n}`);
  if (!Number.isInteger(anchorTime)) throw new RangeError(`anchor must be integer unix seconds, got ${anchorTime}`);
  switch (interval) {
    case 'day':
      return anchorTime + n * count * DAY;
    case 'week':
      return anchorTime + n * count * 7 * DAY;
    case 'month':
      return addMonths(anchorTime, n * count);
    case 'year':
      return addMonths(anchorTime, n * count * 12);
  }
}

/**
 * The period of the cycle (anchor, interval, count) that contains `t` (`start <= t < end`); `t` must
 * not be before the anchor.
 *
 * @example
 * // anchor 2027-01-31T10:00:00Z, monthly; t = 2027-03-01T00:00:00Z
 * periodContaining(1801389600, 'month', 1, 1803859200)
 * // { start: 1803808800 (2027-02-28T10:00:00Z), end: 1806487200 (2027-03-31T10:00:00Z) }
 */
export function periodContaining(anchor: number, interval: Interval, count: number, t: number): Period {
  assertCount(count);
  if (t < anchor) throw new RangeError(`time ${t} is before the billing cycle anchor ${anchor}`);
  let n: number;
  if (interval === 'day' || interval === 'week') {
    const length = (interval === 'day' ? DAY : 7 * DAY) * count;
    n = Math.floor((t - anchor) / length);
  } else {
    // Estimate from the calendar months between the two dates, then correct by at most a step or two.
    const a = new Date(anchor * 1000);
    const b = new Date(t * 1000);
    const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
    const perPeriod = interval === 'year' ? 12 * count : count;
    n = Math.max(0, Math.floor(months / perPeriod));
    while (n > 0 && addInterval(anchor, interval, count, n) > t) n--;
    while (addInterval(anchor, interval, count, n + 1) <= t) n++;
  }
  return { start: addInterval(anchor, interval, count, n), end: addInterval(anchor, interval, count, n + 1) };
}
