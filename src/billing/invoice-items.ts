/**
 * Invoice items: one-off charges (or credits, with a negative amount) for a customer, pending until an
 * invoice pulls them in (`invoice` is then set and they no longer change). Either `amount` + `currency`,
 * or a price (`pricing[price]`, or `price`) and a `quantity` (amount = unit_amount × quantity, currency
 * the price's). Invariants: only pending items can be updated or deleted; `discountable` defaults to
 * true, false for negative amounts (as Stripe); tax rates must be active when applied. Items of a
 * customer on a test clock are dated at the clock's time. Events: invoiceitem.created / deleted (Stripe
 * has no invoiceitem.updated).
 */
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { MAX_AMOUNT, parseCurrency } from '../lib/money.ts';
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
  metadata: p.metadata(),
  period: periodParam,
  quantity: p.integer({ min: 0, max: 1_000_000_000 }),
};

export const invoiceItemCreateShape = {
  ...common,
  customer: p.string().req(),
  currency: p.string({ max: 3 }),
  price: p.string(),
  pricing: p.object({ price: p.string() }),
  subscription: p.string(),
  tax_rates: p.array(p.string(), { max: 10 }),
};

export const invoiceItemUpdateShape = {
  ...common,
  tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
};

export type InvoiceItemCreate = InferShape<typeof invoiceItemCreateShape>;
export type InvoiceItemUpdate = InferShape<typeof invoiceItemUpdateShape>;

function checkPeriod(period: { start: number; end: number }): void {
  if (period.end < period.start) throw errors.invalidParam('period[end]', 'The period end must be on or after its start.');
}

/** What `quantity` of `price` costs (tiered and transformed prices included: price-amounts.ts). */
async function priced(ctx: Ctx, price: Price, quantity: number, param: string): Promise<number> {
  const terms = await priceTerms(ctx, price);
  if (!terms || price.custom_unit_amount !== null || (price.billing_scheme === 'per_unit' && price.unit_amount === null)) {
    throw errors.invalidParam(param, `The price ${price.id} has no unit_amount.`);
  }
  const amount = amountForQuantity(terms, quantity);
  if (amount > MAX_AMOUNT) throw errors.invalidParam('quantity', 'The invoice item amount is too large.');
  return amount;
}

export async function createInvoiceItem(ctx: Ctx, params: InvoiceItemCreate): Promise<InvoiceItem> {
  const customer = await getCustomer(ctx, params.customer, 'customer');
  if (params.price !== undefined && params.pricing?.price !== undefined) throw errors.exclusive(['price', 'pricing[price]']);
  const priceId = params.price ?? params.pricing?.price;
  const priceParam = params.price !== undefined ? 'price' : 'pricing[price]';
  let amount: number;
  let currency: string;
  let pricing: InvoiceItem['pricing'] = null;
  const quantity = params.quantity ?? 1;
  if (priceId !== undefined) {
    if (params.amount !== undefined) throw errors.exclusive(['amount', priceParam]);
    const price = await getPrice(ctx, priceId, priceParam);
    if (params.currency !== undefined && parseCurrency(params.currency) !== price.currency) {
      throw errors.invalidParam('currency', `The currency must match the price's currency (${price.currency}).`);
    }
    amount = await priced(ctx, price, quantity, priceParam);
    currency = price.currency;
    pricing = { type: 'price_details', price_details: { price: price.id, product: price.product }, unit_amount_decimal: price.unit_amount_decimal };
  } else {
    if (params.amount === undefined) throw errors.missingParam('amount');
    if (params.currency === undefined) throw errors.missingParam('currency');
    if (params.quantity !== undefined) throw errors.invalidParam('quantity', 'quantity can only be given with a price (pricing[price]).');
    amount = params.amount;
    currency = parseCurrency(params.currency);
  }
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
  const item: InvoiceItem = {
    id: newId('invoiceitem'),
    object: OBJECT,
    amount,
    currency,
    customer: customer.id,
    customer_account: null,
    date: now,
    description: params.description ?? null,
    discountable: params.discountable ?? amount >= 0,
    discounts: [],
    invoice: null,
    livemode: ctx.livemode,
    metadata: mergeMetadata({}, params.metadata),
    parent,
    period,
    pricing,
    proration: false,
    quantity,
    quantity_decimal: String(quantity),
    tax_rates: await applicableTaxRates(ctx, params.tax_rates ?? [], 'tax_rates'),
    test_clock: customer.test_clock,
  };
  await insertObject(ctx, { id: item.id, object: OBJECT, created: now, customer: customer.id, data: item, test_clock: customer.test_clock });
  await emit(ctx, 'invoiceitem.created', item);
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

export async function updateInvoiceItem(ctx: Ctx, id: string, params: InvoiceItemUpdate): Promise<InvoiceItem> {
  const before = await getInvoiceItem(ctx, id, 'id', true);
  assertPending(before, 'update');
  const after: InvoiceItem = structuredClone(before);
  if (params.amount !== undefined) {
    if (before.pricing !== null) throw errors.invalidParam('amount', 'This invoice item has a price: change its quantity instead.');
    after.amount = params.amount;
  }
  if (params.quantity !== undefined) {
    if (before.pricing === null) throw errors.invalidParam('quantity', 'quantity can only be given with a price (pricing[price]).');
    after.quantity = params.quantity;
    after.quantity_decimal = String(params.quantity);
    after.amount = await priced(ctx, await getPrice(ctx, before.pricing.price_details.price, 'pricing[price]'), params.quantity, 'quantity');
  }
  if (params.description !== undefined) after.description = params.description;
  if (params.discountable !== undefined) after.discountable = params.discountable;
  if (params.period !== undefined) {
    checkPeriod(params.period);
    after.period = params.period;
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
