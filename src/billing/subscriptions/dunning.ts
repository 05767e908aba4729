/**
 * The end of dunning, as the account's billing settings decide (account-settings.ts), and the overdue
 * path of `send_invoice` subscriptions. Called by the billing clock's subscription work (renew.ts).
 *
 * Invariants:
 * - `charge_automatically`: when the awaited invoice's last automatic attempt failed, the setting
 *   `subscription_payment_failed` applies: `cancel` → `canceled` (reason `payment_failed`); `unpaid` →
 *   status `unpaid`, the invoice stays open, later renewals are invoiced as drafts that are neither
 *   finalized nor attempted (`auto_advance: false`) and the newest one is the invoice whose payment
 *   makes the subscription `active` again; `past_due` → stays `past_due`, renewals go on as usual.
 * - `send_invoice`: nothing is charged. The subscription watches its open invoice; when `due_date`
 *   passes unpaid the clock emits `invoice.overdue` once and the subscription becomes `past_due`; after
 *   `send_invoice_overdue.days_after_due` more days the setting's action applies the same way.
 * - Paying the awaited invoice (any way) makes a `past_due` or `unpaid` subscription `active`
 *   (status.ts `syncWithInvoice` via the invoice-paid hook, or the clock's next run).
 * - While no automatic attempt is left the subscription is "quiet": no hourly fallback check.
 */
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import { emit } from '../../events/outbox.ts';
import { getBillingSettings, type DunningEnd } from '../account-settings.ts';
import { createDraftInvoice, getInvoice, type Invoice, type LineInput } from '../invoices/index.ts';
import { DAY, draftParams, markCanceled, recordPeriod, type InvoiceResult } from './status.ts';
import type { StoredSubscription } from './types.ts';

/** Applies `end` to a subscription whose awaited invoice will not be collected; true if it is canceled. */
function applyEnd(s: StoredSubscription, end: DunningEnd, now: number): boolean {
  s.priv.dunning_quiet = true;
  s.priv.dunning_next_attempt = null;
  if (end === 'cancel') {
    markCanceled(s, now, 'payment_failed');
    return true;
  }
  if (end === 'unpaid') s.sub.status = 'unpaid';
  return false;
}

/**
 * The last automatic attempt of the awaited invoice failed (`syncWithInvoice` said `failed`): applies
 * the account's `subscription_payment_failed`. Returns true when the subscription is canceled.
 */
export async function endDunning(ctx: Ctx, s: StoredSubscription, now: number): Promise<boolean> {
  if (s.sub.collection_method !== 'charge_automatically') return false;
  return applyEnd(s, (await getBillingSettings(ctx)).subscription_payment_failed, now);
}

/**
 * An `unpaid` subscription's renewal: a draft the engine leaves alone (not finalized, not attempted),
 * recorded for its period; it becomes `latest_invoice` and the invoice whose payment reactivates.
 */
export async function issueUnpaidInvoice(
  ctx: Ctx,
  s: StoredSubscription,
  lines: LineInput[],
  period: { start: number; end: number },
): Promise<{ invoice: Invoice; result: InvoiceResult }> {
  const now = ctx.clock.now();
  const draft = await createDraftInvoice(ctx, {
    ...(await draftParams(ctx, s, now, 'subscription_cycle', lines, period, lines.some((l) => l.amount > 0))),
    auto_advance: false,
  });
  s.sub.latest_invoice = draft.id;
  await recordPeriod(ctx, s.sub.id, period.start, draft.id);
  s.priv.dunning_invoice = draft.id;
  s.priv.dunning_next_attempt = null;
  s.priv.dunning_quiet = true;
  return { invoice: draft, result: 'draft' };
}

/**
 * An `unpaid` subscription waits on its newest renewal, a draft the merchant may delete: then it waits
 * on nothing (and stays `unpaid` until a later invoice is paid).
 */
export async function forgetDeletedDraft(ctx: Ctx, s: StoredSubscription): Promise<void> {
  const id = s.priv.dunning_invoice;
  if (id === null || s.sub.status !== 'unpaid') return;
  if (await findObject(ctx, 'invoice', id)) return;
  s.priv.dunning_invoice = null;
  s.priv.dunning_next_attempt = null;
}

/** Starts watching a `send_invoice` subscription's open invoice for its due date (unless one is awaited). */
export function watchSendInvoice(s: StoredSubscription, invoice: Invoice): void {
  if (s.sub.collection_method !== 'send_invoice' || invoice.status !== 'open' || invoice.due_date === null) return;
  if (s.priv.dunning_invoice !== null) return;
  s.priv.dunning_invoice = invoice.id;
  s.priv.dunning_next_attempt = null;
  s.priv.dunning_quiet = true;
  s.priv.dunning_check_at = invoice.due_date;
  s.priv.overdue_sent = false;
}

/**
 * The overdue checks of a watched `send_invoice` invoice at `now`: at its due date `invoice.overdue`
 * (once) and `past_due`; at the end of the grace period the setting's action. True when canceled.
 */
export async function checkOverdue(ctx: Ctx, s: StoredSubscription, now: number): Promise<boolean> {
  const at = s.priv.dunning_check_at ?? null;
  if (at === null || at > now || s.priv.dunning_invoice === null || s.sub.collection_method !== 'send_invoice') return false;
  const invoice = await getInvoice(ctx, s.priv.dunning_invoice);
  if (invoice.status !== 'open' || invoice.due_date === null) {
    s.priv.dunning_check_at = null;
    return false;
  }
  const settings = (await getBillingSettings(ctx)).send_invoice_overdue;
  if (!s.priv.overdue_sent) {
    s.priv.overdue_sent = true;
    await emit(ctx, 'invoice.overdue', invoice);
    if (s.sub.status === 'active') s.sub.status = 'past_due';
    s.priv.dunning_check_at = invoice.due_date + settings.days_after_due * DAY;
    if (s.priv.dunning_check_at > now) return false;
  }
  s.priv.dunning_check_at = null;
  return applyEnd(s, settings.action, now);
}
