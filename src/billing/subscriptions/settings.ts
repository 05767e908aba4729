/**
 * A subscription's settings beyond its items: `payment_settings`, `invoice_settings`, `billing_mode`,
 * `billing_cycle_anchor_config`, and the parameters Portico knows but refuses (`parameter_unsupported`,
 * one reason each). Parsing here, applying in create.ts and update.ts.
 *
 * Invariants:
 * - `payment_settings[payment_method_types]` names only `card` (Portico's processor takes cards);
 *   `save_default_payment_method=on_subscription` makes the card that pays an invoice of the
 *   subscription its `default_payment_method` when it has none (status.ts `issueInvoice`).
 * - `invoice_settings` `custom_fields`, `description`, `footer` go on every later invoice of the
 *   subscription, over the customer's own; `issuer` is always the account itself (`self`).
 * - `billing_mode[type]` is `classic` (Portico's only proration mode); `flexible` is refused.
 * - `billing_cycle_anchor_config` gives the first anchor after now with that day of month (clamped
 *   to the month's last day), month (yearly prices) and time of day (UTC; default: now's).
 */
import { errors } from '../../lib/errors.ts';
import { p, type Schema } from '../../lib/params.ts';
import type { BillingCycleAnchorConfig, SubscriptionInvoiceSettings } from './types.ts';

const CONNECT = 'Portico has no Connect accounts.';

/** Parameters of create and update that Portico refuses, each with its reason. */
export const refusedSubscriptionParams = {
  application_fee_percent: p.unsupported(CONNECT),
  on_behalf_of: p.unsupported(CONNECT),
  transfer_data: p.unsupported(CONNECT),
  customer_account: p.unsupported('Accounts v2 are not available: give customer (a cus_ id).'),
  billing_schedules: p.unsupported('billing schedules (bill-until dates) are not implemented.'),
  billing_thresholds: p.unsupported('usage thresholds need metered prices, which Portico does not bill.'),
};

/** Only `card`: anything else is refused naming the entry. */
const cardOnly: Schema<'card'> = {
  required: false,
  parse(value, path) {
    const type = p.string({ max: 100 }).parse(value, path);
    if (type !== 'card') throw errors.unsupportedParam(path, `Portico's payment processor takes cards only (payment method type card).`);
    return 'card';
  },
};

export const paymentSettingsParam = p.object({
  payment_method_options: p.emptyable(p.unsupported('payment method options (mandates, 3-D Secure requests) are not configurable.')),
  payment_method_types: p.emptyable(p.array(cardOnly, { max: 50 })),
  save_default_payment_method: p.enumOf(['off', 'on_subscription']),
});
export type PaymentSettingsParam = NonNullable<ReturnType<typeof paymentSettingsParam.parse>>;

const issuerParam = p.object({
  type: p.enumOf(['account', 'self']).req(),
  account: p.unsupported(CONNECT),
});

const customFieldsParam = p.emptyable(
  p.array(p.object({ name: p.string({ max: 40 }).req(), value: p.string({ max: 140 }).req() }), { max: 4 }),
);

export const invoiceSettingsParam = p.object({
  account_tax_ids: p.emptyable(p.unsupported('the account has no tax IDs of its own in Portico.')),
  custom_fields: customFieldsParam,
  description: p.emptyable(p.string({ max: 1500 })),
  footer: p.emptyable(p.string({ max: 5000 })),
  issuer: issuerParam,
});
export type InvoiceSettingsParam = NonNullable<ReturnType<typeof invoiceSettingsParam.parse>>;

export function defaultInvoiceSettings(): SubscriptionInvoiceSettings {
  return { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } };
}

