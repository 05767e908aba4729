/**
 * The invoice API's own verbs on top of the engine: a manual invoice from request params (`manual`
 * billing reason; `pending_invoice_items_behavior` defaults to `exclude` in this API version;
 * `auto_advance` defaults to false), updates (most fields only while draft: the draft is then rebuilt;
 * `description` and `auto_advance` also while open or uncollectible, `metadata` always), retrieval, lists and a list of lines.
 */
import { sql } from 'kysely';
import { errors } from '../../lib/errors.ts';
import { mergeMetadata, p, type InferShape, type RangeFilter, type Schema } from '../../lib/params.ts';
import { shippingParam, toAddress } from '../shared-params.ts';
import { parseCurrency } from '../../lib/money.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject, listObjects, whereCreated, whereData, type ListOptions, type ObjectQuery } from '../../storage/objects.ts';
import { emitUpdated } from '../../events/outbox.ts';
import { newId } from '../../lib/ids.ts';
import { getRedeemablePromotionCode, recordPromotionRedemption } from '../promotion-codes.ts';
import { recordRedemption } from '../coupons.ts';
import { customerHooks, getCustomer } from '../customers.ts';
import { applicableTaxRates } from '../tax-rates.ts';
import { assertAccountTaxIds, customerTaxIdSnapshot } from '../tax-ids.ts';
import { createRevisionDraft } from './revision.ts';
import { resolveShippingCost, shippingCostParam } from './shipping.ts';
import { buildInvoice } from './build.ts';
import { createDraftInvoice, refreshDue, storeDiscounts } from './create.ts';
import { FIRST_ATTEMPT_DELAY } from './finalize.ts';
import { INVOICE, loadInvoice, writeInvoice } from './store.ts';
import type { Invoice, InvoiceLineItem, InvoicePrivate, StoredDiscount } from './types.ts';

const discountsParam = p.emptyable(
  p.array(p.object({ coupon: p.string(), promotion_code: p.string() }), { max: 20 }),
);

const CONNECT = 'Portico has no Connect accounts.';
const NO_TEMPLATES =
  'invoice rendering templates are not available: the hosted page and PDF have one layout (rendering[amount_tax_display] and rendering[pdf][page_size] are honoured).';

/** Only `card`: Portico's processor takes cards. */
const cardOnly: Schema<'card'> = {
  required: false,
  parse(value, path) {
    if (p.string({ max: 100 }).parse(value, path) !== 'card') throw errors.unsupportedParam(path, "Portico's payment processor takes cards only (payment method type card).");
    return 'card';
  },
};

const editable = {
  account_tax_ids: p.emptyable(p.array(p.string({ max: 5000 }), { max: 25 })),
  application_fee_amount: p.unsupported(CONNECT),
  auto_advance: p.boolean(),
  automatic_tax: p.automaticTax(),
  automatically_finalizes_at: p.timestamp(),
  collection_method: p.enumOf(['charge_automatically', 'send_invoice']),
  custom_fields: p.emptyable(p.array(p.object({ name: p.string({ max: 40 }).req(), value: p.string({ max: 140 }).req() }), { max: 4 })),
  days_until_due: p.integer({ min: 0, max: 3650 }),
  description: p.emptyable(p.string({ max: 1500 })),
  due_date: p.timestamp(),
  effective_at: p.emptyable(p.timestamp()),
  footer: p.emptyable(p.string({ max: 5000 })),
  issuer: p.object({ type: p.enumOf(['self']).req(), account: p.unsupported(CONNECT) }),
  metadata: p.metadata(),
  number: p.emptyable(p.string({ max: 26 })),
  on_behalf_of: p.emptyable(p.unsupported(CONNECT)),
  payment_settings: p.object({
    default_mandate: p.emptyable(p.unsupported('mandates are not available: Portico charges cards.')),
    payment_method_options: p.emptyable(p.unsupported('payment method options (mandates, 3-D Secure requests) are not configurable.')),
    payment_method_types: p.emptyable(p.array(cardOnly, { max: 50 })),
  }),
  rendering: p.object({
    amount_tax_display: p.emptyable(p.enumOf(['exclude_tax', 'include_inclusive_tax'])),
    pdf: p.object({ page_size: p.enumOf(['a4', 'auto', 'letter']) }),
    template: p.unsupported(NO_TEMPLATES),
    template_version: p.emptyable(p.unsupported(NO_TEMPLATES)),
  }),
  shipping_cost: shippingCostParam,
  shipping_details: p.emptyable(shippingParam),
  statement_descriptor: p.emptyable(p.string({ max: 22 })),
  transfer_data: p.emptyable(p.unsupported(CONNECT)),
};

