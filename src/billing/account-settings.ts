/**
 * The account's billing settings, per mode, in one place (table `billing_settings`, migration 0004):
 * what Stripe's Dashboard calls "Manage failed payments for subscriptions" and "Manage invoices sent to
 * customers". The merchant dashboard edits them through `updateBillingSettings`; the billing engine
 * reads them with `getBillingSettings`.
 *
 * - `subscription_payment_failed`: after the last automatic retry of a subscription's invoice fails,
 *   `cancel` the subscription (default, reason `payment_failed`), mark it `unpaid` (the invoice stays
 *   open; later invoices are left as drafts and not attempted), or leave it `past_due`.
 * - `send_invoice_overdue`: a `send_invoice` subscription becomes `past_due` when its invoice passes its
 *   due date (`invoice.overdue`); `days_after_due` days later `action` applies (same three choices;
 *   default cancel after 30 days).
 * - `upcoming_renewal_days`: how many days before an automatically charged renewal `invoice.upcoming`
 *   is sent ("Upcoming renewal events": 3, 7, 15, 30 or 45; default 3).
 *
 * Within a billing-clock batch (a unit of work) the settings are read once and kept for the batch.
 */
import { errors } from '../lib/errors.ts';
import type { Ctx } from '../storage/context.ts';

export type DunningEnd = 'cancel' | 'unpaid' | 'past_due';

export interface BillingSettings {
  subscription_payment_failed: DunningEnd;
  send_invoice_overdue: { action: DunningEnd; days_after_due: number };
  upcoming_renewal_days: number;
}

export const DEFAULT_BILLING_SETTINGS: BillingSettings = {
  subscription_payment_failed: 'cancel',
  send_invoice_overdue: { action: 'cancel', days_after_due: 30 },
  upcoming_renewal_days: 3,
};

export interface BillingSettingsUpdate {
  subscription_payment_failed?: DunningEnd;
  send_invoice_overdue?: { action?: DunningEnd; days_after_due?: number };
  upcoming_renewal_days?: number;
}

const ENDS: readonly string[] = ['cancel', 'unpaid', 'past_due'];
/** The choices Stripe's Dashboard offers for upcoming renewal events. */
export const UPCOMING_RENEWAL_DAYS: readonly number[] = [3, 7, 15, 30, 45];

function merge(stored: Record<string, unknown>): BillingSettings {
  const out = structuredClone(DEFAULT_BILLING_SETTINGS);
  const failed = stored['subscription_payment_failed'];
  if (typeof failed === 'string' && ENDS.includes(failed)) out.subscription_payment_failed = failed as DunningEnd;
  const overdue = stored['send_invoice_overdue'] as Record<string, unknown> | undefined;
  if (overdue && typeof overdue === 'object') {
    if (typeof overdue['action'] === 'string' && ENDS.includes(overdue['action'])) out.send_invoice_overdue.action = overdue['action'] as DunningEnd;
    const days = overdue['days_after_due'];
    if (typeof days === 'number' && Number.isInteger(days) && days >= 0) out.send_invoice_overdue.days_after_due = days;
  }
  const upcoming = stored['upcoming_renewal_days'];
  if (typeof upcoming === 'number' && UPCOMING_RENEWAL_DAYS.includes(upcoming)) out.upcoming_renewal_days = upcoming;
  return out;
}

/** The settings of ctx's mode (the defaults until something was changed). */
export async function getBillingSettings(ctx: Ctx): Promise<BillingSettings> {
  const read = async () => {
    const row = await ctx.db.selectFrom('billing_settings').select('settings').where('livemode', '=', ctx.livemode).executeTakeFirst();
    return merge(row?.settings ?? {});
  };
  return ctx.uow ? structuredClone(await ctx.uow.memo(`billing_settings:${ctx.livemode}`, read)) : read();
}

/**
 * Changes some settings of ctx's mode; returns them all.
 * @example await updateBillingSettings(ctx, { subscription_payment_failed: 'unpaid' })
 */
export async function updateBillingSettings(ctx: Ctx, patch: BillingSettingsUpdate): Promise<BillingSettings> {
  if (patch.subscription_payment_failed !== undefined && !ENDS.includes(patch.subscription_payment_failed)) {
    throw errors.invalidParam('subscription_payment_failed', `Invalid subscription_payment_failed: must be one of ${ENDS.join(', ')}`);
  }
  const o = patch.send_invoice_overdue;
  if (o?.action !== undefined && !ENDS.includes(o.action)) {
    throw errors.invalidParam('send_invoice_overdue[action]', `Invalid send_invoice_overdue[action]: must be one of ${ENDS.join(', ')}`);
  }
  if (o?.days_after_due !== undefined && (!Number.isInteger(o.days_after_due) || o.days_after_due < 0 || o.days_after_due > 365)) {
    throw errors.invalidParam('send_invoice_overdue[days_after_due]', 'days_after_due must be an integer from 0 to 365.');
  }
  if (patch.upcoming_renewal_days !== undefined && !UPCOMING_RENEWAL_DAYS.includes(patch.upcoming_renewal_days)) {
    throw errors.invalidParam('upcoming_renewal_days', `Invalid upcoming_renewal_days: must be one of ${UPCOMING_RENEWAL_DAYS.join(', ')}`);
  }
  const current = await getBillingSettings(ctx);
  const next: BillingSettings = {
    subscription_payment_failed: patch.subscription_payment_failed ?? current.subscription_payment_failed,
    send_invoice_overdue: { ...current.send_invoice_overdue, ...(o?.action !== undefined ? { action: o.action } : {}), ...(o?.days_after_due !== undefined ? { days_after_due: o.days_after_due } : {}) },
    upcoming_renewal_days: patch.upcoming_renewal_days ?? current.upcoming_renewal_days,
  };
  const json = JSON.stringify(next);
  await ctx.db
    .insertInto('billing_settings')
    .values({ livemode: ctx.livemode, settings: json, updated: ctx.clock.now() })
    .onConflict((oc) => oc.column('livemode').doUpdateSet({ settings: json, updated: ctx.clock.now() }))
    .execute();
  return next;
}
