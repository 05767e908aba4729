/**
 * Event retention: events are kept 30 days (`EVENT_RETENTION_SECONDS`, as Stripe keeps them), then
 * deleted with their webhook deliveries and attempts. A billing-clock renewal writes about 17 kB of
 * events; kept forever they would be most of the database.
 *
 * Invariants:
 * - Age is counted from `stored_at` (migration 0008: when the row was written, by the database's
 *   clock), not `created`: events of objects on test clocks are dated at the clock's time, which may
 *   lie years before or after now. The API shows events by `created` within 30 days of its clock, so
 *   for real-time events, whose `created` is their storing time, both bounds agree.
 * - Never an event with a delivery still pending: its deliveries run their course first (at most
 *   3 days). Delivered, failed and canceled ones go with it.
 * - In batches, oldest first (the `events_stored_at` index, migration 0008), each batch one statement
 *   (its own transaction): a large backlog never holds locks for long, and a crash between batches
 *   loses nothing that should stay.
 */
import { sql } from 'kysely';
import type { Executor } from '../storage/database.ts';
import { EVENT_RETENTION_SECONDS } from './events.ts';

const BATCH = 5_000;

/** Deletes one batch of expired events (and their deliveries and attempts); returns how many. */
async function pruneBatch(db: Executor, limit: number): Promise<number> {
  const { rows } = await sql<{ events: number | string }>`
    with expired as (
      select e.id from events e
       where e.stored_at <= extract(epoch from now())::bigint - ${EVENT_RETENTION_SECONDS}
         and not exists (select 1 from webhook_deliveries p where p.event_id = e.id and p.status = 'pending')
       order by e.stored_at
       limit ${limit}
    ), deliveries as (
      delete from webhook_deliveries d using expired where d.event_id = expired.id returning d.id
    ), attempts as (
      delete from webhook_attempts a using deliveries where a.delivery_id = deliveries.id
    ), gone as (
      delete from events e using expired where e.id = expired.id returning 1
    )
    select count(*) as events from gone`.execute(db);
  return Number(rows[0]?.events ?? 0);
}

/**
 * Deletes the events stored more than 30 days ago, `batches` batches at most (the clock worker calls
 * it hourly; a backlog is worked off over the next calls). Returns how many.
 *
 * @example
 * await pruneEvents(storage.db) // 0 on a database younger than 30 days
 */
export async function pruneEvents(db: Executor, opts: { batches?: number; batchSize?: number } = {}): Promise<number> {
  const size = opts.batchSize ?? BATCH;
  let total = 0;
  for (let i = 0; i < (opts.batches ?? 20); i++) {
    const n = await pruneBatch(db, size);
    total += n;
    if (n < size) break;
  }
  return total;
}
