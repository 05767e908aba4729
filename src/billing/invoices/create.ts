/**
 * Creating invoices: a stored draft (`createDraftInvoice`, `invoice.created`) or a preview of the same
 * computation that stores nothing (`previewInvoice`). A draft is made of the caller's lines, optionally
 * this customer's pending invoice items (in the invoice's currency; for a subscription invoice, the
 * subscription's own and those of no subscription; for a manual one, those of no subscription), the
 * invoice-level discounts and the default tax rates. Discounts on a manual invoice count a redemption
 * of their coupon (and promotion code) when the draft is stored; a subscription passes the discounts it
 * already redeemed, so its invoices count none. Drafts show `starting_balance` = the customer's current
 * balance and the `amount_due` it would leave; finalization takes the balance for real.
 */
import { sql } from 'kysely';
import { errors } from '../../lib/errors.ts';
import { newId, randomBase62 } from '../../lib/ids.ts';
import { parseCurrency } from '../../lib/money.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject, insertObject, updateObject } from '../../storage/objects.ts';
import { emit } from '../../events/outbox.ts';
import { getRedeemableCoupon, recordRedemption, type Coupon } from '../coupons.ts';
import { customerHooks, getCustomer, type Customer } from '../customers.ts';
import { getRedeemablePromotionCode, recordPromotionRedemption } from '../promotion-codes.ts';
import { lineDiscounts } from '../discounts.ts';
import { applicableTaxRates } from '../tax-rates.ts';
import { customerTaxIdSnapshot } from '../tax-ids.ts';
import { buildInvoice } from './build.ts';
import { INVOICE } from './store.ts';
import { applyBalance } from './totals.ts';
import type { Discount, DraftInvoiceParams, Invoice, InvoicePrivate, LineInput, StoredDiscount, StoredLine } from './types.ts';

/** The invoice item fields a draft reads (see invoice-items.ts for the full object). */
export interface PendingItem {
  id: string;
  amount: number;
  currency: string;
  description: string | null;
  discountable: boolean;
  period: { start: number; end: number };
  pricing: { price_details?: { price: string } } | null;
  proration: boolean;
  quantity: number;
  tax_rates: { id: string }[] | null;
  parent: { subscription_details: { subscription: string } | null } | null;
  discounts?: string[];
  metadata?: Record<string, string>;
}

/** This customer's pending invoice items in `currency` that belong on the invoice, oldest first. */
async function pendingItems(ctx: Ctx, customer: string, currency: string, subscription: string | null, lock: boolean, onlySubscription = false) {
  const mine = (item: PendingItem) => {
    const sub = item.parent?.subscription_details?.subscription ?? null;
    return (sub === null && !onlySubscription) || sub === subscription;
  };
  if (ctx.uow) {
    // The billing clock's unit of work: the customer's items as this batch left them.
    const rows = await ctx.uow.customerObjects(ctx, 'invoiceitem', customer, { forUpdate: lock });
    return rows
      .map((r) => r.data as PendingItem & { invoice: string | null })
      .filter((item) => item.invoice == null && item.currency === currency && mine(item));
  }
  let q = ctx.db
    .selectFrom('objects')
    .select(['id', 'data'])
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', 'invoiceitem')
    .where('deleted', '=', false)
    .where('customer', '=', customer)
    .where(sql<string>`data->>'invoice'`, 'is', null)
    .where(sql<string>`data->>'currency'`, '=', currency)
    .orderBy('seq', 'asc');
  if (lock && ctx.db.isTransaction) q = q.forUpdate();
  const rows = await q.execute();
  return rows.map((r) => r.data as unknown as PendingItem).filter(mine);
}

/** An invoice item as an invoice line (with its own discounts and metadata). */
export async function itemLine(ctx: Ctx, item: PendingItem): Promise<LineInput> {
  const sub = item.parent?.subscription_details?.subscription ?? null;
  return {
    type: 'invoice_item_details',
    amount: item.amount,
    currency: item.currency,
    description: item.description ?? '',
    quantity: item.quantity,
    price: item.pricing?.price_details?.price ?? null,
    period: item.period,
    proration: item.proration,
    subscription: sub,
    subscription_item: null,
    invoice_item: item.id,
    tax_rates: (item.tax_rates ?? []).map((r) => r.id),
    discountable: item.discountable,
    ...(item.discounts && item.discounts.length > 0 ? { discounts: await lineDiscounts(ctx, item.discounts) } : {}),
    ...(item.metadata && Object.keys(item.metadata).length > 0 ? { metadata: item.metadata } : {}),
  };
}

