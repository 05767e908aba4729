/**
 * Subscription items and the invoice lines they make. Pure helpers around the price snapshot an item
 * embeds (`price` and its legacy `plan` twin).
 *
 * Invariants:
 * - A subscribable price is active, recurring, licensed, per-unit with a `unit_amount`; all items of
 *   one subscription share its currency, interval and interval_count (a 400 naming the item otherwise).
 * - A full-period line is `unit_amount × quantity` (integers, never floats); its description is
 *   Stripe's `1 × Pro (at $50.00 / month)`.
 */
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { formatAmount } from '../../lib/money.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import type { LineInput } from '../invoices/index.ts';
import { lineDiscounts } from '../discounts.ts';
import { createInlinePrice, recurringPriceDataParam, type RecurringPriceData } from '../inline-prices.ts';
import { getPrice, type Price } from '../prices.ts';
import type { ProratedItem } from '../proration.ts';
import type { TaxRate } from '../tax-rates.ts';
import type { Plan, Subscription, SubscriptionItem } from './types.ts';

/** The legacy `plan` view of a recurring price. */
export function planOf(price: Price): Plan {
  const r = price.recurring!;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: r.interval,
    interval_count: r.interval_count,
    livemode: price.livemode,
    metadata: price.metadata,
    meter: r.meter,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: r.trial_period_days,
    usage_type: r.usage_type,
  };
}

/** Refuses a price a subscription cannot bill (400 naming `param`); `inline`: made by price_data (archived). */
export function assertSubscribable(price: Price, param: string, inline = false): void {
  if (!price.active && !inline) throw errors.invalidParam(param, `The price specified is inactive. This field only accepts active prices.`);
  if (price.type !== 'recurring' || price.recurring === null) {
    throw errors.invalidParam(param, `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`);
  }
  if (price.recurring.usage_type !== 'licensed' || price.billing_scheme !== 'per_unit' || price.unit_amount === null) {
    throw errors.invalidParam(param, `The price ${price.id} is not supported: only licensed per-unit prices with a unit_amount can be subscribed to.`);
  }
}

/** Checks that `price` bills like the subscription's other items (currency, interval, count). */
export function assertCompatible(
  price: Price,
  cycle: { currency: string; interval: string; interval_count: number },
  param: string,
): void {
  if (price.currency !== cycle.currency) {
    throw errors.invalidParam(param, `The price's currency (${price.currency}) must match the subscription's currency (${cycle.currency}).`);
  }
  const r = price.recurring!;
  if (r.interval !== cycle.interval || r.interval_count !== cycle.interval_count) {
    throw errors.invalidParam(
      param,
      'The price specified has a different billing interval than the other items of the subscription. All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.',
    );
  }
}

/** `items[i][price_data]` of a subscription. */
export { recurringPriceDataParam };

/**
 * The price of an item entry: `price` (an id) or `price_data` (an inline price, made now), checked
 * subscribable; errors name `items[i][price]` (`at`) or `items[i][price_data]`.
 */
export async function itemPrice(
  ctx: Ctx,
  entry: { price?: string | undefined; plan?: string | undefined; price_data?: RecurringPriceData | undefined },
  at: (f: string) => string,
): Promise<Price> {
  if (entry.plan !== undefined && entry.price !== undefined && entry.plan !== entry.price) throw errors.exclusive([at('price'), at('plan')]);
  const e = { ...entry, price: entry.price ?? entry.plan };
  if (e.price !== undefined && e.price_data !== undefined) throw errors.exclusive([at('price'), at('price_data')]);
  if (e.price_data !== undefined) {
    const price = await createInlinePrice(ctx, e.price_data, at('price_data'));
    assertSubscribable(price, at('price_data'), true);
    return price;
  }
  if (e.price === undefined) throw errors.missingParam(at('price'));
  const price = await getPrice(ctx, e.price, at('price'));
  assertSubscribable(price, at('price'));
  return price;
}

export function newItem(
  ctx: Ctx,
  subscription: string,
  price: Price,
  quantity: number,
  taxRates: TaxRate[],
  metadata: Record<string, string>,
  period: { start: number; end: number },
): SubscriptionItem {
  return {
    id: newId('subscription_item'),
    object: 'subscription_item',
    billing_thresholds: null,
    created: ctx.clock.now(),
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata,
    plan: planOf(price),
    price,
    quantity,
    subscription,
    tax_rates: taxRates,
  };
}

/** The subscription's current period (shared by every item). */
export function currentPeriod(sub: Subscription): { start: number; end: number } {
  const first = sub.items.data[0]!;
  return { start: first.current_period_start, end: first.current_period_end };
}

export function setPeriod(sub: Subscription, period: { start: number; end: number }): void {
  for (const item of sub.items.data) {
    item.current_period_start = period.start;
    item.current_period_end = period.end;
  }
}

async function productName(ctx: Ctx, product: string): Promise<string> {
  const found = await findObject<{ name: string }>(ctx, 'product', product, { includeDeleted: true });
  return found?.data.name ?? product;
}

function intervalWords(price: Price): string {
  const r = price.recurring!;
  return r.interval_count === 1 ? `/ ${r.interval}` : `every ${r.interval_count} ${r.interval}s`;
}

/** A full-period line for each item (`subscription_item_details`). */
export async function cycleLines(ctx: Ctx, sub: Subscription, period: { start: number; end: number }): Promise<LineInput[]> {
  const out: LineInput[] = [];
  for (const item of sub.items.data) {
    const unit = item.price.unit_amount!;
    const name = await productName(ctx, item.price.product);
    out.push({
      type: 'subscription_item_details',
      amount: unit * item.quantity,
      currency: sub.currency,
      description: `${item.quantity} × ${name} (at ${formatAmount(unit, sub.currency)} ${intervalWords(item.price)})`,
      quantity: item.quantity,
      price: item.price.id,
      period,
      proration: false,
      subscription: sub.id,
      subscription_item: item.id,
      invoice_item: null,
      tax_rates: item.tax_rates.map((t) => t.id),
      discountable: true,
      ...(item.discounts.length > 0 ? { discounts: await lineDiscounts(ctx, item.discounts, period.start) } : {}),
    });
  }
  return out;
}

/** The item as the proration engine needs it (`Pro`, or `3 × Pro` for quantities). */
export async function proratedItem(ctx: Ctx, item: SubscriptionItem): Promise<ProratedItem> {
  const name = await productName(ctx, item.price.product);
  return {
    price: item.price.id,
    unitAmount: item.price.unit_amount!,
    quantity: item.quantity,
    currency: item.price.currency,
    description: item.quantity === 1 ? name : `${item.quantity} × ${name}`,
    subscriptionItem: item.id,
    taxRates: item.tax_rates.map((t) => t.id),
  };
}
