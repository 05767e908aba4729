/**
 * Real subscription renewals under the billing clock on PostgreSQL: N monthly subscriptions (paying
 * customers, `pm_card_visa`) created through the domain functions in real time (no test clock), then the
 * clock moved past their period end and TWO workers (`runDueWork` on two pools, same schema) drained
 * concurrently. Each subscription must get exactly one `subscription_cycle` invoice for the period,
 * its `billing_periods` row, and the next period.
 *
 * The N subscriptions are created with the API's own domain calls, a chunk of 250 per transaction in a
 * unit of work (bench/billing.ts `seedSubscriptions`; ~250/s instead of ~70/s one by one), so 5,000
 * fit the budget. That they are what the API makes is checked: one customer, payment method and
 * subscription made through the SDK against a server on the same schema must match a seeded one field
 * by field (ids, tokens, emails and invoice prefixes aside), and so must their events.
 *
 * Also the lock order: customer deletion and payment-method detach hold the customer when they reach a
 * subscription, so they must not wait on one the billing clock holds (it locks subscription → customer):
 * they fail at once with a retryable 409 `lock_timeout` instead, and succeed once it is free.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { periodContaining } from '../src/billing/periods.ts';
import { ManualClock } from '../src/lib/clock.ts';
import { openStorage, type Db } from '../src/storage/database.ts';
import { deleteCustomer } from '../src/billing/customers.ts';
import { detachPaymentMethod } from '../src/billing/payment-methods.ts';
import { updateSubscription } from '../src/billing/subscriptions/index.ts';
import { ctxOf, drainWorkers, seedSubscriptions } from '../bench/billing.ts';
import { startTestServer } from './support/server.ts';
import { openPostgresSchemaWithUrl } from './support/storages.ts';

// RENEWALS_TEST_N picks another size (the issue asks for 5,000).
const N = Number(process.env.RENEWALS_TEST_N ?? 5_000);

/** An object with what differs between two equal creations replaced by placeholders. */
function normalized(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .replace(/\b(cus|pm|sub|si|in|il|evt|ii|di|req)_[A-Za-z0-9]+/g, '$1_*')
      .replace(/\/i\/[A-Za-z0-9_-]{43}/g, '/i/*')
      .replace(/^[A-Z0-9]{3,12}-(\d{4})$/, '*-$1')
      .replace(/^[^@\s]+@example\.com$/, '*@example.com');
  }
  if (Array.isArray(value)) return value.map(normalized);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'invoice_prefix' ? '*' : normalized(v);
    return out;
  }
  return value;
}

