/**
 * Phases: validating requested phases into `Phase` objects with computed dates, and entering a phase
 * (changing the subscription's items to the phase's).
 *
 * Invariants:
 * - A phase lasts `end_date`, `duration` or `iterations` billing intervals of its prices from its start
 *   (default: one iteration), counted with `addInterval` from the phase's start.
 * - Every price bills in the schedule's one currency; the prices of one phase share an interval, but a
 *   phase may bill at another interval than the one before it (as Stripe allows).
 * - Entering a phase with the same interval at a billing-period boundary never prorates; elsewhere
 *   `create_prorations` and `always_invoice` store proration items billed with the next renewal
 *   (Portico does not invoice a schedule's prorations at once), `none` bills nothing. The cycle is
 *   unchanged, so the subscription's due time is kept, and the caller's clock must be the time the
 *   phase starts.
 * - Entering a phase with another interval resets the cycle at the phase start, as Stripe does:
 *   `billing_cycle_anchor` = the phase start, a new period of the new interval from it, invoiced at once
 *   (`subscription_update`, charged off-session, the period recorded in `billing_periods`). At a period
 *   boundary that invoice is the only one of that instant (the old period is over, nothing to credit,
 *   and the renewal the subscription was due for no longer falls due); mid-period the unused time of
 *   the old items is credited on it unless the phase's `proration_behavior` is `none`.
 */
import { errors } from '../../lib/errors.ts';
import { mergeMetadata } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import { addInterval } from '../periods.ts';
import { unsupported } from '../products.ts';
import { getPrice, type Price } from '../prices.ts';
import { computeChange, type ChangeRequest } from '../subscriptions/compute.ts';
import { priceCurrencies } from '../price-details.ts';
import { watchSendInvoice } from '../subscriptions/dunning.ts';
import { assertCompatible, assertSubscribable, currentPeriod, cycleLines } from '../subscriptions/items.ts';
import { clone, createProrationItems, issueInvoice, loadSubscription, saveSubscription, startDunning } from '../subscriptions/status.ts';
import type { StoredSubscription } from '../subscriptions/types.ts';
import type { Phase, PhaseParams, ProrationBehavior, SubscriptionSchedule } from './types.ts';

/**
 * Turns requested phases into phases starting at `start`. Every price must bill in `currency` (when
 * given, else the first price's), and the prices of a phase at one interval; phases may differ in
 * interval. Errors name `phases[i][…]`.
 */