export const invoiceCreateShape = {
  ...editable,
  /** Required, except for a revision (`from_invoice`), which is for the original's customer. */
  customer: p.string(),
  customer_account: p.unsupported('Accounts v2 are not available: give customer (a cus_ id).'),
  currency: p.string({ max: 3 }),
  default_payment_method: p.string(),
  default_source: p.string(),
  default_tax_rates: p.array(p.string(), { max: 10 }),
  discounts: discountsParam,
  from_invoice: p.object({ action: p.enumOf(['revision']).req(), invoice: p.string({ max: 5000 }).req() }),
  pending_invoice_items_behavior: p.enumOf(['include', 'exclude']),
  subscription: p.string(),
};

export const invoiceUpdateShape = {
  ...editable,
  default_payment_method: p.emptyable(p.string()),
  default_source: p.emptyable(p.string()),
  default_tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
  discounts: discountsParam,
};

export type InvoiceCreate = InferShape<typeof invoiceCreateShape>;
export type InvoiceUpdate = InferShape<typeof invoiceUpdateShape>;

function checkDue(method: string, days: number | null | undefined, dueDate?: number | null): void {
  if (dueDate !== undefined && dueDate !== null) {
    if (method !== 'send_invoice') throw errors.invalidParam('due_date', 'due_date can only be set when collection_method is send_invoice.');
    if (days !== undefined && days !== null) throw errors.exclusive(['due_date', 'days_until_due']);
    return;
  }
  if (method === 'send_invoice' && (days === undefined || days === null)) {
    throw errors.invalidParam(
      'days_until_due',
      'Invoices with collection_method=send_invoice must have either a due_date or days_until_due.',
    );
  }
  if (method === 'charge_automatically' && days !== undefined && days !== null) {
    throw errors.invalidParam('days_until_due', 'days_until_due can only be set when collection_method is send_invoice.');
  }
}

/** `POST /v1/invoices`: a manual draft, or a revision of a finalized invoice (`from_invoice`, see revision.ts). */
export async function createManualInvoice(ctx: Ctx, params: InvoiceCreate): Promise<Invoice> {
  const now = ctx.clock.now();
  let draft: Invoice;
  if (params.from_invoice !== undefined) {
    for (const other of ['subscription', 'pending_invoice_items_behavior', 'currency'] as const) {
      if (params[other] !== undefined) throw errors.invalidParam(other, `${other} can't be given with from_invoice: a revision keeps its original's.`);
    }
    draft = await createRevisionDraft(ctx, params.from_invoice, params, checkDue);
  } else {
    if (params.customer === undefined) throw errors.missingParam('customer');
    draft = await createNewDraft(ctx, params, params.customer, now);
  }
  // The fields a draft keeps as given (the same as an update sets them).
  const { invoice: stored, priv } = await loadInvoice(ctx, draft.id, 'id', true);
  const after = applyDraftFields(structuredClone(stored), priv, params, now);
  if (params.from_invoice !== undefined) after.metadata = mergeMetadata(after.metadata, params.metadata);
  // A new draft took these at its creation (so `invoice.created` shows them); a revision's copies may be overridden.
  if (params.from_invoice !== undefined && (await applyPresentation(ctx, after, params))) {
    priv.allLines = (await buildInvoice(ctx, after, priv.lines, priv.discounts)).allLines;
    refreshDue(after);
  }
  if (after.automatically_finalizes_at === null && after.auto_advance) after.automatically_finalizes_at = autoFinalizeAt(after, now);
  await writeInvoice(ctx, after, priv, after.auto_advance ? after.automatically_finalizes_at : undefined);
  return after;
}

