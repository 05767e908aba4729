/**
 * Invoices: the contract the rest of the billing engine (subscriptions, the billing clock) and the API
 * use. See each module for its rules: totals.ts (arithmetic and rounding), create.ts (drafts and
 * previews), finalize.ts (numbers, balance), pay.ts (payment methods, attempts, retries),
 * lifecycle.ts (void, uncollectible, delete), manual.ts (the API's own verbs).
 */
export type {
  DeletedInvoice,
  Discount,
  DraftInvoiceParams,
  Invoice,
  InvoiceLineItem,
  LineInput,
  PaymentOutcome,
} from './types.ts';
export { createDraftInvoice, previewInvoice } from './create.ts';
export { finalizeInvoice, invoicePaidHooks } from './finalize.ts';
export { attemptInvoicePayment, payOutOfBand, retryDueInvoice, MAX_ATTEMPTS, RETRY_DAYS } from './pay.ts';
export { deleteInvoice, markUncollectible, sendInvoice, voidInvoice } from './lifecycle.ts';
export {
  createManualInvoice,
  getInvoice,
  invoiceCreateShape,
  invoiceUpdateShape,
  listInvoiceLines,
  listInvoices,
  updateInvoice,
} from './manual.ts';
export { atClockTime } from './store.ts';
export { couponInCurrency } from './build.ts';
export { computeTotals, type DiscountInput, type TotalsLineInput } from './totals.ts';
export { addLines, addLinesShape, removeLines, removeLinesShape, updateLine, updateLineShape, updateLines, updateLinesShape } from './line-edits.ts';
// Installs the billing clock's handler for manual invoices' automatic payment attempts.
import './collect.ts';
