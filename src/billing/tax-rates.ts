/**
 * Tax rates: a named percentage applied to invoice lines, either added on top (`inclusive: false`,
 * exclusive) or already contained in the line amount (`inclusive: true`). Invariants: `percentage`
 * (0–100, at most four decimals) and `inclusive` never change after creation, so an invoice computed
 * with a rate stays explainable; only `active`, the descriptive fields and metadata change. An inactive
 * rate can no longer be applied to new invoices or invoice items, but stays on those that have it.
 */
import { clip, errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { mergeMetadata, p, type InferShape, type RangeFilter, type Schema } from '../lib/params.ts';
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
import { emit, emitUpdated } from '../events/outbox.ts';

export interface TaxRate {
  id: string;
  object: 'tax_rate';
  active: boolean;
  country: string | null;
  created: number;
  description: string | null;
  display_name: string;
  effective_percentage: number | null;
  flat_amount: null;
  inclusive: boolean;
  jurisdiction: string | null;
  jurisdiction_level: null;
  livemode: boolean;
  metadata: Record<string, string>;
  percentage: number;
  rate_type: 'percentage';
  state: string | null;
  tax_type: string | null;
}

const OBJECT = 'tax_rate';
const NOUN = 'tax rate';

export const TAX_TYPES = [
  'admissions_tax', 'amusement_tax', 'attendance_tax', 'communications_tax', 'digital_excise_tax',
  'entertainment_tax', 'get_fund', 'gross_receipts_tax', 'gst', 'hospitality_tax', 'hst', 'igst', 'jct',
  'lease_tax', 'luxury_tax', 'mass_transit_parking_tax', 'nhil', 'parking_tax', 'pst', 'qst', 'resort_tax',
  'retail_delivery_fee', 'rst', 'sales_tax', 'service_tax', 'tourism_tax', 'utility_users_tax', 'vat',
] as const;

/** A tax percentage: a decimal in [0, 100] with at most four decimal places. */
function percentageParam(): Schema<number> & { req(): Schema<number> & { required: true } } {
  const parse = (value: unknown, path: string): number => {
    if (typeof value !== 'string') throw errors.invalidParam(path, `Invalid ${path}: expected a number.`);
    if (value === '') throw errors.emptyString(path);
    if (!/^\d{1,3}(\.\d{1,4})?$/.test(value)) {
      throw errors.invalidParam(path, `Invalid ${path}: ${clip(value, 30)}; must be a number with at most 4 decimal places.`);
    }
    const n = Number(value);
    if (n > 100) throw errors.invalidParam(path, `Invalid ${path}: must be between 0 and 100.`);
    return n;
  };
  return { required: false, parse, req: () => ({ required: true as const, parse }) };
}

const descriptive = {
  active: p.boolean(),
  country: p.string({ max: 2, pattern: /^[A-Za-z]{2}$/, patternMessage: 'Invalid country: must be a two-letter ISO code.' }),
  description: p.string({ max: 5000 }),
  display_name: p.string({ max: 50 }),
  jurisdiction: p.string({ max: 50 }),
  metadata: p.metadata(),
  state: p.string({ max: 5000 }),
  tax_type: p.enumOf(TAX_TYPES),
};

export const taxRateCreateShape = {
  ...descriptive,
  display_name: p.string({ max: 50 }).req(),
  inclusive: p.boolean().req(),
  percentage: percentageParam().req(),
};
export const taxRateUpdateShape = { ...descriptive };

export type TaxRateCreate = InferShape<typeof taxRateCreateShape>;
export type TaxRateUpdate = InferShape<typeof taxRateUpdateShape>;

function applyDescriptive(t: TaxRate, params: TaxRateUpdate): TaxRate {
  const next = structuredClone(t);
  if (params.active !== undefined) next.active = params.active;
  if (params.country !== undefined) next.country = params.country.toUpperCase();
  if (params.description !== undefined) next.description = params.description;
  if (params.display_name !== undefined) next.display_name = params.display_name;
  if (params.jurisdiction !== undefined) next.jurisdiction = params.jurisdiction;
  if (params.state !== undefined) next.state = params.state;
  if (params.tax_type !== undefined) next.tax_type = params.tax_type;
  next.metadata = mergeMetadata(next.metadata, params.metadata);
  return next;
}

export async function createTaxRate(ctx: Ctx, params: TaxRateCreate): Promise<TaxRate> {
  const created = ctx.clock.now();
  const blank: TaxRate = {
    id: newId('tax_rate'),
    object: OBJECT,
    active: true,
    country: null,
    created,
    description: null,
    display_name: params.display_name,
    effective_percentage: params.percentage,
    flat_amount: null,
    inclusive: params.inclusive,
    jurisdiction: null,
    jurisdiction_level: null,
    livemode: ctx.livemode,
    metadata: {},
    percentage: params.percentage,
    rate_type: 'percentage',
    state: null,
    tax_type: null,
  };
  const rate = applyDescriptive(blank, params);
  await insertObject(ctx, { id: rate.id, object: OBJECT, created, data: rate });
  await emit(ctx, 'tax_rate.created', rate);
  return rate;
}

/** The tax rate, or a 404 naming `param`. */
export async function getTaxRate(ctx: Ctx, id: string, param = 'id', forUpdate = false): Promise<TaxRate> {
  return (await getObject<TaxRate>(ctx, OBJECT, NOUN, id, { param, forUpdate })).data;
}

/**
 * The rates named by `ids`, for applying to something new: each must exist (404 naming `param[i]`)
 * and be active (400), and none may repeat.
 * @example await applicableTaxRates(ctx, ['txr_…'], 'tax_rates')
 */
export async function applicableTaxRates(ctx: Ctx, ids: readonly string[], param: string): Promise<TaxRate[]> {
  if (ids.length > 10) throw errors.invalidParam(param, `Invalid ${param}: at most 10 tax rates may be applied.`);
  const out: TaxRate[] = [];
  for (const [i, id] of ids.entries()) {
    const at = `${param}[${i}]`;
    const rate = await getTaxRate(ctx, id, at);
    if (!rate.active) throw errors.invalidParam(at, `Tax rate ${id} is inactive and cannot be applied.`);
    if (out.some((r) => r.id === id)) throw errors.invalidParam(at, `Tax rate ${id} is listed more than once.`);
    out.push(rate);
  }
  return out;
}

export async function updateTaxRate(ctx: Ctx, id: string, params: TaxRateUpdate): Promise<TaxRate> {
  const before = await getTaxRate(ctx, id, 'id', true);
  const after = applyDescriptive(before, params);
  await updateObject(ctx, id, { data: after });
  await emitUpdated(ctx, 'tax_rate.updated', before, after);
  return after;
}

export interface TaxRateListFilters {
  active?: boolean;
  inclusive?: boolean;
  created?: RangeFilter;
}

export async function listTaxRates(ctx: Ctx, filters: TaxRateListFilters, page: ListOptions) {
  return listObjects<TaxRate>(ctx, OBJECT, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.active !== undefined) out = whereData(out, 'active', filters.active);
      if (filters.inclusive !== undefined) out = whereData(out, 'inclusive', filters.inclusive);
      if (filters.created) out = whereCreated(out, filters.created);
      return out;
    },
  });
}
