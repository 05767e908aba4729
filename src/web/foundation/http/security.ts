/**
 * Security for every `/p/*` route: headers, CSRF tokens, the Origin check for POSTs, and the portal
 * session cookie.
 *
 * - Headers: a strict CSP (no script at all, styles and forms only from this origin, images from here,
 *   `data:` or https for merchant logos), nosniff, no referrer (a session URL must never leak to a
 *   merchant's privacy-policy page), no framing, and `Cache-Control: no-store` on pages (they hold a
 *   customer's billing data) unless a route set its own (the stylesheets).
 * - CSRF: the token is HMAC-SHA256(server secret, portal session id). Each page gets it masked with a
 *   fresh random pad (`pad ‖ pad⊕mac`), so compressed pages never repeat the secret bytes (BREACH);
 *   verification unmasks and compares in constant time.
 * - Origin: a POST is accepted when `Origin` is the public URL's (never judged by `Host`, which the
 *   client sets), or, when the browser sends no Origin or `null` (it may, under `Referrer-Policy:
 *   no-referrer`), when `Sec-Fetch-Site` is `same-origin`.
 * - HSTS: `strictTransportSecurity` on every response of an https deployment.
 * - Cookie: see `portalCookie`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';

/** The portal's CSP; `formTargets` are extra origins a form may lead to (a flow's redirect). */
export function portalCsp(formTargets: string[] = []): string {
  return [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    ["form-action 'self'", ...formTargets].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export const PORTAL_CSP = portalCsp();

/** Sets the portal's security headers on `c`'s response (the hosted invoice pages pass their own CSP). */
export function setPortalSecurityHeaders(c: Context, csp: string = PORTAL_CSP): void {
  c.header('Content-Security-Policy', csp);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
  c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

/**
 * Middleware: security headers on every response (404s and errors too), and `no-store` unless the
 * route set a `Cache-Control` of its own. A route may set its own CSP built with `portalCsp` (a flow
 * page whose form ends in a 303 to the business's `return_url`, which `form-action` must allow).
 * @example app.use('/p/*', portalSecurityHeaders())
 */
export function portalSecurityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const own = c.res.headers.get('Content-Security-Policy');
    setPortalSecurityHeaders(c, own !== null && own.startsWith(PORTAL_CSP.split('form-action')[0]!) ? own : PORTAL_CSP);
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  };
}

/** One year: what browsers' preload lists ask for; an https deployment stays https. */
export const HSTS = 'max-age=31536000';

/**
 * Middleware for the whole app: `Strict-Transport-Security` on every response (API, pages, errors)
 * when `publicUrl()` is https, so a browser never again reaches this host over plain http; nothing on
 * an http public URL (a browser ignores the header there, and a local server must stay reachable).
 * @example app.use('*', strictTransportSecurity(publicBaseUrl))
 */
export function strictTransportSecurity(publicUrl: () => string): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (sendsHsts(publicUrl())) c.header('Strict-Transport-Security', HSTS);
  };
}

/** Whether a deployment at `publicUrl` sends HSTS (see `strictTransportSecurity`). */
export function sendsHsts(publicUrl: string): boolean {
  return publicUrl.toLowerCase().startsWith('https://');
}

/**
 * The portal's CSRF key, derived from the account's secret keys so every API process agrees on it
 * without another setting, and separate from the hosted invoice page's key by its label.
 */
export function portalCsrfKey(secrets: { testSecretKey: string; liveSecretKey: string }): Buffer {
  return createHmac('sha256', `${secrets.testSecretKey}\u0000${secrets.liveSecretKey}`).update('portico portal csrf').digest();
}

export interface Csrf {
  /** A fresh masked token for a form of this session. */
  token(sessionId: string): string;
  /** Whether `given` (the form field) is a token of this session. */
  verify(sessionId: string, given: unknown): boolean;
}

/**
 * @example const csrf = createCsrf(portalCsrfKey(keys)); csrf.verify(session.id, body.csrf)
 */
export function createCsrf(key: Uint8Array, random: (n: number) => Uint8Array = randomBytes): Csrf {
  if (key.length < 32) throw new RangeError('the CSRF key needs at least 32 bytes');
  const mac = (sessionId: string) => createHmac('sha256', key).update(`portal-session\u0000${sessionId}`).digest();
  return {
    token(sessionId) {
      const m = mac(sessionId);
      const pad = Buffer.from(random(m.length));
      const masked = Buffer.alloc(m.length);
      for (let i = 0; i < m.length; i++) masked[i] = pad[i]! ^ m[i]!;
      return Buffer.concat([pad, masked]).toString('base64url');
    },
    verify(sessionId, given) {
      if (typeof given !== 'string' || given.length !== 86 || !/^[A-Za-z0-9_-]+$/.test(given)) return false;
      const raw = Buffer.from(given, 'base64url');
      if (raw.length !== 64) return false;
      const unmasked = Buffer.alloc(32);
      for (let i = 0; i < 32; i++) unmasked[i] = raw[i]! ^ raw[i + 32]!;
      return timingSafeEqual(unmasked, mac(sessionId));
    },
  };
}

