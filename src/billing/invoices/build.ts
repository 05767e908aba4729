/**
 * Builds an invoice's lines and totals from what it is made of (stored lines, discounts, default tax
 * rates), reading the tax rates, coupons and prices it names. Drafts are rebuilt with this whenever
 * they change, previews use it without storing, so a preview and the real invoice cannot disagree.
 */
import { errors } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import type { Coupon } from '../coupons.ts';
import type { Price } from '../prices.ts';
import type { TaxRate } from '../tax-rates.ts';
import { computeTotals, type DiscountInput, type RateInput } from './totals.ts';
import type { Invoice, InvoiceLineItem, StoredDiscount, StoredLine } from './types.ts';

/** How many lines an invoice embeds (the rest: `GET /v1/invoices/{id}/lines`). */
export const EMBEDDED_LINES = 10;

async function loadRate(ctx: Ctx, id: string): Promise<TaxRate> {
  const found = await findObject<TaxRate>(ctx, 'tax_rate', id, { includeDeleted: true });
  if (!found) throw errors.resourceMissing('tax rate', id, 'tax_rates');
  return found.data;
}

/** The coupon's discount in `currency`: its amount_off there (or a 400 naming `param`), or its percent. */
export function couponInCurrency(coupon: Coupon, currency: string, param: string): Pick<DiscountInput, 'percent_off' | 'amount_off'> {
  if (coupon.percent_off !== null) return { percent_off: coupon.percent_off, amount_off: null };
  const amount =
    coupon.currency === currency ? coupon.amount_off : (coupon.currency_options?.[currency]?.amount_off ?? null);
  if (amount === null) {
    throw errors.invalidParam(
      param,
      `The coupon ${coupon.id} has an amount_off in ${coupon.currency ?? '?'} and cannot be applied to an invoice in ${currency}.`,
    );
  }
  return { percent_off: null, amount_off: amount };
}

