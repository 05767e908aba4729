/**
 * What a batch of due subscriptions will read, loaded into the billing clock's unit of work in one
 * statement per kind instead of a few per subscription: their customers (locked, as each renewal's
 * invoice locks its customer), the customers' pending invoice items (locked, as a draft takes them),
 * the subscriptions' own default payment methods (locked, as the draft checks ownership) and the
 * customers' defaults, the products, prices, tax rates and coupons the invoices name, and the invoices
 * they wait on. Lock order as in status.ts: subscription (claimed), customer, then the rest. Anything
 * not preloaded is simply read when asked for, so this only saves round trips.
 */
import type { Ctx } from '../../storage/context.ts';
import type { StoredObject } from '../../storage/objects.ts';
import type { Customer } from '../customers.ts';
import { PRODUCT_FEATURE } from '../entitlements.ts';
import type { Price } from '../prices.ts';
import type { SubscriptionCreate } from './create.ts';
import type { SubscriptionUpdate } from './update.ts';
import type { StoredSubscription, Subscription, SubscriptionPrivate } from './types.ts';

export async function preloadRenewals(ctx: Ctx, rows: StoredObject[]): Promise<void> {
  const uow = ctx.uow;
  if (!uow) return;
  const subs = rows.filter((r) => !r.deleted).map((r) => ({ sub: r.data as Subscription, priv: r.private as unknown as SubscriptionPrivate }));
  const customers = new Set(subs.map((s) => s.sub.customer));
  const products = new Set<string>();
  const prices = new Set<string>();
  const rates = new Set<string>();
  const coupons = new Set<string>();
  const ownPms = new Set<string>();
  const invoices = new Set<string>();
  for (const { sub, priv } of subs) {
    for (const item of sub.items?.data ?? []) {
      products.add(item.price.product);
      prices.add(item.price.id);
      for (const t of item.tax_rates ?? []) rates.add(t.id);
    }
    for (const t of sub.default_tax_rates ?? []) rates.add(t.id);
    for (const d of priv.discounts ?? []) coupons.add(d.coupon);
    if (sub.default_payment_method) ownPms.add(sub.default_payment_method);
    if (sub.default_source) ownPms.add(sub.default_source);
    if (priv.dunning_invoice) invoices.add(priv.dunning_invoice);
  }
  await uow.preload(ctx, 'customer', customers, { forUpdate: true });
  await uow.preloadCustomerObjects(ctx, 'invoiceitem', customers, { forUpdate: true });
  await uow.preload(ctx, 'payment_method', ownPms, { forUpdate: true });
  const defaults = new Set<string>();
  for (const id of customers) {
    const c = (await uow.find(ctx, 'customer', id))?.data as Customer | undefined;
    const pm = c?.invoice_settings?.default_payment_method;
    if (pm) defaults.add(pm);
    if (c?.default_source) defaults.add(c.default_source);
  }
  await uow.preload(ctx, 'payment_method', defaults);
  await uow.preload(ctx, 'product', products);
  await uow.preload(ctx, 'price', prices);
  if (rates.size > 0) await uow.preload(ctx, 'tax_rate', rates);
  if (coupons.size > 0) await uow.preload(ctx, 'coupon', coupons);
  if (invoices.size > 0) await uow.preload(ctx, 'invoice', invoices);
}

/**
 * What a write that invoices one customer reads, loaded into the request's unit of work in two
 * statements instead of one per row or set: the customer (locked) with `prices` and their products,
 * then the customer's pending invoice items (locked, as an invoice takes them), its tax IDs and the
 * payment methods a charge may use (`methods` and the customer's defaults) and the products' features
 * (entitlements, when the subscription's products change). The second statement runs
 * once the customer's lock is held, so it sees what another writer to this customer committed
 * meanwhile (one statement would read those rows as they were before it waited for the lock). Prices
 * and products are not guarded by the customer's lock: read with it. Lock order as in status.ts.
 */
async function preloadInvoicing(ctx: Ctx, customerId: string, prices: string[], methods: Array<string | null | undefined>): Promise<void> {
  const uow = ctx.uow;
  if (!uow) return;
  await uow.preloadReads(ctx, { lock: [customerId], ids: prices, refs: [{ from: prices, path: ['product'] }] });
  const row = await uow.find(ctx, 'customer', customerId);
  if (!row) return;
  const products: string[] = [];
  for (const id of prices) {
    const product = ((await uow.find(ctx, 'price', id))?.data as Price | undefined)?.product;
    if (typeof product === 'string') products.push(product);
  }
  const customer = row.data as Customer;
  await uow.preloadReads(ctx, {
    customerObjects: [
      { customer: customer.id, objects: ['invoiceitem'], forUpdate: true },
      { customer: customer.id, objects: ['tax_id'], forUpdate: false },
    ],
    ids: [customer.invoice_settings?.default_payment_method, customer.default_source, ...methods].filter((m): m is string => typeof m === 'string'),
    privateSets: [{ object: PRODUCT_FEATURE, key: 'product', values: products }],
  });
}

/** The prices items name by id (not `price_data`). */
function namedPrices(items: ReadonlyArray<{ price?: string | undefined; plan?: string | undefined; price_data?: unknown }> | undefined): string[] {
  return (items ?? []).flatMap((i) => {
    const id = i.price ?? i.plan;
    return id !== undefined && i.price_data === undefined ? [id] : [];
  });
}

/** What a subscription create reads (`preloadInvoicing`: it locks the customer first). */
export async function preloadSubscriptionCreate(ctx: Ctx, params: SubscriptionCreate): Promise<void> {
  await preloadInvoicing(ctx, params.customer, namedPrices(params.items), [params.default_payment_method, params.default_source]);
}

/**
 * What an update of the items with `always_invoice` reads once the subscription is locked
 * (`preloadInvoicing`: its invoice locks the customer next): its items' prices and the new ones.
 */
export async function preloadSubscriptionInvoicingUpdate(ctx: Ctx, stored: StoredSubscription, params: SubscriptionUpdate): Promise<void> {
  const { sub } = stored;
  const prices = [...sub.items.data.map((i) => i.price.id), ...namedPrices(params.items)];
  const methods = [sub.default_payment_method, sub.default_source, params.default_payment_method, params.default_source];
  await preloadInvoicing(ctx, sub.customer, prices, methods);
}
