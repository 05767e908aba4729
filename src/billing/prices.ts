/**
 * Prices: how much a product costs and how often. Invariants: amounts, currency, recurrence and the
 * product never change after creation (only `active`, `metadata`, `nickname`, `lookup_key` and an
 * `unspecified` tax behaviour may); a lookup key names at most one price per mode (the database
 * enforces it; `transfer_lookup_key` moves it in the same transaction); a product's default price
 * cannot be archived. Prices are per-unit (optionally with `transform_quantity` or a
 * `custom_unit_amount`) or tiered (`volume` or `graduated`), in one currency or several
 * (`currency_options`; price-terms.ts); what a quantity costs is price-amounts.ts. Metered usage is
 * refused with a 400.
 */
import { sql } from 'kysely';
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { MAX_AMOUNT, parseCurrency } from '../lib/money.ts';
import { joinPath, mergeMetadata, p, type InferShape, type RangeFilter } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import {
  getObject,
  insertObject,
  listObjects,
  updateObject,
  whereCreated,
  whereData,
  type ListOptions,
} from '../storage/objects.ts';
import { emit, emitUpdated, previousAttributes } from '../events/outbox.ts';
import type { PriceTier, TransformQuantity } from './price-amounts.ts';
import {
  buildCurrencyOption,
  buildCustomUnitAmount,
  buildTiers,
  currencyOptionsParam,
  customUnitAmountParam,
  tiersParam,
  transformQuantityParam,
  type CurrencyOption,
  type CustomUnitAmount,
  type PricePrivate,
} from './price-terms.ts';
import { pricePrivate } from './price-details.ts';
import {
  createProduct,
  getProduct,
  isUniqueViolation,
  productHooks,
  statementDescriptorParam,
  taxCodeParam,
  taxDetailsParam,
  unsupported,
  type Product,
} from './products.ts';

export type Interval = 'day' | 'week' | 'month' | 'year';
export type TaxBehavior = 'exclusive' | 'inclusive' | 'unspecified';

export interface PriceRecurring {
  interval: Interval;
  interval_count: number;
  meter: string | null;
  trial_period_days: number | null;
  usage_type: 'licensed' | 'metered';
}

export interface Price {
  id: string;
  object: 'price';
  active: boolean;
  billing_scheme: 'per_unit' | 'tiered';
  created: number;
  currency: string;
  custom_unit_amount: CustomUnitAmount | null;
  livemode: boolean;
  lookup_key: string | null;
  metadata: Record<string, string>;
  nickname: string | null;
  product: string;
  recurring: PriceRecurring | null;
  tax_behavior: TaxBehavior;
  tiers_mode: 'graduated' | 'volume' | null;
  transform_quantity: TransformQuantity | null;
  type: 'one_time' | 'recurring';
  unit_amount: number | null;
  unit_amount_decimal: string | null;
}

const INTERVALS = ['day', 'week', 'month', 'year'] as const;
const TAX_BEHAVIORS = ['exclusive', 'inclusive', 'unspecified'] as const;
/** Stripe's longest billing interval: three years, in each unit. */
const MAX_INTERVAL_COUNT: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 };

const recurringParam = p.object({
  interval: p.enumOf(INTERVALS).req(),
  interval_count: p.integer({ min: 1 }),
  meter: p.string(),
  trial_period_days: p.integer({ min: 1, max: 730 }),
  usage_type: p.enumOf(['licensed', 'metered']),
});

const productDataParam = p.object({
  active: p.boolean(),
  id: p.string(),
  metadata: p.metadata(),
  name: p.string({ max: 5000 }).req(),
  statement_descriptor: statementDescriptorParam,
  tax_code: taxCodeParam,
  tax_details: taxDetailsParam,
  unit_label: p.string({ max: 12 }),
});

export const priceCreateShape = {
  active: p.boolean(),
  billing_scheme: p.enumOf(['per_unit', 'tiered']),
  currency: p.string({ max: 3 }).req(),
  currency_options: currencyOptionsParam,
  custom_unit_amount: customUnitAmountParam,
  lookup_key: p.string({ max: 200 }),
  metadata: p.metadata(),
  nickname: p.string({ max: 5000 }),
  product: p.string(),
  product_data: productDataParam,
  recurring: recurringParam,
  tax_behavior: p.enumOf(TAX_BEHAVIORS),
  tiers: tiersParam,
  tiers_mode: p.enumOf(['graduated', 'volume']),
  transfer_lookup_key: p.boolean(),
  transform_quantity: transformQuantityParam,
  unit_amount: p.integer({ min: 0 }),
  unit_amount_decimal: p.decimal(),
};

