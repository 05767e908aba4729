/** Table upkeep without autovacuum (maintenance.ts), on both databases; its thresholds as units. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openPostgresDatabase, storageCases } from '../../test/support/storages.ts';
import type { Storage } from './database.ts';
import { maintainTables, tableWork } from './maintenance.ts';

describe('maintenance thresholds (autovacuum defaults)', () => {
  test('analyze after 50 + 10 % changed rows, vacuum after 50 + 20 % dead or 1,000 + 20 % inserted', () => {
    const quiet = { live: 10_000, dead: 0, modifiedSinceAnalyze: 0, insertedSinceVacuum: 0 };
    assert.equal(tableWork(quiet), null);
    // 50 + 0.1 · 10,000 = 1,050 changed rows: the threshold itself is not enough, one more is.
    assert.equal(tableWork({ ...quiet, modifiedSinceAnalyze: 1_050 }), null);
    assert.equal(tableWork({ ...quiet, modifiedSinceAnalyze: 1_051 }), 'analyze');
    // 50 + 0.2 · 10,000 = 2,050 dead rows.
    assert.equal(tableWork({ ...quiet, dead: 2_050 }), null);
    assert.equal(tableWork({ ...quiet, dead: 2_051 }), 'vacuum');
    // 1,000 + 0.2 · 10,000 = 3,000 inserted rows (an insert-only table still needs its visibility map).
    assert.equal(tableWork({ ...quiet, insertedSinceVacuum: 3_000 }), null);
    assert.equal(tableWork({ ...quiet, insertedSinceVacuum: 3_001 }), 'vacuum');
    // A table that grew from nothing: never analyzed, every row counts.
    assert.equal(tableWork({ live: 0, dead: 0, modifiedSinceAnalyze: 51, insertedSinceVacuum: 51 }), 'analyze');
  });
});

for (const c of storageCases()) {
  describe(`table maintenance on ${c.name}`, () => {
    let storage: Storage;
    before(async () => {
      // On PostgreSQL a database of its own: another test file's open snapshot would keep the dead rows.
      storage = c.name === 'postgres' ? await openPostgresDatabase(process.env.DATABASE_URL!) : await c.open();
    });
    after(() => storage.close());

    test('a table that grew gets statistics, and updated rows are vacuumed, once', async () => {
      const { rows } = await sql<{ autovacuum: boolean }>`
        select current_setting('autovacuum') = 'on'
           and exists (select 1 from pg_stat_activity where backend_type = 'autovacuum launcher') as autovacuum`.execute(storage.db);
      const autovacuum = rows[0]!.autovacuum;
      // PGlite is single-user: no autovacuum can ever run there.
      if (c.name === 'pglite') assert.equal(autovacuum, false);

      await storage.db.connection().execute(async (conn) => {
        await sql`insert into objects (livemode, id, object, created, data)
                  select false, 'obj_' || g, 'thing', g, '{}'::json from generate_series(1, 2000) g`.execute(conn);
        await sql`update objects set deleted = true where id like 'obj_%' and created <= 1000`.execute(conn);
        // A PostgreSQL backend reports its counters at most once a second; this one reports them now.
        await sql`select pg_stat_force_next_flush()`.execute(conn);
      });

      const work = await maintainTables(storage.db);
      if (autovacuum) {
        // A server whose autovacuum runs is left to it.
        assert.deepEqual(work, []);
        return;
      }
      // 3,000 inserted row versions (> 1,000 + 20 % of 2,000), 1,000 of them dead (> 50 + 400).
      assert.deepEqual(work.find((w) => w.table === 'objects'), { table: 'objects', action: 'vacuum' });
      const stats = await sql<{ n_dead_tup: number | string; analyzed: boolean; histogram: boolean }>`
        select n_dead_tup, coalesce(last_analyze, last_autoanalyze) is not null as analyzed,
               exists (select 1 from pg_stats where schemaname = current_schema() and tablename = 'objects'
                         and attname = 'object') as histogram
          from pg_stat_user_tables where schemaname = current_schema() and relname = 'objects'`.execute(storage.db);
      assert.equal(Number(stats.rows[0]!.n_dead_tup), 0);
      assert.equal(stats.rows[0]!.analyzed, true);
      assert.equal(stats.rows[0]!.histogram, true);
      // Nothing changed since: nothing to do.
      assert.equal((await maintainTables(storage.db)).find((w) => w.table === 'objects'), undefined);
    });

    test('refuses to run inside a transaction (VACUUM cannot)', async () => {
      await storage.db.transaction().execute(async (tx) => {
        await assert.rejects(maintainTables(tx), /outside transactions/);
      });
    });
  });
}
