/**
 * What the portal offers for one of the session's subscriptions (no HTTP): the subscription read
 * within the session's customer and mode, what each configured feature allows for it (or why not, as
 * an `eligibility.ts` block), the plans it can switch to, a change the portal scheduled for its period
 * end, and its version (what a confirmation form was made for, so a second submit changes nothing).
 */
import { createHash } from 'node:crypto';
import { withDb, type Ctx } from '../../storage/context.ts';
import type { Db } from '../../storage/database.ts';
import { findObject, objectsByIds } from '../../storage/objects.ts';
import type { ObjectRow } from '../../storage/schema.ts';
import { UnitOfWork } from '../../storage/unit-of-work.ts';
import { WEBHOOK_CHANNEL } from '../../events/outbox.ts';
import type { Price } from '../../billing/prices.ts';
import type { Product } from '../../billing/products.ts';
import type { SubscriptionSchedule } from '../../billing/subscription-schedules/index.ts';
import type { Subscription } from '../../billing/subscriptions/index.ts';
import type { PortalConfiguration } from '../configurations/index.ts';
import { cancelBlock, pauseBlock, updateBlock, type Block } from '../eligibility.ts';

/** The metadata key that marks a subscription schedule the portal made for a change at period end. */
export const PORTAL_SCHEDULE_KEY = 'portico_portal';
export const PORTAL_SCHEDULE_VALUE = 'scheduled_change';

/** The session's subscription `id`, or null when it is another customer's, the other mode's, or unknown. */
export async function sessionSubscription(ctx: Ctx, customer: string, id: string): Promise<Subscription | null> {
  if (typeof id !== 'string' || !id.startsWith('sub_')) return null;
  const found = await findObject<Subscription>(ctx, 'subscription', id);
  return found && found.data.customer === customer ? found.data : null;
}

/** What an invoice preview reads of its customer besides the customer: pending invoice items, tax IDs. */
export const PREVIEW_CUSTOMER_OBJECTS = ['invoiceitem', 'tax_id'] as const;

/**
 * A context for one page's reads (the plan-change review): reads by id go through a unit of work
 * used as a read cache (storage/unit-of-work.ts), seeded with the session's customer as the request
 * already read it, and loaded in one statement with the subscription `id`, the configuration's plans
 * (the prices and products `planOptions` offers) and the customer's pending invoice items and tax IDs
 * (what the engine's preview reads). Each read still returns a fresh copy; nothing may be written
 * through it (`assertNothingWritten`). Without it the review made 18 statements, one per object read,
 * the same price up to five times.
 */
export async function pageReads(ctx: Ctx, config: PortalConfiguration, customer: ObjectRow, id: string): Promise<Ctx> {
  const uow = new UnitOfWork(WEBHOOK_CHANNEL);
  if (customer.livemode === ctx.livemode) uow.seed([customer], false);
  const reads = { ...ctx, uow };
  await uow.preloadWithCustomerObjects(reads, [...(id.startsWith('sub_') ? [id] : []), ...planIds(config)], customer.id, PREVIEW_CUSTOMER_OBJECTS);
  return reads;
}

/** A page's reads wrote nothing (a preview must not): anything buffered in its cache is a bug. */
export function assertNothingWritten(ctx: Ctx): void {
  if (ctx.uow?.hasChanges()) throw new Error('a page read through its read cache tried to write');
}

/**
 * A fingerprint of what a customer's action depends on. A confirmation form carries the one it was
 * made for; the action runs only when the subscription still has it, so a replayed form (double
 * click, second tab, back button) finds the change already made and makes no other.
 */
