/**
 * The merchant dashboard's storage.
 * - `administrators`: who may sign in to `/dashboard`: a lower-cased email (unique) and a scrypt hash
 *   of the password with its salt and cost (`scrypt$N$r$p$salt$hash`), never the password.
 * - `admin_sessions`: one row per signed-in browser: the SHA-256 of the cookie's 256-bit secret (never
 *   the secret), the administrator, when it was created, last used and when it stops working (idle
 *   deadline, capped by the absolute one), and the mode the dashboard shows (test or live).
 * - `audit_log`: every change an administrator makes, written in the same transaction as the change:
 *   who (id and email at the time), what (action and the object's id), when, the mode, and the
 *   object's state before and after (JSON; secrets are never written here).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('administrators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('password_changed_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('admin_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('administrator', 'text', (c) => c.notNull().references('administrators.id').onDelete('cascade'))
    .addColumn('livemode', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('last_active_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index admin_sessions_expiry on admin_sessions (expires_at)`.execute(db);
  await sql`create index admin_sessions_administrator on admin_sessions (administrator)`.execute(db);

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigserial', (c) => c.primaryKey())
    .addColumn('administrator', 'text', (c) => c.notNull())
    .addColumn('administrator_email', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .execute();
  await sql`create index audit_log_created on audit_log (created desc, seq desc)`.execute(db);
}