export async function buildPhases(ctx: Ctx, requested: PhaseParams[] | undefined, start: number, currency?: string): Promise<Phase[]> {
  if (!requested || requested.length === 0) throw errors.missingParam('phases');
  const out: Phase[] = [];
  let at = start;
  let cur = currency;
  for (const [i, ph] of requested.entries()) {
    const param = (f: string) => `phases[${i}][${f}]`;
    if (!ph.items || ph.items.length === 0) throw errors.missingParam(param('items'));
    if (ph.automatic_tax?.enabled === true) throw unsupported(`${param('automatic_tax')}[enabled]`, 'Automatic tax (Portico has no tax engine; use tax rates)');
    if (ph.automatic_tax?.liability !== undefined) throw unsupported(`${param('automatic_tax')}[liability]`);
    const prices: Price[] = [];
    // The phase's cycle: its first price's interval, in the schedule's currency.
    let base: { currency: string; interval: 'day' | 'week' | 'month' | 'year'; interval_count: number } | undefined;
    for (const [j, it] of ph.items.entries()) {
      const pp = `phases[${i}][items][${j}][price]`;
      if (it.price === undefined) throw errors.missingParam(pp);
      const price = await getPrice(ctx, it.price, pp);
      assertSubscribable(price, pp);
      cur ??= price.currency;
      base ??= { currency: cur, interval: price.recurring!.interval, interval_count: price.recurring!.interval_count };
      assertCompatible(price, base, pp, await priceCurrencies(ctx, price));
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

/**
 * The change entering `phase` at `now` makes to the subscription (its items, and whether it prorates):
 * what `enterPhase` computes and bills, and what the upcoming invoice previews for a phase starting at
 * the period end (`phaseAtRenewal`), so the two cannot disagree.
 */
export async function phaseChange(ctx: Ctx, s: StoredSubscription, phase: Phase, behavior: ProrationBehavior, now: number): Promise<ChangeRequest> {
  const period = currentPeriod(s.sub);
  const items = itemChanges(s.sub.items.data, phase);
  const interval = (await getPrice(ctx, phase.items[0]!.price)).recurring!;
  const resets = interval.interval !== s.priv.interval || interval.interval_count !== s.priv.interval_count;
  // Same interval: nothing to prorate at a boundary. A reset credits the unused time, which is none
  // at the period end, and all of a period that began (and was invoiced) at this very instant.
  const prorates = behavior !== 'none' && (resets ? now < period.end : now > period.start && now < period.end);
  return { items, proration_behavior: prorates ? 'create_prorations' : 'none' };
}

/**
 * The phase of the subscription's `active` schedule that starts at `at` (its renewal: the period end),
 * as the change the billing clock will make then (`phaseChange`) and the phase's metadata; null when
 * the schedule changes nothing then (no schedule, the last phase, or a phase that ends elsewhere).
 */
export async function phaseAtRenewal(ctx: Ctx, s: StoredSubscription, at: number): Promise<{ req: ChangeRequest; metadata: Record<string, string> } | null> {
  if (s.sub.schedule === null) return null;
  const row = await findObject<SubscriptionSchedule>(ctx, 'subscription_schedule', s.sub.schedule);
  if (!row || row.data.status !== 'active' || row.data.subscription !== s.sub.id) return null;
  const index = (row.private as { phase?: number } | null)?.phase ?? 0;
  const current = row.data.phases[index];
  const next = row.data.phases[index + 1];
  if (!current || !next || current.end_date !== at) return null;
  return { req: await phaseChange(ctx, s, next, next.proration_behavior, at), metadata: next.metadata };
}

/**
 * Enters `phase` on the subscription at ctx's time (see the module comment). `startsAt`: when the phase
 * began, if the clock reaches it late (the billing clock's worker after its phase start): a new cycle
 * is counted from then, as a renewal is counted from the period end.
 */
export async function enterPhase(
  ctx: Ctx,
  subId: string,
  phase: Phase,
  behavior: ProrationBehavior = phase.proration_behavior,
  startsAt = ctx.clock.now(),
): Promise<void> {
  const now = Math.min(startsAt, ctx.clock.now());
  const stored = await loadSubscription(ctx, subId, 'id', true);
  const before = structuredClone(stored.sub);
  const s = clone(stored);
  const change = await computeChange(ctx, s, await phaseChange(ctx, s, phase, behavior, now), now);
  s.sub.items.data = change.items;
  s.sub.metadata = mergeMetadata(s.sub.metadata, phase.metadata);
  if (change.prorations.length > 0) await createProrationItems(ctx, s.sub, change.prorations);
  if (!change.reset) {
    await saveSubscription(ctx, before, s, { fromDueHandler: true });
    return;
  }
  // A new cycle from the phase start, invoiced now; the renewal the old cycle was due for is gone.
  s.priv.interval = change.interval;
  s.priv.interval_count = change.interval_count;
  s.sub.billing_cycle_anchor = now;
  const lines = await cycleLines(ctx, s.sub, change.period);
  const { invoice, result } = await issueInvoice(ctx, s, 'subscription_update', lines, change.period, {
    charge: true,
    offSession: true,
    recordPeriodStart: change.period.start,
    replacePeriod: true,
  });
  const trialing = s.sub.status === 'trialing';
  if (result === 'paid') {
    if (trialing || (s.sub.status === 'past_due' && s.priv.dunning_invoice === null)) s.sub.status = 'active';
  } else if (result === 'failed' || result === 'requires_action') {
    if (trialing) s.sub.status = 'active';
    startDunning(s, invoice);
  } else {
    if (trialing) s.sub.status = 'active';
    if (result === 'open') watchSendInvoice(s, invoice); // billing-status: send_invoice due dates
  }
  // The cycle moved: the subscription's own due time is written with it.
  await saveSubscription(ctx, before, s);
}
