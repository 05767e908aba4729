/**
 * The billing clock's optimistic runs, on both databases: objects whose handler is registered with a
 * unit of work run together in one savepoint, their writes (objects, events, billing periods) buffered
 * and flushed at the end. A failing handler rolls the run back: it is backed off and the objects before
 * it run again; writes that fail at the flush (a `billing_periods` primary key) split the run until the
 * failing object is alone. Other handlers keep one savepoint each, at most MAX_SAVEPOINTS per batch.
 * Dates: anchor 2027-01-31T10:00:00Z, monthly boundaries as in billing-clock.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_SAVEPOINTS, registerDueHandler, runDueWork } from '../src/billing/billing-clock.ts';
import { recordPeriod } from '../src/billing/subscriptions/status.ts';
import { periodContaining } from '../src/billing/periods.ts';
import { advanceTestClock, completeAdvance, createTestClock } from '../src/billing/test-clocks.ts';
import { emit } from '../src/events/outbox.ts';
import { ManualClock, type Clock } from '../src/lib/clock.ts';
import type { Ctx } from '../src/storage/context.ts';
import type { Db } from '../src/storage/database.ts';
import { findObject, insertObject, updateObject } from '../src/storage/objects.ts';
import { storageCases } from './support/storages.ts';
import { createCustomer, getCustomer, updateCustomer } from '../src/billing/customers.ts';
import { createInvoiceItem } from '../src/billing/invoice-items.ts';
import { attachPaymentMethod } from '../src/billing/payment-methods.ts';
import { createPrice } from '../src/billing/prices.ts';
import { createSubscription } from '../src/billing/subscriptions/index.ts';
import { getInvoice } from '../src/billing/invoices/index.ts';

const BATCHED = 'test_batched';
const PLAIN = 'test_plain';
const T0 = 1801389600; // 2027-01-31T10:00:00Z
const FEB28 = 1803808800;
const MAR31 = 1806487200;
const APR30 = 1809079200;
const NOW = 1811808000; // 2027-06-01T00:00:00Z
const JUN30 = 1814349600; // the next boundary after NOW: 2027-06-30T10:00:00Z

const calls: string[] = [];
const preloaded: string[][] = [];
const failing = new Set<string>();

/** What a renewal does, through the unit of work: a new object, its own row updated, an event, a period. */
registerDueHandler(
  BATCHED,
  async (ctx, row) => {
    const due = row.due_at!;
    calls.push(row.id);
    assert.ok(ctx.uow, 'batched handlers get a unit of work');
    const note = { id: `note_${row.id}_${due}`, object: 'test_note', for: row.id, due };
    await insertObject(ctx, { id: note.id, object: 'test_note', created: due, data: note });
    // Read back through the unit of work (not yet in the database) and changed again.
    const read = await findObject<typeof note & { seen?: boolean }>(ctx, 'test_note', note.id, { forUpdate: true });
    assert.ok(read);
    await updateObject(ctx, note.id, { data: { ...read.data, seen: true } });
    await updateObject(ctx, row.id, { data: { ...row.data, renewed: due } });
    await emit(ctx, 'invoice.created', note);
    await recordPeriod(ctx, row.id, due, `in_${row.id}`);
    if (failing.has(row.id)) throw new Error(`renewal of ${row.id} failed`);
    return periodContaining(row.data.anchor as number, 'month', 1, due).end;
  },
  {
    unitOfWork: {
      preload: async (_ctx, rows) => {
        preloaded.push(rows.map((r) => r.id));
      },
    },
  },
);

registerDueHandler(PLAIN, async (ctx, row) => {
  calls.push(row.id);
  assert.equal(ctx.uow, undefined);
  if (failing.has(row.id)) throw new Error(`renewal of ${row.id} failed`);
  return periodContaining(row.data.anchor as number, 'month', 1, row.due_at!).end;
});

function ctxOf(db: Db, clock: Clock): Ctx {
  return { db, livemode: false, clock, request: { id: null, idempotencyKey: null } };
}

