/**
 * Plans: Stripe's older object for a recurring price. A plan is not stored on its own: it is the
 * recurring price with the same id, seen through the plan's fields (`amount` for `unit_amount`,
 * `interval` for `recurring.interval`, `transform_usage` for `transform_quantity`), so the two can
 * never disagree. `/v1/plans` creates, updates and deletes such prices (api/resources/plans.ts).
 */
import type { TransformQuantity } from './price-amounts.ts';
import type { Price } from './prices.ts';

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
