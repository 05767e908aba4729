/**
 * Subscription schedules (`/v1/subscription_schedules`): a subscription's planned phases.
 *
 * Invariants:
 * - Everything happens at the customer's time (its test clock's), and the row carries the customer's
 *   `test_clock` so advancing the clock moves the schedule through its phases.
 * - A schedule starts `now` (creating its subscription with phase 0's items), adopts a subscription
 *   (`from_subscription`: one phase = the current period, `end_behavior: release`), or starts at a future
 *   `start_date`: `not_started`, no subscription, until the billing clock reaches `start_date` and
 *   creates the subscription then (`subscription_schedule.updated` → `active`, and the subscription's
 *   own `customer.subscription.created`, `invoice.*` events). Past start dates are refused (400 naming
 *   `start_date`); a `not_started` schedule's phases can be replaced. The managed subscription's `schedule` names the schedule;
 *   direct changes of its items or cancelation behavior are refused by the subscription API.
 * - The billing clock runs an `active` schedule one second before its current phase ends (so that it
 *   goes before the subscription's own renewal due at the same instant; a renewal the worker reaches
 *   late waits for it too, renew.ts) and acts at the phase's end: enters the next phase (one of
 *   another interval resets the cycle from the phase end, however late the worker gets there), or
 *   applies `end_behavior` after the last one: `release` → status `released` (subscription keeps
 *   going, `schedule: null`); `cancel` → subscription canceled at the phase end, status `completed`.
 * - `release`, `cancel` (defaults `invoice_now` and `prorate` true, as Stripe) only from `not_started`
 *   or `active`. A subscription that ended on its own makes the schedule `canceled` at its next run.
 * - Events: `subscription_schedule.created`, `.updated` (with previous_attributes), `.released`,
 *   `.canceled`, `.completed`, and `.expiring` seven days before the last phase ends (once per end
 *   date: an update that moves the end announces the new one).
 */
import { sql } from 'kysely';
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { mergeMetadata, type RangeFilter } from '../../lib/params.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject, getObject, insertObject, listObjects, updateObject, whereCreated, whereData, type ListOptions, type ObjectQuery, type StoredObject } from '../../storage/objects.ts';
import { emit, emitUpdated } from '../../events/outbox.ts';
import { registerDueHandler } from '../billing-clock.ts';
import { getCustomer } from '../customers.ts';
import { atClockTime } from '../invoices/index.ts';
import { cancelSubscription, createSubscription } from '../subscriptions/index.ts';
import { currentPeriod } from '../subscriptions/items.ts';
import { clone, loadSubscription, saveSubscription, withSubscriptionWork } from '../subscriptions/status.ts';
import { unsupported } from '../products.ts';
import { applyDefaultSettings, billingModeOf, subscriptionDefaults } from './default-settings.ts';
import { buildPhases, enterPhase } from './phases.ts';
import type { Phase, ScheduleCancel, ScheduleCreate, SchedulePrivate, ScheduleUpdate, SubscriptionSchedule } from './types.ts';

export * from './types.ts';

const OBJECT = 'subscription_schedule';

interface Stored {
  sched: SubscriptionSchedule;
  priv: SchedulePrivate;
}

async function load(ctx: Ctx, id: string, forUpdate = false): Promise<Stored> {
  const row = await getObject<SubscriptionSchedule>(ctx, OBJECT, OBJECT, id, { forUpdate });
  return { sched: row.data, priv: row.private as unknown as SchedulePrivate };
}

/** How long before its end a schedule announces it (`subscription_schedule.expiring`), as Stripe. */
const EXPIRING_NOTICE = 7 * 86_400;

/** The end of the schedule's last phase. */
function scheduleEnd(s: Stored): number {
  return s.sched.phases[s.sched.phases.length - 1]!.end_date;
}

/** When the `expiring` notice for the current end is due (null: already sent). */
function expiringAt(s: Stored): number | null {
  return s.priv.expiring_for === scheduleEnd(s) ? null : scheduleEnd(s) - EXPIRING_NOTICE;
}

/**
 * When the clock next needs the schedule: a second before its current phase ends, or its `expiring`
 * notice if that comes first (null: never).
 */
