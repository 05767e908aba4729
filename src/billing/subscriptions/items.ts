/**
 * Subscription items and the invoice lines they make. Pure helpers around the price snapshot an item
 * embeds (`price` and its legacy `plan` twin).
 *
 * Invariants:
 * - A subscribable price is active, recurring, licensed, per-unit with a `unit_amount` or tiered, and
 *   has no `custom_unit_amount`; all items of one subscription share its currency, interval and
 *   interval_count (a 400 naming the item otherwise).
 * - A full-period line costs what `amountForQuantity` says for the item's quantity (integers, never
 *   floats); its description is Stripe's `1 × Pro (at $50.00 / month)`.
 */
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { currencyExponent, formatAmount } from '../../lib/money.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import type { LineInput } from '../invoices/index.ts';
import { lineDiscounts } from '../discounts.ts';
import { createInlinePrice, recurringPriceDataParam, type RecurringPriceData } from '../inline-prices.ts';
import { amountForQuantity, graduatedShares } from '../price-amounts.ts';
import { priceTerms } from '../price-details.ts';
import { getPrice, type Price } from '../prices.ts';
import type { ProratedItem } from '../proration.ts';
import type { TaxRate } from '../tax-rates.ts';
import { planOf } from '../plans.ts';
import type { Subscription, SubscriptionItem } from './types.ts';

/** The legacy `plan` view of a recurring price (plans.ts). */
export { planOf };

/** Refuses a price a subscription cannot bill (400 naming `param`); `inline`: made by price_data (archived). */
export function assertSubscribable(price: Price, param: string, inline = false): void {
  if (!price.active && !inline) throw errors.invalidParam(param, `The price specified is inactive. This field only accepts active prices.`);
  if (price.type !== 'recurring' || price.recurring === null) {
    throw errors.invalidParam(param, `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`);
  }
  if (price.custom_unit_amount !== null) {
    throw errors.invalidParam(param, `The price ${price.id} has a custom_unit_amount: such prices are for Checkout and Payment Links and cannot be used in subscriptions.`);
  }
  if (price.recurring.usage_type !== 'licensed' || (price.billing_scheme === 'per_unit' && price.unit_amount === null)) {
    throw errors.invalidParam(param, `The price ${price.id} is not supported: only licensed prices, tiered or per-unit with a unit_amount, can be subscribed to.`);
  }
}

/** Checks that `price` bills like the subscription's other items (currency, interval, count). */
export function assertCompatible(
  price: Price,
  cycle: { currency: string; interval: string; interval_count: number },
  param: string,
  currencies: string[] = [price.currency],
): void {
  if (!currencies.includes(cycle.currency)) {
    // Stripe's wording; `currencies` are the price's own and its `currency_options`.
    throw errors.invalidParam(param, `The price specified supports currencies of \`${currencies.join(', ')}\` which doesn't include the expected currency of \`${cycle.currency}\`.`);
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

/** The terms of `price` in `currency` (its own, or its `currency_options` entry). */
async function termsIn(ctx: Ctx, price: Price, currency: string) {
  const terms = await priceTerms(ctx, price, currency);
  if (!terms) throw new Error(`price ${price.id} has no amount in ${currency}`);
  return terms;
}

/** Stripe's description of a full-period line: `2 × Pro (at $50.00 / month)`; tiered: `(Tier 2 at …)`. */
function cycleDescription(item: SubscriptionItem, name: string, amount: number, unitAmount: number | null, currency: string): string {
  const price = item.price;
  if (price.billing_scheme === 'tiered') {
    return `${item.quantity} × ${name} (${price.tiers_mode} tiers, ${formatAmount(amount, currency)} ${intervalWords(price)})`;
  }
  const per = price.transform_quantity ? ` per ${price.transform_quantity.divide_by}` : '';
  return `${item.quantity} × ${name} (at ${formatAmount(unitAmount!, currency)}${per} ${intervalWords(price)})`;
}

/**
 * What the items cost for a full period before discounts, in the subscription's currency, tiers
 * worked out (what a promotion code's `minimum_amount` is checked against).
 */
export async function periodSubtotal(ctx: Ctx, sub: Subscription): Promise<number> {
  let total = 0;
  for (const item of sub.items.data) total += amountForQuantity(await termsIn(ctx, item.price, sub.currency), item.quantity);
  return total;
}

/** A tier's amount as invoices word it: `$10.00`, or `$0.005` for a sub-cent decimal amount. */
function tierAmountWords(decimal: string, currency: string): string {
  if (/^\d+$/.test(decimal)) return formatAmount(Number(decimal), currency);
  const exp = currencyExponent(currency);
  const format = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase(), minimumFractionDigits: exp, maximumFractionDigits: 12 });
  return format.format(Number(decimal) / 10 ** exp);
}