/** Fills `invoice`'s lines and totals (mutates and returns it). `lineIdPrefix` is `il` (or `il_tmp`). */
export async function buildInvoice(
  ctx: Ctx,
  invoice: Invoice,
  lines: StoredLine[],
  discounts: StoredDiscount[],
): Promise<{ invoice: Invoice; allLines: InvoiceLineItem[] }> {
  const rateCache = new Map<string, TaxRate>();
  const rate = async (id: string) => {
    let r = rateCache.get(id);
    if (!r) rateCache.set(id, (r = await loadRate(ctx, id)));
    return r;
  };
  const defaults = invoice.default_tax_rates.map((r) => r.id);
  const priceCache = new Map<string, Price>();
  const totalsLines = [];
  for (const { input } of lines) {
    const ids = input.tax_rates.length > 0 ? input.tax_rates : defaults;
    const rates: RateInput[] = [];
    for (const id of ids) {
      const r = await rate(id);
      rates.push({ id: r.id, percentage: r.percentage, inclusive: r.inclusive });
    }
    let product: string | null = null;
    if (input.price !== null) {
      let price = priceCache.get(input.price);
      if (!price) {
        const found = await findObject<Price>(ctx, 'price', input.price, { includeDeleted: true });
        if (!found) throw errors.resourceMissing('price', input.price, 'price');
        priceCache.set(input.price, (price = found.data));
      }
      product = price.product;
    }
    totalsLines.push({ amount: input.amount, discountable: input.discountable, product, rates });
  }
  const discountInputs: DiscountInput[] = [];
  // A line's own discounts (its invoice item's or subscription item's) come before the invoice's.
  for (const [i, { input }] of lines.entries()) {
    for (const ld of input.discounts ?? []) {
      const found = await findObject<Coupon>(ctx, 'coupon', ld.coupon, { includeDeleted: true });
      if (!found) throw errors.resourceMissing('coupon', ld.coupon, 'discounts');
      discountInputs.push({
        id: ld.discount,
        ...couponInCurrency(found.data, invoice.currency, 'discounts'),
        products: found.data.applies_to?.products ?? null,
        lines: [i],
      });
    }
  }
  for (const [i, d] of discounts.entries()) {
    const found = await findObject<Coupon>(ctx, 'coupon', d.coupon, { includeDeleted: true });
    if (!found) throw errors.resourceMissing('coupon', d.coupon, `discounts[${i}][coupon]`);
    discountInputs.push({
      id: d.id,
      ...couponInCurrency(found.data, invoice.currency, `discounts[${i}][coupon]`),
      products: found.data.applies_to?.products ?? null,
    });
  }
  const totals = computeTotals(totalsLines, discountInputs);

  const allLines: InvoiceLineItem[] = lines.map(({ id, input }, i) => {
    const result = totals.lines[i]!;
    const price = input.price === null ? undefined : priceCache.get(input.price);
    const credited = input.proration_details?.credited_items ?? null;
    const details = { proration: input.proration, proration_details: { credited_items: credited }, subscription: input.subscription };
    return {
      id,
      object: 'line_item',
      amount: input.amount,
      currency: invoice.currency,
      description: input.description,
      discount_amounts: result.discount_amounts,
      discountable: input.discountable,
      discounts: (input.discounts ?? []).map((d) => d.discount),
      invoice: invoice.id,
      livemode: ctx.livemode,
      metadata: input.metadata ?? {},
      parent:
        input.type === 'invoice_item_details'
          ? {
              type: 'invoice_item_details',
              invoice_item_details: { invoice_item: input.invoice_item ?? '', ...details },
              subscription_item_details: null,
            }
          : {
              type: 'subscription_item_details',
              invoice_item_details: null,
              subscription_item_details: {
                invoice_item: input.invoice_item,
                ...details,
                subscription_item: input.subscription_item ?? '',
              },
            },
      period: { start: input.period.start, end: input.period.end },
      pretax_credit_amounts: [],
      pricing: price
        ? {
            type: 'price_details',
            price_details: { price: price.id, product: price.product },
            unit_amount_decimal: input.unit_amount_decimal !== undefined ? input.unit_amount_decimal : price.unit_amount_decimal,
          }
        : null,
      quantity: input.quantity,
      quantity_decimal: String(input.quantity),
      subscription: input.subscription,
      subtotal: input.amount,
      taxes: result.taxes.map((t) => ({
        amount: t.amount,
        tax_behavior: t.inclusive ? 'inclusive' : 'exclusive',
        tax_rate_details: { tax_rate: t.rate },
        taxability_reason: 'not_available',
        taxable_amount: t.taxable_amount,
        type: 'tax_rate_details',
      })),
    };
  });

  invoice.lines = {
    object: 'list',
    data: allLines.slice(0, EMBEDDED_LINES),
    has_more: allLines.length > EMBEDDED_LINES,
    url: `/v1/invoices/${invoice.id}/lines`,
  };
  invoice.subtotal = totals.subtotal;
  invoice.subtotal_excluding_tax = totals.subtotal_excluding_tax;
  invoice.total_discount_amounts = totals.total_discount_amounts;
  invoice.total_taxes = totals.total_taxes.map((t) => ({
    amount: t.amount,
    tax_behavior: t.inclusive ? 'inclusive' : 'exclusive',
    tax_rate_details: { tax_rate: t.rate },
    taxability_reason: 'not_available',
    taxable_amount: t.taxable_amount,
    type: 'tax_rate_details',
  }));
  // Shipping comes after discounts and taxes of the lines: neither applies to it (see shipping.ts).
  const shipping = invoice.shipping_cost;
  invoice.amount_shipping = shipping?.amount_subtotal ?? 0;
  invoice.total_excluding_tax = totals.total_excluding_tax + (shipping?.amount_subtotal ?? 0);
  invoice.total = totals.total + (shipping?.amount_total ?? 0);
  invoice.discounts = discounts.map((d) => d.id);
  return { invoice, allLines };
}