function dueOf(s: Stored): number | null {
  if (s.sched.status === 'not_started') return s.sched.phases[0]!.start_date;
  if (s.sched.status !== 'active') return null;
  const phaseEnd = s.sched.phases[s.priv.phase]!.end_date - 1;
  const notice = expiringAt(s);
  return notice === null ? phaseEnd : Math.min(notice, phaseEnd);
}

async function save(ctx: Ctx, before: SubscriptionSchedule, s: Stored, event?: string, writeDue = true): Promise<void> {
  await updateObject(ctx, s.sched.id, {
    data: s.sched,
    private: s.priv as unknown as Record<string, unknown>,
    ...(writeDue ? { due_at: dueOf(s) } : {}),
  });
  if (event) await emit(ctx, event, s.sched);
  else await emitUpdated(ctx, 'subscription_schedule.updated', before, s.sched);
}

/** Gives the schedule's subscription the schedule's (changed) default settings. */
async function applySettingsToSubscription(ctx: Ctx, sched: SubscriptionSchedule): Promise<void> {
  const stored = await loadSubscription(ctx, sched.subscription!, 'id', true);
  const after = clone(stored);
  const d = subscriptionDefaults(sched);
  if (d.collection_method !== undefined) after.sub.collection_method = d.collection_method;
  after.sub.days_until_due = d.days_until_due ?? null;
  if (d.default_payment_method !== undefined) after.sub.default_payment_method = d.default_payment_method;
  after.sub.description = d.description ?? null;
  await saveSubscription(ctx, stored.sub, after, { fromDueHandler: true });
}

/** Sets (or clears) the subscription's `schedule`. */
async function linkSubscription(ctx: Ctx, subId: string, schedule: string | null): Promise<void> {
  const stored = await loadSubscription(ctx, subId, 'id', true);
  const after = clone(stored);
  after.sub.schedule = schedule;
  await saveSubscription(ctx, stored.sub, after, { fromDueHandler: true });
}

function currentPhaseOf(phases: Phase[], index: number): SubscriptionSchedule['current_phase'] {
  const ph = phases[index]!;
  return { start_date: ph.start_date, end_date: ph.end_date };
}

function newSchedule(ctx: Ctx, id: string, now: number, customer: string, testClock: string | null): SubscriptionSchedule {
  return {
    id,
    object: 'subscription_schedule',
    application: null,
    billing_mode: { flexible: null, type: 'classic' },
    canceled_at: null,
    completed_at: null,
    created: now,
    current_phase: null,
    customer,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: null,
      default_payment_method: null,
      description: null,
      invoice_settings: { account_tax_ids: null, custom_fields: null, days_until_due: null, description: null, footer: null, issuer: { type: 'self' } },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: 'release',
    livemode: ctx.livemode,
    metadata: {},
    pause_schedules: [],
    phases: [],
    released_at: null,
    released_subscription: null,
    status: 'active',
    subscription: null,
    test_clock: testClock,
  };
}

