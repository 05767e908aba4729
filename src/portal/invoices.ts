/**
 * The customer's invoices as the portal shows them and pays them, with no HTTP: the history a page at a
 * time (issued invoices only, newest first, `starting_after` as the API's cursor) and paying an open one
 * on-session with the default or another of the customer's cards through the engine's
 * `attemptInvoicePayment`, exactly as `POST /v1/invoices/{id}/pay` does (so a `past_due` subscription
 * becomes `active` again through the engine's invoice-paid hooks). The invoice row is locked for the
 * payment: of two tabs paying one invoice, the second finds it paid and charges nothing.
 */
import { sql } from 'kysely';
import type { Ctx } from '../storage/context.ts';
import { findObject, listObjects } from '../storage/objects.ts';
import { attemptInvoicePayment } from '../billing/invoices/pay.ts';
import { atClockTime } from '../billing/invoices/store.ts';
import type { Invoice } from '../billing/invoices/types.ts';
import type { InvoiceView } from './home.ts';
import { defaultCardOf, ownedCard } from './payment-methods.ts';
import type { Customer } from '../billing/customers.ts';

export const INVOICE_PAGE_SIZE = 10;

export function invoiceView(i: Invoice): InvoiceView {
  return {
    id: i.id,
    number: i.number,
    created: i.status_transitions.finalized_at ?? i.created,
    total: i.total,
    amountDue: i.amount_remaining,
    currency: i.currency,
    status: i.status,
    hostedInvoiceUrl: i.hosted_invoice_url ?? null,
    pdfUrl: i.invoice_pdf ?? null,
    payable: isPayable(i),
  };
}

/** Whether the customer can pay this invoice now. */
export function isPayable(i: Invoice): boolean {
  return i.status === 'open' && i.amount_remaining > 0;
}

/** One page of the customer's issued invoices; `startingAfter` must be one of theirs (else the first page). */
export async function invoiceHistoryPage(
  ctx: Ctx,
  customerId: string,
  startingAfter: string | null,
): Promise<{ invoices: InvoiceView[]; hasMore: boolean }> {
  const cursor = startingAfter !== null && (await customerInvoice(ctx, customerId, startingAfter)) ? startingAfter : undefined;
  const page = await listObjects<Invoice>(ctx, 'invoice', {
    limit: INVOICE_PAGE_SIZE,
    ...(cursor ? { starting_after: cursor } : {}),
    // Drafts are the business's work in progress; Stripe's portal shows only issued invoices.
    where: (q) => q.where('customer', '=', customerId).where(sql<string>`data->>'status'`, '!=', 'draft'),
  });
  return {
    invoices: page.data.map((r) => invoiceView(r.data)),
    hasMore: page.has_more,
  };
}

/** The customer's invoice with this id, or null (another customer's, the other mode's, unknown). */
export async function customerInvoice(ctx: Ctx, customerId: string, id: string): Promise<Invoice | null> {
  if (!/^in_[A-Za-z0-9]{1,64}$/.test(id)) return null;
  const row = await findObject<Invoice>(ctx, 'invoice', id);
  return row && row.data.customer === customerId ? row.data : null;
}

export type PayResult =
  | { kind: 'paid' }
  | { kind: 'already_paid' }
  | { kind: 'not_payable' }
  | { kind: 'declined'; code: string }
  /** The issuer asks for 3-D Secure: authenticate, then pay again with `authenticated`. */
  | { kind: 'requires_action'; paymentMethod: string };

/**
 * Pays an open invoice of the customer on-session with `paymentMethod` (one of theirs) or their
 * default. Call inside one transaction. An invoice already paid is reported, not charged again.
 */
export async function payCustomerInvoice(ctx: Ctx, customerId: string, invoiceId: string, paymentMethod: string | null): Promise<PayResult> {
  const invoice = await customerInvoice(ctx, customerId, invoiceId);
  if (!invoice) return { kind: 'not_payable' };
  if (paymentMethod !== null && !(await ownedCard(ctx, customerId, paymentMethod))) return { kind: 'not_payable' };
  // Locks in the engine's order, customer then invoice: a second tab waits here, then finds it paid.
  await findObject(ctx, 'customer', customerId, { forUpdate: true });
  const locked = await findObject<Invoice>(ctx, 'invoice', invoiceId, { forUpdate: true });
  if (!locked) return { kind: 'not_payable' };
  if (locked.data.status === 'paid') return { kind: 'already_paid' };
  if (!isPayable(locked.data)) return { kind: 'not_payable' };
  const pm = paymentMethod ?? locked.data.default_payment_method ?? null;
  const clocked = await atClockTime(ctx, locked.data.test_clock);
  const { payment } = await attemptInvoicePayment(clocked, invoiceId, { ...(pm !== null ? { paymentMethod: pm } : {}), offSession: false });
  if (payment.outcome === 'succeeded' || payment.outcome === 'nothing_due') return { kind: 'paid' };
  if (payment.outcome === 'requires_action') {
    // The card the engine charged (its order: the invoice's defaults, then the customer's).
    const customer = (await findObject<Customer>(ctx, 'customer', customerId))?.data;
    const used = pm ?? locked.data.default_source ?? (customer ? defaultCardOf(customer) : null);
    return used === null ? { kind: 'declined', code: 'payment_method_missing' } : { kind: 'requires_action', paymentMethod: used };
  }
  return { kind: 'declined', code: payment.code };
}
