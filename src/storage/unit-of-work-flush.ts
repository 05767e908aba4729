/**
 * Writing a unit of work's buffered changes (see unit-of-work.ts): new rows with multi-row INSERTs in
 * the order they were made, changed rows with one `UPDATE … FROM (VALUES …)` per set of changed
 * columns, then billing periods, events and their webhook deliveries, and one NOTIFY when there were
 * deliveries. Statements are cut at CHUNK rows (PostgreSQL allows 65,535 parameters per statement).
 */
import { sql } from 'kysely';
import { notify } from './channels.ts';
import type { Executor } from './database.ts';

/** One cached row. `data`/`private` hold either a parsed value or its JSON text (after a write). */
export interface Entry {
  livemode: boolean;
  id: string;
  object: string;
  created: number;
  customer: string | null;
  deleted: boolean;
  data: unknown;
  dataJson: string | null;
  priv: Record<string, unknown> | null;
  privJson: string | null;
  due_at: number | null;
  test_clock: string | null;
  /** The row's insertion sequence (null until this unit's insert is flushed). */
  seq: number | null;
  /** When this unit first cached the row (orders new rows among themselves). */
  order: number;
  locked: boolean;
  state: 'clean' | 'new' | 'dirty';
  /** Columns an update must write (state `dirty`). */
  changed: Set<Column>;
}

export type Column = 'data' | 'private' | 'customer' | 'deleted' | 'due_at';

export interface BufferedEvent {
  id: string;
  livemode: boolean;
  type: string;
  created: number;
  json: string;
  endpoints: string[];
}

export interface BufferedPeriod {
  livemode: boolean;
  subscription: string;
  period_start: number;
  invoice: string;
  created: number;
}

/** Rows per multi-row statement (PostgreSQL allows 65,535 parameters; an objects row takes 10). */
export const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Writes the buffers; returns how many statements that took. */
export async function writeBuffered(
  db: Executor,
  b: { inserts: Entry[]; updates: Map<string, Entry[]>; periods: BufferedPeriod[]; events: BufferedEvent[]; notifyChannel: string },
): Promise<number> {
  let statements = 0;
    for (const part of chunks(b.inserts)) {
      statements++;
      await db
        .insertInto('objects')
        .values(
          part.map((e) => ({
            livemode: e.livemode,
            id: e.id,
            object: e.object,
            created: e.created,
            customer: e.customer,
            deleted: e.deleted,
            data: e.dataJson ?? JSON.stringify(e.data),
            private: e.privJson ?? JSON.stringify(e.priv ?? {}),
            due_at: e.due_at,
            test_clock: e.test_clock,
          })),
        )
        .execute();
    }
    for (const [sig, rows] of b.updates) {
      const cols = sig.split(',') as Column[];
      for (const part of chunks(rows)) {
        const values = sql.join(
          part.map((e) => {
            const cells = [sql`${e.livemode}::boolean`, sql`${e.id}::text`];
            for (const c of cols) {
              if (c === 'data') cells.push(sql`${e.dataJson ?? JSON.stringify(e.data)}::json`);
              if (c === 'private') cells.push(sql`${e.privJson ?? JSON.stringify(e.priv ?? {})}::jsonb`);
              if (c === 'customer') cells.push(sql`${e.customer}::text`);
              if (c === 'deleted') cells.push(sql`${e.deleted}::boolean`);
              if (c === 'due_at') cells.push(sql`${e.due_at}::bigint`);
            }
            return sql`(${sql.join(cells)})`;
          }),
        );
        const names = sql.join([sql.ref('livemode'), sql.ref('id'), ...cols.map((c) => sql.ref(c))]);
        const sets = sql.join(cols.map((c) => sql`${sql.ref(c)} = ${sql.ref(`v.${c}`)}`));
        statements++;
        await sql`update objects as o set ${sets} from (values ${values}) as v (${names})
                  where o.livemode = v.livemode and o.id = v.id`.execute(db);
      }
    }
    for (const part of chunks(b.periods)) {
      statements++;
      await db.insertInto('billing_periods').values(part).execute();
    }
    for (const part of chunks(b.events)) {
      statements++;
      await db
        .insertInto('events')
        .values(part.map((e) => ({ id: e.id, livemode: e.livemode, type: e.type, created: e.created, data: e.json })))
        .execute();
    }
    const deliveries = b.events.flatMap((e) =>
      e.endpoints.map((endpoint_id) => ({ livemode: e.livemode, event_id: e.id, endpoint_id, created: e.created, next_attempt_at: e.created })),
    );
    for (const part of chunks(deliveries)) {
      statements++;
      await db.insertInto('webhook_deliveries').values(part).execute();
    }
    if (deliveries.length > 0) {
      statements++;
      // Delivered to listening workers when (and only if) the transaction commits.
      await sql`select ${notify(b.notifyChannel)}`.execute(db);
    }
  return statements;
}
