/**
 * Search (`GET /v1/{customers,invoices,prices,products,subscriptions}/search`): a query in Stripe's
 * search language (query-parser.ts), checked against the resource's fields and turned into SQL
 * (fields.ts), run over the object store newest first, like a list. Results are read straight from
 * the database, so unlike Stripe's (eventually consistent) search a change is searchable at once.
 *
 * Pages: `next_page` is an opaque token holding the last row's position and a hash of the query, so
 * a token is refused (400, `page`) with any other query or resource. `total_count` (only on
 * `expand[]=total_count`, as on Stripe) is counted when asked for.
 */
import { createHash } from 'node:crypto';
import { errors } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import { sql } from 'kysely';
import { compileQuery, isNarrowQuery, type SearchableObject } from './fields.ts';
import { parseQuery } from './query-parser.ts';

export type { SearchableObject } from './fields.ts';

export interface SearchPage<T> {
  data: T[];
  has_more: boolean;
  next_page: string | null;
  /** Counts every match (run only when `total_count` is asked for). */
  count(): Promise<number>;
}

function queryHash(object: string, query: string): string {
  return createHash('sha256').update(`${object}\u0000${query}`).digest('base64url').slice(0, 12);
}

function encodePage(seq: number, hash: string): string {
  return Buffer.from(`v1:${seq}:${hash}`).toString('base64url');
}

/** The position a page token resumes after, or a 400 when it is not one of ours for this query. */
function decodePage(token: string, hash: string): number {
  const decoded = /^[A-Za-z0-9_-]{1,200}$/.test(token) ? Buffer.from(token, 'base64url').toString() : '';
  const m = /^v1:(\d{1,16}):([A-Za-z0-9_-]{12})$/.exec(decoded);
  if (!m) throw errors.invalidParam('page', 'Invalid page: use the `next_page` value of a previous search result.');
  if (m[2] !== hash) {
    throw errors.invalidParam('page', 'This page token was made for another query: use it only with the query it came from.');
  }
  return Number(m[1]);
}

/**
 * One page of `object`s matching `query`, newest first.
 * @example await searchObjects(ctx, 'customer', `email:'jenny@example.com'`, { limit: 10 })
 */
export async function searchObjects<T>(
  ctx: Ctx,
  object: SearchableObject,
  query: string,
  opts: { limit?: number; page?: string },
): Promise<SearchPage<T>> {
  const parsed = parseQuery(query);
  const condition = compileQuery(object, parsed);
  const hash = queryHash(object, query);
  const after = opts.page === undefined ? undefined : decodePage(opts.page, hash);
  const limit = opts.limit ?? 10;
  await ctx.uow?.settle(ctx.db);
  const base = ctx.db
    .selectFrom('objects')
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', object)
    .where('deleted', '=', false)
    .where(condition);
  let q = base.select(['seq', 'data']);
  if (after !== undefined) q = q.where('seq', '<', after);
  let rows: { seq: number; data: unknown }[];
  if (isNarrowQuery(object, parsed)) {
    // Collect the few matches through their index, then sort them (measured over 100,000 customers:
    // 0.1 ms, against 120–190 ms for the planner's walk of every row newest first).
    const { rows: found } = await sql<{ seq: number; data: unknown }>`
      with matches as materialized (${q}) select seq, data from matches order by seq desc limit ${limit + 1}`.execute(ctx.db);
    rows = found;
  } else {
    rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute();
  }
  const page = rows.slice(0, limit);
  const has_more = rows.length > limit;
  return {
    data: page.map((r) => r.data as T),
    has_more,
    next_page: has_more ? encodePage(Number(page[page.length - 1]!.seq), hash) : null,
    count: async () => {
      const row = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
