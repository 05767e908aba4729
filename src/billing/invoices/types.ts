/**
 * Invoice shapes: the API objects (`invoice`, `line_item`, `discount`) as Stripe's 2026-10-28.endive
 * API shows them, the inputs the billing engine builds invoices from (`LineInput`,
 * `DraftInvoiceParams`), and what a payment attempt reports (`PaymentOutcome`). Pure types, no logic.
 */
import type { Address } from '../shared-params.ts';
import type { TaxRate } from '../tax-rates.ts';

/** One line the caller wants on an invoice (amounts in minor units, before discounts). */
export interface LineInput {
  type: 'subscription_item_details' | 'invoice_item_details';
  /** Minor units, before discounts; for tax-inclusive rates it includes the tax. */
  amount: number;
  currency: string;
  description: string;
  quantity: number;
  /** Price id; the line's product is the price's. */
  price: string | null;
  period: { start: number; end: number };
  proration: boolean;
  subscription: string | null;
  subscription_item: string | null;
  invoice_item: string | null;
  /** Tax rate ids for this line; empty: the invoice's `default_tax_rates` apply. */
  tax_rates: string[];
  discountable: boolean;
  proration_details?: { credited_items: { invoice: string; invoice_line_items: string[] } | null };
  /** The line's own discounts (of its invoice item or subscription item), applied before the invoice's. */
  discounts?: LineDiscount[];
  /** Line metadata (an invoice item's). */
  metadata?: Record<string, string>;
  /**
   * `pricing.unit_amount_decimal` when it is not the price's own: a currency option's, a graduated
   * tier's (or its flat fee, on the tier's flat-fee line).
   */
  unit_amount_decimal?: string | null;
}

/** A discount object that belongs to one line (its id) and the coupon it applies. */
export interface LineDiscount {
  discount: string;
  coupon: string;
}

export type BillingReason =
  | 'manual'
  | 'subscription_create'
  | 'subscription_cycle'
  | 'subscription_update'
  | 'subscription'
  | 'automatic_pending_invoice_item_invoice';
export type CollectionMethod = 'charge_automatically' | 'send_invoice';

export interface DraftInvoiceParams {
  customer: string;
  currency: string;
  billing_reason: BillingReason;
  collection_method: CollectionMethod;
  days_until_due?: number | null;
  /** → `parent.subscription_details`. */
  subscription?: { id: string; metadata: Record<string, string>; proration_date?: number } | null;
  lines: LineInput[];
  /** Pull this customer's pending invoice items (for a subscription: its own and those with none). */
  include_pending_items?: boolean;
  /** `subscription`: only the subscription's own pending items (a manual invoice for a subscription). */
  pending_items_of?: 'subscription';
  /** Invoice-level discounts. */
  discounts?: { coupon?: string; promotion_code?: string }[];
  default_payment_method?: string | null;
  /** A card source of the customer (a subscription passes its own). */
  default_source?: string | null;
  default_tax_rates?: string[];
  period_start: number;
  period_end: number;
  description?: string | null;
  metadata?: Record<string, string>;
  auto_advance?: boolean;
  /** Over the customer's `invoice_settings` (a subscription's `invoice_settings`). */
  footer?: string | null;
  custom_fields?: { name: string; value: string }[] | null;
  /** The discounts were redeemed before (a revision copies its original's): no redemption, no checks. */
  discounts_attached?: boolean;
  /** Fields taken as they are (a revision copies them from its original). */
  copied?: Partial<Pick<Invoice, 'from_invoice' | 'account_tax_ids' | 'rendering' | 'shipping_cost' | 'shipping_details' | 'statement_descriptor' | 'payment_settings'>>;
  /** For `send_invoice`: a fixed due date instead of `days_until_due`. */
  due_date?: number;
}

export type PaymentOutcome =
  | { outcome: 'succeeded'; payment_method?: string }
  | { outcome: 'declined'; code: string; decline_code: string | null; message: string }
  | { outcome: 'requires_action' }
  | { outcome: 'nothing_due' };

export type UncollectibleReason = 'max_payment_attempts' | 'payment_not_received' | 'subscription_canceled' | 'subscription_paused' | 'user_forgiven';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

export interface DiscountAmount {
  amount: number;
  discount: string;
}

export interface LineTax {
  amount: number;
  tax_behavior: 'exclusive' | 'inclusive';
  tax_rate_details: { tax_rate: string };
  taxability_reason: 'not_available';
  taxable_amount: number;
  type: 'tax_rate_details';
}

interface CreditedItems {
  invoice: string;
  invoice_line_items: string[];
}

export interface InvoiceLineItem {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string | null;
  discount_amounts: DiscountAmount[];
  discountable: boolean;
  discounts: string[];
  invoice: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  parent: {
    type: 'subscription_item_details' | 'invoice_item_details';
    invoice_item_details: {
      invoice_item: string;
      proration: boolean;
      proration_details: { credited_items: CreditedItems | null } | null;
      subscription: string | null;
    } | null;
    subscription_item_details: {
      invoice_item: string | null;
      proration: boolean;
      proration_details: { credited_items: CreditedItems | null } | null;
      subscription: string | null;
      subscription_item: string;
    } | null;
  };
  period: { start: number; end: number };
  pretax_credit_amounts: [];
  pricing: {
    type: 'price_details';
    price_details: { price: string; product: string };
    unit_amount_decimal: string | null;
  } | null;
  quantity: number;
  quantity_decimal: string;
  subscription: string | null;
  subtotal: number;
  taxes: LineTax[];
}

