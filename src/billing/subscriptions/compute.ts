/**
 * What a change of a subscription's items does, computed once for both the change itself
 * (`updateSubscription`) and its preview (`POST /v1/invoices/create_preview`), so the two can never
 * disagree. Reads prices and tax rates; writes nothing.
 *
 * Invariants:
 * - Items are addressed by `id` (change price, quantity, tax rates, metadata, or `deleted`); an entry
 *   without `id` adds an item. A price change keeps the item id. A price whose `tax_behavior` differs
 *   from the item's current price is refused (400 naming `items[i][price]`), as the portal requires.
 * - The cycle resets (new period from now, invoiced at once) on `billing_cycle_anchor=now`, on an
 *   interval change (monthly ↔ yearly) and when a trial ends (`trial_end=now`).
 * - Prorations (unless `none` or while a trial continues): a credit for the unused time of each old
 *   version of a changed or removed item, then a charge for the remaining time of each new or changed
 *   item, from the proration date (default now; within the current period) to the period end. On a
 *   reset only the credits (the new period is billed in full). Each is net of the discounts
 *   (proration-discounts.ts): a charge of those in effect at the proration date, a credit of those
 *   of them the period was already billed with.
 */
import { errors } from '../../lib/errors.ts';
import { mergeMetadata } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { addInterval } from '../periods.ts';
import { prorationItems, type ProratedItem, type ProrationLine } from '../proration.ts';
import { applicableTaxRates } from '../tax-rates.ts';
import { attachLineDiscounts, type DiscountEntry } from '../discounts.ts';
import type { RecurringPriceData } from '../inline-prices.ts';
import { priceCurrencies } from '../price-details.ts';
import { assertCompatible, currentPeriod, itemPrice, newItem, planOf } from './items.ts';
import { discountedProratedItems } from './proration-discounts.ts';
import type { Plan, StoredSubscription, SubscriptionItem } from './types.ts';

export interface ItemChange {
  id?: string | undefined;
  price?: string | undefined;
  plan?: string | undefined;
  price_data?: RecurringPriceData | undefined;
  discounts?: DiscountEntry[] | null | undefined;
  quantity?: number | undefined;
  tax_rates?: string[] | null | undefined;
  metadata?: Record<string, string | null> | null | undefined;
  deleted?: boolean | undefined;
}

export interface ChangeRequest {
  items?: ItemChange[] | undefined;
  proration_behavior?: 'always_invoice' | 'create_prorations' | 'none' | undefined;
  proration_date?: number | undefined;
  billing_cycle_anchor?: 'now' | 'unchanged' | undefined;
  trial_end?: number | 'now' | undefined;
}

export interface ComputedChange {
  items: SubscriptionItem[];
  interval: Plan['interval'];
  interval_count: number;
  /** Whether any item's price or quantity changed (or items were added or removed). */
  changed: boolean;
  /** A new cycle starts now and is invoiced at once. */
  reset: boolean;
  endsTrial: boolean;
  /** A trial starts now on an active subscription (`trial_end` given). */
  startsTrial: boolean;
  prorations: ProrationLine[];
  /** The current period after the change (the new one on a reset). */
  period: { start: number; end: number };
  behavior: 'always_invoice' | 'create_prorations' | 'none';
  prorationDate: number;
  /** Whether the change is invoiced now (reset, or `always_invoice` with prorations). */
  invoiceNow: boolean;
}

const key = (i: SubscriptionItem) => `${i.price.id}×${i.quantity}`;

