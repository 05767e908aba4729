/**
 * The login page over HTTP (design §1: `/p/login/<token>`):
 * - `GET /p/login/<token>`: the email form (a neutral 404 page for any token that is not an enabled
 *   login page of an active configuration).
 * - `POST /p/login/<token>`: Origin + CSRF (403), rate limits per IP and per address (429), the
 *   address checked (400 with the message), then always the same "check your email" page: the lookup
 *   and the email happen after the answer (see index.ts).
 * - `GET /p/login/<token>/verify/<secret>`: the emailed link: 303 to the new portal session, the
 *   account chooser when several customers share the address, or the invalid-link page (410).
 * - `POST /p/login/<token>/verify/<secret>`: the chooser's answer (Origin + CSRF).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AccountKeys } from '../../api/auth.ts';
import type { Customer } from '../../billing/customers.ts';
import { decodeBody, type Decoded } from '../../lib/params.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import { composeLoginEmail } from './email.tsx';
import { isLoginEmail, normalizeEmail, type LoginPage, type LoginService } from './index.ts';
import { loginMessages, pickLoginLocale, type LoginLocale, type LoginMessages } from './messages.ts';
import { ChooserPage, LOGIN_CSS, LoginFormPage, MessagePage, html, type PageBase } from './pages.tsx';
import type { LoginRateLimiter } from './rate-limit.ts';

export interface LoginRouteDeps {
  login: LoginService;
  limiter: LoginRateLimiter;
  keys: AccountKeys;
  /** See `Config.trustProxyHops`. */
  trustProxyHops: number;
  /** `PORTICO_BUSINESS_NAME`: who the customer is signing in to (null: a neutral wording). */
  businessName: string | null;
}

/** STOPGAP (until the portal foundation's middleware): the same policy as the hosted invoice page. */
export const LOGIN_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function setSecurityHeaders(c: Context): void {
  c.header('Content-Security-Policy', LOGIN_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
}

function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin && origin !== 'null') {
    const allowed = new Set([new URL(c.req.url).origin]);
    try {
      allowed.add(new URL(publicBaseUrl()).origin);
    } catch {
      // an unparsable base URL allows only the request's own origin
    }
    return allowed.has(origin);
  }
  return c.req.header('sec-fetch-site') === 'same-origin';
}

/**
 * The client's address for the per-IP limit: the socket's, or, behind `trustProxyHops` proxies, the
 * address the outermost of them saw (the `hops`-th entry from the right of `X-Forwarded-For`; entries
 * further left are the client's own claims and are ignored).
 */
export function clientIp(c: Context, trustProxyHops: number): string {
  let socket = 'unknown';
  try {
    socket = getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // not served by @hono/node-server (e.g. app.request in a unit test)
  }
  if (trustProxyHops === 0) return socket;
  const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return forwarded[forwarded.length - trustProxyHops] ?? socket;
}

