/**
 * The unit of work on both databases: what objects.ts reads through it is what the database would
 * answer after the buffered writes, and `flush` writes exactly that (a small unit in one statement).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { ManualClock } from '../lib/clock.ts';
import { storageCases } from '../../test/support/storages.ts';
import type { Ctx } from './context.ts';
import { findObject, insertObject, listObjects, updateObject } from './objects.ts';
import { UnitOfWork } from './unit-of-work.ts';

const T = 1_800_000_000;

for (const c of storageCases()) {
  describe(`unit of work on ${c.name}`, () => {
    test('reads see buffered writes, as copies; flush writes them; misses and other types read as the database', async () => {
      const storage = await c.open();
      try {
        const base: Ctx = { db: storage.db, livemode: false, clock: new ManualClock(T), request: { id: null, idempotencyKey: null } };
        await insertObject(base, { id: 'cus_1', object: 'customer', created: T, customer: null, data: { id: 'cus_1', n: 1 } });
        await insertObject(base, { id: 'ii_old', object: 'invoiceitem', created: T, customer: 'cus_1', data: { id: 'ii_old' } });
        await storage.db.transaction().execute(async (tx) => {
          const uow = new UnitOfWork('test_channel');
          const ctx: Ctx = { ...base, db: tx, uow };
          const cus = await findObject<{ id: string; n: number }>(ctx, 'customer', 'cus_1', { forUpdate: true });
          assert.equal(cus?.data.n, 1);
          cus!.data.n = 99; // a caller's change to what it read is not a write
          assert.equal((await findObject<{ n: number }>(ctx, 'customer', 'cus_1'))?.data.n, 1);
          await updateObject(ctx, 'cus_1', { data: { id: 'cus_1', n: 2 } });
          assert.equal((await findObject<{ n: number }>(ctx, 'customer', 'cus_1'))?.data.n, 2);
          assert.equal(await findObject(ctx, 'invoice', 'cus_1'), undefined, 'another type: not found');
          assert.equal(await findObject(ctx, 'customer', 'cus_missing'), undefined);

          await insertObject(ctx, { id: 'ii_new', object: 'invoiceitem', created: T, customer: 'cus_1', data: { id: 'ii_new' } });
          await assert.rejects(async () =>
            insertObject(ctx, { id: 'ii_new', object: 'invoiceitem', created: T, customer: 'cus_1', data: { id: 'ii_new' } }),
          );
          // Stored rows by seq, then new ones in insertion order.
          const items = await uow.customerObjects(ctx, 'invoiceitem', 'cus_1', { forUpdate: true });
          assert.deepEqual(items.map((r) => r.id), ['ii_old', 'ii_new']);
          await updateObject(ctx, 'ii_old', { deleted: true });
          assert.deepEqual((await uow.customerObjects(ctx, 'invoiceitem', 'cus_1')).map((r) => r.id), ['ii_new']);
          assert.equal(await findObject(ctx, 'invoiceitem', 'ii_old'), undefined);
          assert.ok(await findObject(ctx, 'invoiceitem', 'ii_old', { includeDeleted: true }));

          // A row moved to another customer moves between their lists.
          await insertObject(ctx, { id: 'ii_moving', object: 'invoiceitem', created: T, customer: 'cus_1', data: { id: 'ii_moving' } });
          await updateObject(ctx, 'ii_moving', { customer: 'cus_2', data: { id: 'ii_moving', moved: true } });
          assert.deepEqual((await uow.customerObjects(ctx, 'invoiceitem', 'cus_1')).map((r) => r.id), ['ii_new']);
          const moved = await uow.customerObjects(ctx, 'invoiceitem', 'cus_2');
          assert.deepEqual(moved.map((r) => [r.id, r.customer, r.data]), [['ii_moving', 'cus_2', { id: 'ii_moving', moved: true }]]);

          // Nothing reached the database yet.
          const before = await tx.selectFrom('objects').select(['id', 'data', 'deleted']).orderBy('seq').execute();
          assert.deepEqual(before.map((r) => [r.id, r.deleted]), [['cus_1', false], ['ii_old', false]]);
          assert.equal((before[0]!.data as { n: number }).n, 1);
          uow.addPeriod({ livemode: false, subscription: 'sub_1', period_start: T, invoice: 'in_1', created: T });
          uow.addEvent({ id: 'evt_1', livemode: false, type: 'customer.updated', created: T }, ['we_1'], null);
          uow.addStatement(sql`insert into idempotency_keys (livemode, key, request_hash, created, status, response)
                                values (false, 'key_1', 'hash', ${T}, 200, '{}')`);

          const counted = uow.statements;
          await uow.flush(tx);
          assert.equal(uow.statements - counted, 1, 'a small flush is one statement');
          assert.deepEqual((await tx.selectFrom('events').select('id').execute()).map((r) => r.id), ['evt_1']);
          assert.deepEqual((await tx.selectFrom('webhook_deliveries').select(['event_id', 'endpoint_id']).execute()).map((r) => [r.event_id, r.endpoint_id]), [['evt_1', 'we_1']]);
          assert.equal((await tx.selectFrom('idempotency_keys').select('key').execute()).length, 1);
          const after = await tx.selectFrom('objects').select(['id', 'data', 'deleted', 'customer']).orderBy('seq').execute();
          assert.deepEqual(after.map((r) => [r.id, r.deleted, r.customer]), [
            ['cus_1', false, null],
            ['ii_old', true, 'cus_1'],
            ['ii_new', false, 'cus_1'],
            ['ii_moving', false, 'cus_2'],
          ]);
          assert.equal((after[0]!.data as { n: number }).n, 2);
          assert.equal((await tx.selectFrom('billing_periods').selectAll().execute()).length, 1);

          // Lists settle the unit first, then read the database.
          await updateObject(ctx, 'cus_1', { data: { id: 'cus_1', n: 3 } });
          const page = await listObjects<{ n: number }>(ctx, 'customer', { limit: 10 });
          assert.equal(page.data[0]!.data.n, 3);
        });
      } finally {
        await storage.close();
      }
    });

    test('a read cache: rows by id and a customer\'s sets in one statement, then served without reading', async () => {
      const storage = await c.open();
      try {
        const base: Ctx = { db: storage.db, livemode: false, clock: new ManualClock(T), request: { id: null, idempotencyKey: null } };
        await insertObject(base, { id: 'price_1', object: 'price', created: T, data: { id: 'price_1' } });
        await insertObject(base, { id: 'cus_1', object: 'customer', created: T, data: { id: 'cus_1' } });
        await insertObject(base, { id: 'ii_1', object: 'invoiceitem', created: T, customer: 'cus_1', data: { id: 'ii_1' } });
        await insertObject(base, { id: 'txi_1', object: 'tax_id', created: T, customer: 'cus_1', data: { id: 'txi_1' } });
        await insertObject(base, { id: 'ii_gone', object: 'invoiceitem', created: T, customer: 'cus_1', data: { id: 'ii_gone' } });
        await updateObject(base, 'ii_gone', { deleted: true });
        await insertObject(base, { id: 'ii_other', object: 'invoiceitem', created: T, customer: 'cus_2', data: { id: 'ii_other' } });
        await insertObject(base, { id: 'ii_2', object: 'invoiceitem', created: T, customer: 'cus_1', data: { id: 'ii_2' } });
        const uow = new UnitOfWork('test_channel');
        const ctx: Ctx = { ...base, uow };
        await uow.preloadWithCustomerObjects(ctx, ['price_1', 'price_missing', 'ii_1'], 'cus_1', ['invoiceitem', 'tax_id']);
        assert.equal(uow.statements, 1);
        assert.equal((await findObject(ctx, 'price', 'price_1'))?.id, 'price_1');
        assert.equal(await findObject(ctx, 'price', 'price_missing'), undefined);
        assert.deepEqual((await uow.customerObjects(ctx, 'invoiceitem', 'cus_1')).map((r) => r.id), ['ii_1', 'ii_2']);
        assert.deepEqual((await uow.customerObjects(ctx, 'tax_id', 'cus_1')).map((r) => r.id), ['txi_1']);
        await uow.preloadCustomerObjects(ctx, ['invoiceitem', 'tax_id'], ['cus_1']);
        assert.equal(uow.statements, 1, 'everything above came from the one statement');
        assert.equal(uow.hasChanges(), false);
        // Not preloaded: read when asked, as always.
        assert.equal((await findObject(ctx, 'customer', 'cus_1'))?.id, 'cus_1');
        assert.equal(uow.statements, 2);
        await updateObject(ctx, 'cus_1', { data: { id: 'cus_1', changed: true } });
        assert.equal(uow.hasChanges(), true, 'a buffered write shows');
      } finally {
        await storage.close();
      }
    });

    test('preloadReads: locked rows, a customer\'s sets (locked or not), rows by id and the rows they name, in one statement', async () => {
      const storage = await c.open();
      try {
        const base: Ctx = { db: storage.db, livemode: false, clock: new ManualClock(T), request: { id: null, idempotencyKey: null } };
        await insertObject(base, { id: 'cus_1', object: 'customer', created: T, data: { id: 'cus_1', invoice_settings: { default_payment_method: 'pm_1' } } });
        await insertObject(base, { id: 'pm_1', object: 'payment_method', created: T, customer: 'cus_1', data: { id: 'pm_1' } });
        await insertObject(base, { id: 'prod_1', object: 'product', created: T, data: { id: 'prod_1' } });
        await insertObject(base, { id: 'prod_2', object: 'product', created: T, data: { id: 'prod_2' } });
        await insertObject(base, { id: 'price_1', object: 'price', created: T, data: { id: 'price_1', product: 'prod_1' } });
        await insertObject(base, { id: 'price_2', object: 'price', created: T, data: { id: 'price_2', product: 'prod_1' } });
        await insertObject(base, { id: 'ii_1', object: 'invoiceitem', created: T, customer: 'cus_1', data: { id: 'ii_1' } });
        await insertObject(base, { id: 'txi_1', object: 'tax_id', created: T, customer: 'cus_1', data: { id: 'txi_1' } });
        await storage.db.transaction().execute(async (tx) => {
          const uow = new UnitOfWork('test_channel');
          const ctx: Ctx = { ...base, db: tx, uow };
          // price_2 is cached with a buffered change: its product is taken from that version.
          assert.ok(await findObject(ctx, 'price', 'price_2'));
          await updateObject(ctx, 'price_2', { data: { id: 'price_2', product: 'prod_2' } });
          const before = uow.statements;
          await uow.preloadReads(ctx, {
            lock: ['cus_1', 'cus_missing'],
            customerObjects: [
              { customer: 'cus_1', objects: ['invoiceitem'], forUpdate: true },
              { customer: 'cus_1', objects: ['tax_id'], forUpdate: false },
            ],
            ids: ['price_1', 'price_missing'],
            refs: [{ from: ['price_1', 'price_2'], path: ['product'] }, { from: ['cus_1'], path: ['invoice_settings', 'default_payment_method'] }],
          });
          assert.equal(uow.statements, before + 1);
          // Served from the unit: locked rows and sets as locked, misses as misses.
          assert.equal((await findObject(ctx, 'customer', 'cus_1', { forUpdate: true }))?.id, 'cus_1');
          assert.equal(await findObject(ctx, 'customer', 'cus_missing', { forUpdate: true }), undefined);
          assert.deepEqual((await uow.customerObjects(ctx, 'invoiceitem', 'cus_1', { forUpdate: true })).map((r) => r.id), ['ii_1']);
          assert.deepEqual((await uow.customerObjects(ctx, 'tax_id', 'cus_1')).map((r) => r.id), ['txi_1']);
          assert.equal((await findObject(ctx, 'price', 'price_1'))?.id, 'price_1');
          assert.equal(await findObject(ctx, 'price', 'price_missing'), undefined);
          for (const id of ['prod_1', 'prod_2']) assert.equal((await findObject(ctx, 'product', id))?.id, id);
          assert.equal((await findObject(ctx, 'payment_method', 'pm_1'))?.id, 'pm_1');
          assert.equal(uow.statements, before + 1, 'everything above came from the one statement');
          // Asked again: nothing left to read.
          await uow.preloadReads(ctx, { lock: ['cus_1'], customerObjects: [{ customer: 'cus_1', objects: ['invoiceitem'], forUpdate: true }], ids: ['price_1'], refs: [{ from: ['price_1'], path: ['product'] }] });
          assert.equal(uow.statements, before + 1);
          // The tax IDs were read unlocked: asking for them locked reads again.
          await uow.customerObjects(ctx, 'tax_id', 'cus_1', { forUpdate: true });
          assert.equal(uow.statements, before + 2);
        });
      } finally {
        await storage.close();
      }
    });
  });
}
