/**
 * Editing a draft invoice's lines: `add_lines`, `update_lines`, `remove_lines` and
 * `POST /v1/invoices/{id}/lines/{line}`. A line of an invoice item is the item: adding a line makes
 * an invoice item on the draft (or assigns a pending one, `invoice_item`), updating it updates the
 * item, removing it deletes the item (`invoiceitem.deleted`) or makes it pending again (`unassign`;
 * a revision's copy of an item its original bills is deleted either way).
 * A subscription line keeps its amount (the subscription's), but its description, metadata,
 * discountability, period and tax rates can change. Each call rebuilds the draft once and emits one
 * `invoice.updated`.
 */
import { errors } from '../../lib/errors.ts';
import { mergeMetadata, p, type InferShape } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { updateObject } from '../../storage/objects.ts';
import { emit } from '../../events/outbox.ts';
import { lineDiscountsParam } from '../discounts.ts';
import { oneTimePriceDataParam } from '../inline-prices.ts';
import { createInvoiceItem, getInvoiceItem, updateInvoiceItem, type InvoiceItem } from '../invoice-items.ts';
import { applicableTaxRates } from '../tax-rates.ts';
import { itemLine } from './create.ts';
import { appendItemLine, loadDraft, saveRebuiltDraft } from './lines.ts';
import { loadInvoice } from './store.ts';
import type { Invoice, InvoiceLineItem, InvoicePrivate } from './types.ts';

const lineFields = {
  amount: p.integer(),
  description: p.string({ max: 500 }),
  discountable: p.boolean(),
  discounts: lineDiscountsParam,
  metadata: p.metadata(),
  period: p.object({ start: p.timestamp().req(), end: p.timestamp().req() }),
  price_data: oneTimePriceDataParam,
  pricing: p.object({ price: p.string() }),
  quantity: p.integer({ min: 0, max: 1_000_000_000 }),
  quantity_decimal: p.decimal(),
  tax_amounts: p.emptyable(p.unsupported('tax amounts are computed from tax rates in Portico: give tax_rates.')),
  tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
};

const invoiceMetadata = p.metadata();

export const addLinesShape = {
  lines: p.array(p.object({ ...lineFields, invoice_item: p.string() }), { max: 250 }).req(),
  invoice_metadata: invoiceMetadata,
};
export const updateLinesShape = {
  lines: p.array(p.object({ ...lineFields, id: p.string().req() }), { max: 250 }).req(),
  invoice_metadata: invoiceMetadata,
};
export const removeLinesShape = {
  lines: p.array(p.object({ id: p.string().req(), behavior: p.enumOf(['delete', 'unassign']).req() }), { max: 250 }).req(),
  invoice_metadata: invoiceMetadata,
};
export const updateLineShape = lineFields;

type LineFields = InferShape<typeof lineFields>;

/** The item-update params of a line edit (null tax rates: none). */
function itemParams(f: Partial<LineFields>) {
  const { tax_amounts: _t, tax_rates, ...rest } = f;
  return { ...rest, ...(tax_rates !== undefined ? { tax_rates } : {}) };
}

async function withDraft(
  ctx: Ctx,
  id: string,
  metadata: Record<string, string | null> | null | undefined,
  edit: (invoice: Invoice, priv: InvoicePrivate) => Promise<void>,
): Promise<Invoice> {
  const { invoice: before, priv } = await loadDraft(ctx, id, 'invoice');
  const invoice = structuredClone(before);
  await edit(invoice, priv);
  invoice.metadata = mergeMetadata(invoice.metadata, metadata);
  return saveRebuiltDraft(ctx, before, invoice, priv);
}

/** `POST /v1/invoices/{id}/add_lines`. */
export function addLines(ctx: Ctx, id: string, q: InferShape<typeof addLinesShape>): Promise<Invoice> {
  return withDraft(ctx, id, q.invoice_metadata, async (invoice, priv) => {
    for (const [i, l] of q.lines.entries()) {
      const at = `lines[${i}]`;
      const { invoice_item, ...fields } = l;
      let item: InvoiceItem;
      if (invoice_item !== undefined) {
        item = await getInvoiceItem(ctx, invoice_item, `${at}[invoice_item]`, true);
        if (Object.keys(fields).length > 0) item = await updateInvoiceItem(ctx, item.id, itemParams(fields));
        if (item.invoice !== null) throw errors.invalidParam(`${at}[invoice_item]`, `The invoice item ${item.id} is already on ${item.invoice}.`);
      } else {
        const { tax_rates, ...rest } = itemParams(fields);
        item = await createInvoiceItem(ctx, { ...rest, ...(tax_rates ? { tax_rates } : {}), customer: invoice.customer, currency: invoice.currency }, { prefix: at });
      }
      await appendItemLine(ctx, invoice, priv, item, `${at}[invoice_item]`);
      await updateObject(ctx, item.id, { data: { ...item, invoice: invoice.id } });
    }
  });
}

