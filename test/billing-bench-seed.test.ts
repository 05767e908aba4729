/**
 * The billing bench's fast seeder (bench/billing-seed.ts), on both databases: replicated subscriptions
 * are the templates' rows with their own ids, token, invoice prefix and email, and the billing clock
 * renews them exactly as it renews the templates (same invoice, amounts, lines, object changes and
 * events, ids aside).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import '../src/billing/subscriptions/index.ts';
import { runDueWork } from '../src/billing/billing-clock.ts';
import { ManualClock } from '../src/lib/clock.ts';
import type { Db } from '../src/storage/database.ts';
import { seedFast } from '../bench/billing-seed.ts';
import { storageCases } from './support/storages.ts';

const T0 = 1801389600; // 2027-01-31T10:00:00Z

/**
 * Each id, hosted token, invoice prefix and email in `text` replaced by its kind and the order it
 * first appears in: two subscriptions' rows compare equal when they differ only by those.
 */
function canonical(text: string): string {
  const names = new Map<string, string>();
  const name = (kind: string, value: string) => {
    let n = names.get(value);
    if (!n) names.set(value, (n = `<${kind}${names.size}>`));
    return n;
  };
  return text
    .replace(/(?<![A-Za-z0-9_])([a-z]+(?:_[a-z]+)*)_[0-9A-Za-z]{24}(?![A-Za-z0-9_])/g, (m, kind: string) => name(kind, m))
    .replace(/ihl_[0-9a-f]{64}/g, (m) => name('ihl', m))
    .replace(/\/i\/[A-Za-z0-9_-]{43}/g, (m) => name('token', m))
    .replace(/(?<=")[A-Z0-9]{8}(?=["-])/g, (m) => name('prefix', m))
    .replace(/(?<=")[a-z]\d+@example\.com(?=")/g, (m) => name('email', m));
}

/** A subscription's customer's rows (objects, periods, events after `seq`), in order, canonical. */
async function rowsOf(db: Db, subscription: string, afterEvent: number): Promise<string> {
  const { customer } = await db.selectFrom('objects').select('customer').where('livemode', '=', false).where('id', '=', subscription).executeTakeFirstOrThrow();
  const objects = await db
    .selectFrom('objects')
    .select(['livemode', 'id', 'object', 'created', 'customer', 'deleted', 'data', 'private', 'due_at', 'test_clock'])
    .where('livemode', '=', false)
    .where('customer', '=', customer)
    .orderBy('seq')
    .execute();
  const periods = await db.selectFrom('billing_periods').selectAll().where('subscription', '=', subscription).orderBy('period_start').execute();
  const { rows: events } = await sql<{ id: string; type: string; created: number; data: unknown }>`
    select id, type, created, data from events where seq > ${afterEvent} and data::text like ${`%"${customer}"%`} order by seq`.execute(db);
  return canonical(JSON.stringify({ objects, periods, events }));
}

async function lastEventSeq(db: Db): Promise<number> {
  const { rows } = await sql<{ seq: string | null }>`select max(seq) as seq from events`.execute(db);
  return Number(rows[0]?.seq ?? 0);
}

for (const c of storageCases()) {
  describe(`bench fast seeder (${c.name})`, () => {
    test('replicas are their template with their own ids, and renew the same way', async () => {
      const storage = await c.open();
      try {
        const db = storage.db;
        const clock = new ManualClock(T0);
        const seed = await seedFast(db, clock, 8, { templates: 2, chunk: 3 });
        assert.equal(seed.templates.length, 2);
        assert.equal(seed.replicas.length, 6);
        const { rows: counts } = await sql<{ object: string; n: string }>`
          select object, count(*) as n from objects group by object order by object`.execute(db);
        assert.deepEqual(
          counts.map((r) => [r.object, Number(r.n)]),
          [['customer', 8], ['invoice', 8], ['invoice_link', 8], ['payment_method', 8], ['price', 1], ['product', 1], ['subscription', 8]],
        );
        const ids = new Set((await db.selectFrom('objects').select('id').execute()).map((r) => r.id));
        assert.equal(ids.size, 42, 'every replicated object has an id of its own');
        const templateOf = (k: number) => seed.templates[k % 2]!;
        // Before the clock runs: the same rows.
        const before = await Promise.all(seed.templates.map((s) => rowsOf(db, s, 0)));
        assert.equal(before[0], before[1]);
        for (const [k, r] of seed.replicas.entries()) assert.equal(await rowsOf(db, r, 0), before[k % 2], `replica ${r} as seeded`);
        const mark = await lastEventSeq(db);
        // Past the first period end: every one renewed once, replicas as their templates.
        clock.set(T0 + 32 * 86_400);
        let renewed = 0;
        for (let k = await runDueWork(db, clock); k > 0; k = await runDueWork(db, clock)) renewed += k;
        assert.equal(renewed, 8);
        const after = new Map<string, string>();
        for (const s of seed.templates) after.set(s, await rowsOf(db, s, mark));
        for (const [k, r] of seed.replicas.entries()) assert.equal(await rowsOf(db, r, mark), after.get(templateOf(k)), `replica ${r} renewed`);
        // What the renewal made, for the record: one paid cycle invoice of the price, and its events.
        const renewal = JSON.parse(after.get(seed.templates[0]!)!) as {
          objects: { object: string; data: { billing_reason?: string; amount_paid?: number; status?: string; lines?: { data: unknown[] } } }[];
          events: { type: string }[];
        };
        const cycle = renewal.objects.filter((o) => o.object === 'invoice' && o.data.billing_reason === 'subscription_cycle');
        assert.equal(cycle.length, 1);
        assert.equal(cycle[0]!.data.amount_paid, 1500);
        assert.equal(cycle[0]!.data.status, 'paid');
        assert.equal(cycle[0]!.data.lines!.data.length, 1);
        assert.deepEqual(renewal.events.map((e) => e.type), [
          'invoice.created',
          'invoice.finalized',
          'invoice.payment_succeeded',
          'invoice.paid',
          'customer.subscription.updated',
        ]);
      } finally {
        await storage.close();
      }
    });
  });
}
