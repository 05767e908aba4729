/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Customers of the mode: search by email or name, and one customer's subscriptions, invoices, payment
 * methods and events. "Open customer portal" creates a portal session exactly as
 * `POST /v1/billing_portal/sessions` does (`createPortalSession`, with its event) under the chosen
 * configuration and sends the browser to it; the audit entry never holds the session's secret URL.
 */
import type { Hono } from 'hono';
import { sql } from 'kysely';
import { ApiError } from '../../lib/errors.ts';
import { parseParams } from '../../lib/params.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import { findObject, listObjects } from '../../storage/objects.ts';
import type { Customer } from '../../billing/customers.ts';
import type { Invoice } from '../../billing/invoices/types.ts';
import type { Subscription } from '../../billing/subscriptions/types.ts';
import { listConfigurations } from '../../portal/configurations/index.ts';
import { createPortalSession, sessionCreateShape } from '../../portal/sessions/index.ts';
import { formatMoney } from '../foundation/i18n/format.ts';
import { Badge, CsrfField } from '../foundation/components.tsx';
import type { DashEnv, DashKit } from './kit.tsx';
import { field } from './http.ts';
import { fmtTime } from './layout.tsx';
import { m } from './messages.ts';
import { searchCustomers } from './customer-lookup.ts';

const ID = /^cus_[A-Za-z0-9]{1,100}$/;

