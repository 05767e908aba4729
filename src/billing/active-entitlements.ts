/**
 * A customer's active entitlements (`entitlements.active_entitlement`): one per active feature
 * attached to a product of the customer's subscriptions whose status grants access (`active`,
 * `trialing`, `past_due`: access is kept while a failed renewal is retried; `canceled`, `unpaid`,
 * `paused`, `incomplete` and `incomplete_expired` grant none). Derived when read, so they are always
 * what the subscriptions and the product features say now (on Stripe, a feature attached to a product
 * reaches existing subscriptions at their next period).
 *
 * An active entitlement's id names the customer and the feature (`ent_` + both, encoded), so the
 * same entitlement keeps its id for as long as it lasts, and a retrieve finds it without storage.
 *
 * `entitlements.active_entitlement_summary.updated` (data.object: the customer's summary, with
 * `previous_attributes.entitlements`) is emitted when a subscription's create, update, cancellation
 * or status change changes the set of features the customer is entitled to.
 */
import { sql } from 'kysely';
import { errors } from '../lib/errors.ts';
import { ID_PREFIXES } from '../lib/ids.ts';
import type { Ctx } from '../storage/context.ts';
import { emit } from '../events/outbox.ts';
import { getCustomer } from './customers.ts';
import { featuresByIds, productFeatureRows, type Feature } from './entitlements.ts';

export interface ActiveEntitlement {
  id: string;
  object: 'entitlements.active_entitlement';
  feature: string;
  livemode: boolean;
  lookup_key: string;
}

/** The slice of a subscription entitlements depend on. */
interface EntitlingSubscription {
  id: string;
  customer: string;
  status: string;
  items: { data: { price: { product: string } }[] };
}

const GRANTING = new Set(['active', 'trialing', 'past_due']);
const PREFIX = `${ID_PREFIXES['entitlements.active_entitlement']}_`;

/** The products a subscription entitles its customer to (none unless its status grants access). */
function productsOf(sub: EntitlingSubscription | null): string[] {
  if (!sub || !GRANTING.has(sub.status)) return [];
  return [...new Set(sub.items.data.map((i) => i.price.product))].sort();
}

function entitlementId(customer: string, feature: string): string {
  return PREFIX + Buffer.from(`${customer} ${feature}`, 'utf8').toString('base64url');
}

function parseEntitlementId(id: string): { customer: string; feature: string } | null {
  if (!id.startsWith(PREFIX)) return null;
  const [customer, feature, ...rest] = Buffer.from(id.slice(PREFIX.length), 'base64url').toString('utf8').split(' ');
  return customer && feature && rest.length === 0 && entitlementId(customer, feature) === id ? { customer, feature } : null;
}

/** The customer's subscriptions as stored (the batch's buffered writes settled first). */
async function storedSubscriptions(ctx: Ctx, customer: string): Promise<EntitlingSubscription[]> {
  await ctx.uow?.settle(ctx.db);
  const rows = await ctx.db
    .selectFrom('objects')
    .select(['data'])
    .where('livemode', '=', ctx.livemode)
    .where('customer', '=', customer)
    .where('object', '=', 'subscription')
    .where('deleted', '=', false)
    .where(sql<string>`data->>'status'`, 'in', [...GRANTING])
    .execute();
  return rows.map((r) => r.data as EntitlingSubscription);
}

/** The active features these products entitle to, newest attachment first, one per feature. */
async function entitlementsFor(ctx: Ctx, customer: string, products: string[]): Promise<ActiveEntitlement[]> {
  const rows = await productFeatureRows(ctx, products);
  const features = await featuresByIds(ctx, rows.map((r) => r.feature));
  const seen = new Set<string>();
  const out: ActiveEntitlement[] = [];
  for (const { feature: id } of rows.reverse()) {
    const feature: Feature | undefined = features.get(id);
    if (!feature || !feature.active || seen.has(id)) continue;
    seen.add(id);
    out.push({ id: entitlementId(customer, id), object: 'entitlements.active_entitlement', feature: id, livemode: ctx.livemode, lookup_key: feature.lookup_key });
  }
  return out;
}

/** Every active entitlement of the customer, newest first. */
export async function activeEntitlements(ctx: Ctx, customer: string, param = 'customer'): Promise<ActiveEntitlement[]> {
  await getCustomer(ctx, customer, param);
  const products = (await storedSubscriptions(ctx, customer)).flatMap(productsOf);
  return entitlementsFor(ctx, customer, products);
}

export async function getActiveEntitlement(ctx: Ctx, id: string): Promise<ActiveEntitlement> {
  const parsed = parseEntitlementId(id);
  const found = parsed ? (await activeEntitlements(ctx, parsed.customer).catch(() => [])).find((e) => e.id === id) : undefined;
  if (!found) throw errors.resourceMissing('active entitlement', id);
  return found;
}

function summary(ctx: Ctx, customer: string, entitlements: ActiveEntitlement[]) {
  return {
    object: 'entitlements.active_entitlement_summary' as const,
    customer,
    entitlements: { object: 'list' as const, data: entitlements, has_more: false, url: '/v1/entitlements/active_entitlements' },
    livemode: ctx.livemode,
  };
}

/**
 * After a subscription changed from `before` (null: it is new) to `after`: emits the customer's
 * `entitlements.active_entitlement_summary.updated` when their entitlements changed. Reads nothing
 * unless the products the subscription entitles to changed (a renewal, a metadata change: no query).
 */
export async function syncEntitlements(ctx: Ctx, before: EntitlingSubscription | null, after: EntitlingSubscription): Promise<void> {
  const was = productsOf(before);
  const now = productsOf(after);
  if (was.join(' ') === now.join(' ')) return;
  // Products without features change nothing, whatever the customer's other subscriptions entitle to:
  // no need to read those (a subscription create of a plain plan pays one query, not two or three).
  if ((await productFeatureRows(ctx, [...new Set([...was, ...now])])).length === 0) return;
  const others = (await storedSubscriptions(ctx, after.customer)).filter((s) => s.id !== after.id).flatMap(productsOf);
  const previous = await entitlementsFor(ctx, after.customer, [...others, ...was]);
  const current = await entitlementsFor(ctx, after.customer, [...others, ...now]);
  const key = (list: ActiveEntitlement[]) => list.map((e) => e.feature).sort().join(' ');
  if (key(previous) === key(current)) return;
  await emit(ctx, 'entitlements.active_entitlement_summary.updated', summary(ctx, after.customer, current), {
    entitlements: summary(ctx, after.customer, previous).entitlements,
  });
}
