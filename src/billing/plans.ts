/**
 * Plans: Stripe's older object for a recurring price. A plan is not stored on its own: it is the
 * recurring price with the same id, seen through the plan's fields (`amount` for `unit_amount`,
 * `interval` for `recurring.interval`, `transform_usage` for `transform_quantity`), so the two can
 * never disagree. `/v1/plans` creates, updates and deletes such prices (api/resources/plans.ts).
 */
import { errors } from '../lib/errors.ts';
import { p, type Infer, type InferShape, type RangeFilter, type Schema } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { findAnyObject, findObject, getObject, updateObject, type ListOptions } from '../storage/objects.ts';
import { emit, emitUpdated } from '../events/outbox.ts';
import type { TransformQuantity } from './price-amounts.ts';
import { tiersParam, transformQuantityParam } from './price-terms.ts';
import { insertPrice, listPrices, updatePrice, type Price } from './prices.ts';
import { createProduct, getProduct, statementDescriptorParam, taxCodeParam, type Product } from './products.ts';

export interface Plan {
  id: string;
  object: 'plan';
  active: boolean;
  amount: number | null;
  amount_decimal: string | null;
  billing_scheme: 'per_unit' | 'tiered';
  created: number;
  currency: string;
  interval: 'day' | 'week' | 'month' | 'year';
  interval_count: number;
  livemode: boolean;
  metadata: Record<string, string>;
  meter: string | null;
  nickname: string | null;
  product: string;
  tiers_mode: 'graduated' | 'volume' | null;
  transform_usage: TransformQuantity | null;
  trial_period_days: number | null;
  usage_type: 'licensed' | 'metered';
}

/** The plan view of a recurring price. */
export function planOf(price: Price): Plan {
  const r = price.recurring!;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: r.interval,
    interval_count: r.interval_count,
    livemode: price.livemode,
    metadata: price.metadata,
    meter: r.meter,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiers_mode,
    transform_usage: price.transform_quantity,
    trial_period_days: r.trial_period_days,
    usage_type: r.usage_type,
  };
}

// ---------------------------------------------------------------------------------------------------
// `/v1/plans`: each call works on the recurring price with the plan's id and announces both objects.

const planProductParam = p.object({
  active: p.boolean(),
  id: p.string(),
  metadata: p.metadata(),
  name: p.string({ max: 5000 }).req(),
  statement_descriptor: statementDescriptorParam,
  tax_code: taxCodeParam,
  unit_label: p.string({ max: 12 }),
});

/** `product` is an id or, as Stripe still allows for plans, a new product's fields. */
const productOrData: Schema<string | Infer<typeof planProductParam>> & { required: true } = {
  required: true,
  parse: (value, path) => (typeof value === 'string' ? p.string().parse(value, path) : planProductParam.parse(value, path)),
};

export const planCreateShape = {
  active: p.boolean(),
  amount: p.integer({ min: 0 }),
  amount_decimal: p.decimal(),
  billing_scheme: p.enumOf(['per_unit', 'tiered']),
  currency: p.string({ max: 3 }).req(),
  id: p.string({ max: 200, pattern: /^[A-Za-z0-9_\-.:]+$/, patternMessage: 'Invalid id: use letters, digits and `_-.:`.' }),
  interval: p.enumOf(['day', 'week', 'month', 'year']).req(),
  interval_count: p.integer({ min: 1 }),
  metadata: p.metadata(),
  meter: p.string(),
  nickname: p.string({ max: 5000 }),
  product: productOrData,
  tiers: tiersParam,
  tiers_mode: p.enumOf(['graduated', 'volume']),
  transform_usage: transformQuantityParam,
  trial_period_days: p.integer({ min: 1, max: 730 }),
  usage_type: p.enumOf(['licensed', 'metered']),
};

export const planUpdateShape = {
  active: p.boolean(),
  metadata: p.metadata(),
  nickname: p.emptyable(p.string({ max: 5000 })),
  product: p.string(),
  trial_period_days: p.integer({ min: 1, max: 730 }),
};

/** A recurring price seen as a plan, or Stripe's `No such plan` (a one-time price is no plan). */
export async function getPlan(ctx: Ctx, id: string, param = 'plan'): Promise<Plan> {
  const found = await findObject<Price>(ctx, 'price', id);
  if (!found || found.data.recurring === null) throw errors.resourceMissing('plan', id, param);
  return planOf(found.data);
}

