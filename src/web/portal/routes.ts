/**
 * The way into the portal: `GET /p/session/<token>` trades the session URL's token for an httpOnly
 * cookie and redirects to `/p/home`, so the secret leaves the address bar (and the history, and any
 * Referer) at once; `/p/home` shows the session's customer their billing. Without a valid cookie every
 * portal page is the expired-session page, which never shows customer data.
 *
 * Cookie: `SameSite=Lax`, not Strict: the customer arrives through a cross-site redirect from the
 * business's site, and browsers withhold Strict cookies for the whole of such a redirect chain, which
 * would lose the session on the very first page. Path `/p`, httpOnly, Secure when the public URL is https.
 */
import type { Context, Hono } from 'hono';
import type { Clock } from '../../lib/clock.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Db } from '../../storage/database.ts';
import { findObject } from '../../storage/objects.ts';
import { loadHome } from '../../portal/home.ts';
import { presentConfiguration, type PortalConfiguration } from '../../portal/configurations/index.ts';
import { exchangeToken, sessionByCookie, type OpenSession } from '../../portal/sessions/store.ts';
import { portalCookie } from '../foundation/http/security.ts';
import { renderExpiredPage, renderHomePage } from './pages.tsx';

export interface PortalRouteDeps {
  db: Db;
  clock: Clock;
  businessName: string | null;
}

function ctxFor(deps: PortalRouteDeps, livemode: boolean): Ctx {
  return { db: deps.db, livemode, clock: deps.clock, request: { id: null, idempotencyKey: null } };
}

/** Mounts the portal pages; `mountPortalFoundation` (headers, compression, stylesheet) runs before them. */
export function mountPortalRoutes(app: Hono<any>, deps: PortalRouteDeps): void {
  const cookie = portalCookie(publicBaseUrl());

  /** The expired-session page: a way back to the business when the session is known, nothing more. */
  const expired = async (c: Context, session: OpenSession | null, status: 401 | 404 | 410) => {
    let loginUrl: string | null = null;
    let config: PortalConfiguration | null = null;
    if (session) {
      config = (await findObject<PortalConfiguration>(ctxFor(deps, session.livemode), 'billing_portal.configuration', session.configuration))?.data ?? null;
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

  app.get('/p/session/:token', async (c) => {
    const result = await exchangeToken(deps.db, deps.clock, c.req.param('token'));
    if (result.kind === 'opened') {
      cookie.set(c, result.cookie);
      return c.redirect('/p/home', 303);
    }
    if (result.kind === 'used') {
      // The link was already opened: only the browser holding that session's cookie gets back in.
      const mine = await sessionByCookie(deps.db, deps.clock, cookie.read(c));
      if (mine.kind === 'active' && mine.session.id === result.session.id) return c.redirect('/p/home', 303);
      return expired(c, result.session, 410);
    }
    return expired(c, result.kind === 'expired' ? result.session : null, result.kind === 'expired' ? 410 : 404);
  });

  app.get('/p/home', async (c) => {
    const found = await sessionByCookie(deps.db, deps.clock, cookie.read(c));
    if (found.kind !== 'active') return expired(c, found.kind === 'expired' ? found.session : null, 401);
    const data = await loadHome(ctxFor(deps, found.session.livemode), found.session);
    if (!data) return expired(c, found.session, 410);
    const html = await renderHomePage({
      data,
      businessName: deps.businessName,
      sessionLocale: found.session.session.locale,
      acceptLanguage: c.req.header('accept-language') ?? null,
    });
    return c.html(html);
  });
}