/** Applies one line's edit (see the module comment). */
async function editLine(ctx: Ctx, invoice: Invoice, priv: InvoicePrivate, lineId: string, f: Partial<LineFields>, at: string): Promise<void> {
  const stored = priv.lines.find((l) => l.id === lineId);
  if (!stored) throw errors.resourceMissing('line item', lineId, at.endsWith(']') ? `${at}[id]` : 'line_item_id');
  const input = stored.input;
  if (input.type === 'invoice_item_details' && input.invoice_item) {
    const item = await updateInvoiceItem(ctx, input.invoice_item, itemParams(f), { onDraft: invoice.id });
    stored.input = await itemLine(ctx, item);
    return;
  }
  for (const k of ['amount', 'price_data', 'pricing', 'quantity', 'quantity_decimal', 'discounts'] as const) {
    if (f[k] !== undefined) throw errors.invalidParam(at.endsWith(']') ? `${at}[${k}]` : k, 'A subscription line is billed from its subscription item: change the subscription instead.');
  }
  if (f.description !== undefined) input.description = f.description;
  if (f.discountable !== undefined) input.discountable = f.discountable;
  if (f.period !== undefined) input.period = f.period;
  if (f.metadata !== undefined) input.metadata = mergeMetadata(input.metadata ?? {}, f.metadata);
  if (f.tax_rates !== undefined) input.tax_rates = (await applicableTaxRates(ctx, f.tax_rates ?? [], 'tax_rates')).map((r) => r.id);
}

/** `POST /v1/invoices/{id}/update_lines`. */
export function updateLines(ctx: Ctx, id: string, q: InferShape<typeof updateLinesShape>): Promise<Invoice> {
  return withDraft(ctx, id, q.invoice_metadata, async (invoice, priv) => {
    for (const [i, { id: lineId, ...f }] of q.lines.entries()) await editLine(ctx, invoice, priv, lineId, f, `lines[${i}]`);
  });
}

/** `POST /v1/invoices/{id}/lines/{line}`: the edited line. */
export async function updateLine(ctx: Ctx, id: string, lineId: string, f: InferShape<typeof updateLineShape>): Promise<InvoiceLineItem> {
  await withDraft(ctx, id, undefined, (inv, priv) => editLine(ctx, inv, priv, lineId, f, ''));
  return (await loadInvoice(ctx, id, 'invoice')).priv.allLines.find((l) => l.id === lineId)!;
}

/** `POST /v1/invoices/{id}/remove_lines`. */
export function removeLines(ctx: Ctx, id: string, q: InferShape<typeof removeLinesShape>): Promise<Invoice> {
  return withDraft(ctx, id, q.invoice_metadata, async (_invoice, priv) => {
    for (const [i, l] of q.lines.entries()) {
      const idx = priv.lines.findIndex((x) => x.id === l.id);
      if (idx < 0) throw errors.resourceMissing('line item', l.id, `lines[${i}][id]`);
      const input = priv.lines[idx]!.input;
      if (input.type !== 'invoice_item_details' || !input.invoice_item) {
        throw errors.invalidParam(`lines[${i}][id]`, 'A subscription line cannot be removed: change the subscription instead.');
      }
      const item = await getInvoiceItem(ctx, input.invoice_item, `lines[${i}][id]`, true);
      // A revision's copy of its original's item is billed there: it never becomes pending.
      const copy = priv.copied_items?.includes(item.id) === true;
      if (l.behavior === 'delete' || copy) {
        await updateObject(ctx, item.id, { deleted: true });
        await emit(ctx, 'invoiceitem.deleted', item);
      } else {
        await updateObject(ctx, item.id, { data: { ...item, invoice: null } });
      }
      priv.lines.splice(idx, 1);
    }
  });
}