export async function createPlan(ctx: Ctx, params: InferShape<typeof planCreateShape>): Promise<Plan> {
  if (params.id !== undefined && (await findAnyObject(ctx, params.id))) throw errors.resourceExists('Plan already exists.', 'id');
  if (params.billing_scheme !== 'tiered' && params.amount === undefined && params.amount_decimal === undefined) throw errors.missingParam('amount');
  const product =
    typeof params.product === 'string' ? await getProduct(ctx, params.product, 'product') : await createProduct(ctx, params.product, 'product');
  const price = await insertPrice(
    ctx,
    {
      ...(params.id !== undefined ? { id: params.id } : {}),
      product: product.id,
      currency: params.currency,
      ...(params.active !== undefined ? { active: params.active } : {}),
      ...(params.amount !== undefined ? { unit_amount: params.amount } : {}),
      ...(params.amount_decimal !== undefined ? { unit_amount_decimal: params.amount_decimal } : {}),
      ...(params.billing_scheme !== undefined ? { billing_scheme: params.billing_scheme } : {}),
      ...(params.tiers !== undefined ? { tiers: params.tiers } : {}),
      ...(params.tiers_mode !== undefined ? { tiers_mode: params.tiers_mode } : {}),
      ...(params.transform_usage !== undefined ? { transform_quantity: params.transform_usage } : {}),
      recurring: {
        interval: params.interval,
        ...(params.interval_count !== undefined ? { interval_count: params.interval_count } : {}),
        ...(params.trial_period_days !== undefined ? { trial_period_days: params.trial_period_days } : {}),
        ...(params.usage_type !== undefined ? { usage_type: params.usage_type } : {}),
        ...(params.meter !== undefined ? { meter: params.meter } : {}),
      },
      ...(params.nickname !== undefined ? { nickname: params.nickname } : {}),
      ...(params.metadata !== undefined ? { metadata: params.metadata } : {}),
    },
    '',
  );
  const plan = planOf(price);
  await emit(ctx, 'plan.created', plan);
  return plan;
}

export async function updatePlan(ctx: Ctx, id: string, params: InferShape<typeof planUpdateShape>): Promise<Plan> {
  const before = await getPlan(ctx, id, 'id');
  await getObject<Price>(ctx, 'price', 'plan', id, { forUpdate: true });
  let price = await updatePrice(ctx, id, {
    ...(params.active !== undefined ? { active: params.active } : {}),
    ...(params.metadata !== undefined ? { metadata: params.metadata } : {}),
    ...(params.nickname !== undefined && params.nickname !== null ? { nickname: params.nickname } : {}),
  });
  // What a price's update cannot change, a plan's can: unset its nickname, move it to another
  // product, change its trial days.
  const extra: Price = structuredClone(price);
  if (params.nickname === null) extra.nickname = null;
  if (params.product !== undefined) extra.product = (await getProduct(ctx, params.product, 'product')).id;
  if (params.trial_period_days !== undefined) extra.recurring = { ...extra.recurring!, trial_period_days: params.trial_period_days };
  if (JSON.stringify(extra) !== JSON.stringify(price)) {
    await updateObject(ctx, id, { data: extra });
    await emitUpdated(ctx, 'price.updated', price, extra);
    price = extra;
  }
  const plan = planOf(price);
  await emitUpdated(ctx, 'plan.updated', before, plan);
  return plan;
}

/** Deletes the plan and so its price (a product's default price cannot go). */
export async function deletePlan(ctx: Ctx, id: string): Promise<{ id: string; object: 'plan'; deleted: true }> {
  const plan = await getPlan(ctx, id, 'id');
  const price = (await getObject<Price>(ctx, 'price', 'plan', id, { forUpdate: true })).data;
  const product = await findObject<Product>(ctx, 'product', price.product);
  if (product?.data.default_price === id) {
    throw errors.invalidRequest('This plan cannot be deleted because its price is the default price of its product.', 'id');
  }
  await updateObject(ctx, id, { deleted: true });
  await emit(ctx, 'plan.deleted', plan);
  await emit(ctx, 'price.deleted', price);
  return { id, object: 'plan', deleted: true };
}

export async function listPlans(ctx: Ctx, filters: { active?: boolean; product?: string; created?: RangeFilter }, page: ListOptions) {
  return listPrices(ctx, { ...filters, type: 'recurring' }, page);
}