/**
 * Resolves the discounts, counting redemptions when `redeem`. `attached`: the coupons are ones the
 * caller (a subscription: billing_reason ≠ manual) already redeemed, so they are not checked for
 * redeemability again — Stripe keeps applying an attached coupon after its `redeem_by` passed, once it
 * reached `max_redemptions`, or after it was deleted; they only have to exist.
 */
async function resolveDiscounts(
  ctx: Ctx,
  customer: Customer,
  currency: string,
  discounts: DraftInvoiceParams['discounts'],
  redeem: boolean,
  attached: boolean,
): Promise<StoredDiscount[]> {
  const out: StoredDiscount[] = [];
  for (const [i, d] of (discounts ?? []).entries()) {
    const param = `discounts[${i}]`;
    if (d.coupon !== undefined && d.promotion_code !== undefined) {
      throw errors.exclusive([`${param}[coupon]`, `${param}[promotion_code]`]);
    }
    let coupon: string;
    let promotion: string | null = null;
    if (d.coupon !== undefined && attached) {
      const found = await findObject<Coupon>(ctx, 'coupon', d.coupon, { includeDeleted: true });
      if (!found) throw errors.resourceMissing('coupon', d.coupon, `${param}[coupon]`);
      coupon = found.id;
    } else if (d.coupon !== undefined) {
      coupon = (await getRedeemableCoupon(ctx, d.coupon, `${param}[coupon]`)).id;
      if (redeem) await recordRedemption(ctx, coupon, `${param}[coupon]`);
    } else if (d.promotion_code !== undefined) {
      const found = await getRedeemablePromotionCode(ctx, d.promotion_code, { customer: customer.id, currency }, `${param}[promotion_code]`);
      coupon = found.coupon.id;
      promotion = found.promotionCode.id;
      if (redeem) await recordPromotionRedemption(ctx, promotion, `${param}[promotion_code]`);
    } else {
      throw errors.invalidParam(param, `You must pass ${param}[coupon] or ${param}[promotion_code].`);
    }
    if (out.some((x) => x.coupon === coupon)) {
      throw errors.invalidParam(param, `The coupon ${coupon} is applied more than once.`);
    }
    out.push({ id: newId('discount'), coupon, promotion_code: promotion });
  }
  return out;
}