/** A manual draft for `customerId` from the request. */
async function createNewDraft(ctx: Ctx, params: InvoiceCreate, customerId: string, now: number): Promise<Invoice> {
  const customer = await getCustomer(ctx, customerId, 'customer');
  const method = params.collection_method ?? 'charge_automatically';
  checkDue(method, params.days_until_due, params.due_date);
  let subscription: { id: string; metadata: Record<string, string> } | null = null;
  if (params.subscription !== undefined) {
    const found = await findObject<{ customer: string; metadata: Record<string, string>; currency: string }>(ctx, 'subscription', params.subscription);
    if (!found || found.data.customer !== customer.id) throw errors.resourceMissing('subscription', params.subscription, 'subscription');
    subscription = { id: found.id, metadata: found.data.metadata };
  }
  const currency = parseCurrency(params.currency ?? customer.currency ?? 'usd');
  const shown: Presentation = { currency, account_tax_ids: null, rendering: null, shipping_cost: null };
  await applyPresentation(ctx, shown, params);
  const copied = Object.fromEntries(
    (['account_tax_ids', 'rendering', 'shipping_cost'] as const).filter((k) => params[k] !== undefined).map((k) => [k, shown[k]]),
  );
  return createDraftInvoice(ctx, {
    customer: customer.id,
    currency,
    copied,
    billing_reason: 'manual',
    collection_method: method,
    days_until_due: params.days_until_due ?? null,
    subscription,
    lines: [],
    include_pending_items: params.pending_invoice_items_behavior === 'include',
    ...(subscription ? { pending_items_of: 'subscription' as const } : {}),
    discounts: params.discounts ?? [],
    default_payment_method: params.default_payment_method ?? null,
    default_source: params.default_source ?? null,
    default_tax_rates: params.default_tax_rates ?? [],
    period_start: now,
    period_end: now,
    description: params.description ?? null,
    metadata: mergeMetadata({}, params.metadata),
    auto_advance: params.auto_advance ?? false,
    ...(params.footer !== undefined ? { footer: params.footer } : {}),
    ...(params.custom_fields !== undefined ? { custom_fields: params.custom_fields } : {}),
  });
}

/** The draft fields that need no rebuild: numbering, dates, shipping, descriptor, payment types. */
function applyDraftFields(invoice: Invoice, priv: InvoicePrivate, params: InvoiceUpdate | InvoiceCreate, now: number): Invoice {
  if (params.number !== undefined) invoice.number = params.number;
  if (params.due_date !== undefined) priv.due_date = params.due_date;
  if (params.effective_at !== undefined) priv.effective_at = params.effective_at;
  if (params.footer !== undefined) invoice.footer = params.footer;
  if (params.custom_fields !== undefined) invoice.custom_fields = params.custom_fields;
  if (params.statement_descriptor !== undefined) invoice.statement_descriptor = params.statement_descriptor;
  if (params.shipping_details !== undefined) {
    const sd = params.shipping_details;
    invoice.shipping_details = sd === null ? null : { address: toAddress(sd.address), name: sd.name, phone: sd.phone ?? null };
  }
  if (params.payment_settings?.payment_method_types !== undefined) {
    invoice.payment_settings = { ...invoice.payment_settings, payment_method_types: params.payment_settings.payment_method_types };
  }
  if (params.automatically_finalizes_at !== undefined) {
    if (params.automatically_finalizes_at <= now) {
      throw errors.invalidParam('automatically_finalizes_at', 'automatically_finalizes_at must be in the future.');
    }
    invoice.automatically_finalizes_at = params.automatically_finalizes_at;
  }
  return invoice;
}

type Presentation = Pick<Invoice, 'currency' | 'account_tax_ids' | 'rendering' | 'shipping_cost'>;

/**
 * The draft fields the hosted page and PDF show that need reading or writing other objects:
 * `account_tax_ids` (the account's own tax IDs), `rendering`, `shipping_cost` (a shipping rate, made
 * from `shipping_rate_data` when given). Returns whether the totals must be rebuilt (shipping changed).
 */
export async function applyPresentation(ctx: Ctx, invoice: Presentation, params: InvoiceUpdate | InvoiceCreate): Promise<boolean> {
  if (params.account_tax_ids !== undefined) {
    const ids = params.account_tax_ids ?? [];
    await assertAccountTaxIds(ctx, ids, 'account_tax_ids');
    invoice.account_tax_ids = ids.length > 0 ? [...new Set(ids)] : null;
  }
  if (params.rendering !== undefined) {
    const given = params.rendering;
    const prev = invoice.rendering;
    invoice.rendering = {
      amount_tax_display: given.amount_tax_display !== undefined ? given.amount_tax_display : (prev?.amount_tax_display ?? null),
      pdf: { page_size: given.pdf?.page_size ?? prev?.pdf?.page_size ?? 'auto' },
      template: null,
      template_version: null,
    };
  }
  if (params.shipping_cost === undefined) return false;
  invoice.shipping_cost = await resolveShippingCost(ctx, invoice.currency, params.shipping_cost);
  return true;
}

/**
 * When the billing clock finalizes an auto-advancing manual draft: an hour after its creation, as
 * Stripe does (never in the past, so a draft switched to auto-advance late is finalized at once).
 */
