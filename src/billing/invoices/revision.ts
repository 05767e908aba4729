/**
 * Invoice revisions (`POST /v1/invoices` with `from_invoice[action]=revision`), as Stripe documents
 * them: only a finalized invoice that is `open` or `uncollectible` and belongs to no subscription can
 * be revised. The revision is a new draft for the same customer and currency, with `from_invoice
 * {action, invoice}`, a copy of every line (each invoice item is duplicated onto the revision, with
 * `invoiceitem.created`, so editing the revision never touches the original), the invoice-level
 * discounts (no new coupon redemption: it is the same sale), and the original's settings (collection,
 * tax rates, footer, custom fields, account tax IDs, rendering, shipping); pending invoice items are not
 * pulled in. Request parameters override what is copied. Finalizing the revision voids the original
 * (`invoice.voided`, giving back the balance it took, before the revision takes the balance) after
 * setting its `latest_revision`; the
 * revision's number is the original's with `-1` (`-2` for a revision of a revision, …) unless one was
 * given. Locks: customer, then the revision, then the original.
 */
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject, insertObject } from '../../storage/objects.ts';
import { emit } from '../../events/outbox.ts';
import { getCustomer } from '../customers.ts';
import type { InvoiceItem } from '../invoice-items.ts';
import { createDraftInvoice } from './create.ts';
import { voidInvoice } from './lifecycle.ts';
import { invoiceCustomer, loadInvoice, writeInvoice } from './store.ts';
import type { Invoice, LineInput } from './types.ts';

const PARAM = 'from_invoice[invoice]';

/** What a revision request may override (a subset of the invoice create parameters). */
export interface RevisionOverrides {
  customer?: string;
  collection_method?: 'charge_automatically' | 'send_invoice';
  days_until_due?: number;
  due_date?: number;
  default_payment_method?: string;
  default_tax_rates?: string[];
  description?: string | null;
  metadata?: Record<string, string | null> | null;
  auto_advance?: boolean;
  footer?: string | null;
  custom_fields?: { name: string; value: string }[] | null;
  discounts?: { coupon?: string; promotion_code?: string }[] | null;
}

/** Why `invoice` cannot be revised, or null when it can. */
function refusal(invoice: Invoice): string | null {
  if (invoice.status === 'draft') return `You can only revise a finalized invoice: ${invoice.id} is still a draft, update it instead.`;
  if (invoice.status === 'paid' || invoice.status === 'void') return `You can't revise an invoice that is ${invoice.status}: only open or uncollectible invoices can be revised.`;
  if (invoice.parent !== null) return `You can't revise ${invoice.id}: invoices attached to subscriptions can't be revised after finalization.`;
  return null;
}

/**
 * Creates the draft revision of `from.invoice` (`invoice.created`). `checkDue` validates the
 * collection settings the revision ends up with (the caller's rule for manual invoices).
 */
