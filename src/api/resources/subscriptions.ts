/**
 * `/v1/subscriptions`: create, retrieve, update, cancel (`DELETE`), list, resume (a `paused` one),
 * and `POST /v1/invoices/create_preview` for a subscription change (registered before the invoice routes so `create_preview` is not taken for an invoice id).
 * Requests about a customer on a test clock run at that clock's time (done by the domain functions).
 */
import { errors } from '../../lib/errors.ts';
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  cancelSubscription,
  changeShape,
  createSubscription,
  getSubscription,
  listSubscriptions,
  previewSubscriptionInvoice,
  resumeSubscription,
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
  },
  // `items` is always present; declaring it lets paths such as `items.data.price.product` go through.
  includes: { items: async (_ctx, sub) => sub.items },
});
defineExpansions('subscription_item', { fields: { price: { target: 'price' } } });

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
  status: p.enumOf(STATUSES),
  price: p.string(),
  test_clock: p.string(),
  created: rangeFilter(),
  collection_method: p.enumOf(['charge_automatically', 'send_invoice']),
};

const previewShape = {
  subscription: p.string(),
  customer: p.string(),
  subscription_details: p.object(changeShape),
};

/** `POST /v1/invoices/create_preview` for a subscription (and its proposed change). */
export function registerInvoicePreview(r: Routes): void {
  r.post('/v1/invoices/create_preview', async (ctx, params) => {
    const q = parseParams(previewShape, params);
    if (q.subscription === undefined) throw errors.missingParam('subscription');
    const sub = await getSubscription(ctx, q.subscription, 'subscription');
    if (q.customer !== undefined && q.customer !== sub.customer) {
      throw errors.invalidParam('customer', `The subscription ${sub.id} does not belong to the customer ${q.customer}.`);
    }
    return previewSubscriptionInvoice(ctx, sub.id, q.subscription_details ?? {});
  });
}

export function registerSubscriptions(r: Routes): void {
  r.post('/v1/subscriptions', (ctx, params) => createSubscription(ctx, parseParams(subscriptionCreateShape, plansAsPrices(params, 'items'))));
  r.get('/v1/subscriptions', async (ctx, params, c) => {
    const q = parseParams(listSubscriptionsShape, params);
    const page = await listSubscriptions(ctx, q, pagination(q));
    const data = q.collection_method === undefined ? page.data : page.data.filter((o) => o.data.collection_method === q.collection_method);
    return pageEnvelope(c.req.path, { data, has_more: page.has_more });
  });
  r.get('/v1/subscriptions/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getSubscription(ctx, pathParam(c, 'id'));
  });
  r.post('/v1/subscriptions/:id', (ctx, params, c) =>
    updateSubscription(ctx, pathParam(c, 'id'), parseParams(subscriptionUpdateShape, plansAsPrices(params, 'items'))),
  );
  r.delete('/v1/subscriptions/:id', (ctx, params, c) =>
    cancelSubscription(ctx, pathParam(c, 'id'), parseParams(subscriptionCancelShape, params)),
  );
  r.post('/v1/subscriptions/:id/resume', (ctx, params, c) =>
    resumeSubscription(ctx, pathParam(c, 'id'), parseParams(subscriptionResumeShape, params)),
  );
}
