/**
 * compress.ts: the same decisions as Hono's `compress` (encoding by Accept-Encoding and q, Vary,
 * what is left alone), with small bodies compressed at once and large ones as a stream — both decode
 * to the very bytes the route sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync, inflateSync } from 'node:zlib';
import { Hono } from 'hono';
import { compressResponses, SYNC_LIMIT } from './compress.ts';

const page = (n: number) => `<!doctype html><p>${'Plan change review · '.repeat(Math.ceil(n / 22))}</p>`.slice(0, n);

function app() {
  const a = new Hono();
  a.use('*', compressResponses());
  a.get('/page/:n', (c) => c.html(page(Number(c.req.param('n')))));
  a.get('/etag', (c) => c.html(page(4000), 200, { ETag: '"abc"' }));
  a.get('/no-transform', (c) => c.html(page(4000), 200, { 'Cache-Control': 'no-transform' }));
  a.get('/small', (c) => c.text('tiny', 200, { 'Content-Length': '4' }));
  a.get('/png', (c) => c.body(new Uint8Array(4000), 200, { 'Content-Type': 'image/png' }));
  return a;
}

const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

test('a small page is gzipped whole, a large one as a stream; both decode to the page', async () => {
  for (const n of [3000, SYNC_LIMIT + 5000]) {
    const res = await app().request(`/page/${n}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.equal(res.headers.get('vary'), 'Accept-Encoding');
    assert.equal(res.headers.get('content-length'), null);
    const body = await bytes(res);
    assert.equal(gunzipSync(body).toString('utf8'), page(n));
    assert.ok(body.length < n / 2, `${n} → ${body.length}`);
  }
});

test('the encoding follows Accept-Encoding as Hono chooses it', async () => {
  const encodingFor = async (accept: string | null) =>
    (await app().request('/page/3000', accept === null ? {} : { headers: { 'accept-encoding': accept } })).headers.get('content-encoding');
  assert.equal(await encodingFor(null), null);
  assert.equal(await encodingFor('br'), null);
  assert.equal(await encodingFor('gzip;q=0, deflate'), 'deflate');
  assert.equal(await encodingFor('gzip;q=0.5, deflate;q=0.8'), 'deflate');
  assert.equal(await encodingFor('deflate;q=0.5, gzip;q=0.5'), 'gzip');
  assert.equal(await encodingFor('*'), 'gzip');
  const deflated = await app().request('/page/3000', { headers: { 'accept-encoding': 'deflate' } });
  assert.equal(inflateSync(await bytes(deflated)).toString('utf8'), page(3000));
});

test('left as they are: small known lengths, images, no-transform, HEAD; strong ETags become weak', async () => {
  const gz = { headers: { 'accept-encoding': 'gzip' } };
  assert.equal((await app().request('/small', gz)).headers.get('content-encoding'), null);
  assert.equal((await app().request('/png', gz)).headers.get('content-encoding'), null);
  assert.equal((await app().request('/no-transform', gz)).headers.get('content-encoding'), null);
  assert.equal((await app().request('/page/3000', { method: 'HEAD', ...gz })).headers.get('content-encoding'), null);
  assert.equal((await app().request('/etag', gz)).headers.get('etag'), 'W/"abc"');
});