/** A customer's rows (customer, payment method, subscription, invoices) and events, normalized. */
async function footprint(db: Db, customer: string) {
  const rows = await db
    .selectFrom('objects')
    .select(['object', 'data', 'private', 'due_at'])
    .where((eb) => eb.or([eb('customer', '=', customer), eb('id', '=', customer)]))
    .where('object', 'in', ['customer', 'payment_method', 'subscription', 'invoice'])
    .orderBy('seq')
    .execute();
  const ids = new Set<string>([customer, ...rows.map((r) => (r.data as { id: string }).id)]);
  const events = await db.selectFrom('events').select(['type', 'data']).orderBy('seq').execute();
  const mine = events
    .filter((e) => ids.has(e.data.data.object.id) || e.data.data.object.customer === customer)
    .map((e) => ({ type: e.type, data: normalized({ ...e.data, id: 'evt', request: null }) }));
  return { rows: rows.map((r) => normalized({ object: r.object, data: r.data, private: r.private, due_at: r.due_at })), events: mine };
}
describe('subscription renewals on PostgreSQL', () => {
  const url = process.env.DATABASE_URL;
  test(
    `two workers on two pools renew ${N} real subscriptions: one cycle invoice and one period each`,
    { skip: url ? false : 'DATABASE_URL is unset: the renewal test needs PostgreSQL', timeout: 600_000 },
    async (t) => {
      const { storage: first, url: schemaUrl } = await openPostgresSchemaWithUrl(url!, 5);
      const second = await openStorage({ kind: 'postgres', url: schemaUrl, poolSize: 5 });
      const start = Math.floor(Date.now() / 1000);
      const clock = new ManualClock(start);
      // The server first: it creates the account whose keys card fingerprints are made with.
      const server = await startTestServer({ storage: first, clock });
      try {
        const t0 = performance.now();
        const { ids, price } = await seedSubscriptions(first.db, clock, N, { chunk: 250, parallel: 2 });
        const createSeconds = (performance.now() - t0) / 1000;

        // The same subscription through the API: what the seeding made must be what the API makes.
        const apiCustomer = await server.stripe.customers.create({ email: 'api@example.com' });
        const apiPm = await server.stripe.paymentMethods.attach('pm_card_visa', { customer: apiCustomer.id });
        await server.stripe.customers.update(apiCustomer.id, { invoice_settings: { default_payment_method: apiPm.id } });
        const apiSub = await server.stripe.subscriptions.create({ customer: apiCustomer.id, items: [{ price }] });
        const seeded = await first.db.selectFrom('objects').select('customer').where('id', '=', ids[0]!).executeTakeFirstOrThrow();
        const viaApi = await footprint(first.db, apiCustomer.id);
        const viaSeed = await footprint(first.db, seeded.customer!);
        assert.deepEqual(viaSeed.rows.map((r: any) => r.object), ['customer', 'payment_method', 'subscription', 'invoice']);
        assert.deepEqual(viaSeed.rows, viaApi.rows);
        assert.deepEqual(viaSeed.events.map((e) => e.type), viaApi.events.map((e) => e.type));
        assert.deepEqual(viaSeed.events, viaApi.events);
        const all = [...ids, apiSub.id];

        const periodEnd = periodContaining(start, 'month', 1, start).end;
        const nextEnd = periodContaining(start, 'month', 1, periodEnd).end;
        clock.set(periodEnd + 60);
        const errors: unknown[] = [];
        const t1 = performance.now();
        const [a = 0, b = 0] = await drainWorkers([first.db, second.db], clock, (e) => errors.push(e));
        const seconds = (performance.now() - t1) / 1000;
        const rate = Math.round(all.length / seconds);
        console.log(
          `renewals: ${N} subscriptions created in ${createSeconds.toFixed(1)} s; ${all.length} renewed by 2 workers (${a} + ${b}) ` +
            `in ${seconds.toFixed(2)} s = ${rate} renewals/s`,
        );
        t.diagnostic(`${rate} renewals/s (${a} + ${b})`);

        assert.deepEqual(errors, []);
        assert.equal(a + b, all.length);
        assert.ok(a > 0 && b > 0, 'both workers took part');

        const perSub = await sql<{ sub: string; n: number }>`
          select data->'parent'->'subscription_details'->>'subscription' as sub, count(*)::int as n
          from objects
          where object = 'invoice' and data->>'billing_reason' = 'subscription_cycle' and (data->>'period_start')::bigint = ${periodEnd}
          group by 1`.execute(first.db);
        assert.equal(perSub.rows.length, all.length, 'every subscription has a cycle invoice for the period');
        assert.ok(perSub.rows.every((r) => r.n === 1), 'exactly one cycle invoice per subscription');
        assert.deepEqual(new Set(perSub.rows.map((r) => r.sub)), new Set(all));
        const allCycle = await sql<{ n: number }>`
          select count(*)::int as n from objects where object = 'invoice' and data->>'billing_reason' = 'subscription_cycle'`.execute(first.db);
        assert.equal(allCycle.rows[0]!.n, all.length, 'no other cycle invoices');
        const unpaid = await sql<{ n: number }>`
          select count(*)::int as n from objects
          where object = 'invoice' and data->>'billing_reason' = 'subscription_cycle' and data->>'status' <> 'paid'`.execute(first.db);
        assert.equal(unpaid.rows[0]!.n, 0, 'every cycle invoice was paid');

        const periods = await sql<{ n: number; distinct_subs: number }>`
          select count(*)::int as n, count(distinct subscription)::int as distinct_subs from billing_periods
          where period_start = ${periodEnd}`.execute(first.db);
        assert.equal(periods.rows[0]!.n, all.length);
        assert.equal(periods.rows[0]!.distinct_subs, all.length);
        const { total } = await first.db
          .selectFrom('billing_periods')
          .select((eb) => eb.fn.countAll<number>().as('total'))
          .executeTakeFirstOrThrow();
        // Each subscription's first period (recorded at creation) and the renewed one.
        assert.equal(Number(total), 2 * all.length, `${2 * all.length} billing_periods rows`);

        const subs = await first.db
          .selectFrom('objects')
          .select(['id', 'data', 'due_at'])
          .where('object', '=', 'subscription')
          .execute();
        assert.equal(subs.length, all.length);
        for (const row of subs) {
          const s = row.data as any;
          assert.equal(s.status, 'active', row.id);
          for (const item of s.items.data) {
            assert.equal(item.current_period_start, periodEnd, row.id);
            assert.equal(item.current_period_end, nextEnd, row.id);
          }
          // Next due: the invoice.upcoming notice of the next renewal, three days before it.
          assert.equal(row.due_at, nextEnd - 3 * 86_400, row.id);
        }
        // Nothing more is due.
        assert.deepEqual(await drainWorkers([first.db, second.db], clock), [0, 0]);
      } finally {
        await server.close();
        await second.close();
        await first.close();
      }
    },
  );

  test(
    'customer deletion and payment-method detach do not wait on a subscription the billing clock holds',
    { skip: url ? false : 'DATABASE_URL is unset: the lock test needs PostgreSQL' },
    async () => {
      const { storage, url: schemaUrl } = await openPostgresSchemaWithUrl(url!, 3);
      const worker = await openStorage({ kind: 'postgres', url: schemaUrl, poolSize: 2 });
      try {
        const clock = new ManualClock(Math.floor(Date.now() / 1000));
        const { ids } = await seedSubscriptions(storage.db, clock, 2, { parallel: 1 });
        const ctx = ctxOf(storage.db, clock);
        const rows = await storage.db.selectFrom('objects').select(['id', 'customer']).where('id', 'in', ids).execute();
        const customerOf = new Map(rows.map((r) => [r.id, r.customer!]));
        // The second subscription uses its customer's payment method as its own default.
        const pmRow = await storage.db
          .selectFrom('objects')
          .select('id')
          .where('object', '=', 'payment_method')
          .where('customer', '=', customerOf.get(ids[1]!)!)
          .executeTakeFirstOrThrow();
        await updateSubscription(ctx, ids[1]!, { default_payment_method: pmRow.id } as Parameters<typeof updateSubscription>[2]);

        // The "billing clock" claims both subscriptions (as runDueWork does) and keeps them.
        const held = await worker.db.startTransaction().execute();
        await held.selectFrom('objects').select('id').where('id', 'in', ids).forUpdate().execute();
        const busy = (e: any) => e.status === 409 && e.body?.code === 'lock_timeout';
        const started = performance.now();
        await assert.rejects(
          storage.db.transaction().execute((tx) => deleteCustomer(ctxOf(tx, clock), customerOf.get(ids[0]!)!)),
          busy,
        );
        await assert.rejects(
          storage.db.transaction().execute((tx) => detachPaymentMethod(ctxOf(tx, clock), pmRow.id)),
          busy,
        );
        assert.ok(performance.now() - started < 5_000, 'refused at once, not after waiting');
        await held.rollback().execute();

        // Free again: both go through (and rolled back nothing half-done before).
        await storage.db.transaction().execute((tx) => deleteCustomer(ctxOf(tx, clock), customerOf.get(ids[0]!)!));
        await storage.db.transaction().execute((tx) => detachPaymentMethod(ctxOf(tx, clock), pmRow.id));
        const after = await storage.db.selectFrom('objects').select(['id', 'data']).where('id', 'in', ids).execute();
        const byId = new Map(after.map((r) => [r.id, r.data as any]));
        assert.equal(byId.get(ids[0]!).status, 'canceled');
        assert.equal(byId.get(ids[1]!).default_payment_method, null);
      } finally {
        await worker.close();
        await storage.close();
      }
    },
  );
});