/** The form field that carries the CSRF token (`CsrfField` renders it). */
export const CSRF_FIELD = 'csrf';

/**
 * Both checks for a portal form post: same origin, and a CSRF token of this session in `body.csrf`.
 * @example const body = await c.req.parseBody(); if (!isValidPortalPost(c, csrf, session.id, body, publicUrl)) return c.text('Forbidden', 403);
 */
export function isValidPortalPost(c: Context, csrf: Csrf, sessionId: string, body: Record<string, unknown>, publicUrl: string): boolean {
  return isSameOriginPost(c, publicUrl) && csrf.verify(sessionId, body[CSRF_FIELD]);
}

/** What a POST's origin check needs from the request. */
export interface OriginHeaders {
  origin?: string | null | undefined;
  secFetchSite?: string | null | undefined;
}

/**
 * Whether a state-changing request comes from this server's own pages: `allowedOrigins` is the
 * public URL's origin.
 * @example isSameOriginRequest({ origin: 'https://billing.example.com' }, ['https://billing.example.com']) // true
 */
export function isSameOriginRequest(headers: OriginHeaders, allowedOrigins: readonly string[]): boolean {
  const origin = headers.origin;
  if (origin && origin !== 'null') return allowedOrigins.includes(origin);
  return headers.secFetchSite === 'same-origin';
}

/**
 * `isSameOriginRequest` for a Hono context, allowing only `publicUrl`'s origin. Never the request's
 * own URL: its host comes from the `Host` header, which whoever sends the request chooses.
 */
export function isSameOriginPost(c: Context, publicUrl: string): boolean {
  const allowed: string[] = [];
  try {
    allowed.push(new URL(publicUrl).origin);
  } catch {
    // an unparsable public URL allows no Origin at all (Sec-Fetch-Site: same-origin still does)
  }
  return isSameOriginRequest({ origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site') }, allowed);
}

/**
 * The portal session cookie's settings for a public URL.
 *
 * - Name: `__Secure-portico_portal` on https, else `portico_portal` (browsers refuse prefixed cookies
 *   without Secure, and plain http has no Secure). Not `__Host-`: that prefix requires `Path=/`, and
 *   the cookie is scoped to `/p` so the API, invoice pages and dashboard never receive it.
 * - `HttpOnly`, `Secure` on https, `Path=/p`, no `Domain` (this host only).
 * - `SameSite=Lax`, not Strict: customers arrive from the merchant's site or a mail client, a cross-site
 *   navigation, and the session exchange answers it with a redirect; browsers treat that redirect chain
 *   as cross-site and would withhold a Strict cookie on the very next page. Lax still keeps the cookie
 *   off cross-site POSTs, subresources and frames; CSRF tokens and the Origin check guard forms anyway.
 * - `Max-Age` 2 hours: no session outlives that (design.md §3); the server still checks expiry.
 */
export interface PortalCookie {
  name: string;
  secure: boolean;
  set(c: Context, value: string): void;
  read(c: Context): string | undefined;
  clear(c: Context): void;
}

export const PORTAL_COOKIE_PATH = '/p';
export const PORTAL_COOKIE_MAX_AGE = 2 * 60 * 60;

/** @example const cookie = portalCookie(config.publicUrl); cookie.set(c, cookieToken) */
export function portalCookie(publicUrl: string): PortalCookie {
  const secure = publicUrl.toLowerCase().startsWith('https://');
  const name = secure ? '__Secure-portico_portal' : 'portico_portal';
  const options: CookieOptions = secure
    ? { path: PORTAL_COOKIE_PATH, httpOnly: true, secure: true, sameSite: 'Lax', prefix: 'secure' }
    : { path: PORTAL_COOKIE_PATH, httpOnly: true, secure: false, sameSite: 'Lax' };
  const bare = secure ? name.slice('__Secure-'.length) : name;
  return {
    name,
    secure,
    set: (c, value) => setCookie(c, bare, value, { ...options, maxAge: PORTAL_COOKIE_MAX_AGE }),
    read: (c) => (secure ? getCookie(c, bare, 'secure') : getCookie(c, bare)),
    clear: (c) => {
      deleteCookie(c, bare, options);
    },
  };
}
