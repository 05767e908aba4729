/**
 * The portal login page's storage.
 * - `portal_login_links`: one row per emailed sign-in link: the SHA-256 hash of its secret (never the
 *   secret), the configuration and mode it signs in to, the customers it may open (those whose email
 *   matched when it was sent) and the SHA-256 of that email (so a customer whose email changed since is
 *   dropped, without the table holding addresses), when it expires and when it was used. A link is used at most once:
 *   `used_at` is set by a single `UPDATE … WHERE used_at IS NULL AND expires_at > now`.
 * - `portal_login_rate_limits`: the counters of `rate-limiter-flexible`'s PostgreSQL store (its own
 *   column layout), shared by every API process; keys are hashes, never addresses.
 * - A case-insensitive index on customers' emails, for the login page's lookup.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('portal_login_links')
    .addColumn('secret_hash', 'text', (c) => c.primaryKey())
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('configuration', 'text', (c) => c.notNull())
    .addColumn('customers', 'json', (c) => c.notNull())
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('session', 'text')
    .execute();
  await sql`create index portal_login_links_expiry on portal_login_links (expires_at)`.execute(db);

  await db.schema
    .createTable('portal_login_rate_limits')
    .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expire', 'bigint')
    .execute();

  await sql`create index objects_customer_email_lower on objects (livemode, lower(data->>'email'))
            where object = 'customer' and not deleted`.execute(db);
}
