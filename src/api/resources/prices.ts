/** `/v1/prices`: create, retrieve, update, list (Stripe has no delete: prices are archived). */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  createPrice,
  getPrice,
  listPrices,
  priceCreateShape,
  priceUpdateShape,
  updatePrice,
  type Price,
} from '../../billing/prices.ts';
import { priceCurrencyOptions, priceTiers } from '../../billing/price-details.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('price', {
  fields: { product: { target: 'product' } },
  includes: {
    tiers: (ctx, price) => priceTiers(ctx, price as Price),
    currency_options: (ctx, price) => priceCurrencyOptions(ctx, price as Price),
  },
});

const listPricesShape = {
  ...listShape,
  active: p.boolean(),
  created: rangeFilter(),
  currency: p.string({ max: 3 }),
  lookup_keys: p.array(p.string({ max: 200 }), { max: 10 }),
  product: p.string(),
  recurring: p.object({
    interval: p.enumOf(['day', 'week', 'month', 'year']),
    meter: p.string(),
    usage_type: p.enumOf(['licensed', 'metered']),
  }),
  type: p.enumOf(['one_time', 'recurring']),
};

export function registerPrices(r: Routes): void {
  r.post('/v1/prices', (ctx, params) => createPrice(ctx, parseParams(priceCreateShape, params)));
  r.get('/v1/prices', async (ctx, params, c) => {
    const q = parseParams(listPricesShape, params);
    const page = await listPrices(ctx, q, pagination(q));
    return pageEnvelope(c.req.path, page);
  });
  r.get('/v1/prices/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getPrice(ctx, pathParam(c, 'id'), 'id');
  }, { object: 'price' });
  r.post('/v1/prices/:id', (ctx, params, c) =>
    updatePrice(ctx, pathParam(c, 'id'), parseParams(priceUpdateShape, params)),
  );
}
