/**
 * Idempotency keys under a race `lockAndFindKey` cannot see: another request with the same key commits
 * its answer after this request's lookup statement took its snapshot. Storing must then fail (and the
 * API answer 409, so the retry replays the answer that stands), never replace that answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../lib/clock.ts';
import { openPostgresSchema } from '../../test/support/storages.ts';
import type { Ctx } from './context.ts';
import type { Storage } from './database.ts';
import { isKeyTaken, KEY_TTL_SECONDS, lockAndFindKey, storeResponse } from './idempotency-keys.ts';

const PG_URL = process.env.DATABASE_URL;
const NEEDS_PG = PG_URL ? false : 'needs DATABASE_URL (two transactions at once need PostgreSQL; CI sets it)';

describe('idempotency keys on postgres', { skip: NEEDS_PG }, () => {
  let storage: Storage;
  const clock = new ManualClock(1_900_000_000);
  before(async () => {
    storage = await openPostgresSchema(PG_URL!);
  });
  after(() => storage?.close());

  const ctxOf = (db: Ctx['db']): Ctx => ({ db, livemode: false, clock, request: { id: 'req_test', idempotencyKey: null } });
  const stored = (key: string) =>
    storage.db.selectFrom('idempotency_keys').select(['request_hash', 'response']).where('key', '=', key).executeTakeFirst();

  test('an answer committed by another request after the lookup is kept, and storing fails as a key in use', async () => {
    await assert.rejects(
      storage.db.transaction().execute(async (tx) => {
        assert.deepEqual(await lockAndFindKey(ctxOf(tx), 'race', 'hash-b'), { kind: 'new' });
        // The other request, whose lock was freed at its COMMIT just after this lookup's snapshot.
        await storeResponse(ctxOf(storage.db), 'race', 'hash-a', 200, '{"from":"a"}');
        await storeResponse(ctxOf(tx), 'race', 'hash-b', 200, '{"from":"b"}');
      }),
      (err) => isKeyTaken(err),
    );
    assert.deepEqual(await stored('race'), { request_hash: 'hash-a', response: '{"from":"a"}' });
  });

  test('an expired answer is still replaced', async () => {
    await storeResponse(ctxOf(storage.db), 'old', 'hash-a', 200, '{"from":"a"}');
    clock.advance(KEY_TTL_SECONDS + 1);
    await storage.db.transaction().execute(async (tx) => {
      assert.deepEqual(await lockAndFindKey(ctxOf(tx), 'old', 'hash-b'), { kind: 'new' });
      await storeResponse(ctxOf(tx), 'old', 'hash-b', 200, '{"from":"b"}');
    });
    assert.deepEqual(await stored('old'), { request_hash: 'hash-b', response: '{"from":"b"}' });
  });
});
