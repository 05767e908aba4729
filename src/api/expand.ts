/**
 * `expand[]`: replaces an id (or each id of a list of ids, such as `discounts`) in a response with the
 * object it names, on the fields each object type declares expandable (the SDK's `Expandable<>` fields), up to four levels deep (`a.b.c.d`), and on
 * every item of a list (`data.customer`). Some fields exist only when expanded ("includable", such as
 * `customer.tax_ids`); their loaders build them. Asking for anything else is Stripe's 400.
 */
import { errors } from '../lib/errors.ts';
import type { Ctx } from '../storage/context.ts';
import { findObject } from '../storage/objects.ts';

type ApiObject = Record<string, any>;

export interface ExpandableField {
  /** The stored object type the id names; `null` for a field Portico keeps null (e.g. `default_source`). */
  target: string | null;
}

export interface ObjectExpansions {
  fields?: Record<string, ExpandableField>;
  /** Fields absent unless expanded; the loader returns their value. */
  includes?: Record<string, (ctx: Ctx, obj: ApiObject) => Promise<unknown>>;
}

const registry = new Map<string, ObjectExpansions>();

/** Declares what `expand` may do on objects of type `object` (called once per resource module). */
export function defineExpansions(object: string, spec: ObjectExpansions): void {
  registry.set(object, spec);
}

const MAX_DEPTH = 4;

/**
 * The field's declaration, only if `table` declares it itself: the tables are object literals, so a
 * plain `table[field]` would find `constructor`, `toString`, `__proto__` … on Object.prototype.
 */
function own<T>(table: Record<string, T> | undefined, field: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, field) ? table[field] : undefined;
}

/** Whether some object type declares a field that prefixes `segments` (for paths on empty lists). */
function declaredAnywhere(segments: string[]): boolean {
  for (const spec of registry.values()) {
    for (let n = segments.length; n >= 1; n--) {
      const field = segments.slice(0, n).join('.');
      if (own(spec.fields, field) || own(spec.includes, field)) return true;
    }
  }
  return false;
}

/** Loads the object named by `id` for expansion; deleted objects expand to their deleted stub. */
async function load(ctx: Ctx, target: string, id: string): Promise<ApiObject> {
  const found = await findObject<ApiObject>(ctx, target, id, { includeDeleted: true });
  if (!found) return { id, object: target, deleted: true };
  return found.deleted ? { id, object: target, deleted: true } : found.data;
}

function getPath(obj: ApiObject, path: string[]): unknown {
  let cur: any = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[key];
  }
  return cur;
}

function setPath(obj: ApiObject, path: string[], value: unknown): void {
  let cur: any = obj;
  for (const key of path.slice(0, -1)) cur = cur[key];
  cur[path[path.length - 1]!] = value;
}

/** Lists and search results expand `data.x` on each of their items. */
function isList(obj: ApiObject): boolean {
  return obj.object === 'list' || obj.object === 'search_result';
}

/** Expands one path (already split) on one object, in place. */
async function expandPath(ctx: Ctx, obj: ApiObject, segments: string[], full: string): Promise<void> {
  if (isList(obj) && segments[0] === 'data') {
    // An empty list has no item to check the path on: it must still name a field some object declares.
    if (!declaredAnywhere(segments.slice(1))) throw errors.cannotExpand(full);
    for (const item of obj.data as ApiObject[]) await expandPath(ctx, item, segments.slice(1), full);
    return;
  }
  const spec = registry.get(obj.object);
  // Find the longest declared field that prefixes the path (fields may be dotted: `promotion.coupon`).
  for (let n = segments.length; n >= 1; n--) {
    const field = segments.slice(0, n).join('.');
    const include = own(spec?.includes, field);
    const expandable = own(spec?.fields, field);
    if (!include && !expandable) continue;
    const rest = segments.slice(n);
    const path = segments.slice(0, n);
    let value = getPath(obj, path);
    if (include && (value === undefined || typeof value === 'string')) {
      value = await include(ctx, obj);
      setPath(obj, path, value);
    } else if (expandable && typeof value === 'string' && expandable.target) {
      value = await load(ctx, expandable.target, value);
      setPath(obj, path, value);
    } else if (expandable && Array.isArray(value) && expandable.target) {
      // A list of ids (`discounts`): each expands.
      const expanded: unknown[] = [];
      for (const v of value) expanded.push(typeof v === 'string' ? await load(ctx, expandable.target, v) : v);
      value = expanded;
      setPath(obj, path, value);
    }
    if (rest.length > 0) {
      if (value === null || typeof value !== 'object') return;
      if (Array.isArray(value)) {
        for (const v of value) if (v !== null && typeof v === 'object') await expandPath(ctx, v as ApiObject, rest, full);
        return;
      }
      await expandPath(ctx, value as ApiObject, rest, full);
    }
    return;
  }
  throw errors.cannotExpand(full);
}

/** Applies every requested expansion to a response object (mutates and returns it). */
export async function applyExpand<T extends ApiObject>(ctx: Ctx, obj: T, paths: string[]): Promise<T> {
  for (const full of [...new Set(paths)].sort()) {
    const segments = full.split('.');
    const depth = isList(obj) && segments[0] === 'data' ? segments.length - 1 : segments.length;
    if (segments.some((s) => s === '') || depth > MAX_DEPTH || depth < 1) throw errors.cannotExpand(full);
    await expandPath(ctx, obj, segments, full);
  }
  return obj;
}
