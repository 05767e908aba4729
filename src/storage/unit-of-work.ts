/**
 * A unit of work: an identity map over `objects` with write-behind, for code that runs many domain
 * changes in one transaction (the billing clock's batches; the API's billing writes, api/router.ts). While a `Ctx` carries one (`ctx.uow`),
 * storage/objects.ts serves reads by id from it and buffers inserts and updates in it, and the event
 * outbox and `billing_periods` buffer their rows in it; `flush` writes everything with a few multi-row
 * statements, in the order the changes were made, inside the same transaction. A portal page that
 * only reads uses one as a read cache (portal/subscriptions/offer.ts `pageReads`): its reads by id in
 * one statement, never flushed, `hasChanges` checking that nothing was buffered.
 *
 * Invariants:
 * - Reads return fresh copies (as a query would): callers may mutate what they get.
 * - A row read `forUpdate` is locked in the database (`FOR UPDATE`) the first time; rows this unit
 *   inserted count as locked. Unlocked reads are cached for the unit's life (a repeatable read).
 * - Code that queries `objects` other than by id (lists, filters) must call `settle` first, which
 *   flushes and forgets the cache, or use the unit-aware helpers here (`customerObjects`).
 * - Nothing is written until `flush`; the caller flushes before its transaction commits, and after a
 *   rollback (to a savepoint) simply drops the unit.
 */
import type { RawBuilder } from 'kysely';
import type { Ctx } from './context.ts';
import type { Executor } from './database.ts';
import { objectReadsQuery, objectsByIds, objectsByIdsAndOfCustomerQuery, type ObjectReads } from './objects.ts';
import type { ObjectRow } from './schema.ts';
import { CHUNK, chunks, writeBuffered, type BufferedEvent, type BufferedPeriod, type Column, type Entry, type EventGuard } from './unit-of-work-flush.ts';

export interface UowRow {
  id: string;
  object: string;
  created: number;
  customer: string | null;
  deleted: boolean;
  data: unknown;
  private: Record<string, unknown>;
  due_at: number | null;
  test_clock: string | null;
}

export interface UowInsert {
  id: string;
  object: string;
  created: number;
  customer: string | null;
  data: unknown;
  private: Record<string, unknown>;
  due_at: number | null;
  test_clock: string | null;
}

export interface UowChanges {
  data?: unknown;
  private?: Record<string, unknown>;
  customer?: string | null;
  deleted?: boolean;
  due_at?: number | null;
}

const keyOf = (livemode: boolean, id: string) => `${livemode ? 'l' : 't'}:${id}`;

export class UnitOfWork {
  /** Cached rows; `null`: known not to exist. */
  private readonly entries = new Map<string, Entry | null>();
  /** `(mode, object type, customer)` sets loaded whole (with their lock state). */
  private readonly loadedSets = new Map<string, { locked: boolean }>();
  /** `(mode, object type, private key, value)` sets loaded whole (see `objectsByPrivate`). */
  private readonly privateSets = new Set<string>();
  /** Keys of the cached rows of each `(mode, object type, customer)`. */
  private readonly byCustomer = new Map<string, Set<string>>();
  /** Values read once for the unit's life (see `memo`). */
  private readonly memos = new Map<string, Promise<unknown>>();
  private events: BufferedEvent[] = [];
  private periods: BufferedPeriod[] = [];
  private statementsToWrite: RawBuilder<unknown>[] = [];
  private counter = 0;
  /** Statements this unit issued (reads and writes), for measurements. */
  statements = 0;

  /** `notifyChannel`: NOTIFYed once per flush that wrote webhook deliveries (wakes delivery workers). */
  constructor(private readonly notifyChannel: string) {}

  /** Adds rows the caller already read (and locked, when `locked`), e.g. the billing clock's claim. */
  seed(rows: ObjectRow[], locked: boolean): void {
    for (const r of rows) this.put(keyOf(r.livemode, r.id), this.entryOf(r, locked));
  }

