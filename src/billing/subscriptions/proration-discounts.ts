/**
 * Discounts in prorations. Stripe reflects a subscription's discounts in its proration invoice items'
 * amounts (`proration_discounts=included`, the classic billing mode's only behaviour): the item is
 * `discountable=false`, so the invoice's discounts never apply to it again, and it lists the discounts
 * it reflects (their `discount_amounts` are 0 on the invoice line).
 *
 * Invariants:
 * - A credit for unused time gives back what the period was billed: it is net of the discounts that
 *   were in effect at the current period's start (`billed`), the subscription's (even one removed
 *   since) and the item's own; a discount added during the period does not reduce it (Stripe: "since
 *   the coupon was added after the original subscription charge, it only applies to the new amount").
 * - A charge for remaining time bills the discounted price: it is net of the discounts in effect at
 *   the proration date (`current`): the subscription's (not ended, a `once` coupon not yet used) and
 *   the item's own.
 * - Either way the discounts are applied as a cycle invoice of all the items would apply them, in the
 *   same order and with the same arithmetic (invoices/totals.ts): the items' own first, then the
 *   subscription's; percent off per item, `amount_off` spread over the items in proportion,
 *   `applies_to.products` respected. What they take off a full period of each item is netted out
 *   before prorating (proration.ts).
 * - So it does not matter whether a coupon comes with the change or in a request just before it (the
 *   portal's way): both bill the same.
 */
import { sql } from 'kysely';
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

/** Which discounts a proration nets out (see the module comment). */
export type ProrationDiscounts = { kind: 'billed'; periodStart: number } | { kind: 'current'; at: number };

/** Whether the discount `d` (an item's own) was or is in effect, as `which` asks. */
function itemDiscountApplies(d: Discount, which: ProrationDiscounts): boolean {
  if (which.kind === 'billed') return d.start <= which.periodStart && (d.end === null || d.end > which.periodStart);
  return d.end === null || d.end > which.at;
}

/** The subscription's own discounts (ids and coupons) that `which` asks for, in the order they apply. */
async function subscriptionDiscounts(ctx: Ctx, s: StoredSubscription, which: ProrationDiscounts): Promise<{ id: string; coupon: string }[]> {
  if (which.kind === 'current') {
    return s.priv.discounts
      .filter((d) => (d.end === null || d.end > which.at) && !(d.once && d.used))
      .map((d) => ({ id: d.id, coupon: d.coupon }));
  }
  // Those of the period's start, including discounts removed since (kept as deleted rows with their end).
  await ctx.uow?.settle(ctx.db);
  const rows = await ctx.db
    .selectFrom('objects')
    .select(['data'])
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', 'discount')
    .where('customer', '=', s.sub.customer)
    .where(sql<string>`data->>'subscription'`, '=', s.sub.id)
    .where(sql<string | null>`data->>'invoice'`, 'is', null)
    .where(sql<string | null>`data->>'subscription_item'`, 'is', null)
    .execute();
  const order = (id: string) => {
    const k = s.priv.discounts.findIndex((d) => d.id === id);
    return k < 0 ? -1 : k;
  };
  return rows
    .map((r) => r.data as unknown as Discount)
    .filter((d) => d.invoice_item === null && itemDiscountApplies(d, which))
    .sort((a, b) => a.start - b.start || order(a.id) - order(b.id))
    .map((d) => ({ id: d.id, coupon: d.source.coupon }));
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
      if (!found || !itemDiscountApplies(found.data, which)) continue;
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
