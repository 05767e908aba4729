/**
 * Branding through the API (billing/files.ts, billing/account.ts):
 * - `file_contents`: the bytes of each uploaded `file` object (its metadata is an ordinary object row),
 *   kept apart so lists and lookups of files never read image bytes.
 * - `account_profiles`: the account's `business_profile` and `settings.branding` as the Accounts API
 *   shows them (no row until first set; the business name then defaults to PORTICO_BUSINESS_NAME).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('file_contents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('account_profiles')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('data', 'json', (c) => c.notNull())
    .execute();
}