async function createNow(base: Ctx, params: ScheduleCreate): Promise<SubscriptionSchedule> {
  const id = newId('subscription_schedule');
  let sched: SubscriptionSchedule;
  let ctx: Ctx;
  if (params.from_subscription !== undefined) {
    for (const k of ['customer', 'phases', 'start_date', 'end_behavior', 'default_settings'] as const) {
      if (params[k] !== undefined) throw errors.invalidParam(k, `You cannot set \`${k}\` if \`from_subscription\` is set.`);
    }
    const stored = await loadSubscription(base, params.from_subscription, 'from_subscription', true);
    const sub = stored.sub;
    ctx = await atClockTime(base, sub.test_clock);
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
      throw errors.invalidParam('from_subscription', `The subscription ${sub.id} has ended and cannot be managed by a schedule.`);
    }
    if (sub.schedule !== null) {
      throw errors.invalidParam('from_subscription', `You cannot migrate a subscription that is already attached to a schedule: \`${sub.schedule}\`.`);
    }
    const period = currentPeriod(sub);
    const phases = await buildPhases(
      ctx,
      [{ items: sub.items.data.map((i) => ({ price: i.price.id, quantity: i.quantity })), end_date: period.end }],
      period.start,
    );
    sched = newSchedule(ctx, id, ctx.clock.now(), sub.customer, sub.test_clock);
    sched.phases = phases;
    sched.subscription = sub.id;
  } else {
    if (params.customer === undefined) throw errors.missingParam('customer');
    const customer = await getCustomer(base, params.customer, 'customer');
    ctx = await atClockTime(base, customer.test_clock);
    const now = ctx.clock.now();
    const start = params.start_date ?? 'now';
    if (start !== 'now' && start < now) {
      throw errors.invalidParam('start_date', 'Portico does not backdate subscription schedules: pass `start_date=now` or a time in the future.');
    }
    const settings = newSchedule(ctx, id, now, customer.id, customer.test_clock);
    settings.billing_mode = billingModeOf(params.billing_mode);
    if (params.default_settings !== undefined) await applyDefaultSettings(ctx, settings, params.default_settings);
    if (start !== 'now' && start > now) {
      sched = settings;
      sched.phases = await buildPhases(ctx, params.phases, start);
      sched.end_behavior = params.end_behavior ?? 'release';
      sched.status = 'not_started';
      sched.metadata = mergeMetadata({}, params.metadata);
      return insertSchedule(ctx, { sched, priv: { phase: 0 } });
    }
    const phases = await buildPhases(ctx, params.phases, now);
    const first = phases[0]!;
    const sub = await createSubscription(ctx, {
      customer: customer.id,
      items: first.items.map((i) => ({ price: i.price, quantity: i.quantity, metadata: i.metadata })),
      metadata: first.metadata,
      ...subscriptionDefaults(settings),
    });
    sched = settings;
    sched.phases = phases;
    sched.subscription = sub.id;
    sched.end_behavior = params.end_behavior ?? 'release';
  }
  sched.metadata = mergeMetadata({}, params.metadata);
  sched.current_phase = currentPhaseOf(sched.phases, 0);
  const s: Stored = { sched, priv: { phase: 0 } };
  await insertSchedule(ctx, s);
  await linkSubscription(ctx, sched.subscription!, id);
  return sched;
}

/** Stores a new schedule and emits `subscription_schedule.created`. */
async function insertSchedule(ctx: Ctx, s: Stored): Promise<SubscriptionSchedule> {
  const { sched } = s;
  await insertObject(ctx, {
    id: sched.id,
    object: OBJECT,
    created: sched.created,
    customer: sched.customer,
    data: sched,
    private: s.priv as unknown as Record<string, unknown>,
    due_at: dueOf(s),
    test_clock: sched.test_clock,
  });
  await emit(ctx, 'subscription_schedule.created', sched);
  return sched;
}

export function createSchedule(base: Ctx, params: ScheduleCreate): Promise<SubscriptionSchedule> {
  return withSubscriptionWork(base, () => createNow(base, params));
}

export async function getSchedule(ctx: Ctx, id: string): Promise<SubscriptionSchedule> {
  return (await load(ctx, id)).sched;
}

function assertLive(s: SubscriptionSchedule, action: string): void {
  if (s.status !== 'active' && s.status !== 'not_started') {
    throw errors.invalidRequest(`You cannot ${action} a subscription schedule that is ${s.status}; only not_started and active schedules can be ${action === 'update' ? 'updated' : action + 'd'}.`);
  }
}

async function updateNow(base: Ctx, id: string, params: ScheduleUpdate): Promise<SubscriptionSchedule> {
  const stored = await load(base, id, true);
  const ctx = await atClockTime(base, stored.sched.test_clock);
  const now = ctx.clock.now();
  assertLive(stored.sched, 'update');
  const before = structuredClone(stored.sched);
  const s: Stored = structuredClone(stored);
  const sched = s.sched;
  sched.metadata = mergeMetadata(sched.metadata, params.metadata);
  if (params.end_behavior !== undefined) sched.end_behavior = params.end_behavior;
  if (params.default_settings !== undefined && (await applyDefaultSettings(ctx, sched, params.default_settings)) && sched.subscription !== null) {
    await applySettingsToSubscription(ctx, sched);
  }
  if (params.phases !== undefined && sched.status === 'not_started') {
    // Nothing has started: the phases are replaced, from the requested (future) start.
    const requested = params.phases[0]?.start_date;
    const start = requested === undefined ? sched.phases[0]!.start_date : requested === 'now' ? now : requested;
    if (start < now) throw errors.invalidParam('phases[0][start_date]', 'The schedule cannot start in the past.');
    if (start === now) throw errors.invalidParam('phases[0][start_date]', 'Portico starts a not_started schedule only on the billing clock: pass a future start_date.');
    sched.phases = await buildPhases(ctx, params.phases, start);
  } else if (params.phases !== undefined) {
    const current = sched.phases[s.priv.phase]!;
    const requested = params.phases[0]?.start_date;
    if (requested !== undefined && requested !== current.start_date) {
      throw errors.invalidParam('phases[0][start_date]', `The current phase's start_date (${current.start_date}) cannot be changed.`);
    }
    const sub = await loadSubscription(ctx, sched.subscription!, 'id');
    const phases = await buildPhases(ctx, params.phases, current.start_date, sub.sub.currency);
    if (phases[0]!.end_date <= now) {
      throw errors.invalidParam('phases[0][end_date]', 'The current phase must end in the future.');
    }
    const changed = JSON.stringify(phases[0]!.items) !== JSON.stringify(current.items);
    sched.phases = [...sched.phases.slice(0, s.priv.phase), ...phases];
    if (changed) await enterPhase(ctx, sched.subscription!, sched.phases[s.priv.phase]!, params.proration_behavior ?? phases[0]!.proration_behavior);
    sched.current_phase = currentPhaseOf(sched.phases, s.priv.phase);
  }
  await save(ctx, before, s);
  return sched;
}

