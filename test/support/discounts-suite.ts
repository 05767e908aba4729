/**
 * Setup shared by the coupon and promotion-code suites: a server on one database, its manual clock
 * reset after each test, and helpers to run domain code in a transaction and to read events.
 */
import { afterEach } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../../src/lib/clock.ts';
import type { Ctx } from '../../src/storage/context.ts';
import type { TestServer } from './server.ts';
import type { StorageCase } from './storages.ts';
import { useTestServer } from './suite.ts';

export interface DiscountSuite {
  server: TestServer;
  stripe: Stripe;
  clock: ManualClock;
  /** The clock's time when the suite started; every test begins there. */
  start: number;
}

export function useDiscountSuite(db: StorageCase, ready: (s: DiscountSuite) => void) {
  let suite: DiscountSuite;
  useTestServer(db, (server) => {
    const clock = server.clock as ManualClock;
    suite = { server, stripe: server.stripe, clock, start: clock.now() };
    ready(suite);
  });
  afterEach(() => suite.clock.set(suite.start));

  return {
    /** Runs `fn` in a test-mode transaction, as the billing engine would. */
    inTx: <T>(fn: (ctx: Ctx) => Promise<T>): Promise<T> =>
      suite.server.portico.storage.db
        .transaction()
        .execute((tx) => fn({ db: tx, livemode: false, clock: suite.clock, request: { id: null, idempotencyKey: null } })),
    async eventsFor(id: string, type?: string): Promise<any[]> {
      let q = suite.server.portico.storage.db.selectFrom('events').select(['data']).orderBy('seq');
      if (type) q = q.where('type', '=', type);
      return (await q.execute()).map((r) => r.data).filter((e) => e.data.object.id === id);
    },
    percentCoupon: (extra: Stripe.CouponCreateParams = {}) => suite.stripe.coupons.create({ percent_off: 25, ...extra }),
  };
}
