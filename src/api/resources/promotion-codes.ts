/** `/v1/promotion_codes`: create, retrieve, update, list (Stripe has no delete; deactivate instead). */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import { expandCoupon } from '../../billing/coupons.ts';
import {
  createPromotionCode,
  getPromotionCode,
  listPromotionCodes,
  promotionCodeCreateShape,
  promotionCodeUpdateShape,
  updatePromotionCode,
} from '../../billing/promotion-codes.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('promotion_code', {
  fields: {
    customer: { target: 'customer' },
    // An embedded hash: expanding it alone is accepted and changes nothing.
    promotion: { target: null },
  },
  // The coupon shows `valid` as of now, so it is loaded through the coupons module.
  includes: { 'promotion.coupon': (ctx, obj) => expandCoupon(ctx, obj.promotion?.coupon) },
});

const listPromotionCodesShape = {
  ...listShape,
  active: p.boolean(),
  code: p.string({ max: 500 }),
  coupon: p.string(),
  customer: p.string(),
  customer_account: p.string(),
  created: rangeFilter(),
};

export function registerPromotionCodes(r: Routes): void {
  r.post('/v1/promotion_codes', (ctx, params) =>
    createPromotionCode(ctx, parseParams(promotionCodeCreateShape, params)),
  );
  r.get('/v1/promotion_codes', async (ctx, params, c) => {
    const q = parseParams(listPromotionCodesShape, params);
    const page = await listPromotionCodes(ctx, q, pagination(q));
    return pageEnvelope(c.req.path, page);
  });
  r.get('/v1/promotion_codes/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getPromotionCode(ctx, pathParam(c, 'id'));
  }, { object: 'promotion_code' });
  r.post('/v1/promotion_codes/:id', (ctx, params, c) =>
    updatePromotionCode(ctx, pathParam(c, 'id'), parseParams(promotionCodeUpdateShape, params)),
  );
}
