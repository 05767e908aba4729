/**
 * The way into the portal: `GET /p/session/<token>` trades the session URL's token for an httpOnly
 * cookie and redirects to `/p/home`, so the secret leaves the address bar (and the history, and any
 * Referer) at once (HEAD requests and link previewers only learn whether the link is usable); `/p/home` shows the session's customer their billing. Without a valid cookie every
 * portal page is the expired-session page, which never shows customer data.
 *
 * Cookie: `SameSite=Lax`, not Strict: the customer arrives through a cross-site redirect from the
 * business's site, and browsers withhold Strict cookies for the whole of such a redirect chain, which
 * would lose the session on the very first page. Path `/p`, httpOnly, Secure when the public URL is https.
 */
import type { Hono } from 'hono';
import { loadHome } from '../../portal/home.ts';
import { exchangeToken, peekToken, sessionByCookie } from '../../portal/sessions/store.ts';
import { isLinkPreviewer } from '../foundation/http/link-previewers.ts';
import { renderHomePage } from './pages.tsx';
import { portalKit, type PortalRouteDeps } from './session-context.ts';
import { flowLanding } from './flow-completion.tsx';
import { homeNotice } from './subscriptions/common.tsx';
import { mountSubscriptionPages } from './subscriptions/routes.ts';
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
    // Hono answers HEAD with the GET route: a HEAD, or a chat app fetching a preview of a pasted link,
    // learns the link's state but must not spend it (the customer's own click would then fail).
    if (c.req.method === 'HEAD' || isLinkPreviewer(c.req.header('user-agent'))) {
      const state = await peekToken(deps.db, deps.clock, c.req.param('token'));
      return c.body(null, state === 'usable' ? 200 : state === 'unusable' ? 410 : 404);
    }
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
    const landing = flowLanding(p);
    if (landing !== null) return c.redirect(landing, 303);
    const data = await loadHome(p.ctx, p.session);
    if (!data) return expired(c, p.session, 410);
    const html = await renderHomePage({
      data,
      business: p.business,
      businessName: deps.businessName,
      sessionLocale: p.session.session.locale,
      acceptLanguage: c.req.header('accept-language') ?? null,
      csrfToken: p.csrfToken,
      notice: homeNotice(p.t, c.req.query('done'), c.req.query('problem')),
    });
    return c.html(html);
  });
  mountSubscriptionPages(app, kit);

  mountPaymentMethodRoutes(app, kit);
  mountThreeDSecureRoutes(app, kit);
  mountBillingDetailsRoutes(app, kit);
  mountInvoiceHistoryRoutes(app, kit);
  mountBrandingFiles(app, deps.db);
}