export function mountLoginRoutes(app: Hono<any>, deps: LoginRouteDeps): void {
  const csrfKey = createHmac('sha256', `${deps.keys.testSecretKey}\u0000${deps.keys.liveSecretKey}`)
    .update('portico portal login csrf')
    .digest();
  const csrfFor = (purpose: string, value: string) => createHmac('sha256', csrfKey).update(`${purpose}\u0000${value}`).digest('base64url');
  const csrfValid = (purpose: string, value: string, given: unknown) => {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(csrfFor(purpose, value));
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const localeOf = (c: Context): LoginLocale => pickLoginLocale([], c.req.header('accept-language'));
  const base = (c: Context, page: LoginPage | null): PageBase & { locale: LoginLocale } => {
    const locale = localeOf(c);
    return { t: loginMessages(locale), lang: locale, locale, headline: page?.configuration.business_profile.headline ?? null };
  };
  const businessName = (t: LoginMessages) => t.yourBusiness;
  const formPath = (token: string) => `/p/login/${token}`;

  const notFound = async (c: Context) => {
    const b = base(c, null);
    return c.html(await html(MessagePage({ ...b, title: b.t.notFoundHeading, heading: b.t.notFoundHeading, body: b.t.notFoundBody })), 404);
  };
  const forbidden = async (c: Context, page: LoginPage) => {
    const b = base(c, page);
    const back = { href: formPath(page.token), label: b.t.requestNewLink };
    return c.html(await html(MessagePage({ ...b, title: b.t.errorTitle, heading: b.t.errorTitle, body: b.t.genericError, back })), 403);
  };
  const tooMany = async (c: Context, page: LoginPage, retryAfter: number) => {
    const b = base(c, page);
    c.header('Retry-After', String(retryAfter));
    return c.html(await html(MessagePage({ ...b, title: b.t.loginTitle, heading: b.t.loginTitle, body: b.t.rateLimited })), 429);
  };
  const invalidLink = async (c: Context, page: LoginPage) => {
    const b = base(c, page);
    const back = { href: formPath(page.token), label: b.t.requestNewLink };
    const body = MessagePage({ ...b, title: b.t.linkInvalidHeading, heading: b.t.linkInvalidHeading, body: b.t.linkInvalidBody, back });
    return c.html(await html(body), 410);
  };
  const form = async (c: Context, page: LoginPage, status: 200 | 400, email = '', error: string | null = null) => {
    const b = base(c, page);
    const props = { ...b, business: businessName(b.t), action: formPath(page.token), csrf: csrfFor('login', page.token), email, error };
    return c.html(await html(LoginFormPage(props)), status);
  };
  const readBody = async (c: Context): Promise<Decoded | null> => {
    try {
      return decodeBody(new Uint8Array(await c.req.arrayBuffer()));
    } catch {
      return null;
    }
  };

  // STOPGAP until the portal foundation's middleware covers /p/*: headers, no-store, a body cap.
  app.use('/p/login/*', async (c, next) => {
    await next();
    setSecurityHeaders(c);
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
  app.post('/p/login/*', bodyLimit({ maxSize: 8 * 1024, onError: (c) => c.text('Payload too large', 413) }));
  app.get('/p/-/login.css', (c) => {
    setSecurityHeaders(c);
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(LOGIN_CSS);
  });

  app.get('/p/login/:token', async (c) => {
    const page = await deps.login.findPage(c.req.param('token'));
    return page ? form(c, page, 200) : notFound(c);
  });

  app.post('/p/login/:token', async (c) => {
    const page = await deps.login.findPage(c.req.param('token'));
    if (!page) return notFound(c);
    const body = await readBody(c);
    if (!body || !sameOrigin(c) || !csrfValid('login', page.token, body.csrf)) return forbidden(c, page);
    const byIp = await deps.limiter.ip(clientIp(c, deps.trustProxyHops));
    if (!byIp.ok) return tooMany(c, page, byIp.retryAfterSeconds);
    const typed = typeof body.email === 'string' ? body.email : '';
    const email = normalizeEmail(typed);
    const b = base(c, page);
    if (!isLoginEmail(email)) return form(c, page, 400, typed.slice(0, 512), b.t.invalidEmail);
    const byAddress = await deps.limiter.address(email);
    if (!byAddress.ok) return tooMany(c, page, byAddress.retryAfterSeconds);
    const headline = b.headline;
    const acceptLanguage = c.req.header('accept-language');
    deps.login.requestLink(page, email, (link: string, customers: Customer[]) => {
      const locale = pickLoginLocale(customers[0]?.preferred_locales ?? [], acceptLanguage);
      const t = loginMessages(locale);
      return composeLoginEmail({ to: customers[0]?.email ?? email, link, business: businessName(t), headline, lang: locale, t });
    });
    const sent = MessagePage({
      ...b,
      title: b.t.loginTitle,
      heading: b.t.loginTitle,
      body: b.t.linkSent,
      back: { href: formPath(page.token), label: b.t.requestNewLink },
    });
    return c.html(await html(sent), 200);
  });

  app.get('/p/login/:token/verify/:secret', async (c) => {
    // Hono serves HEAD with the GET route; a link checker's HEAD must not use up the link.
    if (c.req.method === 'HEAD') return c.body(null, 200);
    const page = await deps.login.findPage(c.req.param('token'));
    if (!page) return notFound(c);
    const secret = c.req.param('secret');
    const result = await deps.login.open(page, secret);
    if (result.kind === 'session') return c.redirect(result.url, 303);
    if (result.kind === 'invalid') return invalidLink(c, page);
    const b = base(c, page);
    const dates = new Intl.DateTimeFormat(b.locale, { dateStyle: 'medium', timeZone: 'UTC' });
    const choices = result.customers.map((cu) => ({
      id: cu.id,
      name: cu.name,
      email: cu.email,
      since: b.t.customerSince(dates.format(new Date(cu.created * 1000))),
    }));
    const action = `/p/login/${page.token}/verify/${secret}`;
    return c.html(await html(ChooserPage({ ...b, action, csrf: csrfFor('choose', secret), choices })), 200);
  });

  app.post('/p/login/:token/verify/:secret', async (c) => {
    const page = await deps.login.findPage(c.req.param('token'));
    if (!page) return notFound(c);
    const secret = c.req.param('secret');
    const body = await readBody(c);
    if (!body || !sameOrigin(c) || !csrfValid('choose', secret, body.csrf)) return forbidden(c, page);
    const customer = typeof body.customer === 'string' ? body.customer : '';
    const result = await deps.login.choose(page, secret, customer);
    if (result.kind === 'session') return c.redirect(result.url, 303);
    return invalidLink(c, page);
  });
}
