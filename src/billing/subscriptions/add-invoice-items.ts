/**
 * `add_invoice_items` (subscription create and update): one-off charges (a setup fee…) stored as
 * invoice items of the subscription, so the next invoice of the subscription takes them: on create,
 * the first invoice; on update, the invoice the change makes now (`always_invoice`, a reset) or else
 * the next renewal. Each entry has a price or an inline `price_data` (one-time), a quantity, tax rates,
 * its own discounts and a period (`now` … `now` unless given: `max_item_period_start`,
 * `min_item_period_end` or timestamps). Events: `invoiceitem.created` each.
 */
import { errors } from '../../lib/errors.ts';
import { p } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { discountEntryParam } from '../discounts.ts';
import { oneTimePriceDataParam } from '../inline-prices.ts';
import { createInvoiceItem } from '../invoice-items.ts';
import { currentPeriod } from './items.ts';
import type { Subscription } from './types.ts';

export const addInvoiceItemsParam = p.array(
  p.object({
    discountable: p.boolean(),
    discounts: p.array(discountEntryParam, { max: 20 }),
    metadata: p.metadata(),
    period: p.object({
      start: p.object({ type: p.enumOf(['max_item_period_start', 'now', 'timestamp']).req(), timestamp: p.timestamp() }).req(),
      end: p.object({ type: p.enumOf(['min_item_period_end', 'timestamp']).req(), timestamp: p.timestamp() }).req(),
    }),
    price: p.string(),
    price_data: oneTimePriceDataParam,
    quantity: p.integer({ min: 0, max: 1_000_000_000 }),
    tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
  }),
  { max: 20 },
);
export type AddInvoiceItems = NonNullable<ReturnType<typeof addInvoiceItemsParam.parse>>;

function stamp(end: { type: string; timestamp?: number }, param: string, fallback: number): number {
  if (end.type !== 'timestamp') return fallback;
  if (end.timestamp === undefined) throw errors.missingParam(`${param}[timestamp]`);
  return end.timestamp;
}

/** Stores the entries as pending invoice items of `sub` (see the module comment). */
export async function addInvoiceItems(ctx: Ctx, sub: Subscription, entries: AddInvoiceItems): Promise<void> {
  const now = ctx.clock.now();
  const current = currentPeriod(sub);
  for (const [i, e] of entries.entries()) {
    const at = `add_invoice_items[${i}]`;
    if (e.price === undefined && e.price_data === undefined) throw errors.missingParam(`${at}[price]`);
    let period = { start: now, end: now };
    if (e.period) {
      period = {
        start: e.period.start.type === 'now' ? now : stamp(e.period.start, `${at}[period][start]`, current.start),
        end: stamp(e.period.end, `${at}[period][end]`, current.end),
      };
    }
    const item = await createInvoiceItem(
      ctx,
      {
        customer: sub.customer,
        subscription: sub.id,
        currency: sub.currency,
        period,
        ...(e.price !== undefined ? { price: e.price } : {}),
        ...(e.price_data !== undefined ? { price_data: e.price_data } : {}),
        ...(e.quantity !== undefined ? { quantity: e.quantity } : {}),
        ...(e.tax_rates ? { tax_rates: e.tax_rates } : {}),
        ...(e.metadata !== undefined ? { metadata: e.metadata } : {}),
        ...(e.discounts !== undefined ? { discounts: e.discounts } : {}),
        ...(e.discountable !== undefined ? { discountable: e.discountable } : {}),
      },
      { prefix: at },
    );
    if (item.currency !== sub.currency) {
      throw errors.invalidParam(`${at}[price]`, `The price's currency (${item.currency}) must match the subscription's currency (${sub.currency}).`);
    }
  }
}
