/** Every resource module's routes, registered on the API. */
import type { Routes } from '../router.ts';
import { registerBillingPortal } from './billing_portal.ts';
import { registerFeedbackOptions } from './billing-feedback-options.ts';
import { registerCoupons } from './coupons.ts';
import { registerCustomers } from './customers.ts';
import { registerCustomerSources } from './customer-sources.ts';
import { registerDiscounts } from './discounts.ts';
import { registerEvents } from './events.ts';
import { registerInvoiceItems } from './invoice-items.ts';
import { registerInvoices } from './invoices.ts';
import { registerPaymentMethods } from './payment-methods.ts';
import { registerPlans } from './plans.ts';
import { registerPromotionCodes } from './promotion-codes.ts';
import { registerPrices } from './prices.ts';
import { registerSubscriptionItems } from './subscription-items.ts';
import { registerSubscriptionSchedules } from './subscription-schedules.ts';
import { registerInvoicePreview, registerSubscriptions } from './subscriptions.ts';
import { registerProducts } from './products.ts';
import { registerSearch } from './search.ts';
import { registerTaxIds } from './tax-ids.ts';
import { registerTaxRates } from './tax-rates.ts';
import { registerShippingRates } from './shipping-rates.ts';
import { registerTestClocks } from './test-clocks.ts';
import { registerAccounts } from './accounts.ts';
import { registerFiles } from './files.ts';
import { registerEntitlements } from './entitlements.ts';

export function registerResources(routes: Routes): void {
  // First: `/v1/customers/search` and the like must not be read as an object id.
  registerSearch(routes);
  registerCustomers(routes);
  registerCustomerSources(routes);
  registerDiscounts(routes);
  registerEvents(routes);
  registerPaymentMethods(routes);
  registerCoupons(routes);
  registerPromotionCodes(routes);
  registerProducts(routes);
  registerPrices(routes);
  registerPlans(routes);
  registerTaxIds(routes);
  registerTestClocks(routes);
  registerTaxRates(routes);
  registerShippingRates(routes);
  registerInvoiceItems(routes);
  // Before the invoice routes: `/v1/invoices/create_preview` must not be read as an invoice id.
  registerInvoicePreview(routes);
  registerInvoices(routes);
  registerSubscriptions(routes);
  registerSubscriptionItems(routes);
  registerSubscriptionSchedules(routes);
  registerBillingPortal(routes);
  registerFeedbackOptions(routes);
  registerAccounts(routes);
  registerFiles(routes);
  registerEntitlements(routes);
}
