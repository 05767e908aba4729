/**
 * Discounts in prorations. Stripe reflects a subscription's discounts in its proration invoice items'
 * amounts (`proration_discounts=included`, the classic billing mode's only behaviour): the item is
 * `discountable=false`, so the invoice's discounts never apply to it again, and it lists the discounts
 * it reflects (their `discount_amounts` are 0 on the invoice line).
 *
 * Invariants:
 * - A charge for remaining time bills the discounted price: it is net of the discounts in effect at
 *   the proration date: the subscription's (not ended, a `once` coupon not yet used) and the item's
 *   own (not ended).
 * - A credit for unused time is net of those of them that were already in effect when the period was
 *   billed (started at or before its start): Stripe applies the discounts active on the subscription,
 *   and a coupon added after the period's invoice does not reduce the credit ("since the coupon was
 *   added after the original subscription charge, it only applies to the new amount"). A discount
 *   no longer on the subscription (removed, ended, a `once` coupon used up) reduces nothing, as on
 *   Stripe, whose subscription no longer carries it.
 * - Either way the discounts are applied as a cycle invoice of all the items would apply them, in the
 *   same order and with the same arithmetic (invoices/totals.ts): the items' own first, then the
 *   subscription's; percent off per item, `amount_off` spread over the items in proportion,
 *   `applies_to.products` respected. What they take off a full period of each item is netted out
 *   before prorating (proration.ts).
 * - So it does not matter whether a coupon comes with the change or in a request just before it (the
 *   portal's way): both bill the same.
 */
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import type { Coupon } from '../coupons.ts';
import { computeTotals, couponInCurrency, type Discount, type DiscountInput, type TotalsLineInput } from '../invoices/index.ts';
import type { ProratedItem } from '../proration.ts';
import { proratedItem } from './items.ts';
import type { StoredSubscription, SubscriptionItem } from './types.ts';

async function couponOf(ctx: Ctx, id: string): Promise<Coupon | null> {
  return (await findObject<Coupon>(ctx, 'coupon', id, { includeDeleted: true }))?.data ?? null;
}

/**
 * Which discounts a proration nets out (see the module comment): those in effect at `at`, and for a
 * credit (`billedFrom`: the current period's start) only those that already were when it was billed.
 */
export interface ProrationDiscounts {
  at: number;
  billedFrom?: number;
}

/** Whether the discount `d` applies, as `which` asks. */
function applies(d: Discount, which: ProrationDiscounts): boolean {
  if (d.end !== null && d.end <= which.at) return false;
  return which.billedFrom === undefined || d.start <= which.billedFrom;
}

/** The subscription's own discounts (ids and coupons) that `which` asks for, in the order they apply. */
async function subscriptionDiscounts(ctx: Ctx, s: StoredSubscription, which: ProrationDiscounts): Promise<{ id: string; coupon: string }[]> {
  const out: { id: string; coupon: string }[] = [];
  for (const d of s.priv.discounts) {
    if (d.once && d.used) continue;
    const found = await findObject<Discount>(ctx, 'discount', d.id, { includeDeleted: true });
    if (found && applies(found.data, which)) out.push({ id: d.id, coupon: d.coupon });
  }
  return out;
}

/**
 * Each of `items` (all the subscription's items, before or after the change) as the proration engine
 * needs it, with what the discounts `which` asks for take off a full period. Keyed by item id.
 */
export async function discountedProratedItems(
  ctx: Ctx,
  s: StoredSubscription,
  items: SubscriptionItem[],
  which: ProrationDiscounts,
): Promise<Map<string, ProratedItem>> {
  const currency = s.sub.currency;
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
      if (!found || !applies(found.data, which)) continue;
      const coupon = await couponOf(ctx, found.data.source.coupon);
      if (!coupon) continue;
      coupons.set(id, coupon.id);
      inputs.push({ id, ...couponInCurrency(coupon, currency, 'discounts'), products: coupon.applies_to?.products ?? null, lines: [i] });
    }
  }
  for (const d of await subscriptionDiscounts(ctx, s, which)) {
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
