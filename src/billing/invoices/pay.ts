/**
 * Paying an invoice. A draft is finalized first (as Stripe's `/pay` does). The payment method is, in
 * Stripe's order: the one passed (attached to the customer first, so `pm_card_visa` works; or a card
 * `source` of the customer), the
 * invoice's `default_payment_method` then its `default_source` (a subscription passes its own defaults
 * here), then the customer's `invoice_settings.default_payment_method`, then its `default_source` (a card
 * source is a payment method underneath, see sources.ts). With none, the attempt fails like a decline with code
 * `payment_method_missing` (Stripe leaves the invoice open and sends `invoice.payment_failed`).
 *
 * A refusal is an outcome, never an exception: the attempt is recorded (`attempt_count`, `attempted`),
 * the invoice stays open and `invoice.payment_failed` (decline) or `invoice.payment_action_required`
 * (3D Secure) is emitted. Retries (charge_automatically only; Stripe's smart retries replaced by a fixed
 * schedule): after failed attempt n the next comes RETRY_DAYS[n-1] days later (3, 5, 7), so at most
 * MAX_ATTEMPTS = 4 attempts; the row's `due_at` and `next_payment_attempt` name it, null when none is
 * left (the subscription engine then decides what happens to the subscription). Success: `paid`,
 * `invoice.paid` + `invoice.payment_succeeded`. Locks: customer, then invoice.
 */
import { errors } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import { emit } from '../../events/outbox.ts';
import { customerHooks, getCustomer, type Customer } from '../customers.ts';
import { attachPaymentMethod } from '../payment-methods.ts';
import { chargeCard } from '../test-processor.ts';
import { finalizeInvoice, invoicePaidHooks, markPaid } from './finalize.ts';
import { invoiceCustomer, loadInvoice, writeInvoice, type StoredInvoice } from './store.ts';
import type { Invoice, PaymentOutcome } from './types.ts';

export const RETRY_DAYS = [3, 5, 7] as const;
export const MAX_ATTEMPTS = RETRY_DAYS.length + 1;

/** Locks the invoice's customer, then the invoice; a draft is finalized first when `finalizeDraft`. */
async function lockForPayment(
  ctx: Ctx,
  id: string,
  finalizeDraft: boolean,
): Promise<{ customer: Customer; stored: StoredInvoice; paidAtFinalization: boolean }> {
  const customerId = await invoiceCustomer(ctx, id, 'invoice');
  // Through a unit of work (the API's /pay, the billing clock), both locks in one statement, in this order.
  await ctx.uow?.preloadReads(ctx, { lock: [customerId, id] });
  const customer = await getCustomer(ctx, customerId, 'customer', true);
  const stored = await loadInvoice(ctx, id, 'invoice', true);
  if (stored.invoice.status !== 'draft' || !finalizeDraft) return { customer, stored, paidAtFinalization: false };
  const finalized = await finalizeInvoice(ctx, id);
  return {
    customer: await getCustomer(ctx, customer.id, 'customer', true),
    stored: await loadInvoice(ctx, id, 'invoice', true),
    paidAtFinalization: finalized.status === 'paid',
  };
}

function assertPayable(invoice: Invoice): void {
  if (invoice.status === 'paid') throw errors.invalidRequest('Invoice is already paid', undefined, 'invoice_already_paid');
  if (invoice.status === 'void') {
    throw errors.invalidRequest('This invoice is void and can no longer be paid.', undefined, 'invoice_not_editable');
  }
  if (invoice.status === 'draft') {
    throw errors.invalidRequest('This invoice is a draft: finalize it before paying it.', undefined, 'invoice_not_editable');
  }
}

/** When the next automatic attempt comes after `attempts` failed ones (null: none; never for uncollectible). */
export function nextAttemptAt(invoice: Invoice, attempts: number, now: number): number | null {
  if (invoice.status !== 'open' || invoice.collection_method !== 'charge_automatically' || attempts >= MAX_ATTEMPTS) {
    return null;
  }
  return now + RETRY_DAYS[Math.max(0, attempts - 1)]! * 86400;
}

async function succeed(ctx: Ctx, invoice: Invoice, priv: StoredInvoice['priv'], amountPaid: number, events: string[]) {
  markPaid(invoice, ctx.clock.now(), amountPaid);
  await writeInvoice(ctx, invoice, priv, null);
  for (const type of events) await emit(ctx, type, invoice);
  for (const hook of invoicePaidHooks) await hook(ctx, invoice);
}

/**
 * Tries to collect what is left of an invoice; records a refusal instead of throwing it.
 * @example const { invoice, payment } = await attemptInvoicePayment(ctx, 'in_…', { offSession: true })
 */
