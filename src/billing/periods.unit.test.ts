/** Billing-period arithmetic: anchors, clamping to month ends, leap years, periods containing a time. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addInterval, periodContaining } from './periods.ts';

/** Unix seconds of an ISO-8601 UTC instant (test fixtures only). */
const at = (iso: string): number => Date.parse(iso) / 1000;
/** The ISO string of unix seconds, for readable assertions. */
const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

describe('addInterval', () => {
  test('fixed numbers: 2027-01-31T10:00:00Z monthly → 2027-02-28T10:00:00Z → 2027-03-31T10:00:00Z', () => {
    assert.equal(addInterval(1801389600, 'month', 1, 0), 1801389600);
    assert.equal(addInterval(1801389600, 'month', 1, 1), 1803808800);
    assert.equal(addInterval(1801389600, 'month', 1, 2), 1806487200);
  });

  test('a month-end anchor clamps each month from the anchor, never from the previous clamped date', () => {
    const anchor = at('2027-01-31T10:00:00Z');
    const got = [1, 2, 3, 4, 5, 6, 12, 13].map((n) => iso(addInterval(anchor, 'month', 1, n)));
    assert.deepEqual(got, [
      '2027-02-28T10:00:00Z',
      '2027-03-31T10:00:00Z',
      '2027-04-30T10:00:00Z',
      '2027-05-31T10:00:00Z',
      '2027-06-30T10:00:00Z',
      '2027-07-31T10:00:00Z',
      '2028-01-31T10:00:00Z',
      '2028-02-29T10:00:00Z', // leap year
    ]);
  });

  test('day 30 and 29 anchors in February', () => {
    assert.equal(iso(addInterval(at('2027-01-30T00:00:00Z'), 'month', 1, 1)), '2027-02-28T00:00:00Z');
    assert.equal(iso(addInterval(at('2027-01-30T00:00:00Z'), 'month', 1, 2)), '2027-03-30T00:00:00Z');
    assert.equal(iso(addInterval(at('2028-01-29T00:00:00Z'), 'month', 1, 1)), '2028-02-29T00:00:00Z');
  });

  test('keeps the time of day to the second', () => {
    const anchor = at('2026-11-22T23:59:59Z');
    assert.equal(iso(addInterval(anchor, 'month', 1, 1)), '2026-12-22T23:59:59Z');
    assert.equal(iso(addInterval(anchor, 'month', 1, 2)), '2027-01-22T23:59:59Z'); // across a year end
  });

  test('interval_count: every 3 months, every 2 weeks, every 10 days', () => {
    const anchor = at('2026-11-30T08:00:00Z');
    assert.equal(iso(addInterval(anchor, 'month', 3, 1)), '2027-02-28T08:00:00Z');
    assert.equal(iso(addInterval(anchor, 'month', 3, 2)), '2027-05-30T08:00:00Z');
    assert.equal(iso(addInterval(anchor, 'week', 2, 1)), '2026-12-14T08:00:00Z');
    assert.equal(iso(addInterval(anchor, 'day', 10, 3)), '2026-12-30T08:00:00Z');
  });

  test('years: Feb 29 → Feb 28 in non-leap years and back to Feb 29 in the next leap year', () => {
    const anchor = at('2028-02-29T12:30:15Z');
    assert.equal(iso(addInterval(anchor, 'year', 1, 1)), '2029-02-28T12:30:15Z');
    assert.equal(iso(addInterval(anchor, 'year', 1, 3)), '2031-02-28T12:30:15Z');
    assert.equal(iso(addInterval(anchor, 'year', 1, 4)), '2032-02-29T12:30:15Z');
    assert.equal(iso(addInterval(anchor, 'year', 2, 1)), '2030-02-28T12:30:15Z');
  });

  test('negative n counts back from the anchor', () => {
    assert.equal(iso(addInterval(at('2027-03-31T00:00:00Z'), 'month', 1, -1)), '2027-02-28T00:00:00Z');
    assert.equal(iso(addInterval(at('2027-03-31T00:00:00Z'), 'month', 1, -3)), '2026-12-31T00:00:00Z');
  });

  test('rejects a non-positive or fractional interval count', () => {
    assert.throws(() => addInterval(0, 'month', 0, 1), RangeError);
    assert.throws(() => addInterval(0, 'day', 1.5, 1), RangeError);
    assert.throws(() => addInterval(0, 'day', 1, 0.5), RangeError);
  });
});

describe('periodContaining', () => {
  const anchor = at('2027-01-31T10:00:00Z');

  test('the anchor starts the first period; an end is the next start (half-open)', () => {
    assert.deepEqual(periodContaining(anchor, 'month', 1, anchor), {
      start: anchor,
      end: at('2027-02-28T10:00:00Z'),
    });
    assert.deepEqual(periodContaining(anchor, 'month', 1, at('2027-02-28T10:00:00Z')), {
      start: at('2027-02-28T10:00:00Z'),
      end: at('2027-03-31T10:00:00Z'),
    });
    assert.deepEqual(periodContaining(anchor, 'month', 1, at('2027-02-28T09:59:59Z')), {
      start: anchor,
      end: at('2027-02-28T10:00:00Z'),
    });
  });

  test('a time early in a calendar month can still be in the period that began the month before', () => {
    // 2027-03-01 is after Feb 28 10:00 and before Mar 31 10:00.
    assert.deepEqual(periodContaining(1801389600, 'month', 1, 1803859200), { start: 1803808800, end: 1806487200 });
    // 2027-03-31T09:00Z is still in the February period: the March boundary is at 10:00.
    assert.deepEqual(periodContaining(anchor, 'month', 1, at('2027-03-31T09:00:00Z')), {
      start: at('2027-02-28T10:00:00Z'),
      end: at('2027-03-31T10:00:00Z'),
    });
  });

  test('years, weeks and days, far from the anchor', () => {
    assert.deepEqual(periodContaining(at('2028-02-29T00:00:00Z'), 'year', 1, at('2031-06-01T00:00:00Z')), {
      start: at('2031-02-28T00:00:00Z'),
      end: at('2032-02-29T00:00:00Z'),
    });
    assert.deepEqual(periodContaining(at('2026-11-22T00:00:00Z'), 'week', 1, at('2026-12-10T05:00:00Z')), {
      start: at('2026-12-06T00:00:00Z'),
      end: at('2026-12-13T00:00:00Z'),
    });
    assert.deepEqual(periodContaining(at('2026-11-22T00:00:00Z'), 'day', 3, at('2026-11-27T23:59:59Z')), {
      start: at('2026-11-25T00:00:00Z'),
      end: at('2026-11-28T00:00:00Z'),
    });
  });

  test('every hour of a year of monthly periods lands in exactly one period, periods in sequence', () => {
    let previous = periodContaining(anchor, 'month', 1, anchor);
    for (let t = anchor; t < anchor + 366 * 86_400; t += 3_600) {
      const p = periodContaining(anchor, 'month', 1, t);
      assert.ok(p.start <= t && t < p.end);
      assert.ok(p.start === previous.start || p.start === previous.end);
      previous = p;
    }
  });

  test('a time before the anchor is an error', () => {
    assert.throws(() => periodContaining(anchor, 'month', 1, anchor - 1), RangeError);
  });
});
