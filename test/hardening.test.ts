/**
 * Issue 12's smaller holes, on every database, each as an attacker or a careless client would try it:
 * concurrent pays of one hosted invoice (item 5), HEAD and link previewers on a session URL (6), HSTS
 * under an https public URL (7), the invoice page's notice from the invoice's state (8), a malformed
 * body to the pay form (9), the Origin check against the public URL rather than `Host` (10), random
 * request ids (11), `expand[]` of prototype names (12), and strict `Authorization` parsing (13).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { publicBaseUrl, setPublicBaseUrl } from '../src/lib/public-url.ts';
import { csrfOf, pathOf, send } from './support/login-client.ts';
import { storageCases } from './support/storages.ts';
import { rawRequest, type TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';

const TOKEN_URL = /\/i\/([A-Za-z0-9_-]{43})$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

for (const db of storageCases()) {
  describe(`hardening (issue 12) on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    const http = (method: string, path: string, opts: Parameters<typeof send>[3] = {}) => send(server.url, method, path, opts);

    async function openInvoice(amount: number, pm?: string): Promise<{ invoice: Stripe.Invoice; token: string }> {
      const customer = await stripe.customers.create({ email: 'jenny@example.com' });
      if (pm) {
        const attached = await stripe.paymentMethods.attach(pm, { customer: customer.id });
        await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
      }
      await stripe.invoiceItems.create({ customer: customer.id, amount, currency: 'usd', description: 'Consulting' });
      const draft = await stripe.invoices.create({
        customer: customer.id,
        pending_invoice_items_behavior: 'include',
        collection_method: 'send_invoice',
        days_until_due: 30,
      });
      const invoice = await stripe.invoices.finalizeInvoice(draft.id);
      return { invoice, token: TOKEN_URL.exec(invoice.hosted_invoice_url ?? '')![1]! };
    }
    const invoiceCsrf = async (token: string) => csrfOf((await http('GET', `/i/${token}`)).body);
    const payForm = (token: string, csrf: string, headers: Record<string, string> = { Origin: server.url }) =>
      http('POST', `/i/${token}/pay`, { form: { csrf }, headers });

    test('item 5: ten concurrent pays of one invoice charge once and all answer "paid"', async () => {
      const { invoice, token } = await openInvoice(4200, 'pm_card_visa');
      const csrf = await invoiceCsrf(token);
      const answers = await Promise.all(Array.from({ length: 10 }, () => payForm(token, csrf)));
      assert.deepEqual(
        answers.map((a) => [a.status, a.headers.location]),
        Array.from({ length: 10 }, () => [303, `/i/${token}?payment=succeeded`]),
      );
      const paid = await stripe.invoices.retrieve(invoice.id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_paid, 4200);
      assert.equal(paid.attempt_count, 1, 'charged once');
      const events = await stripe.events.list({ type: 'invoice.paid', limit: 100 });
      assert.equal(events.data.filter((e) => (e.data.object as Stripe.Invoice).id === invoice.id).length, 1);
    });

    test('item 6: HEAD and link previewers leave a portal session URL unused and get no cookie', async () => {
      const customer = await stripe.customers.create({ email: 'preview@example.com' });
      const session = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://example.com/account' });
      const path = pathOf(session.url);
      const head = await http('HEAD', path);
      assert.equal(head.headers['set-cookie'], undefined, 'HEAD gets no cookie');
      assert.equal(head.status, 200);
      for (const agent of [
        'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
        'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
        'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
        'WhatsApp/2.23.20.0',
        'TelegramBot (like TwitterBot)',
      ]) {
        const preview = await http('GET', path, { headers: { 'User-Agent': agent } });
        assert.equal(preview.headers['set-cookie'], undefined, `${agent} gets no cookie`);
        assert.equal(preview.status, 200, agent);
      }
      // The customer's browser still opens it, once.
      const open = await http('GET', path, { headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0' } });
      assert.equal(open.status, 303);
      assert.ok(String(open.headers['set-cookie']).includes('portico_portal='));
      const again = await http('HEAD', path);
      assert.equal(again.status, 410, 'HEAD reports a used link as GET would');
      const unknown = await http('HEAD', `/p/session/${'A'.repeat(43)}`);
      assert.equal(unknown.status, 404);
    });

    test('item 7: Strict-Transport-Security on every response when the public URL is https, never on http', async () => {
      const { token } = await openInvoice(100);
      const paths = ['/healthz', '/v1/customers', `/i/${token}`, '/p/home', '/nowhere'];
      for (const p of paths) assert.equal((await http('GET', p)).headers['strict-transport-security'], undefined, p);
      const before = publicBaseUrl();
      setPublicBaseUrl('https://billing.example.com');
      try {
        for (const p of paths) {
          const res = await http('GET', p);
          assert.equal(res.headers['strict-transport-security'], 'max-age=31536000', `${p} (${res.status})`);
        }
      } finally {
        setPublicBaseUrl(before);
      }
    });

    test('item 8: the invoice page says "payment received" only when the invoice is paid', async () => {
      const { invoice, token } = await openInvoice(700, 'pm_card_visa');
      const open = await http('GET', `/i/${token}?payment=succeeded`);
      assert.equal(open.status, 200);
      assert.ok(!open.body.includes('Your payment was received'), 'an open invoice is not thanked for');
      assert.ok(open.body.includes('name="csrf"'), 'still payable');
      await payForm(token, await invoiceCsrf(token));
      assert.equal((await stripe.invoices.retrieve(invoice.id)).status, 'paid');
      const paid = await http('GET', `/i/${token}?payment=succeeded`);
      assert.ok(paid.body.includes('Your payment was received'));
      const declined = await http('GET', `/i/${token}?payment=declined`);
      assert.ok(!/declined/i.test(declined.body), 'a paid invoice shows no decline');
    });

    test('item 9: a malformed body to the pay form is a 400, and a cross-site one a 403 before it is read', async () => {
      const { invoice, token } = await openInvoice(900, 'pm_card_visa');
      const multipart = (headers: Record<string, string>) =>
        http('POST', `/i/${token}/pay`, {
          headers: { 'Content-Type': 'multipart/form-data; boundary=zzz', ...headers },
          body: '--zzz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nabc\r\n--yyy--garbage',
        });
      const bad = await multipart({ Origin: server.url });
      assert.equal(bad.status, 400);
      assert.ok(!bad.body.includes(' at '), 'no stack trace');
      assert.equal((await multipart({ Origin: 'https://evil.example' })).status, 403);
      const notUtf8 = await http('POST', `/i/${token}/pay`, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
        body: Buffer.from([0x63, 0x73, 0x72, 0x66, 0x3d, 0xff, 0xfe]),
      });
      assert.equal(notUtf8.status, 400);
      assert.equal((await stripe.invoices.retrieve(invoice.id)).status, 'open');
    });

    test('item 10: the Origin check compares with the public URL, not with the Host header', async () => {
      const { invoice, token } = await openInvoice(1100, 'pm_card_visa');
      const csrf = await invoiceCsrf(token);
      const spoofed = await payForm(token, csrf, { Host: 'evil.example', Origin: 'http://evil.example' });
      assert.equal(spoofed.status, 403);
      assert.equal((await stripe.invoices.retrieve(invoice.id)).status, 'open');

      const config = await stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        login_page: { enabled: true },
      });
      const loginPath = pathOf(config.login_page.url!);
      const form = await http('GET', loginPath);
      const login = await http('POST', loginPath, {
        form: { csrf: csrfOf(form.body), email: 'jenny@example.com' },
        headers: { Host: 'evil.example', Origin: 'http://evil.example' },
      });
      assert.equal(login.status, 403);
      // The public URL's own origin still passes.
      assert.equal((await payForm(token, csrf)).status, 303);
    });

    test('item 11: request ids are random, not a counter', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await rawRequest(server, 'GET', '/v1/customers?limit=1')).headers.get('request-id')!);
      for (const id of ids) assert.match(id, /^req_[0-9A-Za-z]{14}$/);
      const value = (id: string) => [...id.slice(4, 12)].reduce((n, ch) => n * 62 + BASE62.indexOf(ch), 0);
      const steps = ids.slice(1).map((id, i) => value(id) - value(ids[i]!));
      // A counter moves by a small positive step each time; random heads jump both ways by ~62^8/3.
      assert.ok(steps.filter((s) => s > 0 && s < 1_000_000).length < 5, `steps: ${steps.join(' ')}`);
    });

    test('item 12: expand[] accepts only declared fields; prototype names are a 400', async () => {
      const customer = await stripe.customers.create({ email: 'proto@example.com' });
      for (const path of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
        const res = await rawRequest(server, 'GET', `/v1/customers/${customer.id}?expand[]=${path}`);
        assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.json)}`);
        assert.equal(res.json.error.type, 'invalid_request_error');
        assert.equal(res.json.error.param, 'expand');
        assert.equal(res.json.error.message, `This property cannot be expanded (${path}).`);
      }
      const list = await rawRequest(server, 'GET', '/v1/customers?limit=3&expand[]=data.constructor');
      assert.equal(list.status, 400, JSON.stringify(list.json));
      const empty = await rawRequest(server, 'GET', '/v1/customers?email=nobody@example.com&expand[]=data.toString');
      assert.equal(empty.status, 400, 'an empty list checks the path too');
      // Declared fields still expand.
      const ok = await rawRequest(server, 'GET', `/v1/customers?limit=1&expand[]=data.default_source`);
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
    });

    test('item 13: the Authorization header is parsed strictly', async () => {
      const key = server.portico.keys.testSecretKey;
      const auth = (value: string) => rawRequest(server, 'GET', '/v1/customers?limit=1', undefined, { Authorization: value });
      assert.equal((await auth(`Bearer ${key}`)).status, 200);
      assert.equal((await auth(`bearer ${key}`)).status, 200);
      assert.equal((await auth(`Basic ${Buffer.from(`${key}:`).toString('base64')}`)).status, 200);
      for (const bad of [
        `Bearer ${key} junk`,
        `Bearer ${key},junk`,
        `Bearer`,
        `Token ${key}`,
        `${key}`,
        `Basic ${Buffer.from(key).toString('base64')}`,
        `Basic ${Buffer.from(`${key}:`).toString('base64')} more`,
        `Basic not*base64`,
      ]) {
        const res = await auth(bad);
        assert.equal(res.status, 401, bad);
        assert.equal(res.json.error.type, 'invalid_request_error');
        assert.ok(!JSON.stringify(res.json).includes(key), 'the header is never echoed');
      }
    });
  });
}
