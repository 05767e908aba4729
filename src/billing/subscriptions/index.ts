/**
 * Subscriptions: the contract the API and the rest of the engine use. Importing this module installs
 * the billing clock's `subscription` due handler (renew.ts) and the customer-deletion hook (cancel.ts).
 * See each module for its rules: create.ts, update.ts (changes and previews, via compute.ts),
 * cancel.ts, renew.ts (the clock's work), status.ts (storage, due times, payment → status).
 */
import { errors } from '../../lib/errors.ts';
import type { RangeFilter } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { listObjects, whereCreated, whereData, type ListOptions, type ObjectQuery } from '../../storage/objects.ts';
import { sql, type RawBuilder } from 'kysely';
import { loadSubscription, OBJECT } from './status.ts';
import type { Subscription } from './types.ts';
import './renew.ts';

export type { DeletedSubscriptionItem, Plan, Subscription, SubscriptionItem, SubscriptionStatus } from './types.ts';
export { createSubscription, previewNewSubscription, subscriptionCreateShape, type SubscriptionCreate } from './create.ts';
export { deleteSubscriptionDiscount } from './discounts.ts';
export { previewSubscriptionInvoice, subscriptionUpdateShape, updateSubscription, changeShape, type SubscriptionUpdate } from './update.ts';
export { cancelSubscription, subscriptionCancelShape, type SubscriptionCancel } from './cancel.ts';
export { runSubscription } from './renew.ts';
export {
  pauseSubscription,
  pausedUntil,
  resumeSubscription,
  subscriptionPauseShape,
  subscriptionResumeShape,
  type SubscriptionPause,
  type SubscriptionResume,
} from './pause.ts';
export { syncWithInvoice } from './status.ts';
export type { ChangeRequest } from './compute.ts';

export async function getSubscription(ctx: Ctx, id: string, param = 'id'): Promise<Subscription> {
  return (await loadSubscription(ctx, id, param)).sub;
}

/** The subscription holding the item `itemId`, or a 404 `No such subscription_item` naming `param`. */
export async function findSubscriptionByItem(ctx: Ctx, itemId: string, param = 'id'): Promise<Subscription> {
  await ctx.uow?.settle(ctx.db);
  const row = await ctx.db
    .selectFrom('objects')
    .select('data')
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', OBJECT)
    .where('deleted', '=', false)
    .where(sql<boolean>`jsonb_path_exists(data::jsonb, '$.items.data[*].id ? (@ == $i)', jsonb_build_object('i', ${itemId}::text))`)
    .executeTakeFirst();
  if (!row) throw errors.resourceMissing('subscription_item', itemId, param);
  return row.data as unknown as Subscription;
}

export interface SubscriptionListFilters {
  customer?: string;
  status?: string;
  price?: string;
  test_clock?: string;
  created?: RangeFilter;
  collection_method?: string;
  current_period_start?: RangeFilter;
  current_period_end?: RangeFilter;
}

/** A range filter on a number in the subscription's JSON (its first item's period bounds). */
function whereRange(q: ObjectQuery, col: RawBuilder<number>, r: RangeFilter): ObjectQuery {
  let out = q;
  if (r.eq !== undefined) out = out.where(col, '=', r.eq);
  if (r.gt !== undefined) out = out.where(col, '>', r.gt);
  if (r.gte !== undefined) out = out.where(col, '>=', r.gte);
  if (r.lt !== undefined) out = out.where(col, '<', r.lt);
  if (r.lte !== undefined) out = out.where(col, '<=', r.lte);
  return out;
}

const ENDED = ['canceled', 'incomplete_expired'];

/** Lists subscriptions; without `status` the ended ones are left out (Stripe's default), `all` keeps them. */
export async function listSubscriptions(ctx: Ctx, filters: SubscriptionListFilters, page: ListOptions) {
  return listObjects<Subscription>(ctx, OBJECT, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.customer !== undefined) out = out.where('customer', '=', filters.customer);
      if (filters.test_clock !== undefined) out = out.where('test_clock', '=', filters.test_clock);
      const status = filters.status;
      if (status === undefined) out = out.where(sql<string>`data->>'status'`, 'not in', ENDED);
      else if (status === 'ended') out = out.where(sql<string>`data->>'status'`, 'in', ENDED);
      else if (status !== 'all') out = whereData(out, 'status', status);
      if (filters.price !== undefined) {
        out = out.where(sql<boolean>`jsonb_path_exists(data::jsonb, '$.items.data[*].price.id ? (@ == $p)', jsonb_build_object('p', ${filters.price}::text))`);
      }
      if (filters.created) out = whereCreated(out, filters.created);
      if (filters.collection_method !== undefined) out = whereData(out, 'collection_method', filters.collection_method);
      // Every item shares the subscription's period (types.ts), so the first item's bounds are its.
      if (filters.current_period_start) {
        out = whereRange(out, sql<number>`(data->'items'->'data'->0->>'current_period_start')::bigint`, filters.current_period_start);
      }
      if (filters.current_period_end) {
        out = whereRange(out, sql<number>`(data->'items'->'data'->0->>'current_period_end')::bigint`, filters.current_period_end);
      }
      return out;
    },
  });
}
