/**
 * `/v1/customers`: create, retrieve, update, delete, list; their balance transactions
 * (`/v1/customers/{id}/balance_transactions`). Expandable: `subscriptions` (those not ended),
 * `sources` (its card sources), `default_source` (a `card`), `cash_balance` (always empty of funds), `tax`,
 * `invoice_credit_balance`, `tax_ids`. Sources and the cash balance's own endpoints: customer-sources.ts.
 */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  createCustomer,
  customerCreateShape,
  customerUpdateShape,
  deleteCustomer,
  listCustomers,
  retrieveCustomer,
  updateCustomer,
} from '../../billing/customers.ts';
import {
  balanceTransactionCreateShape,
  balanceTransactionUpdateShape,
  createBalanceTransaction,
  getBalanceTransaction,
  listBalanceTransactions,
  updateBalanceTransaction,
} from '../../billing/customer-balance.ts';
import { customerTax, type Customer } from '../../billing/customers.ts';
import { listSubscriptions } from '../../billing/subscriptions/index.ts';
import { customerTaxIdsPage } from '../../billing/tax-ids.ts';
import { retrieveCashBalance } from '../../billing/cash-balance.ts';
import { customerSourcesPage, expandSource, toCardObject } from '../../billing/sources.ts';
import { defineExpansions } from '../expand.ts';
import { listEnvelope, pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('customer', {
  fields: {
    'invoice_settings.default_payment_method': { target: 'payment_method' },
    test_clock: { target: 'test_helpers.test_clock' },
  },
  includes: {
    tax_ids: async (ctx, customer) => {
      const url = `/v1/customers/${customer.id}/tax_ids`;
      if (customer.deleted) return listEnvelope(url, [], false);
      return pageEnvelope(url, await customerTaxIdsPage(ctx, customer.id, 10));
    },
    subscriptions: async (ctx, customer) => {
      const url = `/v1/customers/${customer.id}/subscriptions`;
      if (customer.deleted) return listEnvelope(url, [], false);
      return pageEnvelope(url, await listSubscriptions(ctx, { customer: customer.id }, { limit: 10 }));
    },
    sources: async (ctx, customer) => {
      const url = `/v1/customers/${customer.id}/sources`;
      if (customer.deleted) return listEnvelope(url, [], false);
      return pageEnvelope(url, await customerSourcesPage(ctx, customer.id), (row) => toCardObject(row.data));
    },
    // An include, not a plain field: the id names a card source, shown as a `card` (not a payment method).
    default_source: async (ctx, customer) =>
      typeof customer.default_source === 'string' ? expandSource(ctx, customer.default_source) : customer.deleted ? undefined : null,
    cash_balance: async (ctx, customer) => (customer.deleted ? null : retrieveCashBalance(ctx, customer.id)),
    tax: (ctx, customer) => customerTax(ctx, customer as Customer),
    // Credit notes are the only source of invoice credit, and Portico has none.
    invoice_credit_balance: async () => ({}),
  },
});

defineExpansions('customer_balance_transaction', {
  fields: {
    customer: { target: 'customer' },
    invoice: { target: 'invoice' },
    credit_note: { target: null },
    checkout_session: { target: null },
  },
});

const listBalanceTransactionsShape = { ...listShape, invoice: p.string(), created: rangeFilter() };

const listCustomersShape = {
  ...listShape,
  email: p.string({ max: 512 }),
  test_clock: p.string(),
  created: rangeFilter(),
};

export function registerCustomers(r: Routes): void {
  // Through a unit of work: the customer, its event and the idempotency row go in one statement.
  r.post('/v1/customers', (ctx, params) => createCustomer(ctx, parseParams(customerCreateShape, params)), undefined, { unitOfWork: true });
  r.get('/v1/customers', async (ctx, params, c) => {
    const q = parseParams(listCustomersShape, params);
    const page = await listCustomers(ctx, q, pagination(q));
    return pageEnvelope(c.req.path, page);
  });
  r.get('/v1/customers/:id', (ctx, params, c) => {
    parseParams({}, params);
    return retrieveCustomer(ctx, pathParam(c, 'id'));
  }, { object: 'customer' });
  r.post('/v1/customers/:id', (ctx, params, c) =>
    updateCustomer(ctx, pathParam(c, 'id'), parseParams(customerUpdateShape, params)),
  );
  r.post('/v1/customers/:id/balance_transactions', (ctx, params, c) =>
    createBalanceTransaction(ctx, pathParam(c, 'id'), parseParams(balanceTransactionCreateShape, params)),
  );
  r.get('/v1/customers/:id/balance_transactions', async (ctx, params, c) => {
    const q = parseParams(listBalanceTransactionsShape, params);
    const page = await listBalanceTransactions(ctx, pathParam(c, 'id'), q, pagination(q));
    return pageEnvelope(c.req.path, page);
  });
  r.get('/v1/customers/:id/balance_transactions/:txn', (ctx, params, c) => {
    parseParams({}, params);
    return getBalanceTransaction(ctx, pathParam(c, 'id'), pathParam(c, 'txn'));
  });
  r.post('/v1/customers/:id/balance_transactions/:txn', (ctx, params, c) =>
    updateBalanceTransaction(ctx, pathParam(c, 'id'), pathParam(c, 'txn'), parseParams(balanceTransactionUpdateShape, params)),
  );
  r.delete('/v1/customers/:id', (ctx, params, c) => {
    parseParams({}, params);
    return deleteCustomer(ctx, pathParam(c, 'id'));
  });
}
