/**
 * The customer portal's storage.
 * - One default `billing_portal.configuration` per mode (a unique index: concurrent first starts
 *   cannot make two).
 * - `portal_sessions`: a session's API object with the SHA-256 hashes of its URL token and of the
 *   cookie it is exchanged for (never the secrets themselves), and the times that decide its expiry.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unique index objects_default_portal_configuration on objects (livemode)
            where object = 'billing_portal.configuration' and (data->>'is_default') = 'true'`.execute(db);

  await db.schema
    .createTable('portal_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('cookie_hash', 'text', (c) => c.unique())
    .addColumn('customer', 'text', (c) => c.notNull())
    .addColumn('configuration', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('last_active_at', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('data', 'json', (c) => c.notNull())
    .execute();
  await sql`create index portal_sessions_expiry on portal_sessions (expires_at)`.execute(db);
}
