/** The endpoint cache's lifetime and clearing (its correctness guard is tested across processes). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEndpointCache } from './endpoint-cache.ts';

test('an entry lives lifetimeMs, per mode; clear and forget drop entries', () => {
  let now = 1000;
  const cache = createEndpointCache({ lifetimeMs: 500, now: () => now });
  const value = { version: 3, endpoints: [{ id: 'we_1', enabled_events: ['*'] }] };
  cache.set(false, value);
  assert.equal(cache.get(false), value);
  assert.equal(cache.get(true), undefined);
  now = 1499;
  assert.equal(cache.get(false), value);
  now = 1500;
  assert.equal(cache.get(false), undefined);
  cache.set(false, value);
  cache.set(true, value);
  cache.forget(true);
  assert.equal(cache.get(true), undefined);
  assert.equal(cache.get(false), value);
  cache.clear();
  assert.equal(cache.get(false), undefined);
});