async function due(ctx: Ctx, id: string, type: string, at: number, testClock: string | null = null): Promise<void> {
  await insertObject(ctx, { id, object: type, created: T0, data: { id, anchor: T0 }, due_at: at, test_clock: testClock });
}

async function stateOf(db: Db, id: string) {
  const row = await db.selectFrom('objects').select(['due_at', 'private', 'data']).where('id', '=', id).executeTakeFirstOrThrow();
  const periods = await db.selectFrom('billing_periods').select('period_start').where('subscription', '=', id).orderBy('period_start').execute();
  const note = await db.selectFrom('objects').select('data').where('object', '=', 'test_note').where('id', 'like', `note_${id}_%`).execute();
  return { due_at: row.due_at, private: row.private, data: row.data, periods: periods.map((p) => p.period_start), notes: note.map((n) => n.data) };
}

async function noteEvents(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('events').select(['type', 'data']).where('type', '=', 'invoice.created').orderBy('seq').execute();
  return rows.map((r) => r.data.data.object.for as string);
}

for (const c of storageCases()) {
  describe(`billing clock batches on ${c.name}`, () => {
    test('a run of unit-of-work objects commits together; another handler in between gets its own savepoint', async () => {
      const storage = await c.open();
      try {
        const clock = new ManualClock(NOW);
        const ctx = ctxOf(storage.db, clock);
        const ids = ['a1', 'a2', 'p', 'a3', 'a4'].map((x) => `${c.name}_${x}`);
        for (const [i, id] of ids.entries()) await due(ctx, id, id.endsWith('_p') ? PLAIN : BATCHED, NOW - 100 + i);
        calls.length = 0;
        preloaded.length = 0;
        const errors: unknown[] = [];
        assert.equal(await runDueWork(storage.db, clock, { onError: (e) => errors.push(e) }), 5);
        assert.deepEqual(errors, []);
        assert.deepEqual(calls, ids);
        // One preload per run of batched objects (before and after the plain one).
        assert.deepEqual(preloaded, [ids.slice(0, 2), ids.slice(3)]);
        for (const [i, id] of ids.entries()) {
          const s = await stateOf(storage.db, id);
          assert.equal(s.due_at, JUN30, id);
          if (id.endsWith('_p')) continue;
          assert.deepEqual(s.periods, [NOW - 100 + i]);
          assert.equal(s.data.renewed, NOW - 100 + i);
          assert.deepEqual(s.notes, [{ id: `note_${id}_${NOW - 100 + i}`, object: 'test_note', for: id, due: NOW - 100 + i, seen: true }]);
        }
        // Events in the order they were emitted.
        assert.deepEqual(await noteEvents(storage.db), ids.filter((id) => !id.endsWith('_p')));
      } finally {
        await storage.close();
      }
    });

    test('a failing handler: the run is rolled back, the object backed off, the others run again and commit once', async () => {
      const storage = await c.open();
      try {
        const clock = new ManualClock(NOW);
        const ctx = ctxOf(storage.db, clock);
        const ids = ['b1', 'b2', 'bad', 'b3', 'b4'].map((x) => `${c.name}_${x}`);
        for (const [i, id] of ids.entries()) await due(ctx, id, BATCHED, NOW - 100 + i);
        const bad = ids[2]!;
        failing.add(bad);
        calls.length = 0;
        const errors: unknown[] = [];
        try {
          assert.equal(await runDueWork(storage.db, clock, { onError: (e) => errors.push(e) }), 5);
        } finally {
          failing.delete(bad);
        }
        assert.equal(errors.length, 1);
        assert.match(String(errors[0]), /renewal of .*_bad failed/);
        // The objects before the failing one ran twice (the first run was rolled back), those after once.
        assert.deepEqual(calls, [ids[0], ids[1], bad, ids[0], ids[1], ids[3], ids[4]]);
        for (const [i, id] of ids.entries()) {
          const s = await stateOf(storage.db, id);
          if (id === bad) {
            assert.equal(s.due_at, NOW + 60);
            assert.equal(s.private.due_failures, 1);
            assert.equal(s.private.due_for, NOW - 98);
            assert.deepEqual(s.periods, []);
            assert.deepEqual(s.notes, []);
            assert.equal(s.data.renewed, undefined);
          } else {
            assert.equal(s.due_at, JUN30);
            assert.deepEqual(s.periods, [NOW - 100 + i], id);
            assert.equal(s.notes.length, 1, id);
          }
        }
        // Each committed object's event once, in due order; none for the failed one.
        assert.deepEqual(await noteEvents(storage.db), ids.filter((id) => id !== bad));

        // Its retry renews the period it was due for.
        clock.set(NOW + 60);
        assert.equal(await runDueWork(storage.db, clock), 1);
        const s = await stateOf(storage.db, bad);
        assert.deepEqual(s.periods, [NOW - 98]);
        assert.equal(s.due_at, JUN30);
        assert.equal('due_failures' in s.private, false);
      } finally {
        await storage.close();
      }
    });

    test('writes refused at the flush (a period already invoiced) are narrowed down to their object', async () => {
      const storage = await c.open();
      try {
        const clock = new ManualClock(NOW);
        const ctx = ctxOf(storage.db, clock);
        const ids = Array.from({ length: 7 }, (_, i) => `${c.name}_f${i}`);
        for (const [i, id] of ids.entries()) await due(ctx, id, BATCHED, NOW - 100 + i);
        const taken = ids[4]!;
        await storage.db
          .insertInto('billing_periods')
          .values({ livemode: false, subscription: taken, period_start: NOW - 96, invoice: 'in_earlier', created: NOW - 96 })
          .execute();
        const errors: unknown[] = [];
        assert.equal(await runDueWork(storage.db, clock, { onError: (e) => errors.push(e) }), 7);
        assert.equal(errors.length, 1);
        assert.equal((errors[0] as { code?: string }).code, '23505');
        for (const [i, id] of ids.entries()) {
          const s = await stateOf(storage.db, id);
          if (id === taken) {
            assert.equal(s.due_at, NOW + 60);
            assert.equal(s.private.due_failures, 1);
            assert.deepEqual(s.notes, []);
          } else {
            assert.equal(s.due_at, JUN30, id);
            assert.deepEqual(s.periods, [NOW - 100 + i], id);
            assert.equal(s.notes.length, 1, id);
          }
        }
        const invoices = await storage.db.selectFrom('billing_periods').select('invoice').where('subscription', '=', taken).execute();
        assert.deepEqual(invoices, [{ invoice: 'in_earlier' }]);
        assert.deepEqual(await noteEvents(storage.db), ids.filter((id) => id !== taken));
      } finally {
        await storage.close();
      }
    });

    test(`at most ${MAX_SAVEPOINTS} savepoints per batch: the rest stays due for the next`, async () => {
      const storage = await c.open();
      try {
        const clock = new ManualClock(NOW);
        const ctx = ctxOf(storage.db, clock);
        const n = MAX_SAVEPOINTS + 5;
        for (let i = 0; i < n; i++) await due(ctx, `${c.name}_s${String(i).padStart(3, '0')}`, PLAIN, NOW - 1000 + i);
        assert.equal(await runDueWork(storage.db, clock), MAX_SAVEPOINTS);
        const left = await storage.db.selectFrom('objects').select('id').where('object', '=', PLAIN).where('due_at', '<=', NOW).orderBy('due_at').execute();
        assert.deepEqual(left.map((r) => r.id), Array.from({ length: 5 }, (_, i) => `${c.name}_s${String(MAX_SAVEPOINTS + i).padStart(3, '0')}`));
        assert.equal(await runDueWork(storage.db, clock), 5);
        assert.equal(await runDueWork(storage.db, clock), 0);
      } finally {
        await storage.close();
      }
    });

    test('two renewals of one customer in one batch: numbers, credit balance and a pending item each taken once', async () => {
      const storage = await c.open();
      try {
        const start = T0;
        const clock = new ManualClock(start);
        const ctx = ctxOf(storage.db, clock);
        const price = await createPrice(ctx, {
          currency: 'usd',
          unit_amount: 1500,
          recurring: { interval: 'month' },
          product_data: { name: 'Plan' },
        } as Parameters<typeof createPrice>[1]);
        const customer = await createCustomer(ctx, { email: 'two@example.com' });
        const pm = await attachPaymentMethod(ctx, 'pm_card_visa', customer.id);
        await updateCustomer(ctx, customer.id, { invoice_settings: { default_payment_method: pm.id } });
        const a = await createSubscription(ctx, { customer: customer.id, items: [{ price: price.id }] });
        const b = await createSubscription(ctx, { customer: customer.id, items: [{ price: price.id }] });
        // After the first invoices (0001, 0002, paid): a $5.00 credit and a $7.00 pending item.
        await updateCustomer(ctx, customer.id, { balance: -500 });
        await createInvoiceItem(ctx, { customer: customer.id, amount: 700, currency: 'usd' } as Parameters<typeof createInvoiceItem>[1]);

        clock.set(FEB28 + 60); // past both period ends (Feb 28, 10:00)
        const errors: unknown[] = [];
        assert.equal(await runDueWork(storage.db, clock, { onError: (e) => errors.push(e) }), 2);
        assert.deepEqual(errors, []);
        const latest = async (id: string) => {
          const row = await storage.db.selectFrom('objects').select('data').where('id', '=', id).executeTakeFirstOrThrow();
          return getInvoice(ctx, (row.data as { latest_invoice: string }).latest_invoice);
        };
        const ia = await latest(a.id);
        const ib = await latest(b.id);
        // In due order (same time: creation order), a first: its invoice takes the item and the credit.
        assert.equal(ia.number, `${customer.invoice_prefix}-0003`);
        assert.equal(ib.number, `${customer.invoice_prefix}-0004`);
        assert.deepEqual([ia.subtotal, ia.starting_balance, ia.ending_balance, ia.amount_due, ia.amount_paid], [2200, -500, 0, 1700, 1700]);
        assert.deepEqual([ib.subtotal, ib.starting_balance, ib.ending_balance, ib.amount_due, ib.amount_paid], [1500, 0, 0, 1500, 1500]);
        assert.equal(ia.lines.data.length, 2);
        assert.equal(ib.lines.data.length, 1);
        assert.deepEqual([ia.status, ib.status], ['paid', 'paid']);
        const after = await getCustomer(ctx, customer.id);
        assert.equal(after.balance, 0);
        assert.equal(after.next_invoice_sequence, 5);
        const balanceEvents = await storage.db.selectFrom('events').select('data').where('type', '=', 'customer.updated').orderBy('seq').execute();
        const last = balanceEvents.at(-1)!.data.data;
        assert.deepEqual([last.object.balance, last.previous_attributes.balance], [0, -500]);
      } finally {
        await storage.close();
      }
    });

    test('a test-clock advance flushes each object before the next is looked at', async () => {
      const storage = await c.open();
      try {
        const clock = new ManualClock(T0);
        const ctx = ctxOf(storage.db, clock);
        const tc = await createTestClock(ctx, { frozen_time: T0 });
        const id = `${c.name}_clocked`;
        await due(ctx, id, BATCHED, FEB28, tc.id);
        await storage.db.transaction().execute(async (tx) => {
          await advanceTestClock(ctxOf(tx, clock), tc.id, APR30);
          await completeAdvance(ctxOf(tx, clock), tc.id);
        });
        const s = await stateOf(storage.db, id);
        assert.deepEqual(s.periods, [FEB28, MAR31, APR30]);
        assert.equal(s.notes.length, 3);
        assert.equal(s.data.renewed, APR30);
      } finally {
        await storage.close();
      }
    });
  });
}
