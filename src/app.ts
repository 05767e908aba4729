/**
 * The whole HTTP surface in one Hono app: `/healthz`, the `/v1` API, and (as they arrive) the portal,
 * hosted invoice pages and the dashboard.
 */
import { Hono } from 'hono';
import { createApiApp, type ApiDeps } from './api/app.ts';

export function createApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  const api = createApiApp(deps);
  // The API keeps its own not-found and error handling (Stripe error bodies), so it gets the raw request.
  app.all('/v1/*', (c) => api.fetch(c.req.raw, c.env));
  app.all('/v1', (c) => api.fetch(c.req.raw, c.env));
  return app;
}
