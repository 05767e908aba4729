/**
 * The dashboard's CSRF keys, independent of the API keys (so a key roll in one process never breaks
 * the forms another process signed, nor those signed before a restart):
 * - `admin_sessions.csrf_secret`: 256 random bits per dashboard session (hex), the key of that
 *   session's form tokens. Sessions from before this migration get one too (from two
 *   `gen_random_uuid()`, PostgreSQL's strong random source, hashed), so nobody is signed out.
 * - `dashboard_secrets`: installation-wide secrets by name; `sign_in_csrf` keys the sign-in form's
 *   token (there is no session yet). Created here once, so every process reads the same value.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('admin_sessions')
    .addColumn('csrf_secret', 'text', (c) => c.notNull().defaultTo(sql`encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex')`))
    .execute();
  await db.schema
    .createTable('dashboard_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .execute();
  await db.insertInto('dashboard_secrets').values({ name: 'sign_in_csrf', secret: randomBytes(32).toString('hex') }).execute();
}