  private setKey(livemode: boolean, object: string, customer: string): string {
    return `${livemode ? 'l' : 't'}:${object}:${customer}`;
  }

  /** Caches `e` under `key` (replacing what was there) and indexes it by customer. */
  private put(key: string, e: Entry | null): void {
    const old = this.entries.get(key);
    if (old && old.customer !== null) this.byCustomer.get(this.setKey(old.livemode, old.object, old.customer))?.delete(key);
    this.entries.set(key, e);
    if (e && e.customer !== null) {
      const k = this.setKey(e.livemode, e.object, e.customer);
      let set = this.byCustomer.get(k);
      if (!set) this.byCustomer.set(k, (set = new Set()));
      set.add(key);
    }
  }

  private entryOf(r: ObjectRow, locked: boolean): Entry {
    return {
      livemode: r.livemode,
      id: r.id,
      object: r.object,
      created: r.created,
      customer: r.customer,
      deleted: r.deleted,
      data: r.data,
      dataJson: null,
      priv: r.private,
      privJson: null,
      due_at: r.due_at,
      test_clock: r.test_clock,
      seq: r.seq,
      order: this.counter++,
      locked,
      state: 'clean',
      changed: new Set(),
    };
  }

  private rowOf(e: Entry): UowRow {
    // Kept as text once read: parsing text is cheaper than cloning objects, and rows are read often.
    if (e.dataJson === null) {
      e.dataJson = JSON.stringify(e.data);
      e.data = null;
    }
    if (e.privJson === null) {
      e.privJson = JSON.stringify(e.priv ?? {});
      e.priv = null;
    }
    return {
      id: e.id,
      object: e.object,
      created: e.created,
      customer: e.customer,
      deleted: e.deleted,
      data: JSON.parse(e.dataJson),
      private: JSON.parse(e.privJson),
      due_at: e.due_at,
      test_clock: e.test_clock,
    };
  }

  /** Reads rows by id in one statement (`FOR UPDATE`, in id order, when `forUpdate`); caches misses. */
  async preload(ctx: Ctx, object: string, ids: Iterable<string>, opts: { forUpdate?: boolean } = {}): Promise<void> {
    const forUpdate = (opts.forUpdate ?? false) && ctx.db.isTransaction;
    const wanted = [...new Set(ids)].filter((id) => {
      const e = this.entries.get(keyOf(ctx.livemode, id));
      return e === undefined || (forUpdate && e !== null && !e.locked);
    });
    if (wanted.length === 0) return;
    for (const part of chunks(wanted)) {
      // By primary key only (see objectsByIds): a row of another type is cached as what it is, and
      // `find` by this type misses it. Locked in id order, as every locking reader here does.
      this.statements++;
      const rows = await objectsByIds(ctx.db, ctx.livemode, forUpdate ? [...part].sort() : part, { forUpdate });
      this.absorb(rows, forUpdate);
      const found = new Set(rows.map((r) => r.id));
      for (const id of part) if (!found.has(id) && !this.entries.has(keyOf(ctx.livemode, id))) this.put(keyOf(ctx.livemode, id), null);
    }
  }

  /**
   * `preload` of `ids` and `preloadCustomerObjects` of `objects` for one customer, in one statement
   * (never locked): what a page reading through the unit needs, read at once.
   */
  async preloadWithCustomerObjects(ctx: Ctx, ids: Iterable<string>, customer: string, objects: readonly string[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => this.entries.get(keyOf(ctx.livemode, id)) === undefined);
    if (wanted.length > CHUNK || objects.length === 0) {
      await this.preload(ctx, 'object', wanted);
      await this.preloadCustomerObjects(ctx, objects, [customer]);
      return;
    }
    this.statements++;
    const { rows } = await objectsByIdsAndOfCustomerQuery(ctx.livemode, wanted, customer, objects).execute(ctx.db);
    this.absorb(rows, false);
    for (const id of wanted) if (!this.entries.has(keyOf(ctx.livemode, id))) this.put(keyOf(ctx.livemode, id), null);
    for (const o of objects) this.loadedSets.set(this.setKey(ctx.livemode, o, customer), { locked: false });
  }

