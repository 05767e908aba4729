/**
 * Invoice arithmetic (pure, integers only). Every amount is in the currency's minor unit, so JPY (zero
 * decimals) and KWD (three) follow the same rules; the one rounding rule is `roundDiv` (half up, per
 * line, on exact integers).
 *
 * Rules, applied line by line:
 * 1. `subtotal` = Σ line amounts (before discounts; tax-inclusive lines include their tax).
 * 2. Discounts, in the order given (a line's own discounts first, then the invoice's), each on what
 *    earlier discounts left of a line (`remaining`), only on discountable lines with a positive
 *    remaining amount (for a line's own discount, that line only; for a coupon with `applies_to`,
 *    lines whose product is listed):
 *    - percent_off p (≤ 2 decimals, scaled to hundredths P = p·100): `roundDiv(remaining × P, 10000)`;
 *    - amount_off A: spread over the eligible lines in proportion to their remaining amounts, capped
 *      at their sum S: each line gets ⌊A·r/S⌋, and the cents left over go one each to the lines with
 *      the largest remainders (ties: earlier line), so the parts sum exactly to min(A, S).
 *    A line's own discount on a non-discountable line (a proration: its amount is already net of the
 *    discounts it lists) takes nothing and is listed with 0; `total_discount_amounts` has one entry
 *    per discount id.
 * 3. Taxes on `taxable` = amount − the line's discounts, with rates scaled to ten-thousandths of a
 *    percent (R = pct·10⁴, so 100 % = 10⁶):
 *    - inclusive rates (Σ R = I): the tax is inside the amount: `net = roundDiv(taxable × 10⁶, 10⁶ + I)`,
 *      tax = taxable − net (split over several inclusive rates by `roundDiv(net × R, 10⁶)`, the last
 *      taking the rest); not added to the total;
 *    - exclusive rates: `roundDiv(net × R, 10⁶)` each, added (net = taxable without inclusive rates).
 *    `taxable_amount` is `net` for both.
 * 4. `total_excluding_tax` = subtotal − discounts − inclusive taxes; `total` = subtotal − discounts +
 *    exclusive taxes; `subtotal_excluding_tax` = subtotal − the inclusive tax each line would carry
 *    undiscounted (Stripe's "before invoice-level discounts").
 * 5. Customer balance (negative = credit), at finalization: `combined = total + starting_balance`,
 *    `amount_due = max(0, combined)`, `ending_balance = min(0, combined)`: a credit reduces a positive
 *    total (never below zero), a negative total becomes credit, a debit balance is collected.
 */
import { roundDiv } from '../../lib/money.ts';

export interface RateInput {
  id: string;
  /** Percent, at most four decimals (8.25 = 8.25 %). */
  percentage: number;
  inclusive: boolean;
}

export interface TotalsLineInput {
  amount: number;
  discountable: boolean;
  product: string | null;
  rates: RateInput[];
}

export interface DiscountInput {
  id: string;
  percent_off: number | null;
  /** In the invoice's currency (already chosen from the coupon's currency options). */
  amount_off: number | null;
  /** Products the coupon is restricted to (null: all). */
  products: string[] | null;
  /** The lines (indices) a line-level discount belongs to (absent or null: every line). */
  lines?: number[] | null;
}

export interface LineTaxResult {
  rate: string;
  inclusive: boolean;
  amount: number;
  taxable_amount: number;
}

export interface LineResult {
  discount_amounts: { discount: string; amount: number }[];
  taxes: LineTaxResult[];
}

export interface TotalsResult {
  lines: LineResult[];
  subtotal: number;
  subtotal_excluding_tax: number;
  total_discount_amounts: { discount: string; amount: number }[];
  total_taxes: { rate: string; inclusive: boolean; amount: number; taxable_amount: number }[];
  total_excluding_tax: number;
  total: number;
}

const MILLION = 1_000_000n;

/** A percentage with up to `decimals` decimals as an exact integer (12.5, 4 → 125000n). */
export function scalePercent(pct: number, decimals: number): bigint {
  return BigInt(Math.round(pct * 10 ** decimals));
}

/** Splits `amount` over `weights` in proportion, exactly (largest remainder; ties to the earlier). */
export function allocate(amount: bigint, weights: bigint[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum <= 0n) return weights.map(() => 0n);
  const shares = weights.map((w) => (amount * w) / sum);
  let left = amount - shares.reduce((a, b) => a + b, 0n);
  const order = weights
    .map((w, i) => ({ i, rem: (amount * w) % sum }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left <= 0n) break;
    shares[i] = shares[i]! + 1n;
    left -= 1n;
  }
  return shares;
}

