/**
 * What the portal's home page shows, loaded for one session (no HTTP here): the business profile, the
 * customer, their subscriptions (product, price, quantity, status and the next date that matters) and,
 * when the configuration enables it, their invoice history. Every query is scoped to the session's
 * mode and customer, so nothing of another customer can reach the page.
 */
import { sql } from 'kysely';
import type { Ctx } from '../storage/context.ts';
import { findObject, listObjects, objectsByIds } from '../storage/objects.ts';
import type { Customer } from '../billing/customers.ts';
import type { Invoice } from '../billing/invoices/index.ts';
import type { Product } from '../billing/products.ts';
import { pausedUntil, type Subscription } from '../billing/subscriptions/index.ts';
import type { PortalConfiguration } from './configurations/index.ts';
import type { OpenSession } from './sessions/store.ts';
import { canRenew } from './subscriptions/cancel.ts';
import { subscriptionOffer, subscriptionVersion, type SubscriptionOffer } from './subscriptions/offer.ts';
import { listCards, type CardView } from './payment-methods.ts';
import { invoiceView } from './invoices.ts';

export interface SubscriptionView {
  id: string;
  status: Subscription['status'];
  items: {
    productName: string;
    unitAmount: number | null;
    currency: string;
    interval: string;
    intervalCount: number;
    quantity: number;
  }[];
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  cancelAt: number | null;
  trialEnd: number | null;
  canceledAt: number | null;
  /** What the configuration lets the customer do with it (subscriptions/offer.ts). */
  offer: Omit<SubscriptionOffer, 'sub'> & { version: string; renewable: boolean; paused: boolean; pausedUntil: number | null; resumable: boolean };
}

export interface InvoiceView {
  id: string;
  number: string | null;
  created: number;
  total: number;
  amountDue: number;
  currency: string;
  status: Invoice['status'];
  hostedInvoiceUrl: string | null;
  pdfUrl: string | null;
  /** Open with an amount left: the customer can pay it now. */
  payable: boolean;
}

export interface HomeData {
  configuration: PortalConfiguration;
  customer: Pick<Customer, 'id' | 'name' | 'email' | 'preferred_locales'>;
  returnUrl: string | null;
  subscriptions: SubscriptionView[];
  /** Null when the configuration does not show invoice history. */
  invoices: InvoiceView[] | null;
  /** The customer's cards; null when the configuration does not enable `payment_method_update`. */
  paymentMethods: CardView[] | null;
}

/** How many invoices the history lists (newest first). */
export const INVOICE_HISTORY_LIMIT = 24;

function subscriptionView(sub: Subscription, products: Map<string, string>, offer: SubscriptionOffer, resumesAt: number | null): SubscriptionView {
  const { sub: _, ...rest } = offer;
  // Paused by the portal or `/pause` (status `paused`, resumed by the clock at `resumesAt` if set), or
  // by the business's `pause_collection` (billing goes on, invoices voided until `resumes_at`).
  const paused = sub.status === 'paused' || sub.pause_collection !== null;
  return {
    offer: {
      ...rest,
      version: subscriptionVersion(sub),
      renewable: offer.cancel !== 'feature_off' && canRenew(sub),
      paused,
      pausedUntil: sub.status === 'paused' ? resumesAt : (sub.pause_collection?.resumes_at ?? null),
      resumable: offer.pause !== 'feature_off' && sub.status === 'paused',
    },
    id: sub.id,
    status: sub.status,
    items: sub.items.data.map((item) => ({
      productName: products.get(item.price.product as string) ?? (item.price.product as string),
      unitAmount: item.price.unit_amount,
      currency: item.price.currency,
      interval: item.price.recurring?.interval ?? 'month',
      intervalCount: item.price.recurring?.interval_count ?? 1,
      quantity: item.quantity,
    })),
    currentPeriodEnd: sub.items.data[0]?.current_period_end ?? null,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    cancelAt: sub.cancel_at,
    trialEnd: sub.status === 'trialing' ? sub.trial_end : null,
    canceledAt: sub.canceled_at,
  };
}

/** Loads the home page's data; null when the session's customer or configuration no longer exists. */
export async function loadHome(ctx: Ctx, session: OpenSession): Promise<HomeData | null> {
  return loadHomeFor(ctx, { customer: session.customer, configuration: session.configuration, returnUrl: session.session.return_url });
}

/**
 * The home page's data for a customer under a configuration, without a session: what the session
 * page reads, and what the dashboard's read-only preview shows (it creates nothing).
 */
export async function loadHomeFor(
  ctx: Ctx,
  target: { customer: string; configuration: string; returnUrl: string | null },
): Promise<HomeData | null> {
  const customer = await findObject<Customer>(ctx, 'customer', target.customer);
  const config = await findObject<PortalConfiguration>(ctx, 'billing_portal.configuration', target.configuration);
  if (!customer || !config) return null;
  const subs = await listObjects<Subscription>(ctx, 'subscription', {
    limit: 100,
    where: (q) => q.where('customer', '=', customer.id),
  });
  const rows = subs.data.filter((r) => r.data.status !== 'incomplete_expired' && r.data.status !== 'canceled');
  const shown = rows.map((r) => r.data);
  const productIds = [...new Set(shown.flatMap((s) => s.items.data.map((i) => i.price.product as string)))];
  const products = new Map<string, string>();
  if (productIds.length > 0) {
    for (const r of await objectsByIds(ctx.db, ctx.livemode, productIds)) {
      if (r.object === 'product') products.set(r.id, (r.data as Product).name);
    }
  }
  let invoices: InvoiceView[] | null = null;
  if (config.data.features.invoice_history.enabled) {
    const page = await listObjects<Invoice>(ctx, 'invoice', {
      limit: INVOICE_HISTORY_LIMIT,
      // Drafts are the business's work in progress; Stripe's portal shows only issued invoices.
      where: (q) => q.where('customer', '=', customer.id).where(sql<string>`data->>'status'`, '!=', 'draft'),
    });
    invoices = page.data.map((r) => invoiceView(r.data));
  }
  return {
    configuration: config.data,
    customer: {
      id: customer.data.id,
      name: customer.data.name,
      email: customer.data.email,
      preferred_locales: customer.data.preferred_locales,
    },
    returnUrl: target.returnUrl,
    subscriptions: await Promise.all(rows.map(async (r) => subscriptionView(r.data, products, await subscriptionOffer(ctx, config.data, r.data), pausedUntil(r)))),
    invoices,
    paymentMethods: config.data.features.payment_method_update.enabled ? await listCards(ctx, customer.data) : null,
  };
}
