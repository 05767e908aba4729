/**
 * The portal's shared HTTP plumbing, mounted once on the app before any portal page:
 * security headers and `no-store` on every `/p/*` response, gzip/deflate compression of pages and the
 * stylesheet, a small body limit on form posts, and `GET /p/-/layout.css` (theme custom properties from
 * the validated query, then the base stylesheet; cacheable, as its URL names its content).
 *
 * Compression: as Hono's `compress` decides it, a page done in one synchronous zlib call (compress.ts;
 * measured by the unit test: a layout page of ~3 KB goes out at well under half, also under
 * @hono/node-server).
 */
import type { Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PORTAL_CSS } from '../portal-css.ts';
import { themeCss, themeFromQuery } from '../theme.ts';
import { compressResponses } from './compress.ts';
import { portalSecurityHeaders } from './security.ts';

export const PORTAL_FORM_LIMIT = 16 * 1024;

/** @example mountPortalFoundation(app) // in createApp, before the portal's page routes */
export function mountPortalFoundation<E extends Env>(app: Hono<E>): void {
  app.use('/p/*', portalSecurityHeaders());
  app.use('/p/*', compressResponses());
  // The rest of an oversized body is never read, so its connection cannot carry another request.
  app.post('/p/*', bodyLimit({ maxSize: PORTAL_FORM_LIMIT, onError: (c) => c.text('Payload too large', 413, { Connection: 'close' }) }));
  app.get('/p/-/layout.css', (c) => {
    const theme = themeFromQuery((name) => c.req.query(name));
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(themeCss(theme) + PORTAL_CSS);
  });
}