export function updateSchedule(base: Ctx, id: string, params: ScheduleUpdate): Promise<SubscriptionSchedule> {
  return withSubscriptionWork(base, () => updateNow(base, id, params));
}

/** Releases the schedule at ctx's time: the subscription keeps going without it. */
async function releaseAt(ctx: Ctx, before: SubscriptionSchedule, s: Stored): Promise<void> {
  const now = ctx.clock.now();
  const subId = s.sched.subscription;
  if (subId !== null) await linkSubscription(ctx, subId, null);
  Object.assign(s.sched, { status: 'released', released_at: now, released_subscription: subId, subscription: null, current_phase: null });
  await save(ctx, before, s, 'subscription_schedule.released');
}

export function releaseSchedule(base: Ctx, id: string): Promise<SubscriptionSchedule> {
  return withSubscriptionWork(base, async () => {
    const stored = await load(base, id, true);
    const ctx = await atClockTime(base, stored.sched.test_clock);
    assertLive(stored.sched, 'release');
    const s: Stored = structuredClone(stored);
    await releaseAt(ctx, stored.sched, s);
    return s.sched;
  });
}

export function cancelSchedule(base: Ctx, id: string, params: ScheduleCancel): Promise<SubscriptionSchedule> {
  return withSubscriptionWork(base, async () => {
    const stored = await load(base, id, true);
    const ctx = await atClockTime(base, stored.sched.test_clock);
    assertLive(stored.sched, 'cancel');
    const s: Stored = structuredClone(stored);
    const subId = s.sched.subscription;
    if (subId !== null) {
      const sub = await loadSubscription(ctx, subId, 'id');
      if (sub.sub.status !== 'canceled' && sub.sub.status !== 'incomplete_expired') {
        await cancelSubscription(ctx, subId, { invoice_now: params.invoice_now ?? true, prorate: params.prorate ?? true }, { bySchedule: true });
      }
    }
    Object.assign(s.sched, { status: 'canceled', canceled_at: ctx.clock.now(), current_phase: null });
    await save(ctx, stored.sched, s, 'subscription_schedule.canceled');
    return s.sched;
  });
}

export interface ScheduleListFilters {
  customer?: string;
  scheduled?: boolean;
  created?: RangeFilter;
  canceled_at?: RangeFilter;
  completed_at?: RangeFilter;
  released_at?: RangeFilter;
}

/** A range filter on a nullable timestamp of the schedule (`canceled_at[gte]=…`). */
function whereTime(q: ObjectQuery, field: 'canceled_at' | 'completed_at' | 'released_at', r: RangeFilter): ObjectQuery {
  const value = sql<number>`(data->>${field})::bigint`;
  let out = q;
  if (r.eq !== undefined) out = out.where(value, '=', r.eq);
  if (r.gt !== undefined) out = out.where(value, '>', r.gt);
  if (r.gte !== undefined) out = out.where(value, '>=', r.gte);
  if (r.lt !== undefined) out = out.where(value, '<', r.lt);
  if (r.lte !== undefined) out = out.where(value, '<=', r.lte);
  return out;
}

