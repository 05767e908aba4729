/** `/v1/products`: create, retrieve, update, delete, list. */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  createProduct,
  deleteProduct,
  getProduct,
  listProducts,
  productCreateShape,
  productUpdateShape,
  updateProduct,
} from '../../billing/products.ts';
// Installs the hook that creates `default_price_data` prices.
import '../../billing/prices.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('product', {
  fields: { default_price: { target: 'price' } },
});

const listProductsShape = {
  ...listShape,
  active: p.boolean(),
  created: rangeFilter(),
  ids: p.array(p.string()),
  shippable: p.boolean(),
  type: p.enumOf(['good', 'service']),
  url: p.string(),
};

export function registerProducts(r: Routes): void {
  r.post('/v1/products', (ctx, params) => createProduct(ctx, parseParams(productCreateShape, params)));
  r.get('/v1/products', async (ctx, params, c) => {
    const q = parseParams(listProductsShape, params);
    const page = await listProducts(ctx, q, pagination(q));
    return pageEnvelope(c.req.path, page);
  });
  r.get('/v1/products/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getProduct(ctx, pathParam(c, 'id'), 'id');
  }, { object: 'product' });
  r.post('/v1/products/:id', (ctx, params, c) =>
    updateProduct(ctx, pathParam(c, 'id'), parseParams(productUpdateShape, params)),
  );
  r.delete('/v1/products/:id', (ctx, params, c) => {
    parseParams({}, params);
    return deleteProduct(ctx, pathParam(c, 'id'));
  });
}
