/**
 * `/v1/invoices`: create (manual), retrieve, update, delete (draft), list, finalize, pay, void,
 * mark_uncollectible, and `GET /v1/invoices/{id}/lines`. Requests about a customer on a test clock
 * run at that clock's time. A refused `/pay` answers like Stripe (402 card_error; 400 when the customer
 * has no payment method) while the failed attempt it recorded is committed (`CommitThenFail`).
 */
import { errors } from '../../lib/errors.ts';
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import {
  addLines,
  addLinesShape,
  removeLines,
  removeLinesShape,
  updateLine,
  updateLineShape,
  updateLines,
  updateLinesShape,
  atClockTime,
  attemptInvoicePayment,
  createManualInvoice,
  deleteInvoice,
  finalizeInvoice,
  getInvoice,
  invoiceCreateShape,
  invoiceUpdateShape,
  listInvoiceLines,
  listInvoices,
  markUncollectible,
  payOutOfBand,
  sendInvoice,
  updateInvoice,
  voidInvoice,
  type PaymentOutcome,
} from '../../billing/invoices/index.ts';
import { declineError } from '../../billing/test-cards.ts';
import { defineExpansions } from '../expand.ts';
import { listEnvelope, pageEnvelope, pagination } from '../lists.ts';
import { CommitThenFail, pathParam, type Routes } from '../router.ts';

defineExpansions('invoice', {
  fields: {
    customer: { target: 'customer' },
    default_payment_method: { target: 'payment_method' },
    'parent.subscription_details.subscription': { target: 'subscription' },
    test_clock: { target: 'test_helpers.test_clock' },
    discounts: { target: 'discount' },
    account_tax_ids: { target: 'tax_id' },
    'shipping_cost.shipping_rate': { target: 'shipping_rate' },
    'from_invoice.invoice': { target: 'invoice' },
    latest_revision: { target: 'invoice' },
  },
  // `lines` is always present; declaring it lets paths such as `lines.data.discounts` go through.
  includes: { lines: async (_ctx, invoice) => invoice.lines },
});
defineExpansions('line_item', {
  fields: {
    'pricing.price_details.price': { target: 'price' },
    discounts: { target: 'discount' },
  },
});

const listInvoicesShape = {
  ...listShape,
  customer: p.string(),
  status: p.enumOf(['draft', 'open', 'paid', 'uncollectible', 'void']),
  subscription: p.string(),
  collection_method: p.enumOf(['charge_automatically', 'send_invoice']),
  created: rangeFilter(),
  due_date: rangeFilter(),
};

const payShape = {
  // Partial payment from a source with insufficient funds: Portico charges cards, all or nothing, as
  // Stripe does for card payment methods, so `forgive` changes nothing.
  forgive: p.boolean(),
  mandate: p.emptyable(p.unsupported('mandates are not available: Portico charges cards.')),
  off_session: p.boolean(),
  paid_out_of_band: p.boolean(),
  payment_method: p.string(),
  source: p.string(),
};

/** `ctx` at the time of the invoice's test clock (the invoice must exist: 404 naming `id`). */
async function invoiceTime(ctx: Ctx, id: string): Promise<Ctx> {
  return atClockTime(ctx, (await getInvoice(ctx, id)).test_clock);
}

const REQUIRES_ACTION =
  'This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice.';

/** The error a refused `/pay` answers with. */
function paymentError(payment: PaymentOutcome) {
  if (payment.outcome === 'requires_action') {
    return errors.cardError(REQUIRES_ACTION, 'invoice_payment_intent_requires_action');
  }
  if (payment.outcome !== 'declined') return null;
  if (payment.code === 'payment_method_missing') {
    return errors.invalidRequest(payment.message, 'payment_method', 'payment_method_missing');
  }
  return declineError({ code: payment.code, decline_code: payment.decline_code ?? payment.code, message: payment.message });
}

