/**
 * The object store: Stripe-shaped documents keyed by (livemode, id), listed newest first.
 *
 * Every query is scoped to the context's mode, so a test key can never read a live object. Lists page
 * by the insertion sequence with keyset cursors (`starting_after` / `ending_before` name an object of
 * the same list), which is what Stripe's "newest first" means and stays stable under inserts.
 */
import { sql, type CompiledQuery, type SelectQueryBuilder } from 'kysely';
import { errors } from '../lib/errors.ts';
import { keysetPage } from './keyset.ts';
import type { Ctx } from './context.ts';
import type { Executor } from './database.ts';
import type { Database, ObjectRow } from './schema.ts';

export type ObjectQuery = SelectQueryBuilder<Database, 'objects', ObjectRow>;

export interface StoredObject<T = Record<string, any>> {
  id: string;
  object: string;
  created: number;
  customer: string | null;
  deleted: boolean;
  data: T;
  private: Record<string, unknown>;
  /** When the billing clock next needs this object (null: never). */
  due_at: number | null;
  /** The test clock the object lives on. */
  test_clock: string | null;
}

export interface NewObject<T> {
  id: string;
  object: string;
  created: number;
  customer?: string | null;
  data: T;
  private?: Record<string, unknown>;
  due_at?: number | null;
  test_clock?: string | null;
}

function toStored<T>(row: ObjectRow): StoredObject<T> {
  return {
    id: row.id,
    object: row.object,
    created: row.created,
    customer: row.customer,
    deleted: row.deleted,
    data: row.data as T,
    private: row.private,
    due_at: row.due_at,
    test_clock: row.test_clock,
  };
}

function scoped(ctx: Ctx, object: string): ObjectQuery {
  return ctx.db.selectFrom('objects').selectAll().where('livemode', '=', ctx.livemode).where('object', '=', object);
}

export async function insertObject<T>(ctx: Ctx, o: NewObject<T>): Promise<StoredObject<T>> {
  const stored: StoredObject<T> = {
    id: o.id,
    object: o.object,
    created: o.created,
    customer: o.customer ?? null,
    deleted: false,
    data: o.data,
    private: o.private ?? {},
    due_at: o.due_at ?? null,
    test_clock: o.test_clock ?? null,
  };
  if (ctx.uow) {
    ctx.uow.insert(ctx, stored);
    return stored;
  }
  await ctx.db
    .insertInto('objects')
    .values({
      livemode: ctx.livemode,
      id: stored.id,
      object: stored.object,
      created: stored.created,
      customer: stored.customer,
      data: JSON.stringify(stored.data),
      private: JSON.stringify(stored.private),
      due_at: stored.due_at,
      test_clock: stored.test_clock,
    })
    .execute();
  return stored;
}

/** The object, or undefined; deleted objects only when asked. `forUpdate` locks the row. */
export async function findObject<T>(
  ctx: Ctx,
  object: string,
  id: string,
  opts: { includeDeleted?: boolean; forUpdate?: boolean } = {},
): Promise<StoredObject<T> | undefined> {
  if (ctx.uow) return (await ctx.uow.find(ctx, object, id, opts)) as StoredObject<T> | undefined;
  // Only the primary key's columns in the condition (type and deletion are checked here): on a table
  // never analyzed, `object = …` made the planner pick the partial email index of customers and
  // filter on `id`, a scan that grew with the number of customers.
  let q = ctx.db.selectFrom('objects').selectAll().where('livemode', '=', ctx.livemode).where('id', '=', id);
  if (opts.forUpdate && ctx.db.isTransaction) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row || row.object !== object || (row.deleted && !opts.includeDeleted)) return undefined;
  return toStored<T>(row);
}

/**
 * The stored JSON text of a live (not deleted) object of this mode and type, exactly as written, or
 * undefined: what a GET by id sends as is when nothing is to be expanded (no parse, no serialize).
 */