  /**
   * `reads` (storage/objects.ts `ObjectReads`) in one statement: what a write about one customer reads
   * by id and as the customer's, at once. Ids cached already (locked, for `lock`) and customer sets
   * loaded already are left out; misses among `lock` and `ids` are cached as such.
   */
  async preloadReads(ctx: Ctx, reads: ObjectReads): Promise<void> {
    const inTx = ctx.db.isTransaction;
    const missing = (locked: boolean) => (id: string) => {
      const e = this.entries.get(keyOf(ctx.livemode, id));
      return e === undefined || (locked && e !== null && !e.locked);
    };
    const lock = (reads.lock ?? []).filter(missing(inTx));
    const ids = (reads.ids ?? []).filter(missing(false));
    const customerObjects = (reads.customerObjects ?? [])
      .map((c) => ({ ...c, forUpdate: c.forUpdate && inTx }))
      .filter((c) => c.objects.some((o) => {
        const s = this.loadedSets.get(this.setKey(ctx.livemode, o, c.customer));
        return s === undefined || (c.forUpdate && !s.locked);
      }));
    // A reference from an uncached row is resolved by the database; from a cached one, here (its
    // buffered version is the one this unit sees).
    const refIds: string[] = [];
    const refs = (reads.refs ?? []).map((r) => ({
      path: r.path,
      from: r.from.filter((id) => {
        const e = this.entries.get(keyOf(ctx.livemode, id));
        if (e === undefined) return true;
        let v: unknown = e ? (e.dataJson !== null ? JSON.parse(e.dataJson) : e.data) : undefined;
        for (const k of r.path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
        if (typeof v === 'string' && missing(false)(v)) refIds.push(v);
        return false;
      }),
    }));
    const privateKey = (p: { object: string; key: string }, v: string) => `${ctx.livemode ? 'l' : 't'}:${p.object}:${p.key}:${v}`;
    const privateSets = (reads.privateSets ?? [])
      .map((p) => ({ ...p, values: [...new Set(p.values)].filter((v) => !this.privateSets.has(privateKey(p, v))) }))
      .filter((p) => p.values.length > 0);
    const byId = inTx ? { lock, ids: [...ids, ...refIds] } : { lock: [], ids: [...lock, ...ids, ...refIds] };
    if (byId.lock.length + byId.ids.length + customerObjects.length + refs.filter((r) => r.from.length > 0).length + privateSets.length === 0) return;
    this.statements++;
    const { rows } = await objectReadsQuery(ctx.livemode, { ...byId, customerObjects, refs, privateSets }).execute(ctx.db);
    for (const r of rows) this.absorb([r], r.locked);
    for (const id of [...byId.lock, ...byId.ids]) if (!this.entries.has(keyOf(ctx.livemode, id))) this.put(keyOf(ctx.livemode, id), null);
    for (const c of customerObjects) for (const o of c.objects) this.loadedSets.set(this.setKey(ctx.livemode, o, c.customer), { locked: c.forUpdate });
    for (const p of privateSets) for (const v of p.values) this.privateSets.add(privateKey(p, v));
  }

  /**
   * The mode's `object` rows that are not deleted whose private `key` is one of `values`, oldest first
   * (this unit's new rows last), when `preloadReads` loaded those sets (`privateSets`); else undefined
   * (the caller preloads them first). Rows this unit inserted or changed count as they are now.
   */
  objectsByPrivate(ctx: Ctx, object: string, key: string, values: readonly string[]): UowRow[] | undefined {
    const prefix = `${ctx.livemode ? 'l' : 't'}:${object}:${key}:`;
    if (!values.every((v) => this.privateSets.has(prefix + v))) return undefined;
    const wanted = new Set(values);
    const matching: Array<{ e: Entry; row: UowRow }> = [];
    for (const e of this.entries.values()) {
      if (!e || e.livemode !== ctx.livemode || e.object !== object || e.deleted) continue;
      const row = this.rowOf(e);
      const v = row.private[key];
      if (typeof v === 'string' && wanted.has(v)) matching.push({ e, row });
    }
    matching.sort((a, b) => (a.e.seq ?? Infinity) - (b.e.seq ?? Infinity) || a.e.order - b.e.order);
    return matching.map((m) => m.row);
  }

  /** Caches rows read from the database; rows this unit changed keep its version (now locked if asked). */
  private absorb(rows: ObjectRow[], locked: boolean): void {
    for (const r of rows) {
      const key = keyOf(r.livemode, r.id);
      const e = this.entries.get(key);
      if (e && e.state !== 'clean') e.locked ||= locked;
      else this.put(key, this.entryOf(r, locked || (e?.locked ?? false)));
    }
  }

  /** The row (any type) by id, as `findObject` would read it, or undefined. */
  async find(ctx: Ctx, object: string | null, id: string, opts: { includeDeleted?: boolean; forUpdate?: boolean } = {}): Promise<UowRow | undefined> {
    const key = keyOf(ctx.livemode, id);
    let e = this.entries.get(key);
    const forUpdate = (opts.forUpdate ?? false) && ctx.db.isTransaction;
    if (e === undefined || (forUpdate && e !== null && !e.locked)) {
      let q = ctx.db.selectFrom('objects').selectAll().where('livemode', '=', ctx.livemode).where('id', '=', id);
      if (forUpdate) q = q.forUpdate();
      this.statements++;
      const row = await q.executeTakeFirst();
      if (row) this.absorb([row], forUpdate);
      else if (e === undefined) this.put(key, null);
      e = this.entries.get(key);
    }
    if (!e) return undefined;
    if (object !== null && e.object !== object) return undefined;
    if (e.deleted && !opts.includeDeleted) return undefined;
    return this.rowOf(e);
  }

  /**
   * The row (deleted too) by id, locked, unless another transaction holds its lock (`FOR UPDATE SKIP
   * LOCKED`: undefined then, as when there is no such row). A row this unit already locked or inserted
   * is served from the cache; a row it changed without the lock keeps its buffered version.
   */
  async findSkipLocked(ctx: Ctx, object: string, id: string): Promise<UowRow | undefined> {
    const key = keyOf(ctx.livemode, id);
    const cached = this.entries.get(key);
    if (!(cached && cached.locked) && ctx.db.isTransaction) {
      this.statements++;
      const row = await ctx.db.selectFrom('objects').selectAll().where('livemode', '=', ctx.livemode).where('id', '=', id).forUpdate().skipLocked().executeTakeFirst();
      if (!row) return undefined;
      this.absorb([row], true);
    }
    const e = this.entries.get(key);
    return e && e.object === object ? this.rowOf(e) : undefined;
  }

  /** The `customer` column of a row that is not deleted (undefined: no such row), without copying it. */
  async owner(ctx: Ctx, object: string, id: string): Promise<string | null | undefined> {
    const key = keyOf(ctx.livemode, id);
    if (this.entries.get(key) === undefined) await this.find(ctx, object, id);
    const e = this.entries.get(key);
    return e && e.object === object && !e.deleted ? e.customer : undefined;
  }

  /**
   * The mode's `object` rows of `customer` that are not deleted, oldest first (rows inserted by this
   * unit last, in insertion order), loaded once per unit (`FOR UPDATE` when `forUpdate`).
   */
  async customerObjects(ctx: Ctx, object: string, customer: string, opts: { forUpdate?: boolean } = {}): Promise<UowRow[]> {
    await this.preloadCustomerObjects(ctx, object, [customer], opts);
    const matching: Entry[] = [];
    for (const key of this.byCustomer.get(this.setKey(ctx.livemode, object, customer)) ?? []) {
      const e = this.entries.get(key);
      if (e && !e.deleted) matching.push(e);
    }
    // Stored rows by seq, then this unit's new rows in the order they were made (they get later seqs).
    matching.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || a.order - b.order);
    return matching.map((e) => this.rowOf(e));
  }

