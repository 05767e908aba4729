/**
 * How a price charges, as given at creation: `billing_scheme` with `tiers` and `tiers_mode`,
 * `transform_quantity`, `custom_unit_amount`, and `currency_options` (the same price in other
 * currencies). Params and Stripe's rules for combining them; the amounts themselves are computed by
 * price-amounts.ts. `tiers` and `currency_options` are kept beside the price (its private part):
 * Stripe shows them only on `expand[]=tiers` / `expand[]=currency_options`.
 */
import { errors } from '../lib/errors.ts';
import { MAX_AMOUNT, parseCurrency } from '../lib/money.ts';
import { joinPath, p, type Infer, type Schema } from '../lib/params.ts';
import type { PriceTier, TransformQuantity } from './price-amounts.ts';

export interface CustomUnitAmount {
  maximum: number | null;
  minimum: number | null;
  preset: number | null;
}

/** One entry of `currency_options`. */
export interface CurrencyOption {
  custom_unit_amount: CustomUnitAmount | null;
  tax_behavior: 'exclusive' | 'inclusive' | 'unspecified';
  tiers?: PriceTier[];
  unit_amount: number | null;
  unit_amount_decimal: string | null;
}

/** What the price row keeps out of its API shape. */
export interface PricePrivate {
  tiers: PriceTier[] | null;
  /** Other currencies than the price's own (which the API shows among them). */
  currency_options: Record<string, CurrencyOption>;
}

const upTo: Schema<number | 'inf'> & { required: true } = {
  required: true,
  parse: (value, path) => (value === 'inf' ? 'inf' : p.integer({ min: 1 }).parse(value, path)),
};

export const tiersParam = p.array(
  p.object({
    flat_amount: p.integer({ min: 0 }),
    flat_amount_decimal: p.decimal(),
    unit_amount: p.integer({ min: 0 }),
    unit_amount_decimal: p.decimal(),
    up_to: upTo,
  }),
  { max: 250 },
);

export const transformQuantityParam = p.object({
  divide_by: p.integer({ min: 1, max: 1_000_000_000 }).req(),
  round: p.enumOf(['down', 'up']).req(),
});

export const customUnitAmountParam = p.object({
  enabled: p.boolean().req(),
  maximum: p.integer({ min: 0 }),
  minimum: p.integer({ min: 0 }),
  preset: p.integer({ min: 0 }),
});

const currencyOptionParam = p.object({
  custom_unit_amount: customUnitAmountParam,
  tax_behavior: p.enumOf(['exclusive', 'inclusive', 'unspecified']),
  tiers: tiersParam,
  unit_amount: p.integer({ min: 0 }),
  unit_amount_decimal: p.decimal(),
});

type CurrencyOptionInput = Infer<typeof currencyOptionParam>;

/** `currency_options[eur][unit_amount]=…`: an object keyed by currency. */
export const currencyOptionsParam: Schema<Record<string, CurrencyOptionInput>> = {
  required: false,
  parse(value, path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw errors.invalidParam(path, 'Invalid object');
    const out: Record<string, CurrencyOptionInput> = {};
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > 50) throw errors.invalidParam(path, `Invalid ${path}: at most 50 currencies.`);
    for (const [key, option] of entries) {
      const currency = parseCurrency(key, joinPath(path, key));
      out[currency] = currencyOptionParam.parse(option, joinPath(path, key));
    }
    return out;
  },
};

type TiersInput = Infer<typeof tiersParam>;

function exclusive(a: unknown, b: unknown, prefix: string, names: [string, string]): void {
  if (a !== undefined && b !== undefined) throw errors.exclusive(names.map((n) => joinPath(prefix, n)));
}

function checkMax(v: number | undefined, param: string): void {
  if (v !== undefined && v > MAX_AMOUNT) throw errors.invalidParam(param, `Invalid ${param}: must be less than or equal to ${MAX_AMOUNT}`);
}

