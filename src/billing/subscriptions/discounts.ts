/**
 * `discounts` on a subscription update: the list replaces the subscription's discounts. An entry names
 * a coupon or a promotion code to redeem now (a new `discount`, `customer.discount.created`, its
 * redemption counted at once), or an existing discount of this subscription to keep (`discount`);
 * discounts left out end now (`customer.discount.deleted`); `discounts=""` removes them all. A
 * repeating coupon's months count from its redemption, so a kept discount keeps its end.
 */
import { errors } from '../../lib/errors.ts';
import { p } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { recordRedemption } from '../coupons.ts';
import { getCustomer } from '../customers.ts';
import { recordPromotionRedemption } from '../promotion-codes.ts';
import { prepareDiscounts } from './create.ts';
import { findObject } from '../../storage/objects.ts';
import { atClockTime, type Discount } from '../invoices/index.ts';
import { clone, endDiscount, loadSubscription, saveSubscription, withSubscriptionWork } from './status.ts';
import { periodSubtotal } from './items.ts';
import type { StoredSubscription, SubscriptionDiscount } from './types.ts';

export const discountsUpdateParam = p.emptyable(
  p.array(p.object({ coupon: p.string(), promotion_code: p.string(), discount: p.string() }), { max: 20 }),
);

type Wanted = NonNullable<ReturnType<typeof discountsUpdateParam.parse>>;

export async function replaceDiscounts(ctx: Ctx, s: StoredSubscription, wanted: Wanted | null): Promise<void> {
  const list = wanted ?? [];
  const kept: SubscriptionDiscount[] = [];
  const fresh: { coupon?: string; promotion_code?: string }[] = [];
  const positions: number[] = [];
  for (const [i, entry] of list.entries()) {
    const given = (['coupon', 'promotion_code', 'discount'] as const).filter((k) => entry[k] !== undefined);
    if (given.length !== 1) {
      throw errors.invalidParam(`discounts[${i}]`, `Each of discounts names exactly one of coupon, promotion_code or discount.`);
    }
    if (entry.discount !== undefined) {
      const own = s.priv.discounts.find((d) => d.id === entry.discount);
      if (!own) throw errors.resourceMissing('discount', entry.discount, `discounts[${i}][discount]`);
      if (kept.includes(own)) throw errors.invalidParam(`discounts[${i}][discount]`, `The discount ${own.id} is listed more than once.`);
      kept.push(own);
    } else {
      fresh.push(entry.coupon !== undefined ? { coupon: entry.coupon } : { promotion_code: entry.promotion_code! });
      positions.push(i);
    }
  }
  const customer = await getCustomer(ctx, s.sub.customer, 'customer');
  const added = await prepareDiscounts(ctx, customer, s.sub.id, s.sub.currency, fresh, await periodSubtotal(ctx, s.sub), positions);
  for (const [j, d] of added.entries()) {
    if (kept.some((k) => k.coupon === d.coupon)) {
      throw errors.invalidParam(`discounts[${positions[j]}]`, `The coupon ${d.coupon} is applied more than once.`);
    }
    const param = `discounts[${positions[j]}]`;
    if (d.promotion_code !== null) await recordPromotionRedemption(ctx, d.promotion_code, `${param}[promotion_code]`);
    else await recordRedemption(ctx, d.coupon, `${param}[coupon]`);
  }
  const now = ctx.clock.now();
  for (const gone of s.priv.discounts.filter((d) => !kept.includes(d))) await endDiscount(ctx, gone.id, now);
  s.priv.discounts = [...kept, ...added];
  s.sub.discounts = s.priv.discounts.map((d) => d.id);
}

/**
 * `DELETE /v1/subscriptions/:id/discount`: ends every discount of the subscription now (each with
 * `customer.discount.deleted`, then `customer.subscription.updated`); answers the first one as a
 * deleted discount, or 404 when the subscription has none.
 */
export function deleteSubscriptionDiscount(base: Ctx, id: string): Promise<Discount & { deleted: true }> {
  return withSubscriptionWork(base, async () => {
    const stored = await loadSubscription(base, id, 'subscription', true);
    const ctx = await atClockTime(base, stored.sub.test_clock);
    const first = stored.priv.discounts[0];
    if (!first) throw errors.noActiveDiscount('subscription', id);
    const s = clone(stored);
    await replaceDiscounts(ctx, s, null);
    await saveSubscription(ctx, stored.sub, s);
    const row = await findObject<Discount>(ctx, 'discount', first.id, { includeDeleted: true });
    return { ...row!.data, deleted: true as const };
  });
}