function lineTaxes(taxable: bigint, rates: RateInput[]): LineTaxResult[] {
  const inclusive = rates.filter((r) => r.inclusive);
  const incl = inclusive.reduce((a, r) => a + scalePercent(r.percentage, 4), 0n);
  const net = incl === 0n ? taxable : roundDiv(taxable * MILLION, MILLION + incl);
  const inclusiveTax = taxable - net;
  const out: LineTaxResult[] = [];
  let given = 0n;
  inclusive.forEach((r, k) => {
    const amount = k === inclusive.length - 1 ? inclusiveTax - given : roundDiv(net * scalePercent(r.percentage, 4), MILLION);
    given += amount;
    out.push({ rate: r.id, inclusive: true, amount: Number(amount), taxable_amount: Number(net) });
  });
  for (const r of rates.filter((x) => !x.inclusive)) {
    const amount = roundDiv(net * scalePercent(r.percentage, 4), MILLION);
    out.push({ rate: r.id, inclusive: false, amount: Number(amount), taxable_amount: Number(net) });
  }
  // Keep the caller's order of rates.
  return rates.map((r) => out.find((t) => t.rate === r.id)!);
}

/**
 * The totals of an invoice from its lines and discounts (see the module comment for the rules).
 * @example computeTotals([{ amount: 1000, discountable: true, product: null, rates: [] }], []).total // 1000
 */
export function computeTotals(lines: TotalsLineInput[], discounts: DiscountInput[]): TotalsResult {
  const remaining = lines.map((l) => BigInt(l.amount));
  const lineDiscounts: { discount: string; amount: number }[][] = lines.map(() => []);
  for (const d of discounts) {
    const eligible = lines.map(
      (l, i) =>
        l.discountable &&
        remaining[i]! > 0n &&
        (d.lines == null || d.lines.includes(i)) &&
        (d.products === null || (l.product !== null && d.products.includes(l.product))),
    );
    let parts: bigint[];
    if (d.percent_off !== null) {
      const p = scalePercent(d.percent_off, 2);
      parts = remaining.map((r, i) => (eligible[i] ? roundDiv(r * p, 10_000n) : 0n));
    } else {
      const weights = remaining.map((r, i) => (eligible[i] ? r : 0n));
      const cap = weights.reduce((a, b) => a + b, 0n);
      const off = BigInt(d.amount_off ?? 0);
      parts = allocate(off < cap ? off : cap, weights);
    }
    parts.forEach((part, i) => {
      const capped = part > remaining[i]! ? remaining[i]! : part;
      // A line's own discount on a line that takes no discount (a proration, whose amount already
      // reflects it) is listed with 0, as Stripe shows it.
      if (d.lines != null && d.lines.includes(i) && !lines[i]!.discountable) lineDiscounts[i]!.push({ discount: d.id, amount: 0 });
      if (!eligible[i]) return;
      remaining[i] = remaining[i]! - capped;
      lineDiscounts[i]!.push({ discount: d.id, amount: Number(capped) });
    });
  }

  const results: LineResult[] = [];
  let subtotal = 0n;
  let undiscountedInclusive = 0n;
  let discountTotal = 0n;
  let inclusiveTotal = 0n;
  let exclusiveTotal = 0n;
  const taxTotals = new Map<string, { rate: string; inclusive: boolean; amount: number; taxable_amount: number }>();
  lines.forEach((l, i) => {
    const amount = BigInt(l.amount);
    subtotal += amount;
    discountTotal += amount - remaining[i]!;
    const taxes = lineTaxes(remaining[i]!, l.rates);
    for (const t of lineTaxes(amount, l.rates)) if (t.inclusive) undiscountedInclusive += BigInt(t.amount);
    for (const t of taxes) {
      if (t.inclusive) inclusiveTotal += BigInt(t.amount);
      else exclusiveTotal += BigInt(t.amount);
      const key = t.rate;
      const agg = taxTotals.get(key) ?? { rate: t.rate, inclusive: t.inclusive, amount: 0, taxable_amount: 0 };
      agg.amount += t.amount;
      agg.taxable_amount += t.taxable_amount;
      taxTotals.set(key, agg);
    }
    results.push({ discount_amounts: lineDiscounts[i]!, taxes });
  });
  // One entry per discount, in order of first appearance (a discount listed on a proration line can
  // also be the invoice's own).
  const total_discount_amounts = [...new Set(discounts.map((d) => d.id))].map((id) => ({
    discount: id,
    amount: lineDiscounts.reduce((a, ds) => a + ds.filter((x) => x.discount === id).reduce((s, x) => s + x.amount, 0), 0),
  }));
  return {
    lines: results,
    subtotal: Number(subtotal),
    subtotal_excluding_tax: Number(subtotal - undiscountedInclusive),
    total_discount_amounts,
    total_taxes: [...taxTotals.values()],
    total_excluding_tax: Number(subtotal - discountTotal - inclusiveTotal),
    total: Number(subtotal - discountTotal + exclusiveTotal),
  };
}

/**
 * What is due once the customer's balance (negative = credit) is applied to an invoice total.
 * @example applyBalance(1000, -300) // { amount_due: 700, ending_balance: 0 }
 */
export function applyBalance(total: number, startingBalance: number): { amount_due: number; ending_balance: number } {
  const combined = total + startingBalance;
  return { amount_due: Math.max(0, combined), ending_balance: Math.min(0, combined) };
}
