/**
 * Adding an invoice item to a draft invoice (`invoiceitems.create` with `invoice`, `add_lines`): the
 * item becomes a line of the draft, which is rebuilt (totals, discounts, taxes) and announced with
 * `invoice.updated`. Only drafts of the item's customer and currency take items.
 */
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Ctx } from '../../storage/context.ts';
import { emitUpdated } from '../../events/outbox.ts';
import { buildInvoice } from './build.ts';
import { itemLine, refreshDue, type PendingItem } from './create.ts';
import { loadInvoice, writeInvoice, type StoredInvoice } from './store.ts';
import type { Invoice, InvoicePrivate } from './types.ts';

/** The draft `id`, locked, or a 400 naming `param` when it is not a draft. */
export async function loadDraft(ctx: Ctx, id: string, param: string): Promise<StoredInvoice> {
  const stored = await loadInvoice(ctx, id, param, true);
  if (stored.invoice.status !== 'draft') {
    throw errors.invalidParam(param, `The invoice ${id} is ${stored.invoice.status}: only draft invoices can change their lines.`, 'invoice_not_editable');
  }
  return stored;
}

/** Appends the item's line to a draft in memory (checks customer and currency). */
export async function appendItemLine(ctx: Ctx, invoice: Invoice, priv: InvoicePrivate, item: PendingItem & { customer: string }, param: string): Promise<void> {
  if (item.customer !== invoice.customer) {
    throw errors.invalidParam(param, `The invoice ${invoice.id} belongs to another customer than the invoice item.`);
  }
  if (item.currency !== invoice.currency) {
    throw errors.invalidParam(param, `The invoice ${invoice.id} is in ${invoice.currency}; the invoice item is in ${item.currency}.`);
  }
  priv.lines.push({ id: newId('line_item'), input: await itemLine(ctx, item) });
}

/** Rebuilds a draft from its stored lines and discounts, writes it and emits `invoice.updated`. */
export async function saveRebuiltDraft(ctx: Ctx, before: Invoice, invoice: Invoice, priv: InvoicePrivate): Promise<Invoice> {
  const rebuilt = await buildInvoice(ctx, invoice, priv.lines, priv.discounts);
  priv.allLines = rebuilt.allLines;
  refreshDue(invoice);
  await writeInvoice(ctx, invoice, priv);
  await emitUpdated(ctx, 'invoice.updated', before, invoice);
  return invoice;
}

/** Puts a new invoice item on the draft `invoiceId` (see the module comment). */
export async function addItemToDraft(ctx: Ctx, invoiceId: string, item: PendingItem & { customer: string }, param: string): Promise<Invoice> {
  const { invoice: before, priv } = await loadDraft(ctx, invoiceId, param);
  const invoice = structuredClone(before);
  await appendItemLine(ctx, invoice, priv, item, param);
  return saveRebuiltDraft(ctx, before, invoice, priv);
}
