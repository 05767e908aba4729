/**
 * The billing clock's work on a manual invoice (due handler for object type `invoice`): an
 * auto-advancing draft is finalized an hour after its creation; an open `charge_automatically`
 * invoice whose automatic attempt is due is charged off-session (the first an hour after
 * finalization, then the retries of pay.ts); an open `send_invoice` invoice whose `due_date` passes
 * unpaid gets `invoice.overdue`, once (paying, voiding or writing it off first clears its due time).
 * Subscription invoices are left alone: their subscription's dunning attempts them (and watches their
 * due dates) and decides what their failure means, so no invoice is ever attempted twice for one due
 * time.
 */
import { emit } from '../../events/outbox.ts';
import { registerDueHandler } from '../billing-clock.ts';
import { finalizeInvoice } from './finalize.ts';
import { retryDueInvoice } from './pay.ts';
import type { Invoice } from './types.ts';

registerDueHandler('invoice', async (ctx, row) => {
  const stored = row.data as Invoice;
  if (stored.parent !== null) return null;
  if (stored.status === 'draft') {
    if (!stored.auto_advance) return null;
    const finalized = await finalizeInvoice(ctx, row.id);
    return finalized.status === 'open' ? finalized.next_payment_attempt ?? finalized.due_date : null;
  }
  if (stored.collection_method === 'send_invoice') {
    if (stored.status === 'open') await emit(ctx, 'invoice.overdue', stored);
    return null;
  }
  const { invoice } = await retryDueInvoice(ctx, row.id);
  return invoice.status === 'open' ? invoice.next_payment_attempt : null;
});
