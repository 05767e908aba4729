/**
 * Invoice items: one-off charges (or credits, with a negative amount) for a customer, pending until an
 * invoice pulls them in (`invoice` is then set and they no longer change), or added straight to a
 * draft invoice (`invoice`). The amount is either `amount` + `currency`, or a unit price times a
 * quantity: the unit from a price (`pricing[price]`, `price`), an inline price (`price_data`, see
 * inline-prices.ts) or `unit_amount_decimal` (+ `currency`); the quantity from `quantity` or
 * `quantity_decimal`; amount = unit × quantity rounded half up to the minor unit (integers only).
 * Invariants: only pending items can be updated or deleted; `discountable` defaults to true, false
 * for negative amounts (as Stripe); tax rates must be active when applied; `discounts` are the item's
 * own (discounts.ts), applied to its line only. `tax_behavior` is accepted as Stripe does without
 * automatic tax: taxes come from tax rates (whose `inclusive` decides). Items of a customer on a test
 * clock are dated at the clock's time. Events: invoiceitem.created / deleted (Stripe has no
 * invoiceitem.updated).
 */
import { ApiError, errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { MAX_AMOUNT, parseCurrency, roundDiv } from '../lib/money.ts';
import { mergeMetadata, p, type InferShape, type RangeFilter } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import {
  findObject,
  getObject,
  insertObject,
  listObjects,
  updateObject,
  whereCreated,
  type ListOptions,
} from '../storage/objects.ts';
import { sql } from 'kysely';
import { emit } from '../events/outbox.ts';
import { getCustomer } from './customers.ts';
import { attachLineDiscounts, lineDiscountsParam } from './discounts.ts';
import { createInlinePrice, oneTimePriceDataParam } from './inline-prices.ts';
import { addItemToDraft } from './invoices/lines.ts';
import { amountForQuantity } from './price-amounts.ts';
import { priceTerms } from './price-details.ts';
import { getPrice, type Price } from './prices.ts';
import { applicableTaxRates, type TaxRate } from './tax-rates.ts';

export interface InvoiceItem {
  id: string;
  object: 'invoiceitem';
  amount: number;
  currency: string;
  customer: string;
  customer_account: null;
  date: number;
  description: string | null;
  discountable: boolean;
  discounts: string[];
  invoice: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  parent: { type: 'subscription_details'; subscription_details: { subscription: string } } | null;
  period: { start: number; end: number };
  pricing: {
    type: 'price_details';
    price_details: { price: string; product: string };
    unit_amount_decimal: string | null;
  } | null;
  proration: boolean;
  quantity: number;
  quantity_decimal: string;
  tax_rates: TaxRate[];
  test_clock: string | null;
}

export interface DeletedInvoiceItem {
  id: string;
  object: 'invoiceitem';
  deleted: true;
}

const OBJECT = 'invoiceitem';
const NOUN = 'invoiceitem';

const periodParam = p.object({ start: p.timestamp().req(), end: p.timestamp().req() });

const common = {
  amount: p.integer({ min: -MAX_AMOUNT, max: MAX_AMOUNT }),
  description: p.string({ max: 500 }),
  discountable: p.boolean(),
  discounts: lineDiscountsParam,
  metadata: p.metadata(),
  period: periodParam,
  price_data: oneTimePriceDataParam,
  pricing: p.object({ price: p.string() }),
  quantity: p.integer({ min: 0, max: 1_000_000_000 }),
  quantity_decimal: p.decimal(),
  tax_behavior: p.enumOf(['exclusive', 'inclusive', 'unspecified']),
  tax_code: p.unsupported('tax codes belong to automatic tax, which Portico does not have: give tax_rates.'),
  unit_amount_decimal: p.decimal(),
};

export const invoiceItemCreateShape = {
  ...common,
  customer: p.string().req(),
  customer_account: p.unsupported('Accounts v2 are not available: give customer (a cus_ id).'),
  currency: p.string({ max: 3 }),
  invoice: p.string(),
  price: p.string(),
  subscription: p.string(),
  tax_rates: p.array(p.string(), { max: 10 }),
};

export const invoiceItemUpdateShape = {
  ...common,
  invoicing_rules: p.unsupported('invoicing rules (bill after a date) are not implemented.'),
  tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
};

export type InvoiceItemCreate = InferShape<typeof invoiceItemCreateShape>;
export type InvoiceItemUpdate = InferShape<typeof invoiceItemUpdateShape>;

function checkPeriod(period: { start: number; end: number }): void {
  if (period.end < period.start) throw errors.invalidParam('period[end]', 'The period end must be on or after its start.');
}

const SCALE = 10n ** 12n;

/** A decimal string (≤ 12 places) as an integer of 10⁻¹² units. */
function scaled(decimal: string): bigint {
  const [whole, frac = ''] = decimal.split('.');
  return BigInt(whole!) * SCALE + BigInt(frac.padEnd(12, '0'));
}

/** What `quantity` of `price` costs (tiered and transformed prices included: price-amounts.ts). */
async function priced(ctx: Ctx, price: Price, quantity: number, param: string): Promise<number> {
  const terms = await priceTerms(ctx, price);
  if (!terms || price.custom_unit_amount !== null || (price.billing_scheme === 'per_unit' && price.unit_amount === null)) {
    throw errors.invalidParam(param, `The price ${price.id} has no unit_amount.`);
  }
  const amount = amountForQuantity(terms, quantity);
  if (amount > MAX_AMOUNT) throw errors.invalidParam(param, 'The invoice item amount is too large.');
  return amount;
}

/**
 * What `quantity` (a decimal string) of a price costs: unit × quantity for a plain per-unit price
 * (decimal quantities allowed), else the price's tiers or transform on a whole quantity.
 */
async function amountOfPrice(ctx: Ctx, price: Price, quantity: string, param: string): Promise<number> {
  if (price.billing_scheme === 'per_unit' && price.transform_quantity === null && price.unit_amount_decimal !== null) {
    return unitTimesQuantity(price.unit_amount_decimal, quantity, param);
  }
  if (!/^\d+$/.test(quantity)) {
    throw errors.invalidParam('quantity_decimal', `The price ${price.id} is tiered or transforms its quantity: give a whole quantity.`);
  }
  return priced(ctx, price, Number(quantity), param);
}

/** unit × quantity, half up to the minor unit, refusing amounts over the maximum (400 naming `param`). */
export function unitTimesQuantity(unitDecimal: string, quantityDecimal: string, param: string): number {
  const amount = roundDiv(scaled(unitDecimal) * scaled(quantityDecimal), SCALE * SCALE);
  if (amount > BigInt(MAX_AMOUNT)) throw errors.invalidParam(param, 'The invoice item amount is too large.');
  return Number(amount);
}

interface Pricing {
  amount: number;
  currency: string;
  pricing: InvoiceItem['pricing'];
  quantity: number;
  quantity_decimal: string;
}

type AmountParams = Pick<InvoiceItemCreate, 'amount' | 'currency' | 'price' | 'pricing' | 'price_data' | 'quantity' | 'quantity_decimal' | 'unit_amount_decimal'>;

/**
 * The amount, currency, pricing and quantity from the params (see the module comment); `current`:
 * the item being updated, whose price and quantity stand unless the params replace them.
 */
async function pricingOf(ctx: Ctx, params: AmountParams, current?: InvoiceItem): Promise<Pricing> {
  const sources = (['amount', 'price', 'pricing', 'price_data', 'unit_amount_decimal'] as const).filter((k) => params[k] !== undefined);
  if (sources.length > 1) {
    throw errors.exclusive(sources.map((k) => (k === 'pricing' ? 'pricing[price]' : k)));
  }
  if (params.quantity !== undefined && params.quantity_decimal !== undefined) throw errors.exclusive(['quantity', 'quantity_decimal']);
  const qty = params.quantity_decimal ?? (params.quantity !== undefined ? String(params.quantity) : (current?.quantity_decimal ?? '1'));
  const quantityOf = (q: string) => ({ quantity: Math.trunc(Number(q)), quantity_decimal: q });
  let unit: string;
  let currency: string;
  let pricing: InvoiceItem['pricing'] = null;
  let param: string;
  if (params.price !== undefined || params.pricing?.price !== undefined || params.price_data !== undefined) {
    let price: Price;
    if (params.price_data !== undefined) {
      price = await createInlinePrice(ctx, params.price_data, 'price_data');
      param = 'price_data';
    } else {
      param = params.price !== undefined ? 'price' : 'pricing[price]';
      price = await getPrice(ctx, (params.price ?? params.pricing!.price)!, param);
    }
    currency = price.currency;
    if (params.currency !== undefined && parseCurrency(params.currency) !== currency) {
      throw errors.invalidParam('currency', `The currency must match the price's currency (${currency}).`);
    }
    pricing = { type: 'price_details', price_details: { price: price.id, product: price.product }, unit_amount_decimal: price.unit_amount_decimal };
    return { amount: await amountOfPrice(ctx, price, qty, param), currency, pricing, ...quantityOf(qty) };
  } else if (params.unit_amount_decimal !== undefined) {
    if (params.currency === undefined && current === undefined) throw errors.missingParam('currency');
    currency = params.currency !== undefined ? parseCurrency(params.currency) : current!.currency;
    unit = params.unit_amount_decimal;
    param = 'unit_amount_decimal';
    // An amount of its own, no price: the unit shows on the item's pricing.
    pricing = null;
    const amount = unitTimesQuantity(unit, qty, param);
    return { amount, currency, pricing, ...quantityOf(qty) };
  } else if (params.amount !== undefined || current === undefined) {
    if (params.amount === undefined) throw errors.missingParam('amount');
    if (current === undefined && params.currency === undefined) throw errors.missingParam('currency');
    if (params.quantity !== undefined || params.quantity_decimal !== undefined) {
      throw errors.invalidParam(params.quantity !== undefined ? 'quantity' : 'quantity_decimal', 'quantity can only be given with a unit price (pricing[price], price_data or unit_amount_decimal).');
    }
    return { amount: params.amount, currency: params.currency !== undefined ? parseCurrency(params.currency) : current!.currency, pricing: null, ...quantityOf('1') };
  } else if (current.pricing !== null && current.pricing.unit_amount_decimal === null) {
    // A tiered or transformed price: the new quantity is priced by the price's own terms.
    const price = await getPrice(ctx, current.pricing.price_details.price, 'pricing[price]');
    return { amount: await amountOfPrice(ctx, price, qty, 'quantity'), currency: current.currency, pricing: current.pricing, ...quantityOf(qty) };
  } else if (current.pricing !== null) {
    unit = current.pricing.unit_amount_decimal ?? '0';
    currency = current.currency;
    pricing = current.pricing;
    param = 'quantity';
  } else if (params.quantity !== undefined || params.quantity_decimal !== undefined) {
    throw errors.invalidParam(params.quantity !== undefined ? 'quantity' : 'quantity_decimal', 'quantity can only be given with a unit price (pricing[price], price_data or unit_amount_decimal).');
  } else {
    return { amount: current.amount, currency: current.currency, pricing: current.pricing, quantity: current.quantity, quantity_decimal: current.quantity_decimal };
  }
  return { amount: unitTimesQuantity(unit, qty, param), currency, pricing, ...quantityOf(qty) };
}

/** Options for items the engine makes (a subscription's `add_invoice_items`). */
export interface InvoiceItemOptions {
  /** Where the params sit in the request, for error names (`add_invoice_items[0]`). */
  prefix?: string;
}

export async function createInvoiceItem(ctx: Ctx, params: InvoiceItemCreate, opts: InvoiceItemOptions = {}): Promise<InvoiceItem> {
  try {
    return await createItemNow(ctx, params);
  } catch (err) {
    if (opts.prefix && err instanceof ApiError && err.body.param) {
      const [head, ...rest] = err.body.param.split('[');
      err.body.param = `${opts.prefix}[${head}]${rest.length ? '[' + rest.join('[') : ''}`;
    }
    throw err;
  }
}

async function createItemNow(ctx: Ctx, params: InvoiceItemCreate): Promise<InvoiceItem> {
  const customer = await getCustomer(ctx, params.customer, 'customer');
  const priced = await pricingOf(ctx, params);
  let parent: InvoiceItem['parent'] = null;
  if (params.subscription !== undefined) {
    const sub = await findObject<{ customer: string }>(ctx, 'subscription', params.subscription);
    if (!sub) throw errors.resourceMissing('subscription', params.subscription, 'subscription');
    if (sub.data.customer !== customer.id) {
      throw errors.invalidParam('subscription', `The subscription ${params.subscription} belongs to another customer.`);
    }
    parent = { type: 'subscription_details', subscription_details: { subscription: params.subscription } };
  }
  const now = ctx.clock.now();
  const period = params.period ?? { start: now, end: now };
  checkPeriod(period);
  const id = newId('invoiceitem');
  const discounts = await attachLineDiscounts(
    ctx,
    { customer: customer.id, subscription: params.subscription ?? null, subscription_item: null, invoice_item: id },
    priced.currency,
    params.discounts ?? [],
    'discounts',
  );
  const item: InvoiceItem = {
    id,
    object: OBJECT,
    amount: priced.amount,
    currency: priced.currency,
    customer: customer.id,
    customer_account: null,
    date: now,
    description: params.description ?? null,
    discountable: params.discountable ?? priced.amount >= 0,
    discounts: discounts.map((d) => d.id),
    invoice: null,
    livemode: ctx.livemode,
    metadata: mergeMetadata({}, params.metadata),
    parent,
    period,
    pricing: priced.pricing,
    proration: false,
    quantity: priced.quantity,
    quantity_decimal: priced.quantity_decimal,
    tax_rates: await applicableTaxRates(ctx, params.tax_rates ?? [], 'tax_rates'),
    test_clock: customer.test_clock,
  };
  await insertObject(ctx, { id: item.id, object: OBJECT, created: now, customer: customer.id, data: item, test_clock: customer.test_clock });
  await emit(ctx, 'invoiceitem.created', item);
  if (params.invoice !== undefined) {
    item.invoice = params.invoice;
    await addItemToDraft(ctx, params.invoice, item, 'invoice');
    await updateObject(ctx, item.id, { data: item });
  }
  return item;
}

export async function getInvoiceItem(ctx: Ctx, id: string, param = 'id', forUpdate = false): Promise<InvoiceItem> {
  return (await getObject<InvoiceItem>(ctx, OBJECT, NOUN, id, { param, forUpdate })).data;
}

function assertPending(item: InvoiceItem, action: string): void {
  if (item.invoice !== null) {
    throw errors.invalidRequest(
      `You can only ${action} an invoice item that is not yet on an invoice; ${item.id} is on ${item.invoice}.`,
      undefined,
      'invoice_not_editable',
    );
  }
}

/** `onDraft`: the draft invoice the item is on, which its line edits may change (invoices/line-edits.ts). */
export async function updateInvoiceItem(ctx: Ctx, id: string, params: InvoiceItemUpdate, opts: { onDraft?: string } = {}): Promise<InvoiceItem> {
  const before = await getInvoiceItem(ctx, id, 'id', true);
  if (opts.onDraft === undefined || before.invoice !== opts.onDraft) assertPending(before, 'update');
  const after: InvoiceItem = structuredClone(before);
  if (params.amount !== undefined && before.pricing !== null && params.pricing === undefined && params.price_data === undefined) {
    throw errors.invalidParam('amount', 'This invoice item has a price: change its quantity instead.');
  }
  const priced = await pricingOf(ctx, params, before);
  if (priced.currency !== before.currency) throw errors.invalidParam('currency', `The invoice item is in ${before.currency}; its currency cannot change.`);
  Object.assign(after, { amount: priced.amount, pricing: priced.pricing, quantity: priced.quantity, quantity_decimal: priced.quantity_decimal });
  if (params.description !== undefined) after.description = params.description;
  if (params.discountable === true && before.proration) {
    // Stripe: always false for prorations; the amount already reflects the subscription's discounts.
    throw errors.invalidParam('discountable', 'A proration is never discountable: its amount already reflects the discounts it lists.');
  }
  if (params.discountable !== undefined) after.discountable = params.discountable;
  if (params.period !== undefined) {
    checkPeriod(params.period);
    after.period = params.period;
  }
  if (params.discounts !== undefined) {
    const owner = { customer: before.customer, subscription: before.parent?.subscription_details.subscription ?? null, subscription_item: null, invoice_item: id };
    after.discounts = (await attachLineDiscounts(ctx, owner, before.currency, params.discounts ?? [], 'discounts')).map((d) => d.id);
  }
  if (params.tax_rates !== undefined) after.tax_rates = await applicableTaxRates(ctx, params.tax_rates ?? [], 'tax_rates');
  after.metadata = mergeMetadata(after.metadata, params.metadata);
  await updateObject(ctx, id, { data: after });
  return after;
}

export async function deleteInvoiceItem(ctx: Ctx, id: string): Promise<DeletedInvoiceItem> {
  const item = await getInvoiceItem(ctx, id, 'id', true);
  assertPending(item, 'delete');
  await updateObject(ctx, id, { deleted: true });
  await emit(ctx, 'invoiceitem.deleted', item);
  return { id, object: OBJECT, deleted: true };
}

export interface InvoiceItemListFilters {
  customer?: string;
  invoice?: string;
  pending?: boolean;
  created?: RangeFilter;
}

export async function listInvoiceItems(ctx: Ctx, filters: InvoiceItemListFilters, page: ListOptions) {
  return listObjects<InvoiceItem>(ctx, OBJECT, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.customer !== undefined) out = out.where('customer', '=', filters.customer);
      if (filters.invoice !== undefined) out = out.where(sql<string>`data->>'invoice'`, '=', filters.invoice);
      if (filters.pending === true) out = out.where(sql<string>`data->>'invoice'`, 'is', null);
      if (filters.pending === false) out = out.where(sql<string>`data->>'invoice'`, 'is not', null);
      if (filters.created) out = whereCreated(out, filters.created);
      return out;
    },
  });
}
