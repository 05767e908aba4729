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
import type { Hono } from 'hono';
import { loadHome } from '../../portal/home.ts';
import { exchangeToken, sessionByCookie } from '../../portal/sessions/store.ts';
import { renderHomePage } from './pages.tsx';
import { portalKit, type PortalRouteDeps } from './session-context.ts';
import { mountPaymentMethodRoutes } from './payment-methods/routes.ts';
import { mountThreeDSecureRoutes } from './three-d-secure/routes.ts';
import { mountBillingDetailsRoutes } from './billing-details/routes.ts';
import { mountInvoiceHistoryRoutes } from './invoices/routes.ts';
import { mountBrandingFiles } from './branding.ts';

export type { PortalRouteDeps } from './session-context.ts';

/** Mounts the portal pages; `mountPortalFoundation` (headers, compression, stylesheet) runs before them. */
export function mountPortalRoutes(app: Hono<any>, deps: PortalRouteDeps): void {
  const kit = portalKit(deps);
  const { cookie, expired } = kit;

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
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const data = await loadHome(p.ctx, p.session);
    if (!data) return expired(c, p.session, 410);
    const html = await renderHomePage({
      data,
      business: p.business,
      businessName: deps.businessName,
      sessionLocale: p.session.session.locale,
      acceptLanguage: c.req.header('accept-language') ?? null,
    });
    return c.html(html);
  });

  mountPaymentMethodRoutes(app, kit);
  mountThreeDSecureRoutes(app, kit);
  mountBillingDetailsRoutes(app, kit);
  mountInvoiceHistoryRoutes(app, kit);
  mountBrandingFiles(app, deps.db);
}
