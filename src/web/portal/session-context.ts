/**
 * What every portal page after the way in needs, in one place: the active session from the cookie (or
 * the expired-session page), the session's customer and configuration read within its mode, the
 * negotiated locale and catalog, the business as the page shows it, a CSRF token for its forms, and the
 * check of a form post (Origin and CSRF before anything else).
 *
 * Feature pages (subscriptions, payment methods, billing details, invoices) take a `PortalKit` and
 * start each handler with `open`:
 *
 * ```ts
 * app.get('/p/subscriptions/:id/update', async (c) => {
 *   const p = await kit.open(c);
 *   if (p instanceof Response) return p;
 *   // p.ctx reads and writes within the session's mode; p.customer is the session's customer
 * });
 * app.post('/p/subscriptions/:id/cancel', async (c) => {
 *   const p = await kit.open(c);
 *   if (p instanceof Response) return p;
 *   const body = await kit.readPost(c, p);
 *   if (body instanceof Response) return body;
 *   // … call the domain function, then c.redirect(…, 303)
 * });
 * ```
 */
import type { Context } from 'hono';
import type { Customer } from '../../billing/customers.ts';
import type { Clock } from '../../lib/clock.ts';
import { decodeBody, type Decoded } from '../../lib/params.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import { presentConfiguration, type PortalConfiguration } from '../../portal/configurations/index.ts';
import { sessionByCookie, type OpenSession } from '../../portal/sessions/store.ts';
import type { AccountKeys } from '../../storage/accounts.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Db } from '../../storage/database.ts';
import { findObject, objectsByIds } from '../../storage/objects.ts';
import type { ObjectRow } from '../../storage/schema.ts';
import { createCsrf, isSameOriginPost, isValidPortalPost, portalCookie, portalCsrfKey, type Csrf, type PortalCookie } from '../foundation/http/security.ts';
import { portalMessages, type PortalLocale, type PortalMessages } from '../foundation/i18n/index.ts';
import { negotiateLocale } from '../foundation/i18n/negotiate.ts';
import { displayBusiness, type BusinessInfo } from '../foundation/layout.tsx';
import { renderErrorPage, renderExpiredPage } from './pages.tsx';
import { loadBranding } from './branding.ts';

export interface PortalRouteDeps {
  db: Db;
  clock: Clock;
  businessName: string | null;
  /** The account's keys: the portal's CSRF key is derived from them. */
  keys: AccountKeys;
}

/** One request of an active portal session, with everything read that every page needs. */
export interface PortalRequest {
  session: OpenSession;
  /** Reads and writes within the session's mode (request ids null: no API request made the change). */
  ctx: Ctx;
  customer: Customer;
  /** The customer's stored row as this request read it (a page's read cache starts from it: subscriptions/offer.ts `pageReads`). */
  customerRow: ObjectRow;
  configuration: PortalConfiguration;
  locale: PortalLocale;
  t: PortalMessages;
  business: BusinessInfo;
  returnUrl: string | null;
  /** A fresh, masked CSRF token for this page's forms (`<CsrfField token={p.csrfToken} />`). */
  csrfToken: string;
}

export interface PortalKit {
  readonly deps: PortalRouteDeps;
  readonly cookie: PortalCookie;
  readonly csrf: Csrf;
  /** The active session's request, or the expired-session page (401/410) to return as is. */
  open(c: Context): Promise<PortalRequest | Response>;
  /** A form post's fields once Origin and the CSRF token check out; else a 403 page to return as is. */
  readPost(c: Context, p: PortalRequest): Promise<Decoded | Response>;
  /** The expired-session page: a way back to the business when the session is known, nothing more. */
  expired(c: Context, session: OpenSession | null, status: 401 | 404 | 410): Promise<Response>;
  /** The portal's not-found page (another customer's or the other mode's id lands here), status 404. */
  notFound(c: Context, p: PortalRequest): Promise<Response>;
  /** A domain `Ctx` for a session's mode. */
  ctxFor(livemode: boolean): Ctx;
}

