/**
 * The dashboard's Branding page over HTTP (both databases): the multipart form writes through the
 * Files and Accounts domain functions (`file.created`, `account.updated`, as the API) with audit
 * entries; an oversized or non-image file, or a bad colour, is refused on its field and changes
 * nothing; Preview changes nothing; the preview frame renders the draft and may be framed only by the
 * dashboard; a failing colour gets a contrast warning; no session or no/another session's CSRF token
 * is refused.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { listAudit } from '../src/admin/audit.ts';
import { type TestServer } from './support/server.ts';
import { storageCases } from './support/storages.ts';
import { useTestServer } from './support/suite.ts';
import { csrfIn, makeAdmin, request, signIn } from './support/dashboard-client.ts';

/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
/** PNG bytes followed by padding: 600 KiB, over the Files API's 512 KiB. */
const BIG = Buffer.concat([PNG, Buffer.alloc(600 * 1024)]);

const FIELDS = {
  'business_profile[name]': 'Acme Cloud',
  'business_profile[support_email]': 'help@acme.example',
  'business_profile[support_phone]': '',
  'business_profile[support_url]': '',
  'business_profile[url]': 'https://acme.example',
  'settings[branding][primary_color]': '#0A2540',
  'settings[branding][secondary_color]': '#635bff',
  'settings[branding][portico_font]': 'serif',
  'settings[branding][portico_corners]': 'square',
};

