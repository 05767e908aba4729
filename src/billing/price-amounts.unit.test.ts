/** The amount of a quantity under a price, worked out by hand for each pricing model. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amountForQuantity, billedQuantity, graduatedShares, type PriceTerms, type PriceTier } from './price-amounts.ts';

const tier = (up_to: number | null, unit: number | null, flat: number | null = null, decimals: { unit?: string; flat?: string } = {}): PriceTier => ({
  up_to,
  unit_amount: unit,
  unit_amount_decimal: decimals.unit ?? (unit === null ? null : String(unit)),
  flat_amount: flat,
  flat_amount_decimal: decimals.flat ?? (flat === null ? null : String(flat)),
});

const perUnit = (decimal: string, transform: PriceTerms['transform_quantity'] = null): PriceTerms => ({
  billing_scheme: 'per_unit',
  unit_amount_decimal: decimal,
  tiers: null,
  tiers_mode: null,
  transform_quantity: transform,
});

const tiered = (mode: 'graduated' | 'volume', tiers: PriceTier[]): PriceTerms => ({
  billing_scheme: 'tiered',
  unit_amount_decimal: null,
  tiers,
  tiers_mode: mode,
  transform_quantity: null,
});

// 1–5: $10.00 each + $5.00 flat; 6–10: $8.00 each; 11+: $6.00 each + $1.00 flat
const TIERS = [tier(5, 1000, 500), tier(10, 800), tier(null, 600, 100)];

test('per unit: unit × quantity; decimals rounded once per line, half up', () => {
  assert.equal(amountForQuantity(perUnit('1500'), 3), 4500);
  assert.equal(amountForQuantity(perUnit('0.5'), 3), 2); // 1.5 → 2
  assert.equal(amountForQuantity(perUnit('0.333333333333'), 3), 1); // 0.999999999999 → 1
  assert.equal(amountForQuantity(perUnit('1500'), 0), 0);
});

test('transform_quantity divides, then rounds up or down', () => {
  // $10 per pack of 10 units
  assert.equal(billedQuantity({ transform_quantity: { divide_by: 10, round: 'up' } }, 21), 3);
  assert.equal(amountForQuantity(perUnit('1000', { divide_by: 10, round: 'up' }), 21), 3000);
  assert.equal(amountForQuantity(perUnit('1000', { divide_by: 10, round: 'down' }), 21), 2000);
  assert.equal(amountForQuantity(perUnit('1000', { divide_by: 10, round: 'up' }), 10), 1000);
});

test('volume: the whole quantity at the tier it reaches, with that tier’s flat amount', () => {
  const v = tiered('volume', TIERS);
  assert.equal(amountForQuantity(v, 1), 1500); // 1 × 1000 + 500
  assert.equal(amountForQuantity(v, 5), 5500); // 5 × 1000 + 500
  assert.equal(amountForQuantity(v, 6), 4800); // 6 × 800
  assert.equal(amountForQuantity(v, 10), 8000);
  assert.equal(amountForQuantity(v, 12), 7300); // 12 × 600 + 100
  assert.equal(amountForQuantity(v, 0), 0);
});

test('graduated: each tier bills its own units, flat amounts of the tiers reached', () => {
  const g = tiered('graduated', TIERS);
  assert.equal(amountForQuantity(g, 1), 1500); // 1000 + 500
  assert.equal(amountForQuantity(g, 5), 5500); // 5000 + 500
  assert.equal(amountForQuantity(g, 7), 7100); // 5500 + 2 × 800
  assert.equal(amountForQuantity(g, 10), 9500); // 5500 + 5 × 800
  assert.equal(amountForQuantity(g, 12), 10800); // 9500 + 2 × 600 + 100
});

test('tiers with only flat amounts, and decimal tier amounts', () => {
  const flatOnly = tiered('graduated', [tier(1, null, 2000), tier(null, null, 500)]);
  assert.equal(amountForQuantity(flatOnly, 1), 2000);
  assert.equal(amountForQuantity(flatOnly, 9), 2500);
  const dec = tiered('volume', [tier(100, null, null, { unit: '0.25' }), tier(null, null, null, { unit: '0.125', flat: '10.5' })]);
  assert.equal(amountForQuantity(dec, 3), 1); // 0.75 → 1
  assert.equal(amountForQuantity(dec, 101), 23); // 12.625 + 10.5 = 23.125 → 23
  assert.equal(amountForQuantity(dec, 102), 23); // 12.75 + 10.5 = 23.25 → 23
  assert.equal(amountForQuantity(dec, 104), 24); // 13 + 10.5 = 23.5 → 24
});

test('bad quantities are programming errors', () => {
  assert.throws(() => amountForQuantity(perUnit('1'), -1), RangeError);
  assert.throws(() => amountForQuantity(perUnit('1'), 1.5), RangeError);
});

test('graduatedShares: one share per tier reached, adding up to amountForQuantity', () => {
  const g = tiered('graduated', TIERS);
  const shares = graduatedShares(g, 12);
  // 1–5: 5 × 1000 + 500 flat; 6–10: 5 × 800; 11+: 2 × 600 + 100 flat
  assert.deepEqual(
    shares.map((s) => [s.tier, s.quantity, s.unitsAmount, s.flatAmount]),
    [[1, 5, 5000, 500], [2, 5, 4000, null], [3, 2, 1200, 100]],
  );
  assert.equal(shares.reduce((a, s) => a + (s.unitsAmount ?? 0) + (s.flatAmount ?? 0), 0), amountForQuantity(g, 12));
  assert.deepEqual(graduatedShares(g, 3).map((s) => [s.tier, s.quantity]), [[1, 3]]);
  assert.deepEqual(graduatedShares(g, 0), []);
  assert.deepEqual(graduatedShares(tiered('volume', TIERS), 7), []);
});
