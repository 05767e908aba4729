/**
 * The layout through `app.request()`: security headers, `lang`, escaping of merchant-controlled text,
 * URL filtering, the stylesheet route, and compression (also over a real @hono/node-server socket).
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { jsx } from 'hono/jsx';
import { Notice, Section } from './components.tsx';
import { mountPortalFoundation } from './http/routes.ts';
import { PORTAL_CSP } from './http/security.ts';
import { negotiateLocale } from './i18n/negotiate.ts';
import { portalMessages } from './i18n/index.ts';
import { PortalLayout, businessInfo, renderPortalPage, type BusinessInfo } from './layout.tsx';
import { buildTheme } from './theme.ts';
import { PORTAL_CSS } from './portal-css.ts';

function sampleApp(business: BusinessInfo, returnUrl: string | null = 'https://acme.example/account') {
  const app = new Hono();
  mountPortalFoundation(app);
  app.get('/p/sample', async (c) => {
    const locale = negotiateLocale({ acceptLanguage: c.req.header('accept-language') });
    const t = portalMessages(locale);
    const rows = Array.from({ length: 12 }, (_, i) => jsx('li', { class: 'row' }, `${t.invoiceNumber} ${i + 1}`));
    const page = PortalLayout({
      locale,
      title: t.portalTitle,
      business,
      returnUrl,
      theme: buildTheme({ brandColor: '#0a2540', accentColor: '#635bff' }),
      children: [
        jsx('h1', { class: 'page-title' }, t.portalTitle),
        Notice({ kind: 'info', children: business.name }),
        Section({ id: 'invoices', title: t.invoiceHistory, children: jsx('ul', { class: 'list' }, ...rows) }),
      ],
    });
    return c.html(await renderPortalPage(page));
  });
  return app;
}

const hostile: BusinessInfo = {
  name: '<script>alert(1)</script> & "Co"',
  headline: '<img src=x onerror=alert(2)>',
  privacyPolicyUrl: 'javascript:alert(3)',
  termsOfServiceUrl: 'https://acme.example/terms?a=1&b="2"',
  logoUrl: 'http://insecure.example/logo.png',
};

test('security headers on pages and on 404s under /p', async () => {
  const app = sampleApp({ name: 'Acme' });
  for (const path of ['/p/sample', '/p/nothing-here']) {
    const res = await app.request(path);
    assert.equal(res.headers.get('content-security-policy'), PORTAL_CSP, path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  }
  assert.match(PORTAL_CSP, /default-src 'none'/);
  assert.ok(!PORTAL_CSP.includes('unsafe-inline') && !PORTAL_CSP.includes('script-src'));
});

test('lang follows the negotiated locale; the page has landmarks and no inline style or script', async () => {
  const app = sampleApp({ name: 'Acme', headline: 'Manage your plan' });
  const html = await (await app.request('/p/sample', { headers: { 'accept-language': 'de-AT,de;q=0.9' } })).text();
  assert.ok(html.startsWith('<!doctype html><html lang="de">'));
  assert.match(html, /<title>Kundenportal · Acme<\/title>/);
  assert.match(html, /<header class="business">/);
  assert.match(html, /<main class="content" id="main">/);
  assert.match(html, /<footer class="legal">/);
  assert.match(html, /Zurück zu Acme/);
  assert.match(html, /<link rel="stylesheet" href="\/p\/-\/layout\.css\?v=[0-9a-f]{10}&amp;b=0a2540&amp;a=635bff&amp;c=r&amp;f=system"/);
  assert.ok(!/<script|<style| style=/i.test(html));
  const ja = await (await app.request('/p/sample', { headers: { 'accept-language': 'ja' } })).text();
  assert.match(ja, /<html lang="ja">/);
  // Arabic and Hebrew pages read right to left, and the back arrow points the way they read.
  for (const [accept, lang] of [['ar-EG', 'ar'], ['he-IL', 'he']] as const) {
    const rtl = await (await app.request('/p/sample', { headers: { 'accept-language': accept } })).text();
    assert.ok(rtl.startsWith(`<!doctype html><html lang="${lang}" dir="rtl">`), lang);
  }
});

test('the stylesheet is written in logical properties: nothing pinned to left or right but the RTL gradient', () => {
  const physical = PORTAL_CSS.split('\n').filter((rule) => /(?:^|[;{])\s*(?:margin|padding|border)-(?:left|right)|text-align:\s*(?:left|right)|(?:^|[;{])(?:left|right):|float:\s*(?:left|right)/.test(rule));
  assert.deepEqual(physical, []);
  assert.match(PORTAL_CSS, /\[dir=rtl\] \.shell\{background:linear-gradient\(to left/);
});

test('a hostile business name and headline are escaped; javascript: and http logos are not rendered', async () => {
  const html = await (await sampleApp(hostile, 'javascript:alert(4)').request('/p/sample')).text();
  assert.ok(!html.includes('<script>alert(1)'), 'name escaped');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;') || html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; "Co"'));
  assert.ok(!html.includes('<img src=x'), 'headline escaped');
  assert.ok(!html.includes('javascript:'), 'no javascript: URL anywhere');
  assert.ok(!html.includes('Privacy policy'), 'no privacy link without a safe URL');
  assert.match(html, /<a href="https:\/\/acme\.example\/terms\?a=1&amp;b=%222%22" rel="noreferrer">Terms of service<\/a>/);
  assert.ok(!html.includes('insecure.example'), 'http logo dropped under img-src https:');
  assert.ok(!html.includes('class="return"'), 'no return link for a javascript: return URL');
});

test('the stylesheet route serves validated theme variables and caches', async () => {
  const app = sampleApp({ name: 'Acme' });
  const res = await app.request('/p/-/layout.css?v=1&b=0a2540&a=%3C%2Fstyle%3E&c=s&f=serif');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/css/);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
  const css = await res.text();
  assert.match(css, /--brand:#0a2540;--on-brand:#ffffff;/);
  assert.match(css, /--accent:#635bff;/);
  assert.match(css, /--radius:0;/);
  assert.ok(!css.includes('</style>'));
  assert.match(css, /prefers-reduced-motion/);
  assert.match(css, /:focus-visible/);
});

test('pages are compressed for clients that accept gzip (app.request)', async () => {
  const app = sampleApp({ name: 'Acme', headline: 'Billing' });
  const plain = await app.request('/p/sample');
  const plainBytes = (await plain.arrayBuffer()).byteLength;
  const gz = await app.request('/p/sample', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(gz.headers.get('content-encoding'), 'gzip');
  assert.equal(gz.headers.get('content-security-policy'), PORTAL_CSP);
  const gzBytes = (await gz.arrayBuffer()).byteLength;
  assert.ok(plainBytes > 1024 && gzBytes < plainBytes / 2, `${plainBytes} → ${gzBytes}`);
});

test('compression works under @hono/node-server on this Node', async (t) => {
  const app = sampleApp({ name: 'Acme', headline: 'Billing' });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const { port } = server.address() as AddressInfo;
  const get = (encoding: string | null) =>
    new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/p/sample', headers: encoding ? { 'accept-encoding': encoding } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  const plain = await get(null);
  const gz = await get('gzip, deflate, br');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body).toString('utf8'), plain.body.toString('utf8'));
  t.diagnostic(`layout page: ${plain.body.length} bytes, ${gz.body.length} gzipped`);
  assert.ok(gz.body.length < plain.body.length / 2);
});

test('businessInfo maps a configuration’s business_profile', () => {
  assert.deepEqual(businessInfo('Acme', { headline: 'Hi', privacy_policy_url: 'https://a.example/p', terms_of_service_url: null }), {
    name: 'Acme',
    headline: 'Hi',
    privacyPolicyUrl: 'https://a.example/p',
    termsOfServiceUrl: null,
    logoUrl: null,
  });
  assert.equal(businessInfo('Acme', null).headline, null);
});
