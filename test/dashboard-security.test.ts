/**
 * The dashboard's security, over HTTP against a real server (both databases): no route answers without
 * a session; forms without, or with another session's, CSRF token (or from another origin) are refused
 * and change nothing; sign-in is rate-limited per account and per IP; a wrong password and an unknown
 * email get the same answer; test and live are never mixed; portal and dashboard cookies open nothing
 * of each other's; sessions end when idle, at their absolute limit and at sign-out; a rolled key is
 * refused at once, also by another process sharing PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { ADMIN_IDLE_LIFETIME, ADMIN_MAX_LIFETIME } from '../src/admin/sessions.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { openPostgresSchema, storageCases } from './support/storages.ts';
import { useTestServer } from './support/suite.ts';
import { csrfIn, makeAdmin, request, signIn, submit } from './support/dashboard-client.ts';

const SIGN_IN = /Sign in to the dashboard/;
let ipCounter = 0;
const freshIp = () => `10.1.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;

for (const db of storageCases()) {
  describe(`dashboard security (${db.name})`, () => {
    let server: TestServer;
    useTestServer(db, (s) => (server = s), { config: { trustProxyHops: 1 } });
    const base = () => server.url;

    let admin: { email: string; password: string };
    let cookie: string;
    let ids: { customer: string; liveCustomer: string; configuration: string; endpoint: string; liveEndpoint: string; clock: string; event: string };

    before(async () => {
      admin = await makeAdmin(server);
      cookie = await signIn(base(), admin.email, admin.password, freshIp());
      const customer = await server.stripe.customers.create({ email: 'secret-test@example.com', name: 'Testy' });
      const liveCustomer = await server.live.customers.create({ email: 'secret-live@example.com', name: 'Livy' });
      const configuration = (await server.stripe.billingPortal.configurations.list()).data[0]!.id;
      const endpoint = await server.stripe.webhookEndpoints.create({ url: 'https://example.com/test-hook', enabled_events: ['*'] });
      const liveEndpoint = await server.live.webhookEndpoints.create({ url: 'https://example.com/live-hook', enabled_events: ['*'] });
      const clock = await server.stripe.testHelpers.testClocks.create({ frozen_time: server.clock.now() });
      const event = (await server.stripe.events.list({ limit: 1 })).data[0]!.id;
      ids = { customer: customer.id, liveCustomer: liveCustomer.id, configuration, endpoint: endpoint.id, liveEndpoint: liveEndpoint.id, clock: clock.id, event };
    });

    const routes = () => [
      ['GET', '/dashboard'],
      ['GET', '/dashboard/portal'],
      ['GET', `/dashboard/portal/${ids.configuration}`],
      ['GET', `/dashboard/portal/${ids.configuration}/preview`],
      ['GET', '/dashboard/customers?q=secret'],
      ['GET', `/dashboard/customers/${ids.customer}`],
      ['GET', '/dashboard/developers/keys'],
      ['GET', '/dashboard/developers/webhooks'],
      ['GET', `/dashboard/developers/webhooks/${ids.endpoint}`],
      ['GET', '/dashboard/developers/events'],
      ['GET', `/dashboard/developers/events/${ids.event}`],
      ['GET', '/dashboard/test-clocks'],
      ['GET', `/dashboard/test-clocks/${ids.clock}`],
      ['GET', '/dashboard/audit'],
      ['GET', '/dashboard/account'],
      ['GET', '/dashboard/anything-else'],
      ['POST', '/dashboard/mode'],
      ['POST', '/dashboard/sign-out'],
      ['POST', '/dashboard/account/password'],
      ['GET', '/dashboard/branding'],
      ['GET', '/dashboard/branding/preview'],
      ['POST', '/dashboard/branding'],
      ['POST', '/dashboard/portal/new'],
      ['POST', `/dashboard/portal/${ids.configuration}`],
      ['POST', `/dashboard/customers/${ids.customer}/portal`],
      ['POST', '/dashboard/developers/keys/reveal'],
      ['POST', '/dashboard/developers/keys/roll'],
      ['POST', '/dashboard/developers/webhooks'],
      ['POST', `/dashboard/developers/webhooks/${ids.endpoint}/secret`],
      ['POST', `/dashboard/developers/webhooks/${ids.endpoint}/delete`],
      ['POST', '/dashboard/developers/deliveries/1/resend'],
      ['POST', '/dashboard/test-clocks'],
      ['POST', `/dashboard/test-clocks/${ids.clock}/advance`],
    ] as const;

    test('every dashboard route without a session answers the sign-in page, with no data', async () => {
      const secrets = [ids.customer, 'secret-test@example.com', server.portico.keys.testSecretKey, ids.endpoint, 'example.com/test-hook', ids.clock];
      for (const [method, path] of routes()) {
        for (const withCookie of [undefined, 'portico_dashboard=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
          const res = await request(base(), method, path, { ...(withCookie ? { cookie: withCookie } : {}), ...(method === 'POST' ? { form: { x: '1' } } : {}) });
          assert.equal(res.status, 401, `${method} ${path}`);
          assert.match(res.text, SIGN_IN, `${method} ${path}`);
          for (const s of secrets) assert.ok(!res.text.includes(s), `${method} ${path} leaks ${s}`);
          assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
        }
      }
      assert.equal((await server.stripe.webhookEndpoints.retrieve(ids.endpoint)).status, 'enabled');
    });

    test('the session cookie: HttpOnly, SameSite=Strict, Path=/dashboard; every page has the security headers', async () => {
      const form = await request(base(), 'GET', '/dashboard/sign-in');
      const res = await request(base(), 'POST', '/dashboard/sign-in', { form: { csrf: csrfIn(form.text), email: admin.email, password: admin.password }, ip: freshIp() });
      const setCookie = res.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /^portico_dashboard=[A-Za-z0-9_-]{43};/);
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      assert.match(setCookie, /Path=\/dashboard/);
      assert.doesNotMatch(setCookie, /Secure/); // plain http here; https adds Secure and the __Secure- prefix
      const page = await request(base(), 'GET', '/dashboard', { cookie });
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.equal(page.headers.get('cache-control'), 'no-store');
      assert.doesNotMatch(page.text, /<script|style=/);
    });

    test('a form without a CSRF token, with another session\'s, or from another origin is refused and changes nothing', async () => {
      const other = await signIn(base(), admin.email, admin.password, freshIp());
      const otherToken = csrfIn((await request(base(), 'GET', '/dashboard', { cookie: other })).text);
      const ownToken = csrfIn((await request(base(), 'GET', '/dashboard', { cookie })).text);
      const path = `/dashboard/portal/${ids.configuration}`;
      const change = { 'business_profile[headline]': 'Changed by an attacker' };
      const attempts = [
        { form: change },
        { form: { ...change, csrf: otherToken } },
        { form: { ...change, csrf: 'x'.repeat(86) } },
        { form: { ...change, csrf: ownToken }, origin: 'https://evil.example' },
        { form: { ...change, csrf: ownToken }, origin: null },
      ];
      for (const a of attempts) {
        const res = await request(base(), 'POST', path, { cookie, ...a });
        assert.equal(res.status, 403, JSON.stringify(a));
        assert.match(res.text, /This form has expired/);
      }
      const roll = await request(base(), 'POST', '/dashboard/developers/keys/roll', { cookie, form: { csrf: otherToken } });
      assert.equal(roll.status, 403);
      assert.notEqual((await server.stripe.billingPortal.configurations.retrieve(ids.configuration)).business_profile.headline, 'Changed by an attacker');
      await server.stripe.customers.list({ limit: 1 }); // the key still works
      // The same form with the right token goes through.
      const ok = await request(base(), 'POST', path, { cookie, form: { 'business_profile[headline]': 'Ours', 'features[invoice_history][enabled]': 'true', csrf: ownToken } });
      assert.equal(ok.status, 303);
      assert.equal((await server.stripe.billingPortal.configurations.retrieve(ids.configuration)).business_profile.headline, 'Ours');
    });

    test('a wrong password and an unknown email get the same answer', async () => {
      const answer = async (email: string, password: string) => {
        const form = await request(base(), 'GET', '/dashboard/sign-in');
        const res = await request(base(), 'POST', '/dashboard/sign-in', { form: { csrf: csrfIn(form.text), email, password }, ip: freshIp() });
        return { status: res.status, body: res.text.replace(/name="csrf" value="[^"]+"/, '').replace(/value="[^"]*@[^"]*"/, ''), cookie: res.headers.get('set-cookie') };
      };
      const wrong = await answer(admin.email, 'not the password at all');
      const unknown = await answer('nobody-here@example.com', 'not the password at all');
      assert.equal(wrong.status, 401);
      assert.deepEqual(unknown, wrong);
      assert.equal(wrong.cookie, null);
    });

    test('sign-in is rate-limited per account (5 per 15 minutes) and per IP (20)', async () => {
      const target = await makeAdmin(server);
      const attempt = async (email: string, password: string, ip: string) => {
        const form = await request(base(), 'GET', '/dashboard/sign-in');
        return request(base(), 'POST', '/dashboard/sign-in', { form: { csrf: csrfIn(form.text), email, password }, ip });
      };
      for (let i = 0; i < 5; i++) assert.equal((await attempt(target.email, 'wrong password guess', freshIp())).status, 401);
      const limited = await attempt(target.email, target.password, freshIp());
      assert.equal(limited.status, 429, 'the right password is refused too once the account is limited');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.match(limited.text, /Too many attempts/);

      const ip = freshIp();
      for (let i = 0; i < 20; i++) assert.equal((await attempt(`someone${i}@example.com`, 'whatever it is', ip)).status, 401);
      assert.equal((await attempt(admin.email, admin.password, ip)).status, 429);
      // Another IP and an account that is not limited still sign in.
      await signIn(base(), admin.email, admin.password, freshIp());
    });

    test('test and live are never mixed: lists, pages and the switch', async () => {
      const testList = await request(base(), 'GET', '/dashboard/customers', { cookie });
      assert.match(testList.text, /Viewing test data/);
      assert.ok(testList.text.includes(ids.customer));
      assert.ok(!testList.text.includes(ids.liveCustomer));
      assert.equal((await request(base(), 'GET', `/dashboard/customers/${ids.liveCustomer}`, { cookie })).status, 404);
      assert.equal((await request(base(), 'GET', `/dashboard/developers/webhooks/${ids.liveEndpoint}`, { cookie })).status, 404);
      const hooks = await request(base(), 'GET', '/dashboard/developers/webhooks', { cookie });
      assert.ok(hooks.text.includes('test-hook') && !hooks.text.includes('live-hook'));
      const keys = await request(base(), 'GET', '/dashboard/developers/keys', { cookie });
      assert.ok(keys.text.includes(server.portico.keys.testPublishableKey) && !keys.text.includes(server.portico.keys.livePublishableKey));

      const live = await signIn(base(), admin.email, admin.password, freshIp());
      const switched = await submit(base(), live, `/dashboard/customers/${ids.customer}`, '/dashboard/mode', { livemode: 'true', back: `/dashboard/customers/${ids.customer}` });
      assert.equal(switched.status, 303);
      assert.equal(switched.headers.get('location'), '/dashboard/customers', 'an object page of the other mode is not reopened');
      const liveList = await request(base(), 'GET', '/dashboard/customers', { cookie: live });
      assert.match(liveList.text, /Viewing live data/);
      assert.ok(liveList.text.includes(ids.liveCustomer) && !liveList.text.includes(ids.customer));
      assert.equal((await request(base(), 'GET', `/dashboard/customers/${ids.customer}`, { cookie: live })).status, 404);
      const liveHooks = await request(base(), 'GET', '/dashboard/developers/webhooks', { cookie: live });
      assert.ok(liveHooks.text.includes('live-hook') && !liveHooks.text.includes('test-hook'));
      assert.match((await request(base(), 'GET', '/dashboard/test-clocks', { cookie: live })).text, /only in test mode/);
      // A change made in live mode touches live objects only, and is audited under live.
      const del = await submit(base(), live, `/dashboard/developers/webhooks/${ids.liveEndpoint}`, `/dashboard/developers/webhooks/${ids.endpoint}/delete`);
      assert.equal(del.status, 404);
      assert.equal((await server.stripe.webhookEndpoints.retrieve(ids.endpoint)).status, 'enabled');
      // The other session still views test data: the mode belongs to the session.
      assert.match((await request(base(), 'GET', '/dashboard', { cookie })).text, /Viewing test data/);
    });

    test('a portal session cookie opens no dashboard page, and a dashboard cookie opens no portal page', async () => {
      const session = await server.stripe.billingPortal.sessions.create({ customer: ids.customer, return_url: 'https://example.com' });
      const exchange = await fetch(session.url, { redirect: 'manual' });
      const portalCookie = exchange.headers.get('set-cookie')!.split(';')[0]!;
      assert.match(exchange.headers.get('set-cookie')!, /Path=\/p/);
      const portalValue = portalCookie.split('=')[1]!;
      assert.equal((await request(base(), 'GET', '/p/home', { cookie: portalCookie })).status, 200);
      for (const c of [portalCookie, `portico_dashboard=${portalValue}`]) {
        const res = await request(base(), 'GET', '/dashboard', { cookie: c });
        assert.equal(res.status, 401);
        assert.match(res.text, SIGN_IN);
      }
      const dashValue = cookie.split('=')[1]!;
      for (const c of [cookie, `portico_portal=${dashValue}`]) {
        const res = await request(base(), 'GET', '/p/home', { cookie: c });
        assert.equal(res.status, 401, c);
        assert.ok(!res.text.includes('secret-test@example.com'));
      }
    });

    test('change password: the current one is checked, the old one stops working, other sessions end', async () => {
      const me = await makeAdmin(server);
      const a = await signIn(base(), me.email, me.password, freshIp());
      const b = await signIn(base(), me.email, me.password, freshIp());
      const wrong = await submit(base(), a, '/dashboard/account', '/dashboard/account/password', { current_password: 'not it at all', password: 'a brand new password' });
      assert.equal(wrong.status, 400);
      assert.match(wrong.text, /current password is not right/);
      const short = await submit(base(), a, '/dashboard/account', '/dashboard/account/password', { current_password: me.password, password: 'short' });
      assert.equal(short.status, 400);
      const ok = await submit(base(), a, '/dashboard/account', '/dashboard/account/password', { current_password: me.password, password: 'a brand new password' });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /Your password is changed/);
      assert.equal((await request(base(), 'GET', '/dashboard', { cookie: a })).status, 200);
      assert.equal((await request(base(), 'GET', '/dashboard', { cookie: b })).status, 401);
      await signIn(base(), me.email, 'a brand new password', freshIp());
      const form = await request(base(), 'GET', '/dashboard/sign-in');
      const old = await request(base(), 'POST', '/dashboard/sign-in', { form: { csrf: csrfIn(form.text), email: me.email, password: me.password }, ip: freshIp() });
      assert.equal(old.status, 401);
      const audit = await request(base(), 'GET', '/dashboard/audit?action=administrator', { cookie: a });
      assert.match(audit.text, /administrator\.password_changed/);
    });

    test('sign-out ends the session; sessions end after 30 idle minutes and 12 hours at most', async () => {
      const clock = server.clock as ManualClock;
      const start = clock.now();
      try {
        const s = await signIn(base(), admin.email, admin.password, freshIp());
        const out = await submit(base(), s, '/dashboard', '/dashboard/sign-out');
        assert.equal(out.status, 200);
        assert.match(out.text, /You are signed out/);
        assert.equal((await request(base(), 'GET', '/dashboard', { cookie: s })).status, 401);

        const idle = await signIn(base(), admin.email, admin.password, freshIp());
        clock.advance(ADMIN_IDLE_LIFETIME - 60);
        assert.equal((await request(base(), 'GET', '/dashboard/account', { cookie: idle })).status, 200);
        clock.advance(ADMIN_IDLE_LIFETIME - 60); // still alive: the last request moved the deadline
        assert.equal((await request(base(), 'GET', '/dashboard/account', { cookie: idle })).status, 200);
        clock.advance(ADMIN_IDLE_LIFETIME + 1);
        assert.equal((await request(base(), 'GET', '/dashboard/account', { cookie: idle })).status, 401);

        const busy = await signIn(base(), admin.email, admin.password, freshIp());
        const t0 = clock.now();
        while (clock.now() + 20 * 60 < t0 + ADMIN_MAX_LIFETIME) {
          clock.advance(20 * 60);
          assert.equal((await request(base(), 'GET', '/dashboard/account', { cookie: busy })).status, 200);
        }
        clock.set(t0 + ADMIN_MAX_LIFETIME);
        assert.equal((await request(base(), 'GET', '/dashboard/account', { cookie: busy })).status, 401);
      } finally {
        clock.set(start);
      }
    });
  });
}

if (process.env.DATABASE_URL) {
  describe('rolling a key on PostgreSQL with two processes', () => {
    let storageA: Awaited<ReturnType<typeof openPostgresSchema>>;
    let one: TestServer;
    let two: TestServer;
    before(async () => {
      storageA = await openPostgresSchema(process.env.DATABASE_URL!);
      one = await startTestServer({ storage: storageA });
      // A second process on the same schema: its own pool, listener and key object.
      const url = (storageA.pool as unknown as { options: { connectionString: string } }).options.connectionString;
      const { openStorage } = await import('../src/storage/database.ts');
      const storageB = await openStorage({ kind: 'postgres', url });
      const b = await startTestServer({ storage: storageB, clock: one.clock });
      two = { ...b, close: async () => { await b.close(); await storageB.close(); } };
      // Behind a load balancer both processes have one public URL; the forms' Origin check compares
      // with it. In one test process the URL is a global that each start sets: give it back to `one`.
      const { setPublicBaseUrl } = await import('../src/lib/public-url.ts');
      setPublicBaseUrl(one.url);
    });
    after(async () => {
      await two?.close();
      await one?.close();
      await storageA?.close();
    });

    test('the old key is refused by both processes once one rolls it', async () => {
      const admin = await makeAdmin(one);
      const cookie = await signIn(one.url, admin.email, admin.password);
      const old = one.portico.keys.testSecretKey;
      assert.equal(two.portico.keys.testSecretKey, old);
      const res = await submit(one.url, cookie, '/dashboard/developers/keys', '/dashboard/developers/keys/roll');
      assert.equal(res.status, 200);
      const fresh = /class="secret">(sk_test_[A-Za-z0-9]+)</.exec(res.text)![1]!;
      const sdk = (server: TestServer, key: string) => new Stripe(key, { host: '127.0.0.1', port: server.port, protocol: 'http', maxNetworkRetries: 0 });
      await assert.rejects(sdk(one, old).customers.list(), (e: any) => e.statusCode === 401);
      await sdk(one, fresh).customers.list();
      // The other process hears the NOTIFY (a dedicated connection): give it a moment on a busy machine.
      const deadline = Date.now() + 10_000;
      while (two.portico.keys.testSecretKey !== fresh && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await assert.rejects(sdk(two, old).customers.list(), (e: any) => e.statusCode === 401);
      await sdk(two, fresh).customers.list();
    });

    test('after a key roll, forms signed by one process post in another, and in one started after the roll', async () => {
      const admin = await makeAdmin(one);
      const cookie = await signIn(one.url, admin.email, admin.password);
      // Process two rolls the key (both share one public URL, the Origin a browser would send).
      const keysPage = await request(two.url, 'GET', '/dashboard/developers/keys', { cookie });
      const rolled = await request(two.url, 'POST', '/dashboard/developers/keys/roll', { cookie, form: { csrf: csrfIn(keysPage.text) }, origin: one.url });
      assert.equal(rolled.status, 200);
      const fresh = /class="secret">(sk_test_[A-Za-z0-9]+)</.exec(rolled.text)![1]!;
      const deadline = Date.now() + 10_000;
      while (one.portico.keys.testSecretKey !== fresh && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(one.portico.keys.testSecretKey, fresh);
      const api = new Stripe(fresh, { host: '127.0.0.1', port: one.port, protocol: 'http', maxNetworkRetries: 0 });
      // A process started after the roll (a restart): it has only ever known the new keys.
      const url = (storageA.pool as unknown as { options: { connectionString: string } }).options.connectionString;
      const { openStorage } = await import('../src/storage/database.ts');
      const storageC = await openStorage({ kind: 'postgres', url });
      const three = await startTestServer({ storage: storageC, clock: one.clock });
      const { setPublicBaseUrl } = await import('../src/lib/public-url.ts');
      setPublicBaseUrl(one.url);
      try {
        const headline = (n: number) => ({ 'business_profile[headline]': `Across processes ${n}`, 'features[invoice_history][enabled]': 'true' });
        const conf = (await api.billingPortal.configurations.list()).data[0]!.id;
        const path = `/dashboard/portal/${conf}`;
        let n = 0;
        for (const [from, to] of [[one, two], [two, one], [one, three], [three, two]] as const) {
          const token = csrfIn((await request(from.url, 'GET', path, { cookie })).text);
          const res = await request(to.url, 'POST', path, { cookie, form: { ...headline(++n), csrf: token }, origin: one.url });
          assert.equal(res.status, 303, `form from ${from.url} posted to ${to.url}: ${res.text.slice(0, 300)}`);
          assert.equal((await api.billingPortal.configurations.retrieve(conf)).business_profile.headline, `Across processes ${n}`);
        }
        // The sign-in form too: its token comes from one process, the post goes to the restarted one.
        const form = await request(one.url, 'GET', '/dashboard/sign-in');
        const res = await request(three.url, 'POST', '/dashboard/sign-in', { form: { csrf: csrfIn(form.text), email: admin.email, password: admin.password }, origin: one.url });
        assert.equal(res.status, 303);
        // And the checks still hold across processes: another session's token, or none, is refused.
        const other = await signIn(one.url, admin.email, admin.password);
        const otherToken = csrfIn((await request(one.url, 'GET', path, { cookie: other })).text);
        for (const form of [{ ...headline(99), csrf: otherToken }, headline(99)]) {
          const refused = await request(three.url, 'POST', path, { cookie, form, origin: one.url });
          assert.equal(refused.status, 403);
        }
        assert.equal((await api.billingPortal.configurations.retrieve(conf)).business_profile.headline, `Across processes ${n}`);
      } finally {
        await three.close();
        await storageC.close();
      }
    });
  });
}
