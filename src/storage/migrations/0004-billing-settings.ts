/**
 * Account-level billing settings (Stripe's Dashboard → Billing → Subscriptions and emails settings),
 * one row per mode: what happens when a subscription's payment retries run out, and to a `send_invoice`
 * subscription whose invoice stays unpaid past its due date. `settings` holds only what was changed;
 * src/billing/account-settings.ts supplies the defaults.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('billing_settings')
    .addColumn('livemode', 'boolean', (c) => c.primaryKey())
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('updated', 'bigint', (c) => c.notNull())
    .execute();
}
