/**
 * Entitlements: `entitlements.feature` (a monetizable ability of the business's own service) and
 * `product_feature` (a feature attached to a product). What customers are entitled to is derived from
 * these by active-entitlements.ts.
 *
 * Invariants:
 * - A feature's `lookup_key` is unique among the mode's active features (a unique index; an archived
 *   feature frees it). Archiving (`active=false`) is final, and an archived feature cannot be edited,
 *   attached to a product or listed unless `archived=true` is asked for.
 * - A product holds a feature once (`product_feature` rows, unique by product and feature). The
 *   product is kept beside the object (`private.product`); the API object shows the feature as it is
 *   now, not as it was when attached. Detaching deletes the row (it stays as `deleted`, so its id
 *   is never reused).
 * - Stripe sends no event for features or product features, and neither does Portico; a customer's
 *   entitlements changing sends `entitlements.active_entitlement_summary.updated`.
 */
import { sql } from 'kysely';
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { mergeMetadata, p, type InferShape } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { findObjectsByIds, getObject, insertObject, listObjects, updateObject, whereData, type ListOptions, type Page } from '../storage/objects.ts';
import { getProduct, isUniqueViolation } from './products.ts';

export interface Feature {
  id: string;
  object: 'entitlements.feature';
  active: boolean;
  livemode: boolean;
  lookup_key: string;
  metadata: Record<string, string>;
  name: string;
}

export interface ProductFeature {
  id: string;
  object: 'product_feature';
  entitlement_feature: Feature;
  livemode: boolean;
}

export const FEATURE = 'entitlements.feature';
export const PRODUCT_FEATURE = 'product_feature';

export const featureCreateShape = {
  lookup_key: p.string({ max: 80 }).req(),
  metadata: p.metadata(),
  name: p.string({ max: 80 }).req(),
};
export const featureUpdateShape = {
  active: p.boolean(),
  metadata: p.metadata(),
  name: p.string({ max: 80 }),
};
export const featureListShape = { archived: p.boolean(), lookup_key: p.string({ max: 80 }) };
export type FeatureCreate = InferShape<typeof featureCreateShape>;
export type FeatureUpdate = InferShape<typeof featureUpdateShape>;

const lookupKeyTaken = (key: string) =>
  errors.resourceExists(`A feature with lookup_key \`${key}\` already exists. Archive it first, or choose another lookup_key.`, 'lookup_key');

export async function createFeature(ctx: Ctx, params: FeatureCreate): Promise<Feature> {
  const taken = await listObjects<Feature>(ctx, FEATURE, { limit: 1, where: (q) => whereData(whereData(q, 'lookup_key', params.lookup_key), 'active', true) });
  if (taken.data.length > 0) throw lookupKeyTaken(params.lookup_key);
  const feature: Feature = {
    id: newId(FEATURE),
    object: FEATURE,
    active: true,
    livemode: ctx.livemode,
    lookup_key: params.lookup_key,
    metadata: mergeMetadata({}, params.metadata),
    name: params.name,
  };
  try {
    await insertObject(ctx, { id: feature.id, object: FEATURE, created: ctx.clock.now(), data: feature });
  } catch (err) {
    // A concurrent create won the race for the key (the unique index of migration 0016).
    if (isUniqueViolation(err)) throw lookupKeyTaken(params.lookup_key);
    throw err;
  }
  return feature;
}

export async function getFeature(ctx: Ctx, id: string, param = 'id', forUpdate = false): Promise<Feature> {
  return (await getObject<Feature>(ctx, FEATURE, 'feature', id, { param, forUpdate })).data;
}

export async function updateFeature(ctx: Ctx, id: string, params: FeatureUpdate): Promise<Feature> {
  const before = await getFeature(ctx, id, 'id', true);
  if (!before.active) {
    // Archiving is final: only a repeated `active=false` is answered (with the feature unchanged).
    const param = (['name', 'metadata', 'active'] as const).find((k) => params[k] !== undefined && !(k === 'active' && params.active === false));
    if (param !== undefined) throw errors.invalidParam(param, `The feature ${id} is archived and can no longer be changed.`);
    return before;
  }
  const after: Feature = {
    ...before,
    active: params.active ?? before.active,
    metadata: mergeMetadata(before.metadata, params.metadata),
    name: params.name ?? before.name,
  };
  await updateObject(ctx, id, { data: after });
  return after;
}

/** Newest first; active features only unless `archived` (then only archived ones). */
export async function listFeatures(ctx: Ctx, filters: { archived?: boolean; lookup_key?: string }, page: ListOptions): Promise<Page<Feature>> {
  return listObjects<Feature>(ctx, FEATURE, {
    ...page,
    where: (q) => {
      let out = whereData(q, 'active', !(filters.archived ?? false));
      if (filters.lookup_key !== undefined) out = whereData(out, 'lookup_key', filters.lookup_key);
      return out;
    },
  });
}