export async function findObjectText(ctx: Pick<Ctx, 'db' | 'livemode'>, object: string, id: string): Promise<string | undefined> {
  const { rows } = await ctx.db.executeQuery(objectTextStatement(ctx.db, ctx.livemode, id));
  const row = rows[0];
  return row && row.object === object && !row.deleted ? row.text : undefined;
}

/** The statement `findObjectText` runs: the primary key alone in the condition, as in findObject. */
export function objectTextQuery(db: Executor, livemode: boolean, id: string) {
  return db
    .selectFrom('objects')
    .select(['object', 'deleted', sql<string>`data::text`.as('text')])
    .where('livemode', '=', livemode)
    .where('id', '=', id);
}

type ObjectTextRow = { object: string; deleted: boolean; text: string };
let objectText: CompiledQuery<ObjectTextRow> | undefined;

/**
 * `objectTextQuery` compiled once (both dialects compile it to the same SQL; only its two values
 * change): building and compiling it was about 5 % of a GET's CPU under load.
 */
function objectTextStatement(db: Executor, livemode: boolean, id: string): CompiledQuery<ObjectTextRow> {
  objectText ??= objectTextQuery(db, true, '').compile();
  return { ...objectText, parameters: objectText.parameters.map((v) => (typeof v === 'boolean' ? livemode : id)) };
}

/**
 * The `customer` column of the object (not deleted), or undefined when there is none: enough to know
 * which customer to lock before locking the object itself, without reading the whole object.
 */
export async function findObjectOwner(ctx: Ctx, object: string, id: string): Promise<string | null | undefined> {
  if (ctx.uow) return ctx.uow.owner(ctx, object, id);
  const row = await ctx.db
    .selectFrom('objects')
    .select('customer')
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', object)
    .where('id', '=', id)
    .where('deleted', '=', false)
    .executeTakeFirst();
  return row ? row.customer : undefined;
}

/**
 * The object, or Stripe's 404 `No such <noun>: '<id>'` naming `param`.
 * @example await getObject(ctx, 'customer', 'customer', id)
 */
export async function getObject<T>(
  ctx: Ctx,
  object: string,
  noun: string,
  id: string,
  opts: { param?: string; includeDeleted?: boolean; forUpdate?: boolean } = {},
): Promise<StoredObject<T>> {
  const found = await findObject<T>(ctx, object, id, opts);
  if (!found) throw errors.resourceMissing(noun, id, opts.param ?? 'id');
  return found;
}

/**
 * The mode's rows with these ids (any type, deleted ones too), in `ids` order, one statement. `FOR
 * UPDATE` when `forUpdate`: pass the ids sorted, so every caller locks in one order.
 *
 * Written as one primary-key probe per id (a LATERAL subquery with LIMIT 1 cannot be turned into a
 * join), so its plan does not depend on the table's statistics. `id IN (…)` does: on a table that
 * was never analyzed (PGlite has no autovacuum; a PostgreSQL may run without it, or lag behind a bulk
 * load) the planner guesses that 250 ids match most of the table and scans all of it (measured: 0.5 s
 * a billing-clock batch among 500,000 objects, against 2 ms for the probes).
 */
export async function objectsByIds(db: Executor, livemode: boolean, ids: readonly string[], opts: { forUpdate?: boolean } = {}): Promise<ObjectRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await objectsByIdsQuery(livemode, ids, opts.forUpdate === true && db.isTransaction).execute(db);
  return rows;
}

/** The statement `objectsByIds` runs (exported for the test that reads its plan). */
export function objectsByIdsQuery(livemode: boolean, ids: readonly string[], forUpdate: boolean) {
  return sql<ObjectRow>`
    select o.* from unnest(${[...ids]}::text[]) with ordinality as w(id, n)
    cross join lateral (select * from objects where livemode = ${livemode} and id = w.id limit 1 ${forUpdate ? sql`for update` : sql``}) as o
    order by w.n`;
}

