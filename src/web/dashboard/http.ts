/**
 * The dashboard's HTTP security: headers (the portal's, with the dashboard's CSP), the session cookie,
 * CSRF tokens bound to the dashboard session, and reading a form post (Origin first, then the body
 * with the API's decoder, then the token).
 *
 * Cookie: `__Secure-portico_dashboard` on https, `portico_dashboard` on http; `HttpOnly`, `Secure` on
 * https, `SameSite=Strict` (administrators arrive by typing or bookmarking the URL, never from another
 * site, so no cross-site request ever carries it), `Path=/dashboard` (the API, the portal and invoice
 * pages never receive it; the portal's cookie has `Path=/p`, so neither opens the other's pages).
 */
import { createHmac } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { decodeBody, type Decoded } from '../../lib/params.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import type { AccountKeys } from '../../storage/accounts.ts';
import { ADMIN_MAX_LIFETIME } from '../../admin/sessions.ts';
import { CSRF_FIELD, createCsrf, isSameOriginPost, setPortalSecurityHeaders, type Csrf } from '../foundation/http/security.ts';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const DASHBOARD_PATH = '/dashboard';

export function setDashboardHeaders(c: Context): void {
  setPortalSecurityHeaders(c, DASHBOARD_CSP);
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
}

/** The dashboard's CSRF key: derived from the account's secret keys like the portal's, another label. */
export function dashboardCsrf(keys: Pick<AccountKeys, 'testSecretKey' | 'liveSecretKey'>): Csrf {
  const key = createHmac('sha256', `${keys.testSecretKey}\u0000${keys.liveSecretKey}`).update('portico dashboard csrf').digest();
  return createCsrf(key);
}

/** What a CSRF token is bound to: the dashboard session (or the sign-in form, before there is one). */
export const sessionBinding = (sessionId: string) => `dashboard:${sessionId}`;
export const SIGN_IN_BINDING = 'dashboard-sign-in';

export interface DashboardCookie {
  name: string;
  set(c: Context, value: string): void;
  read(c: Context): string | undefined;
  clear(c: Context): void;
}

export function dashboardCookie(): DashboardCookie {
  const secure = publicBaseUrl().toLowerCase().startsWith('https://');
  const bare = 'portico_dashboard';
  const options = secure
    ? ({ path: DASHBOARD_PATH, httpOnly: true, secure: true, sameSite: 'Strict', prefix: 'secure' } as const)
    : ({ path: DASHBOARD_PATH, httpOnly: true, secure: false, sameSite: 'Strict' } as const);
  return {
    name: secure ? `__Secure-${bare}` : bare,
    set: (c, value) => setCookie(c, bare, value, { ...options, maxAge: ADMIN_MAX_LIFETIME }),
    read: (c) => (secure ? getCookie(c, bare, 'secure') : getCookie(c, bare)),
    clear: (c) => {
      deleteCookie(c, bare, options);
    },
  };
}

/** A form post's fields, or null when its Origin, body or CSRF token is not right. */
export async function readDashboardPost(c: Context, csrf: Csrf, binding: string): Promise<Decoded | null> {
  if (!isSameOriginPost(c, publicBaseUrl())) return null;
  let body: Decoded;
  try {
    body = decodeBody(new Uint8Array(await c.req.arrayBuffer()));
  } catch {
    return null;
  }
  if (!csrf.verify(binding, body[CSRF_FIELD])) return null;
  delete body[CSRF_FIELD];
  return body;
}

/** A single string field of a decoded form ('' when absent or not a string). */
export function field(body: Decoded, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v : '';
}