  /**
   * Loads `customerObjects` for many customers in one statement; `object` may name several types
   * (e.g. a preview's pending invoice items and tax IDs), still one statement.
   */
  async preloadCustomerObjects(ctx: Ctx, object: string | readonly string[], customers: Iterable<string>, opts: { forUpdate?: boolean } = {}): Promise<void> {
    const forUpdate = (opts.forUpdate ?? false) && ctx.db.isTransaction;
    const objects = typeof object === 'string' ? [object] : [...new Set(object)];
    if (objects.length === 0) return;
    const loaded = (o: string, c: string) => {
      const s = this.loadedSets.get(this.setKey(ctx.livemode, o, c));
      return s !== undefined && (!forUpdate || s.locked);
    };
    const wanted = [...new Set(customers)].filter((c) => objects.some((o) => !loaded(o, c)));
    if (wanted.length === 0) return;
    for (const part of chunks(wanted)) {
      let q = ctx.db
        .selectFrom('objects')
        .selectAll()
        .where('livemode', '=', ctx.livemode)
        .where('object', objects.length === 1 ? '=' : 'in', objects.length === 1 ? objects[0]! : objects)
        .where('customer', 'in', part)
        .where('deleted', '=', false)
        .orderBy('seq');
      if (forUpdate) q = q.forUpdate();
      this.statements++;
      this.absorb(await q.execute(), forUpdate);
      for (const c of part) for (const o of objects) this.loadedSets.set(this.setKey(ctx.livemode, o, c), { locked: forUpdate });
    }
  }

