/** Ids: Stripe's shape, unique, time-ordered heads (index locality) that count nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from './ids.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const headValue = (id: string) => [...id.slice(3, 11)].reduce((n, ch) => n * 62 + BASE62.indexOf(ch), 0);

test('ids: prefix and 24 base62 characters; unique; a process makes them in non-decreasing byte order', () => {
  const ids = Array.from({ length: 5_000 }, () => newId('invoice'));
  for (const id of ids) assert.match(id, /^in_[0-9A-Za-z]{24}$/);
  assert.equal(new Set(ids).size, ids.length);
  // The first 8 characters never go down (base62 '0-9A-Za-z' is ASCII order), so sorting keeps the order.
  const heads = ids.map((id) => id.slice(3, 11));
  assert.deepEqual([...heads].sort(), heads);
  // The rest is random: no two tails alike.
  assert.equal(new Set(ids.map((id) => id.slice(11))).size, ids.length);
});

test('ids: two ids tell how much time passed between them, not how many ids were made (issue 12, item 11)', () => {
  const t0 = Date.now();
  const first = newId('invoice');
  for (let i = 0; i < 10_000; i++) newId('customer');
  const last = newId('invoice');
  const t1 = Date.now();
  // A counter head would differ by 10,001 here; a clock head by at most the milliseconds elapsed.
  assert.ok(headValue(last) - headValue(first) <= t1 - t0, `heads ${headValue(first)} → ${headValue(last)} in ${t1 - t0} ms`);
  assert.ok(Math.abs(headValue(first) - t0) <= t1 - t0 + 1, 'the head is the time in milliseconds');
});
