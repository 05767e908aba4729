/**
 * Subscription shapes: the API objects (`subscription`, `subscription_item`, the item's `plan`) as
 * Stripe's 2026-10-28.endive API shows them, and what the engine keeps privately beside them.
 *
 * Invariants:
 * - Every item of a subscription has the same `current_period_start`/`current_period_end` (one cycle per
 *   subscription) and prices of one currency, one interval and one interval_count (kept in private).
 * - The item's `price` and `plan` are embedded snapshots of the price when it was set.
 * - `cancel_at_period_end: true` always comes with `cancel_at` = the current period's end.
 * - `discounts` are ids of `discount` objects owned by the subscription (see create.ts).
 */
import type { Plan } from '../plans.ts';
import type { Price } from '../prices.ts';
import type { TaxRate } from '../tax-rates.ts';

export type SubscriptionStatus =
  | 'active'
  | 'canceled'
  | 'incomplete'
  | 'incomplete_expired'
  | 'past_due'
  | 'paused'
  | 'trialing'
  | 'unpaid';

export const FEEDBACK = [
  'customer_service',
  'low_quality',
  'missing_features',
  'other',
  'switched_service',
  'too_complex',
  'too_expensive',
  'unused',
] as const;
export type Feedback = (typeof FEEDBACK)[number];

export interface CancellationDetails {
  comment: string | null;
  feedback: Feedback | null;
  /** A `billing.feedback_option` id (the business's own reason the customer chose). */
  feedback_option: string | null;
  reason: 'cancellation_requested' | 'payment_failed' | null;
}

/** The legacy view of a recurring price (plans.ts). */
export type { Plan };

export interface SubscriptionItem {
  id: string;
  object: 'subscription_item';
  billing_thresholds: null;
  created: number;
  current_period_end: number;
  current_period_start: number;
  current_trial: null;
  discounts: string[];
  metadata: Record<string, string>;
  plan: Plan;
  price: Price;
  quantity: number;
  subscription: string;
  tax_rates: TaxRate[];
}

export interface DeletedSubscriptionItem {
  id: string;
  object: 'subscription_item';
  deleted: true;
}

export type PauseBehavior = 'keep_as_draft' | 'mark_uncollectible' | 'void';

export interface Subscription {
  id: string;
  object: 'subscription';
  application: null;
  application_fee_percent: null;
  automatic_tax: { disabled_reason: null; enabled: false; liability: null };
  billing_cycle_anchor: number;
  billing_cycle_anchor_config: BillingCycleAnchorConfig | null;
  billing_mode: { flexible: null; type: 'classic'; updated_at?: number };
  billing_schedules: [];
  billing_thresholds: null;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: CancellationDetails;
  collection_method: 'charge_automatically' | 'send_invoice';
  created: number;
  currency: string;
  customer: string;
  customer_account: null;
  days_until_due: number | null;
  default_payment_method: string | null;
  /** A card source (`card_…`) of the customer, charged after `default_payment_method` (sources.ts). */
  default_source: string | null;
  default_tax_rates: TaxRate[] | null;
  description: string | null;
  discounts: string[];
  ended_at: number | null;
  invoice_settings: SubscriptionInvoiceSettings;
  items: { object: 'list'; data: SubscriptionItem[]; has_more: boolean; url: string };
  latest_invoice: string | null;
  livemode: boolean;
  managed_payments: null;
  metadata: Record<string, string>;
  next_pending_invoice_item_invoice: number | null;
  on_behalf_of: null;
  pause_collection: { behavior: PauseBehavior; resumes_at: number | null } | null;
  payment_settings: {
    payment_method_options: null;
    payment_method_types: string[] | null;
    save_default_payment_method: 'off' | 'on_subscription';
  };
  pending_invoice_item_interval: PendingInvoiceItemInterval | null;
  pending_setup_intent: null;
  pending_update: PendingUpdate | null;
  /** The subscription schedule managing the subscription (set and cleared by subscription-schedules). */
  schedule: string | null;
  start_date: number;
  status: SubscriptionStatus;
  test_clock: string | null;
  transfer_data: null;
  trial_end: number | null;
  trial_settings: { end_behavior: { billing_cycle_anchor: null; missing_payment_method: MissingPaymentMethod } };
  trial_start: number | null;
}

