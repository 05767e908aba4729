/**
 * Writing a unit of work's buffered changes (see unit-of-work.ts): new rows with multi-row INSERTs in
 * the order they were made, changed rows with one `UPDATE … FROM (VALUES …)` per set of changed
 * columns, then billing periods, the caller's own statements (an idempotency row, a portal session),
 * events and their webhook deliveries, and one NOTIFY when there were deliveries. A small flush (an
 * API write's) sends all of that as one statement, each write a `with` step (PostgreSQL runs each
 * exactly once, all in one snapshot), so a write pays one round trip for it; a larger one (a billing
 * clock batch) sends one statement per part, cut at CHUNK rows (PostgreSQL allows 65,535 parameters).
 *
 * Events routed by a process's endpoint cache (`EventGuard`) are written only if the mode's endpoints
 * are still at the cached version, checked in the statement that writes them (as the outbox does
 * without a unit, events/outbox.ts); when they are not, the cache entry is forgotten and the events
 * are routed anew by the endpoints read in the transaction.
 */
import { sql, type RawBuilder } from 'kysely';
import { notify as notifyOn } from './channels.ts';
import { endpointsTaking, loadEndpoints } from './endpoints.ts';
import type { EndpointCache } from './context.ts';
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
  /** The cached endpoints `endpoints` came from (null: read in this transaction). */
  guard: EventGuard | null;
}

export interface EventGuard {
  cache: EndpointCache;
  version: number;
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

/** A flush of at most this many rows in all (deliveries too) goes as one statement (larger ones are batches). */
const ONE_STATEMENT_ROWS = 100;

/** `items` cut into `CHUNK`-row parts (one multi-row statement each). */
export function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export interface Buffers {
  inserts: Entry[];
  updates: Map<string, Entry[]>;
  periods: BufferedPeriod[];
  /** Data-modifying statements (no `returning`) written with the rest, after the rows. */
  statements: RawBuilder<unknown>[];
  events: BufferedEvent[];
  notifyChannel: string;
}

/** Writes the buffers; returns how many statements that took. */
export async function writeBuffered(db: Executor, b: Buffers): Promise<number> {
  let statements = 0;
  const events = b.events;
  const guards = new Set(events.map((e) => (e.guard ? `${e.livemode}:${e.guard.version}` : 'none')));
  const rows =
    b.inserts.length +
    [...b.updates.values()].reduce((n, u) => n + u.length, 0) +
    b.periods.length +
    events.reduce((n, e) => n + 1 + e.endpoints.length, 0);
  if (guards.size > 1 || rows > ONE_STATEMENT_ROWS) {
    // Events routed by different versions (the cache changed meanwhile), or a batch: routed here.
    statements += await routeInTransaction(db, events);
  }
  const writes = [...rowWrites(db, b), ...b.statements];
  if (rows > ONE_STATEMENT_ROWS) {
    for (const w of writes) await w.execute(db);
    return statements + writes.length + (await writeEvents(db, events, b.notifyChannel));
  }
  const guard = events[0]?.guard ?? null;
  const steps = writes.map((w, i) => sql`${sql.ref(`w${i}`)} as (${w})`);
  const deliveries = deliveriesOf(events);
  // Guarded writes join `current`: a stale version makes them write nothing.
  const join = guard ? sql`, current` : sql``;
  if (guard) steps.push(sql`current as (select 1 from webhook_endpoint_versions where livemode = ${events[0]!.livemode} and version = ${guard.version})`);
  if (events.length > 0) steps.push(sql`e as (insert into events (id, livemode, type, created, data) select v.* from (values ${eventValues(events)}) as v${join})`);
  if (deliveries.length > 0) {
    steps.push(sql`d as (insert into webhook_deliveries (livemode, event_id, endpoint_id, created, next_attempt_at)
                         select v.* from (values ${deliveryValues(deliveries)}) as v${join})`);
  }
  const written = guard ? sql`exists (select 1 from current)` : sql`true`;
  // Delivered to listening workers when (and only if) the transaction commits.
  const notify = deliveries.length > 0 ? sql`, (select ${notifyOn(b.notifyChannel)} from (values (1)) as one${join}) is null as quiet` : sql``;
  if (steps.length === 0) return statements;
  const { rows: result } = await sql<{ written: boolean }>`with ${sql.join(steps)} select ${written} as written${notify}`.execute(db);
  statements++;
  if (result[0]?.written) return statements;
  // The cached endpoints were stale: nothing of the events was written, the rest was.
  guard!.cache.forget(events[0]!.livemode);
  return statements + (await routeInTransaction(db, events)) + (await writeEvents(db, events, b.notifyChannel));
}

/** The statements writing the buffered rows: inserts, updates, billing periods. */
function rowWrites(db: Executor, b: Buffers): RawBuilder<unknown>[] {
  const writes: RawBuilder<unknown>[] = [];
  for (const part of chunks(b.inserts)) {
    const insert = db.insertInto('objects').values(
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
    );
    writes.push(sql`${insert}`);
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
      writes.push(sql`update objects as o set ${sets} from (values ${values}) as v (${names})
                where o.livemode = v.livemode and o.id = v.id`);
    }
  }
  for (const part of chunks(b.periods)) writes.push(sql`${db.insertInto('billing_periods').values(part)}`);
  return writes;
}

