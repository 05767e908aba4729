/**
 * Finalizing a draft: `draft → open` (or straight to `paid` when nothing is due), with a number, the
 * customer's balance applied (see totals.ts: a credit lowers `amount_due`, a negative total becomes
 * credit; `customer.updated` when the balance changes), `due_date` for `send_invoice`
 * (finalized_at + days_until_due·86400), and `effective_at` = finalized_at. A manual (no parent)
 * `charge_automatically` invoice with `auto_advance` gets its first automatic payment attempt
 * scheduled an hour later, as Stripe does (`next_payment_attempt`, row `due_at`); a subscription's
 * invoice is left to the subscription engine, which attempts it itself.
 * A revision (`from_invoice`) voids the invoice it revises as it is finalized (revision.ts).
 * Locks: customer, then invoice (then a revision's original). Events: `invoice.finalized` (+ the
 * original's `invoice.voided` for a revision, + `invoice.paid` and `invoice.payment_succeeded` when
 * nothing is due).
 */
import { errors } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import { updateObject } from '../../storage/objects.ts';
import { emit, emitUpdated } from '../../events/outbox.ts';
import { recordBalanceChange } from '../customer-balance.ts';
import { getCustomer } from '../customers.ts';
import { buildInvoice } from './build.ts';
import { createHostedLinks } from './hosted-links.ts';
import { takeInvoiceNumber } from './numbering.ts';
import { retireOriginal, revisionNumber } from './revision.ts';
import { customerTaxIdSnapshot } from '../tax-ids.ts';
import { invoiceCustomer, loadInvoice, writeInvoice } from './store.ts';
import { applyBalance } from './totals.ts';
import type { Invoice } from './types.ts';

/** Stripe waits about an hour after finalization before charging an auto-advancing invoice. */
export const FIRST_ATTEMPT_DELAY = 3600;

/**
 * What other modules do when an invoice becomes paid, however that happened (a charge, `/pay`,
 * out of band, nothing due at finalization), in the same transaction, after its events.
 */
export const invoicePaidHooks: ((ctx: Ctx, invoice: Invoice) => Promise<void>)[] = [];

/** Marks an invoice paid at `now` (amounts and transitions only; the caller writes and emits). */
export function markPaid(invoice: Invoice, now: number, amountPaid: number): void {
  invoice.status = 'paid';
  delete invoice.status_details; // shown only while uncollectible
  invoice.amount_paid = amountPaid;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = now;
}

/**
 * Finalizes a draft invoice.
 * @example const open = await finalizeInvoice(ctx, 'in_…')
 */
export async function finalizeInvoice(ctx: Ctx, id: string, opts: { autoAdvance?: boolean } = {}): Promise<Invoice> {
  let customer = await getCustomer(ctx, await invoiceCustomer(ctx, id, 'invoice'), 'customer', true);
  const { invoice: before, priv } = await loadInvoice(ctx, id, 'invoice', true);
  if (before.status !== 'draft') {
    throw errors.invalidRequest('This invoice is already finalized, you can\'t re-finalize a non-draft invoice.', undefined, 'invoice_not_editable');
  }
  // A revision first voids its original, so the customer balance that one took is back for this one.
  const revision = before.from_invoice !== null;
  const revisedNumber = revision ? await revisionNumber(ctx, before) : null;
  if (revision) {
    await retireOriginal(ctx, before);
    customer = await getCustomer(ctx, customer.id, 'customer', true);
  }
  const now = ctx.clock.now();
  const rebuilt = await buildInvoice(ctx, structuredClone(before), priv.lines, priv.discounts);
  const invoice = rebuilt.invoice;
  if (opts.autoAdvance !== undefined) invoice.auto_advance = opts.autoAdvance;

  // A number given to the draft (`number`) is kept; a revision takes its original's with a suffix;
  // otherwise the customer's next one is taken.
  const given = invoice.number ?? revisedNumber;
  const { number, customer: numbered } = given !== null ? { number: given, customer } : takeInvoiceNumber(customer);
  // From finalization on, the customer's tax IDs shown are the ones it had now.
  invoice.customer_tax_ids = await customerTaxIdSnapshot(ctx, customer.id);
  const { amount_due, ending_balance } = applyBalance(invoice.total, customer.balance);
  const after = { ...numbered, balance: ending_balance };
  await recordBalanceChange(ctx, customer, after, { type: 'applied_to_invoice', currency: invoice.currency, invoice: invoice.id });
  await updateObject(ctx, customer.id, { data: after });
  if (after.balance !== customer.balance) await emitUpdated(ctx, 'customer.updated', customer, after);

  invoice.number = number;
  await createHostedLinks(ctx, invoice); // hosted_invoice_url, invoice_pdf
  invoice.starting_balance = customer.balance;
  invoice.ending_balance = ending_balance;
  invoice.amount_due = amount_due;
  invoice.amount_remaining = amount_due;
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = now;
  invoice.effective_at = priv.effective_at ?? now;
  if (invoice.collection_method === 'send_invoice') invoice.due_date = priv.due_date ?? now + (priv.days_until_due ?? 30) * 86400;
  let dueAt: number | null = null;
  if (amount_due === 0) {
    markPaid(invoice, now, 0);
  } else if (invoice.collection_method === 'charge_automatically' && invoice.auto_advance && invoice.parent === null) {
    dueAt = now + FIRST_ATTEMPT_DELAY;
    invoice.next_payment_attempt = dueAt;
  } else if (invoice.collection_method === 'send_invoice' && invoice.parent === null) {
    dueAt = invoice.due_date; // the billing clock tells when it passes unpaid (collect.ts)
  }
  await writeInvoice(ctx, invoice, { ...priv, allLines: rebuilt.allLines }, dueAt);
  await emit(ctx, 'invoice.finalized', invoice);
  if (amount_due === 0) {
    await emit(ctx, 'invoice.paid', invoice);
    await emit(ctx, 'invoice.payment_succeeded', invoice);
    for (const hook of invoicePaidHooks) await hook(ctx, invoice);
  }
  return invoice;
}