/** Validated tiers: ascending `up_to`, the last (and only the last) `inf`, each with an amount. */
export function buildTiers(input: TiersInput, param: string): PriceTier[] {
  if (input.length === 0) throw errors.invalidParam(param, 'A tiered price needs at least one tier.');
  let previous = 0;
  return input.map((t, i) => {
    const at = joinPath(param, i);
    exclusive(t.unit_amount, t.unit_amount_decimal, at, ['unit_amount', 'unit_amount_decimal']);
    exclusive(t.flat_amount, t.flat_amount_decimal, at, ['flat_amount', 'flat_amount_decimal']);
    checkMax(t.unit_amount, joinPath(at, 'unit_amount'));
    checkMax(t.flat_amount, joinPath(at, 'flat_amount'));
    const unit = t.unit_amount_decimal ?? (t.unit_amount === undefined ? null : String(t.unit_amount));
    const flat = t.flat_amount_decimal ?? (t.flat_amount === undefined ? null : String(t.flat_amount));
    if (unit === null && flat === null) {
      throw errors.invalidParam(at, `Each tier needs a unit_amount or a flat_amount (or their _decimal forms): ${at} has neither.`);
    }
    const last = i === input.length - 1;
    if (last !== (t.up_to === 'inf')) {
      throw errors.invalidParam(joinPath(at, 'up_to'), 'The last tier, and only the last, must have `up_to=inf`.');
    }
    if (t.up_to !== 'inf') {
      if (t.up_to <= previous) throw errors.invalidParam(joinPath(at, 'up_to'), 'Tiers must be sorted by `up_to`, each greater than the one before.');
      previous = t.up_to;
    }
    const whole = (d: string | null) => (d !== null && /^\d+$/.test(d) ? Number(d) : null);
    return {
      flat_amount: whole(flat),
      flat_amount_decimal: flat,
      unit_amount: whole(unit),
      unit_amount_decimal: unit,
      up_to: t.up_to === 'inf' ? null : t.up_to,
    };
  });
}

export function buildCustomUnitAmount(input: Infer<typeof customUnitAmountParam>, param: string): CustomUnitAmount {
  if (!input.enabled) throw errors.invalidParam(joinPath(param, 'enabled'), 'custom_unit_amount[enabled] must be true when custom_unit_amount is given.');
  const { minimum, maximum, preset } = input;
  if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
    throw errors.invalidParam(joinPath(param, 'minimum'), 'custom_unit_amount[minimum] must be at most custom_unit_amount[maximum].');
  }
  if (preset !== undefined && ((minimum !== undefined && preset < minimum) || (maximum !== undefined && preset > maximum))) {
    throw errors.invalidParam(joinPath(param, 'preset'), 'custom_unit_amount[preset] must lie between the minimum and the maximum.');
  }
  return { maximum: maximum ?? null, minimum: minimum ?? null, preset: preset ?? null };
}

/** One currency option, checked against the price's scheme (tiers for a tiered price, else an amount). */
export function buildCurrencyOption(
  input: CurrencyOptionInput,
  scheme: 'per_unit' | 'tiered',
  param: string,
): CurrencyOption {
  const option: CurrencyOption = {
    custom_unit_amount: null,
    tax_behavior: input.tax_behavior ?? 'unspecified',
    unit_amount: null,
    unit_amount_decimal: null,
  };
  if (scheme === 'tiered') {
    for (const k of ['unit_amount', 'unit_amount_decimal', 'custom_unit_amount'] as const) {
      if (input[k] !== undefined) throw errors.invalidParam(joinPath(param, k), `${joinPath(param, k)} cannot be used with billing_scheme=tiered; give tiers.`);
    }
    if (input.tiers === undefined) throw errors.missingParam(joinPath(param, 'tiers'));
    option.tiers = buildTiers(input.tiers, joinPath(param, 'tiers'));
    return option;
  }
  if (input.tiers !== undefined) throw errors.invalidParam(joinPath(param, 'tiers'), 'Tiers can only be given for a price with billing_scheme=tiered.');
  exclusive(input.unit_amount, input.unit_amount_decimal, param, ['unit_amount', 'unit_amount_decimal']);
  if (input.custom_unit_amount !== undefined) {
    if (input.unit_amount !== undefined || input.unit_amount_decimal !== undefined) {
      throw errors.exclusive([joinPath(param, 'unit_amount'), joinPath(param, 'custom_unit_amount')]);
    }
    option.custom_unit_amount = buildCustomUnitAmount(input.custom_unit_amount, joinPath(param, 'custom_unit_amount'));
    return option;
  }
  checkMax(input.unit_amount, joinPath(param, 'unit_amount'));
  const decimal = input.unit_amount_decimal ?? (input.unit_amount === undefined ? undefined : String(input.unit_amount));
  if (decimal === undefined) throw errors.missingParam(joinPath(param, 'unit_amount'));
  option.unit_amount_decimal = decimal;
  option.unit_amount = /^\d+$/.test(decimal) ? Number(decimal) : null;
  return option;
}

export type { TransformQuantity };
