/**
 * Keyset pagination, newest first, with Stripe's cursors: `starting_after` pages towards older rows,
 * `ending_before` towards newer ones (each page still newest first). Rows are ordered by their
 * insertion sequence `seq`, which stays stable while rows are inserted.
 */
import type { SelectQueryBuilder } from 'kysely';
import { errors } from '../lib/errors.ts';
import type { RangeFilter } from '../lib/params.ts';

export interface Cursor {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
}

/**
 * One page of `query` (already filtered); `seqOf(id)` finds a cursor row's `seq` in the same list.
 * @example await keysetPage(q, page, (id) => seqOfEvent(ctx, id), 'event')
 */
export async function keysetPage<R extends { seq: number }>(
  // The builder's table types vary by caller; only its `seq` column is used here.
  query: SelectQueryBuilder<any, any, R>,
  page: Cursor,
  seqOf: (id: string) => Promise<number | undefined>,
  noun: string,
): Promise<{ rows: R[]; has_more: boolean }> {
  if (page.starting_after !== undefined && page.ending_before !== undefined) {
    throw errors.exclusive(['starting_after', 'ending_before']);
  }
  const limit = page.limit ?? 10;
  const cursorId = page.starting_after ?? page.ending_before;
  if (cursorId === undefined) {
    const rows = await query.orderBy('seq', 'desc').limit(limit + 1).execute();
    return { rows: rows.slice(0, limit), has_more: rows.length > limit };
  }
  const param = page.starting_after !== undefined ? 'starting_after' : 'ending_before';
  const seq = await seqOf(cursorId);
  if (seq === undefined) throw errors.resourceMissing(noun, cursorId, param);
  if (param === 'starting_after') {
    const rows = await query.where('seq', '<', seq).orderBy('seq', 'desc').limit(limit + 1).execute();
    return { rows: rows.slice(0, limit), has_more: rows.length > limit };
  }
  const rows = await query.where('seq', '>', seq).orderBy('seq', 'asc').limit(limit + 1).execute();
  return { rows: rows.slice(0, limit).reverse(), has_more: rows.length > limit };
}

/** Applies a `created` range filter (`created[gte]=…`, or an exact `created=…`) to any list query. */
export function whereCreated<Q extends SelectQueryBuilder<any, any, any>>(q: Q, r: RangeFilter): Q {
  let out: SelectQueryBuilder<any, any, any> = q;
  if (r.eq !== undefined) out = out.where('created', '=', r.eq);
  if (r.gt !== undefined) out = out.where('created', '>', r.gt);
  if (r.gte !== undefined) out = out.where('created', '>=', r.gte);
  if (r.lt !== undefined) out = out.where('created', '<', r.lt);
  if (r.lte !== undefined) out = out.where('created', '<=', r.lte);
  return out as Q;
}
