/**
 * Shipping rates (`/v1/shipping_rates`: fixed amounts in one currency) and shipping on invoices
 * (`shipping_cost`): an existing rate (`shipping_rate`, a `shr_` id) or one made for the invoice from
 * `shipping_rate_data` (stored, so the id the invoice shows can be retrieved and used again). Invariants: the rate's currency is the
 * invoice's; the shipping amount is not discounted and not taxed (Stripe taxes shipping only with
 * automatic tax, which Portico does not have), so `amount_tax` = 0 and `amount_total` =
 * `amount_subtotal` = the rate's amount, which build.ts adds to `total` and `total_excluding_tax`
 * (`amount_shipping`), never to `subtotal`.
 */
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseCurrency } from '../../lib/money.ts';
import { sql } from 'kysely';
import { mergeMetadata, p, type InferShape, type RangeFilter } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject, insertObject, listObjects, updateObject, whereCreated, type ListOptions } from '../../storage/objects.ts';
import type { ShippingCost } from './types.ts';

type EstimateUnit = 'business_day' | 'day' | 'hour' | 'month' | 'week';

export interface ShippingRate {
  id: string;
  object: 'shipping_rate';
  active: boolean;
  created: number;
  delivery_estimate: { maximum: { unit: EstimateUnit; value: number } | null; minimum: { unit: EstimateUnit; value: number } | null } | null;
  display_name: string;
  fixed_amount: { amount: number; currency: string };
  livemode: boolean;
  metadata: Record<string, string>;
  tax_behavior: 'exclusive' | 'inclusive' | 'unspecified';
  tax_code: null;
  type: 'fixed_amount';
}

const estimate = p.object({
  unit: p.enumOf(['business_day', 'day', 'hour', 'month', 'week']).req(),
  value: p.integer({ min: 1 }).req(),
});

const ONE_CURRENCY = 'a shipping rate has one currency in Portico: give fixed_amount in the currency of the invoices it is for.';

/** `POST /v1/shipping_rates`, and `shipping_cost[shipping_rate_data]` on an invoice. */
export const shippingRateShape = {
  delivery_estimate: p.object({ maximum: estimate, minimum: estimate }),
  display_name: p.string({ max: 100 }).req(),
  fixed_amount: p.object({
    amount: p.integer({ min: 0 }).req(),
    currency: p.string({ max: 3 }).req(),
    currency_options: p.unsupported(ONE_CURRENCY),
  }),
  metadata: p.metadata(),
  tax_behavior: p.enumOf(['exclusive', 'inclusive', 'unspecified']),
  tax_code: p.unsupported('Portico has no tax engine, so shipping is not taxed and takes no tax code.'),
  type: p.enumOf(['fixed_amount']),
};

/** `POST /v1/shipping_rates/{id}`. */
export const shippingRateUpdateShape = {
  active: p.boolean(),
  fixed_amount: p.object({ currency_options: p.unsupported(ONE_CURRENCY) }),
  metadata: p.metadata(),
  tax_behavior: p.enumOf(['exclusive', 'inclusive', 'unspecified']),
};

export const shippingCostParam = p.emptyable(
  p.object({
    shipping_rate: p.string({ max: 5000 }),
    shipping_rate_data: p.object(shippingRateShape),
  }),
);

export type ShippingCostInput = NonNullable<InferShape<{ s: typeof shippingCostParam }>['s']>;

const PARAM = 'shipping_cost';

/**
 * The invoice's `shipping_cost` for `given` (null when unset): a stored rate, or a new one made and
 * stored from `shipping_rate_data`. Errors name the parameter at fault.
 * @example await resolveShippingCost(ctx, 'usd', { shipping_rate_data: { display_name: 'Ground', fixed_amount: { amount: 500, currency: 'usd' } } })
 */
