/**
 * A price's details kept beside its API shape (its private part): the tiers and the other currencies'
 * options, which Stripe shows only when expanded, and the terms an amount is computed from in a given
 * currency (see price-amounts.ts).
 */
import type { Ctx } from '../storage/context.ts';
import { findObject } from '../storage/objects.ts';
import type { PriceTerms, PriceTier } from './price-amounts.ts';
import type { CurrencyOption, CustomUnitAmount, PricePrivate } from './price-terms.ts';
import type { Price } from './prices.ts';

const NOUN = 'price';

/** What a price keeps beside its API shape (tiers, other currencies); prices made before have none. */
export async function pricePrivate(ctx: Ctx, id: string): Promise<PricePrivate> {
  const found = await findObject<Price>(ctx, NOUN, id, { includeDeleted: true });
  const priv = (found?.private ?? {}) as Partial<PricePrivate>;
  return { tiers: priv.tiers ?? null, currency_options: priv.currency_options ?? {} };
}

/** `expand[]=tiers`: the price's tiers (null for a per-unit price). */
export async function priceTiers(ctx: Ctx, price: Price): Promise<PriceTier[] | null> {
  return price.billing_scheme === 'tiered' ? (await pricePrivate(ctx, price.id)).tiers : null;
}

/** `expand[]=currency_options`: every currency of the price, its own included. */
export async function priceCurrencyOptions(ctx: Ctx, price: Price): Promise<Record<string, CurrencyOption>> {
  const priv = await pricePrivate(ctx, price.id);
  const own: CurrencyOption = {
    custom_unit_amount: price.custom_unit_amount,
    tax_behavior: price.tax_behavior,
    unit_amount: price.unit_amount,
    unit_amount_decimal: price.unit_amount_decimal,
    ...(priv.tiers ? { tiers: priv.tiers } : {}),
  };
  return Object.fromEntries(Object.entries({ ...priv.currency_options, [price.currency]: own }).sort(([a], [b]) => a.localeCompare(b)));
}

/** The currencies a price can be billed in: its own first, then its `currency_options`. */
export async function priceCurrencies(ctx: Ctx, price: Price): Promise<string[]> {
  return [price.currency, ...Object.keys((await pricePrivate(ctx, price.id)).currency_options)];
}

/**
 * What a quantity of `price` costs in `currency` (its own, or one of its `currency_options`), for
 * `amountForQuantity`; undefined when the price has no amount in that currency.
 */
export async function priceTerms(ctx: Ctx, price: Price, currency = price.currency): Promise<(PriceTerms & { unit_amount: number | null; custom_unit_amount: CustomUnitAmount | null }) | undefined> {
  const priv = await pricePrivate(ctx, price.id);
  const base = { billing_scheme: price.billing_scheme, tiers_mode: price.tiers_mode, transform_quantity: price.transform_quantity };
  if (currency === price.currency) {
    return { ...base, unit_amount: price.unit_amount, unit_amount_decimal: price.unit_amount_decimal, tiers: priv.tiers, custom_unit_amount: price.custom_unit_amount };
  }
  const option = priv.currency_options[currency];
  if (!option) return undefined;
  return { ...base, unit_amount: option.unit_amount, unit_amount_decimal: option.unit_amount_decimal, tiers: option.tiers ?? null, custom_unit_amount: option.custom_unit_amount };
}
