/**
 * Event retention (events/retention.ts): events are deleted 30 days after they were stored.
 * - `events.stored_at`: when the row was written, in unix seconds by the database's clock. Not
 *   `created`: an event of an object on a test clock is dated at the clock's time, which may be years
 *   before or after now. Rows that exist when this runs count as stored now.
 * - An index on it, so the hourly pruning finds the oldest rows (or that there are none) at once.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table events add column stored_at bigint not null default (extract(epoch from now()))::bigint`.execute(db);
  await sql`create index events_stored_at on events (stored_at)`.execute(db);
}
