/**
 * The `billing_portal.configuration` object: what a portal session shows and allows. Field lists follow
 * the API reference (§2) and the SDK's `BillingPortal.Configuration` type for 2026-10-28.endive, which
 * carries `features.subscription_pause` again (the redesigned portal's pause feature).
 */
import { FEEDBACK } from '../../billing/subscriptions/types.ts';

export const CUSTOMER_UPDATES = ['address', 'email', 'name', 'phone', 'shipping', 'tax_id'] as const;
/** The reasons a customer can give for canceling: the subscription's `cancellation_details.feedback` values. */
export const CANCELLATION_REASONS = FEEDBACK;
export const SUBSCRIPTION_UPDATES = ['price', 'promotion_code', 'quantity'] as const;
export const PRORATION_BEHAVIORS = ['always_invoice', 'create_prorations', 'none'] as const;
export const CANCEL_MODES = ['at_period_end', 'immediately'] as const;
export const SCHEDULE_CONDITIONS = ['decreasing_item_amount', 'shortening_interval'] as const;
export const TRIAL_UPDATE_BEHAVIORS = ['continue_trial', 'end_trial'] as const;
export const BILLING_CYCLE_ANCHORS = ['now', 'unchanged'] as const;
export const PAUSE_DURATION_TYPES = ['indefinite', 'interval_options'] as const;
export const PAUSE_INTERVALS = ['day', 'month', 'week', 'year'] as const;

export type CustomerUpdateField = (typeof CUSTOMER_UPDATES)[number];
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];
export type SubscriptionUpdateKind = (typeof SUBSCRIPTION_UPDATES)[number];
export type ProrationBehavior = (typeof PRORATION_BEHAVIORS)[number];

export interface PortalProduct {
  adjustable_quantity: { enabled: boolean; maximum: number | null; minimum: number };
  prices: string[];
  product: string;
}

export interface PortalFeatures {
  customer_update: { allowed_updates: CustomerUpdateField[]; enabled: boolean };
  invoice_history: { enabled: boolean };
  payment_method_update: { enabled: boolean; payment_method_configuration: string | null };
  subscription_cancel: {
    cancellation_reason: { enabled: boolean; feedback_options: string[] | null; options: CancellationReason[] };
    enabled: boolean;
    mode: (typeof CANCEL_MODES)[number];
    proration_behavior: ProrationBehavior;
  };
  subscription_pause: {
    duration: {
      interval_options: { interval: (typeof PAUSE_INTERVALS)[number]; interval_count: number }[];
      type: (typeof PAUSE_DURATION_TYPES)[number];
    };
    enabled: boolean;
  };
  subscription_update: {
    billing_cycle_anchor: (typeof BILLING_CYCLE_ANCHORS)[number] | null;
    default_allowed_updates: SubscriptionUpdateKind[];
    enabled: boolean;
    products: PortalProduct[];
    proration_behavior: ProrationBehavior;
    schedule_at_period_end: { conditions: { type: (typeof SCHEDULE_CONDITIONS)[number] }[] };
    trial_update_behavior: (typeof TRIAL_UPDATE_BEHAVIORS)[number];
  };
}

export interface PortalConfiguration {
  id: string;
  object: 'billing_portal.configuration';
  active: boolean;
  application: null;
  business_profile: { headline: string | null; privacy_policy_url: string | null; terms_of_service_url: string | null };
  created: number;
  default_return_url: string | null;
  features: PortalFeatures;
  is_default: boolean;
  livemode: boolean;
  login_page: { enabled: boolean; url: string | null };
  metadata: Record<string, string>;
  name: string | null;
  updated: number;
}

/** What a configuration has for each feature the request leaves out (Stripe's documented defaults). */
export function defaultFeatures(): PortalFeatures {
  return {
    customer_update: { allowed_updates: [], enabled: false },
    invoice_history: { enabled: false },
    payment_method_update: { enabled: false, payment_method_configuration: null },
    subscription_cancel: {
      cancellation_reason: { enabled: false, feedback_options: null, options: [] },
      enabled: false,
      mode: 'at_period_end',
      proration_behavior: 'none',
    },
    subscription_pause: {
      // The SDK documents the default: interval options with a single one-month option.
      duration: { interval_options: [{ interval: 'month', interval_count: 1 }], type: 'interval_options' },
      enabled: false,
    },
    subscription_update: {
      billing_cycle_anchor: null,
      default_allowed_updates: [],
      enabled: false,
      products: [],
      proration_behavior: 'none',
      schedule_at_period_end: { conditions: [] },
      trial_update_behavior: 'end_trial',
    },
  };
}

/**
 * The features of the configuration each mode starts with (the one the Dashboard would create): the
 * customer sees invoices, manages payment methods and billing details, and can cancel at period end
 * with a reason. Plan changes need products, so they start off.
 */
export function accountDefaultFeatures(): PortalFeatures {
  const f = defaultFeatures();
  f.customer_update = { allowed_updates: ['email', 'address', 'shipping', 'phone', 'tax_id'], enabled: true };
  f.invoice_history.enabled = true;
  f.payment_method_update.enabled = true;
  f.subscription_cancel.enabled = true;
  f.subscription_cancel.cancellation_reason = { enabled: true, feedback_options: null, options: [...CANCELLATION_REASONS] };
  f.subscription_update.schedule_at_period_end.conditions = [{ type: 'decreasing_item_amount' }];
  return f;
}