export async function createRevisionDraft(
  ctx: Ctx,
  from: { action: 'revision'; invoice: string },
  params: RevisionOverrides,
  checkDue: (method: string, days: number | null | undefined, dueDate: number | null | undefined) => void,
): Promise<Invoice> {
  const customer = await getCustomer(ctx, await invoiceCustomer(ctx, from.invoice, PARAM), 'customer', true);
  const { invoice: original, priv } = await loadInvoice(ctx, from.invoice, PARAM, true);
  const refused = refusal(original);
  if (refused) throw errors.invalidParam(PARAM, refused, 'invoice_not_editable');
  if (params.customer !== undefined && params.customer !== original.customer) {
    throw errors.invalidParam('customer', `A revision is for the customer of the invoice it revises (${original.customer}).`);
  }
  const method = params.collection_method ?? original.collection_method;
  const fixedDue = params.due_date !== undefined ? params.due_date : method === 'send_invoice' && params.days_until_due === undefined ? (priv.due_date ?? null) : null;
  const days = params.days_until_due !== undefined ? params.days_until_due : method === 'send_invoice' && fixedDue === null ? priv.days_until_due : null;
  checkDue(method, days, fixedDue);

  // Each invoice item of the original is duplicated for the revision, written once the draft exists.
  const copies: InvoiceItem[] = [];
  const lines: LineInput[] = [];
  for (const { input } of priv.lines) {
    const line = structuredClone(input);
    if (line.type === 'invoice_item_details' && line.invoice_item) {
      const item = await findObject<InvoiceItem>(ctx, 'invoiceitem', line.invoice_item, { includeDeleted: true });
      if (item) {
        const copy: InvoiceItem = { ...structuredClone(item.data), id: newId('invoiceitem'), date: ctx.clock.now() };
        copies.push(copy);
        line.invoice_item = copy.id;
      }
    }
    lines.push(line);
  }
  const draft = await createDraftInvoice(ctx, {
    customer: customer.id,
    currency: original.currency,
    billing_reason: 'manual',
    collection_method: method,
    days_until_due: days ?? null,
    subscription: null,
    lines,
    discounts: params.discounts !== undefined ? (params.discounts ?? []) : priv.discounts.map((d) => ({ coupon: d.coupon })),
    discounts_attached: params.discounts === undefined,
    default_payment_method: params.default_payment_method ?? original.default_payment_method,
    default_tax_rates: params.default_tax_rates ?? original.default_tax_rates.map((r) => r.id),
    period_start: original.period_start,
    period_end: original.period_end,
    description: params.description !== undefined ? params.description : original.description,
    metadata: { ...original.metadata },
    auto_advance: params.auto_advance ?? false,
    footer: params.footer !== undefined ? params.footer : original.footer,
    custom_fields: params.custom_fields !== undefined ? params.custom_fields : original.custom_fields,
    copied: {
      from_invoice: { action: 'revision', invoice: original.id },
      account_tax_ids: original.account_tax_ids,
      rendering: original.rendering,
      shipping_cost: original.shipping_cost,
      shipping_details: original.shipping_details,
      statement_descriptor: original.statement_descriptor,
      payment_settings: original.payment_settings,
    },
    ...(fixedDue !== null ? { due_date: fixedDue } : {}),
  });
  for (const copy of copies) {
    copy.invoice = draft.id;
    await insertObject(ctx, { id: copy.id, object: 'invoiceitem', created: copy.date, customer: customer.id, data: copy, test_clock: copy.test_clock });
    await emit(ctx, 'invoiceitem.created', copy);
  }
  if (copies.length > 0) {
    const stored = await loadInvoice(ctx, draft.id, 'id', true);
    await writeInvoice(ctx, stored.invoice, { ...stored.priv, copied_items: copies.map((c) => c.id) });
  }
  return draft;
}

/**
 * The number a revision takes at finalization: the original's with `-n` for the n-th revision in a
 * row. Refuses (400) when the original can no longer be revised (paid or voided meanwhile).
 */
export async function revisionNumber(ctx: Ctx, revision: Invoice): Promise<string> {
  const { invoice: original } = await loadInvoice(ctx, revision.from_invoice!.invoice, 'from_invoice', true);
  const refused = refusal(original);
  if (refused) {
    throw errors.invalidRequest(`This revision can't be finalized: the invoice it revises (${original.id}) is ${original.status}.`, undefined, 'invoice_not_editable');
  }
  let base = original.number ?? original.id;
  let n = 1;
  // A revision of a revision continues the original's count: ABC-0001-1 → ABC-0001-2.
  const m = original.from_invoice !== null ? /^(.*)-(\d+)$/.exec(base) : null;
  if (m) {
    base = m[1]!;
    n = Number(m[2]) + 1;
  }
  return `${base}-${n}`;
}

/** When the revision is finalized: the original points at it (`latest_revision`) and is voided. */
export async function retireOriginal(ctx: Ctx, revision: Invoice): Promise<void> {
  const id = revision.from_invoice!.invoice;
  const { invoice, priv } = await loadInvoice(ctx, id, 'from_invoice', true);
  await writeInvoice(ctx, { ...invoice, latest_revision: revision.id }, priv);
  await voidInvoice(ctx, id);
}
