/** `DELETE /v1/customers/{id}/discount` (a customer's own discount; see billing/discounts.ts). */
import { parseParams } from '../../lib/params.ts';
import { deleteCustomerDiscount } from '../../billing/discounts.ts';
import { pathParam, type Routes } from '../router.ts';

export function registerDiscounts(r: Routes): void {
  r.delete('/v1/customers/:id/discount', (ctx, params, c) => {
    parseParams({}, params);
    return deleteCustomerDiscount(ctx, pathParam(c, 'id'));
  });
}
