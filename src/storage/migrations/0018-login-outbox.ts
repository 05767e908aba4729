/**
 * The login mail outbox (`portal_login_outbox`, issue 12 item 4): the login page's POST writes one row
 * per valid, rate-checked request, with the same statement whether or not customers have the address,
 * and answers; a background sender (portal/login/outbox.ts) claims the row, looks the customers up,
 * stores the link and hands the mail over, then deletes the row. The address and the page's URL token
 * are kept only until then (seconds); a row claimed by a sender that died is claimed again once its
 * lease has passed.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('portal_login_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('configuration', 'text', (c) => c.notNull())
    .addColumn('page_token', 'text', (c) => c.notNull())
    .addColumn('page_key', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('request', 'json', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('claim', 'text')
    .addColumn('claimed_at', 'bigint')
    .execute();
  await sql`create index portal_login_outbox_due on portal_login_outbox (claimed_at nulls first, created)`.execute(db);
}
