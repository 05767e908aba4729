/**
 * `/v1/plans`: create, retrieve, update, delete, list, over the recurring prices they are (see
 * billing/plans.ts). Also `items[][plan]` on subscriptions and `plan` on subscription items, which
 * name the same price as `price` would.
 */
import { errors } from '../../lib/errors.ts';
import { listShape, p, parseParams, rangeFilter, type Decoded } from '../../lib/params.ts';
import { createPlan, deletePlan, getPlan, listPlans, planCreateShape, planOf, planUpdateShape, updatePlan } from '../../billing/plans.ts';
import { priceTiers } from '../../billing/price-details.ts';
import type { Price } from '../../billing/prices.ts';
import { findObject } from '../../storage/objects.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('plan', {
  fields: { product: { target: 'product' } },
  includes: {
    tiers: async (ctx, plan) => {
      const price = await findObject<Price>(ctx, 'price', plan.id, { includeDeleted: true });
      return price ? priceTiers(ctx, price.data) : null;
    },
  },
});

const listPlansShape = { ...listShape, active: p.boolean(), product: p.string(), created: rangeFilter() };

/** `plan` → `price` in one entry (both given: Stripe's 400). */
function planAsPrice(entry: unknown, param: string): unknown {
  if (entry === null || typeof entry !== 'object' || !('plan' in entry)) return entry;
  const { plan, ...rest } = entry as Record<string, unknown>;
  if ('price' in rest) throw errors.exclusive([`${param}[plan]`, `${param}[price]`]);
  return { ...rest, price: plan };
}

/**
 * Params with each `items[i][plan]` (or a subscription item's `plan`) given as `price`: a plan is its
 * price, so the subscription code knows prices only.
 */
export function plansAsPrices(params: Decoded, where: 'items' | 'top'): Decoded {
  if (where === 'top') return planAsPrice(params, '') as Decoded;
  const items = params.items;
  if (items === null || typeof items !== 'object') return params;
  const mapped = Array.isArray(items)
    ? items.map((e, i) => planAsPrice(e, `items[${i}]`))
    : Object.fromEntries(Object.entries(items).map(([k, e]) => [k, planAsPrice(e, `items[${k}]`)]));
  return { ...params, items: mapped };
}

export function registerPlans(r: Routes): void {
  r.post('/v1/plans', (ctx, params) => createPlan(ctx, parseParams(planCreateShape, params)));
  r.get('/v1/plans', async (ctx, params, c) => {
    const q = parseParams(listPlansShape, params);
    const page = await listPlans(ctx, q, pagination(q));
    return pageEnvelope(c.req.path, page, (o) => planOf(o.data));
  });
  r.get('/v1/plans/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getPlan(ctx, pathParam(c, 'id'), 'id');
  });
  r.post('/v1/plans/:id', (ctx, params, c) => updatePlan(ctx, pathParam(c, 'id'), parseParams(planUpdateShape, params)));
  r.delete('/v1/plans/:id', (ctx, params, c) => {
    parseParams({}, params);
    return deletePlan(ctx, pathParam(c, 'id'));
  });
}