export function registerCustomers(dash: Hono<DashEnv>, kit: DashKit): void {
  dash.get('/customers', async (c) => {
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const customers = await searchCustomers(kit.ctx(c), q);
    return kit.html(
      c,
      m.nav.customers,
      <>
        <form method="get" action="/dashboard/customers" class="actions" role="search">
          <label for="q">Search by email or name</label>
          <input id="q" type="search" name="q" value={q} />
          <button class="button secondary" type="submit">Search</button>
        </form>
        {customers.length === 0 ? <p class="muted">No customers found.</p> : (
          <div class="scroll-x">
            <table class="data">
              <thead><tr><th scope="col">Customer</th><th scope="col">Email</th><th scope="col">Created</th></tr></thead>
              <tbody>
                {customers.map((cu) => (
                  <tr>
                    <td><a href={`/dashboard/customers/${cu.id}`}>{cu.name ?? cu.id}</a></td>
                    <td>{cu.email ?? '—'}</td>
                    <td>{fmtTime(cu.created)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </>,
    );
  });

  dash.get('/customers/:id', async (c) => {
    const id = c.req.param('id');
    const ctx = kit.ctx(c);
    const found = ID.test(id) ? await findObject<Customer>(ctx, 'customer', id) : undefined;
    if (!found || 'deleted' in found.data) return kit.notFound(c);
    const customer = found.data;
    const byCustomer = { limit: 50, where: (q: any) => q.where('customer', '=', id) };
    const [subs, invoices, pms, configs, events] = await Promise.all([
      listObjects<Subscription>(ctx, 'subscription', byCustomer),
      listObjects<Invoice>(ctx, 'invoice', byCustomer),
      listObjects<any>(ctx, 'payment_method', byCustomer),
      listConfigurations(ctx, { active: true }, { limit: 100 }),
      ctx.db
        .selectFrom('events')
        .select(['id', 'type', 'created'])
        .where('livemode', '=', ctx.livemode)
        .where((eb) => eb.or([eb(sql<string>`data->'data'->'object'->>'customer'`, '=', id), eb(sql<string>`data->'data'->'object'->>'id'`, '=', id)]))
        .orderBy('seq', 'desc')
        .limit(50)
        .execute(),
    ]);
    const page = kit.page(c);
    return kit.html(
      c,
      customer.name ?? customer.email ?? customer.id,
      <>
        <p class="muted"><span class="mono">{customer.id}</span> · {customer.email ?? 'no email'}{customer.test_clock ? <> · test clock <a href={`/dashboard/test-clocks/${customer.test_clock}`}>{String(customer.test_clock)}</a></> : null}</p>
        <form method="post" action={`/dashboard/customers/${customer.id}/portal`} class="card">
          <h2>Open customer portal</h2>
          <CsrfField token={page.csrf} />
          <div class="field">
            <label for="configuration">Configuration</label>
            <select id="configuration" name="configuration">
              {configs.data.map(({ data: conf }) => (
                <option value={conf.id} selected={conf.is_default}>{conf.name ?? conf.id}{conf.is_default ? ' (default)' : ''}</option>
              ))}
            </select>
          </div>
          <button class="button" type="submit">Open customer portal</button>
        </form>
        <h2>Subscriptions</h2>
        {subs.data.length === 0 ? <p class="muted">None.</p> : (
          <table class="data">
            <thead><tr><th scope="col">Subscription</th><th scope="col">Status</th><th scope="col">Items</th><th scope="col">Period end</th></tr></thead>
            <tbody>
              {subs.data.map(({ data: s }) => (
                <tr data-subscription={s.id}>
                  <td class="mono">{s.id}</td>
                  <td><Badge tone={s.status === 'active' ? 'success' : s.status === 'canceled' ? 'neutral' : 'warning'}>{s.status}</Badge>{s.cancel_at_period_end ? ' (cancels at period end)' : ''}</td>
                  <td>{s.items.data.map((i) => `${i.price.id} × ${i.quantity}`).join(', ')}</td>
                  <td>{fmtTime(s.items.data[0]?.current_period_end)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>Invoices</h2>
        {invoices.data.length === 0 ? <p class="muted">None.</p> : (
          <table class="data">
            <thead><tr><th scope="col">Invoice</th><th scope="col">Status</th><th scope="col" class="num">Total</th><th scope="col">Reason</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {invoices.data.map(({ data: i }) => (
                <tr data-invoice={i.id}>
                  <td>{i.hosted_invoice_url ? <a href={i.hosted_invoice_url}>{i.number ?? i.id}</a> : (i.number ?? i.id)}</td>
                  <td><Badge tone={i.status === 'paid' ? 'success' : i.status === 'open' ? 'info' : 'neutral'}>{String(i.status)}</Badge></td>
                  <td class="num">{formatMoney(i.total, i.currency, 'en')}</td>
                  <td>{String(i.billing_reason ?? '')}</td>
                  <td>{fmtTime(i.created)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>Payment methods</h2>
        {pms.data.length === 0 ? <p class="muted">None.</p> : (
          <ul>
            {pms.data.map(({ data: pm }) => (
              <li class="mono">{pm.id}: {pm.card ? `${pm.card.brand} •••• ${pm.card.last4} (${pm.card.exp_month}/${pm.card.exp_year})` : pm.type}{customer.invoice_settings?.default_payment_method === pm.id ? ' (default)' : ''}</li>
            ))}
          </ul>
        )}
        <h2>Events</h2>
        {events.length === 0 ? <p class="muted">None.</p> : (
          <table class="data">
            <thead><tr><th scope="col">Event</th><th scope="col">Type</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {events.map((e) => (
                <tr><td><a class="mono" href={`/dashboard/developers/events/${e.id}`}>{e.id}</a></td><td>{e.type}</td><td>{fmtTime(e.created)}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </>,
    );
  });

  dash.post('/customers/:id/portal', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    if (!ID.test(id)) return kit.notFound(c);
    try {
      const session = await kit.change(c, async (ctx) => {
        const conf = field(body, 'configuration');
        const params = parseParams(sessionCreateShape, {
          customer: id,
          ...(conf ? { configuration: conf } : {}),
          return_url: `${publicBaseUrl()}/dashboard/customers/${id}`,
        });
        const created = await createPortalSession(ctx, params);
        const { url: _secret, ...recorded } = created;
        return { result: created, audit: { action: 'billing_portal.session.create', objectId: created.id, before: null, after: recorded } };
      });
      return c.redirect(session.url, 303);
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) {
        return kit.html(c, 'Open customer portal', <p><a href={`/dashboard/customers/${id}`}>Back to the customer</a></p>, { notice: { kind: 'error', text: err.body.message }, status: err.status });
      }
      throw err;
    }
  });
}