export const priceUpdateShape = {
  active: p.boolean(),
  currency_options: p.emptyable(currencyOptionsParam),
  lookup_key: p.string({ max: 200 }),
  metadata: p.metadata(),
  nickname: p.string({ max: 5000 }),
  tax_behavior: p.enumOf(TAX_BEHAVIORS),
  transfer_lookup_key: p.boolean(),
};

export type PriceCreate = InferShape<typeof priceCreateShape>;
export type PriceUpdate = InferShape<typeof priceUpdateShape>;

/** What a new price is built from, whichever endpoint asked; `prefix` names where its params sit. */
export interface PriceInput {
  id?: string;
  product: string;
  currency: string;
  active?: boolean;
  unit_amount?: number;
  unit_amount_decimal?: string;
  recurring?: {
    interval: Interval;
    interval_count?: number;
    trial_period_days?: number;
    usage_type?: string;
    meter?: string;
  };
  tax_behavior?: TaxBehavior;
  lookup_key?: string;
  transfer_lookup_key?: boolean;
  nickname?: string;
  metadata?: Record<string, string | null> | null;
  billing_scheme?: 'per_unit' | 'tiered';
  tiers?: PriceCreate['tiers'];
  tiers_mode?: 'graduated' | 'volume';
  transform_quantity?: PriceCreate['transform_quantity'];
  custom_unit_amount?: PriceCreate['custom_unit_amount'];
  currency_options?: PriceCreate['currency_options'];
}

/** How the price charges, checked against Stripe's rules for combining the params. */
interface Scheme {
  billing_scheme: 'per_unit' | 'tiered';
  unit_amount: number | null;
  unit_amount_decimal: string | null;
  tiers: PriceTier[] | null;
  tiers_mode: 'graduated' | 'volume' | null;
  transform_quantity: TransformQuantity | null;
  custom_unit_amount: CustomUnitAmount | null;
}

function scheme(input: PriceInput, prefix: string): Scheme {
  const at = (k: string) => joinPath(prefix, k);
  const none = { tiers: null, tiers_mode: null, transform_quantity: null, custom_unit_amount: null };
  if (input.billing_scheme === 'tiered') {
    for (const k of ['unit_amount', 'unit_amount_decimal', 'transform_quantity', 'custom_unit_amount'] as const) {
      if (input[k] !== undefined) throw errors.invalidParam(at(k), `${at(k)} cannot be used with billing_scheme=tiered.`);
    }
    if (input.tiers === undefined) throw errors.missingParam(at('tiers'));
    if (input.tiers_mode === undefined) throw errors.missingParam(at('tiers_mode'));
    return { ...none, billing_scheme: 'tiered', unit_amount: null, unit_amount_decimal: null, tiers: buildTiers(input.tiers, at('tiers')), tiers_mode: input.tiers_mode };
  }
  for (const k of ['tiers', 'tiers_mode'] as const) {
    if (input[k] !== undefined) throw errors.invalidParam(at(k), `${at(k)} can only be used with billing_scheme=tiered.`);
  }
  if (input.custom_unit_amount !== undefined) {
    for (const k of ['unit_amount', 'unit_amount_decimal', 'transform_quantity'] as const) {
      if (input[k] !== undefined) throw errors.exclusive([at(k), at('custom_unit_amount')]);
    }
    return { ...none, billing_scheme: 'per_unit', unit_amount: null, unit_amount_decimal: null, custom_unit_amount: buildCustomUnitAmount(input.custom_unit_amount, at('custom_unit_amount')) };
  }
  const transform = input.transform_quantity ? { divide_by: input.transform_quantity.divide_by, round: input.transform_quantity.round } : null;
  return { ...none, billing_scheme: 'per_unit', ...amounts(input, prefix), transform_quantity: transform };
}

/** The other currencies' options (the price's own currency is shown among them, never stored twice). */
function currencyOptions(input: PriceCreate['currency_options'], currency: string, billing: 'per_unit' | 'tiered', param: string): Record<string, CurrencyOption> {
  const out: Record<string, CurrencyOption> = {};
  for (const [cur, option] of Object.entries(input ?? {})) {
    if (cur === currency) continue;
    out[cur] = buildCurrencyOption(option, billing, joinPath(param, cur));
  }
  return out;
}

const NOUN = 'price';