function deliveriesOf(events: BufferedEvent[]) {
  return events.flatMap((e) => e.endpoints.map((endpoint) => ({ livemode: e.livemode, event: e.id, endpoint, created: e.created })));
}

function eventValues(events: BufferedEvent[]): RawBuilder<unknown> {
  return sql.join(events.map((e) => sql`(${e.id}::text, ${e.livemode}::boolean, ${e.type}::text, ${e.created}::bigint, ${e.json}::json)`));
}

function deliveryValues(deliveries: ReturnType<typeof deliveriesOf>): RawBuilder<unknown> {
  return sql.join(deliveries.map((d) => sql`(${d.livemode}::boolean, ${d.event}::text, ${d.endpoint}::text, ${d.created}::bigint, ${d.created}::bigint)`));
}

/** Writes events (routed in this transaction) and their deliveries, in CHUNK-row statements. */
async function writeEvents(db: Executor, events: BufferedEvent[], notifyChannel: string): Promise<number> {
  let statements = 0;
  for (const part of chunks(events)) {
    statements++;
    await sql`insert into events (id, livemode, type, created, data) values ${eventValues(part)}`.execute(db);
  }
  const deliveries = deliveriesOf(events);
  for (const part of chunks(deliveries)) {
    statements++;
    await sql`insert into webhook_deliveries (livemode, event_id, endpoint_id, created, next_attempt_at) values ${deliveryValues(part)}`.execute(db);
  }
  if (deliveries.length > 0) {
    statements++;
    await sql`select ${notifyOn(notifyChannel)}`.execute(db);
  }
  return statements;
}

/**
 * Routes events that were routed by cached endpoints by the mode's endpoints as this transaction reads
 * them (its own changes included), in place: their deliveries and the `pending_webhooks` they store.
 * Returns the statements that took.
 */
async function routeInTransaction(db: Executor, events: BufferedEvent[]): Promise<number> {
  const modes = [...new Set(events.filter((e) => e.guard).map((e) => e.livemode))];
  const byMode = new Map<boolean, Awaited<ReturnType<typeof loadEndpoints>>>();
  for (const livemode of modes) byMode.set(livemode, await loadEndpoints(db, livemode));
  for (const e of events) {
    const current = e.guard ? byMode.get(e.livemode) : undefined;
    if (!current) continue;
    e.endpoints = endpointsTaking(current.endpoints, e.type);
    e.json = JSON.stringify({ ...JSON.parse(e.json), pending_webhooks: e.endpoints.length });
    e.guard = null;
  }
  return modes.length;
}
