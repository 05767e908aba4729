/**
 * Type-level conformance: every object Portico serves is assignable to the official SDK's own type for
 * it. This file has no runtime; `tsc --noEmit` (the first step of `npm test`) fails if a shape drifts.
 */
import type Stripe from 'stripe';
import type { Coupon, DeletedCoupon } from '../src/billing/coupons.ts';
import type { Customer, DeletedCustomer } from '../src/billing/customers.ts';
import type { PaymentMethod } from '../src/billing/payment-methods.ts';
import type { Price } from '../src/billing/prices.ts';
import type { DeletedProduct, Product } from '../src/billing/products.ts';
import type { PromotionCode } from '../src/billing/promotion-codes.ts';
import type { DeletedTaxId, TaxId } from '../src/billing/tax-ids.ts';
import type { TestClock } from '../src/billing/test-clocks.ts';
import type { TaxRate } from '../src/billing/tax-rates.ts';
import type { DeletedInvoiceItem, InvoiceItem } from '../src/billing/invoice-items.ts';
import type { DeletedInvoice, Discount, Invoice, InvoiceLineItem } from '../src/billing/invoices/index.ts';
import type { Plan, Subscription, SubscriptionItem } from '../src/billing/subscriptions/index.ts';
import type { ListEnvelope } from '../src/api/lists.ts';
import type { StripeEvent } from '../src/events/outbox.ts';
import type { WebhookEndpoint } from '../src/events/webhook-endpoints.ts';
import type { PortalConfiguration } from '../src/portal/configurations/index.ts';
import type { PortalSession } from '../src/portal/sessions/index.ts';

/** Compiles only when `Actual` is assignable to `Expected`. */
type Assignable<Expected, Actual extends Expected> = Actual;

// Decimal fields (`unit_amount_decimal`, `amount_decimal`) are sent as strings (see Price below).
type WirePrice = Omit<Stripe.Price, 'unit_amount_decimal'> & { unit_amount_decimal: string | null };
type WirePlan = Omit<Stripe.Plan, 'amount_decimal'> & { amount_decimal: string | null };
type WireSubscriptionItem = Omit<Stripe.SubscriptionItem, 'price' | 'plan'> & { price: WirePrice; plan: WirePlan };

export type Checks = [
  Assignable<Stripe.BillingPortal.Configuration, PortalConfiguration>,
  Assignable<Stripe.BillingPortal.Session, PortalSession>,
  Assignable<Stripe.Customer, Customer>,
  Assignable<Stripe.DeletedCustomer, DeletedCustomer>,
  Assignable<Stripe.Product, Product>,
  Assignable<Stripe.DeletedProduct, DeletedProduct>,
  // On the wire `unit_amount_decimal` is a decimal string; stripe-node 23 turns it into its own
  // `Decimal` class when parsing responses, so that one field is compared as the string it is sent as.
  Assignable<Omit<Stripe.Price, 'unit_amount_decimal'> & { unit_amount_decimal: string | null }, Price>,
  Assignable<Stripe.Coupon, Coupon>,
  Assignable<Stripe.DeletedCoupon, DeletedCoupon>,
  Assignable<Stripe.PromotionCode, PromotionCode>,
  Assignable<Stripe.PaymentMethod, PaymentMethod>,
  Assignable<Stripe.TaxId, TaxId>,
  Assignable<Stripe.DeletedTaxId, DeletedTaxId>,
  Assignable<Stripe.TestHelpers.TestClock, TestClock>,
  Assignable<Stripe.WebhookEndpoint, WebhookEndpoint>,
  Assignable<Omit<Stripe.Event, 'data' | 'type'>, Omit<StripeEvent, 'data' | 'type'>>,
  Assignable<Stripe.ApiList<Stripe.Customer>, ListEnvelope<Customer>>,
  Assignable<Stripe.TaxRate, TaxRate>,
  // Decimal fields (`quantity_decimal`, `pricing.unit_amount_decimal`) are compared as the strings sent.
  Assignable<
    Omit<Stripe.InvoiceItem, 'quantity_decimal' | 'pricing'> & {
      quantity_decimal: string;
      pricing: (Omit<Stripe.InvoiceItem.Pricing, 'unit_amount_decimal'> & { unit_amount_decimal: string | null }) | null;
    },
    InvoiceItem
  >,
  Assignable<Stripe.DeletedInvoiceItem, DeletedInvoiceItem>,
  Assignable<
    Omit<Stripe.InvoiceLineItem, 'quantity_decimal' | 'pricing'> & {
      quantity_decimal: string | null;
      pricing: (Omit<Stripe.InvoiceLineItem.Pricing, 'unit_amount_decimal'> & { unit_amount_decimal: string | null }) | null;
    },
    InvoiceLineItem
  >,
  Assignable<Omit<Stripe.Invoice, 'lines'>, Omit<Invoice, 'lines'>>,
  Assignable<Stripe.DeletedInvoice, DeletedInvoice>,
  Assignable<Stripe.Discount, Discount>,
  Assignable<WirePlan, Plan>,
  Assignable<WireSubscriptionItem, SubscriptionItem>,
  Assignable<
    Omit<Stripe.Subscription, 'items' | 'pending_update'> & {
      items: { object: 'list'; data: WireSubscriptionItem[]; has_more: boolean; url: string };
      pending_update: (Omit<Stripe.Subscription.PendingUpdate, 'subscription_items'> & { subscription_items: WireSubscriptionItem[] | null }) | null;
    },
    Subscription
  >,
  Assignable<Stripe.SubscriptionSchedule, import('../src/billing/subscription-schedules/index.ts').SubscriptionSchedule>,
];
