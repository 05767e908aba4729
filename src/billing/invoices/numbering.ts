/**
 * Invoice numbers: `<customer.invoice_prefix>-<sequence padded to 4 digits>` (e.g. `ABCD1234-0001`),
 * taken from the customer's `next_invoice_sequence`, which is incremented in the same transaction under
 * the customer's row lock, so two finalizations can never get the same number.
 */
import type { Customer } from '../customers.ts';

/** The number for the customer's next invoice and the customer after taking it (pure). */
export function takeInvoiceNumber(customer: Customer): { number: string; customer: Customer } {
  const seq = customer.next_invoice_sequence;
  const number = `${customer.invoice_prefix}-${String(seq).padStart(4, '0')}`;
  return { number, customer: { ...customer, next_invoice_sequence: seq + 1 } };
}