async function prepare(ctx: Ctx, params: DraftInvoiceParams, store: boolean) {
  const customer = await getCustomer(ctx, params.customer, 'customer', store);
  const currency = parseCurrency(params.currency);
  for (const [i, l] of params.lines.entries()) {
    if (l.currency !== currency) throw errors.invalidParam(`lines[${i}][currency]`, `Line currency ${l.currency} differs from the invoice's ${currency}.`);
    if (!Number.isSafeInteger(l.amount)) throw errors.invalidParam(`lines[${i}][amount]`, 'Line amounts must be integers.');
  }
  const subscription = params.subscription ?? null;
  const items = params.include_pending_items
    ? await pendingItems(ctx, customer.id, currency, subscription?.id ?? null, store, params.pending_items_of === 'subscription')
    : [];
  const defaultRates = await applicableTaxRates(ctx, params.default_tax_rates ?? [], 'default_tax_rates');
  const attached = params.billing_reason !== 'manual' || params.discounts_attached === true;
  const discounts = await resolveDiscounts(ctx, customer, currency, params.discounts, store && !attached, attached);
  if (params.default_payment_method) {
    await customerHooks.assertOwnsPaymentMethod(ctx, customer.id, params.default_payment_method, 'default_payment_method');
  }
  if (params.default_source) await customerHooks.assertOwnsSource(ctx, customer.id, params.default_source, 'default_source');
  const now = ctx.clock.now();
  const id = store ? newId('invoice') : `upcoming_${newId('invoice')}`;
  const lineId = () => (store ? newId('line_item') : `il_tmp_${randomBase62(24)}`);
  const itemLines: LineInput[] = [];
  for (const item of items) itemLines.push(await itemLine(ctx, item));
  const lines: StoredLine[] = [...params.lines, ...itemLines].map((input) => ({ id: lineId(), input }));
  const base: Invoice = {
    id,
    object: 'invoice',
    account_country: null,
    account_name: null,
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_paid_off_stripe: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: params.auto_advance ?? params.billing_reason !== 'manual',
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: params.billing_reason,
    collection_method: params.collection_method,
    created: now,
    currency,
    custom_fields: params.custom_fields ?? customer.invoice_settings.custom_fields,
    customer: customer.id,
    customer_account: null,
    customer_address: customer.address,
    customer_email: customer.email,
    customer_name: customer.name,
    customer_phone: customer.phone,
    customer_shipping: customer.shipping,
    customer_tax_exempt: customer.tax_exempt,
    default_payment_method: params.default_payment_method ?? null,
    default_source: params.default_source ?? null,
    default_tax_rates: defaultRates,
    description: params.description ?? null,
    discounts: [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: params.footer ?? customer.invoice_settings.footer,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: ctx.livemode,
    metadata: params.metadata ?? {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: {
            metadata: subscription.metadata,
            subscription: subscription.id,
            ...(subscription.proration_date !== undefined ? { subscription_proration_date: subscription.proration_date } : {}),
          },
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: params.period_end,
    period_start: params.period_start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    // The customer's invoice rendering options apply to its new invoices, as Stripe does.
    rendering: customer.invoice_settings.rendering_options?.amount_tax_display
      ? {
          amount_tax_display: customer.invoice_settings.rendering_options.amount_tax_display as 'exclude_tax' | 'include_inclusive_tax',
          pdf: { page_size: 'auto' },
          template: null,
          template_version: null,
        }
      : null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: customer.balance,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: customer.test_clock,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
    ...params.copied,
    customer_tax_ids: await customerTaxIdSnapshot(ctx, customer.id),
  };
  const { invoice, allLines } = await buildInvoice(ctx, base, lines, discounts);
  refreshDue(invoice);
  return { customer, invoice, priv: { lines, discounts, allLines, days_until_due: params.days_until_due ?? null, ...(params.due_date !== undefined ? { due_date: params.due_date } : {}) } satisfies InvoicePrivate, items };
}

/** Recomputes a draft's `amount_due`/`amount_remaining` from its total and starting balance. */
export function refreshDue(invoice: Invoice): void {
  const { amount_due } = applyBalance(invoice.total, invoice.starting_balance);
  invoice.amount_due = amount_due;
  invoice.amount_remaining = amount_due;
}

/** The discount objects of an invoice (stored so `total_discount_amounts[].discount` can be expanded). */
function discountObject(ctx: Ctx, invoice: Invoice, d: StoredDiscount): Discount {
  return {
    id: d.id,
    object: 'discount',
    checkout_session: null,
    customer: invoice.customer,
    customer_account: null,
    end: null,
    invoice: invoice.id,
    invoice_item: null,
    promotion_code: d.promotion_code,
    source: { type: 'coupon', coupon: d.coupon },
    start: ctx.clock.now(),
    subscription: invoice.parent?.subscription_details.subscription ?? null,
    subscription_item: null,
  };
}

/** Stores discount objects for `discounts` on `invoice`. */
export async function storeDiscounts(ctx: Ctx, invoice: Invoice, discounts: StoredDiscount[]): Promise<void> {
  for (const d of discounts) {
    const obj = discountObject(ctx, invoice, d);
    await insertObject(ctx, { id: d.id, object: 'discount', created: obj.start, customer: invoice.customer, data: obj });
  }
}

/**
 * Creates and stores a draft invoice (`invoice.created`), pulling pending invoice items when asked.
 * @example await createDraftInvoice(ctx, { customer, currency: 'usd', billing_reason: 'manual', … })
 */
export async function createDraftInvoice(ctx: Ctx, params: DraftInvoiceParams): Promise<Invoice> {
  const { customer, invoice, priv, items } = await prepare(ctx, params, true);
  await insertObject(ctx, {
    id: invoice.id,
    object: INVOICE,
    created: invoice.created,
    customer: customer.id,
    data: invoice,
    private: priv as unknown as Record<string, unknown>,
    test_clock: customer.test_clock,
  });
  await storeDiscounts(ctx, invoice, priv.discounts);
  for (const item of items) {
    await updateObject(ctx, item.id, { data: { ...item, invoice: invoice.id } });
  }
  await emit(ctx, 'invoice.created', invoice);
  return invoice;
}

/** The invoice `createDraftInvoice` would make, computed the same way, with nothing stored. */
export async function previewInvoice(ctx: Ctx, params: DraftInvoiceParams): Promise<Invoice> {
  return (await prepare(ctx, params, false)).invoice;
}
