/**
 * A tiny HTTP client for the dashboard in tests: sign in (the form's CSRF token, then the post), and
 * GET/POST with the session cookie, reading each page's CSRF token for the next form.
 */
import assert from 'node:assert/strict';
import { createAdministrator } from '../../src/admin/administrators.ts';
import type { TestServer } from './server.ts';

export const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? assert.fail('no CSRF field');

let n = 0;
export async function makeAdmin(server: TestServer, password = 'correct horse battery staple'): Promise<{ email: string; password: string }> {
  const email = `admin${++n}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await createAdministrator(server.portico.storage.db, server.clock.now(), email, password);
  return { email, password };
}

export interface Res {
  status: number;
  text: string;
  headers: Headers;
}

export async function request(base: string, method: string, path: string, opts: { cookie?: string; form?: Record<string, string>; ip?: string; origin?: string | null } = {}): Promise<Res> {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.Cookie = opts.cookie;
  if (opts.form) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  if (method === 'POST' && opts.origin !== null) headers.Origin = opts.origin ?? base;
  if (opts.ip) headers['X-Forwarded-For'] = opts.ip;
  const res = await fetch(`${base}${path}`, { method, headers, redirect: 'manual', ...(opts.form ? { body: new URLSearchParams(opts.form).toString() } : {}) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Signs in; returns the `name=value` cookie. */
export async function signIn(base: string, email: string, password: string, ip?: string): Promise<string> {
  const form = await request(base, 'GET', '/dashboard/sign-in');
  const res = await request(base, 'POST', '/dashboard/sign-in', { form: { csrf: csrfIn(form.text), email, password }, ...(ip ? { ip } : {}) });
  assert.equal(res.status, 303, res.text.slice(0, 500));
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** GETs `page` and posts `form` to `action` with that page's CSRF token. */
export async function submit(base: string, cookie: string, page: string, action: string, form: Record<string, string> = {}): Promise<Res> {
  const html = (await request(base, 'GET', page, { cookie })).text;
  return request(base, 'POST', action, { cookie, form: { csrf: csrfIn(html), ...form } });
}
