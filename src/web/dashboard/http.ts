/**
 * The dashboard's HTTP security: headers (the portal's, with the dashboard's CSP), the session cookie,
 * CSRF tokens bound to the dashboard session, and reading a form post (Origin first, then the body
 * with the API's decoder, then the token).
 *
 * CSRF keys are random and stored, never derived from the API keys (a roll in one process would
 * otherwise break every form another process or a restarted one signed): each session's forms are
 * keyed by the session's own `csrf_secret`, the sign-in form by the installation's `sign_in_csrf`
 * (table `dashboard_secrets`). Both live in the database, so every process agrees on them.
 *
 * Cookie: `__Secure-portico_dashboard` on https, `portico_dashboard` on http; `HttpOnly`, `Secure` on
 * https, `SameSite=Strict` (administrators arrive by typing or bookmarking the URL, never from another
 * site, so no cross-site request ever carries it), `Path=/dashboard` (the API, the portal and invoice
 * pages never receive it; the portal's cookie has `Path=/p`, so neither opens the other's pages).
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { decodeBody, type Decoded } from '../../lib/params.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import type { Executor } from '../../storage/database.ts';
import { ADMIN_MAX_LIFETIME, type AdminSession } from '../../admin/sessions.ts';
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

/** The branding page: its live-preview script (one same-origin file) and the preview frame. */
export const BRANDING_PAGE_CSP = `${DASHBOARD_CSP}; script-src 'self'; frame-src 'self'`;
/** The branding preview, framed by the branding page only; its portal forms cannot be sent. */
export const PREVIEW_FRAME_CSP = DASHBOARD_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'").replace("form-action 'self'", "form-action 'none'");

/** Security headers on every dashboard response: the dashboard's CSP, unless the route chose one of its variants. */
export function setDashboardHeaders(c: Context): void {
  const own = c.res.headers.get('Content-Security-Policy');
  const csp = own === BRANDING_PAGE_CSP || own === PREVIEW_FRAME_CSP ? own : DASHBOARD_CSP;
  setPortalSecurityHeaders(c, csp);
  if (csp === PREVIEW_FRAME_CSP) c.header('X-Frame-Options', 'SAMEORIGIN');
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
}

/** A session's form tokens: keyed by its own random secret, bound to its id. */
export interface SessionCsrf {
  token(session: AdminSession): string;
  verify(session: AdminSession, given: unknown): boolean;
}

export const sessionCsrf: SessionCsrf = {
  token: (s) => createCsrf(Buffer.from(s.csrfSecret, 'hex')).token(sessionBinding(s.id)),
  verify: (s, given) => createCsrf(Buffer.from(s.csrfSecret, 'hex')).verify(sessionBinding(s.id), given),
};

/**
 * The sign-in form's tokens, keyed by the installation's stored secret (read once per process; the
 * migration created it, so every process reads the same).
 */
export function signInCsrf(db: Executor): () => Promise<Csrf> {
  let loaded: Promise<Csrf> | null = null;
  return () => {
    loaded ??= db
      .selectFrom('dashboard_secrets')
      .select('secret')
      .where('name', '=', 'sign_in_csrf')
      .executeTakeFirstOrThrow()
      .then((row) => createCsrf(Buffer.from(row.secret, 'hex')))
      .catch((err: unknown) => {
        loaded = null; // a passing database error is not remembered
        throw err;
      });
    return loaded;
  };
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

/** A form post's fields, or null when its Origin, body or CSRF token (checked by `verify`) is not right. */
export async function readDashboardPost(c: Context, verify: (token: unknown) => boolean): Promise<Decoded | null> {
  if (!isSameOriginPost(c, publicBaseUrl())) return null;
  let body: Decoded;
  try {
    body = decodeBody(new Uint8Array(await c.req.arrayBuffer()));
  } catch {
    return null;
  }
  if (!verify(body[CSRF_FIELD])) return null;
  delete body[CSRF_FIELD];
  return body;
}

/** A `multipart/form-data` post: its text fields (one value each) and its non-empty file fields. */
export interface DashboardUpload {
  fields: Record<string, string>;
  files: Record<string, { filename: string | null; bytes: Uint8Array }>;
}

/**
 * A multipart form post (file uploads), checked like `readDashboardPost`: Origin, then the body, then
 * the CSRF token; null when any is not right. A file field left empty (no file chosen: no name, no
 * bytes) is absent; a field sent twice makes the post unreadable.
 */
export async function readDashboardUpload(c: Context, verify: (token: unknown) => boolean): Promise<DashboardUpload | null> {
  if (!isSameOriginPost(c, publicBaseUrl())) return null;
  if (!/^multipart\/form-data\b/i.test(c.req.header('content-type') ?? '')) return null;
  let body: Record<string, string | File | (string | File)[]>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch {
    return null;
  }
  const upload: DashboardUpload = { fields: Object.create(null), files: Object.create(null) };
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value)) return null;
    if (typeof value === 'string') upload.fields[name] = value;
    else if (value.name !== '' || value.size > 0) upload.files[name] = { filename: value.name || null, bytes: new Uint8Array(await value.arrayBuffer()) };
  }
  if (!verify(upload.fields[CSRF_FIELD])) return null;
  delete upload.fields[CSRF_FIELD];
  return upload;
}

/** A single string field of a decoded form ('' when absent or not a string). */
export function field(body: Decoded, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v : '';
}
