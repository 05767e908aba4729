/**
 * `GET /v1/{customers,invoices,prices,products,subscriptions}/search`: Stripe's `search_result`
 * (`data`, `has_more`, `next_page`, `url`, and `total_count` on `expand[]=total_count`). Registered
 * before the resources' `/:id` routes, which would otherwise read `search` as an id.
 */
import { p, parseParams } from '../../lib/params.ts';
import { searchObjects, type SearchableObject, type SearchPage } from '../../billing/search/index.ts';
import { defineExpansions } from '../expand.ts';
import type { Routes } from '../router.ts';

/** The page's counter, kept off the JSON (a symbol key) until `expand[]=total_count` asks for it. */
const COUNT = Symbol('search count');

defineExpansions('search_result', {
  includes: {
    total_count: (_ctx, result) => (result as { [COUNT]: SearchPage<unknown>['count'] })[COUNT](),
  },
});

const searchShape = {
  query: p.string({ max: 5000 }).req(),
  limit: p.integer({ min: 1, max: 100 }),
  page: p.string({ max: 5000 }),
};

const RESOURCES: [string, SearchableObject][] = [
  ['customers', 'customer'],
  ['invoices', 'invoice'],
  ['prices', 'price'],
  ['products', 'product'],
  ['subscriptions', 'subscription'],
];

export function registerSearch(r: Routes): void {
  for (const [path, object] of RESOURCES) {
    r.get(`/v1/${path}/search`, async (ctx, params, c) => {
      const q = parseParams(searchShape, params);
      const page = await searchObjects(ctx, object, q.query, {
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
        ...(q.page !== undefined ? { page: q.page } : {}),
      });
      return {
        object: 'search_result',
        data: page.data,
        has_more: page.has_more,
        next_page: page.next_page,
        url: c.req.path,
        [COUNT]: page.count,
      };
    });
  }
}
