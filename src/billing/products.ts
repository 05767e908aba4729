/**
 * Products: what is sold. Invariants: `default_price` always names an active price of this product;
 * a product that has (or ever had) prices cannot be deleted, only archived (`active=false`); a deleted
 * product is gone for the API (404) but keeps its id, so it can never be reused. `updated` moves on
 * every change. Prices are created by `prices.ts`, which installs `productHooks.createDefaultPrice`
 * (products never import prices, so the two modules have no import cycle).
 */
import { errors, type ApiError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import {
  joinPath,
  mergeMetadata,
  p,
  type Infer,
  type InferShape,
  type RangeFilter,
  type Schema,
} from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import {
  findAnyObject,
  findObject,
  getObject,
  insertObject,
  listObjects,
  updateObject,
  whereCreated,
  whereData,
  type ListOptions,
} from '../storage/objects.ts';
import { emit, emitUpdated, previousAttributes } from '../events/outbox.ts';
import { currencyOptionsParam, customUnitAmountParam } from './price-terms.ts';

export interface PackageDimensions {
  height: number;
  length: number;
  weight: number;
  width: number;
}

export interface Product {
  id: string;
  object: 'product';
  active: boolean;
  created: number;
  default_price: string | null;
  description: string | null;
  images: string[];
  livemode: boolean;
  marketing_features: { name: string }[];
  metadata: Record<string, string>;
  name: string;
  package_dimensions: PackageDimensions | null;
  shippable: boolean | null;
  statement_descriptor: string | null;
  tax_code: string | null;
  tax_details: { performance_location: string | null; tax_code: string | null } | null;
  type: 'good' | 'service';
  unit_label: string | null;
  updated: number;
  url: string | null;
}

export interface DeletedProduct {
  id: string;
  object: 'product';
  deleted: true;
}

/** The refusal (`parameter_unsupported`) for a Stripe feature Portico does not implement (meters, Connect…). */
export function unsupported(param: string, what = param): ApiError {
  return errors.invalidParam(param, `${what} is not supported by Portico.`, 'parameter_unsupported');
}

/** True for PostgreSQL's unique-violation error (a concurrent insert won a race for an id or key). */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/** A package dimension: a positive number with at most two decimals (form value `12.5`). */
function dimension(): Schema<number> & { required: true } {
  const decimal = p.decimal();
  return {
    required: true,
    parse(value, path) {
      const s = decimal.parse(value, path);
      if (!/^\d{1,8}(\.\d{1,2})?$/.test(s)) {
        throw errors.invalidParam(path, `Invalid ${path}: must be at most 99999999.99, with at most 2 decimal places.`);
      }
      const n = Number(s);
      if (n <= 0) throw errors.invalidParam(path, `Invalid ${path}: must be greater than 0.`);
      return n;
    },
  };
}

const packageDimensionsParam = p.object({
  height: dimension(),
  length: dimension(),
  weight: dimension(),
  width: dimension(),
});

/** Stripe's rule for statement descriptors: ≤22 characters, one letter at least, none of `<>\"'`. */
export const statementDescriptorParam = p.string({
  max: 22,
  pattern: /^(?=.*[A-Za-z])[^<>\\"']*$/,
  patternMessage:
    'The statement descriptor must contain at least one letter and none of these characters: < > \\ " \'',
});

export const taxCodeParam = p.string({
  max: 5000,
  pattern: /^txcd_\d{8}$/,
  patternMessage: 'Invalid tax code: tax codes look like `txcd_99999999`.',
});

export const taxDetailsParam = p.object({ performance_location: p.string(), tax_code: p.emptyable(taxCodeParam) });

const marketingFeaturesParam = p.array(p.object({ name: p.string({ max: 80 }).req() }), { max: 15 });
const imagesParam = p.array(p.string({ max: 2048 }), { max: 8 });

/** `default_price_data`: a price created together with the product and made its default. */
export const defaultPriceDataParam = p.object({
  currency: p.string({ max: 3 }).req(),
  currency_options: currencyOptionsParam,
  custom_unit_amount: customUnitAmountParam,
  metadata: p.metadata(),
  recurring: p.object({
    interval: p.enumOf(['day', 'week', 'month', 'year']).req(),
    interval_count: p.integer({ min: 1 }),
  }),
  tax_behavior: p.enumOf(['exclusive', 'inclusive', 'unspecified']),
  unit_amount: p.integer({ min: 0 }),
  unit_amount_decimal: p.decimal(),
});
export type DefaultPriceData = Infer<typeof defaultPriceDataParam>;

export const productCreateShape = {
  active: p.boolean(),
  default_price_data: defaultPriceDataParam,
  description: p.string({ max: 40_000 }),
  id: p.string(),
  images: imagesParam,
  marketing_features: marketingFeaturesParam,
  metadata: p.metadata(),
  name: p.string({ max: 5000 }).req(),
  package_dimensions: packageDimensionsParam,
  shippable: p.boolean(),
  statement_descriptor: statementDescriptorParam,
  tax_code: taxCodeParam,
  tax_details: taxDetailsParam,
  type: p.enumOf(['good', 'service']),
  unit_label: p.string({ max: 12 }),
  url: p.string({ max: 5000 }),
};

export const productUpdateShape = {
  active: p.boolean(),
  default_price: p.string(),
  description: p.emptyable(p.string({ max: 40_000 })),
  images: p.emptyable(imagesParam),
  marketing_features: p.emptyable(marketingFeaturesParam),
  metadata: p.metadata(),
  name: p.string({ max: 5000 }),
  package_dimensions: p.emptyable(packageDimensionsParam),
  shippable: p.boolean(),
  statement_descriptor: statementDescriptorParam,
  tax_code: p.emptyable(taxCodeParam),
  tax_details: p.emptyable(taxDetailsParam),
  unit_label: p.emptyable(p.string({ max: 12 })),
  url: p.emptyable(p.string({ max: 5000 })),
};

export type ProductCreate = InferShape<typeof productCreateShape>;
export type ProductUpdate = InferShape<typeof productUpdateShape>;

/** What prices.ts provides: creating the price named `priceId` from `default_price_data`. */
export const productHooks = {
  createDefaultPrice: async (
    _ctx: Ctx,
    _product: Product,
    _data: DefaultPriceData,
    _priceId: string,
    _param: string,
  ): Promise<void> => {
    throw errors.invalidParam(_param, 'Prices are not available.');
  },
};

const NOUN = 'product';

/** Applies the fields create and update share; `prefix` names params inside `product_data`. */
function applyCommon(product: Product, params: ProductUpdate, prefix: string): Product {
  const next = structuredClone(product);
  if (params.active !== undefined) next.active = params.active;
  if (params.description !== undefined) next.description = params.description;
  if (params.images !== undefined) next.images = params.images ?? [];
  if (params.marketing_features !== undefined) {
    next.marketing_features = (params.marketing_features ?? []).map((f) => ({ name: f.name }));
  }
  next.metadata = mergeMetadata(next.metadata, params.metadata);
  if (params.name !== undefined) next.name = params.name;
  if (params.package_dimensions !== undefined) next.package_dimensions = params.package_dimensions;
  if (params.shippable !== undefined) next.shippable = params.shippable;
  if (params.tax_code !== undefined) next.tax_code = params.tax_code;
  if (params.tax_details !== undefined) {
    if (params.tax_details?.performance_location !== undefined) {
      throw unsupported(joinPath(prefix, 'tax_details[performance_location]'));
    }
    const details = params.tax_details;
    next.tax_details = details === null ? null : { performance_location: null, tax_code: details.tax_code ?? null };
  }
  if (params.url !== undefined) next.url = params.url;
  for (const field of ['statement_descriptor', 'unit_label'] as const) {
    const value = params[field];
    if (value === undefined) continue;
    if (value !== null && next.type === 'good') {
      throw errors.invalidParam(joinPath(prefix, field), `${field} may only be set on products of type \`service\`.`);
    }
    next[field] = value;
  }
  return next;
}

/**
 * Creates a product (and its default price when `default_price_data` is given). `prefix` is the
 * param the product's fields sit under (`product_data` when a price creates it), for error messages.
 */
export async function createProduct(ctx: Ctx, params: ProductCreate, prefix = ''): Promise<Product> {
  const idParam = joinPath(prefix, 'id');
  if (params.id !== undefined && (await findAnyObject(ctx, params.id))) {
    throw errors.resourceExists('Product already exists.', idParam);
  }
  const now = ctx.clock.now();
  const blank: Product = {
    id: params.id ?? newId('product'),
    object: 'product',
    active: true,
    created: now,
    default_price: null,
    description: null,
    images: [],
    livemode: ctx.livemode,
    marketing_features: [],
    metadata: {},
    name: params.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: params.type ?? 'service',
    unit_label: null,
    updated: now,
    url: null,
  };
  const product = applyCommon(blank, params, prefix);
  const priceId = params.default_price_data ? newId('price') : null;
  product.default_price = priceId;
  try {
    await insertObject(ctx, { id: product.id, object: NOUN, created: now, data: product });
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.resourceExists('Product already exists.', idParam);
    throw err;
  }
  await emit(ctx, 'product.created', product);
  if (params.default_price_data && priceId) {
    await productHooks.createDefaultPrice(ctx, product, params.default_price_data, priceId, 'default_price_data');
  }
  return product;
}

/** A live (not deleted) product, or a 404 naming `param`. */
export async function getProduct(ctx: Ctx, id: string, param = 'product', forUpdate = false): Promise<Product> {
  return (await getObject<Product>(ctx, NOUN, NOUN, id, { param, forUpdate })).data;
}

/** Persists `after` and emits `product.updated` when anything changed (moving `updated` then). */
export async function saveProduct(ctx: Ctx, before: Product, after: Product): Promise<Product> {
  if (Object.keys(previousAttributes(before, after)).length === 0) return before;
  const saved: Product = { ...after, updated: ctx.clock.now() };
  await updateObject(ctx, saved.id, { data: saved });
  await emitUpdated(ctx, 'product.updated', before, saved);
  return saved;
}

/** Checks that `priceId` may become the default price of `product`. */
async function assertDefaultPrice(ctx: Ctx, product: Product, priceId: string): Promise<void> {
  const found = await findObject<{ product: string; active: boolean }>(ctx, 'price', priceId);
  if (!found) throw errors.resourceMissing('price', priceId, 'default_price');
  if (found.data.product !== product.id) {
    throw errors.invalidParam(
      'default_price',
      `The price \`${priceId}\` belongs to another product; the default price must be a price of this product.`,
    );
  }
  if (!found.data.active) {
    throw errors.invalidParam(
      'default_price',
      `The price \`${priceId}\` is archived; the default price must be active.`,
    );
  }
}

export async function updateProduct(ctx: Ctx, id: string, params: ProductUpdate): Promise<Product> {
  const before = await getProduct(ctx, id, 'id', true);
  const after = applyCommon(before, params, '');
  if (params.default_price !== undefined && params.default_price !== before.default_price) {
    await assertDefaultPrice(ctx, before, params.default_price);
    after.default_price = params.default_price;
  }
  return saveProduct(ctx, before, after);
}

/** Whether any price (active or archived) was ever created for the product. */
export async function productHasPrices(ctx: Ctx, productId: string): Promise<boolean> {
  const page = await listObjects(ctx, 'price', { limit: 1, where: (q) => whereData(q, 'product', productId) });
  return page.data.length > 0;
}

export async function deleteProduct(ctx: Ctx, id: string): Promise<DeletedProduct> {
  const product = await getProduct(ctx, id, 'id', true);
  if (await productHasPrices(ctx, id)) {
    throw errors.invalidRequest('This product cannot be deleted because it has one or more user-created prices.');
  }
  await updateObject(ctx, id, { deleted: true });
  await emit(ctx, 'product.deleted', product);
  return { id, object: 'product', deleted: true };
}

export interface ProductListFilters {
  active?: boolean;
  created?: RangeFilter;
  ids?: string[];
  shippable?: boolean;
  type?: 'good' | 'service';
  url?: string;
}

export async function listProducts(ctx: Ctx, filters: ProductListFilters, page: ListOptions) {
  const ids = filters.ids;
  if (ids !== undefined && (page.starting_after !== undefined || page.ending_before !== undefined)) {
    throw errors.invalidParam('ids', 'You cannot use `ids` together with `starting_after` or `ending_before`.');
  }
  return listObjects<Product>(ctx, NOUN, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.active !== undefined) out = whereData(out, 'active', filters.active);
      if (filters.shippable !== undefined) out = whereData(out, 'shippable', filters.shippable);
      if (filters.type !== undefined) out = whereData(out, 'type', filters.type);
      if (filters.url !== undefined) out = whereData(out, 'url', filters.url);
      if (ids !== undefined && ids.length > 0) out = out.where('id', 'in', ids);
      if (filters.created) out = whereCreated(out, filters.created);
      return out;
    },
  });
}
