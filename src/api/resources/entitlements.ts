/**
 * Entitlements: `/v1/entitlements/features` (create, retrieve, update, list by `lookup_key` and
 * `archived`), `/v1/products/{id}/features` (attach, list, retrieve, detach) and
 * `/v1/entitlements/active_entitlements` (a customer's, listed or retrieved).
 */
import { listShape, p, parseParams } from '../../lib/params.ts';
import { activeEntitlements, getActiveEntitlement } from '../../billing/active-entitlements.ts';
import {
  attachFeature,
  createFeature,
  detachFeature,
  featureCreateShape,
  featureListShape,
  featureUpdateShape,
  getFeature,
  getProductFeature,
  listFeatures,
  listProductFeatures,
  updateFeature,
} from '../../billing/entitlements.ts';
import { errors } from '../../lib/errors.ts';
import { defineExpansions } from '../expand.ts';
import { listEnvelope, pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('entitlements.active_entitlement', { fields: { feature: { target: 'entitlements.feature' } } });

const FEATURES = '/v1/entitlements/features';

/** Stripe's cursors over a list computed in memory (newest first). */
function pageOf<T extends { id: string }>(all: T[], q: { limit?: number; starting_after?: string; ending_before?: string }): { data: T[]; has_more: boolean } {
  const limit = q.limit ?? 10;
  const at = (id: string, param: string) => {
    const i = all.findIndex((e) => e.id === id);
    if (i < 0) throw errors.resourceMissing('active entitlement', id, param);
    return i;
  };
  if (q.starting_after !== undefined && q.ending_before !== undefined) throw errors.exclusive(['starting_after', 'ending_before']);
  if (q.ending_before !== undefined) {
    const end = at(q.ending_before, 'ending_before');
    return { data: all.slice(Math.max(0, end - limit), end), has_more: end - limit > 0 };
  }
  const start = q.starting_after === undefined ? 0 : at(q.starting_after, 'starting_after') + 1;
  return { data: all.slice(start, start + limit), has_more: start + limit < all.length };
}

export function registerEntitlements(r: Routes): void {
  r.post(FEATURES, (ctx, params) => createFeature(ctx, parseParams(featureCreateShape, params)));
  r.get(FEATURES, async (ctx, params, c) => {
    const q = parseParams({ ...listShape, ...featureListShape }, params);
    const filters = { ...(q.archived !== undefined ? { archived: q.archived } : {}), ...(q.lookup_key !== undefined ? { lookup_key: q.lookup_key } : {}) };
    return pageEnvelope(c.req.path, await listFeatures(ctx, filters, pagination(q)));
  });
  r.get(`${FEATURES}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return getFeature(ctx, pathParam(c, 'id'));
  });
  r.post(`${FEATURES}/:id`, (ctx, params, c) => updateFeature(ctx, pathParam(c, 'id'), parseParams(featureUpdateShape, params)));

  r.post('/v1/products/:id/features', (ctx, params, c) => {
    const q = parseParams({ entitlement_feature: p.string().req() }, params);
    return attachFeature(ctx, pathParam(c, 'id'), q.entitlement_feature);
  });
  r.get('/v1/products/:id/features', async (ctx, params, c) => {
    const q = parseParams(listShape, params);
    const page = await listProductFeatures(ctx, pathParam(c, 'id'), pagination(q));
    return listEnvelope(c.req.path, page.data, page.has_more);
  });
  r.get('/v1/products/:product/features/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getProductFeature(ctx, pathParam(c, 'product'), pathParam(c, 'id'));
  });
  r.delete('/v1/products/:product/features/:id', (ctx, params, c) => {
    parseParams({}, params);
    return detachFeature(ctx, pathParam(c, 'product'), pathParam(c, 'id'));
  });

  r.get('/v1/entitlements/active_entitlements', async (ctx, params, c) => {
    const q = parseParams({ ...listShape, customer: p.string().req() }, params);
    const page = pageOf(await activeEntitlements(ctx, q.customer), q);
    return listEnvelope(c.req.path, page.data, page.has_more);
  });
  r.get('/v1/entitlements/active_entitlements/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getActiveEntitlement(ctx, pathParam(c, 'id'));
  });
}
