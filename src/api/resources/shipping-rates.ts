/** `/v1/shipping_rates`: create, retrieve, update, list (the fixed-amount rates invoices' `shipping_cost` names). */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  createShippingRate,
  getShippingRate,
  listShippingRates,
  shippingRateShape,
  shippingRateUpdateShape,
  updateShippingRate,
} from '../../billing/invoices/shipping.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

const listShippingRatesShape = { ...listShape, active: p.boolean(), currency: p.string({ max: 3 }), created: rangeFilter() };

export function registerShippingRates(r: Routes): void {
  r.post('/v1/shipping_rates', (ctx, params) => createShippingRate(ctx, parseParams(shippingRateShape, params)));
  r.get('/v1/shipping_rates', async (ctx, params, c) => {
    const q = parseParams(listShippingRatesShape, params);
    return pageEnvelope(c.req.path, await listShippingRates(ctx, q, pagination(q)));
  });
  r.get('/v1/shipping_rates/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getShippingRate(ctx, pathParam(c, 'id'));
  });
  r.post('/v1/shipping_rates/:id', (ctx, params, c) =>
    updateShippingRate(ctx, pathParam(c, 'id'), parseParams(shippingRateUpdateShape, params)),
  );
}
