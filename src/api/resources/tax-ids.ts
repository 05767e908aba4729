/** `/v1/customers/{id}/tax_ids`: create, retrieve, list, delete a customer's tax IDs. */
import { listShape, parseParams } from '../../lib/params.ts';
import { createTaxId, deleteTaxId, getTaxId, listTaxIds } from '../../billing/tax-ids.ts';
import { taxIdDataShape } from '../../billing/tax-id-formats.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('tax_id', {
  fields: {
    customer: { target: 'customer' },
    'owner.customer': { target: 'customer' },
  },
});

const BASE = '/v1/customers/:customer/tax_ids';

export function registerTaxIds(r: Routes): void {
  r.post(BASE, (ctx, params, c) => createTaxId(ctx, pathParam(c, 'customer'), parseParams(taxIdDataShape, params)));
  r.get(BASE, async (ctx, params, c) => {
    const q = parseParams(listShape, params);
    return pageEnvelope(c.req.path, await listTaxIds(ctx, pathParam(c, 'customer'), pagination(q)));
  });
  r.get(`${BASE}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return getTaxId(ctx, pathParam(c, 'customer'), pathParam(c, 'id'));
  });
  r.delete(`${BASE}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return deleteTaxId(ctx, pathParam(c, 'customer'), pathParam(c, 'id'));
  });
}