/** The integer amount and its decimal string, from exactly one of `unit_amount` / `unit_amount_decimal`. */
function amounts(input: PriceInput, prefix: string): { unit_amount: number | null; unit_amount_decimal: string } {
  const intParam = joinPath(prefix, 'unit_amount');
  const decParam = joinPath(prefix, 'unit_amount_decimal');
  if (input.unit_amount !== undefined && input.unit_amount_decimal !== undefined) {
    throw errors.exclusive([intParam, decParam]);
  }
  if (input.unit_amount !== undefined) {
    if (input.unit_amount > MAX_AMOUNT) {
      throw errors.invalidParam(intParam, `Invalid ${intParam}: must be less than or equal to ${MAX_AMOUNT}`);
    }
    return { unit_amount: input.unit_amount, unit_amount_decimal: String(input.unit_amount) };
  }
  if (input.unit_amount_decimal === undefined) throw errors.missingParam(intParam);
  const decimal = input.unit_amount_decimal;
  if (Number(decimal) > MAX_AMOUNT) {
    throw errors.invalidParam(decParam, `Invalid ${decParam}: must be less than or equal to ${MAX_AMOUNT}`);
  }
  return { unit_amount: /^\d+$/.test(decimal) ? Number(decimal) : null, unit_amount_decimal: decimal };
}

function recurring(input: PriceInput, prefix: string): PriceRecurring | null {
  const r = input.recurring;
  if (!r) return null;
  const param = joinPath(prefix, 'recurring');
  if (r.usage_type === 'metered') {
    throw unsupported(`${param}[usage_type]`, 'Metered prices (usage_type=metered)');
  }
  if (r.meter !== undefined) throw unsupported(`${param}[meter]`);
  const count = r.interval_count ?? 1;
  if (count > MAX_INTERVAL_COUNT[r.interval]) {
    throw errors.invalidParam(
      `${param}[interval_count]`,
      'The maximum billing interval is three years (3 years, 36 months, 156 weeks or 1095 days).',
    );
  }
  return {
    interval: r.interval,
    interval_count: count,
    meter: null,
    trial_period_days: r.trial_period_days ?? null,
    usage_type: 'licensed',
  };
}

/**
 * Makes `key` free for `ownerId`: refuses when another price holds it, unless `transfer`, which takes
 * it from that price (emitting its `price.updated`).
 */
async function claimLookupKey(ctx: Ctx, key: string, transfer: boolean, ownerId: string, param: string): Promise<void> {
  const page = await listObjects<Price>(ctx, NOUN, { limit: 1, where: (q) => whereData(q, 'lookup_key', key) });
  const holder = page.data[0]?.data;
  if (!holder || holder.id === ownerId) return;
  if (!transfer) throw errors.resourceExists(`A price (\`${holder.id}\`) already uses that lookup key.`, param);
  const before = (await getObject<Price>(ctx, NOUN, NOUN, holder.id, { forUpdate: true })).data;
  const after: Price = { ...before, lookup_key: null };
  await updateObject(ctx, before.id, { data: after });
  await emitUpdated(ctx, 'price.updated', before, after);
}

/** Runs a write that may set a lookup key, turning a lost race for the key into Stripe's 400. */
async function guardLookupKey(write: () => Promise<void>, param: string): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.resourceExists('A price already uses that lookup key.', param);
    throw err;
  }
}

/** Builds, stores and announces a price of an existing `product` (already checked by the caller). */
export async function insertPrice(ctx: Ctx, input: PriceInput, prefix: string): Promise<Price> {
  const currency = parseCurrency(input.currency, joinPath(prefix, 'currency'));
  const { tiers, ...how } = scheme(input, prefix);
  const rec = recurring(input, prefix);
  const priv: PricePrivate = {
    tiers,
    currency_options: currencyOptions(input.currency_options, currency, how.billing_scheme, joinPath(prefix, 'currency_options')),
  };
  const created = ctx.clock.now();
  const price: Price = {
    id: input.id ?? newId('price'),
    object: 'price',
    active: input.active ?? true,
    billing_scheme: how.billing_scheme,
    created,
    currency,
    custom_unit_amount: how.custom_unit_amount,
    livemode: ctx.livemode,
    lookup_key: input.lookup_key ?? null,
    metadata: mergeMetadata({}, input.metadata),
    nickname: input.nickname ?? null,
    product: input.product,
    recurring: rec,
    tax_behavior: input.tax_behavior ?? 'unspecified',
    tiers_mode: how.tiers_mode,
    transform_quantity: how.transform_quantity,
    type: rec ? 'recurring' : 'one_time',
    unit_amount: how.unit_amount,
    unit_amount_decimal: how.unit_amount_decimal,
  };
  const keyParam = joinPath(prefix, 'lookup_key');
  if (price.lookup_key !== null) {
    await claimLookupKey(ctx, price.lookup_key, input.transfer_lookup_key ?? false, price.id, keyParam);
  }
  await guardLookupKey(async () => {
    await insertObject(ctx, { id: price.id, object: NOUN, created, data: price, private: priv as unknown as Record<string, unknown> });
  }, keyParam);
  await emit(ctx, 'price.created', price);
  return price;
}

productHooks.createDefaultPrice = async (ctx, product, data, priceId, param) => {
  await insertPrice(ctx, { ...data, id: priceId, product: product.id }, param);
};