export function portalKit(deps: PortalRouteDeps): PortalKit {
  const cookie = portalCookie(publicBaseUrl());
  const csrf = createCsrf(portalCsrfKey(deps.keys));
  const ctxFor = (livemode: boolean): Ctx => ({ db: deps.db, livemode, clock: deps.clock, request: { id: null, idempotencyKey: null } });

  const expired: PortalKit['expired'] = async (c, session, status) => {
    let loginUrl: string | null = null;
    let config: PortalConfiguration | null = null;
    if (session) {
      config = (await findObject<PortalConfiguration>(ctxFor(session.livemode), 'billing_portal.configuration', session.configuration))?.data ?? null;
      const recovery = session.session.after_expiration?.customer_login;
      const recoverable = recovery !== undefined && recovery !== null && (recovery.expires_at === null || recovery.expires_at > deps.clock.now());
      if (config?.login_page.enabled && recoverable) loginUrl = presentConfiguration(config).login_page.url;
    }
    const html = await renderExpiredPage({
      acceptLanguage: c.req.header('accept-language') ?? null,
      sessionLocale: session?.session.locale ?? null,
      businessName: deps.businessName,
      profile: config?.business_profile ?? null,
      returnUrl: session?.session.return_url ?? null,
      loginUrl,
    });
    return c.html(html, status);
  };

  const open: PortalKit['open'] = async (c) => {
    const found = await sessionByCookie(deps.db, deps.clock, cookie.read(c));
    if (found.kind !== 'active') return expired(c, found.kind === 'expired' ? found.session : null, 401);
    const session = found.session;
    const ctx = ctxFor(session.livemode);
    // The customer and the configuration in one statement (by primary key; type and deletion checked here).
    const [rows, brand] = await Promise.all([objectsByIds(deps.db, session.livemode, [session.customer, session.configuration]), loadBranding(deps.db, deps.businessName)]);
    const live = (object: string, id: string) => rows.find((r) => r.id === id && r.object === object && !r.deleted);
    const customerRow = live('customer', session.customer);
    const configurationRow = live('billing_portal.configuration', session.configuration);
    if (!customerRow || 'deleted' in (customerRow.data as object) || !configurationRow) return expired(c, session, 410);
    const customer = customerRow.data as Customer;
    const configuration = configurationRow.data as PortalConfiguration;
    const locale = negotiateLocale({
      sessionLocale: session.session.locale,
      preferredLocales: customer.preferred_locales,
      acceptLanguage: c.req.header('accept-language') ?? null,
    });
    const returnUrl = session.session.return_url;
    return {
      session,
      ctx,
      customer,
      customerRow,
      configuration,
      locale,
      t: portalMessages(locale),
      business: {
        ...displayBusiness(brand.name, configuration.business_profile, returnUrl ?? configuration.default_return_url),
        logoPath: brand.logoPath,
        theme: brand.theme,
        supportEmail: brand.supportEmail,
        supportPhone: brand.supportPhone,
        supportUrl: brand.supportUrl,
      },
      returnUrl,
      csrfToken: csrf.token(session.id),
    };
  };

  const readPost: PortalKit['readPost'] = async (c, p) => {
    const forbidden = async () => c.html(await renderErrorPage({ p, status: 403 }), 403);
    // Origin first: a cross-site post is refused before its body is even read.
    if (!isSameOriginPost(c, publicBaseUrl())) return forbidden();
    let body: Decoded;
    try {
      body = decodeBody(new Uint8Array(await c.req.arrayBuffer()));
    } catch {
      return forbidden(); // not UTF-8, or not a form the decoder accepts: no valid CSRF token either
    }
    if (!isValidPortalPost(c, csrf, p.session.id, body, publicBaseUrl())) return forbidden();
    return body;
  };

  const notFound: PortalKit['notFound'] = async (c, p) => c.html(await renderErrorPage({ p, status: 404 }), 404);

  return { deps, cookie, csrf, open, readPost, expired, notFound, ctxFor };
}
