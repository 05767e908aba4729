/**
 * Tax IDs: `/v1/customers/{id}/tax_ids` (a customer's: create, retrieve, list, delete) and the top-level
 * `/v1/tax_ids` (`owner[type]` `self`, the default: the account's own, which invoices show through
 * `account_tax_ids`; or `customer` with `owner[customer]`, the same as the customer path).
 */
import { errors } from '../../lib/errors.ts';
import { listShape, p, parseParams } from '../../lib/params.ts';
import {
  createAccountTaxId,
  createTaxId,
  deleteAnyTaxId,
  deleteTaxId,
  getAnyTaxId,
  getTaxId,
  listOwnedTaxIds,
  listTaxIds,
} from '../../billing/tax-ids.ts';
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

const CONNECT = 'Portico has no Connect accounts or applications: tax IDs belong to the account itself (self) or to a customer.';

const ownerShape = p.object({
  type: p.enumOf(['self', 'customer', 'account', 'application']).req(),
  customer: p.string(),
  account: p.unsupported(CONNECT),
  customer_account: p.unsupported('Accounts v2 are not available: give owner[customer] (a cus_ id).'),
});

/** The owner a request names: `self` (null) or a customer id. */
function ownerOf(owner: { type: string; customer?: string } | undefined): { customer: string | null } {
  const type = owner?.type ?? 'self';
  if (type === 'account' || type === 'application') throw errors.unsupportedParam('owner[type]', CONNECT);
  if (type === 'customer') {
    if (owner?.customer === undefined) throw errors.missingParam('owner[customer]');
    return { customer: owner.customer };
  }
  if (owner?.customer !== undefined) {
    throw errors.invalidParam('owner[customer]', 'owner[customer] can only be given when owner[type] is customer.');
  }
  return { customer: null };
}

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

  r.post('/v1/tax_ids', (ctx, params) => {
    const q = parseParams({ ...taxIdDataShape, owner: ownerShape }, params);
    const owner = ownerOf(q.owner);
    const data = { type: q.type, value: q.value };
    return owner.customer === null ? createAccountTaxId(ctx, data) : createTaxId(ctx, owner.customer, data);
  });
  r.get('/v1/tax_ids', async (ctx, params, c) => {
    const q = parseParams({ ...listShape, owner: ownerShape }, params);
    return pageEnvelope(c.req.path, await listOwnedTaxIds(ctx, ownerOf(q.owner), pagination(q)));
  });
  r.get('/v1/tax_ids/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getAnyTaxId(ctx, pathParam(c, 'id'));
  });
  r.delete('/v1/tax_ids/:id', (ctx, params, c) => {
    parseParams({}, params);
    return deleteAnyTaxId(ctx, pathParam(c, 'id'));
  });
}