export function subscriptionVersion(sub: Subscription): string {
  const parts = [
    sub.status,
    sub.items.data.map((i) => `${i.id}:${i.price.id}:${i.quantity}`).join(','),
    sub.cancel_at_period_end,
    sub.cancel_at,
    sub.schedule,
    sub.pause_collection?.resumes_at ?? null,
    sub.discounts.join(','),
    sub.trial_end,
    sub.pending_update?.expires_at ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

export interface PlanOption {
  price: Price;
  productName: string;
  current: boolean;
}

export interface ProductOption {
  product: string;
  name: string;
  prices: PlanOption[];
  adjustableQuantity: { enabled: boolean; minimum: number; maximum: number | null };
}

export interface ScheduledChange {
  schedule: string;
  at: number;
  price: string;
  productName: string;
  quantity: number;
}

export interface SubscriptionOffer {
  sub: Subscription;
  productName: string;
  /** null when allowed; `feature_off` when the configuration does not offer it. */
  update: Block | 'feature_off' | null;
  cancel: Block | 'feature_off' | null;
  pause: Block | 'feature_off' | null;
  /** A change at period end the portal scheduled (it can be undone). */
  scheduled: ScheduledChange | null;
}

/** The single item's price of a subscription the portal can update. */
export function itemOf(sub: Subscription) {
  return sub.items.data[0]!;
}

async function productNames(ctx: Ctx, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  for (const r of await objectsByIds(ctx.db, ctx.livemode, [...new Set(ids)])) {
    if (r.object === 'product') out.set(r.id, (r.data as Product).name);
  }
  return out;
}

/** The portal's own schedule of `sub`, when the subscription is on one. */
export async function portalSchedule(ctx: Ctx, sub: Subscription): Promise<SubscriptionSchedule | null> {
  if (sub.schedule === null) return null;
  const found = await findObject<SubscriptionSchedule>(ctx, 'subscription_schedule', sub.schedule);
  if (!found || found.data.metadata[PORTAL_SCHEDULE_KEY] !== PORTAL_SCHEDULE_VALUE || found.data.status !== 'active') return null;
  return found.data;
}

/** What the configuration allows for `sub`, feature by feature (pure: no storage read). */
export function offerBlocks(config: PortalConfiguration, sub: Subscription): Pick<SubscriptionOffer, 'update' | 'cancel' | 'pause'> {
  const f = config.features;
  return {
    update: f.subscription_update.enabled ? updateBlock(sub) : 'feature_off',
    cancel: f.subscription_cancel.enabled ? cancelBlock(sub) : 'feature_off',
    pause: f.subscription_pause.enabled ? pauseBlock(sub) : 'feature_off',
  };
}

/** What the configuration lets the customer do with `sub`, with its names and a scheduled change. */
export async function subscriptionOffer(ctx: Ctx, config: PortalConfiguration, sub: Subscription): Promise<SubscriptionOffer> {
  const schedule = await portalSchedule(ctx, sub);
  let scheduled: ScheduledChange | null = null;
  const productIds = sub.items.data.map((i) => i.price.product as string);
  // Only while the change is ahead: once its phase has started, the plan shown is the new one.
  const ahead = schedule !== null && schedule.current_phase?.start_date === schedule.phases[0]!.start_date;
  const next = ahead ? schedule.phases[1]?.items[0] : undefined;
  if (schedule && next) {
    const price = (await findObject<Price>(ctx, 'price', next.price))?.data;
    if (price) productIds.push(price.product as string);
    scheduled = { schedule: schedule.id, at: schedule.phases[0]!.end_date, price: next.price, productName: '', quantity: next.quantity };
    if (price) scheduled.productName = price.product as string;
  }
  const names = await productNames(ctx, productIds);
  if (scheduled) scheduled.productName = names.get(scheduled.productName) ?? scheduled.productName;
  const first = sub.items.data[0];
  const productName = sub.items.data.map((i) => names.get(i.price.product as string) ?? (i.price.product as string)).join(', ');
  // A schedule the portal made blocks other changes until it is undone, as any schedule does.
  return {
    sub,
    productName: first ? productName : '',
    ...offerBlocks(config, sub),
    scheduled,
  };
}

/** The configured products the portal offers (at most 10). */
const offeredProducts = (config: PortalConfiguration) => config.features.subscription_update.products.slice(0, 10);

/** The ids of the prices and products the portal offers, each once. */
function planIds(config: PortalConfiguration): string[] {
  const products = offeredProducts(config);
  return [...new Set([...products.flatMap((p) => p.prices), ...products.map((p) => p.product)])];
}

/** Rows by id (any type, deleted ones too), in one statement, or from the context's unit of work. */
async function rowsByIds(ctx: Ctx, ids: string[]): Promise<{ id: string; object: string; data: unknown }[]> {
  if (ids.length === 0) return [];
  const uow = ctx.uow;
  if (!uow) return objectsByIds(ctx.db, ctx.livemode, ids);
  await uow.preload(ctx, 'object', ids);
  const rows = await Promise.all(ids.map((id) => uow.find(ctx, null, id, { includeDeleted: true })));
  return rows.filter((r) => r !== undefined);
}

/**
 * The plans `sub` can switch to: the configured products (at most 10) and their listed prices that are
 * active, licensed, recurring, in the subscription's currency and with the current price's
 * `tax_behavior` (Stripe's portal offers no other); the current price is marked.
 */
export async function planOptions(ctx: Ctx, config: PortalConfiguration, sub: Subscription): Promise<ProductOption[]> {
  const current = itemOf(sub).price;
  const products = offeredProducts(config);
  // Prices and products in one read (or from the page's read cache, `pageReads`).
  const ids = planIds(config);
  const rows = await rowsByIds(ctx, ids);
  const prices = new Map(rows.filter((r) => r.object === 'price').map((r) => [r.id, r.data as Price]));
  const names = new Map(rows.filter((r) => r.object === 'product').map((r) => [r.id, (r.data as Product).name]));
  const out: ProductOption[] = [];
  for (const p of products) {
    const name = names.get(p.product);
    if (name === undefined) continue;
    const options: PlanOption[] = [];
    for (const id of p.prices) {
      const price = prices.get(id);
      if (!price || !price.active || price.recurring === null || price.recurring.usage_type === 'metered') continue;
      if (price.currency !== sub.currency || price.unit_amount === null) continue;
      if ((price.tax_behavior ?? 'unspecified') !== (current.tax_behavior ?? 'unspecified')) continue;
      options.push({ price, productName: name, current: price.id === current.id });
    }
    if (options.length > 0) {
      out.push({
        product: p.product,
        name,
        prices: options,
        adjustableQuantity: { enabled: p.adjustable_quantity.enabled, minimum: Math.max(p.adjustable_quantity.minimum, 1), maximum: p.adjustable_quantity.maximum },
      });
    }
  }
  return out;
}

/** Thrown inside an action to undo all of it and answer `result` instead (e.g. a refused payment). */
export class UndoAction extends Error {
  constructor(readonly result: string) {
    super(result);
    this.name = 'UndoAction';
  }
}

export type ActionResult<T> = { kind: 'missing' } | { kind: 'stale' } | { kind: 'undone'; result: string } | { kind: 'done'; value: T };

/**
 * Runs a customer's action on their subscription `id` in one transaction: the row is locked, read
 * within the customer and mode (`missing` otherwise), and must still be at `version`, the one the
 * form was made for (`stale` otherwise: a second submit of the same form changes nothing).
 */
export async function actOnSubscription<T>(
  db: Db,
  ctx: Ctx,
  customer: string,
  id: string,
  version: string | undefined,
  fn: (tx: Ctx, sub: Subscription) => Promise<T>,
): Promise<ActionResult<T>> {
  if (typeof id !== 'string' || !id.startsWith('sub_')) return { kind: 'missing' };
  try {
    return await db.transaction().execute(async (txDb): Promise<ActionResult<T>> => {
      const tx = withDb(ctx, txDb);
      const row = await txDb
        .selectFrom('objects')
        .select('data')
        .where('livemode', '=', ctx.livemode)
        .where('object', '=', 'subscription')
        .where('id', '=', id)
        .where('deleted', '=', false)
        .forUpdate()
        .executeTakeFirst();
      const sub = row?.data as unknown as Subscription | undefined;
      if (!sub || sub.customer !== customer) return { kind: 'missing' };
      if (version === undefined || version !== subscriptionVersion(sub)) return { kind: 'stale' };
      return { kind: 'done', value: await fn(tx, sub) };
    });
  } catch (err) {
    if (err instanceof UndoAction) return { kind: 'undone', result: err.result };
    throw err;
  }
}
