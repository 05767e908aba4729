/**
 * `webhook_endpoint_versions`: one counter per mode, bumped in the transaction of every change to that
 * mode's webhook endpoints. A process that caches the endpoints (events/endpoint-cache.ts) writes an
 * event only if the counter still holds the value its cache was read at, checked in the same statement
 * as the writes, so a cache can never route an event by endpoints another process has changed.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table webhook_endpoint_versions (livemode boolean primary key, version bigint not null)`.execute(db);
  await sql`insert into webhook_endpoint_versions (livemode, version) values (false, 1), (true, 1)`.execute(db);
}