  /** Whether anything is buffered (an insert, update, event or billing period) and not yet flushed. */
  hasChanges(): boolean {
    if (this.events.length > 0 || this.periods.length > 0 || this.statementsToWrite.length > 0) return true;
    for (const e of this.entries.values()) if (e && (e.state === 'new' || (e.state === 'dirty' && e.changed.size > 0))) return true;
    return false;
  }

  /**
   * `read()`'s value, read once for the unit's life (a repeatable read, as for cached rows): e.g. the
   * account's settings, which every renewal of a batch consults. Callers must not mutate the value.
   */
  memo<T>(key: string, read: () => Promise<T>): Promise<T> {
    let value = this.memos.get(key) as Promise<T> | undefined;
    if (!value) this.memos.set(key, (value = read()));
    return value;
  }

  /** Buffers an insert (the database would refuse a duplicate id; so does this). */
  insert(ctx: Ctx, row: UowInsert): void {
    const key = keyOf(ctx.livemode, row.id);
    if (this.entries.get(key)) throw new Error(`duplicate key value violates unique constraint "objects_pkey": ${row.id}`);
    // New rows are written in the order they were made: a miss cached earlier must not keep its place.
    this.entries.delete(key);
    this.put(key, {
      livemode: ctx.livemode,
      id: row.id,
      object: row.object,
      created: row.created,
      customer: row.customer,
      deleted: false,
      data: null,
      dataJson: JSON.stringify(row.data),
      priv: null,
      privJson: JSON.stringify(row.private),
      due_at: row.due_at,
      test_clock: row.test_clock,
      seq: null,
      order: this.counter++,
      locked: true,
      state: 'new',
      changed: new Set(),
    });
  }

