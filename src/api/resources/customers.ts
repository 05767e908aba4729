/** `/v1/customers`: create, retrieve, update, delete, list. */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  createCustomer,
  customerCreateShape,
  customerUpdateShape,
  deleteCustomer,
  listCustomers,
  retrieveCustomer,
  updateCustomer,
} from '../../billing/customers.ts';
import { customerTaxIdsPage } from '../../billing/tax-ids.ts';
import { defineExpansions } from '../expand.ts';
import { listEnvelope, pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('customer', {
  fields: {
    'invoice_settings.default_payment_method': { target: 'payment_method' },
    test_clock: { target: 'test_helpers.test_clock' },
    default_source: { target: null },
  },
  includes: {
    tax_ids: async (ctx, customer) => {
      const url = `/v1/customers/${customer.id}/tax_ids`;
      if (customer.deleted) return listEnvelope(url, [], false);
      return pageEnvelope(url, await customerTaxIdsPage(ctx, customer.id, 10));
    },
  },
});

const listCustomersShape = {
  ...listShape,
  email: p.string({ max: 512 }),
  test_clock: p.string(),
  created: rangeFilter(),
};

export function registerCustomers(r: Routes): void {
  r.post('/v1/customers', (ctx, params) => createCustomer(ctx, parseParams(customerCreateShape, params)));
  r.get('/v1/customers', async (ctx, params, c) => {
    const q = parseParams(listCustomersShape, params);
    const page = await listCustomers(ctx, q, pagination(q));
    return pageEnvelope(c.req.path, page);
  });
  r.get('/v1/customers/:id', (ctx, params, c) => {
    parseParams({}, params);
    return retrieveCustomer(ctx, pathParam(c, 'id'));
  }, { object: 'customer' });
  r.post('/v1/customers/:id', (ctx, params, c) =>
    updateCustomer(ctx, pathParam(c, 'id'), parseParams(customerUpdateShape, params)),
  );
  r.delete('/v1/customers/:id', (ctx, params, c) => {
    parseParams({}, params);
    return deleteCustomer(ctx, pathParam(c, 'id'));
  });
}