/**
 * The context's rows with these ids (any type, deleted ones too; missing ones left out), in `ids`
 * order: `objectsByIds` in one statement, or through the unit of work when the context has one (its
 * buffered changes included, cached rows not read again).
 */
export async function findObjectsByIds(ctx: Ctx, ids: readonly string[]): Promise<StoredObject[]> {
  if (!ctx.uow) return (await objectsByIds(ctx.db, ctx.livemode, ids)).map((r) => toStored(r));
  await ctx.uow.preload(ctx, 'object', ids);
  const out: StoredObject[] = [];
  for (const id of ids) {
    const row = await ctx.uow.find(ctx, null, id, { includeDeleted: true });
    if (row) out.push(row as StoredObject);
  }
  return out;
}

/**
 * `objectsByIdsQuery` and, in the same statement, the mode's `objects` rows of `customer` that are not
 * deleted (oldest first), e.g. a preview's subscription, prices and products with its customer's pending
 * invoice items and tax IDs. A row may come twice (by id and as the customer's); never locked.
 */
export function objectsByIdsAndOfCustomerQuery(livemode: boolean, ids: readonly string[], customer: string, objects: readonly string[]) {
  return sql<ObjectRow>`
    (select o.* from unnest(${[...ids]}::text[]) with ordinality as w(id, n)
    cross join lateral (select * from objects where livemode = ${livemode} and id = w.id limit 1) as o
    order by w.n)
    union all
    (select * from objects where livemode = ${livemode} and object = any(${[...objects]}::text[]) and customer = ${customer} and deleted = false order by seq)`;
}

/** What `objectReadsQuery` reads (see UnitOfWork.preloadReads). */
export interface ObjectReads {
  /** Rows by id, locked (`FOR UPDATE`, in the order given: the caller's lock order), read first. */
  lock?: readonly string[];
  /** A customer's rows of these types that are not deleted, locked when `forUpdate`, read next. */
  customerObjects?: ReadonlyArray<{ customer: string; objects: readonly string[]; forUpdate: boolean }>;
  /** Rows by id, never locked. */
  ids?: readonly string[];
  /** Rows named by the text at `path` in the rows `from` (e.g. a price's `product`), never locked. */
  refs?: ReadonlyArray<{ from: readonly string[]; path: readonly string[] }>;
  /** Rows of `object` that are not deleted whose private `key` is one of `values` (e.g. a product's features), never locked. */
  privateSets?: ReadonlyArray<{ object: string; key: string; values: readonly string[] }>;
}

/**
 * One statement for `ObjectReads`: each row with `locked` (whether this statement locked it), in the
 * order above (locks taken in that order). A row may come more than once.
 */
export function objectReadsQuery(livemode: boolean, reads: ObjectReads) {
  const parts = [];
  if (reads.lock && reads.lock.length > 0) {
    parts.push(sql`(select true as locked, o.* from unnest(${[...new Set(reads.lock)]}::text[]) as w(id)
      cross join lateral (select * from objects where livemode = ${livemode} and id = w.id limit 1 for update) as o)`);
  }
  for (const c of reads.customerObjects ?? []) {
    parts.push(sql`(select ${c.forUpdate ? sql`true` : sql`false`} as locked, o.* from (select * from objects where livemode = ${livemode}
      and object = any(${[...c.objects]}::text[]) and customer = ${c.customer} and deleted = false order by seq ${c.forUpdate ? sql`for update` : sql``}) as o)`);
  }
  const refs = (reads.refs ?? []).filter((r) => r.from.length > 0);
  if ((reads.ids ?? []).length > 0 || refs.length > 0) {
    // Primary-key probes only (as objectsByIdsQuery), whatever the planner knows of the table.
    const named = refs.map(
      (r) => sql` union select x.data #>> ${[...r.path]}::text[] from unnest(${[...r.from]}::text[]) as f(id)
        cross join lateral (select data from objects where livemode = ${livemode} and id = f.id limit 1) as x`,
    );
    parts.push(sql`(select false as locked, o.* from (select unnest(${[...(reads.ids ?? [])]}::text[]) as id${sql.join(named, sql``)}) as w
      cross join lateral (select * from objects where livemode = ${livemode} and id = w.id limit 1) as o)`);
  }
  for (const p of reads.privateSets ?? []) {
    parts.push(sql`(select false as locked, o.* from objects o where o.livemode = ${livemode} and o.object = ${p.object} and o.deleted = false
      and o.private->>${p.key}::text = any(${[...p.values]}::text[]) order by o.seq)`);
  }
  return sql<ObjectRow & { locked: boolean }>`${sql.join(parts, sql` union all `)}`;
}

