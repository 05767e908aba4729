/**
 * The login mail outbox (issue 12, item 4; portal/login/outbox.ts), on every database: the upkeep
 * pass sends what no notification brought, a row claimed by a sender that died is sent once its lease
 * has passed (by the injected clock) and not before, a row too old to be of use is dropped, an unknown
 * address gets no mail and its row is gone, and two senders draining at once send each mail once.
 * Rows are written with SQL here (no NOTIFY), so no sender is woken behind the test's back.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { loginLinkUrl } from '../src/portal/login/index.ts';
import { createLoginMailer } from '../src/portal/login/mailer.ts';
import { CLAIM_LEASE, createLoginOutboxSender } from '../src/portal/login/outbox.ts';
import { LINK_LIFETIME } from '../src/portal/login/links.ts';
import type { Storage } from '../src/storage/database.ts';
import { composeQueuedLoginEmail } from '../src/web/login/email.tsx';
import { LINK, pathOf, useLink } from './support/login-client.ts';
import { storageCases } from './support/storages.ts';
import { startTestServer, type TestServer } from './support/server.ts';

for (const db of storageCases()) {
  describe(`login mail outbox on ${db.name}`, () => {
    let storage: Storage;
    let server: TestServer;
    let clock: ManualClock;
    let config: Stripe.BillingPortal.Configuration;
    let page: { token: string; key: string };
    const lines: string[] = [];
    const warnings: string[] = [];
    before(async () => {
      storage = await db.open();
      server = await startTestServer({ storage, config: { smtpUrl: null }, logInfo: (l) => lines.push(l), logWarning: (l) => warnings.push(l) });
      clock = server.clock as ManualClock;
      config = await server.stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        login_page: { enabled: true },
      });
      const token = pathOf(config.login_page.url!).split('/').pop()!;
      const found = await server.portico.login!.findPage(token);
      assert.ok(found);
      page = { token, key: found.key };
    });
    after(async () => {
      await server?.close();
      await storage?.close();
    });
    beforeEach(() => {
      lines.length = 0;
      warnings.length = 0;
    });

    let n = 0;
    /** A queued request as the login POST writes it, optionally already claimed by `claim` at `claimedAt`. */
    async function queue(email: string, opts: { created?: number; claim?: string; claimedAt?: number } = {}) {
      const id = `test-row-${++n}`;
      await storage.db
        .insertInto('portal_login_outbox')
        .values({
          id,
          livemode: false,
          configuration: config.id,
          page_token: page.token,
          page_key: page.key,
          email,
          request: JSON.stringify({ acceptLanguage: null, business: 'Acme', headline: null }),
          created: opts.created ?? clock.now(),
          claim: opts.claim ?? null,
          claimed_at: opts.claimedAt ?? null,
        })
        .execute();
      return id;
    }
    const rows = () => storage.db.selectFrom('portal_login_outbox').select(['id', 'claim', 'attempts']).execute();
    const mailed = () => lines.filter((l) => LINK.test(l));

    test('the upkeep pass sends a queued mail that no notification announced', async () => {
      const customer = await server.stripe.customers.create({ email: 'quiet@example.com' });
      await queue('quiet@example.com');
      await server.portico.clockWorker!.tick();
      await server.portico.loginSender!.idle(); // the drain the pass started
      assert.equal(mailed().length, 1);
      assert.match(mailed()[0]!, /q•••@example\.com/);
      assert.deepEqual(await rows(), [], 'the row is gone once sent');
      const opened = await useLink(server.url, pathOf(LINK.exec(mailed()[0]!)![1]!));
      assert.equal(opened.status, 303, 'the link signs in');
      const events = await storage.db.selectFrom('events').select('data').where('type', '=', 'billing_portal.session.created').execute();
      assert.equal(events.at(-1)!.data.data.object.customer, customer.id);
    });

    test('a row claimed by a sender that died is sent once its lease has passed, not before', async () => {
      await server.stripe.customers.create({ email: 'crashed@example.com' });
      const now = clock.now();
      await queue('crashed@example.com', { claim: 'dead-sender', claimedAt: now });
      await server.portico.loginSender!.drain();
      assert.equal(mailed().length, 0, 'a live claim is left to its sender');
      assert.equal((await rows())[0]?.claim, 'dead-sender');
      clock.set(now + CLAIM_LEASE);
      try {
        await server.portico.loginSender!.drain();
        assert.equal(mailed().length, 1, 'claimed again after the lease');
        assert.deepEqual(await rows(), []);
        await server.portico.loginSender!.drain();
        assert.equal(mailed().length, 1, 'and sent once');
      } finally {
        clock.set(now);
      }
    });

    test('an unknown address gets no mail; a request older than a link\'s lifetime is dropped', async () => {
      await server.stripe.customers.create({ email: 'late@example.com' });
      await queue('nobody-here@example.com');
      await queue('late@example.com', { created: clock.now() - LINK_LIFETIME, claim: 'dead-sender', claimedAt: clock.now() - CLAIM_LEASE });
      await server.portico.loginSender!.drain();
      assert.equal(mailed().length, 0);
      assert.deepEqual(await rows(), []);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0]!, /login email for l•••@example\.com dropped/);
    });

    test('two senders draining at once send each mail once', async () => {
      const emails = Array.from({ length: 8 }, (_, i) => `race${i}@example.com`);
      for (const email of emails) {
        await server.stripe.customers.create({ email });
        await queue(email);
      }
      const other = createLoginOutboxSender({
        db: storage.db,
        clock,
        mailer: createLoginMailer({ smtpUrl: null, from: 'x@example.com', log: (l) => lines.push(l) }),
        compose: composeQueuedLoginEmail,
        linkUrl: loginLinkUrl,
      });
      await Promise.all([other.drain(), server.portico.loginSender!.drain(), other.drain()]);
      await other.stop();
      assert.equal(mailed().length, emails.length, mailed().join('\n'));
      assert.equal(new Set(mailed().map((l) => LINK.exec(l)![1])).size, emails.length, 'a link of its own in each');
      assert.deepEqual(await rows(), []);
    });
  });
}
