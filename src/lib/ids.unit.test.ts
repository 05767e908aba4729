/** Ids: Stripe's shape, unique, and consecutive ones neighbours in byte order (index locality). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from './ids.ts';

test('ids: prefix and 24 base62 characters; unique; a process makes them in increasing byte order', () => {
  const ids = Array.from({ length: 5_000 }, () => newId('invoice'));
  for (const id of ids) assert.match(id, /^in_[0-9A-Za-z]{24}$/);
  assert.equal(new Set(ids).size, ids.length);
  // The first 8 characters count up (base62 '0-9A-Za-z' is ASCII order), so sorting keeps the order.
  const heads = ids.map((id) => id.slice(3, 11));
  assert.deepEqual([...heads].sort(), heads);
  assert.equal(new Set(heads).size, ids.length);
  // The rest is random: no two tails alike.
  assert.equal(new Set(ids.map((id) => id.slice(11))).size, ids.length);
});
