/**
 * Hosted invoice routes: `GET /i/<token>` (the page), `GET /i/<token>/pdf`, `POST /i/<token>/pay`
 * (charges the customer's default payment method, on-session, in one transaction, then redirects back
 * to the page with the outcome), and the page's stylesheet. Security: unknown or malformed tokens are a
 * 404 page; the pay form carries a CSRF token (HMAC-SHA256 of the URL token keyed with the account's
 * secret keys, so every API process agrees) and its Origin must be this server (a browser that sends
 * `Origin: null` because of `Referrer-Policy: no-referrer` is accepted only with
 * `Sec-Fetch-Site: same-origin`); strict CSP with no inline script or style, nosniff, no referrer,
 * no framing, no caching.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AccountKeys } from '../../storage/accounts.ts';
import { attemptInvoicePayment } from '../../billing/invoices/pay.ts';
import { findInvoiceByHostedToken, hostedInvoiceBaseUrl } from '../../billing/invoices/hosted-links.ts';
import { atClockTime } from '../../billing/invoices/store.ts';
import type { Invoice, InvoiceLineItem } from '../../billing/invoices/types.ts';
import type { Customer } from '../../billing/customers.ts';
import type { Clock } from '../../lib/clock.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Db, Executor } from '../../storage/database.ts';
import { findObject } from '../../storage/objects.ts';
import { pickInvoiceLocale, type InvoiceLocale } from './i18n.ts';
import { INVOICE_CSS, buildInvoiceView, renderInvoicePage, renderNotFoundPage, type InvoiceViewInput, type PaymentNotice } from './page.tsx';
import { renderInvoicePdf } from './pdf.ts';
import { setPortalSecurityHeaders } from '../foundation/http/security.ts';

export interface InvoiceRouteDeps {
  db: Db;
  clock: Clock;
  keys: AccountKeys;
}

export const INVOICE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const NOTICES = new Set(['succeeded', 'declined', 'requires_action', 'failed']);

interface Loaded {
  ctx: Ctx;
  invoice: Invoice;
  input: InvoiceViewInput;
  preferredLocales: string[];
}

function ctxFor(db: Executor, clock: Clock, livemode: boolean): Ctx {
  return { db, livemode, clock, request: { id: null, idempotencyKey: null } };
}

async function loadByToken(deps: InvoiceRouteDeps, token: string): Promise<Loaded | null> {
  const link = await findInvoiceByHostedToken(deps.db, token);
  if (!link) return null;
  const ctx = ctxFor(deps.db, deps.clock, link.livemode);
  const row = await findObject<Invoice>(ctx, 'invoice', link.invoice);
  if (!row) return null;
  const invoice = row.data;
  const allLines = (row.private as { allLines?: InvoiceLineItem[] }).allLines;
  const lines = allLines && allLines.length > 0 ? allLines : invoice.lines.data;
  const customer = await findObject<Customer>(ctx, 'customer', invoice.customer, { includeDeleted: true });
  const taxRates = new Map<string, { display_name: string; percentage: number }>();
  for (const id of new Set(invoice.total_taxes.map((t) => t.tax_rate_details.tax_rate))) {
    const rate = await findObject<{ display_name: string; percentage: number }>(ctx, 'tax_rate', id, { includeDeleted: true });
    if (rate) taxRates.set(id, { display_name: rate.data.display_name, percentage: rate.data.percentage });
  }
  return {
    ctx,
    invoice,
    input: { invoice, lines, taxRates },
    preferredLocales: customer?.data.preferred_locales ?? [],
  };
}

export function mountInvoiceRoutes(app: Hono<any>, deps: InvoiceRouteDeps): void {
  const csrfKey = createHmac('sha256', `${deps.keys.testSecretKey}\u0000${deps.keys.liveSecretKey}`)
    .update('portico hosted invoice csrf')
    .digest();
  const csrfFor = (token: string) => createHmac('sha256', csrfKey).update(token).digest('base64url');
  const csrfValid = (token: string, given: unknown) => {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(csrfFor(token));
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const sameOrigin = (c: Context) => {
    const origin = c.req.header('origin');
    if (origin && origin !== 'null') {
      const allowed = new Set([new URL(c.req.url).origin]);
      try {
        allowed.add(new URL(hostedInvoiceBaseUrl()).origin);
      } catch {
        // an unparsable base URL allows only the request's own origin
      }
      return allowed.has(origin);
    }
    return c.req.header('sec-fetch-site') === 'same-origin';
  };
  const notFound = async (c: Context, preferred: string[] = []) => {
    const locale = pickInvoiceLocale(preferred, c.req.header('accept-language'));
    return c.html(await renderNotFoundPage(locale), 404);
  };
  const localeFor = (c: Context, loaded: Loaded): InvoiceLocale =>
    pickInvoiceLocale(loaded.preferredLocales, c.req.header('accept-language'));

  app.use('/i/*', async (c, next) => {
    await next();
    setPortalSecurityHeaders(c, INVOICE_CSP);
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
  app.post('/i/*', bodyLimit({ maxSize: 8 * 1024, onError: (c) => c.text('Payload too large', 413) }));

  app.get('/i/-/invoice.css', (c) => {
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(INVOICE_CSS);
  });

  app.get('/i/:token', async (c) => {
    const token = c.req.param('token');
    const loaded = await loadByToken(deps, token);
    if (!loaded) return notFound(c);
    const view = buildInvoiceView(loaded.input, localeFor(c, loaded));
    const payment = c.req.query('payment');
    const notice = (payment && NOTICES.has(payment) ? payment : null) as PaymentNotice;
    const payable = loaded.invoice.status === 'open' && loaded.invoice.amount_remaining > 0;
    return c.html(await renderInvoicePage({ view, token, csrf: payable ? csrfFor(token) : null, notice }));
  });

  app.get('/i/:token/pdf', async (c) => {
    const token = c.req.param('token');
    const loaded = await loadByToken(deps, token);
    if (!loaded) return notFound(c);
    const pdf = await renderInvoicePdf(loaded.input, localeFor(c, loaded), new Date(deps.clock.now() * 1000));
    const number = (loaded.invoice.number ?? loaded.invoice.id).replace(/[^A-Za-z0-9._-]/g, '_');
    c.header('Content-Type', 'application/pdf');
    c.header('Content-Disposition', `inline; filename="Invoice-${number}.pdf"`);
    return c.body(pdf as Uint8Array<ArrayBuffer>);
  });

  app.post('/i/:token/pay', async (c) => {
    const token = c.req.param('token');
    const link = await findInvoiceByHostedToken(deps.db, token);
    if (!link) return notFound(c);
    const body = await c.req.parseBody();
    if (!sameOrigin(c) || !csrfValid(token, body.csrf)) return c.text('Forbidden', 403);
    let notice: Exclude<PaymentNotice, null>;
    try {
      notice = await deps.db.transaction().execute(async (tx) => {
        const base = ctxFor(tx, deps.clock, link.livemode);
        const row = await findObject<Invoice>(base, 'invoice', link.invoice);
        if (!row) return 'failed';
        if (row.data.status === 'paid') return 'succeeded';
        if (row.data.status !== 'open') return 'failed';
        const ctx = await atClockTime(base, row.data.test_clock);
        const { payment } = await attemptInvoicePayment(ctx, link.invoice, { offSession: false });
        if (payment.outcome === 'succeeded' || payment.outcome === 'nothing_due') return 'succeeded';
        return payment.outcome === 'requires_action' ? 'requires_action' : 'declined';
      });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      notice = 'failed';
    }
    return c.redirect(`/i/${token}?payment=${notice}`, 303);
  });
}