function autoFinalizeAt(draft: Invoice, now: number): number {
  return Math.max(draft.created + FIRST_ATTEMPT_DELAY, now);
}

/** An invoice, or a 404 naming `param`. */
export async function getInvoice(ctx: Ctx, id: string, param = 'id'): Promise<Invoice> {
  return (await loadInvoice(ctx, id, param)).invoice;
}

const DRAFT_ONLY = [
  'collection_method',
  'days_until_due',
  'default_payment_method',
  'default_source',
  'default_tax_rates',
  'discounts',
  'number',
  'due_date',
  'effective_at',
  'automatically_finalizes_at',
  'payment_settings',
  'statement_descriptor',
  'shipping_details',
  'custom_fields',
  'footer',
  'account_tax_ids',
  'rendering',
  'shipping_cost',
] as const;

/** `POST /v1/invoices/{id}`. */
export async function updateInvoice(ctx: Ctx, id: string, params: InvoiceUpdate): Promise<Invoice> {
  const peek = await loadInvoice(ctx, id, 'id');
  await getCustomer(ctx, peek.invoice.customer, 'customer', true);
  const { invoice: before, priv } = await loadInvoice(ctx, id, 'id', true);
  if ((before.status === 'void' || before.status === 'paid') && (params.auto_advance !== undefined || params.description !== undefined)) {
    const field = params.auto_advance !== undefined ? 'auto_advance' : 'description';
    throw errors.invalidParam(field, `This invoice is ${before.status}: only its metadata can be updated.`, 'invoice_not_editable');
  }
  const isDraft = before.status === 'draft';
  for (const field of DRAFT_ONLY) {
    if (params[field] !== undefined && !isDraft) {
      throw errors.invalidParam(field, `You can only update ${field} on a draft invoice.`, 'invoice_not_editable');
    }
  }
  const after: Invoice = structuredClone(before);
  const nextPriv = structuredClone(priv);
  if (params.auto_advance !== undefined) after.auto_advance = params.auto_advance;
  if (params.description !== undefined) after.description = params.description;
  after.metadata = mergeMetadata(after.metadata, params.metadata);
  if (isDraft) {
    const method = params.collection_method ?? after.collection_method;
    const dueDate = params.due_date !== undefined ? params.due_date : method === 'charge_automatically' ? null : (nextPriv.due_date ?? null);
    const days = params.days_until_due !== undefined ? params.days_until_due : method === 'charge_automatically' || params.due_date !== undefined ? null : nextPriv.days_until_due;
    checkDue(method, days, dueDate);
    nextPriv.due_date = dueDate;
    applyDraftFields(after, nextPriv, params, ctx.clock.now());
    await applyPresentation(ctx, after, params);
    after.customer_tax_ids = await customerTaxIdSnapshot(ctx, after.customer);
    after.collection_method = method;
    nextPriv.days_until_due = days;
    if (params.default_payment_method !== undefined) {
      if (params.default_payment_method !== null) {
        await customerHooks.assertOwnsPaymentMethod(ctx, after.customer, params.default_payment_method, 'default_payment_method');
      }
      after.default_payment_method = params.default_payment_method;
    }
    if (params.default_source !== undefined) {
      if (params.default_source !== null) await customerHooks.assertOwnsSource(ctx, after.customer, params.default_source, 'default_source');
      after.default_source = params.default_source;
    }
    if (params.default_tax_rates !== undefined) {
      after.default_tax_rates = await applicableTaxRates(ctx, params.default_tax_rates ?? [], 'default_tax_rates');
    }
    if (params.discounts !== undefined) {
      const fresh: StoredDiscount[] = [];
      for (const [i, d] of (params.discounts ?? []).entries()) {
        const kept = nextPriv.discounts.find((x) => (d.coupon !== undefined && x.coupon === d.coupon && x.promotion_code === null) || (d.promotion_code !== undefined && x.promotion_code === d.promotion_code));
        if (kept) fresh.push(kept);
        else fresh.push(await redeemNew(ctx, after, d, i));
      }
      await storeDiscounts(ctx, after, fresh.filter((d) => !nextPriv.discounts.includes(d)));
      nextPriv.discounts = fresh;
    }
    const rebuilt = await buildInvoice(ctx, after, nextPriv.lines, nextPriv.discounts);
    nextPriv.allLines = rebuilt.allLines;
    refreshDue(after);
  }
  // A manual draft's auto-advance (and its finalization time) decides when the billing clock finalizes it.
  const timing = after.auto_advance !== before.auto_advance || after.automatically_finalizes_at !== before.automatically_finalizes_at;
  if (isDraft && after.billing_reason === 'manual' && after.auto_advance && after.automatically_finalizes_at === null) {
    after.automatically_finalizes_at = autoFinalizeAt(after, ctx.clock.now());
  }
  const dueAt =
    isDraft && after.billing_reason === 'manual' && timing
      ? after.auto_advance
        ? after.automatically_finalizes_at
        : null
      : undefined;
  await writeInvoice(ctx, after, nextPriv, dueAt);
  await emitUpdated(ctx, 'invoice.updated', before, after);
  return after;
}