export async function resolveShippingCost(ctx: Ctx, currency: string, given: ShippingCostInput | null): Promise<ShippingCost | null> {
  if (given === null) return null;
  if (given.shipping_rate !== undefined && given.shipping_rate_data !== undefined) {
    throw errors.exclusive([`${PARAM}[shipping_rate]`, `${PARAM}[shipping_rate_data]`]);
  }
  let rate: ShippingRate;
  if (given.shipping_rate !== undefined) {
    const found = await findObject<ShippingRate>(ctx, 'shipping_rate', given.shipping_rate);
    if (!found) throw errors.resourceMissing('shipping rate', given.shipping_rate, `${PARAM}[shipping_rate]`);
    rate = found.data;
    if (!rate.active) throw errors.invalidParam(`${PARAM}[shipping_rate]`, `The shipping rate ${rate.id} is inactive.`);
    if (rate.fixed_amount.currency !== currency) {
      throw errors.invalidParam(`${PARAM}[shipping_rate]`, `The shipping rate ${rate.id} is in ${rate.fixed_amount.currency}, the invoice in ${currency}.`);
    }
  } else if (given.shipping_rate_data !== undefined) {
    const at = `${PARAM}[shipping_rate_data]`;
    const data = given.shipping_rate_data;
    if (data.fixed_amount !== undefined && parseCurrency(data.fixed_amount.currency, `${at}[fixed_amount][currency]`) !== currency) {
      throw errors.invalidParam(`${at}[fixed_amount][currency]`, `The shipping rate's currency (${data.fixed_amount.currency}) must be the invoice's (${currency}).`);
    }
    rate = await createShippingRate(ctx, data, at);
  } else {
    throw errors.missingParam(`${PARAM}[shipping_rate]`);
  }
  const amount = rate.fixed_amount.amount;
  return { amount_subtotal: amount, amount_tax: 0, amount_total: amount, shipping_rate: rate.id, taxes: [] };
}

/**
 * `POST /v1/shipping_rates` (or an invoice's `shipping_rate_data`, `at` naming where errors point).
 * @example await createShippingRate(ctx, { display_name: 'Ground', fixed_amount: { amount: 500, currency: 'usd' } })
 */
export async function createShippingRate(ctx: Ctx, data: InferShape<typeof shippingRateShape>, at = ''): Promise<ShippingRate> {
  if (data.fixed_amount === undefined) throw errors.missingParam(at === '' ? 'fixed_amount' : `${at}[fixed_amount]`);
  const rateCurrency = parseCurrency(data.fixed_amount.currency, at === '' ? 'fixed_amount[currency]' : `${at}[fixed_amount][currency]`);
  const created = ctx.clock.now();
  const rate: ShippingRate = {
    id: newId('shipping_rate'),
    object: 'shipping_rate',
    active: true,
    created,
    delivery_estimate: data.delivery_estimate
      ? { maximum: data.delivery_estimate.maximum ?? null, minimum: data.delivery_estimate.minimum ?? null }
      : null,
    display_name: data.display_name,
    fixed_amount: { amount: data.fixed_amount.amount, currency: rateCurrency },
    livemode: ctx.livemode,
    metadata: mergeMetadata({}, data.metadata),
    tax_behavior: data.tax_behavior ?? 'unspecified',
    tax_code: null,
    type: 'fixed_amount',
  };
  await insertObject(ctx, { id: rate.id, object: 'shipping_rate', created, customer: null, data: rate });
  return rate;
}

/** `GET /v1/shipping_rates/{id}`. */
export async function getShippingRate(ctx: Ctx, id: string): Promise<ShippingRate> {
  const found = await findObject<ShippingRate>(ctx, 'shipping_rate', id);
  if (!found) throw errors.resourceMissing('shipping rate', id, 'id');
  return found.data;
}

/**
 * `POST /v1/shipping_rates/{id}`: `active`, `metadata`, and `tax_behavior` while it is `unspecified`
 * (once set, Stripe keeps it). Invoices that use the rate keep the amount they took.
 */
export async function updateShippingRate(ctx: Ctx, id: string, params: InferShape<typeof shippingRateUpdateShape>): Promise<ShippingRate> {
  const found = await findObject<ShippingRate>(ctx, 'shipping_rate', id, { forUpdate: true });
  if (!found) throw errors.resourceMissing('shipping rate', id, 'id');
  const rate = structuredClone(found.data);
  if (params.active !== undefined) rate.active = params.active;
  rate.metadata = mergeMetadata(rate.metadata, params.metadata);
  if (params.tax_behavior !== undefined && params.tax_behavior !== rate.tax_behavior) {
    if (rate.tax_behavior !== 'unspecified') {
      throw errors.invalidParam('tax_behavior', `The tax_behavior of ${id} is ${rate.tax_behavior} and can no longer be changed.`);
    }
    rate.tax_behavior = params.tax_behavior;
  }
  await updateObject(ctx, id, { data: rate });
  return rate;
}

/** `GET /v1/shipping_rates`: newest first, by `active`, `currency` and `created`. */
export async function listShippingRates(
  ctx: Ctx,
  filters: { active?: boolean; currency?: string; created?: RangeFilter },
  page: ListOptions,
) {
  return listObjects<ShippingRate>(ctx, 'shipping_rate', {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.active !== undefined) out = out.where(sql<boolean>`(data->>'active')::boolean`, '=', filters.active);
      if (filters.currency !== undefined) out = out.where(sql<string>`data->'fixed_amount'->>'currency'`, '=', filters.currency.toLowerCase());
      if (filters.created) out = whereCreated(out, filters.created);
      return out;
    },
  });
}
