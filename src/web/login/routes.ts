/**
 * The login page over HTTP (design §1: `/p/login/<token>`):
 * - `GET /p/login/<token>`: the email form (a neutral 404 page for any token that is not an enabled
 *   login page of an active configuration).
 * - `POST /p/login/<token>`: Origin + CSRF (403), rate limits per IP and per address (429), the
 *   address checked (400 with the message), then one login mail outbox row and always the same "check
 *   your email" page: the lookup and the email happen in the background sender (see index.ts).
 * - `GET /p/login/<token>/verify/<secret>`: the emailed link: the account it opens with an "Open
 *   billing portal" button, or the chooser when several customers share the address, or the
 *   invalid-link page (410). It changes nothing (mail scanners fetch links).
 * - `POST /p/login/<token>/verify/<secret>`: that button or the chooser's answer (Origin + CSRF): uses
 *   the link and 303s to the new portal session.
 *
 * Security headers, `no-store`, compression and the body limit come from the portal foundation
 * (`mountPortalFoundation`, mounted before these routes). CSRF tokens are the portal's masked HMAC
 * tokens, bound to the login page (`login:<token>`) or to the emailed link (`login-link:<secret>`).
 */
import type { Context, Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AccountKeys } from '../../storage/accounts.ts';
import { decodeBody, type Decoded } from '../../lib/params.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import { createCsrf, isValidPortalPost, portalCsrfKey } from '../foundation/http/security.ts';
import { formatDate } from '../foundation/i18n/format.ts';
import { portalMessages } from '../foundation/i18n/index.ts';
import { negotiateLocale } from '../foundation/i18n/negotiate.ts';
import { displayBusiness } from '../foundation/layout.tsx';
import { isLoginEmail, normalizeEmail, type LoginPage, type LoginService } from '../../portal/login/index.ts';
import { ChooserPage, LoginFormPage, MessagePage, renderLoginPage, type PageBase } from './pages.tsx';
import type { LoginRateLimiter } from '../../portal/login/rate-limit.ts';

