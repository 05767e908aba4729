/** `/v1/tax_rates`: create, retrieve, update, list. */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  createTaxRate,
  getTaxRate,
  listTaxRates,
  taxRateCreateShape,
  taxRateUpdateShape,
  updateTaxRate,
} from '../../billing/tax-rates.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

const listTaxRatesShape = { ...listShape, active: p.boolean(), inclusive: p.boolean(), created: rangeFilter() };

export function registerTaxRates(r: Routes): void {
  r.post('/v1/tax_rates', (ctx, params) => createTaxRate(ctx, parseParams(taxRateCreateShape, params)));
  r.get('/v1/tax_rates', async (ctx, params, c) => {
    const q = parseParams(listTaxRatesShape, params);
    return pageEnvelope(c.req.path, await listTaxRates(ctx, q, pagination(q)));
  });
  r.get('/v1/tax_rates/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getTaxRate(ctx, pathParam(c, 'id'));
  }, { object: 'tax_rate' });
  r.post('/v1/tax_rates/:id', (ctx, params, c) =>
    updateTaxRate(ctx, pathParam(c, 'id'), parseParams(taxRateUpdateShape, params)),
  );
}
