/**
 * The portal's test 3-D Secure challenges (portal/authentications.ts): one row per payment or card
 * setup the issuer asked the customer to authenticate, bound to the portal session that started it
 * (deleted with it). It names the payment method and, for a payment, the invoice; never card details.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('portal_authentications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('portal_sessions.id').onDelete('cascade'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payment_method', 'text', (c) => c.notNull())
    .addColumn('invoice', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('data', 'json', (c) => c.notNull())
    .execute();
  await sql`create index portal_authentications_session on portal_authentications (session_id)`.execute(db);
}
