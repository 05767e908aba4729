/** Storage on both databases: migrations, int8 parsing, and transactions that never lose updates. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { storageCases } from '../../test/support/storages.ts';
import { openStorage, type Storage } from './database.ts';
import { DataDirLockedError } from './lock.ts';

for (const c of storageCases()) {
  describe(`storage on ${c.name}`, () => {
    let storage: Storage;
    before(async () => {
      storage = await c.open();
    });
    after(() => storage.close());

    test('migrations create the tables and bigints come back as numbers', async () => {
      await storage.db
        .insertInto('objects')
        .values({ livemode: false, id: 'x_1', object: 'thing', created: 1_900_000_000, customer: null, data: '{"a":1}' })
        .execute();
      const row = await storage.db.selectFrom('objects').selectAll().where('id', '=', 'x_1').executeTakeFirstOrThrow();
      assert.equal(row.created, 1_900_000_000);
      assert.equal(typeof row.seq, 'number');
      assert.deepEqual(row.data, { a: 1 });
      assert.deepEqual(row.private, {});
    });

    test('200 concurrent read-modify-write transactions lose no update', async () => {
      await storage.db
        .insertInto('objects')
        .values({ livemode: false, id: 'counter', object: 'thing', created: 0, customer: null, data: '{"n":0}' })
        .execute();
      const increment = () =>
        storage.db.transaction().execute(async (tx) => {
          const row = await tx
            .selectFrom('objects')
            .select('data')
            .where('id', '=', 'counter')
            .forUpdate()
            .executeTakeFirstOrThrow();
          // Yield to the event loop between read and write, where a lost update would slip in.
          await new Promise((r) => setImmediate(r));
          await tx
            .updateTable('objects')
            .set({ data: JSON.stringify({ n: row.data.n + 1 }) })
            .where('id', '=', 'counter')
            .execute();
        });
      await Promise.all(Array.from({ length: 200 }, increment));
      const row = await storage.db.selectFrom('objects').select('data').where('id', '=', 'counter').executeTakeFirstOrThrow();
      assert.equal(row.data.n, 200);
    });

    test('a failed transaction rolls back and leaves the connection usable', async () => {
      await assert.rejects(
        storage.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('objects')
            .values({ livemode: false, id: 'rolled_back', object: 'thing', created: 0, customer: null, data: '{}' })
            .execute();
          throw new Error('boom');
        }),
        /boom/,
      );
      const found = await storage.db.selectFrom('objects').select('id').where('id', '=', 'rolled_back').execute();
      assert.equal(found.length, 0);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(storage.db);
      assert.equal(rows[0]?.one, 1);
    });

    test('queries outside a transaction interleave safely with one in progress', async () => {
      let inside = 0;
      const tx = storage.db.transaction().execute(async (t) => {
        await t.insertInto('objects').values({ livemode: false, id: 'tx_row', object: 'thing', created: 0, customer: null, data: '{}' }).execute();
        await new Promise((r) => setTimeout(r, 20));
        inside = (await t.selectFrom('objects').select('id').where('id', '=', 'tx_row').execute()).length;
      });
      const outside = storage.db.selectFrom('objects').select('id').where('id', '=', 'tx_row').execute();
      await Promise.all([tx, outside]);
      assert.equal(inside, 1);
    });

    test('controlled transactions: savepoints roll back alone, release keeps work, commit is atomic', async () => {
      const row = (id: string) => ({ livemode: false, id, object: 'thing', created: 0, customer: null, data: '{}' });
      const trx = await storage.db.startTransaction().execute();
      await trx.insertInto('objects').values(row('sp_a')).execute();
      const first = await trx.savepoint('one').execute();
      await first.insertInto('objects').values(row('sp_b')).execute();
      // A failing statement inside the savepoint aborts only the savepoint.
      await assert.rejects(first.insertInto('objects').values(row('sp_a')).execute());
      await first.rollbackToSavepoint('one').execute();
      await first.releaseSavepoint('one').execute();
      await trx.insertInto('objects').values(row('sp_c')).execute();
      const second = await trx.savepoint('two').execute();
      await second.insertInto('objects').values(row('sp_d')).execute();
      await second.releaseSavepoint('two').execute();
      // A query on the root database meanwhile sees none of it, and (on PGlite) waits for the commit.
      const outside = storage.db.selectFrom('objects').select('id').where('id', 'like', 'sp_%').execute();
      const before = await Promise.race([outside, new Promise((r) => setTimeout(() => r('waiting'), 20))]);
      if (c.name === 'pglite') assert.equal(before, 'waiting');
      else assert.deepEqual(before, []);
      await trx.commit().execute();
      await outside;
      const ids = (await storage.db.selectFrom('objects').select('id').where('id', 'like', 'sp_%').orderBy('id').execute()).map((r) => r.id);
      assert.deepEqual(ids, ['sp_a', 'sp_c', 'sp_d']);
      // The connection is free again.
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(storage.db);
      assert.equal(rows[0]?.one, 1);
    });

    test('a controlled transaction rolled back whole leaves nothing, savepoints included', async () => {
      const trx = await storage.db.startTransaction().execute();
      const sp = await trx.savepoint('s').execute();
      await sp.insertInto('objects').values({ livemode: false, id: 'sp_gone', object: 'thing', created: 0, customer: null, data: '{}' }).execute();
      await sp.releaseSavepoint('s').execute();
      await trx.rollback().execute();
      assert.equal((await storage.db.selectFrom('objects').select('id').where('id', '=', 'sp_gone').execute()).length, 0);
    });
  });
}

describe('embedded data directory', () => {
  test('a second process cannot open the same directory; a stale lock is taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-lock-'));
    try {
      const first = await openStorage({ kind: 'pglite', dataDir: dir });
      await assert.rejects(openStorage({ kind: 'pglite', dataDir: dir }), DataDirLockedError);
      await first.close();
      // A lock left by a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max default).
      writeFileSync(join(dir, 'portico.lock'), String(4194305));
      const again = await openStorage({ kind: 'pglite', dataDir: dir });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