/** Any object of this mode by id, whatever its type (for `expand`). */
export async function findAnyObject(ctx: Ctx, id: string): Promise<StoredObject | undefined> {
  if (ctx.uow) return (await ctx.uow.find(ctx, null, id, { includeDeleted: true })) as StoredObject | undefined;
  const row = await ctx.db
    .selectFrom('objects')
    .selectAll()
    .where('livemode', '=', ctx.livemode)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toStored(row) : undefined;
}

export async function updateObject<T>(
  ctx: Ctx,
  id: string,
  changes: {
    data?: T;
    private?: Record<string, unknown>;
    customer?: string | null;
    deleted?: boolean;
    due_at?: number | null;
  },
): Promise<void> {
  if (ctx.uow) return ctx.uow.update(ctx, id, changes);
  await ctx.db
    .updateTable('objects')
    .set({
      ...(changes.data !== undefined ? { data: JSON.stringify(changes.data) } : {}),
      ...(changes.private !== undefined ? { private: JSON.stringify(changes.private) } : {}),
      ...(changes.customer !== undefined ? { customer: changes.customer } : {}),
      ...(changes.deleted !== undefined ? { deleted: changes.deleted } : {}),
      ...(changes.due_at !== undefined ? { due_at: changes.due_at } : {}),
    })
    .where('livemode', '=', ctx.livemode)
    .where('id', '=', id)
    .execute();
}

/** Removes a row for good (objects Stripe forgets entirely, such as a deleted tax ID). */
export async function removeObject(ctx: Ctx, id: string): Promise<void> {
  await ctx.uow?.settle(ctx.db);
  await ctx.db.deleteFrom('objects').where('livemode', '=', ctx.livemode).where('id', '=', id).execute();
}

export interface ListOptions {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  /** Narrows the query (filters on columns or on `data`). */
  where?: (q: ObjectQuery) => ObjectQuery;
  includeDeleted?: boolean;
}

export interface Page<T> {
  data: StoredObject<T>[];
  has_more: boolean;
}

/** One page of a list, newest first, with Stripe's cursor semantics. */
export async function listObjects<T>(ctx: Ctx, object: string, opts: ListOptions): Promise<Page<T>> {
  await ctx.uow?.settle(ctx.db);
  let q = scoped(ctx, object);
  if (!opts.includeDeleted) q = q.where('deleted', '=', false);
  if (opts.where) q = opts.where(q);
  const seqOf = async (id: string) =>
    (
      await ctx.db
        .selectFrom('objects')
        .select('seq')
        .where('livemode', '=', ctx.livemode)
        .where('object', '=', object)
        .where('id', '=', id)
        .executeTakeFirst()
    )?.seq;
  const noun = object.replace(/^.*\./, '').replace(/_/g, ' ');
  const { rows, has_more } = await keysetPage(q, opts, seqOf, noun);
  return { data: rows.map((r) => toStored<T>(r)), has_more };
}

/** Filters on a top-level string (or boolean, as `'true'`/`'false'`) field of the stored API object. */
export function whereData(q: ObjectQuery, key: string, value: string | boolean): ObjectQuery {
  return q.where(sql<string>`data->>${key}`, '=', String(value));
}

export { whereCreated } from './keyset.ts';
