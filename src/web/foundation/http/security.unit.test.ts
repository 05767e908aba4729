/** CSRF tokens, the Origin check and the portal cookie. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { CSRF_FIELD, createCsrf, isSameOriginRequest, isValidPortalPost, portalCookie, portalCsrfKey } from './security.ts';

const key = portalCsrfKey({ testSecretKey: 'sk_test_aaaaaaaaaaaa', liveSecretKey: 'sk_live_bbbbbbbbbbbb' });

test('CSRF: a token verifies for its session only', () => {
  const csrf = createCsrf(key);
  const token = csrf.token('bps_1');
  assert.match(token, /^[A-Za-z0-9_-]{86}$/);
  assert.ok(csrf.verify('bps_1', token));
  assert.ok(!csrf.verify('bps_2', token));
  assert.ok(!createCsrf(portalCsrfKey({ testSecretKey: 'sk_test_other', liveSecretKey: 'sk_live_other' })).verify('bps_1', token));
});

test('CSRF: tokens are masked afresh each time, and all of them verify', () => {
  const csrf = createCsrf(key);
  const a = csrf.token('bps_1');
  const b = csrf.token('bps_1');
  assert.notEqual(a, b);
  assert.ok(csrf.verify('bps_1', a) && csrf.verify('bps_1', b));
});

test('CSRF: malformed, tampered and missing tokens are rejected', () => {
  const csrf = createCsrf(key);
  const token = csrf.token('bps_1');
  const flipped = (token[10] === 'A' ? 'B' : 'A');
  for (const bad of [undefined, null, 42, '', 'x', token.slice(1), `${token}A`, token.slice(0, 10) + flipped + token.slice(11), `${token.slice(0, 85)}!`, ['x']]) {
    assert.equal(csrf.verify('bps_1', bad), false, String(bad));
  }
  assert.throws(() => createCsrf(new Uint8Array(8)), RangeError);
});

test('CSRF: a fixed pad gives a known token (the format is pad ‖ pad⊕mac)', () => {
  const zeros = createCsrf(key, (n) => new Uint8Array(n));
  const token = zeros.token('bps_1');
  const raw = Buffer.from(token, 'base64url');
  assert.equal(raw.length, 64);
  assert.ok(raw.subarray(0, 32).every((b) => b === 0));
  assert.ok(createCsrf(key).verify('bps_1', token));
});

test('Origin: same origin passes, others and null without Sec-Fetch-Site fail', () => {
  const allowed = ['https://billing.example.com', 'http://127.0.0.1:4000'];
  assert.ok(isSameOriginRequest({ origin: 'https://billing.example.com' }, allowed));
  assert.ok(!isSameOriginRequest({ origin: 'https://evil.example' }, allowed));
  assert.ok(!isSameOriginRequest({ origin: 'https://billing.example.com.evil.example' }, allowed));
  assert.ok(!isSameOriginRequest({ origin: 'https://evil.example', secFetchSite: 'same-origin' }, allowed));
  assert.ok(isSameOriginRequest({ origin: 'null', secFetchSite: 'same-origin' }, allowed));
  assert.ok(!isSameOriginRequest({ origin: 'null', secFetchSite: 'cross-site' }, allowed));
  assert.ok(!isSameOriginRequest({ origin: 'null' }, allowed));
  assert.ok(isSameOriginRequest({ secFetchSite: 'same-origin' }, allowed));
  assert.ok(!isSameOriginRequest({ secFetchSite: 'same-site' }, allowed));
  assert.ok(!isSameOriginRequest({}, allowed));
});

async function cookieRoundTrip(publicUrl: string) {
  const cookie = portalCookie(publicUrl);
  const app = new Hono();
  app.get('/p/set', (c) => {
    cookie.set(c, 'tok123');
    return c.text('ok');
  });
  app.get('/p/read', (c) => c.text(cookie.read(c) ?? '(none)'));
  app.get('/p/clear', (c) => {
    cookie.clear(c);
    return c.text('ok');
  });
  const set = (await app.request(`${publicUrl}/p/set`)).headers.get('set-cookie') ?? '';
  const read = await (await app.request(`${publicUrl}/p/read`, { headers: { cookie: `${cookie.name}=tok123` } })).text();
  const cleared = (await app.request(`${publicUrl}/p/clear`)).headers.get('set-cookie') ?? '';
  return { cookie, set, read, cleared };
}

test('cookie on https: __Secure- name, Secure, HttpOnly, SameSite=Lax, Path=/p, 2 hours', async () => {
  const { cookie, set, read, cleared } = await cookieRoundTrip('https://billing.example.com');
  assert.equal(cookie.name, '__Secure-portico_portal');
  assert.match(set, /^__Secure-portico_portal=tok123;/);
  for (const part of ['Max-Age=7200', 'Path=/p', 'HttpOnly', 'Secure', 'SameSite=Lax']) assert.ok(set.includes(part), `${part} in ${set}`);
  assert.ok(!/Domain=/i.test(set));
  assert.equal(read, 'tok123');
  assert.match(cleared, /^__Secure-portico_portal=;.*Max-Age=0/);
});

test('cookie on plain http: plain name, no Secure', async () => {
  const { cookie, set, read } = await cookieRoundTrip('http://127.0.0.1:4000');
  assert.equal(cookie.name, 'portico_portal');
  assert.match(set, /^portico_portal=tok123;/);
  assert.ok(!set.includes('Secure'));
  assert.ok(set.includes('HttpOnly') && set.includes('SameSite=Lax') && set.includes('Path=/p'));
  assert.equal(read, 'tok123');
});

test('isValidPortalPost: same origin and a token of this session, through a real form post', async () => {
  const csrf = createCsrf(key);
  const publicUrl = 'https://billing.example.com';
  const app = new Hono();
  app.post('/p/x', async (c) => {
    const body = await c.req.parseBody();
    return isValidPortalPost(c, csrf, 'bps_1', body, publicUrl) ? c.text('ok') : c.text('Forbidden', 403);
  });
  const post = (headers: Record<string, string>, token: string) =>
    app.request(`${publicUrl}/p/x`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ [CSRF_FIELD]: token }) });
  assert.equal((await post({ origin: publicUrl }, csrf.token('bps_1'))).status, 200);
  assert.equal((await post({ origin: publicUrl }, csrf.token('bps_2'))).status, 403);
  assert.equal((await post({ origin: 'https://evil.example' }, csrf.token('bps_1'))).status, 403);
  assert.equal((await post({}, csrf.token('bps_1'))).status, 403);
  assert.equal((await post({ origin: 'null', 'sec-fetch-site': 'same-origin' }, csrf.token('bps_1'))).status, 200);
});
