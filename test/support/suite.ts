/**
 * Per-database suite setup: inside a `describe`, `useTestServer(db, ready)` opens that storage, starts
 * a server on it before the suite's tests and closes both after them.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type Stripe from 'stripe';
import type { Storage } from '../../src/storage/database.ts';
import type { StorageCase } from './storages.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export function useTestServer(
  db: StorageCase,
  ready: (server: TestServer) => void,
  opts: Omit<TestServerOptions, 'storage'> = {},
): void {
  let storage: Storage;
  let server: TestServer;
  before(async () => {
    storage = await db.open();
    server = await startTestServer({ storage, ...opts });
    ready(server);
  });
  after(async () => {
    await server?.close();
    await storage?.close();
  });
}

/** The events about one object, oldest first. */
type ObjectEvent = { type: string; created: number; data: { object: { id: string; [key: string]: any }; previous_attributes?: any } };

export async function objectEvents(
  server: TestServer,
  objectId: string,
): Promise<ObjectEvent[]> {
  const rows = await server.portico.storage.db.selectFrom('events').selectAll().orderBy('seq', 'asc').execute();
  return rows
    .map((r) => r.data as ObjectEvent)
    .filter((e) => e.data.object.id === objectId);
}

/**
 * Advances a test clock to `to` through the SDK, runs the billing clock as the worker would, and
 * checks the clock is `ready` again (its due work ran inside the advance).
 */
export async function advanceTestClock(server: TestServer, clock: string, to: number): Promise<void> {
  await server.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  await server.portico.clockWorker!.tick();
  assert.equal((await server.stripe.testHelpers.testClocks.retrieve(clock)).status, 'ready');
}

/** A test clock frozen at `frozen` and a customer on it, with `pm` attached as its default (null: none). */
export async function customerOnClock(
  server: TestServer,
  frozen: number,
  pm: string | null = 'pm_card_visa',
  email = 'c@example.com',
): Promise<{ clock: Stripe.TestHelpers.TestClock; customer: Stripe.Customer; pm: string | null }> {
  const stripe = server.stripe;
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozen });
  const customer = await stripe.customers.create({ test_clock: clock.id, email });
  let attached: string | null = null;
  if (pm !== null) {
    attached = (await stripe.paymentMethods.attach(pm, { customer: customer.id })).id;
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached } });
  }
  return { clock, customer, pm: attached };
}
