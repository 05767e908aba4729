/**
 * The portal login page (`login_page.url`), on every database, with a real SMTP server: the form and
 * its security headers, the emailed single-use link and the session it makes, expiry by the injected
 * clock, identical answers for unknown addresses (and no email), rate limits per address and per IP,
 * disabling the page, the chooser for a shared address, CSRF and Origin, invalid addresses, escaping,
 * locales. (Without SMTP: portal-login-log.test.ts.)
 *
 * Requests go through node:http from a chosen loopback source address (127.0.0.x), so each test is
 * its own client IP for the per-IP limit.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import type { ManualClock } from '../src/lib/clock.ts';
import { setPublicBaseUrl } from '../src/lib/public-url.ts';
import type { Storage } from '../src/storage/database.ts';
import { LINK, csrfOf, freshIp, pathOf, send, useLink } from './support/login-client.ts';
import { startMailCatcher, type MailCatcher } from './support/mail-catcher.ts';
import { storageCases } from './support/storages.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const HOSTILE = '<script>alert("x")</script> & <b>Acme</b>';

for (const db of storageCases()) {
  describe(`portal login page on ${db.name}`, () => {
    let storage: Storage;
    let mail: MailCatcher;
    let server: TestServer;
    let stripe: Stripe;
    let clock: ManualClock;
    let start: number;
    const warnings: string[] = [];
    before(async () => {
      storage = await db.open();
      mail = await startMailCatcher();
      server = await startTestServer({ storage, config: { smtpUrl: mail.url }, logWarning: (line) => warnings.push(line) });
      stripe = server.stripe;
      clock = server.clock as ManualClock;
      start = clock.now();
    });
    after(async () => {
      await server?.close();
      await storage?.close();
      await mail?.close();
    });
    afterEach(() => clock.set(start));

    const http = (method: string, path: string, opts: Parameters<typeof send>[3] = {}) => send(server.url, method, path, opts);
    const settled = () => server.portico.login!.settled();
    async function loginPage(extra: Partial<Stripe.BillingPortal.ConfigurationCreateParams> = {}) {
      const config = await stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        login_page: { enabled: true },
        ...extra,
      });
      assert.ok(config.login_page.url, 'login_page.url is set');
      return { config, path: pathOf(config.login_page.url) };
    }
    /** GETs the form, then POSTs `email` with its CSRF token, as a browser on this origin would. */
    async function submit(path: string, email: string, ip: string, headers: Record<string, string> = { Origin: server.url }) {
      const page = await http('GET', path, { ip });
      assert.equal(page.status, 200);
      return http('POST', path, { ip, form: { csrf: csrfOf(page.body), email }, headers });
    }
    /** Requests a link for `email` and returns it from the message that arrived. */
    async function emailedLink(path: string, email: string): Promise<string> {
      const before = mail.messages.length;
      const res = await submit(path, email, freshIp());
      assert.equal(res.status, 200, res.body);
      await settled();
      assert.equal(mail.messages.length, before + 1, 'one email arrived');
      const text = mail.messages.at(-1)!.parsed.text ?? '';
      return LINK.exec(text)?.[1] ?? assert.fail(`no link in ${text}`);
    }
    async function sessionEvents(): Promise<any[]> {
      const rows = await storage.db.selectFrom('events').select('data').where('type', '=', 'billing_portal.session.created').orderBy('seq').execute();
      return rows.map((r) => r.data.data.object);
    }

    test('the page: the form with a CSRF token, the business headline escaped, strict headers', async () => {
      const { path } = await loginPage({ business_profile: { headline: HOSTILE } });
      const res = await http('GET', path);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.match(String(res.headers['cache-control']), /no-store/);
      assert.match(res.body, /<label for="email">/);
      assert.match(res.body, /<input[^>]*type="email"[^>]*autocomplete="email"/);
      assert.match(res.body, /<form method="post" action="\/p\/login\/[A-Za-z0-9_-]{43}"/);
      assert.ok(csrfOf(res.body).length >= 32);
      assert.ok(!res.body.includes('<script>') && !res.body.includes('<b>Acme'), 'the headline is not markup');
      assert.ok(res.body.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Acme&lt;/b&gt;'));
      assert.doesNotMatch(res.body, /<script|style=/);
    });

    test('a known email gets a single-use link that opens a portal session for that customer', async () => {
      const { config, path } = await loginPage({ business_profile: { headline: HOSTILE } });
      const customer = await stripe.customers.create({ email: 'Jenny.Rosen@example.com', name: 'Jenny Rosen' });
      const link = await emailedLink(path, '  jenny.rosen@EXAMPLE.com ');
      const message = mail.messages.at(-1)!;
      assert.deepEqual(message.to, ['Jenny.Rosen@example.com']);
      assert.equal(message.from, 'no-reply@localhost', 'the default From (the public URL is an IP)');
      assert.ok(message.parsed.html && message.parsed.html.includes(link), 'the HTML part carries the link');
      assert.ok(!String(message.parsed.html).includes('<script>'), 'the headline is escaped in the HTML part');
      assert.ok(link.startsWith(`${server.url}${path}/verify/`));

      const sessionsBefore = (await sessionEvents()).length;
      assert.equal((await http('HEAD', pathOf(link))).status, 200, 'a HEAD (link checkers) does not use the link');
      // Opening the link (a mail scanner or a preview does the same) shows the account and uses nothing.
      for (let i = 0; i < 2; i++) {
        const shown = await http('GET', pathOf(link));
        assert.equal(shown.status, 200);
        assert.match(shown.body, /<h1[^>]*>Billing portal<\/h1>/);
        assert.ok(shown.body.includes('Jenny Rosen') && shown.body.includes(`value="${customer.id}"`));
        assert.match(shown.body, /<form method="post" action="[^"]+\/verify\/[A-Za-z0-9_-]{43}"/);
        assert.match(shown.body, />\s*Open billing portal\s*</);
        assert.doesNotMatch(shown.body, /Several accounts use this email/);
      }
      assert.equal((await sessionEvents()).length, sessionsBefore, 'no session yet');
      const opened = await useLink(server.url, pathOf(link));
      assert.equal(opened.status, 303);
      assert.match(String(opened.headers.location), new RegExp(`^${server.url}/p/session/[A-Za-z0-9_-]{43}$`));
      // The session URL is a real one: it opens the portal (cookie exchange, then the home page).
      const entered = await send(String(opened.headers.location), 'GET', String(opened.headers.location));
      assert.equal(entered.status, 303);
      assert.ok(entered.headers['set-cookie'], 'the session was exchanged for a cookie');
      const sessions = await sessionEvents();
      assert.equal(sessions.length, sessionsBefore + 1);
      const session = sessions.at(-1)!;
      assert.equal(session.customer, customer.id);
      assert.equal(session.configuration, config.id);
      assert.equal(session.return_url, config.login_page.url, 'no default_return_url: back to the login page');
      const row = await storage.db.selectFrom('portal_login_links').selectAll().where('session', '=', session.id).executeTakeFirstOrThrow();
      assert.equal(row.used_at, clock.now());
      const secret = link.split('/').pop()!;
      assert.equal(row.secret_hash, createHash('sha256').update(secret).digest('hex'), 'only the hash is stored');
      assert.ok(!JSON.stringify(row).includes(secret));

      const again = await http('GET', pathOf(link));
      assert.equal(again.status, 410);
      assert.match(again.body, /This link is no longer valid/);
      assert.ok(again.body.includes(`href="${path}"`), 'offers a new link');
      assert.equal((await sessionEvents()).length, sessionsBefore + 1, 'no second session');
    });

    test('three presses at once on one link make one session', async () => {
      const { path } = await loginPage();
      await stripe.customers.create({ email: 'race@example.com' });
      const link = await emailedLink(path, 'race@example.com');
      const before = (await sessionEvents()).length;
      const statuses = (await Promise.all([1, 2, 3].map(() => useLink(server.url, pathOf(link))))).map((r) => r.status).sort();
      assert.deepEqual(statuses, [303, 410, 410]);
      assert.equal((await sessionEvents()).length, before + 1);
    });

    test('the session returns to default_return_url when the configuration has one', async () => {
      const { path } = await loginPage({ default_return_url: 'https://example.com/account' });
      const customer = await stripe.customers.create({ email: 'ret@example.com' });
      const opened = await useLink(server.url, pathOf(await emailedLink(path, 'ret@example.com')));
      assert.equal(opened.status, 303);
      const session = (await sessionEvents()).at(-1)!;
      assert.equal(session.customer, customer.id);
      assert.equal(session.return_url, 'https://example.com/account');
    });

    test('a link works until 10 minutes after it was sent, by the injected clock', async () => {
      const { path } = await loginPage();
      await stripe.customers.create({ email: 'clock@example.com' });
      const early = await emailedLink(path, 'clock@example.com');
      const late = await emailedLink(path, 'clock@example.com');
      clock.advance(10 * 60 - 1);
      assert.equal((await useLink(server.url, pathOf(early))).status, 303);
      clock.advance(2); // 10 min + 1 s after sending
      const expired = await http('GET', pathOf(late));
      assert.equal(expired.status, 410);
      assert.match(expired.body, /no longer valid/);
    });

    test('an unknown or deleted customer\'s email gets the same answer and no email', async () => {
      const { path } = await loginPage();
      await stripe.customers.create({ email: 'known@example.com' });
      const gone = await stripe.customers.create({ email: 'gone@example.com' });
      await stripe.customers.del(gone.id);
      const live = await server.live.customers.create({ email: 'live-only@example.com' });
      assert.ok(live.livemode);
      const count = mail.messages.length;
      const known = await submit(path, 'known@example.com', freshIp());
      await settled();
      assert.equal(mail.messages.length, count + 1);
      for (const email of ['nobody@example.com', 'gone@example.com', 'live-only@example.com']) {
        const other = await submit(path, email, freshIp());
        assert.equal(other.status, known.status, email);
        assert.equal(other.body, known.body, email);
        await settled();
        assert.equal(mail.messages.length, count + 1, `no email for ${email}`);
      }
      assert.match(known.body, /If an account matches that email/);
      assert.ok(!known.body.includes('known@example.com'), 'the answer does not repeat the address');
    });

    test('an email the SMTP server refuses changes nothing on the page and is logged masked', async () => {
      const { path } = await loginPage();
      await stripe.customers.create({ email: 'bounce@example.com' });
      mail.refuse.add('bounce@example.com');
      const known = await submit(path, 'bounce@example.com', freshIp());
      const unknown = await submit(path, 'nobody-at-all@example.com', freshIp());
      assert.equal(known.status, 200);
      assert.equal(known.body, unknown.body);
      const count = warnings.length;
      await settled();
      const logged = warnings.slice(count);
      assert.equal(logged.length, 1, logged.join('\n'));
      assert.match(logged[0]!, /login email for b•••@example\.com failed/);
      assert.ok(!logged[0]!.includes('bounce@example.com'), logged[0]);
    });

    test('at most 5 requests per address and 20 per IP in 15 minutes, then 429', async () => {
      const { path } = await loginPage();
      for (let i = 0; i < 5; i++) assert.equal((await submit(path, 'Limited@example.com', freshIp())).status, 200);
      const sixth = await submit(path, 'limited@EXAMPLE.com', freshIp());
      assert.equal(sixth.status, 429, 'per address, whatever the case and the IP');
      assert.match(sixth.body, /Too many attempts/);
      assert.ok(Number(sixth.headers['retry-after']) > 0);

      const ip = freshIp();
      for (let i = 0; i < 20; i++) assert.equal((await submit(path, `ip${i}@example.com`, ip)).status, 200, `attempt ${i + 1}`);
      assert.equal((await submit(path, 'ip20@example.com', ip)).status, 429, 'per IP');
      assert.equal((await submit(path, 'ip21@example.com', freshIp())).status, 200, 'another IP is not limited');
      await settled();
      if (storage.kind === 'postgres') {
        const rows = await storage.db.selectFrom('portal_login_rate_limits').select('key').execute();
        assert.ok(rows.length > 0, 'counted in the shared table');
        assert.ok(rows.every((r) => !r.key.includes('@') && !r.key.includes('127.0.0.')), 'keys are hashes');
      }
    });

    // PGlite admits one process (its lock file), so only PostgreSQL has several to share the limits.
    if (db.name === 'postgres') test('on PostgreSQL the limits are shared by every API process', async () => {
      const { path } = await loginPage();
      const other = await startTestServer({ storage, clock, config: { smtpUrl: mail.url } });
      // Behind a load balancer both processes have one public URL, which the forms' Origin check
      // compares with; in one test process it is a global each start sets: give it back to `server`.
      setPublicBaseUrl(server.url);
      try {
        for (let i = 0; i < 3; i++) assert.equal((await submit(path, 'shared-limit@example.com', freshIp())).status, 200);
        const page = await send(other.url, 'GET', path);
        const post = (ip: string) => send(other.url, 'POST', path, { ip, form: { csrf: csrfOf(page.body), email: 'shared-limit@example.com' }, headers: { Origin: server.url } });
        assert.equal((await post(freshIp())).status, 200);
        assert.equal((await post(freshIp())).status, 200);
        assert.equal((await post(freshIp())).status, 429, 'the 6th attempt, on the second process');
      } finally {
        await other.portico.login!.settled();
        await other.close();
      }
    });

    test('disabling the login page kills its URL and its links; enabling again gives a new URL', async () => {
      const { config, path } = await loginPage();
      await stripe.customers.create({ email: 'toggle@example.com' });
      const link = await emailedLink(path, 'toggle@example.com');
      const off = await stripe.billingPortal.configurations.update(config.id, { login_page: { enabled: false } });
      assert.equal(off.login_page.url, null);
      const dead = await http('GET', path);
      assert.equal(dead.status, 404);
      assert.match(dead.body, /Page not found/);
      assert.equal((await http('GET', pathOf(link))).status, 404);
      const on = await stripe.billingPortal.configurations.update(config.id, { login_page: { enabled: true } });
      assert.ok(on.login_page.url && on.login_page.url !== config.login_page.url);
      assert.equal((await http('GET', pathOf(on.login_page.url))).status, 200);
      assert.equal((await http('GET', path)).status, 404, 'the old URL stays dead');
      const paused = await stripe.billingPortal.configurations.update(config.id, { active: false });
      assert.equal((await http('GET', pathOf(paused.login_page.url!))).status, 404, 'an inactive configuration has no login page');
      await stripe.billingPortal.configurations.update(config.id, { active: true });
      assert.equal((await http('GET', pathOf(paused.login_page.url!))).status, 200);
      assert.equal((await http('GET', `/p/login/${'A'.repeat(43)}`)).status, 404);
      assert.equal((await http('GET', '/p/login/short')).status, 404);
    });

    test('customers sharing an email choose an account after the link is verified', async () => {
      const { path } = await loginPage();
      const first = await stripe.customers.create({ email: 'team@example.com', name: 'Team One' });
      const second = await stripe.customers.create({ email: 'TEAM@example.com', name: 'Team Two' });
      const stranger = await stripe.customers.create({ email: 'stranger@example.com', name: 'Stranger' });
      const link = await emailedLink(path, 'team@example.com');
      const chooser = await http('GET', pathOf(link));
      assert.equal(chooser.status, 200);
      assert.match(chooser.body, /Choose an account/);
      for (const c of [first, second]) {
        assert.ok(chooser.body.includes(`value="${c.id}"`), `lists ${c.id}`);
        assert.ok(chooser.body.includes(c.name!));
      }
      assert.ok(!chooser.body.includes(stranger.id) && !chooser.body.includes('Stranger'));
      const csrf = csrfOf(chooser.body);
      const sessions = (await sessionEvents()).length;
      const choose = (form: Record<string, string>, headers: Record<string, string> = { Origin: server.url }) =>
        http('POST', pathOf(link), { form, headers });
      assert.equal((await choose({ customer: second.id })).status, 403, 'CSRF missing');
      assert.equal((await choose({ csrf: 'x'.repeat(43), customer: second.id })).status, 403, 'CSRF wrong');
      assert.equal((await choose({ csrf, customer: stranger.id })).status, 410, 'not one of the link\'s customers');
      const chosen = await choose({ csrf, customer: second.id });
      assert.equal(chosen.status, 303, chosen.body);
      assert.match(String(chosen.headers.location), /\/p\/session\/[A-Za-z0-9_-]{43}$/);
      const made = await sessionEvents();
      assert.equal(made.length, sessions + 1);
      assert.equal(made.at(-1)!.customer, second.id);
      assert.equal((await choose({ csrf, customer: first.id })).status, 410, 'the link is used');
      assert.equal((await http('GET', pathOf(link))).status, 410);
    });

    test('CSRF and Origin are checked; an invalid address is a 400 page with the message', async () => {
      const { path } = await loginPage();
      const ip = freshIp();
      const page = await http('GET', path, { ip });
      const csrf = csrfOf(page.body);
      const post = (form: Record<string, string>, headers: Record<string, string> = { Origin: server.url }) =>
        http('POST', path, { ip, form, headers });
      assert.equal((await post({ email: 'a@example.com' })).status, 403, 'no CSRF token');
      assert.equal((await post({ csrf: `${csrf.slice(0, -2)}xx`, email: 'a@example.com' })).status, 403, 'wrong token');
      assert.equal((await post({ csrf, email: 'a@example.com' }, { Origin: 'https://evil.example' })).status, 403, 'other origin');
      assert.equal((await post({ csrf, email: 'a@example.com' }, {})).status, 403, 'no Origin, not same-origin');
      assert.equal((await post({ csrf, email: 'a@example.com' }, { 'Sec-Fetch-Site': 'same-origin' })).status, 200);
      for (const bad of ['not-an-email', '', 'two words@example.com', `${'x'.repeat(510)}@e.com`]) {
        const res = await post({ csrf, email: bad });
        assert.equal(res.status, 400, bad);
        assert.match(res.body, /Enter a valid email address\./);
        assert.match(res.body, /aria-invalid="true"/);
      }
      const hostile = await post({ csrf, email: '"><script>x</script>' });
      assert.equal(hostile.status, 400);
      assert.ok(!hostile.body.includes('<script>x') && hostile.body.includes('&quot;&gt;&lt;script&gt;'));
      const malformed = await http('POST', path, {
        ip,
        headers: { Origin: server.url, 'Content-Type': 'application/x-www-form-urlencoded' },
        form: undefined,
      });
      assert.equal(malformed.status, 403, 'an empty body has no token');
      assert.equal((await http('POST', `/p/login/${'B'.repeat(43)}`, { form: { csrf, email: 'a@example.com' } })).status, 404);
      const huge = await post({ csrf, email: 'a@example.com', pad: 'x'.repeat(20_000) });
      assert.equal(huge.status, 413, 'bodies are capped');
      assert.equal(huge.headers['connection'], 'close', 'the unread rest of the body closes the connection');
    });

    test('pages follow Accept-Language; the email follows the customer\'s preferred locale', async () => {
      const { path } = await loginPage();
      const de = { 'Accept-Language': 'de-AT,de;q=0.9,en;q=0.5' };
      const page = await http('GET', path, { headers: de });
      assert.match(page.body, /<html lang="de"/);
      assert.ok(page.body.includes('Geben Sie Ihre E-Mail-Adresse ein'));
      const ip = freshIp();
      const post = (email: string) => http('POST', path, { ip, form: { csrf: csrfOf(page.body), email }, headers: { ...de, Origin: server.url } });
      const invalid = await post('kein-email');
      assert.equal(invalid.status, 400);
      assert.ok(invalid.body.includes('Geben Sie eine gültige E-Mail-Adresse ein.'));
      await stripe.customers.create({ email: 'marie@example.com', preferred_locales: ['fr-FR'] });
      const count = mail.messages.length;
      const sent = await post('marie@example.com');
      assert.equal(sent.status, 200);
      assert.ok(sent.body.includes('Falls ein Konto zu dieser E-Mail-Adresse gehört'), sent.body);
      await settled();
      assert.equal(mail.messages.length, count + 1);
      const message = mail.messages.at(-1)!.parsed;
      assert.match(message.subject ?? '', /^Votre lien vers le portail client de /);
      assert.ok(String(message.html).includes('Ouvrir le portail client'));
      assert.match(message.text ?? '', LINK);
      for (let i = 0; i < 4; i++) await post('marie@example.com');
      const limited = await post('marie@example.com');
      assert.equal(limited.status, 429);
      assert.ok(limited.body.includes('Zu viele Versuche'));
    });
  });
}