export function registerInvoices(r: Routes): void {
  r.post('/v1/invoices', async (ctx, params) => {
    const q = parseParams(invoiceCreateShape, params);
    // A revision (`from_invoice`) is for its original's customer, whose test clock decides the time.
    const customerId = q.customer ?? (q.from_invoice ? (await getInvoice(ctx, q.from_invoice.invoice, 'from_invoice[invoice]')).customer : null);
    const customer = customerId === null ? undefined : await findObject<{ test_clock: string | null }>(ctx, 'customer', customerId);
    return createManualInvoice(await atClockTime(ctx, customer?.data.test_clock ?? null), q);
  });
  r.get('/v1/invoices', async (ctx, params, c) => {
    const q = parseParams(listInvoicesShape, params);
    return pageEnvelope(c.req.path, await listInvoices(ctx, q, pagination(q)));
  });
  r.get('/v1/invoices/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getInvoice(ctx, pathParam(c, 'id'));
  });
  r.post('/v1/invoices/:id', async (ctx, params, c) => {
    const id = pathParam(c, 'id');
    return updateInvoice(await invoiceTime(ctx, id), id, parseParams(invoiceUpdateShape, params));
  });
  r.delete('/v1/invoices/:id', async (ctx, params, c) => {
    parseParams({}, params);
    const id = pathParam(c, 'id');
    return deleteInvoice(await invoiceTime(ctx, id), id);
  });
  r.get('/v1/invoices/:id/lines', async (ctx, params, c) => {
    const q = parseParams(listShape, params);
    const id = pathParam(c, 'id');
    const page = await listInvoiceLines(ctx, id, pagination(q));
    return listEnvelope(`/v1/invoices/${id}/lines`, page.data, page.has_more);
  });
  r.post('/v1/invoices/:id/finalize', async (ctx, params, c) => {
    const q = parseParams({ auto_advance: p.boolean() }, params);
    const id = pathParam(c, 'id');
    return finalizeInvoice(await invoiceTime(ctx, id), id, q.auto_advance !== undefined ? { autoAdvance: q.auto_advance } : {});
  });
  r.post('/v1/invoices/:id/pay', async (ctx, params, c) => {
    const q = parseParams(payShape, params);
    const id = pathParam(c, 'id');
    const at = await invoiceTime(ctx, id);
    if (q.paid_out_of_band === true) {
      if (q.payment_method !== undefined) throw errors.exclusive(['paid_out_of_band', 'payment_method']);
      if (q.source !== undefined) throw errors.exclusive(['paid_out_of_band', 'source']);
      return payOutOfBand(at, id);
    }
    if (q.payment_method !== undefined && q.source !== undefined) throw errors.exclusive(['payment_method', 'source']);
    const { invoice, payment } = await attemptInvoicePayment(at, id, {
      ...(q.source !== undefined ? { source: q.source } : {}),
      ...(q.payment_method !== undefined ? { paymentMethod: q.payment_method } : {}),
      ...(q.off_session !== undefined ? { offSession: q.off_session } : {}),
    });
    const failure = paymentError(payment);
    if (failure) throw new CommitThenFail(failure);
    return invoice;
  }, undefined, { unitOfWork: true });
  r.post('/v1/invoices/:id/void', async (ctx, params, c) => {
    parseParams({}, params);
    const id = pathParam(c, 'id');
    return voidInvoice(await invoiceTime(ctx, id), id);
  });
  r.post('/v1/invoices/:id/add_lines', async (ctx, params, c) => {
    const id = pathParam(c, 'id');
    return addLines(await invoiceTime(ctx, id), id, parseParams(addLinesShape, params));
  });
  r.post('/v1/invoices/:id/update_lines', async (ctx, params, c) => {
    const id = pathParam(c, 'id');
    return updateLines(await invoiceTime(ctx, id), id, parseParams(updateLinesShape, params));
  });
  r.post('/v1/invoices/:id/remove_lines', async (ctx, params, c) => {
    const id = pathParam(c, 'id');
    return removeLines(await invoiceTime(ctx, id), id, parseParams(removeLinesShape, params));
  });
  r.post('/v1/invoices/:id/lines/:line', async (ctx, params, c) => {
    const id = pathParam(c, 'id');
    return updateLine(await invoiceTime(ctx, id), id, pathParam(c, 'line'), parseParams(updateLineShape, params));
  });
  r.post('/v1/invoices/:id/attach_payment', async (ctx, params, c) => {
    const q = parseParams(
      {
        payment_intent: p.unsupported('Portico has no PaymentIntents: pay the invoice with POST /v1/invoices/{id}/pay.'),
        payment_record: p.unsupported('Portico has no payment records: mark an outside payment with /pay and paid_out_of_band=true.'),
      },
      params,
    );
    await getInvoice(ctx, pathParam(c, 'id'));
    void q;
    throw errors.missingParam('payment_intent');
  });
  r.post('/v1/invoices/:id/send', async (ctx, params, c) => {
    parseParams({}, params);
    const id = pathParam(c, 'id');
    return sendInvoice(await invoiceTime(ctx, id), id);
  });
  r.post('/v1/invoices/:id/mark_uncollectible', async (ctx, params, c) => {
    parseParams({}, params);
    const id = pathParam(c, 'id');
    return markUncollectible(await invoiceTime(ctx, id), id);
  });
}
