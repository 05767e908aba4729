/**
 * Discounts in prorations. Stripe reflects a subscription's discounts in its proration invoice items'
 * amounts (`proration_discounts=included`, the classic billing mode's only behaviour): the item is
 * `discountable=false`, so the invoice's discounts never apply to it again, and it lists the discounts
 * it reflects (their `discount_amounts` are 0 on the invoice line).
 *
 * Invariants:
 * - The discounts are those in effect at the proration date: each item's own (not ended), then the
 *   subscription's (not ended, a `once` coupon not yet used), the same that a cycle invoice of the
 *   items would apply, in the same order and with the same arithmetic (invoices/totals.ts): percent
 *   off per item, `amount_off` spread over the items in proportion, `applies_to.products` respected.
 * - What they take off a full period of each item is what the proration engine nets out before
 *   prorating (proration.ts), so the credit for unused time gives back what the discounted period
 *   cost and the charge for the remaining time bills the discounted price.
 * - A change's credits use the discounts the subscription had before the request, its charges the
 *   discounts it has after (a coupon added with an upgrade discounts the new price, not the old).
 */
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import type { Coupon } from '../coupons.ts';
import { computeTotals, couponInCurrency, type Discount, type DiscountInput, type TotalsLineInput } from '../invoices/index.ts';
import type { ProratedItem } from '../proration.ts';
import { proratedItem } from './items.ts';
import type { SubscriptionDiscount, SubscriptionItem } from './types.ts';

async function couponOf(ctx: Ctx, id: string): Promise<Coupon | null> {
  return (await findObject<Coupon>(ctx, 'coupon', id, { includeDeleted: true }))?.data ?? null;
}

/**
 * Each of `items` as the proration engine needs it, with what the discounts in effect at `at`
 * (`subscriptionDiscounts` and the items' own) take off a full period (see the module comment).
 * Keyed by subscription item id.
 */
export async function discountedProratedItems(
  ctx: Ctx,
  currency: string,
  items: SubscriptionItem[],
  subscriptionDiscounts: SubscriptionDiscount[],
  at: number,
): Promise<Map<string, ProratedItem>> {
  const prorated: ProratedItem[] = [];
  for (const item of items) prorated.push(await proratedItem(ctx, item, currency));
  const lines: TotalsLineInput[] = prorated.map((p, i) => ({
    amount: p.periodAmount ?? p.unitAmount * p.quantity,
    discountable: true,
    product: items[i]!.price.product,
    rates: [],
  }));
  const inputs: DiscountInput[] = [];
  const coupons = new Map<string, string>();
  for (const [i, item] of items.entries()) {
    for (const id of item.discounts ?? []) {
      const found = await findObject<Discount>(ctx, 'discount', id, { includeDeleted: true });
      if (!found || (found.data.end !== null && found.data.end <= at)) continue;
      const coupon = await couponOf(ctx, found.data.source.coupon);
      if (!coupon) continue;
      coupons.set(id, coupon.id);
      inputs.push({ id, ...couponInCurrency(coupon, currency, 'discounts'), products: coupon.applies_to?.products ?? null, lines: [i] });
    }
  }
  for (const d of subscriptionDiscounts) {
    if ((d.end !== null && d.end <= at) || (d.once && d.used)) continue;
    const coupon = await couponOf(ctx, d.coupon);
    if (!coupon) continue;
    coupons.set(d.id, coupon.id);
    inputs.push({ id: d.id, ...couponInCurrency(coupon, currency, 'discounts'), products: coupon.applies_to?.products ?? null });
  }
  const out = new Map<string, ProratedItem>();
  if (inputs.length === 0) {
    prorated.forEach((p, i) => out.set(items[i]!.id, p));
    return out;
  }
  const totals = computeTotals(lines, inputs);
  prorated.forEach((p, i) => {
    const taken = totals.lines[i]!.discount_amounts;
    const amount = taken.reduce((a, d) => a + d.amount, 0);
    out.set(
      items[i]!.id,
      taken.length === 0 ? p : { ...p, discount: { amount, discounts: taken.map((d) => ({ discount: d.discount, coupon: coupons.get(d.discount)! })) } },
    );
  });
  return out;
}