/** How often the subscription bills its pending invoice items (pending-items-interval.ts). */
export interface PendingInvoiceItemInterval {
  interval: 'day' | 'week' | 'month' | 'year';
  interval_count: number;
}

/** `billing_cycle_anchor_config`: the fixed date parts the anchor was computed from. */
export interface BillingCycleAnchorConfig {
  day_of_month: number;
  hour: number | null;
  minute: number | null;
  month: number | null;
  second: number | null;
}

/** What the subscription's invoices carry (over the customer's own `invoice_settings`). */
export interface SubscriptionInvoiceSettings {
  account_tax_ids: null;
  custom_fields: { name: string; value: string }[] | null;
  description: string | null;
  footer: string | null;
  issuer: { type: 'self' };
}

/** A discount the subscription redeemed, and how long it applies. */
export interface SubscriptionDiscount {
  id: string;
  /** The item the discount belongs to (an item-level discount), or absent for the whole subscription. */
  item?: string;
  coupon: string;
  promotion_code: string | null;
  /** After this time the discount no longer applies (null: forever). */
  end: number | null;
  /** `duration: once`: only the first invoice. */
  once: boolean;
  /** Whether an invoice has already used it (for `once`). */
  used: boolean;
}

/** What the API never shows. */
export interface SubscriptionPrivate {
  interval: Plan['interval'];
  interval_count: number;
  discounts: SubscriptionDiscount[];
  /** The open invoice whose payment the subscription waits on (first invoice or a failed one). */
  dunning_invoice: string | null;
  /** That invoice's next automatic payment attempt (null: none left or none scheduled). */
  dunning_next_attempt: number | null;
  /** When an `incomplete` subscription expires (23 h after creation). */
  incomplete_expires_at: number | null;
  /** When `customer.subscription.trial_will_end` is still to be sent (null: sent or none). */
  trial_will_end_at: number | null;
  /**
   * Set while the awaited invoice gets no more automatic attempts (dunning ended as `unpaid` or
   * `past_due`, or a `send_invoice` invoice): no hourly fallback check (see dunning.ts).
   */
  dunning_quiet?: boolean;
  /** The next overdue check of a `send_invoice` invoice (its due date, then the end of its grace). */
  dunning_check_at?: number | null;
  /** Whether `invoice.overdue` was sent for the awaited `send_invoice` invoice. */
  overdue_sent?: boolean;
  /** A resumption invoice whose later payment resumes the subscription (resume_on_payment_success). */
  resume_invoice?: string | null;
  /** When the billing clock resumes a paused subscription by itself (a pause for a duration; pause.ts). */
  resume_at?: number | null;
  /** What a `pending_if_incomplete` update applies once its invoice is paid (see pending-update.ts). */
  pending?: PendingChange | null;
  /** The renewal time whose `invoice.upcoming` notice is planned or sent (see upcoming.ts). */
  upcoming_for?: number | null;
  /** When that notice is still to be sent (null: sent, or none for this renewal). */
  upcoming_notice_at?: number | null;
}

/** The change a pending update holds back until its invoice is paid. */
export interface PendingChange {
  invoice: string;
  items: SubscriptionItem[];
  interval: Plan['interval'];
  interval_count: number;
  billing_cycle_anchor: number;
  trial_end: number | null;
  status: SubscriptionStatus;
  trial_will_end_at: number | null;
  /** The requested metadata change, merged in when applied. */
  metadata: Record<string, string | null> | null;
}

/** `pending_update` as Stripe shows it. */
export interface PendingUpdate {
  billing_cycle_anchor: number | null;
  cancel_at_period_end: boolean | null;
  discount: null;
  discounts: string[] | null;
  expires_at: number;
  metadata: Record<string, string> | null;
  subscription_items: SubscriptionItem[] | null;
  trial_end: number | null;
  trial_from_plan: boolean | null;
}

export type MissingPaymentMethod = 'cancel' | 'create_invoice' | 'pause';

export interface StoredSubscription {
  sub: Subscription;
  priv: SubscriptionPrivate;
}
