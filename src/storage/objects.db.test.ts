/**
 * Lookups by id on both databases: `objectsByIds` returns the rows in the order asked, locks them when
 * asked, and its plan probes the primary key even on a table that was never analyzed (the planner's
 * default guesses made `id IN (…)` read the whole table).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { storageCases } from '../../test/support/storages.ts';
import type { Storage } from './database.ts';
import { objectsByIds, objectsByIdsQuery, objectTextQuery } from './objects.ts';

/** Every node type of an EXPLAIN (FORMAT JSON) plan, depth first. */
function nodeTypes(plan: any): string[] {
  return [plan['Node Type'] as string, ...((plan.Plans ?? []) as any[]).flatMap(nodeTypes)];
}

for (const c of storageCases()) {
  describe(`objects by id on ${c.name}`, () => {
    let storage: Storage;
    before(async () => {
      storage = await c.open();
      // 30,000 rows of three types in both modes, never analyzed.
      await sql`insert into objects (livemode, id, object, created, customer, data)
                select g % 2 = 0, (array['cus_', 'in_', 'price_'])[g % 3 + 1] || g, 'thing', g, null, json_build_object('n', g)
                  from generate_series(1, 30000) g`.execute(storage.db);
    });
    after(() => storage.close());

    test('rows in the order asked, of the mode asked; unknown ids and the other mode left out', async () => {
      // Row g is live when g is even; its prefix is cus_, in_ or price_ as g % 3 is 0, 1 or 2.
      const rows = await objectsByIds(storage.db, true, ['in_4', 'cus_6', 'nope', 'price_8', 'cus_3']);
      assert.deepEqual(rows.map((r) => r.id), ['in_4', 'cus_6', 'price_8'], 'cus_3 is a test-mode row');
      assert.deepEqual(rows[0]!.data, { n: 4 });
      assert.equal(typeof rows[0]!.seq, 'number');
      assert.deepEqual(await objectsByIds(storage.db, true, []), []);
    });

    test('the plan probes the primary key once per id, without statistics', async () => {
      const { rows: stats } = await sql<{ n: number | string }>`
        select count(*) as n from pg_stats where schemaname = current_schema() and tablename = 'objects'`.execute(storage.db);
      assert.equal(Number(stats[0]!.n), 0, 'the table has no statistics');
      const ids = Array.from({ length: 250 }, (_, i) => `cus_${(i + 1) * 6}`);
      for (const forUpdate of [false, true]) {
        const { rows } = await sql<{ 'QUERY PLAN': any }>`explain (format json) ${objectsByIdsQuery(true, ids, forUpdate)}`.execute(storage.db);
        const raw = rows[0]!['QUERY PLAN'];
        const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw)[0].Plan;
        const types = nodeTypes(plan);
        assert.ok(!types.includes('Seq Scan'), `no sequential scan (forUpdate ${forUpdate}): ${types.join(' > ')}`);
        assert.ok(types.some((t) => t === 'Index Scan' || t === 'Bitmap Index Scan'), types.join(' > '));
        assert.ok(types.includes('Nested Loop'), types.join(' > '));
      }
    });

    test('a GET by id probes the primary key, without statistics, among many customers with emails', async () => {
      await sql`insert into objects (livemode, id, object, created, customer, data)
                select false, 'cus_e' || g, 'customer', g, null, json_build_object('email', 'c' || g || '@example.com')
                  from generate_series(1, 20000) g`.execute(storage.db);
      const { rows } = await sql<{ 'QUERY PLAN': any }>`explain (format json) ${objectTextQuery(storage.db, false, 'cus_e77')}`.execute(storage.db);
      const raw = rows[0]!['QUERY PLAN'];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw)[0].Plan;
      const indexes = (p: any): string[] => [...(p['Index Name'] ? [p['Index Name'] as string] : []), ...((p.Plans ?? []) as any[]).flatMap(indexes)];
      assert.ok(!nodeTypes(plan).includes('Seq Scan'), JSON.stringify(plan));
      assert.deepEqual(indexes(plan), ['objects_pkey'], JSON.stringify(plan));
      const found = await objectTextQuery(storage.db, false, 'cus_e77').executeTakeFirst();
      assert.deepEqual(JSON.parse(found!.text), { email: 'c77@example.com' });
    });

    test('forUpdate locks the rows until the transaction ends', async () => {
      if (c.name === 'pglite') {
        // One session: a second transaction cannot even start while the first holds it; the lock
        // clause is still accepted and the rows come back.
        await storage.db.transaction().execute(async (tx) => {
          assert.deepEqual((await objectsByIds(tx, false, ['cus_3'], { forUpdate: true })).map((r) => r.id), ['cus_3']);
        });
        return;
      }
      await storage.db.transaction().execute(async (tx) => {
        await objectsByIds(tx, false, ['cus_3', 'cus_9'], { forUpdate: true });
        const other = storage.db.transaction().execute(async (tx2) => {
          await sql`set local lock_timeout = '100ms'`.execute(tx2);
          await sql`select id from objects where livemode = false and id = 'cus_9' for update`.execute(tx2);
        });
        await assert.rejects(other, /lock timeout/);
      });
    });
  });
}
