/**
 * Discounts that belong to one line: an invoice item's or a subscription item's `discounts`. Each
 * entry redeems a coupon or a promotion code now (its redemption counted at once; a `discount` object
 * stored with the owning `invoice_item` or `subscription_item`), or names an existing, still active
 * discount of the same customer to reuse (`discount`). Invoices apply a line's own discounts to that
 * line only, before the invoice's (invoices/totals.ts). Subscription-level discounts live in
 * subscriptions/discounts.ts.
 */
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { p } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { findObject, insertObject, updateObject } from '../storage/objects.ts';
import { getRedeemableCoupon, recordRedemption, type Coupon } from './coupons.ts';
import type { Discount, LineDiscount } from './invoices/types.ts';
import { addInterval } from './periods.ts';
import { getRedeemablePromotionCode, recordPromotionRedemption } from './promotion-codes.ts';

export const discountEntryParam = p.object({ coupon: p.string(), promotion_code: p.string(), discount: p.string() });
export const lineDiscountsParam = p.emptyable(p.array(discountEntryParam, { max: 20 }));
export type DiscountEntry = NonNullable<ReturnType<typeof discountEntryParam.parse>>;

export interface DiscountOwner {
  customer: string;
  subscription: string | null;
  subscription_item: string | null;
  invoice_item: string | null;
}

/** The coupon of an amount_off discount must be usable in `currency` (a 400 naming `param`). */
function assertCurrency(coupon: Coupon, currency: string, param: string): void {
  if (coupon.amount_off !== null && coupon.currency !== currency && !coupon.currency_options?.[currency]) {
    throw errors.invalidParam(param, `The coupon ${coupon.id} is in ${coupon.currency ?? '?'} and cannot apply to an amount in ${currency}.`);
  }
}

/**
 * Redeems `entries` for `owner` (see the module comment) and returns the discount objects, stored.
 * `prefix` names the entries in errors (`discounts`, `items[0][discounts]`…).
 */
export async function attachLineDiscounts(
  ctx: Ctx,
  owner: DiscountOwner,
  currency: string,
  entries: DiscountEntry[],
  prefix: string,
): Promise<Discount[]> {
  const now = ctx.clock.now();
  const out: Discount[] = [];
  for (const [i, entry] of entries.entries()) {
    const param = `${prefix}[${i}]`;
    const given = (['coupon', 'promotion_code', 'discount'] as const).filter((k) => entry[k] !== undefined);
    if (given.length !== 1) throw errors.invalidParam(param, `Each of ${prefix} names exactly one of coupon, promotion_code or discount.`);
    if (entry.discount !== undefined) {
      const found = await findObject<Discount>(ctx, 'discount', entry.discount);
      if (!found || found.data.customer !== owner.customer) throw errors.resourceMissing('discount', entry.discount, `${param}[discount]`);
      out.push(found.data);
      continue;
    }
    let coupon: Coupon;
    let promotion: string | null = null;
    if (entry.coupon !== undefined) {
      coupon = await getRedeemableCoupon(ctx, entry.coupon, `${param}[coupon]`);
      assertCurrency(coupon, currency, `${param}[coupon]`);
      await recordRedemption(ctx, coupon.id, `${param}[coupon]`);
    } else {
      const found = await getRedeemablePromotionCode(ctx, entry.promotion_code!, { customer: owner.customer, currency }, `${param}[promotion_code]`);
      coupon = found.coupon;
      promotion = found.promotionCode.id;
      assertCurrency(coupon, currency, `${param}[promotion_code]`);
      await recordPromotionRedemption(ctx, promotion, `${param}[promotion_code]`);
    }
    if (out.some((d) => d.source.coupon === coupon.id)) throw errors.invalidParam(param, `The coupon ${coupon.id} is applied more than once.`);
    const discount: Discount = {
      id: newId('discount'),
      object: 'discount',
      checkout_session: null,
      customer: owner.customer,
      customer_account: null,
      end: owner.subscription_item === null ? null : itemDiscountEnd(coupon, now),
      invoice: null,
      invoice_item: owner.invoice_item,
      promotion_code: promotion,
      source: { type: 'coupon', coupon: coupon.id },
      start: now,
      subscription: owner.subscription,
      subscription_item: owner.subscription_item,
    };
    await insertObject(ctx, { id: discount.id, object: 'discount', created: now, customer: owner.customer, data: discount });
    out.push(discount);
  }
  return out;
}

/**
 * When a subscription item's discount stops applying: `forever` never; `repeating` after its months;
 * `once` one second after it starts, so only an invoice made at that instant (the one the change
 * makes) uses it.
 */
function itemDiscountEnd(coupon: Coupon, now: number): number | null {
  if (coupon.duration === 'forever') return null;
  if (coupon.duration === 'once') return now + 1;
  return addInterval(now, 'month', 1, coupon.duration_in_months ?? 1);
}

/**
 * The discounts named by `ids` as an invoice line carries them: ids that no longer exist are left
 * out, and so are those whose `end` is at or before `periodStart` (a subscription line's period).
 */
export async function lineDiscounts(ctx: Ctx, ids: string[], periodStart?: number): Promise<LineDiscount[]> {
  const out: LineDiscount[] = [];
  for (const id of ids) {
    const found = await findObject<Discount>(ctx, 'discount', id, { includeDeleted: true });
    if (!found) continue;
    if (periodStart !== undefined && found.data.end !== null && found.data.end <= periodStart) continue;
    out.push({ discount: id, coupon: found.data.source.coupon });
  }
  return out;
}

/** Ends line discounts that are no longer used (their rows kept, as deleted, with `end` now). */
export async function retireLineDiscounts(ctx: Ctx, ids: string[]): Promise<void> {
  const now = ctx.clock.now();
  for (const id of ids) {
    const found = await findObject<Discount>(ctx, 'discount', id);
    if (found && found.data.invoice_item === null && found.data.subscription_item !== null) {
      await updateObject(ctx, id, { data: { ...found.data, end: now }, deleted: true });
    }
  }
}

/**
 * `DELETE /v1/customers/:id/discount`: a Portico customer never carries a discount of its own
 * (`customer.discount` is always null: discounts belong to subscriptions, invoices and items), so
 * this answers Stripe's 404 for a customer without one, after checking the customer exists.
 */
export async function deleteCustomerDiscount(ctx: Ctx, id: string): Promise<never> {
  const found = await findObject<{ discount: unknown }>(ctx, 'customer', id);
  if (!found) throw errors.resourceMissing('customer', id, 'customer');
  throw errors.noActiveDiscount('customer', id);
}
