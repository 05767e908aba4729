/**
 * Event retention (retention.ts) on both databases: what goes 30 days after it was stored, what stays,
 * in batches. Rows are written with `stored_at` set relative to the database's own clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { storageCases } from '../../test/support/storages.ts';
import type { Storage } from '../storage/database.ts';
import { EVENT_RETENTION_SECONDS } from './events.ts';
import { pruneEvents } from './retention.ts';

const DAY = 86_400;

for (const c of storageCases()) {
  describe(`event retention on ${c.name}`, () => {
    let storage: Storage;
    let dbNow: number;
    before(async () => {
      storage = await c.open();
      const { rows } = await sql<{ now: number | string }>`select extract(epoch from now())::bigint as now`.execute(storage.db);
      dbNow = Number(rows[0]!.now);
    });
    after(() => storage.close());

    /** An event stored `age` seconds ago (dated `created`, default its storing time), maybe with a delivery. */
    async function event(id: string, age: number, delivery?: 'pending' | 'delivered' | 'failed', attempts = 0, created = dbNow - age): Promise<void> {
      const db = storage.db;
      await sql`insert into events (id, livemode, type, created, data, stored_at)
                values (${id}, false, 'customer.created', ${created}, ${JSON.stringify({ id, created })}::json, ${dbNow - age})`.execute(db);
      if (!delivery) return;
      const { id: deliveryId } = await db
        .insertInto('webhook_deliveries')
        .values({ livemode: false, event_id: id, endpoint_id: 'we_1', created, next_attempt_at: created, status: delivery })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (let i = 0; i < attempts; i++) {
        await db.insertInto('webhook_attempts').values({ delivery_id: deliveryId, attempted_at: created + i, duration_ms: 5, status_code: 500 }).execute();
      }
    }

    const ids = async (table: 'events' | 'webhook_deliveries') =>
      table === 'events'
        ? (await storage.db.selectFrom('events').select('id').orderBy('id').execute()).map((r) => r.id)
        : (await storage.db.selectFrom('webhook_deliveries').select('event_id').orderBy('event_id').execute()).map((r) => r.event_id);

    test('events stored 30 days ago go, with deliveries and attempts; a pending delivery keeps its event', async () => {
      // A margin of an hour either side: the database's clock moves on while the test runs.
      await event('evt_old', EVENT_RETENTION_SECONDS + 3600);
      await event('evt_old_delivered', 35 * DAY, 'delivered', 2);
      await event('evt_old_failed', 33 * DAY, 'failed', 3);
      await event('evt_old_pending', 40 * DAY, 'pending', 1);
      await event('evt_recent', EVENT_RETENTION_SECONDS - 3600, 'delivered', 1);
      // Test-clock events: dated years away from now; their storing time is what counts.
      await event('evt_clock_past_date', 60, undefined, 0, dbNow - 5 * 365 * DAY);
      await event('evt_clock_future_date', 40 * DAY, undefined, 0, dbNow + 5 * 365 * DAY);

      assert.equal(await pruneEvents(storage.db), 4);
      assert.deepEqual(await ids('events'), ['evt_clock_past_date', 'evt_old_pending', 'evt_recent']);
      assert.deepEqual(await ids('webhook_deliveries'), ['evt_old_pending', 'evt_recent']);
      const attempts = await storage.db.selectFrom('webhook_attempts').select('delivery_id').execute();
      assert.equal(attempts.length, 2, 'the pending and the recent delivery keep their attempts');
      assert.equal(await pruneEvents(storage.db), 0, 'nothing left to do');

      // Once its delivery ran its course, the pending one goes too.
      await storage.db.updateTable('webhook_deliveries').set({ status: 'failed' }).where('event_id', '=', 'evt_old_pending').execute();
      assert.equal(await pruneEvents(storage.db), 1);
      assert.deepEqual(await ids('events'), ['evt_clock_past_date', 'evt_recent']);
    });

    test('a new row is stored now; a backlog is worked off in batches, oldest first', async () => {
      await storage.db.insertInto('events').values({ id: 'evt_fresh', livemode: false, type: 'customer.created', created: 0, data: '{}' }).execute();
      const fresh = await storage.db.selectFrom('events').select('stored_at').where('id', '=', 'evt_fresh').executeTakeFirstOrThrow();
      assert.ok(Math.abs(Number(fresh.stored_at) - dbNow) < 3600, 'stored_at defaults to the time of writing');

      for (let i = 0; i < 7; i++) await event(`evt_batch_${i}`, 100 * DAY - i);
      assert.equal(await pruneEvents(storage.db, { batchSize: 2, batches: 2 }), 4);
      const left = async () => (await ids('events')).filter((id) => id.startsWith('evt_batch_'));
      assert.deepEqual(await left(), ['evt_batch_4', 'evt_batch_5', 'evt_batch_6']);
      assert.equal(await pruneEvents(storage.db, { batchSize: 2, batches: 5 }), 3);
      assert.deepEqual(await left(), []);
      assert.ok((await ids('events')).includes('evt_fresh'));
    });
  });
}
