/**
 * `/v1/subscription_items`: list (by subscription), retrieve, create, update, delete. Items live
 * embedded in their subscription; every change goes through `updateSubscription` (same prorations,
 * invoices and `customer.subscription.updated` event as changing `items[]` there), and its errors are
 * renamed from `items[0][x]` to this endpoint's own `x`.
 */
import { ApiError, errors } from '../../lib/errors.ts';
import { listShape, p, parseParams } from '../../lib/params.ts';
import {
  findSubscriptionByItem,
  getSubscription,
  updateSubscription,
  type Subscription,
  type SubscriptionItem,
} from '../../billing/subscriptions/index.ts';
import type { Ctx } from '../../storage/context.ts';
import { listEnvelope } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';
import { plansAsPrices } from './plans.ts';

const changeOptions = {
  proration_behavior: p.enumOf(['always_invoice', 'create_prorations', 'none']),
  proration_date: p.timestamp(),
  payment_behavior: p.enumOf(['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete']),
};

const itemFields = {
  price: p.string(),
  quantity: p.integer({ min: 0, max: 1_000_000_000 }),
  tax_rates: p.emptyable(p.array(p.string(), { max: 10 })),
  metadata: p.metadata(),
};

const createShape = { ...itemFields, ...changeOptions, subscription: p.string().req(), price: p.string().req() };
const updateShape = { ...itemFields, ...changeOptions, off_session: p.boolean() };
const deleteShape = { ...changeOptions, clear_usage: p.boolean() };
const listItemsShape = { ...listShape, subscription: p.string().req() };

/** Runs a subscription change, naming this endpoint's params in its errors. */
async function asItemChange(fn: () => Promise<Subscription>): Promise<Subscription> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.body.param) {
      err.body.param = err.body.param.replace(/^items\[0\]\[(\w+)\]$/, '$1').replace(/^items$/, 'price');
    }
    throw err;
  }
}

function itemOf(sub: Subscription, id: string): SubscriptionItem {
  const item = sub.items.data.find((i) => i.id === id);
  if (!item) throw errors.resourceMissing('subscription_item', id);
  return item;
}

async function subscriptionOf(ctx: Ctx, itemId: string): Promise<Subscription> {
  return findSubscriptionByItem(ctx, itemId, 'id');
}

export function registerSubscriptionItems(r: Routes): void {
  r.get('/v1/subscription_items', async (ctx, params, c) => {
    const q = parseParams(listItemsShape, params);
    const sub = await getSubscription(ctx, q.subscription, 'subscription');
    let items = sub.items.data;
    if (q.starting_after !== undefined && q.ending_before !== undefined) throw errors.exclusive(['starting_after', 'ending_before']);
    const cursor = q.starting_after ?? q.ending_before;
    if (cursor !== undefined) {
      const at = items.findIndex((i) => i.id === cursor);
      if (at < 0) throw errors.resourceMissing('subscription_item', cursor, q.starting_after !== undefined ? 'starting_after' : 'ending_before');
      items = q.starting_after !== undefined ? items.slice(at + 1) : items.slice(0, at);
    }
    const limit = q.limit ?? 10;
    const page = q.ending_before !== undefined ? items.slice(Math.max(0, items.length - limit)) : items.slice(0, limit);
    return listEnvelope(c.req.path, page, page.length < items.length);
  });
  r.get('/v1/subscription_items/:id', async (ctx, params, c) => {
    parseParams({}, params);
    const id = pathParam(c, 'id');
    return itemOf(await subscriptionOf(ctx, id), id);
  });
  r.post('/v1/subscription_items', async (ctx, params) => {
    const q = parseParams(createShape, plansAsPrices(params, 'top'));
    const { subscription, price, quantity, tax_rates, metadata, ...options } = q;
    const sub = await asItemChange(() =>
      updateSubscription(ctx, subscription, {
        ...options,
        items: [{ price, ...(quantity !== undefined ? { quantity } : {}), ...(tax_rates !== undefined ? { tax_rates } : {}), ...(metadata !== undefined ? { metadata } : {}) }],
      }),
    );
    return sub.items.data[sub.items.data.length - 1]!;
  });
  r.post('/v1/subscription_items/:id', async (ctx, params, c) => {
    const q = parseParams(updateShape, plansAsPrices(params, 'top'));
    const id = pathParam(c, 'id');
    const { price, quantity, tax_rates, metadata, ...options } = q;
    const current = await subscriptionOf(ctx, id);
    const sub = await asItemChange(() =>
      updateSubscription(ctx, current.id, {
        ...options,
        items: [{ id, ...(price !== undefined ? { price } : {}), ...(quantity !== undefined ? { quantity } : {}), ...(tax_rates !== undefined ? { tax_rates } : {}), ...(metadata !== undefined ? { metadata } : {}) }],
      }),
    );
    return itemOf(sub, id);
  });
  r.delete('/v1/subscription_items/:id', async (ctx, params, c) => {
    const { clear_usage: _clear, ...options } = parseParams(deleteShape, params);
    const id = pathParam(c, 'id');
    const current = await subscriptionOf(ctx, id);
    await asItemChange(() => updateSubscription(ctx, current.id, { ...options, items: [{ id, deleted: true }] }));
    return { id, object: 'subscription_item', deleted: true };
  });
}
