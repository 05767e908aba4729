/**
 * The billing clock's bookkeeping.
 * - `objects.due_at`: when an object next needs the billing clock (a subscription's period end, trial
 *   end, cancel_at or resumption; an invoice's next payment attempt), null when nothing is due.
 * - `objects.test_clock`: the test clock an object lives on; its due work runs when that clock is
 *   advanced, never by real time.
 * - `billing_periods`: one row per (subscription, period start), written with the period's invoice, so
 *   a period can never be invoiced twice, however many workers race.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('objects').addColumn('due_at', 'bigint').execute();
  await db.schema.alterTable('objects').addColumn('test_clock', 'text').execute();
  await sql`create index objects_due on objects (due_at, seq)
            where due_at is not null and test_clock is null`.execute(db);
  await sql`create index objects_clock_due on objects (test_clock, due_at, seq)
            where due_at is not null and test_clock is not null`.execute(db);

  await db.schema
    .createTable('billing_periods')
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('subscription', 'text', (c) => c.notNull())
    .addColumn('period_start', 'bigint', (c) => c.notNull())
    .addColumn('invoice', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('billing_periods_pkey', ['livemode', 'subscription', 'period_start'])
    .execute();
}