/** Applies the item entries to a copy of the items (validating each). */
async function changeItems(ctx: Ctx, s: StoredSubscription, entries: ItemChange[]): Promise<SubscriptionItem[]> {
  const next = structuredClone(s.sub.items.data);
  const period = currentPeriod(s.sub);
  for (const [i, e] of entries.entries()) {
    const at = (f: string) => `items[${i}][${f}]`;
    const owner = (item: string) => ({ customer: s.sub.customer, subscription: s.sub.id, subscription_item: item, invoice_item: null });
    if (e.id === undefined) {
      if (e.deleted) throw errors.missingParam(at('id'));
      const price = await itemPrice(ctx, e, at);
      const rates = await applicableTaxRates(ctx, e.tax_rates ?? [], at('tax_rates'));
      const item = newItem(ctx, s.sub.id, price, e.quantity ?? 1, rates, mergeMetadata({}, e.metadata), period);
      if (e.discounts) item.discounts = (await attachLineDiscounts(ctx, owner(item.id), s.sub.currency, e.discounts, at('discounts'))).map((d) => d.id);
      next.push(item);
      continue;
    }
    const idx = next.findIndex((x) => x.id === e.id);
    if (idx < 0) throw errors.resourceMissing('subscription_item', e.id, at('id'));
    if (e.deleted) {
      next.splice(idx, 1);
      continue;
    }
    const item = next[idx]!;
    const named = e.price ?? e.plan;
    if (e.price_data !== undefined || (named !== undefined && named !== item.price.id)) {
      const price = await itemPrice(ctx, e, at);
      if (price.tax_behavior !== item.price.tax_behavior) {
        throw errors.invalidParam(
          at(e.price_data !== undefined ? 'price_data' : 'price'),
          `The price ${price.id} has tax_behavior ${price.tax_behavior}, but the item's current price has ${item.price.tax_behavior}. A subscription item can only change to a price with the same tax_behavior.`,
        );
      }
      item.price = price;
      item.plan = planOf(price);
    }
    if (e.discounts !== undefined) {
      // The list replaces the item's discounts; an entry `discount` keeps one of them.
      item.discounts = (await attachLineDiscounts(ctx, owner(item.id), s.sub.currency, e.discounts ?? [], at('discounts'))).map((d) => d.id);
    }
    if (e.quantity !== undefined) item.quantity = e.quantity;
    if (e.tax_rates !== undefined) item.tax_rates = await applicableTaxRates(ctx, e.tax_rates ?? [], at('tax_rates'));
    if (e.metadata !== undefined) item.metadata = mergeMetadata(item.metadata, e.metadata);
  }
  if (next.length === 0) throw errors.invalidParam('items', 'A subscription must have at least one active item.');
  const seen = new Set<string>();
  for (const [i, item] of next.entries()) {
    if (seen.has(item.price.id)) throw errors.invalidParam(`items[${Math.min(i, entries.length - 1)}][price]`, 'Cannot add multiple subscription items with the same price.');
    seen.add(item.price.id);
  }
  const first = next[0]!.price.recurring!;
  for (const item of next) {
    assertCompatible(item.price, { currency: s.sub.currency, ...first }, 'items', await priceCurrencies(ctx, item.price));
  }
  return next;
}

/** Computes the effect of `req` on the subscription at `now`. */
export async function computeChange(ctx: Ctx, s: StoredSubscription, req: ChangeRequest, now: number): Promise<ComputedChange> {
  const old = s.sub.items.data;
  const items = req.items ? await changeItems(ctx, s, req.items) : structuredClone(old);
  const oldById = new Map(old.map((i) => [i.id, i]));
  const changed =
    items.length !== old.length || items.some((i) => !oldById.has(i.id) || key(oldById.get(i.id)!) !== key(i));
  const { interval, interval_count } = items[0]!.price.recurring!;
  const intervalChanged = interval !== s.priv.interval || interval_count !== s.priv.interval_count;
  const trialing = s.sub.status === 'trialing';
  // A trial_end on an active subscription starts a trial now (as Stripe allows): the unused time of
  // the current period is credited (unless proration_behavior=none), the trial bills nothing.
  const startsTrial = !trialing && req.trial_end !== undefined && req.trial_end !== 'now';
  if (startsTrial && s.sub.status !== 'active') {
    throw errors.invalidParam('trial_end', `A trial can only start on an active subscription; this one is ${s.sub.status}.`);
  }
  const endsTrial = trialing && req.trial_end === 'now';
  const reset = req.billing_cycle_anchor === 'now' || intervalChanged || endsTrial;
  const current = currentPeriod(s.sub);
  const prorationDate = req.proration_date ?? now;
  if (prorationDate < current.start || prorationDate > current.end) {
    throw errors.invalidParam('proration_date', 'proration_date must be within the current billing period of the subscription.');
  }
  const behavior = req.proration_behavior ?? 'create_prorations';
  let prorations: ProrationLine[] = [];
  const prorates = behavior !== 'none' && !trialing;
  const newById = new Map(items.map((i) => [i.id, i]));
  if (prorates && (reset || startsTrial || changed)) {
    const was = await discountedProratedItems(ctx, s, old, { at: prorationDate, billedFrom: current.start });
    const removed: ProratedItem[] = [];
    const added: ProratedItem[] = [];
    if (reset || startsTrial) {
      for (const i of old) removed.push(was.get(i.id)!);
    } else {
      const is = await discountedProratedItems(ctx, s, items, { at: prorationDate });
      for (const i of old) {
        const after = newById.get(i.id);
        if (!after || key(after) !== key(i)) removed.push(was.get(i.id)!);
      }
      for (const i of items) {
        const before = oldById.get(i.id);
        if (!before || key(before) !== key(i)) added.push(is.get(i.id)!);
      }
    }
    prorations = prorationItems({ periodStart: current.start, periodEnd: current.end, prorationDate, removed, added });
  }
  let period = current;
  if (reset) period = { start: now, end: addInterval(now, interval, interval_count, 1) };
  else if (req.trial_end !== undefined && req.trial_end !== 'now') {
    if (req.trial_end <= now) throw errors.invalidParam('trial_end', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
    period = { start: startsTrial ? now : current.start, end: req.trial_end };
  }
  for (const i of items) {
    i.current_period_start = period.start;
    i.current_period_end = period.end;
  }
  const invoiceNow = reset || (behavior === 'always_invoice' && prorations.length > 0);
  return { items, interval, interval_count, changed, reset, endsTrial, startsTrial, prorations, period, behavior, prorationDate, invoiceNow };
}
