/**
 * The login page without SMTP (the link goes to the server log, the address masked), with a business
 * name, and behind a trusted proxy (the per-IP limit counts the address the proxy saw), on every
 * database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Storage } from '../src/storage/database.ts';
import { LINK, csrfOf, pathOf, send, useLink } from './support/login-client.ts';
import { storageCases } from './support/storages.ts';
import { startTestServer, type TestServer } from './support/server.ts';

for (const db of storageCases()) {
  describe(`portal login page without SMTP, behind one proxy, on ${db.name}`, () => {
    let storage: Storage;
    let server: TestServer;
    const lines: string[] = [];
    before(async () => {
      storage = await db.open();
      server = await startTestServer({ storage, config: { smtpUrl: null, trustProxyHops: 1, businessName: 'Acme & Co <Billing>' }, logInfo: (line) => lines.push(line) });
    });
    after(async () => {
      await server?.close();
      await storage?.close();
    });

    test('the link is written to the server log, with the address masked, and it works', async () => {
      const config = await server.stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        login_page: { enabled: true },
      });
      const customer = await server.stripe.customers.create({ email: 'dev.person@example.com' });
      const path = pathOf(config.login_page.url!);
      const page = await send(server.url, 'GET', path);
      assert.ok(page.body.includes('Acme &amp; Co &lt;Billing&gt;') && !page.body.includes('<Billing>'), 'PORTICO_BUSINESS_NAME, escaped');
      const res = await send(server.url, 'POST', path, { form: { csrf: csrfOf(page.body), email: 'dev.person@example.com' }, headers: { Origin: server.url } });
      assert.equal(res.status, 200);
      await server.portico.login!.settled();
      const logged = lines.filter((l) => LINK.test(l));
      assert.equal(logged.length, 1, lines.join('\n'));
      assert.ok(!logged[0]!.includes('dev.person@example.com'), 'the address is masked');
      assert.match(logged[0]!, /d•••@example\.com/);
      const opened = await useLink(server.url, pathOf(LINK.exec(logged[0]!)![1]!));
      assert.equal(opened.status, 303);
      const events = await storage.db.selectFrom('events').select('data').where('type', '=', 'billing_portal.session.created').execute();
      assert.equal(events.at(-1)!.data.data.object.customer, customer.id);
    });

    test('behind a trusted proxy the per-IP limit counts the address the proxy saw', async () => {
      const config = await server.stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        login_page: { enabled: true },
      });
      const path = pathOf(config.login_page.url!);
      const csrf = csrfOf((await send(server.url, 'GET', path)).body);
      // The client's own claim (left of the proxy's entry) must not open a fresh budget.
      const post = (i: number, forwardedFor: string) =>
        send(server.url, 'POST', path, { form: { csrf, email: `proxy${i}@example.com` }, headers: { Origin: server.url, 'X-Forwarded-For': forwardedFor } });
      for (let i = 0; i < 20; i++) assert.equal((await post(i, `10.9.${i}.1, 198.51.100.7`)).status, 200);
      assert.equal((await post(20, '10.9.99.1, 198.51.100.7')).status, 429);
      assert.equal((await post(21, '198.51.100.8')).status, 200, 'another client behind the same proxy');
      await server.portico.login!.settled();
    });
  });
}