async function redeemNew(ctx: Ctx, invoice: Invoice, d: { coupon?: string; promotion_code?: string }, i: number): Promise<StoredDiscount> {
  const param = `discounts[${i}]`;
  if (d.coupon !== undefined && d.promotion_code !== undefined) throw errors.exclusive([`${param}[coupon]`, `${param}[promotion_code]`]);
  if (d.coupon !== undefined) {
    const coupon = await recordRedemption(ctx, d.coupon, `${param}[coupon]`);
    return { id: newId('discount'), coupon: coupon.id, promotion_code: null };
  }
  if (d.promotion_code !== undefined) {
    const found = await getRedeemablePromotionCode(ctx, d.promotion_code, { customer: invoice.customer, currency: invoice.currency }, `${param}[promotion_code]`);
    await recordPromotionRedemption(ctx, found.promotionCode.id, `${param}[promotion_code]`);
    return { id: newId('discount'), coupon: found.coupon.id, promotion_code: found.promotionCode.id };
  }
  throw errors.invalidParam(param, `You must pass ${param}[coupon] or ${param}[promotion_code].`);
}

export interface InvoiceListFilters {
  customer?: string;
  status?: string;
  subscription?: string;
  collection_method?: string;
  created?: RangeFilter;
  due_date?: RangeFilter;
}

function whereDueDate(q: ObjectQuery, r: RangeFilter): ObjectQuery {
  const col = sql<number>`(data->>'due_date')::bigint`;
  let out = q;
  if (r.eq !== undefined) out = out.where(col, '=', r.eq);
  if (r.gt !== undefined) out = out.where(col, '>', r.gt);
  if (r.gte !== undefined) out = out.where(col, '>=', r.gte);
  if (r.lt !== undefined) out = out.where(col, '<', r.lt);
  if (r.lte !== undefined) out = out.where(col, '<=', r.lte);
  return out;
}

export async function listInvoices(ctx: Ctx, filters: InvoiceListFilters, page: ListOptions) {
  return listObjects<Invoice>(ctx, INVOICE, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.customer !== undefined) out = out.where('customer', '=', filters.customer);
      if (filters.status !== undefined) out = whereData(out, 'status', filters.status);
      if (filters.collection_method !== undefined) out = whereData(out, 'collection_method', filters.collection_method);
      if (filters.subscription !== undefined) {
        out = out.where(sql<string>`data->'parent'->'subscription_details'->>'subscription'`, '=', filters.subscription);
      }
      if (filters.created) out = whereCreated(out, filters.created);
      if (filters.due_date) out = whereDueDate(out, filters.due_date);
      return out;
    },
  });
}

/** A page of an invoice's lines, in invoice order, with Stripe's cursors (line ids). */
export async function listInvoiceLines(
  ctx: Ctx,
  id: string,
  page: { limit?: number; starting_after?: string; ending_before?: string },
): Promise<{ data: InvoiceLineItem[]; has_more: boolean }> {
  const { priv } = await loadInvoice(ctx, id, 'invoice');
  const lines = priv.allLines;
  const limit = page.limit ?? 10;
  if (page.starting_after !== undefined && page.ending_before !== undefined) {
    throw errors.exclusive(['starting_after', 'ending_before']);
  }
  const cursor = page.starting_after ?? page.ending_before;
  if (cursor === undefined) return { data: lines.slice(0, limit), has_more: lines.length > limit };
  const at = lines.findIndex((l) => l.id === cursor);
  if (at < 0) throw errors.resourceMissing('line item', cursor, page.starting_after !== undefined ? 'starting_after' : 'ending_before');
  if (page.starting_after !== undefined) {
    const rest = lines.slice(at + 1);
    return { data: rest.slice(0, limit), has_more: rest.length > limit };
  }
  const start = Math.max(0, at - limit);
  return { data: lines.slice(start, at), has_more: start > 0 };
}
