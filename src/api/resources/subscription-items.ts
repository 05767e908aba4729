/**
 * `/v1/subscription_items`: list (by subscription), retrieve, create, update, delete. Items live
 * embedded in their subscription; every change goes through `updateSubscription` (same prorations,
 * invoices and `customer.subscription.updated` event as changing `items[]` there), and its errors are
 * renamed from `items[0][x]` to this endpoint's own `x`.
 */
import { ApiError, errors } from '../../lib/errors.ts';
import { listShape, p, parseParams, type InferShape } from '../../lib/params.ts';
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
import { itemParams } from '../../billing/subscriptions/create.ts';

type ItemFields = Omit<InferShape<typeof itemFields>, 'plan'>;

/** The item entry of a subscription change from this endpoint's params (`plan` read as `price`). */
function entry(q: Partial<InferShape<typeof itemFields>>): ItemFields {
  const { plan, ...rest } = q;
  if (plan !== undefined && rest.price !== undefined && plan !== rest.price) throw errors.exclusive(['price', 'plan']);
  const out = Object.fromEntries(Object.entries({ ...rest, price: rest.price ?? plan }).filter(([, v]) => v !== undefined));
  return out as ItemFields;
}

const changeOptions = {
  proration_behavior: p.enumOf(['always_invoice', 'create_prorations', 'none']),
  proration_date: p.timestamp(),
  payment_behavior: p.enumOf(['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete']),
};

// `plan`: a plan is a price seen through the older object (the same id).
const itemFields = { ...itemParams, plan: p.string() };

const createShape = { ...itemFields, ...changeOptions, subscription: p.string().req() };
const updateShape = { ...itemFields, ...changeOptions, off_session: p.boolean() };
const deleteShape = { ...changeOptions, clear_usage: p.boolean() };
const listItemsShape = { ...listShape, subscription: p.string().req() };

/** The options that were given (the update params take no explicit `undefined`). */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Runs a subscription change, naming this endpoint's params in its errors. */
async function asItemChange(fn: () => Promise<Subscription>): Promise<Subscription> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.body.param) {
      err.body.param = err.body.param.replace(/^items\[0\]\[(\w+)\]/, '$1').replace(/^items$/, 'price');
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
    const { subscription, proration_behavior, proration_date, payment_behavior, ...fields } = parseParams(createShape, params);
    const item = entry(fields);
    if (item.price === undefined && item.price_data === undefined) throw errors.missingParam('price');
    const options = { proration_behavior, proration_date, payment_behavior };
    const sub = await asItemChange(() => updateSubscription(ctx, subscription, { ...defined(options), items: [item] }));
    return sub.items.data[sub.items.data.length - 1]!;
  });
  r.post('/v1/subscription_items/:id', async (ctx, params, c) => {
    const { proration_behavior, proration_date, payment_behavior, off_session, ...fields } = parseParams(updateShape, params);
    const id = pathParam(c, 'id');
    const current = await subscriptionOf(ctx, id);
    const options = { proration_behavior, proration_date, payment_behavior, off_session };
    const sub = await asItemChange(() => updateSubscription(ctx, current.id, { ...defined(options), items: [{ id, ...entry(fields) }] }));
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