export interface LoginRouteDeps {
  login: LoginService;
  limiter: LoginRateLimiter;
  keys: AccountKeys;
  /** See `Config.trustProxyHops`. */
  trustProxyHops: number;
  /** `PORTICO_BUSINESS_NAME`: who the customer is signing in to (else the headline, else the host). */
  businessName: string | null;
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

function publicHost(): string {
  try {
    return new URL(publicBaseUrl()).host;
  } catch {
    return '';
  }
}

export function mountLoginRoutes(app: Hono<any>, deps: LoginRouteDeps): void {
  const csrf = createCsrf(portalCsrfKey(deps.keys));
  const pageCsrf = (page: LoginPage) => `login:${page.token}`;
  const linkCsrf = (secret: string) => `login-link:${secret}`;
  const formPath = (page: LoginPage) => `/p/login/${page.token}`;

  const businessOf = (page: LoginPage | null) =>
    displayBusiness(deps.businessName, page?.configuration.business_profile ?? null, page?.configuration.default_return_url ?? null);
  /** The name customers see (as on every portal page; this server's host when nothing names it). */
  const nameFor = (page: LoginPage | null) => businessOf(page).name || publicHost();
  const base = (c: Context, page: LoginPage | null): PageBase => {
    const locale = negotiateLocale({ acceptLanguage: c.req.header('accept-language') ?? null });
    return { locale, t: portalMessages(locale), business: businessOf(page) };
  };
  const respond = async (c: Context, node: Parameters<typeof renderLoginPage>[0], status: 200 | 400 | 403 | 404 | 410 | 429) =>
    c.html(await renderLoginPage(node), status);

  const notFound = (c: Context) => {
    const b = base(c, null);
    return respond(c, MessagePage({ ...b, title: b.t.notFoundHeading, heading: b.t.notFoundHeading, body: b.t.notFoundBody }), 404);
  };
  const forbidden = (c: Context, page: LoginPage) => {
    const b = base(c, page);
    const action = { href: formPath(page), label: b.t.logInAgain };
    return respond(c, MessagePage({ ...b, title: b.t.errorTitle, heading: b.t.errorTitle, body: b.t.genericError, kind: 'error', action }), 403);
  };
  const tooMany = (c: Context, page: LoginPage, retryAfter: number) => {
    const b = base(c, page);
    c.header('Retry-After', String(retryAfter));
    return respond(c, MessagePage({ ...b, title: b.t.loginTitle, heading: b.t.loginTitle, body: b.t.rateLimited, kind: 'error' }), 429);
  };
  const invalidLink = (c: Context, page: LoginPage) => {
    const b = base(c, page);
    const action = { href: formPath(page), label: b.t.logInAgain };
    const heading = b.t.loginLinkInvalidHeading;
    return respond(c, MessagePage({ ...b, title: heading, heading, body: b.t.loginLinkInvalidBody, action }), 410);
  };
  const form = (c: Context, page: LoginPage, status: 200 | 400, email = '', error: string | null = null) => {
    const b = base(c, page);
    const props = { ...b, businessName: nameFor(page) || null, action: formPath(page), csrf: csrf.token(pageCsrf(page)), email, error };
    return respond(c, LoginFormPage(props), status);
  };
  const readBody = async (c: Context): Promise<Decoded | null> => {
    try {
      return decodeBody(new Uint8Array(await c.req.arrayBuffer()));
    } catch {
      return null; // not UTF-8, or not a form the decoder accepts: no valid CSRF token either
    }
  };

  app.get('/p/login/:token', async (c) => {
    const page = await deps.login.findPage(c.req.param('token'));
    return page ? form(c, page, 200) : notFound(c);
  });

  app.post('/p/login/:token', async (c) => {
    const page = await deps.login.findPage(c.req.param('token'));
    if (!page) return notFound(c);
    const body = await readBody(c);
    if (!body || !isValidPortalPost(c, csrf, pageCsrf(page), body, publicBaseUrl())) return forbidden(c, page);
    const byIp = await deps.limiter.ip(clientIp(c, deps.trustProxyHops));
    if (!byIp.ok) return tooMany(c, page, byIp.retryAfterSeconds);
    const typed = typeof body.email === 'string' ? body.email : '';
    const email = normalizeEmail(typed);
    const b = base(c, page);
    if (!isLoginEmail(email)) return form(c, page, 400, typed.slice(0, 512), b.t.invalidEmail);
    const byAddress = await deps.limiter.address(email);
    if (!byAddress.ok) return tooMany(c, page, byAddress.retryAfterSeconds);
    const business = nameFor(page);
    const headline = page.configuration.business_profile.headline;
    await deps.login.requestLink(page, email, {
      acceptLanguage: c.req.header('accept-language') ?? null,
      business,
      headline: headline === business ? null : headline,
    });
    // The same page for every valid address, known or not; it carries no token, so it never varies.
    return respond(c, MessagePage({ ...b, title: b.t.loginTitle, heading: b.t.loginTitle, body: b.t.linkSent, kind: 'success' }), 200);
  });

  app.get('/p/login/:token/verify/:secret', async (c) => {
    const page = await deps.login.findPage(c.req.param('token'));
    if (!page) return notFound(c);
    const secret = c.req.param('secret');
    const result = await deps.login.open(page, secret);
    if (result.kind !== 'choose') return invalidLink(c, page);
    const b = base(c, page);
    const choices = result.customers.map((cu) => ({
      id: cu.id,
      name: cu.name,
      email: cu.email,
      since: b.t.customerSince(formatDate(cu.created, b.locale, { style: 'medium' })),
    }));
    const action = `${formPath(page)}/verify/${secret}`;
    return respond(c, ChooserPage({ ...b, action, csrf: csrf.token(linkCsrf(secret)), choices }), 200);
  });

  app.post('/p/login/:token/verify/:secret', async (c) => {
    const page = await deps.login.findPage(c.req.param('token'));
    if (!page) return notFound(c);
    const secret = c.req.param('secret');
    const body = await readBody(c);
    if (!body || !isValidPortalPost(c, csrf, linkCsrf(secret), body, publicBaseUrl())) return forbidden(c, page);
    const customer = typeof body.customer === 'string' ? body.customer : '';
    const result = await deps.login.choose(page, secret, customer);
    if (result.kind === 'session') return c.redirect(result.url, 303);
    return invalidLink(c, page);
  });
}