  /** Buffers an update of the row `id` (read first when not cached; no row: nothing, as an UPDATE). */
  async update(ctx: Ctx, id: string, changes: UowChanges): Promise<void> {
    const key = keyOf(ctx.livemode, id);
    if (this.entries.get(key) === undefined) await this.find(ctx, null, id, { includeDeleted: true });
    const e = this.entries.get(key);
    if (!e) return;
    const mark = (c: Column) => {
      if (e.state === 'clean') e.state = 'dirty';
      if (e.state === 'dirty') e.changed.add(c);
    };
    if (changes.data !== undefined) {
      e.dataJson = JSON.stringify(changes.data);
      e.data = null;
      mark('data');
    }
    if (changes.private !== undefined) {
      e.privJson = JSON.stringify(changes.private);
      e.priv = null;
      mark('private');
    }
    if (changes.customer !== undefined && changes.customer !== e.customer) {
      // Sets of either customer no longer match what was loaded.
      for (const c of [e.customer, changes.customer]) if (c !== null) this.loadedSets.delete(this.setKey(e.livemode, e.object, c));
      this.put(key, { ...e, customer: changes.customer });
      const moved = this.entries.get(key)!;
      if (moved.state === 'clean') moved.state = 'dirty';
      if (moved.state === 'dirty') moved.changed.add('customer');
      await this.update(ctx, id, { ...changes, customer: undefined });
      return;
    }
    if (changes.deleted !== undefined) {
      e.deleted = changes.deleted;
      mark('deleted');
    }
    if (changes.due_at !== undefined) {
      e.due_at = changes.due_at;
      mark('due_at');
    }
  }

  /**
   * Buffers an event (serialized now, so later changes to its object do not show) and its deliveries;
   * `guard`: the cached endpoints they were routed by (checked when flushed, see unit-of-work-flush.ts).
   */
  addEvent(event: { id: string; livemode: boolean; type: string; created: number }, endpoints: string[], guard: EventGuard | null): void {
    this.events.push({ id: event.id, livemode: event.livemode, type: event.type, created: event.created, json: JSON.stringify(event), endpoints, guard });
  }

  /** Buffers a data-modifying statement with no `returning` (e.g. a portal session's row), written by `flush`. */
  addStatement(statement: RawBuilder<unknown>): void {
    this.statementsToWrite.push(statement);
  }

  /** Buffers a `billing_periods` row (its primary key is checked when flushed). */
  addPeriod(row: BufferedPeriod): void {
    this.periods.push(row);
  }

  /**
   * Writes everything buffered, in a few statements (one for a small unit): inserts, updates, periods,
   * buffered statements and `also` (e.g. the API's idempotency row), events, deliveries.
   */
  async flush(db: Executor, also: RawBuilder<unknown>[] = []): Promise<void> {
    const inserts: Entry[] = [];
    const updates = new Map<string, Entry[]>();
    for (const e of this.entries.values()) {
      if (!e || e.state === 'clean') continue;
      if (e.state === 'new') inserts.push(e);
      else if (e.changed.size > 0) {
        const sig = [...e.changed].sort().join(',');
        const group = updates.get(sig);
        if (group) group.push(e);
        else updates.set(sig, [e]);
      }
    }
    this.statements += await writeBuffered(db, {
      inserts,
      updates,
      periods: this.periods,
      statements: [...this.statementsToWrite, ...also],
      events: this.events,
      notifyChannel: this.notifyChannel,
    });
    for (const e of this.entries.values()) {
      if (!e) continue;
      e.state = 'clean';
      e.changed.clear();
    }
    // Inserted rows now have seqs; forget the sets so a later list reads them in order.
    if (inserts.length > 0) {
      this.loadedSets.clear();
      this.privateSets.clear();
    }
    this.events = [];
    this.periods = [];
    this.statementsToWrite = [];
  }

  /** Flushes and forgets every cached row: raw queries after this see (and may change) everything. */
  async settle(db: Executor): Promise<void> {
    await this.flush(db);
    this.entries.clear();
    this.loadedSets.clear();
    this.privateSets.clear();
    this.byCustomer.clear();
  }
}