export interface Discount {
  id: string;
  object: 'discount';
  checkout_session: null;
  customer: string | null;
  customer_account: null;
  end: number | null;
  invoice: string | null;
  invoice_item: string | null;
  promotion_code: string | null;
  source: { type: 'coupon'; coupon: string };
  start: number;
  subscription: string | null;
  subscription_item: string | null;
}

export interface TotalTax {
  amount: number;
  tax_behavior: 'exclusive' | 'inclusive';
  tax_rate_details: { tax_rate: string };
  taxability_reason: 'not_available';
  taxable_amount: number;
  type: 'tax_rate_details';
}

export interface Invoice {
  id: string;
  object: 'invoice';
  account_country: null;
  account_name: null;
  /** The account's own tax IDs (`txi_` ids of owner `self`) shown on the page and PDF. */
  account_tax_ids: string[] | null;
  amount_due: number;
  amount_overpaid: number;
  amount_paid: number;
  /** The part of `amount_paid` paid outside Portico (`paid_out_of_band`); absent on older invoices. */
  amount_paid_off_stripe?: number;
  amount_remaining: number;
  amount_shipping: number;
  application: null;
  attempt_count: number;
  attempted: boolean;
  auto_advance: boolean;
  automatic_tax: { disabled_reason: null; enabled: false; liability: null; provider: null; status: null };
  automatically_finalizes_at: number | null;
  billing_reason: BillingReason;
  collection_method: CollectionMethod;
  created: number;
  currency: string;
  custom_fields: { name: string; value: string }[] | null;
  customer: string;
  customer_account: null;
  customer_address: Address | null;
  customer_email: string | null;
  customer_name: string | null;
  customer_phone: string | null;
  customer_shipping: { address: Address; name: string; phone: string | null } | null;
  customer_tax_exempt: 'exempt' | 'none' | 'reverse';
  /** The customer's tax IDs: read again whenever the draft is made or updated, fixed at finalization. */
  customer_tax_ids?: { type: string; value: string }[];
  default_payment_method: string | null;
  default_source: string | null;
  default_tax_rates: TaxRate[];
  description: string | null;
  discounts: string[];
  due_date: number | null;
  effective_at: number | null;
  ending_balance: number | null;
  footer: string | null;
  /** A revision's original (`POST /v1/invoices` with `from_invoice`). */
  from_invoice: { action: 'revision'; invoice: string } | null;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  issuer: { type: 'self' };
  last_finalization_error: null;
  /** The revision that replaced this invoice when it was finalized (this one is then void). */
  latest_revision: string | null;
  lines: { object: 'list'; data: InvoiceLineItem[]; has_more: boolean; url: string };
  livemode: boolean;
  metadata: Record<string, string>;
  next_payment_attempt: number | null;
  number: string | null;
  on_behalf_of: null;
  parent: {
    type: 'subscription_details';
    quote_details: null;
    subscription_details: { metadata: Record<string, string>; subscription: string; subscription_proration_date?: number };
  } | null;
  payment_settings: { default_mandate: null; payment_method_options: null; payment_method_types: string[] | null };
  period_end: number;
  period_start: number;
  post_payment_credit_notes_amount: number;
  pre_payment_credit_notes_amount: number;
  receipt_number: null;
  rendering: InvoiceRendering | null;
  shipping_cost: ShippingCost | null;
  shipping_details: { address: Address; name: string; phone: string | null } | null;
  starting_balance: number;
  statement_descriptor: string | null;
  status: InvoiceStatus;
  /** Only while `uncollectible`: why (Stripe shows it then only). */
  status_details?: { uncollectible: { reason: UncollectibleReason | null } };
  status_transitions: {
    finalized_at: number | null;
    marked_uncollectible_at: number | null;
    paid_at: number | null;
    voided_at: number | null;
  };
  subtotal: number;
  subtotal_excluding_tax: number;
  test_clock: string | null;
  total: number;
  total_discount_amounts: DiscountAmount[];
  total_excluding_tax: number;
  total_pretax_credit_amounts: [];
  total_taxes: TotalTax[];
  webhooks_delivered_at: number | null;
}

export interface InvoiceRendering {
  amount_tax_display: 'exclude_tax' | 'include_inclusive_tax' | null;
  pdf: { page_size: 'a4' | 'auto' | 'letter' } | null;
  template: null;
  template_version: null;
}

/** Shipping on an invoice: a fixed amount, added to the total after discounts, untaxed (no tax engine). */
export interface ShippingCost {
  amount_subtotal: number;
  amount_tax: number;
  amount_total: number;
  shipping_rate: string;
  taxes: [];
}

export interface DeletedInvoice {
  id: string;
  object: 'invoice';
  deleted: true;
}

/** A line as the invoice keeps it: what it was built from, with the id it was given. */
export interface StoredLine {
  id: string;
  input: LineInput;
}

/** A discount as the invoice keeps it: the discount id and the coupon it applies. */
export interface StoredDiscount {
  id: string;
  coupon: string;
  promotion_code: string | null;
}

/** What the API never shows: the inputs every recomputation of a draft starts from, and all lines. */
export interface InvoicePrivate {
  lines: StoredLine[];
  discounts: StoredDiscount[];
  /** Every line (the API object embeds the first ten). */
  allLines: InvoiceLineItem[];
  /** For `send_invoice`: `due_date` = finalized_at + days·86400 (Stripe shows no such field). */
  days_until_due: number | null;
  /** For `send_invoice`: a fixed `due_date` given instead of days (wins over them). */
  due_date?: number | null;
  /** `effective_at` given for the draft (default: the finalization time). */
  effective_at?: number | null;
  /**
   * A revision's copies of its original's invoice items: never made pending (removing one deletes it,
   * deleting the draft deletes them), since the original already bills them.
   */
  copied_items?: string[];
}
