/** `/v1/invoiceitems`: create, retrieve, update, delete, list. */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import {
  createInvoiceItem,
  deleteInvoiceItem,
  getInvoiceItem,
  invoiceItemCreateShape,
  invoiceItemUpdateShape,
  listInvoiceItems,
  updateInvoiceItem,
} from '../../billing/invoice-items.ts';
import { atClockTime } from '../../billing/invoices/index.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('invoiceitem', {
  fields: {
    customer: { target: 'customer' },
    invoice: { target: 'invoice' },
    test_clock: { target: 'test_helpers.test_clock' },
    discounts: { target: 'discount' },
  },
});

const listInvoiceItemsShape = {
  ...listShape,
  customer: p.string(),
  invoice: p.string(),
  pending: p.boolean(),
  created: rangeFilter(),
};

/** `ctx` at the time of the customer's test clock, if it lives on one. */
async function customerTime(ctx: Ctx, customer: string): Promise<Ctx> {
  const found = await findObject<{ test_clock: string | null }>(ctx, 'customer', customer);
  return atClockTime(ctx, found?.data.test_clock ?? null);
}

export function registerInvoiceItems(r: Routes): void {
  r.post('/v1/invoiceitems', async (ctx, params) => {
    const q = parseParams(invoiceItemCreateShape, params);
    return createInvoiceItem(await customerTime(ctx, q.customer), q);
  });
  r.get('/v1/invoiceitems', async (ctx, params, c) => {
    const q = parseParams(listInvoiceItemsShape, params);
    return pageEnvelope(c.req.path, await listInvoiceItems(ctx, q, pagination(q)));
  });
  r.get('/v1/invoiceitems/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getInvoiceItem(ctx, pathParam(c, 'id'));
  }, { object: 'invoiceitem' });
  r.post('/v1/invoiceitems/:id', (ctx, params, c) =>
    updateInvoiceItem(ctx, pathParam(c, 'id'), parseParams(invoiceItemUpdateShape, params)),
  );
  r.delete('/v1/invoiceitems/:id', (ctx, params, c) => {
    parseParams({}, params);
    return deleteInvoiceItem(ctx, pathParam(c, 'id'));
  });
}
