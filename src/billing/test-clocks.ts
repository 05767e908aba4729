/**
 * Test clocks: frozen time for test-mode customers and what hangs off them. Advancing a clock moves it
 * to `advancing`; the billing clock then applies every piece of work due up to the target time (the
 * `advanceHooks`, which later modules register) and moves it to `ready`. Test mode only.
 */
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { Ctx } from '../storage/context.ts';
import { getObject, insertObject, listObjects, updateObject, whereData, type ListOptions } from '../storage/objects.ts';
import { emit } from '../events/outbox.ts';

export interface TestClock {
  id: string;
  object: 'test_helpers.test_clock';
  created: number;
  deletes_after: number;
  frozen_time: number;
  livemode: boolean;
  name: string | null;
  status: 'advancing' | 'internal_failure' | 'ready';
  status_details: { advancing?: { target_frozen_time: number } };
}

const OBJECT = 'test_helpers.test_clock';
const NOUN = 'test clock';
/** Stripe deletes a test clock 30 days after it was created. */
const LIFETIME_SECONDS = 30 * 24 * 60 * 60;

function assertTestMode(ctx: Ctx): void {
  if (ctx.livemode) {
    throw errors.invalidRequest('Test clocks can only be used in test mode. Use a test mode secret key (sk_test_…).');
  }
}

/** The clock, or a 404 naming `param`. */
export async function getTestClock(ctx: Ctx, id: string, param = 'test_clock', forUpdate = false): Promise<TestClock> {
  assertTestMode(ctx);
  return (await getObject<TestClock>(ctx, OBJECT, NOUN, id, { param, forUpdate })).data;
}

/** The frozen time of a clock that objects are being attached to (a 404 naming `param` if unknown). */
export async function clockTime(ctx: Ctx, id: string, param: string): Promise<number> {
  return (await getTestClock(ctx, id, param)).frozen_time;
}

export async function createTestClock(
  ctx: Ctx,
  params: { frozen_time: number; name?: string; customer?: string },
): Promise<TestClock> {
  assertTestMode(ctx);
  const created = ctx.clock.now();
  const clock: TestClock = {
    id: newId('test_helpers.test_clock'),
    object: OBJECT,
    created,
    deletes_after: created + LIFETIME_SECONDS,
    frozen_time: params.frozen_time,
    livemode: false,
    name: params.name ?? null,
    status: 'ready',
    status_details: {},
  };
  await insertObject(ctx, { id: clock.id, object: OBJECT, created, data: clock });
  await emit(ctx, 'test_helpers.test_clock.created', clock);
  if (params.customer !== undefined) await attachCustomer(ctx, clock, params.customer);
  return clock;
}

async function attachCustomer(ctx: Ctx, clock: TestClock, customerId: string): Promise<void> {
  const found = await getObject<Record<string, unknown>>(ctx, 'customer', 'customer', customerId, {
    param: 'customer',
    forUpdate: true,
  });
  if (found.data.test_clock) {
    throw errors.invalidParam('customer', `The customer ${customerId} is already attached to a test clock.`);
  }
  const after = { ...found.data, test_clock: clock.id };
  await updateObject(ctx, customerId, { data: after });
  await emit(ctx, 'customer.updated', after, { test_clock: null });
}

export async function listTestClocks(ctx: Ctx, page: ListOptions) {
  assertTestMode(ctx);
  return listObjects<TestClock>(ctx, OBJECT, page);
}

/** Work that must happen as a clock moves from one time to another (renewals, trial ends, …). */
export type AdvanceHook = (ctx: Ctx, clock: TestClock, from: number, to: number) => Promise<void>;
export const advanceHooks: AdvanceHook[] = [];

/** Starts moving a clock forward to `frozenTime`; the clock reports `advancing` until it is done. */
export async function advanceTestClock(ctx: Ctx, id: string, frozenTime: number): Promise<TestClock> {
  const clock = await getTestClock(ctx, id, 'test_clock', true);
  if (clock.status === 'advancing') {
    throw errors.invalidRequest(
      `The test clock ${id} is already advancing. Wait for it to be ready before advancing it again.`,
      undefined,
      'test_clock_advancing',
    );
  }
  if (frozenTime <= clock.frozen_time) {
    throw errors.invalidParam(
      'frozen_time',
      `The frozen_time ${frozenTime} must be after the test clock's current frozen time ${clock.frozen_time}.`,
    );
  }
  const after: TestClock = { ...clock, status: 'advancing', status_details: { advancing: { target_frozen_time: frozenTime } } };
  await updateObject(ctx, id, { data: after });
  await emit(ctx, 'test_helpers.test_clock.advancing', after);
  return after;
}

/**
 * Finishes an advance: runs the hooks for the interval and sets the clock `ready` at its target.
 * Called by the billing clock worker in its own transaction.
 */
export async function completeAdvance(ctx: Ctx, id: string): Promise<TestClock> {
  const clock = await getTestClock(ctx, id, 'test_clock', true);
  const target = clock.status_details.advancing?.target_frozen_time;
  if (clock.status !== 'advancing' || target === undefined) return clock;
  for (const hook of advanceHooks) await hook(ctx, clock, clock.frozen_time, target);
  const after: TestClock = { ...clock, frozen_time: target, status: 'ready', status_details: {} };
  await updateObject(ctx, id, { data: after });
  await emit(ctx, 'test_helpers.test_clock.ready', after);
  return after;
}

/** Ids of the clocks (of every mode) that are advancing, for the worker. */
export async function advancingClockIds(ctx: Ctx): Promise<string[]> {
  const page = await listObjects<TestClock>(ctx, OBJECT, { limit: 100, where: (q) => whereData(q, 'status', 'advancing') });
  return page.data.map((o) => o.id);
}

/** What deleting a clock also deletes (its customers, and later their subscriptions). */
export const clockDeletionHooks: ((ctx: Ctx, clock: TestClock) => Promise<void>)[] = [];

export async function deleteTestClock(ctx: Ctx, id: string): Promise<{ id: string; object: typeof OBJECT; deleted: true }> {
  const clock = await getTestClock(ctx, id, 'test_clock', true);
  for (const hook of clockDeletionHooks) await hook(ctx, clock);
  await updateObject(ctx, id, { deleted: true });
  await emit(ctx, 'test_helpers.test_clock.deleted', clock);
  return { id, object: OBJECT, deleted: true };
}
