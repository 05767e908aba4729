/**
 * A customer's legacy card sources (`/v1/customers/{id}/sources`: create from a test token, list with
 * the `object` filter, retrieve, update, delete, verify) and its cash balance (`/cash_balance`, its
 * settings, the always-empty `cash_balance_transactions`, and `funding_instructions`, refused because
 * Portico has no bank transfers). Domain rules live in billing/sources.ts and billing/cash-balance.ts.
 */
import { listShape, p, parseParams } from '../../lib/params.ts';
import {
  cashBalanceUpdateShape,
  listCashBalanceTransactions,
  refuseFundingInstructions,
  retrieveCashBalance,
  retrieveCashBalanceTransaction,
  updateCashBalance,
} from '../../billing/cash-balance.ts';
import {
  createSource,
  deleteSource,
  listSources,
  retrieveSource,
  sourceCreateShape,
  sourceUpdateShape,
  toCardObject,
  updateSource,
  verifySource,
} from '../../billing/sources.ts';
import { defineExpansions } from '../expand.ts';
import { listEnvelope, pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('card', { fields: { customer: { target: 'customer' } } });
defineExpansions('cash_balance', { fields: { customer: { target: 'customer' } } });

const BASE = '/v1/customers/:customer/sources';
const listSourcesShape = { ...listShape, object: p.string({ max: 5000 }) };
const verifyShape = { amounts: p.array(p.integer(), { max: 2 }) };

export function registerCustomerSources(r: Routes): void {
  r.post(BASE, (ctx, params, c) => createSource(ctx, pathParam(c, 'customer'), parseParams(sourceCreateShape, params)));
  r.get(BASE, async (ctx, params, c) => {
    const q = parseParams(listSourcesShape, params);
    const page = await listSources(ctx, pathParam(c, 'customer'), q, pagination(q));
    return pageEnvelope(c.req.path, page, (row) => toCardObject(row.data));
  });
  r.get(`${BASE}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return retrieveSource(ctx, pathParam(c, 'customer'), pathParam(c, 'id'));
  });
  r.post(`${BASE}/:id`, (ctx, params, c) =>
    updateSource(ctx, pathParam(c, 'customer'), pathParam(c, 'id'), parseParams(sourceUpdateShape, params)),
  );
  r.delete(`${BASE}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return deleteSource(ctx, pathParam(c, 'customer'), pathParam(c, 'id'));
  });
  r.post(`${BASE}/:id/verify`, (ctx, params, c) => {
    parseParams(verifyShape, params);
    return verifySource(ctx, pathParam(c, 'customer'), pathParam(c, 'id'));
  });

  r.get('/v1/customers/:customer/cash_balance', (ctx, params, c) => {
    parseParams({}, params);
    return retrieveCashBalance(ctx, pathParam(c, 'customer'));
  });
  r.post('/v1/customers/:customer/cash_balance', (ctx, params, c) =>
    updateCashBalance(ctx, pathParam(c, 'customer'), parseParams(cashBalanceUpdateShape, params)),
  );
  r.get('/v1/customers/:customer/cash_balance_transactions', async (ctx, params, c) => {
    parseParams(listShape, params);
    const page = await listCashBalanceTransactions(ctx, pathParam(c, 'customer'));
    return listEnvelope(c.req.path, page.data, page.has_more);
  });
  r.get('/v1/customers/:customer/cash_balance_transactions/:id', (ctx, params, c) => {
    parseParams({}, params);
    return retrieveCashBalanceTransaction(ctx, pathParam(c, 'customer'), pathParam(c, 'id'));
  });
  // Whatever is posted, the answer names funding_type: there are no bank transfers to fund a balance with.
  r.post('/v1/customers/:customer/funding_instructions', (ctx, _params, c) =>
    refuseFundingInstructions(ctx, pathParam(c, 'customer')),
  );
}