/**
 * A full-period line for each item (`subscription_item_details`). A graduated price's item gets one
 * line per tier its quantity reaches, as Stripe itemizes it: `5 × Seats (Tier 1 at $10.00 / month)`
 * with the tier's units, then the tier's flat fee on a line of its own (`Seats (Tier 1 flat fee at
 * $5.00 / month)`, quantity 1). `itemizeTiers: false` keeps one line per item (lines a trial zeroes or
 * a first period prorates as a whole, so their rounding stays the whole amount's).
 */
export async function cycleLines(
  ctx: Ctx,
  sub: Subscription,
  period: { start: number; end: number },
  opts: { itemizeTiers?: boolean } = {},
): Promise<LineInput[]> {
  const out: LineInput[] = [];
  for (const item of sub.items.data) {
    const name = await productName(ctx, item.price.product);
    const terms = await termsIn(ctx, item.price, sub.currency);
    const amount = amountForQuantity(terms, item.quantity);
    const base = {
      type: 'subscription_item_details' as const,
      currency: sub.currency,
      price: item.price.id,
      period,
      proration: false,
      subscription: sub.id,
      subscription_item: item.id,
      invoice_item: null,
      tax_rates: item.tax_rates.map((t) => t.id),
      discountable: true,
      ...(item.discounts.length > 0 ? { discounts: await lineDiscounts(ctx, item.discounts, period.start) } : {}),
    };
    const shares = opts.itemizeTiers === false ? [] : graduatedShares(terms, item.quantity);
    if (shares.length === 0) {
      out.push({
        ...base,
        amount,
        description: cycleDescription(item, name, amount, terms.unit_amount, sub.currency),
        quantity: item.quantity,
        ...(terms.billing_scheme === 'per_unit' ? { unit_amount_decimal: terms.unit_amount_decimal } : {}),
      });
      continue;
    }
    const every = intervalWords(item.price);
    for (const share of shares) {
      if (share.unitsAmount !== null) {
        out.push({
          ...base,
          amount: share.unitsAmount,
          description: `${share.quantity} × ${name} (Tier ${share.tier} at ${tierAmountWords(share.unitAmountDecimal!, sub.currency)} ${every})`,
          quantity: share.quantity,
          unit_amount_decimal: share.unitAmountDecimal,
        });
      }
      if (share.flatAmount !== null) {
        out.push({
          ...base,
          amount: share.flatAmount,
          description: `${name} (Tier ${share.tier} flat fee at ${tierAmountWords(share.flatAmountDecimal!, sub.currency)} ${every})`,
          quantity: 1,
          unit_amount_decimal: share.flatAmountDecimal,
        });
      }
    }
  }
  return out;
}

/**
 * The item as the proration engine needs it (`Pro`, or `3 × Pro` for quantities), in the
 * subscription's `currency` (the price's own or one of its `currency_options`).
 */
export async function proratedItem(ctx: Ctx, item: SubscriptionItem, currency: string): Promise<ProratedItem> {
  const name = await productName(ctx, item.price.product);
  const terms = await termsIn(ctx, item.price, currency);
  return {
    price: item.price.id,
    unitAmount: terms.unit_amount ?? 0,
    periodAmount: amountForQuantity(terms, item.quantity),
    quantity: item.quantity,
    currency,
    description: item.quantity === 1 ? name : `${item.quantity} × ${name}`,
    subscriptionItem: item.id,
    taxRates: item.tax_rates.map((t) => t.id),
  };
}
