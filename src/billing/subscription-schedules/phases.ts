/**
 * Phases: validating requested phases into `Phase` objects with computed dates, and entering a phase
 * (changing the subscription's items to the phase's).
 *
 * Invariants:
 * - A phase lasts `end_date`, `duration` or `iterations` billing intervals of its prices from its start
 *   (default: one iteration), counted with `addInterval` from the phase's start.
 * - Entering a phase at a billing-period boundary never prorates; elsewhere `create_prorations` and
 *   `always_invoice` store proration items billed with the next renewal (Portico does not invoice a
 *   schedule's prorations at once), `none` bills nothing.
 * - Entering a phase keeps the subscription's due time (the cycle is unchanged), so the caller's
 *   clock must be the time the phase starts.
 */
import { errors } from '../../lib/errors.ts';
import { mergeMetadata } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { addInterval } from '../periods.ts';
import { unsupported } from '../products.ts';
import { getPrice, type Price } from '../prices.ts';
import { computeChange, type ChangeRequest } from '../subscriptions/compute.ts';
import { priceCurrencies } from '../price-details.ts';
import { assertCompatible, assertSubscribable, currentPeriod } from '../subscriptions/items.ts';
import { clone, createProrationItems, loadSubscription, saveSubscription } from '../subscriptions/status.ts';
import type { Phase, PhaseParams, ProrationBehavior } from './types.ts';

export interface Cycle {
  currency: string;
  interval: 'day' | 'week' | 'month' | 'year';
  interval_count: number;
}

/**
 * Turns requested phases into phases starting at `start`; every price must bill like `cycle` (when
 * given) and like each other. Errors name `phases[i][…]`.
 */
export async function buildPhases(ctx: Ctx, requested: PhaseParams[] | undefined, start: number, cycle?: Cycle): Promise<Phase[]> {
  if (!requested || requested.length === 0) throw errors.missingParam('phases');
  const out: Phase[] = [];
  let at = start;
  let base = cycle;
  for (const [i, ph] of requested.entries()) {
    const param = (f: string) => `phases[${i}][${f}]`;
    if (!ph.items || ph.items.length === 0) throw errors.missingParam(param('items'));
    if (ph.automatic_tax?.enabled === true) throw unsupported(`${param('automatic_tax')}[enabled]`, 'Automatic tax (Portico has no tax engine; use tax rates)');
    if (ph.automatic_tax?.liability !== undefined) throw unsupported(`${param('automatic_tax')}[liability]`);
    const prices: Price[] = [];
    for (const [j, it] of ph.items.entries()) {
      const pp = `phases[${i}][items][${j}][price]`;
      if (it.price === undefined) throw errors.missingParam(pp);
      const price = await getPrice(ctx, it.price, pp);
      assertSubscribable(price, pp);
      if (base) assertCompatible(price, base, pp, await priceCurrencies(ctx, price));
      else base = { currency: price.currency, interval: price.recurring!.interval, interval_count: price.recurring!.interval_count };
      if (prices.some((x) => x.id === price.id)) throw errors.invalidParam(pp, 'Cannot add multiple phase items with the same price.');
      prices.push(price);
    }
    const given = (['end_date', 'duration', 'iterations'] as const).filter((k) => ph[k] !== undefined);
    if (given.length > 1) throw errors.exclusive(given.map(param));
    let end: number;
    if (ph.end_date !== undefined) end = ph.end_date;
    else if (ph.duration !== undefined) end = addInterval(at, ph.duration.interval, ph.duration.interval_count ?? 1, 1);
    else end = addInterval(at, base!.interval, base!.interval_count, ph.iterations ?? 1);
    if (end <= at) throw errors.invalidParam(param('end_date'), `The phase end_date must be after its start_date (${at}).`);
    out.push({
      add_invoice_items: [],
      application_fee_percent: null,
      billing_cycle_anchor: null,
      billing_thresholds: null,
      collection_method: null,
      currency: base!.currency,
      default_payment_method: null,
      default_tax_rates: [],
      description: null,
      discounts: [],
      end_date: end,
      invoice_settings: null,
      items: ph.items.map((it, j) => ({
        billing_thresholds: null,
        discounts: [],
        metadata: mergeMetadata({}, it.metadata),
        plan: prices[j]!.id,
        price: prices[j]!.id,
        quantity: it.quantity ?? 1,
        tax_rates: [],
      })),
      metadata: mergeMetadata({}, ph.metadata),
      on_behalf_of: null,
      proration_behavior: ph.proration_behavior ?? 'create_prorations',
      start_date: at,
      transfer_data: null,
      trial_end: null,
    });
    at = end;
  }
  return out;
}

/** The item changes that turn the subscription's items into the phase's (same price keeps the item). */
function itemChanges(current: { id: string; price: { id: string }; quantity: number }[], phase: Phase): NonNullable<ChangeRequest['items']> {
  const left = [...current];
  const changes: NonNullable<ChangeRequest['items']> = [];
  const unmatched: Phase['items'] = [];
  for (const it of phase.items) {
    const k = left.findIndex((x) => x.price.id === it.price);
    if (k < 0) unmatched.push(it);
    else changes.push({ id: left.splice(k, 1)[0]!.id, quantity: it.quantity, metadata: it.metadata });
  }
  for (const it of unmatched) {
    const old = left.shift();
    changes.push({ ...(old ? { id: old.id } : {}), price: it.price, quantity: it.quantity, metadata: it.metadata });
  }
  for (const old of left) changes.push({ id: old.id, deleted: true });
  return changes;
}

/** Enters `phase` on the subscription at ctx's time (see the module comment). */
export async function enterPhase(ctx: Ctx, subId: string, phase: Phase, behavior: ProrationBehavior = phase.proration_behavior): Promise<void> {
  const now = ctx.clock.now();
  const stored = await loadSubscription(ctx, subId, 'id', true);
  const before = structuredClone(stored.sub);
  const s = clone(stored);
  const period = currentPeriod(s.sub);
  const atBoundary = now <= period.start || now >= period.end;
  const change = await computeChange(
    ctx,
    s,
    { items: itemChanges(s.sub.items.data, phase), proration_behavior: atBoundary || behavior === 'none' ? 'none' : 'create_prorations' },
    now,
  );
  if (change.reset) throw errors.invalidParam('phases', 'A phase cannot change the billing interval of the subscription.');
  s.sub.items.data = change.items;
  s.sub.metadata = mergeMetadata(s.sub.metadata, phase.metadata);
  if (change.prorations.length > 0) await createProrationItems(ctx, s.sub, change.prorations);
  await saveSubscription(ctx, before, s, { fromDueHandler: true });
}
