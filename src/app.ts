/**
 * The whole HTTP surface in one Hono app: `/healthz`, the `/v1` API, and (as they arrive) the portal,
 * hosted invoice pages and the dashboard.
 */
import { Hono } from 'hono';
import { mountApi, type ApiDeps } from './api/app.ts';
import type { ApiEnv } from './api/router.ts';
import { publicBaseUrl } from './lib/public-url.ts';
import { mountPortalFoundation } from './web/foundation/http/routes.ts';
import { strictTransportSecurity } from './web/foundation/http/security.ts';
import { mountInvoiceRoutes } from './web/invoice/routes.ts';
import { mountLoginRoutes, type LoginRouteDeps } from './web/login/routes.ts';
import { mountPortalRoutes } from './web/portal/routes.ts';
import { mountDashboard, type DashboardDeps } from './web/dashboard/routes.tsx';

const isApi = (path: string) => path === '/v1' || path.startsWith('/v1/');

export interface AppDeps extends ApiDeps {
  businessName?: string | null;
  /** The login page's service and rate limits (absent: no `/p/login` routes). */
  login?: Omit<LoginRouteDeps, 'keys' | 'businessName'>;
  /** The merchant dashboard (absent: no `/dashboard` routes). */
  dashboard?: Omit<DashboardDeps, 'db' | 'clock' | 'keys' | 'businessName'>;
}

export function createApp(deps: AppDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use('*', strictTransportSecurity(publicBaseUrl));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  const api = mountApi(app, deps);
  mountInvoiceRoutes(app, deps);
  mountPortalFoundation(app);
  mountPortalRoutes(app, { db: deps.db, clock: deps.clock, businessName: deps.businessName ?? null, keys: deps.keys });
  if (deps.login) mountLoginRoutes(app, { ...deps.login, keys: deps.keys, businessName: deps.businessName ?? null });
  if (deps.dashboard) mountDashboard(app, { ...deps.dashboard, db: deps.db, clock: deps.clock, keys: deps.keys, businessName: deps.businessName ?? null });
  // Under /v1 every miss and failure is a Stripe error body; elsewhere a plain page.
  app.notFound((c) => (isApi(c.req.path) ? api.notFound(c) : c.text('Not found', 404)));
  app.onError((err, c) => {
    if (isApi(c.req.path)) return api.onError(err, c);
    console.error('[portico] unexpected error:', err);
    return c.text('Something went wrong.', 500);
  });
  return app;
}