for (const db of storageCases()) {
  describe(`dashboard branding (${db.name})`, () => {
    let server: TestServer;
    useTestServer(db, (s) => (server = s));
    let cookie: string;
    before(async () => {
      const admin = await makeAdmin(server);
      cookie = await signIn(server.url, admin.email, admin.password);
    });

    const post = async (fields: Record<string, string>, files: Record<string, { bytes: Buffer; name: string }> = {}, opts: { token?: string | null; cookie?: string } = {}) => {
      const token = opts.token === undefined ? csrfIn((await request(server.url, 'GET', '/dashboard/branding', { cookie })).text) : opts.token;
      const form = new FormData();
      if (token !== null) form.set('csrf', token);
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      for (const [k, f] of Object.entries(files)) form.set(k, new Blob([new Uint8Array(f.bytes)]), f.name);
      const res = await fetch(`${server.url}/dashboard/branding`, { method: 'POST', body: form, redirect: 'manual', headers: { Cookie: opts.cookie ?? cookie, Origin: server.url } });
      return { status: res.status, text: await res.text(), location: res.headers.get('location'), connection: res.headers.get('connection') };
    };
    const eventTypes = async () => (await server.portico.storage.db.selectFrom('events').select('type').orderBy('seq', 'asc').execute()).map((r) => r.type);

    test('no session: the page, the upload and the preview answer the sign-in page', async () => {
      for (const path of ['/dashboard/branding', '/dashboard/branding/preview?primary_color=%23000000', '/dashboard/-/branding.js']) {
        const res = await request(server.url, 'GET', path);
        assert.equal(res.status, 401, path);
        assert.match(res.text, /Sign in to the dashboard/);
      }
      const res = await post(FIELDS, { logo_file: { bytes: PNG, name: 'logo.png' } }, { token: 'x'.repeat(86), cookie: 'portico_dashboard=none' });
      assert.equal(res.status, 401);
    });

    test('saving uploads the logo and sets colours through the API\'s functions, with events and audit entries', async () => {
      const events = (await eventTypes()).length;
      const res = await post({ ...FIELDS, action: 'save' }, { logo_file: { bytes: PNG, name: 'logo.png' } });
      assert.equal(res.status, 303, res.text.slice(0, 400));
      assert.equal(res.location, '/dashboard/branding?saved=1');
      const account = await server.stripe.accounts.retrieveCurrent();
      const b = account.settings!.branding!;
      assert.match(String(b.logo), /^file_/);
      assert.equal(b.primary_color, '#0a2540');
      assert.equal(b.secondary_color, '#635bff');
      assert.equal((b as unknown as Record<string, unknown>).portico_font, 'serif');
      assert.equal((b as unknown as Record<string, unknown>).portico_corners, 'square');
      assert.equal(account.business_profile!.name, 'Acme Cloud');
      assert.equal(account.business_profile!.support_email, 'help@acme.example');
      const file = await server.stripe.files.retrieve(String(b.logo));
      assert.equal(file.purpose, 'business_logo');
      assert.equal(file.size, PNG.length);
      assert.deepEqual((await eventTypes()).slice(events), ['file.created', 'account.updated']);
      const audit = await listAudit(server.portico.storage.db, {}, 2);
      assert.deepEqual(audit.map((a) => a.action), ['account.update', 'file.create']);
      const entry = audit[0]!;
      assert.equal((entry.before as any).settings.branding.primary_color, null);
      assert.equal((entry.after as any).settings.branding.primary_color, '#0a2540');
      assert.equal((entry.after as any).settings.branding.logo, b.logo);
      // The page shows the saved values and the current logo.
      const page = await request(server.url, 'GET', '/dashboard/branding?saved=1', { cookie });
      assert.match(page.text, /Saved\./);
      assert.match(page.text, new RegExp(`src="/p/-/files/${b.logo}"`));
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'; frame-src 'self'/);
    });

    test('an oversized file, a file that is no image and a bad colour are refused on their field, changing nothing', async () => {
      const before = await server.stripe.accounts.retrieveCurrent();
      const events = (await eventTypes()).length;
      const audits = (await listAudit(server.portico.storage.db, {})).length;
      const big = await post({ ...FIELDS, 'settings[branding][primary_color]': '#111111', action: 'save' }, { logo_file: { bytes: BIG, name: 'big.png' } });
      assert.equal(big.status, 400);
      assert.match(big.text, /id="f-logo_file"[^>]*aria-invalid="true"/);
      assert.match(big.text, /<p class="field-error" id="f-logo_file-error">The file is too large: branding images are at most 512 KB\.<\/p>/);
      const text = await post({ ...FIELDS, action: 'save' }, { icon_file: { bytes: Buffer.from('just some text, not an image'), name: 'icon.png' } });
      assert.equal(text.status, 400);
      assert.match(text.text, /id="f-icon_file-error">The file must be a PNG, JPEG or GIF image\./);
      // A PNG icon with a bad colour: the colour's error, and the icon is not stored either.
      const colour = await post({ ...FIELDS, 'settings[branding][secondary_color]': 'blue', action: 'save' }, { icon_file: { bytes: PNG, name: 'icon.png' } });
      assert.equal(colour.status, 400);
      assert.match(colour.text, /id="f-settings-branding-secondary-color--error">Colors must be hex codes like #1a2b3c\./);
      assert.match(colour.text, /value="blue"/); // the draft is kept
      assert.deepEqual(await server.stripe.accounts.retrieveCurrent(), before);
      assert.equal((await eventTypes()).length, events);
      assert.equal((await listAudit(server.portico.storage.db, {})).length, audits);
      assert.equal((await server.stripe.files.list({ purpose: 'business_icon' })).data.length, 0);
    });

    test('an upload over the form\'s limit (two images at 512 KB) is answered with the page and its error', async () => {
      const before = await server.stripe.accounts.retrieveCurrent();
      const res = await post({ ...FIELDS, action: 'save' }, { logo_file: { bytes: Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]), name: 'huge.png' } });
      assert.equal(res.status, 413);
      // The rest of the body was never read: the connection is closed, not handed to the next request.
      assert.equal(res.connection, 'close');
      assert.match(res.text, /The upload is too large: each image may be at most 512 KB\./);
      assert.deepEqual(await server.stripe.accounts.retrieveCurrent(), before);
    });

    test('a form without a token, or with another session\'s, is refused', async () => {
      const before = await server.stripe.accounts.retrieveCurrent();
      const admin = await makeAdmin(server);
      const other = await signIn(server.url, admin.email, admin.password);
      const otherToken = csrfIn((await request(server.url, 'GET', '/dashboard/branding', { cookie: other })).text);
      for (const token of [null, otherToken]) {
        const res = await post({ ...FIELDS, 'business_profile[name]': 'Mallory', action: 'save' }, {}, { token });
        assert.equal(res.status, 403);
      }
      assert.deepEqual(await server.stripe.accounts.retrieveCurrent(), before);
    });

    test('Preview shows the draft (with contrast warnings) and changes nothing; the frame renders it', async () => {
      const before = await server.stripe.accounts.retrieveCurrent();
      const events = (await eventTypes()).length;
      const res = await post({ ...FIELDS, 'settings[branding][secondary_color]': '#ffd60a', action: 'preview' });
      assert.equal(res.status, 200);
      assert.match(res.text, /Not saved yet/);
      assert.match(res.text, /<li class="warning">As links on the white page #ffd60a has 1\.41:1/);
      const src = /<iframe id="branding-preview"[^>]* src="([^"]+)"/.exec(res.text)?.[1]?.replaceAll('&amp;', '&');
      assert.ok(src?.startsWith('/dashboard/branding/preview?'), src);
      assert.match(src!, /secondary_color=%23ffd60a/);
      assert.deepEqual(await server.stripe.accounts.retrieveCurrent(), before);
      assert.equal((await eventTypes()).length, events);

      const frame = await request(server.url, 'GET', src!, { cookie });
      assert.equal(frame.status, 200);
      // The portal's stylesheet for the draft theme: b = primary, a = secondary, c = corners, f = font.
      assert.match(frame.text, /layout\.css\?v=[0-9a-f]+&amp;b=0a2540&amp;a=ffd60a&amp;c=s&amp;f=serif/);
      assert.match(frame.text, /Acme Cloud/);
      assert.match(frame.text, /Sample plan/);
      assert.match(frame.text, new RegExp(`src="/p/-/files/${before.settings!.branding!.logo}"`));
      const csp = frame.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'self'/);
      assert.match(csp, /form-action 'none'/);
      assert.equal(frame.headers.get('x-frame-options'), 'SAMEORIGIN');
      // Every other dashboard page still refuses to be framed.
      assert.equal((await request(server.url, 'GET', '/dashboard/branding', { cookie })).headers.get('x-frame-options'), 'DENY');
      // Values that are not colours never reach the stylesheet: the defaults apply.
      const odd = await request(server.url, 'GET', '/dashboard/branding/preview?primary_color=red;x&secondary_color=%7D', { cookie });
      assert.match(odd.text, /&amp;b=f6f8fa&amp;a=635bff&amp;/);
    });

    test('removing the logo clears it through the same update', async () => {
      const res = await post({ ...FIELDS, remove_logo: 'true', action: 'save' });
      assert.equal(res.status, 303);
      assert.equal((await server.stripe.accounts.retrieveCurrent()).settings!.branding!.logo, null);
    });
  });
}
