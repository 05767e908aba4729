/**
 * The way into the portal, with `fetch` and a cookie jar: the session URL's token is exchanged for an
 * httpOnly cookie and a redirect to the home page, which shows the customer's subscriptions and
 * invoices; the cookie never appears in a URL; without it (or with another session's) no customer data
 * is shown; the three expiry limits (5 min unused, 1 h idle, 2 h at most) hold on the injected clock.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

interface Visit {
  status: number;
  location: string | null;
  setCookie: string | null;
  headers: Headers;
  body: string;
}

for (const db of storageCases()) {
  describe(`portal way in on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    let clock: ManualClock;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
      clock = server.clock as ManualClock;
    });

    async function visit(path: string, cookie?: string): Promise<Visit> {
      const res = await fetch(path.startsWith('http') ? path : `${server.url}${path}`, {
        redirect: 'manual',
        headers: { ...(cookie ? { Cookie: cookie } : {}), 'Accept-Language': 'en-US,en;q=0.8' },
      });
      return {
        status: res.status,
        location: res.headers.get('location'),
        setCookie: res.headers.get('set-cookie'),
        headers: res.headers,
        body: await res.text(),
      };
    }

    /** Opens a session URL as a browser would: follows the redirect, keeping the cookie. */
    async function open(url: string): Promise<{ cookie: string; home: Visit; first: Visit }> {
      const first = await visit(url);
      assert.equal(first.status, 303, first.body);
      assert.ok(first.setCookie, 'a cookie is set');
      const cookie = first.setCookie!.split(';')[0]!;
      const home = await visit(first.location!, cookie);
      return { cookie, home, first };
    }

    async function customerWithPlan(email: string, productName: string, amount: number) {
      const customer = await stripe.customers.create({ email, name: `Customer ${email}` });
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const price = await stripe.prices.create({
        currency: 'usd',
        unit_amount: amount,
        recurring: { interval: 'month' },
        product_data: { name: productName },
      });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 2 }] });
      return { customer, sub };
    }

    async function config(extra: Partial<Stripe.BillingPortal.ConfigurationCreateParams> = {}) {
      return stripe.billingPortal.configurations.create({
        business_profile: { headline: 'Acme keeps your billing simple' },
        features: { invoice_history: { enabled: true } },
        ...extra,
      });
    }

    test('the token becomes an httpOnly cookie; the home page shows subscriptions and invoices', async () => {
      const { customer, sub } = await customerWithPlan('jenny@example.com', 'Rocket Plan', 1250);
      const cfg = await config();
      const session = await stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: cfg.id,
        return_url: 'https://example.com/account',
      });
      const { cookie, home, first } = await open(session.url);
      assert.equal(first.location, '/p/home');
      const token = session.url.split('/').pop()!;
      const cookieValue = cookie.split('=')[1]!;
      assert.notEqual(cookieValue, token, 'the cookie is not the URL token');
      assert.match(first.setCookie!, /HttpOnly/i);
      assert.match(first.setCookie!, /SameSite=Lax/i);
      assert.match(first.setCookie!, /Path=\/p/);
      assert.ok(!first.location!.includes(cookieValue) && !first.location!.includes(token), 'no secret in the redirect');

      assert.equal(home.status, 200);
      assert.match(home.headers.get('content-security-policy')!, /default-src 'none'/);
      assert.doesNotMatch(home.headers.get('content-security-policy')!, /unsafe-inline/);
      assert.equal(home.headers.get('cache-control'), 'no-store');
      assert.equal(home.headers.get('x-frame-options'), 'DENY');
      assert.match(home.body, /Acme keeps your billing simple/);
      assert.match(home.body, /Rocket Plan/);
      // 2 × $12.50 a month.
      assert.match(home.body, /\$25\.00/);
      assert.match(home.body, new RegExp(`data-subscription="${sub.id}"`));
      assert.match(home.body, /class="badge badge-success"[^>]*>Active</);
      const invoice = (await stripe.invoices.list({ customer: customer.id })).data[0]!;
      assert.ok(invoice.number);
      assert.match(home.body, new RegExp(`data-invoice="${invoice.id}"`));
      assert.match(home.body, new RegExp(invoice.number!));
      assert.match(home.body, /href="https:\/\/example\.com\/account"/);
      // Without PORTICO_BUSINESS_NAME the business is named by its site's host, and the headline stays.
      assert.match(home.body, /Return to example\.com/);
      assert.match(home.body, /class="business-name">example\.com</);
      assert.ok(!/<script/i.test(home.body), 'no script on the page');
      assert.ok(!home.body.includes(cookieValue) && !home.body.includes(token), 'no secret in the page');
    });

    test('without the cookie, with a forged one, or with another session’s, no customer data is shown', async () => {
      const a = await customerWithPlan('alice@example.com', 'Alpha Plan', 1000);
      const b = await customerWithPlan('bob@example.com', 'Beta Plan', 2000);
      const cfg = await config();
      const sa = await stripe.billingPortal.sessions.create({ customer: a.customer.id, configuration: cfg.id, return_url: 'https://example.com' });
      const sb = await stripe.billingPortal.sessions.create({ customer: b.customer.id, configuration: cfg.id, return_url: 'https://example.com' });
      const { cookie: cookieA } = await open(sa.url);
      const { cookie: cookieB, home: homeB } = await open(sb.url);
      assert.match(homeB.body, /Beta Plan/);
      assert.doesNotMatch(homeB.body, /Alpha Plan/);

      const none = await visit('/p/home');
      assert.equal(none.status, 401);
      assert.match(none.body, /expired/i);
      for (const page of [none, await visit('/p/home', 'portico_portal=' + 'x'.repeat(43)), await visit('/p/home', 'portico_portal=garbage')]) {
        assert.doesNotMatch(page.body, /Alpha Plan|Beta Plan|alice@|bob@/);
      }
      // A's link, opened again by another browser (B's cookie), is refused; A's own browser gets back in.
      const replay = await visit(sa.url, cookieB);
      assert.equal(replay.status, 410);
      assert.doesNotMatch(replay.body, /Alpha Plan|Beta Plan/);
      const again = await visit(sa.url, cookieA);
      assert.equal(again.status, 303);
      assert.equal(again.location, '/p/home');
      const replayNoCookie = await visit(sa.url);
      assert.equal(replayNoCookie.status, 410);
      assert.equal(replayNoCookie.setCookie, null, 'a used link never hands out another cookie');
    });

    test('locale: the session locale, else the customer’s preferred locales, else Accept-Language', async () => {
      const { customer } = await customerWithPlan('l@example.com', 'Lingua Plan', 1000);
      const cfg = await config();
      const viaSession = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: cfg.id, locale: 'de', return_url: 'https://example.com' });
      const de = (await open(viaSession.url)).home;
      assert.match(de.body, /<html lang="de"/);
      assert.match(de.body, /Kundenportal/);
      assert.match(de.body, />Aktiv</);
      assert.match(de.body, /20,00\s?\$/, 'German money format');
      await stripe.customers.update(customer.id, { preferred_locales: ['ja-JP', 'en'] });
      const viaCustomer = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: cfg.id, locale: 'auto', return_url: 'https://example.com' });
      const ja = (await open(viaCustomer.url)).home;
      assert.match(ja.body, /<html lang="ja"/);
      assert.match(ja.body, /カスタマーポータル/);
      const expiredDe = await fetch(`${server.url}/p/home`, { headers: { 'Accept-Language': 'fr-CA;q=0.4, de-AT;q=0.9' } });
      assert.match(await expiredDe.text(), /Diese Sitzung ist abgelaufen/);
    });

    test('unknown and malformed tokens show the expired page, never data', async () => {
      for (const path of ['/p/session/' + 'A'.repeat(43), '/p/session/short', '/p/session/%3Cscript%3E', '/p/session/bps_123']) {
        const v = await visit(path);
        assert.equal(v.status, 404, path);
        assert.match(v.body, /expired/i);
        assert.equal(v.setCookie, null);
      }
    });

    test('expiry: 5 minutes if unused', async () => {
      const { customer } = await customerWithPlan('u@example.com', 'Unused Plan', 500);
      const cfg = await config();
      const late = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: cfg.id, return_url: 'https://example.com/back' });
      const onTime = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: cfg.id, return_url: 'https://example.com/back' });
      clock.advance(299);
      assert.equal((await open(onTime.url)).home.status, 200);
      clock.advance(1);
      const v = await visit(late.url);
      assert.equal(v.status, 410);
      assert.match(v.body, /expired/i);
      assert.match(v.body, /href="https:\/\/example\.com\/back"/, 'the expired page offers the way back');
      assert.doesNotMatch(v.body, /Unused Plan/);
    });

    test('expiry: 1 hour after the last activity', async () => {
      const { customer } = await customerWithPlan('i@example.com', 'Idle Plan', 500);
      const cfg = await config();
      const s = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: cfg.id, return_url: 'https://example.com' });
      const { cookie } = await open(s.url);
      clock.advance(3599);
      assert.equal((await visit('/p/home', cookie)).status, 200, 'activity at 59:59 keeps it alive');
      clock.advance(3599);
      assert.equal((await visit('/p/home', cookie)).status, 200, 'and moves the deadline');
      clock.advance(3600);
      const v = await visit('/p/home', cookie);
      assert.equal(v.status, 401);
      assert.doesNotMatch(v.body, /Idle Plan/);
    });

    test('expiry: 2 hours after creation at most, however active', async () => {
      const { customer } = await customerWithPlan('m@example.com', 'Max Plan', 500);
      const cfg = await config();
      const s = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: cfg.id, return_url: 'https://example.com' });
      const { cookie } = await open(s.url);
      for (let t = 0; t < 7200 - 1800; t += 1800) {
        clock.advance(1800);
        assert.equal((await visit('/p/home', cookie)).status, 200);
      }
      clock.advance(1799); // 7199 s after creation
      assert.equal((await visit('/p/home', cookie)).status, 200);
      clock.advance(1);
      assert.equal((await visit('/p/home', cookie)).status, 401);
    });

    test('expired sessions are forgotten a day after they expire', async () => {
      const { customer } = await customerWithPlan('p@example.com', 'Prune Plan', 500);
      const cfg = await config();
      const s = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: cfg.id, return_url: 'https://example.com' });
      const count = async () =>
        (await server.portico.storage.db.selectFrom('portal_sessions').select('id').where('id', '=', s.id).execute()).length;
      clock.advance(300 + 86_400); // expired at +5 min, kept for a day after
      await server.portico.clockWorker!.tick();
      assert.equal(await count(), 1);
      clock.advance(3600);
      await server.portico.clockWorker!.tick();
      assert.equal(await count(), 0);
    });

    test('escaping, invoice history off, and the login link on the expired page when recovery is on', async () => {
      const { customer } = await customerWithPlan('e@example.com', '<img src=x onerror=alert(1)>', 700);
      const cfg = await stripe.billingPortal.configurations.create({
        business_profile: { headline: '<script>alert("x")</script>' },
        features: { invoice_history: { enabled: false } },
        login_page: { enabled: true },
      });
      const s = await stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: cfg.id,
        return_url: 'https://example.com',
        after_expiration: { type: 'customer_login' },
      });
      const { cookie, home } = await open(s.url);
      assert.equal(home.status, 200);
      assert.ok(!home.body.includes('<script>alert'), 'headline escaped');
      assert.ok(home.body.includes('&lt;script&gt;'), 'headline shown as text');
      assert.ok(!home.body.includes('<img src=x'), 'product name escaped');
      assert.doesNotMatch(home.body, /data-invoice=/, 'no invoice history when the feature is off');
      clock.advance(7200);
      const v = await visit('/p/home', cookie);
      assert.equal(v.status, 401);
      assert.ok(v.body.includes(`href="${cfg.login_page.url}"`), 'the expired page offers a new login');
    });
  });
}
