/**
 * The amount of a quantity under a price: the one function invoices (subscription cycles, invoice
 * items) and proration use, so a price is never computed two ways. Pure: no clock, no storage.
 *
 * - `per_unit`: unit × quantity, after `transform_quantity` (quantity ÷ divide_by, rounded up or down).
 * - `tiered`, `volume`: the whole quantity at the tier it falls in: flat + unit × quantity.
 * - `tiered`, `graduated`: each tier bills the units that fall in it (unit × units), plus its flat
 *   amount when any unit falls in it.
 * - A quantity of 0 costs nothing.
 * Decimal amounts (`unit_amount_decimal`, up to 12 places) are summed exactly (bigint) and the line is
 * rounded once, half up, as Stripe rounds each line.
 */
import { roundDiv } from '../lib/money.ts';

export interface PriceTier {
  flat_amount: number | null;
  flat_amount_decimal: string | null;
  unit_amount: number | null;
  unit_amount_decimal: string | null;
  /** The last quantity in the tier; null for the last tier (`up_to=inf`). */
  up_to: number | null;
}

export interface TransformQuantity {
  divide_by: number;
  round: 'down' | 'up';
}

/** What an amount depends on (a price, or one of its `currency_options`). */
export interface PriceTerms {
  billing_scheme: 'per_unit' | 'tiered';
  unit_amount_decimal: string | null;
  tiers: PriceTier[] | null;
  tiers_mode: 'graduated' | 'volume' | null;
  transform_quantity: TransformQuantity | null;
}

const SCALE = 12;
const ONE = 10n ** BigInt(SCALE);

/** A non-negative decimal string as an integer number of 10⁻¹² minor units. */
function scaled(decimal: string): bigint {
  const [whole, frac = ''] = decimal.split('.');
  return BigInt(whole!) * ONE + BigInt(frac.padEnd(SCALE, '0').slice(0, SCALE) || '0');
}

function tierUnit(t: PriceTier): bigint {
  return t.unit_amount_decimal !== null ? scaled(t.unit_amount_decimal) : BigInt(t.unit_amount ?? 0) * ONE;
}

function tierFlat(t: PriceTier): bigint {
  return t.flat_amount_decimal !== null ? scaled(t.flat_amount_decimal) : BigInt(t.flat_amount ?? 0) * ONE;
}

/** The quantity billed after `transform_quantity`. */
export function billedQuantity(terms: Pick<PriceTerms, 'transform_quantity'>, quantity: number): number {
  const t = terms.transform_quantity;
  if (t === null) return quantity;
  return t.round === 'up' ? Math.ceil(quantity / t.divide_by) : Math.floor(quantity / t.divide_by);
}

/**
 * The amount, in minor units, of `quantity` under `terms`.
 * @example
 * // graduated: 1–5 at $10 (+ $5 flat), 6–∞ at $8; 7 units = 5 × 1000 + 500 + 2 × 800
 * amountForQuantity({ billing_scheme: 'tiered', tiers_mode: 'graduated', tiers: [
 *   { up_to: 5, unit_amount: 1000, flat_amount: 500, … }, { up_to: null, unit_amount: 800, … }], … }, 7) // 7100
 */
export function amountForQuantity(terms: PriceTerms, quantity: number): number {
  if (!Number.isSafeInteger(quantity) || quantity < 0) throw new RangeError(`quantity must be a non-negative integer, got ${quantity}`);
  if (quantity === 0) return 0;
  if (terms.billing_scheme === 'per_unit') {
    if (terms.unit_amount_decimal === null) throw new RangeError('a per-unit price needs a unit amount');
    return Number(roundDiv(scaled(terms.unit_amount_decimal) * BigInt(billedQuantity(terms, quantity)), ONE));
  }
  const tiers = terms.tiers;
  if (!tiers || tiers.length === 0) throw new RangeError('a tiered price needs tiers');
  const q = BigInt(quantity);
  if (terms.tiers_mode === 'volume') {
    const tier = tiers.find((t) => t.up_to === null || quantity <= t.up_to) ?? tiers[tiers.length - 1]!;
    return Number(roundDiv(tierFlat(tier) + tierUnit(tier) * q, ONE));
  }
  let total = 0n;
  let below = 0n;
  for (const tier of tiers) {
    if (q <= below) break;
    const top = tier.up_to === null ? q : BigInt(tier.up_to) < q ? BigInt(tier.up_to) : q;
    total += tierFlat(tier) + tierUnit(tier) * (top - below);
    below = top;
  }
  return Number(roundDiv(total, ONE));
}

/** One tier's share of a graduated amount: its units (at its unit amount) and its flat fee. */
export interface TierShare {
  /** 1-based, as Stripe numbers tiers on invoices. */
  tier: number;
  quantity: number;
  /** The tier's unit amount (decimal string, minor units), null when the tier has only a flat fee. */
  unitAmountDecimal: string | null;
  /** units × unit amount, rounded half up (null when the tier has no unit amount). */
  unitsAmount: number | null;
  /** The tier's flat fee, rounded half up (null when it has none or it is 0). */
  flatAmount: number | null;
  flatAmountDecimal: string | null;
}

/**
 * What each tier of a graduated price bills for `quantity` (the tiers the quantity reaches), for
 * invoices that show a line per tier as Stripe does. Each share is rounded on its own (Stripe rounds
 * each line); with whole-unit tier amounts the shares add up exactly to `amountForQuantity`.
 * @example
 * // 1–5 at $10 (+ $5 flat), 6–∞ at $8; 7 units:
 * // [{ tier: 1, quantity: 5, unitsAmount: 5000, flatAmount: 500 }, { tier: 2, quantity: 2, unitsAmount: 1600, flatAmount: null }]
 */
export function graduatedShares(terms: PriceTerms, quantity: number): TierShare[] {
  if (terms.billing_scheme !== 'tiered' || terms.tiers_mode !== 'graduated' || !terms.tiers) return [];
  const out: TierShare[] = [];
  let below = 0;
  for (const [i, tier] of terms.tiers.entries()) {
    if (quantity <= below) break;
    const top = tier.up_to === null ? quantity : Math.min(tier.up_to, quantity);
    const units = top - below;
    const flat = tierFlat(tier);
    out.push({
      tier: i + 1,
      quantity: units,
      unitAmountDecimal: tier.unit_amount_decimal,
      unitsAmount: tier.unit_amount_decimal === null ? null : Number(roundDiv(tierUnit(tier) * BigInt(units), ONE)),
      flatAmount: flat === 0n ? null : Number(roundDiv(flat, ONE)),
      flatAmountDecimal: flat === 0n ? null : tier.flat_amount_decimal,
    });
    below = top;
  }
  return out;
}
