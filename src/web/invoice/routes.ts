/**
 * Hosted invoice routes: `GET /i/<token>` (the page), `GET /i/<token>/pdf`, `POST /i/<token>/pay`
 * (charges the customer's default payment method, on-session, in one transaction, then redirects back
 * to the page with the outcome), and the page's stylesheet. Security: unknown or malformed tokens are a
 * 404 page; the pay form carries a CSRF token (HMAC-SHA256 of the URL token keyed with the account's
 * secret keys, so every API process agrees) and its Origin must be the public URL's, checked before the
 * body is read (a browser that sends `Origin: null` because of `Referrer-Policy: no-referrer` is
 * accepted only with `Sec-Fetch-Site: same-origin`); a body that is not a url-encoded form is a 400.
 * The page's payment notice follows the invoice's state, not the query string alone. Strict CSP with no inline script or style, nosniff, no referrer,
 * no framing, no caching.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AccountKeys } from '../../storage/accounts.ts';
import { attemptInvoicePayment } from '../../billing/invoices/pay.ts';
import { findInvoiceByHostedToken, hostedInvoiceBaseUrl, invoiceForDisplay } from '../../billing/invoices/hosted-links.ts';
import { atClockTime } from '../../billing/invoices/store.ts';
import type { Invoice } from '../../billing/invoices/types.ts';
import type { Customer } from '../../billing/customers.ts';
import type { Clock } from '../../lib/clock.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Db, Executor } from '../../storage/database.ts';
import { findObject } from '../../storage/objects.ts';
import { pickInvoiceLocale, type InvoiceLocale } from './i18n.ts';
import { INVOICE_CSS, buildInvoiceView, renderInvoicePage, renderNotFoundPage, type InvoiceViewInput, type PaymentNotice } from './page.tsx';
import { MAX_TEXT_CHARS } from './pdf.ts';
import { renderInvoicePdfOffThread } from './pdf-thread.ts';
import { taxIdValues } from '../../billing/tax-ids.ts';
import { isSameOriginPost, setPortalSecurityHeaders } from '../foundation/http/security.ts';
import { decodeBody, type Decoded } from '../../lib/params.ts';

export interface InvoiceRouteDeps {
  db: Db;
  clock: Clock;
  keys: AccountKeys;
}

export const INVOICE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The notice the page shows after a payment, from the invoice's state: the query string (which anyone
 * can write into a link) only chooses among the messages that state allows. "Received" only on a paid
 * invoice; "declined", "needs action" or "failed" only while it can still be paid.
 */
export function noticeFor(query: string | undefined, status: Invoice['status'], payable: boolean): PaymentNotice {
  if (query === 'succeeded') return status === 'paid' ? 'succeeded' : null;
  if (query === 'declined' || query === 'requires_action' || query === 'failed') return payable ? query : null;
  return null;
}

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
  // Descriptions come cut to what a page or PDF line can show: a huge invoice is never parsed whole.
  const row = await invoiceForDisplay(ctx, link.invoice, MAX_TEXT_CHARS);
  if (!row) return null;
  const invoice = row.invoice;
  const lines =
    row.lines && row.lines.length > 0
      ? row.lines
      : invoice.lines.data.map((l) => ({ ...l, inclusive_tax: l.taxes.filter((x) => x.tax_behavior === 'inclusive').reduce((sum, x) => sum + x.amount, 0) }));
  const customer = await findObject<Customer>(ctx, 'customer', invoice.customer, { includeDeleted: true });
  const taxRates = new Map<string, { display_name: string; percentage: number }>();
  for (const id of new Set(invoice.total_taxes.map((t) => t.tax_rate_details.tax_rate))) {
    const rate = await findObject<{ display_name: string; percentage: number }>(ctx, 'tax_rate', id, { includeDeleted: true });
    if (rate) taxRates.set(id, { display_name: rate.data.display_name, percentage: rate.data.percentage });
  }
  const shippingRate = invoice.shipping_cost
    ? await findObject<{ display_name: string }>(ctx, 'shipping_rate', invoice.shipping_cost.shipping_rate)
    : undefined;
  return {
    ctx,
    invoice,
    input: {
      invoice,
      lines,
      taxRates,
      accountTaxIds: await taxIdValues(ctx, invoice.account_tax_ids ?? []),
      shippingName: shippingRate?.data.display_name ?? null,
    },
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
  const sameOrigin = (c: Context) => isSameOriginPost(c, hostedInvoiceBaseUrl());
  /** The pay form's fields (a browser posts it url-encoded), or null for any other or undecodable body. */
  const readForm = async (c: Context): Promise<Decoded | null> => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') return null;
    try {
      return decodeBody(new Uint8Array(await c.req.arrayBuffer()));
    } catch {
      return null;
    }
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
  // The rest of an oversized body is never read, so its connection cannot carry another request.
  app.post('/i/*', bodyLimit({ maxSize: 8 * 1024, onError: (c) => c.text('Payload too large', 413, { Connection: 'close' }) }));

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
    const payable = loaded.invoice.status === 'open' && loaded.invoice.amount_remaining > 0;
    const notice = noticeFor(c.req.query('payment'), loaded.invoice.status, payable);
    return c.html(await renderInvoicePage({ view, token, csrf: payable ? csrfFor(token) : null, notice }));
  });

  app.get('/i/:token/pdf', async (c) => {
    const token = c.req.param('token');
    const loaded = await loadByToken(deps, token);
    if (!loaded) return notFound(c);
    const pdf = await renderInvoicePdfOffThread(loaded.input, localeFor(c, loaded), new Date(deps.clock.now() * 1000));
    const number = (loaded.invoice.number ?? loaded.invoice.id).replace(/[^A-Za-z0-9._-]/g, '_');
    c.header('Content-Type', 'application/pdf');
    c.header('Content-Disposition', `inline; filename="Invoice-${number}.pdf"`);
    return c.body(pdf as Uint8Array<ArrayBuffer>);
  });

  app.post('/i/:token/pay', async (c) => {
    const token = c.req.param('token');
    const link = await findInvoiceByHostedToken(deps.db, token);
    if (!link) return notFound(c);
    // Origin first: a cross-site post is refused before its body is read.
    if (!sameOrigin(c)) return c.text('Forbidden', 403);
    const body = await readForm(c);
    if (!body) return c.text('Bad request: the form could not be read.', 400);
    if (!csrfValid(token, body.csrf)) return c.text('Forbidden', 403);
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
      // Another request paid it while this one waited for the invoice's lock: that is this customer's
      // outcome too (the domain locks the customer, then the invoice, and checks under the lock).
      notice = err.body.code === 'invoice_already_paid' ? 'succeeded' : 'failed';
    }
    return c.redirect(`/i/${token}?payment=${notice}`, 303);
  });
}
