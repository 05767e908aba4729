/**
 * Subscription schedule shapes (`subscription_schedule`, API 2026-10-28.endive) and request shapes.
 *
 * Invariants:
 * - `phases` are contiguous: each phase starts where the previous one ends; `current_phase` is the
 *   phase at `private.phase` while the schedule is `active`, null otherwise.
 * - Every price of every phase bills in one currency; the prices of a phase share one interval and
 *   interval_count, and a phase may change them (its start resets the cycle, phases.ts).
 */
import { p, type InferShape } from '../../lib/params.ts';
import { timestampOrNow } from '../subscriptions/create.ts';
import { billingModeParam, defaultSettingsParam } from './default-settings.ts';

export type ScheduleStatus = 'not_started' | 'active' | 'completed' | 'released' | 'canceled';
export type EndBehavior = 'release' | 'cancel';
export type ProrationBehavior = 'always_invoice' | 'create_prorations' | 'none';

export interface PhaseItem {
  billing_thresholds: null;
  discounts: [];
  metadata: Record<string, string>;
  plan: string;
  price: string;
  quantity: number;
  tax_rates: [];
}

export interface Phase {
  add_invoice_items: [];
  application_fee_percent: null;
  billing_cycle_anchor: null;
  billing_thresholds: null;
  collection_method: null;
  currency: string;
  default_payment_method: null;
  default_tax_rates: [];
  description: null;
  discounts: [];
  end_date: number;
  invoice_settings: null;
  items: PhaseItem[];
  metadata: Record<string, string>;
  on_behalf_of: null;
  proration_behavior: ProrationBehavior;
  start_date: number;
  transfer_data: null;
  trial_end: null;
}

export interface SubscriptionSchedule {
  id: string;
  object: 'subscription_schedule';
  application: null;
  billing_mode: { flexible: null; type: 'classic' };
  canceled_at: number | null;
  completed_at: number | null;
  created: number;
  current_phase: { start_date: number; end_date: number } | null;
  customer: string;
  customer_account: null;
  default_settings: {
    application_fee_percent: null;
    billing_cycle_anchor: 'automatic';
    billing_thresholds: null;
    collection_method: 'charge_automatically' | 'send_invoice' | null;
    default_payment_method: string | null;
    description: string | null;
    invoice_settings: {
      account_tax_ids: null;
      custom_fields: null;
      days_until_due: number | null;
      description: null;
      footer: null;
      issuer: { type: 'self' };
    };
    on_behalf_of: null;
    transfer_data: null;
  };
  end_behavior: EndBehavior;
  livemode: boolean;
  metadata: Record<string, string>;
  pause_schedules: [];
  phases: Phase[];
  released_at: number | null;
  released_subscription: string | null;
  status: ScheduleStatus;
  subscription: string | null;
  test_clock: string | null;
}

export interface SchedulePrivate {
  /** Index in `phases` of the current phase. */
  phase: number;
  /** The end (last phase's `end_date`) that `subscription_schedule.expiring` was sent for. */
  expiring_for?: number;
}

const PRORATION = ['always_invoice', 'create_prorations', 'none'] as const;

export const phaseShape = {
  items: p.array(p.object({ price: p.string(), quantity: p.integer({ min: 0, max: 1_000_000_000 }), metadata: p.metadata() }), { max: 20 }),
  iterations: p.integer({ min: 1, max: 1000 }),
  duration: p.object({ interval: p.enumOf(['day', 'week', 'month', 'year']).req(), interval_count: p.integer({ min: 1, max: 1000 }) }),
  end_date: p.timestamp(),
  start_date: timestampOrNow,
  proration_behavior: p.enumOf(PRORATION),
  metadata: p.metadata(),
  /** Accepted when false; true is refused (Portico has no tax engine). */
  automatic_tax: p.object({ enabled: p.boolean().req(), liability: p.any() }),
};
export type PhaseParams = InferShape<typeof phaseShape>;

const pauseSchedulesRefused = p.unsupported('schedule pauses are not available: pause the subscription (pause_collection) instead.');

export const scheduleCreateShape = {
  customer: p.string(),
  from_subscription: p.string(),
  start_date: timestampOrNow,
  end_behavior: p.enumOf(['release', 'cancel']),
  phases: p.array(p.object(phaseShape), { max: 10 }),
  metadata: p.metadata(),
  default_settings: defaultSettingsParam,
  billing_mode: billingModeParam,
  customer_account: p.unsupported('Accounts v2 are not available: give customer (a cus_ id).'),
  pause_schedules: pauseSchedulesRefused,
};
export type ScheduleCreate = InferShape<typeof scheduleCreateShape>;

export const scheduleUpdateShape = {
  end_behavior: p.enumOf(['release', 'cancel']),
  phases: p.array(p.object(phaseShape), { max: 10 }),
  proration_behavior: p.enumOf(PRORATION),
  metadata: p.metadata(),
  default_settings: defaultSettingsParam,
  pause_schedules: pauseSchedulesRefused,
};
export type ScheduleUpdate = InferShape<typeof scheduleUpdateShape>;

export const scheduleCancelShape = { invoice_now: p.boolean(), prorate: p.boolean() };
export type ScheduleCancel = InferShape<typeof scheduleCancelShape>;

export const scheduleReleaseShape = { preserve_cancel_date: p.boolean() };
