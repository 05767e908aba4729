/**
 * `price_data`: a price made inline by the object that uses it (an invoice item, a subscription item,
 * an invoice line). It is a real price of the catalog (`price.created`), archived (`active: false`) so
 * that it is not offered again, and errors name its params under the caller's `price_data[…]`.
 */
import { ApiError } from '../lib/errors.ts';
import { p } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { createPrice, type Price } from './prices.ts';

const TAX_BEHAVIORS = ['exclusive', 'inclusive', 'unspecified'] as const;

const common = {
  currency: p.string({ max: 3 }).req(),
  product: p.string().req(),
  tax_behavior: p.enumOf(TAX_BEHAVIORS),
  unit_amount: p.integer({ min: 0 }),
  unit_amount_decimal: p.decimal(),
};

/** `price_data` of a one-off line (invoice items, `add_invoice_items`, invoice lines). */
export const oneTimePriceDataParam = p.object(common);

/** `price_data` of a subscription item (recurring). */
export const recurringPriceDataParam = p.object({
  ...common,
  recurring: p.object({ interval: p.enumOf(['day', 'week', 'month', 'year']).req(), interval_count: p.integer({ min: 1 }) }).req(),
});

export type OneTimePriceData = NonNullable<ReturnType<typeof oneTimePriceDataParam.parse>>;
export type RecurringPriceData = NonNullable<ReturnType<typeof recurringPriceDataParam.parse>>;

/** Creates the inline price; `prefix` is where `price_data` sits in the request (`items[0][price_data]`). */
export async function createInlinePrice(ctx: Ctx, data: OneTimePriceData | RecurringPriceData, prefix: string): Promise<Price> {
  try {
    return await createPrice(ctx, { ...data, active: false });
  } catch (err) {
    if (err instanceof ApiError && err.body.param) {
      const [head, ...rest] = err.body.param.split('[');
      err.body.param = `${prefix}[${head}]${rest.length ? '[' + rest.join('[') : ''}`;
    }
    throw err;
  }
}
