/**
 * Reading and writing invoice rows. The row's `customer` and `test_clock` columns are the invoice's;
 * `due_at` is when the billing clock next retries its payment (null: never); the private data holds
 * what the invoice is built from (see `InvoicePrivate`).
 */
import type { Ctx } from '../../storage/context.ts';
import { errors } from '../../lib/errors.ts';
import { findObjectOwner, getObject, updateObject, type StoredObject } from '../../storage/objects.ts';
import { getTestClock } from '../test-clocks.ts';
import type { Invoice, InvoicePrivate } from './types.ts';

export const INVOICE = 'invoice';

export interface StoredInvoice {
  row: StoredObject<Invoice>;
  invoice: Invoice;
  priv: InvoicePrivate;
}

/** The invoice (not deleted) and its private data, or a 404 naming `param`; `forUpdate` locks it. */
export async function loadInvoice(ctx: Ctx, id: string, param = 'invoice', forUpdate = false): Promise<StoredInvoice> {
  const row = await getObject<Invoice>(ctx, INVOICE, INVOICE, id, { param, forUpdate });
  const priv = row.private as unknown as InvoicePrivate;
  return { row, invoice: row.data, priv: {
      lines: priv.lines ?? [],
      discounts: priv.discounts ?? [],
      allLines: priv.allLines ?? [],
      days_until_due: priv.days_until_due ?? null,
      due_date: priv.due_date ?? null,
      effective_at: priv.effective_at ?? null,
      ...(priv.copied_items ? { copied_items: priv.copied_items } : {}),
    },
  };
}

/**
 * The customer of the invoice (a 404 naming `param` when there is no such invoice), read without the
 * invoice itself: what the invoice verbs lock first (lock order: customer, then invoice).
 */
export async function invoiceCustomer(ctx: Ctx, id: string, param = 'invoice'): Promise<string> {
  const customer = await findObjectOwner(ctx, INVOICE, id);
  if (customer === undefined) throw errors.resourceMissing(INVOICE, id, param);
  // Every invoice row carries its customer (see createDraftInvoice); a row without would be a bug.
  if (customer === null) return (await loadInvoice(ctx, id, param)).invoice.customer;
  return customer;
}

/** Writes the invoice (and, when given, its private data and next retry time). */
export async function writeInvoice(
  ctx: Ctx,
  invoice: Invoice,
  priv?: InvoicePrivate,
  dueAt?: number | null,
): Promise<void> {
  await updateObject(ctx, invoice.id, {
    data: invoice,
    ...(priv ? { private: priv as unknown as Record<string, unknown> } : {}),
    ...(dueAt !== undefined ? { due_at: dueAt } : {}),
  });
}

/**
 * `ctx` at the time of the test clock `testClock` lives on (unchanged without one). API routes use it
 * for objects of customers on a test clock; the billing clock passes its own time instead.
 */
export async function atClockTime(ctx: Ctx, testClock: string | null): Promise<Ctx> {
  if (testClock === null || ctx.livemode) return ctx;
  const frozen = (await getTestClock(ctx, testClock)).frozen_time;
  return { ...ctx, clock: { now: () => frozen } };
}
