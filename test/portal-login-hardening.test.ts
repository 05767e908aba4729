/**
 * The login page after issue 12, on every database: a link opens only on the page that issued it
 * (item 3: disabling and re-enabling the page, or deactivating and reactivating the configuration,
 * revives nothing); the page's token is stored only as a hash, and pages and pending links made before
 * the upgrade keep working through migration 0011 (item 14). Item 4's timing check is
 * test/portal-login-timing.slow.ts, run by hand (see there why it is not in `npm test` yet).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Storage } from '../src/storage/database.ts';
import * as loginPageKeys from '../src/storage/migrations/0011-login-page-keys.ts';
import { LINK, csrfOf, freshIp, pathOf, send, useLink } from './support/login-client.ts';
import { storageCases } from './support/storages.ts';
import { startTestServer, type TestServer } from './support/server.ts';

for (const db of storageCases()) {
  describe(`login page links and tokens (issue 12) on ${db.name}`, () => {
    let storage: Storage;
    let server: TestServer;
    const lines: string[] = [];
    before(async () => {
      storage = await db.open();
      // One trusted proxy: each request below can come from its own client address (X-Forwarded-For).
      server = await startTestServer({ storage, config: { smtpUrl: null, trustProxyHops: 1 }, logInfo: (line) => lines.push(line) });
    });
    after(async () => {
      await server?.close();
      await storage?.close();
    });

    async function loginPage() {
      const config = await server.stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        login_page: { enabled: true },
      });
      return { config, path: pathOf(config.login_page.url!) };
    }
    /** Asks the page at `path` for a link for `email` and returns the link's path. */
    async function requestLink(path: string, email: string): Promise<string> {
      const ip = freshIp();
      const form = await send(server.url, 'GET', path, { ip });
      const before = lines.length;
      const res = await send(server.url, 'POST', path, { ip, form: { csrf: csrfOf(form.body), email }, headers: { Origin: server.url } });
      assert.equal(res.status, 200);
      await server.portico.login!.settled();
      const logged = lines.slice(before).find((l) => LINK.test(l));
      assert.ok(logged, 'a link was sent');
      return pathOf(LINK.exec(logged)![1]!);
    }
    /** The same link (secret) on another login page of the same configuration. */
    const onPage = (link: string, pagePath: string) => `${pagePath}/verify/${link.split('/').pop()}`;

    test('item 3: disabling and re-enabling the login page revives no link', async () => {
      const { config, path } = await loginPage();
      await server.stripe.customers.create({ email: 'revive@example.com' });
      const link = await requestLink(path, 'revive@example.com');
      await server.stripe.billingPortal.configurations.update(config.id, { login_page: { enabled: false } });
      assert.equal((await send(server.url, 'GET', link)).status, 404, 'the old page is gone');
      const again = await server.stripe.billingPortal.configurations.update(config.id, { login_page: { enabled: true } });
      const newPath = pathOf(again.login_page.url!);
      assert.notEqual(newPath, path);
      assert.equal((await send(server.url, 'GET', link)).status, 404);
      const revived = await useLink(server.url, onPage(link, newPath));
      assert.equal(revived.status, 410, 'a link of the old page does not open on the new one');
      // The new page's own links work.
      assert.equal((await useLink(server.url, await requestLink(newPath, 'revive@example.com'))).status, 303);
    });

    test('item 3: deactivating and reactivating the configuration revives no link', async () => {
      const { config, path } = await loginPage();
      await server.stripe.customers.create({ email: 'reactivate@example.com' });
      const link = await requestLink(path, 'reactivate@example.com');
      await server.stripe.billingPortal.configurations.update(config.id, { active: false });
      assert.equal((await send(server.url, 'GET', link)).status, 404);
      const back = await server.stripe.billingPortal.configurations.update(config.id, { active: true });
      assert.equal(back.login_page.url, config.login_page.url, 'the same login URL');
      assert.equal((await useLink(server.url, link)).status, 410, 'the link sent before the deactivation stays dead');
      assert.equal((await useLink(server.url, await requestLink(path, 'reactivate@example.com'))).status, 303);
    });

    test('item 14: the login page token is stored only as its SHA-256', async () => {
      const { path } = await loginPage();
      const token = path.split('/').pop()!;
      const rows = await storage.db.selectFrom('objects').select(['id', 'data']).where('object', '=', 'portal_login_link').execute();
      assert.ok(rows.length > 0);
      for (const row of rows) {
        assert.match(row.id, /^bplogin_[0-9a-f]{64}$/);
        assert.ok(!JSON.stringify(row).includes(token));
      }
      const hashed = `bplogin_${createHash('sha256').update(token).digest('hex')}`;
      assert.ok(rows.some((r) => r.id === hashed));
    });

    test('item 14: migration 0011 keeps login pages and their pending links working', async () => {
      const { config, path } = await loginPage();
      const token = path.split('/').pop()!;
      await server.stripe.customers.create({ email: 'upgrade@example.com' });
      const pending = await requestLink(path, 'upgrade@example.com');
      // Put the rows back as the code before 0011 wrote them, and forget that 0011 ran.
      const hashed = `bplogin_${createHash('sha256').update(token).digest('hex')}`;
      await sql`update objects set id = ${`bplogin_${token}`}, data = ${JSON.stringify({ configuration: config.id })} where id = ${hashed}`.execute(storage.db);
      await sql`alter table portal_login_links drop column login_page_key`.execute(storage.db);
      await sql`delete from portico_migrations where name = '0011-login-page-keys'`.execute(storage.db);
      const old = await storage.db.selectFrom('objects').select('id').where('id', '=', `bplogin_${token}`).executeTakeFirst();
      assert.ok(old, 'an old-style lookup row');

      // Run it again as an upgrade would (later migrations stay applied: they touch nothing of this).
      await loginPageKeys.up(storage.db);
      await sql`insert into portico_migrations (name, timestamp) values ('0011-login-page-keys', ${new Date().toISOString()})`.execute(storage.db);
      const form = await send(server.url, 'GET', path);
      assert.equal(form.status, 200, 'the login URL still opens its page');
      assert.ok(form.body.includes('name="email"'));
      assert.equal((await useLink(server.url, pending)).status, 303, 'a link sent before the upgrade still works');
      assert.equal((await useLink(server.url, await requestLink(path, 'upgrade@example.com'))).status, 303);
      const ids = (await storage.db.selectFrom('objects').select('id').where('object', '=', 'portal_login_link').execute()).map((r) => r.id);
      assert.ok(ids.every((id) => /^bplogin_[0-9a-f]{64}$/.test(id)), ids.join(' '));
      assert.equal(config.login_page.enabled, true);
    });

  });
}
