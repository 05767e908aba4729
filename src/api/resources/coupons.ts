/** `/v1/coupons`: create, retrieve, update, delete, list. */
import { listShape, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  couponCreateShape,
  couponUpdateShape,
  createCoupon,
  deleteCoupon,
  expandAppliesTo,
  expandCurrencyOptions,
  listCoupons,
  presentCoupon,
  retrieveCoupon,
  updateCoupon,
} from '../../billing/coupons.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

// `applies_to` and `currency_options` are absent from a coupon unless expanded.
defineExpansions('coupon', {
  includes: { applies_to: expandAppliesTo, currency_options: expandCurrencyOptions },
});

const listCouponsShape = { ...listShape, created: rangeFilter() };

export function registerCoupons(r: Routes): void {
  r.post('/v1/coupons', (ctx, params) => createCoupon(ctx, parseParams(couponCreateShape, params)));
  r.get('/v1/coupons', async (ctx, params, c) => {
    const q = parseParams(listCouponsShape, params);
    const page = await listCoupons(ctx, q, pagination(q));
    return pageEnvelope(c.req.path, page, (o) => presentCoupon(ctx, o.data));
  });
  r.get('/v1/coupons/:id', (ctx, params, c) => {
    parseParams({}, params);
    return retrieveCoupon(ctx, pathParam(c, 'id'));
  });
  r.post('/v1/coupons/:id', (ctx, params, c) =>
    updateCoupon(ctx, pathParam(c, 'id'), parseParams(couponUpdateShape, params)),
  );
  r.delete('/v1/coupons/:id', (ctx, params, c) => {
    parseParams({}, params);
    return deleteCoupon(ctx, pathParam(c, 'id'));
  });
}
