/**
 * A schedule's `default_settings` (what every phase's subscription uses unless a phase says otherwise;
 * Portico's phases say nothing of these) and `billing_mode`. The settings Portico acts on are
 * `collection_method`, `invoice_settings[days_until_due]`, `default_payment_method` and `description`:
 * given at creation they shape the subscription the schedule creates; changed later they are applied
 * to the schedule's subscription at once. What Portico does not do is refused with a 400 naming the
 * parameter: `billing_cycle_anchor=phase_start` (Portico never resets a cycle from a schedule),
 * `automatic_tax[enabled]=true` (no tax engine), `billing_mode[type]=flexible`, and Connect's fields.
 */
import { errors } from '../../lib/errors.ts';
import { p, type Infer } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { customerHooks } from '../customers.ts';
import { unsupported } from '../products.ts';
import type { SubscriptionSchedule } from './types.ts';

export const defaultSettingsParam = p.object({
  application_fee_percent: p.any(),
  automatic_tax: p.object({ enabled: p.boolean().req(), liability: p.any() }),
  billing_cycle_anchor: p.enumOf(['automatic', 'phase_start']),
  billing_thresholds: p.any(),
  collection_method: p.enumOf(['charge_automatically', 'send_invoice']),
  default_payment_method: p.string(),
  description: p.emptyable(p.string({ max: 500 })),
  invoice_settings: p.object({
    account_tax_ids: p.any(),
    days_until_due: p.integer({ min: 0, max: 730 }),
    issuer: p.object({ type: p.enumOf(['self']).req() }),
  }),
  on_behalf_of: p.any(),
  transfer_data: p.any(),
});

export const billingModeParam = p.object({
  type: p.enumOf(['classic', 'flexible']).req(),
  flexible: p.any(),
});

export type DefaultSettingsInput = Infer<typeof defaultSettingsParam>;

const PARAM = 'default_settings';

/**
 * `default_settings` applied to a schedule (validated; the customer must own the payment method).
 * Returns true when a setting the subscription uses changed.
 */
export async function applyDefaultSettings(ctx: Ctx, sched: SubscriptionSchedule, input: DefaultSettingsInput): Promise<boolean> {
  for (const k of ['application_fee_percent', 'on_behalf_of', 'transfer_data', 'billing_thresholds'] as const) {
    if (input[k] !== undefined) throw unsupported(`${PARAM}[${k}]`);
  }
  if (input.invoice_settings?.account_tax_ids !== undefined) throw unsupported(`${PARAM}[invoice_settings][account_tax_ids]`);
  if (input.automatic_tax?.enabled === true) {
    throw unsupported(`${PARAM}[automatic_tax][enabled]`, 'Automatic tax (Portico has no tax engine; use tax rates)');
  }
  if (input.automatic_tax?.liability !== undefined) throw unsupported(`${PARAM}[automatic_tax][liability]`);
  if (input.billing_cycle_anchor === 'phase_start') {
    throw unsupported(`${PARAM}[billing_cycle_anchor]`, 'billing_cycle_anchor=phase_start (Portico keeps one billing cycle across phases)');
  }
  const d = sched.default_settings;
  const before = JSON.stringify(d);
  if (input.collection_method !== undefined) {
    d.collection_method = input.collection_method;
    // Charged automatically, nothing is due later: the days go with the old method.
    if (input.collection_method === 'charge_automatically') d.invoice_settings.days_until_due = null;
  }
  if (input.invoice_settings?.days_until_due !== undefined) d.invoice_settings.days_until_due = input.invoice_settings.days_until_due;
  if (input.description !== undefined) d.description = input.description;
  if (input.default_payment_method !== undefined) {
    await customerHooks.assertOwnsPaymentMethod(ctx, sched.customer, input.default_payment_method, `${PARAM}[default_payment_method]`);
    d.default_payment_method = input.default_payment_method;
  }
  if (d.collection_method === 'send_invoice' && d.invoice_settings.days_until_due === null) {
    throw errors.missingParam(`${PARAM}[invoice_settings][days_until_due]`);
  }
  if (d.collection_method !== 'send_invoice' && d.invoice_settings.days_until_due !== null) {
    throw errors.invalidParam(`${PARAM}[invoice_settings][days_until_due]`, 'days_until_due can only be set when collection_method is send_invoice.');
  }
  return JSON.stringify(d) !== before;
}

/** `billing_mode`: Portico bills the classic way only. */
export function billingModeOf(input: Infer<typeof billingModeParam> | undefined): SubscriptionSchedule['billing_mode'] {
  if (input?.type === 'flexible') throw unsupported('billing_mode[type]', 'billing_mode[type]=flexible (Portico prorates the classic way)');
  if (input?.flexible !== undefined) throw unsupported('billing_mode[flexible]');
  return { flexible: null, type: 'classic' };
}

/** The subscription-creation params the settings give (what `createSubscription` takes). */
export function subscriptionDefaults(sched: SubscriptionSchedule): {
  collection_method?: 'charge_automatically' | 'send_invoice';
  days_until_due?: number;
  default_payment_method?: string;
  description?: string;
} {
  const d = sched.default_settings;
  return {
    ...(d.collection_method !== null ? { collection_method: d.collection_method } : {}),
    ...(d.invoice_settings.days_until_due !== null ? { days_until_due: d.invoice_settings.days_until_due } : {}),
    ...(d.default_payment_method !== null ? { default_payment_method: d.default_payment_method } : {}),
    ...(d.description !== null ? { description: d.description } : {}),
  };
}
