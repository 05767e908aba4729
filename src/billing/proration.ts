/**
 * Proration, time-based to the second as Stripe computes it. Pure: no clock, no storage.
 *
 * Invariants:
 * - amount × (to − from) / (periodEnd − periodStart), on bigint, rounded once with `roundDiv` (half up,
 *   away from zero for negative halves). Never floats.
 * - Each line is rounded on its own (a credit and a charge of the same size cancel exactly).
 * - Credits for unused time on the old items come first, then charges for the remaining time on the new
 *   ones, each in the order given; every line covers [prorationDate, periodEnd].
 * - The proration date lies within the period (periodStart ≤ prorationDate ≤ periodEnd): at the start the
 *   whole period is prorated, at the end nothing.
 * - Discounts (Stripe's `proration_discounts=included`): an item with a `discount` is prorated on its
 *   full-period amount net of that discount, so a credit gives back what the discounted period cost
 *   and a charge bills the discounted price; the line names the discounts it reflects.
 */
import { roundDiv } from '../lib/money.ts';

/** An item before or after a subscription change, as the proration needs it. */
export interface ProratedItem {
  price: string;
  /** Price per unit in the currency's minor unit. */
  unitAmount: number;
  /** What the quantity costs for a full period when it is not unitAmount × quantity (tiered prices). */
  periodAmount?: number;
  quantity: number;
  currency: string;
  /** What the line is about, e.g. `Pro` or `3 × Pro` (Stripe's wording for quantities). */
  description: string;
  subscriptionItem: string | null;
  taxRates: string[];
  /**
   * What the item's discounts take off a full period (minor units, ≥ 0) and the discounts (with
   * their coupons) that take it; absent: undiscounted.
   */
  discount?: { amount: number; discounts: { discount: string; coupon: string }[] };
}

/** A pending proration invoice item. */
export interface ProrationLine {
  /** Minor units; negative for credits. */
  amount: number;
  quantity: number;
  price: string;
  /** The item's currency (carried over from the item, so lines can be invoiced on their own). */
  currency: string;
  description: string;
  period: { start: number; end: number };
  subscriptionItem: string | null;
  taxRates: string[];
  /** The discounts already reflected in `amount` (each with its coupon). */
  discounts: { discount: string; coupon: string }[];
  proration: true;
}

export interface SubscriptionChange {
  /** The current period the change happens in. */
  periodStart: number;
  periodEnd: number;
  /** When the change takes effect. */
  prorationDate: number;
  /** Items as they were (credited for the unused time). */
  removed: ProratedItem[];
  /** Items as they are now (charged for the remaining time). */
  added: ProratedItem[];
}

function assertInteger(name: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${name} must be a safe integer, got ${v}`);
}

/** The prorated bigint amount; all checks in one place. */
function prorateBig(amount: bigint, periodStart: number, periodEnd: number, from: number, to: number): bigint {
  for (const [name, v] of [['periodStart', periodStart], ['periodEnd', periodEnd], ['from', from], ['to', to]] as const) {
    assertInteger(name, v);
  }
  if (periodEnd <= periodStart) throw new RangeError(`empty period [${periodStart}, ${periodEnd})`);
  if (!(periodStart <= from && from <= to && to <= periodEnd)) {
    throw new RangeError(`[${from}, ${to}] is not within the period [${periodStart}, ${periodEnd}]`);
  }
  return roundDiv(amount * BigInt(to - from), BigInt(periodEnd - periodStart));
}

/**
 * The share of `amountForFullPeriod` (minor units) for the time `[from, to]` of the period
 * `[periodStart, periodEnd]`, rounded half up (away from zero for negatives).
 *
 * @example
 * // $30.00 for a 30-day period (2,592,000 s), from its middle to its end
 * prorate(3000, 0, 2_592_000, 1_296_000) // 1500
 * prorate(-1000, 0, 3, 1)                // -667 (−666.67 rounded)
 */
export function prorate(amountForFullPeriod: number, periodStart: number, periodEnd: number, from: number, to: number = periodEnd): number {
  assertInteger('amount', amountForFullPeriod);
  return Number(prorateBig(BigInt(amountForFullPeriod), periodStart, periodEnd, from, to));
}

/** Stripe's date in proration descriptions: `22 Nov 2026` (UTC, day zero-padded as in `%d %b %Y`). */
export function formatProrationDate(t: number): string {
  const d = new Date(t * 1000);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${String(d.getUTCDate()).padStart(2, '0')} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

function line(change: SubscriptionChange, item: ProratedItem, sign: 1n | -1n, wording: string): ProrationLine {
  assertInteger('unitAmount', item.unitAmount);
  assertInteger('quantity', item.quantity);
  // unitAmount × quantity can pass 2^53 before the division: multiply in bigint.
  const gross = item.periodAmount !== undefined ? BigInt(item.periodAmount) : BigInt(item.unitAmount) * BigInt(item.quantity);
  const off = BigInt(item.discount?.amount ?? 0);
  if (off < 0n || off > gross) throw new RangeError(`discount ${off} is not within [0, ${gross}]`);
  const full = sign * (gross - off);
  const amount = prorateBig(full, change.periodStart, change.periodEnd, change.prorationDate, change.periodEnd);
  return {
    amount: Number(amount),
    quantity: item.quantity,
    price: item.price,
    currency: item.currency,
    description: `${wording} on ${item.description} after ${formatProrationDate(change.prorationDate)}`,
    period: { start: change.prorationDate, end: change.periodEnd },
    subscriptionItem: item.subscriptionItem,
    taxRates: [...item.taxRates],
    discounts: (item.discount?.discounts ?? []).map((d) => ({ ...d })),
    proration: true,
  };
}

/**
 * The proration lines for a change of items at `prorationDate`: a credit for the unused time on each
 * removed (old) item, then a charge for the remaining time on each added (new) item.
 *
 * @example
 * // $30/month → $50/month at exactly half of a 30-day period
 * prorationItems({ periodStart: 0, periodEnd: 2_592_000, prorationDate: 1_296_000, removed: [basic], added: [pro] })
 * // [{ amount: -1500, description: 'Unused time on Basic after 16 Jan 1970', … },
 * //  { amount: 2500, description: 'Remaining time on Pro after 16 Jan 1970', … }]
 */
export function prorationItems(change: SubscriptionChange): ProrationLine[] {
  return [
    ...change.removed.map((item) => line(change, item, -1n, 'Unused time')),
    ...change.added.map((item) => line(change, item, 1n, 'Remaining time')),
  ];
}