/** The current features of these ids (missing ones left out), by id. */
export async function featuresByIds(ctx: Ctx, ids: readonly string[]): Promise<Map<string, Feature>> {
  const rows = await findObjectsByIds(ctx, [...new Set(ids)]);
  return new Map(rows.filter((r) => r.object === FEATURE).map((r) => [r.id, r.data as Feature]));
}

/** A stored product feature as the API shows it: with its feature as it is now. */
async function present(ctx: Ctx, stored: ProductFeature[]): Promise<ProductFeature[]> {
  const features = await featuresByIds(ctx, stored.map((s) => s.entitlement_feature.id));
  return stored.map((s) => ({ ...s, entitlement_feature: features.get(s.entitlement_feature.id) ?? s.entitlement_feature }));
}

/** The product (any state but deleted), or the 404 naming the product in the path. */
async function productOf(ctx: Ctx, product: string) {
  return getProduct(ctx, product, 'product');
}

export async function attachFeature(ctx: Ctx, product: string, featureId: string): Promise<ProductFeature> {
  await productOf(ctx, product);
  const feature = await getFeature(ctx, featureId, 'entitlement_feature');
  if (!feature.active) {
    throw errors.invalidParam('entitlement_feature', `The feature ${featureId} is archived and cannot be attached to a product.`);
  }
  const attached: ProductFeature = { id: newId(PRODUCT_FEATURE), object: PRODUCT_FEATURE, entitlement_feature: feature, livemode: ctx.livemode };
  const exists = errors.resourceExists(`The feature ${featureId} is already attached to the product ${product}.`, 'entitlement_feature');
  if ((await productFeatureRows(ctx, [product])).some((r) => r.feature === featureId)) throw exists;
  try {
    await insertObject(ctx, { id: attached.id, object: PRODUCT_FEATURE, created: ctx.clock.now(), data: attached, private: { product } });
  } catch (err) {
    if (isUniqueViolation(err)) throw exists;
    throw err;
  }
  return attached;
}

/** The product feature `id` of `product`, or a 404 (another product's is not found either). */
async function ownFeature(ctx: Ctx, product: string, id: string, forUpdate = false): Promise<ProductFeature> {
  const found = await getObject<ProductFeature>(ctx, PRODUCT_FEATURE, 'product feature', id, { forUpdate });
  if (found.private.product !== product) throw errors.resourceMissing('product feature', id);
  return found.data;
}

export async function getProductFeature(ctx: Ctx, product: string, id: string): Promise<ProductFeature> {
  await productOf(ctx, product);
  return (await present(ctx, [await ownFeature(ctx, product, id)]))[0]!;
}

export async function detachFeature(ctx: Ctx, product: string, id: string): Promise<{ id: string; object: 'product_feature'; deleted: true }> {
  await productOf(ctx, product);
  await ownFeature(ctx, product, id, true);
  await updateObject(ctx, id, { deleted: true });
  return { id, object: PRODUCT_FEATURE, deleted: true };
}

export async function listProductFeatures(ctx: Ctx, product: string, page: ListOptions): Promise<{ data: ProductFeature[]; has_more: boolean }> {
  await productOf(ctx, product);
  const found = await listObjects<ProductFeature>(ctx, PRODUCT_FEATURE, {
    ...page,
    where: (q) => q.where(sql<string>`private->>'product'`, '=', product),
  });
  return { data: await present(ctx, found.data.map((r) => r.data)), has_more: found.has_more };
}

/** The (product, feature) pairs attached to these products, oldest attachment first. */
export async function productFeatureRows(ctx: Ctx, products: readonly string[]): Promise<{ product: string; feature: string }[]> {
  if (products.length === 0) return [];
  if (ctx.uow) {
    // Read through the unit (no settle: its buffered rows count as they are), once per product; a
    // subscription write preloads them with its other reads (subscriptions/preload.ts).
    const sets = [{ object: PRODUCT_FEATURE, key: 'product', values: products }];
    await ctx.uow.preloadReads(ctx, { privateSets: sets });
    const rows = ctx.uow.objectsByPrivate(ctx, PRODUCT_FEATURE, 'product', products)!;
    return rows.map((r) => ({ product: r.private['product'] as string, feature: (r.data as ProductFeature).entitlement_feature.id }));
  }
  const rows = await ctx.db
    .selectFrom('objects')
    .select([sql<string>`private->>'product'`.as('product'), sql<string>`data->'entitlement_feature'->>'id'`.as('feature')])
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', PRODUCT_FEATURE)
    .where('deleted', '=', false)
    .where(sql<string>`private->>'product'`, 'in', [...new Set(products)])
    .orderBy('seq')
    .execute();
  return rows;
}