export async function attemptInvoicePayment(
  ctx: Ctx,
  id: string,
  opts: {
    paymentMethod?: string;
    /** A card source of the invoice's customer (`/pay` with `source`), checked to be its own. */
    source?: string;
    offSession?: boolean;
    /**
     * An extra attempt outside the retry schedule (a customer given a new `source`): it neither counts
     * as an attempt nor moves the next scheduled one.
     */
    outOfSchedule?: boolean;
    /** The customer has just completed 3D Secure for this payment (the portal's test challenge). */
    authenticated?: boolean;
  } = {},
): Promise<{ invoice: Invoice; payment: PaymentOutcome }> {
  const { customer, stored, paidAtFinalization } = await lockForPayment(ctx, id, true);
  const invoice = structuredClone(stored.invoice);
  if (paidAtFinalization) return { invoice, payment: { outcome: 'nothing_due' } };
  assertPayable(invoice);
  const due = invoice.amount_remaining;
  if (due <= 0) {
    await succeed(ctx, invoice, stored.priv, invoice.amount_paid, ['invoice.paid']);
    return { invoice, payment: { outcome: 'nothing_due' } };
  }
  let pm: string | null;
  if (opts.source !== undefined) {
    await customerHooks.assertOwnsSource(ctx, customer.id, opts.source, 'source');
    pm = opts.source;
  } else if (opts.paymentMethod !== undefined) {
    pm = (await attachPaymentMethod(ctx, opts.paymentMethod, customer.id, { paymentMethodParam: 'payment_method' })).id;
  } else {
    pm =
      invoice.default_payment_method ??
      invoice.default_source ??
      customer.invoice_settings.default_payment_method ??
      customer.default_source;
  }
  const payment: PaymentOutcome =
    pm === null
      ? {
          outcome: 'declined',
          code: 'payment_method_missing',
          decline_code: null,
          message:
            'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
        }
      : await chargeCard(ctx, pm, due, invoice.currency, { offSession: opts.offSession ?? true, authenticated: opts.authenticated === true });
  if (opts.outOfSchedule !== true) invoice.attempt_count += 1;
  invoice.attempted = true;
  if (payment.outcome === 'succeeded') {
    await succeed(ctx, invoice, stored.priv, invoice.amount_paid + due, ['invoice.payment_succeeded', 'invoice.paid']);
    return { invoice, payment: { outcome: 'succeeded', payment_method: pm! } };
  }
  if (opts.outOfSchedule === true) {
    await writeInvoice(ctx, invoice, stored.priv, stored.row.due_at);
  } else {
    const next = nextAttemptAt(invoice, invoice.attempt_count, ctx.clock.now());
    invoice.next_payment_attempt = next;
    await writeInvoice(ctx, invoice, stored.priv, next);
  }
  await emit(ctx, payment.outcome === 'requires_action' ? 'invoice.payment_action_required' : 'invoice.payment_failed', invoice);
  return { invoice, payment };
}

/**
 * The billing clock's retry: when the invoice's `due_at` has passed and it is still open, attempts
 * the payment off-session; otherwise clears `due_at` and reports `nothing_due`.
 */
export async function retryDueInvoice(ctx: Ctx, id: string): Promise<{ invoice: Invoice; payment: PaymentOutcome }> {
  const { stored } = await lockForPayment(ctx, id, false);
  const dueAt = stored.row.due_at;
  if (dueAt === null || dueAt > ctx.clock.now()) return { invoice: stored.invoice, payment: { outcome: 'nothing_due' } };
  if (stored.invoice.status !== 'open') {
    await writeInvoice(ctx, stored.invoice, undefined, null);
    return { invoice: stored.invoice, payment: { outcome: 'nothing_due' } };
  }
  return attemptInvoicePayment(ctx, id, { offSession: true });
}

/** `/pay` with `paid_out_of_band`: paid without charging anything (`invoice.paid`). */
export async function payOutOfBand(ctx: Ctx, id: string): Promise<Invoice> {
  const { stored, paidAtFinalization } = await lockForPayment(ctx, id, true);
  const invoice = structuredClone(stored.invoice);
  if (paidAtFinalization) return invoice;
  assertPayable(invoice);
  // What was paid outside Portico is also shown apart (Stripe's `amount_paid_off_stripe`).
  invoice.amount_paid_off_stripe = (invoice.amount_paid_off_stripe ?? 0) + invoice.amount_remaining;
  await succeed(ctx, invoice, stored.priv, invoice.amount_paid + invoice.amount_remaining, ['invoice.paid']);
  return invoice;
}
