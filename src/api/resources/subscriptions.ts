/**
 * `/v1/subscriptions`: create, retrieve, update, cancel (`DELETE`), list, pause, resume (a `paused`
 * one), migrate, `DELETE /v1/subscriptions/{id}/discount`, and `POST /v1/invoices/create_preview`
 * (registered before the invoice routes so `create_preview` is not taken for an invoice id).
 * Requests about a customer on a test clock run at that clock's time (done by the domain functions).
 */
import { errors } from '../../lib/errors.ts';
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import { createInvoicePreview, invoicePreviewShape } from '../../billing/subscriptions/preview.ts';
import { billingModeParam } from '../../billing/subscriptions/settings.ts';
import {
  cancelSubscription,
  createSubscription,
  deleteSubscriptionDiscount,
  getSubscription,
  listSubscriptions,
  pauseSubscription,
  resumeSubscription,
  subscriptionPauseShape,
  subscriptionCancelShape,
  subscriptionResumeShape,
  subscriptionCreateShape,
  subscriptionUpdateShape,
  updateSubscription,
} from '../../billing/subscriptions/index.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';
import { plansAsPrices } from './plans.ts';

defineExpansions('subscription', {
  fields: {
    customer: { target: 'customer' },
    latest_invoice: { target: 'invoice' },
    default_payment_method: { target: 'payment_method' },
    test_clock: { target: 'test_helpers.test_clock' },
    default_source: { target: null },
    schedule: { target: 'subscription_schedule' },
    pending_setup_intent: { target: null },
    discounts: { target: 'discount' },
  },
  // `items` is always present; declaring it lets paths such as `items.data.price.product` go through.
  includes: { items: async (_ctx, sub) => sub.items },
});
defineExpansions('subscription_item', { fields: { price: { target: 'price' }, discounts: { target: 'discount' } } });
defineExpansions('discount', {
  fields: {
    customer: { target: 'customer' },
    promotion_code: { target: 'promotion_code' },
    'source.coupon': { target: 'coupon' },
  },
});

const STATUSES = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
] as const;

const listSubscriptionsShape = {
  ...listShape,
  customer: p.string(),
  customer_account: p.unsupported('Accounts v2 are not available: give customer (a cus_ id).'),
  status: p.enumOf(STATUSES),
  price: p.string(),
  // A plan is a price seen through the older object: the same id.
  plan: p.string(),
  test_clock: p.string(),
  created: rangeFilter(),
  current_period_start: rangeFilter(),
  current_period_end: rangeFilter(),
  collection_method: p.enumOf(['charge_automatically', 'send_invoice']),
  automatic_tax: p.object({ enabled: p.boolean().req() }),
};

/** `POST /v1/invoices/create_preview` (billing/subscriptions/preview.ts). */
export function registerInvoicePreview(r: Routes): void {
  r.post('/v1/invoices/create_preview', (ctx, params) => createInvoicePreview(ctx, parseParams(invoicePreviewShape, params)));
}

export function registerSubscriptions(r: Routes): void {
  // Through a unit of work (api/router.ts): the subscription, its first invoice (created, finalized,
  // charged), their events and billing period go out in a few multi-row statements.
  const batched = { unitOfWork: true };
  r.post('/v1/subscriptions', (ctx, params) => createSubscription(ctx, parseParams(subscriptionCreateShape, plansAsPrices(params, 'items'))), undefined, batched);
  r.get('/v1/subscriptions', async (ctx, params, c) => {
    const { plan, automatic_tax, ...q } = parseParams(listSubscriptionsShape, params);
    if (plan !== undefined && q.price !== undefined && plan !== q.price) throw errors.exclusive(['price', 'plan']);
    // No subscription has automatic tax (Portico has no tax engine): enabled=true matches none.
    if (automatic_tax?.enabled === true) return pageEnvelope(c.req.path, { data: [], has_more: false });
    const price = q.price ?? plan;
    return pageEnvelope(c.req.path, await listSubscriptions(ctx, { ...q, ...(price !== undefined ? { price } : {}) }, pagination(q)));
  });
  r.get('/v1/subscriptions/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getSubscription(ctx, pathParam(c, 'id'));
  });
  r.post(
    '/v1/subscriptions/:id',
    (ctx, params, c) => updateSubscription(ctx, pathParam(c, 'id'), parseParams(subscriptionUpdateShape, plansAsPrices(params, 'items'))),
    undefined,
    batched,
  );
  r.delete('/v1/subscriptions/:id', (ctx, params, c) =>
    cancelSubscription(ctx, pathParam(c, 'id'), parseParams(subscriptionCancelShape, params)),
  );
  r.post('/v1/subscriptions/:id/resume', (ctx, params, c) =>
    resumeSubscription(ctx, pathParam(c, 'id'), parseParams(subscriptionResumeShape, params)),
  );
  r.post('/v1/subscriptions/:id/pause', (ctx, params, c) =>
    pauseSubscription(ctx, pathParam(c, 'id'), parseParams(subscriptionPauseShape, params)),
  );
  r.delete('/v1/subscriptions/:id/discount', (ctx, params, c) => {
    parseParams({}, params);
    return deleteSubscriptionDiscount(ctx, pathParam(c, 'id'));
  });
  r.post('/v1/subscriptions/:id/migrate', async (ctx, params, c) => {
    // Only flexible is a migration target, and Portico bills in classic mode: billingModeParam refuses it.
    parseParams({ billing_mode: { ...billingModeParam, required: true as const } }, params);
    const sub = await getSubscription(ctx, pathParam(c, 'id'));
    throw errors.invalidParam('billing_mode[type]', `The subscription ${sub.id} already uses the classic billing mode.`);
  });
}