/** Applies an `invoice_settings` param to the current settings (returns new settings). */
export function applyInvoiceSettings(current: SubscriptionInvoiceSettings, param: InvoiceSettingsParam | undefined): SubscriptionInvoiceSettings {
  if (param === undefined) return current;
  if (param.issuer?.type === 'account') {
    throw errors.unsupportedParam('invoice_settings[issuer][type]', `invoices are issued by the account itself (type self); ${CONNECT}`);
  }
  const next = structuredClone(current);
  if (param.custom_fields !== undefined) next.custom_fields = param.custom_fields;
  if (param.description !== undefined) next.description = param.description;
  if (param.footer !== undefined) next.footer = param.footer;
  return next;
}

/** Applies a `payment_settings` param (returns new settings). */
export function applyPaymentSettings(
  current: { payment_method_options: null; payment_method_types: string[] | null; save_default_payment_method: 'off' | 'on_subscription' },
  param: PaymentSettingsParam | undefined,
) {
  if (param === undefined) return current;
  return {
    payment_method_options: null,
    payment_method_types: param.payment_method_types !== undefined ? param.payment_method_types : current.payment_method_types,
    save_default_payment_method: param.save_default_payment_method ?? current.save_default_payment_method,
  };
}

export const billingModeParam: Schema<'classic'> = {
  required: false,
  parse(value, path) {
    const parsed = p
      .object({
        type: p.enumOf(['classic', 'flexible']).req(),
        flexible: p.object({ proration_discounts: p.enumOf(['included', 'itemized']) }),
      })
      .parse(value, path);
    if (parsed.type === 'flexible' || parsed.flexible !== undefined) {
      throw errors.unsupportedParam(`${path}[type]`, 'Portico prorates in classic billing mode only.');
    }
    return 'classic';
  },
};

export const anchorConfigParam = p.object({
  day_of_month: p.integer({ min: 1, max: 31 }).req(),
  hour: p.integer({ min: 0, max: 23 }),
  minute: p.integer({ min: 0, max: 59 }),
  month: p.integer({ min: 1, max: 12 }),
  second: p.integer({ min: 0, max: 59 }),
});
export type AnchorConfigParam = NonNullable<ReturnType<typeof anchorConfigParam.parse>>;

function utcAt(year: number, month0: number, day: number, h: number, m: number, s: number): number {
  const last = new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
  return Date.UTC(year, month0, Math.min(day, last), h, m, s) / 1000;
}

/**
 * The first anchor strictly after `now` that matches the config, and the config as shown.
 * @example anchorFromConfig({ day_of_month: 1 }, 1_893_456_000 + 86_400 * 14, 'month') // 2030-02-01T00:00:00Z
 */
export function anchorFromConfig(
  config: AnchorConfigParam,
  now: number,
  interval: 'day' | 'week' | 'month' | 'year',
): { anchor: number; shown: BillingCycleAnchorConfig } {
  if (interval === 'day' || interval === 'week') {
    throw errors.invalidParam('billing_cycle_anchor_config', 'billing_cycle_anchor_config is only for prices billed monthly or yearly.');
  }
  if (config.month !== undefined && interval !== 'year') {
    throw errors.invalidParam('billing_cycle_anchor_config[month]', 'billing_cycle_anchor_config[month] is only for prices billed yearly.');
  }
  const d = new Date(now * 1000);
  const h = config.hour ?? d.getUTCHours();
  const m = config.minute ?? d.getUTCMinutes();
  const s = config.second ?? d.getUTCSeconds();
  let anchor = 0;
  for (let k = 0; k <= 24 && anchor <= now; k++) {
    const month0 = config.month !== undefined ? config.month - 1 : d.getUTCMonth() + k;
    const year = config.month !== undefined ? d.getUTCFullYear() + k : d.getUTCFullYear();
    anchor = utcAt(year, month0, config.day_of_month, h, m, s);
  }
  return {
    anchor,
    shown: {
      day_of_month: config.day_of_month,
      hour: config.hour ?? null,
      minute: config.minute ?? null,
      month: config.month ?? null,
      second: config.second ?? null,
    },
  };
}
