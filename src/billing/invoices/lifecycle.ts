/**
 * The ends of an invoice's life. Statuses: `draft → open → paid | void | uncollectible`, and
 * `uncollectible → paid | void` (as Stripe). `paid` and `void` are terminal.
 * - void (open or uncollectible): `voided_at`, no more payment attempts; the customer balance the
 *   invoice took (ending − starting balance) is given back (`customer.updated`); `invoice.voided`.
 * - mark uncollectible (open only): `marked_uncollectible_at`, no more automatic attempts (it can still
 *   be paid with `/pay`); `invoice.marked_uncollectible`.
 * - delete (draft only): the row is marked deleted, its invoice items become pending again, and
 *   `invoice.deleted` is emitted.
 * Locks: customer, then invoice.
 */
import { errors } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import { updateObject } from '../../storage/objects.ts';
import { sql } from 'kysely';
import { emit, emitUpdated } from '../../events/outbox.ts';
import { recordBalanceChange } from '../customer-balance.ts';
import { getCustomer } from '../customers.ts';
import { finalizeInvoice } from './finalize.ts';
import { invoiceCustomer, loadInvoice, writeInvoice } from './store.ts';
import type { DeletedInvoice, Invoice, UncollectibleReason } from './types.ts';

async function lockBoth(ctx: Ctx, id: string) {
  const customer = await getCustomer(ctx, await invoiceCustomer(ctx, id, 'invoice'), 'customer', true);
  return { customer, stored: await loadInvoice(ctx, id, 'invoice', true) };
}

/** Voids an open or uncollectible invoice. */
export async function voidInvoice(ctx: Ctx, id: string): Promise<Invoice> {
  const { customer, stored } = await lockBoth(ctx, id);
  const invoice = structuredClone(stored.invoice);
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw errors.invalidRequest(
      invoice.status === 'draft'
        ? 'You can only void invoices that have been finalized. Delete a draft invoice instead.'
        : `You cannot void an invoice that is ${invoice.status}.`,
      undefined,
      'invoice_not_editable',
    );
  }
  invoice.status = 'void';
  delete invoice.status_details; // shown only while uncollectible
  invoice.status_transitions.voided_at = ctx.clock.now();
  invoice.next_payment_attempt = null;
  await writeInvoice(ctx, invoice, stored.priv, null);
  const taken = (invoice.ending_balance ?? invoice.starting_balance) - invoice.starting_balance;
  if (taken !== 0) {
    const after = { ...customer, balance: customer.balance - taken };
    await recordBalanceChange(ctx, customer, after, { type: 'unapplied_from_invoice', currency: invoice.currency, invoice: invoice.id });
    await updateObject(ctx, customer.id, { data: after });
    await emitUpdated(ctx, 'customer.updated', customer, after);
  }
  await emit(ctx, 'invoice.voided', invoice);
  return invoice;
}

/**
 * Marks an open invoice uncollectible; `status_details.uncollectible.reason` says why (`user_forgiven`:
 * through the API, as Stripe names it).
 */
export async function markUncollectible(ctx: Ctx, id: string, reason: UncollectibleReason = 'user_forgiven'): Promise<Invoice> {
  const { stored } = await lockBoth(ctx, id);
  const invoice = structuredClone(stored.invoice);
  if (invoice.status !== 'open') {
    throw errors.invalidRequest(
      `You can only mark open invoices uncollectible; this invoice is ${invoice.status}.`,
      undefined,
      'invoice_not_editable',
    );
  }
  invoice.status = 'uncollectible';
  invoice.status_details = { uncollectible: { reason } };
  invoice.status_transitions.marked_uncollectible_at = ctx.clock.now();
  invoice.next_payment_attempt = null;
  await writeInvoice(ctx, invoice, stored.priv, null);
  await emit(ctx, 'invoice.marked_uncollectible', invoice);
  return invoice;
}

/**
 * Deletes a draft invoice; its invoice items are pending again, except the ones a revision copied from
 * its original, which already bills them: those are deleted with it (`invoiceitem.deleted`).
 */
export async function deleteInvoice(ctx: Ctx, id: string): Promise<DeletedInvoice> {
  const { stored } = await lockBoth(ctx, id);
  if (stored.invoice.status !== 'draft') {
    throw errors.invalidRequest(
      'You can only delete draft invoices. Void or mark uncollectible a finalized invoice instead.',
      undefined,
      'invoice_not_editable',
    );
  }
  await updateObject(ctx, id, { deleted: true, due_at: null });
  await ctx.uow?.settle(ctx.db); // the items by invoice below are a query, not a read by id
  const items = await ctx.db
    .selectFrom('objects')
    .select(['id', 'data'])
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', 'invoiceitem')
    .where(sql<string>`data->>'invoice'`, '=', id)
    .execute();
  const copied = new Set(stored.priv.copied_items ?? []);
  for (const item of items) {
    if (copied.has(item.id)) {
      await updateObject(ctx, item.id, { deleted: true });
      await emit(ctx, 'invoiceitem.deleted', item.data as object);
    } else {
      await updateObject(ctx, item.id, { data: { ...(item.data as object), invoice: null } });
    }
  }
  await emit(ctx, 'invoice.deleted', stored.invoice);
  return { id, object: 'invoice', deleted: true };
}

/**
 * `POST /v1/invoices/{id}/send`: a `send_invoice` invoice is finalized if still a draft, then sent to
 * the customer (`invoice.sent`; the hosted page is its `hosted_invoice_url`). Void and uncollectible
 * invoices, and invoices charged automatically, cannot be sent (400).
 */
export async function sendInvoice(ctx: Ctx, id: string): Promise<Invoice> {
  let { invoice } = await loadInvoice(ctx, id, 'invoice');
  if (invoice.collection_method !== 'send_invoice') {
    throw errors.invalidRequest('You can only send invoices whose collection_method is send_invoice.', undefined, 'invoice_not_editable');
  }
  if (invoice.status === 'void' || invoice.status === 'uncollectible') {
    throw errors.invalidRequest(`This invoice is ${invoice.status} and cannot be sent.`, undefined, 'invoice_not_editable');
  }
  if (invoice.status === 'draft') invoice = await finalizeInvoice(ctx, id);
  await emit(ctx, 'invoice.sent', invoice);
  return invoice;
}