export async function createPrice(ctx: Ctx, params: PriceCreate): Promise<Price> {
  if (params.product !== undefined && params.product_data !== undefined) {
    throw errors.exclusive(['product', 'product_data']);
  }
  let product: Product;
  if (params.product !== undefined) product = await getProduct(ctx, params.product, 'product');
  else if (params.product_data !== undefined) product = await createProduct(ctx, params.product_data, 'product_data');
  else throw errors.missingParam('product');
  const { product: _p, product_data: _pd, ...rest } = params;
  return insertPrice(ctx, { ...rest, product: product.id }, '');
}

/** A price, or a 404 naming `param`. */
export async function getPrice(ctx: Ctx, id: string, param = 'price', forUpdate = false): Promise<Price> {
  return (await getObject<Price>(ctx, NOUN, NOUN, id, { param, forUpdate })).data;
}

export async function updatePrice(ctx: Ctx, id: string, params: PriceUpdate): Promise<Price> {
  const before = await getPrice(ctx, id, 'id', true);
  const after: Price = structuredClone(before);
  if (params.active !== undefined) {
    if (!params.active && before.active) {
      const product = await getProduct(ctx, before.product, 'id');
      if (product.default_price === id) {
        throw errors.invalidParam(
          'active',
          'This price cannot be archived because it is the default price of its product.',
        );
      }
    }
    after.active = params.active;
  }
  after.metadata = mergeMetadata(after.metadata, params.metadata);
  if (params.nickname !== undefined) after.nickname = params.nickname;
  if (params.tax_behavior !== undefined && params.tax_behavior !== before.tax_behavior) {
    if (before.tax_behavior !== 'unspecified') {
      throw errors.invalidParam(
        'tax_behavior',
        `The tax_behavior of a price cannot be changed once it is \`${before.tax_behavior}\`.`,
      );
    }
    after.tax_behavior = params.tax_behavior;
  }
  if (params.lookup_key !== undefined && params.lookup_key !== before.lookup_key) {
    await claimLookupKey(ctx, params.lookup_key, params.transfer_lookup_key ?? false, id, 'lookup_key');
    after.lookup_key = params.lookup_key;
  }
  let priv: PricePrivate | undefined;
  let previousOptions: PricePrivate['currency_options'] | undefined;
  if (params.currency_options !== undefined) {
    // Each currency given replaces that currency's option; `""` removes them all.
    const current = await pricePrivate(ctx, id);
    const options =
      params.currency_options === null
        ? {}
        : { ...current.currency_options, ...currencyOptions(params.currency_options, before.currency, before.billing_scheme, 'currency_options') };
    priv = { ...current, currency_options: options };
    if (JSON.stringify(options) !== JSON.stringify(current.currency_options)) previousOptions = current.currency_options;
  }
  await guardLookupKey(() => updateObject(ctx, id, { data: after, ...(priv ? { private: priv as unknown as Record<string, unknown> } : {}) }), 'lookup_key');
  const previous = previousAttributes(before, after);
  // Currency options live beside the price: a change to them is an update too.
  if (previousOptions !== undefined) previous.currency_options = previousOptions;
  if (Object.keys(previous).length > 0) await emit(ctx, 'price.updated', after, previous);
  return after;
}

export interface PriceListFilters {
  active?: boolean;
  created?: RangeFilter;
  currency?: string;
  lookup_keys?: string[];
  product?: string;
  recurring?: { interval?: Interval; meter?: string; usage_type?: 'licensed' | 'metered' };
  type?: 'one_time' | 'recurring';
}

export async function listPrices(ctx: Ctx, filters: PriceListFilters, page: ListOptions) {
  const currency = filters.currency === undefined ? undefined : parseCurrency(filters.currency);
  return listObjects<Price>(ctx, NOUN, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.active !== undefined) out = whereData(out, 'active', filters.active);
      if (currency !== undefined) out = whereData(out, 'currency', currency);
      if (filters.product !== undefined) out = whereData(out, 'product', filters.product);
      if (filters.type !== undefined) out = whereData(out, 'type', filters.type);
      const keys = filters.lookup_keys;
      if (keys !== undefined && keys.length > 0) out = out.where(sql<string>`data->>'lookup_key'`, 'in', keys);
      const r = filters.recurring;
      if (r?.interval !== undefined) out = out.where(sql<string>`data->'recurring'->>'interval'`, '=', r.interval);
      if (r?.usage_type !== undefined) {
        out = out.where(sql<string>`data->'recurring'->>'usage_type'`, '=', r.usage_type);
      }
      if (r?.meter !== undefined) out = out.where(sql<string>`data->'recurring'->>'meter'`, '=', r.meter);
      if (filters.created) out = whereCreated(out, filters.created);
      return out;
    },
  });
}