export function listSchedules(ctx: Ctx, filters: ScheduleListFilters, page: ListOptions) {
  return listObjects<SubscriptionSchedule>(ctx, OBJECT, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.customer !== undefined) out = out.where('customer', '=', filters.customer);
      if (filters.scheduled === true) out = whereData(out, 'status', 'not_started');
      else if (filters.scheduled === false) out = out.where(sql<string>`data->>'status'`, '!=', 'not_started');
      if (filters.created) out = whereCreated(out, filters.created);
      for (const field of ['canceled_at', 'completed_at', 'released_at'] as const) {
        const r = filters[field];
        if (r) out = whereTime(out, field, r);
      }
      return out;
    },
  });
}

/** The clock reaches a `not_started` schedule's start: its subscription is created with phase 0. */
async function startSchedule(due: Ctx, stored: Stored): Promise<number | null> {
  const s: Stored = structuredClone(stored);
  const first = s.sched.phases[0]!;
  const at = Math.max(first.start_date, due.clock.now());
  const ctx: Ctx = { ...due, clock: { now: () => at } };
  if (!(await findObject(ctx, 'customer', s.sched.customer))) {
    // Its customer was deleted meanwhile: nothing to start.
    Object.assign(s.sched, { status: 'canceled', canceled_at: at });
    await save(ctx, stored.sched, s, 'subscription_schedule.canceled', false);
    return null;
  }
  const sub = await createSubscription(
    ctx,
    { customer: s.sched.customer, items: first.items.map((i) => ({ price: i.price, quantity: i.quantity, metadata: i.metadata })), metadata: first.metadata, ...subscriptionDefaults(s.sched) },
    { clockTime: false },
  );
  s.sched.status = 'active';
  s.sched.subscription = sub.id;
  s.sched.current_phase = currentPhaseOf(s.sched.phases, 0);
  await linkSubscription(ctx, sub.id, s.sched.id);
  await save(ctx, stored.sched, s, undefined, false);
  return dueOf(s);
}

/** The clock's work: at the current phase's end, the next phase or the end behavior. */
async function runSchedule(due: Ctx, row: StoredObject): Promise<number | null> {
  const stored = await load(due, row.id, true);
  if (stored.sched.status === 'not_started') return startSchedule(due, stored);
  if (stored.sched.status !== 'active' || stored.sched.subscription === null) return null;
  const s: Stored = structuredClone(stored);
  const notice = expiringAt(s);
  if (notice !== null && notice <= due.clock.now()) {
    // Seven days before the end (or at once when less is left): once per end date.
    s.priv.expiring_for = scheduleEnd(s);
    await emit(due, 'subscription_schedule.expiring', s.sched);
  }
  const end = s.sched.phases[s.priv.phase]!.end_date;
  if (due.clock.now() < end - 1) {
    // Only the notice was due: the phase goes on.
    await save(due, stored.sched, s, undefined, false);
    return dueOf(s);
  }
  const at = Math.max(end, due.clock.now());
  const ctx: Ctx = { ...due, clock: { now: () => at } };
  const sub = await loadSubscription(ctx, s.sched.subscription!, 'id');
  if (sub.sub.status === 'canceled' || sub.sub.status === 'incomplete_expired') {
    Object.assign(s.sched, { status: 'canceled', canceled_at: sub.sub.ended_at ?? at, current_phase: null });
    await save(ctx, stored.sched, s, 'subscription_schedule.canceled', false);
    return null;
  }
  if (s.priv.phase + 1 < s.sched.phases.length) {
    s.priv.phase += 1;
    await enterPhase(ctx, sub.sub.id, s.sched.phases[s.priv.phase]!, undefined, end);
    s.sched.current_phase = currentPhaseOf(s.sched.phases, s.priv.phase);
    await save(ctx, stored.sched, s, undefined, false);
    return dueOf(s);
  }
  if (s.sched.end_behavior === 'release') {
    await releaseAt(ctx, stored.sched, s);
  } else {
    await cancelSubscription(ctx, sub.sub.id, {}, { clockTime: false, bySchedule: true });
    Object.assign(s.sched, { status: 'completed', completed_at: at, current_phase: null });
    await save(ctx, stored.sched, s, 'subscription_schedule.completed', false);
  }
  return null;
}

registerDueHandler(OBJECT, (ctx, row) => withSubscriptionWork(ctx, () => runSchedule(ctx, row)));
