/**
 * Subscriptions: the contract the API and the rest of the engine use. Importing this module installs
 * the billing clock's `subscription` due handler (renew.ts) and the customer-deletion hook (cancel.ts).
 * See each module for its rules: create.ts, update.ts (changes and previews, via compute.ts),
 * cancel.ts, renew.ts (the clock's work), status.ts (storage, due times, payment → status).
 */
import { errors } from '../../lib/errors.ts';
import type { RangeFilter } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { listObjects, whereCreated, whereData, type ListOptions } from '../../storage/objects.ts';
import { sql } from 'kysely';
import { loadSubscription, OBJECT } from './status.ts';
import type { Subscription } from './types.ts';
import './renew.ts';

export type { DeletedSubscriptionItem, Plan, Subscription, SubscriptionItem, SubscriptionStatus } from './types.ts';
export { createSubscription, subscriptionCreateShape, type SubscriptionCreate } from './create.ts';
export { previewSubscriptionInvoice, subscriptionUpdateShape, updateSubscription, changeShape, type SubscriptionUpdate } from './update.ts';
export { cancelSubscription, subscriptionCancelShape, type SubscriptionCancel } from './cancel.ts';
export { runSubscription } from './renew.ts';
export { resumeSubscription, subscriptionResumeShape, type SubscriptionResume } from './pause.ts';
export { syncWithInvoice } from './status.ts';
export type { ChangeRequest } from './compute.ts';

export async function getSubscription(ctx: Ctx, id: string, param = 'id'): Promise<Subscription> {
  return (await loadSubscription(ctx, id, param)).sub;
}

/** The subscription holding the item `itemId`, or a 404 `No such subscription_item` naming `param`. */
export async function findSubscriptionByItem(ctx: Ctx, itemId: string, param = 'id'): Promise<Subscription> {
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
      return out;
    },
  });
}
