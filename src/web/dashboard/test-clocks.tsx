/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Test clocks (test mode only): create one, optionally with a customer on it (a test card attached as
 * default, and a subscription to a chosen price), advance it, and see what the billing clock did: the
 * clock's status, its customers' invoices and subscriptions, and the events about them. Every change
 * calls the functions behind `/v1/test_helpers/test_clocks`, `/v1/customers`, `/v1/payment_methods`
 * and `/v1/subscriptions`, in one transaction with its audit entry.
 */
import type { Hono } from 'hono';
import { sql } from 'kysely';
import { ApiError } from '../../lib/errors.ts';
import { p, parseParams } from '../../lib/params.ts';
import { listObjects } from '../../storage/objects.ts';
import { createCustomer, customerCreateShape, listCustomers } from '../../billing/customers.ts';
import { attachPaymentMethod, updatePaymentMethod } from '../../billing/payment-methods.ts';
import { updateCustomer, customerUpdateShape } from '../../billing/customers.ts';
import type { Invoice } from '../../billing/invoices/types.ts';
import type { Price } from '../../billing/prices.ts';
import { createSubscription } from '../../billing/subscriptions/index.ts';
import { subscriptionCreateShape } from '../../billing/subscriptions/create.ts';
import type { Subscription } from '../../billing/subscriptions/types.ts';
import { advanceTestClock, createTestClock, getTestClock, listTestClocks, type TestClock } from '../../billing/test-clocks.ts';
import { formatMoney } from '../foundation/i18n/format.ts';
import { Badge, CsrfField } from '../foundation/components.tsx';
import type { DashContext, DashEnv, DashKit } from './kit.tsx';
import { field } from './http.ts';
import { Field, fmtTime } from './layout.tsx';
import { m } from './messages.ts';

const ID = /^clock_[A-Za-z0-9]{1,100}$/;

/** `2030-01-31T12:00` (UTC, as the form shows it) → unix seconds; null when not a date. */
export function parseUtc(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}
const toInput = (t: number) => new Date(t * 1000).toISOString().slice(0, 16);

export function registerTestClocks(dash: Hono<DashEnv>, kit: DashKit): void {
  const testOnly = (c: DashContext) => kit.html(c, m.nav.testClocks, <p>{m.testOnly}</p>);

  const listPage = async (c: DashContext, opts: { error?: string; values?: Record<string, string> } = {}) => {
    const ctx = kit.ctx(c);
    const [clocks, prices] = await Promise.all([
      listTestClocks(ctx, { limit: 100 }),
      listObjects<Price>(ctx, 'price', { limit: 100 }),
    ]);
    const recurring = prices.data.map((r) => r.data).filter((x) => x.active && x.type === 'recurring');
    const v = opts.values ?? {};
    return kit.html(
      c,
      m.nav.testClocks,
      <>
        {clocks.data.length === 0 ? <p class="muted">No test clocks.</p> : (
          <table class="data">
            <thead><tr><th scope="col">Clock</th><th scope="col">Frozen time</th><th scope="col">Status</th></tr></thead>
            <tbody>
              {clocks.data.map(({ data: k }) => (
                <tr><td><a href={`/dashboard/test-clocks/${k.id}`}>{k.name ?? k.id}</a></td><td>{fmtTime(k.frozen_time)}</td><td>{k.status}</td></tr>
              ))}
            </tbody>
          </table>
        )}
        <form method="post" action="/dashboard/test-clocks" class="card">
          <h2>New test clock</h2>
          <CsrfField token={kit.page(c).csrf} />
          <Field name="name" label="Name" value={v.name ?? ''} />
          <Field name="frozen_time" label="Frozen time (UTC, YYYY-MM-DDTHH:MM)" value={v.frozen_time ?? toInput(kit.deps.clock.now())} required />
          <Field name="email" label="Customer email (optional: creates a customer on the clock with a Visa test card)" type="email" value={v.email ?? ''} />
          <div class="field">
            <label for="price">Subscribe the customer to</label>
            <select id="price" name="price">
              <option value="">No subscription</option>
              {recurring.map((pr) => (
                <option value={pr.id} selected={v.price === pr.id}>{`${pr.nickname ?? pr.id} (${pr.unit_amount ?? '—'} ${pr.currency.toUpperCase()} / ${pr.recurring?.interval})`}</option>
              ))}
            </select>
          </div>
          <button class="button" type="submit">Create test clock</button>
        </form>
      </>,
      { notice: opts.error ? { kind: 'error', text: opts.error } : null, status: opts.error ? 400 : 200 },
    );
  };

  dash.get('/test-clocks', (c) => (c.get('session').livemode ? testOnly(c) : listPage(c)));
  dash.post('/test-clocks', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    if (c.get('session').livemode) return testOnly(c);
    const values = { name: field(body, 'name'), frozen_time: field(body, 'frozen_time'), email: field(body, 'email'), price: field(body, 'price') };
    const frozen = parseUtc(values.frozen_time);
    if (frozen === null) return listPage(c, { error: 'Frozen time: use YYYY-MM-DDTHH:MM (UTC).', values });
    try {
      const clock = await kit.change(c, async (ctx) => {
        const k = await createTestClock(ctx, parseParams({ frozen_time: p.timestamp().req(), name: p.string({ max: 300 }) }, { frozen_time: String(frozen), ...(values.name ? { name: values.name } : {}) }));
        const made: Record<string, unknown> = { test_clock: k };
        if (values.email) {
          const cu = await createCustomer(ctx, parseParams(customerCreateShape, { email: values.email, test_clock: k.id }));
          const pm = await attachPaymentMethod(ctx, 'pm_card_visa', cu.id);
          await updateCustomer(ctx, cu.id, parseParams(customerUpdateShape, { invoice_settings: { default_payment_method: pm.id } }));
          made.customer = cu.id;
          if (values.price) {
            const sub = await createSubscription(ctx, parseParams(subscriptionCreateShape, { customer: cu.id, items: [{ price: values.price }] }));
            made.subscription = sub.id;
          }
        }
        return { result: k, audit: { action: 'test_helpers.test_clock.create', objectId: k.id, before: null, after: made } };
      });
      return c.redirect(`/dashboard/test-clocks/${clock.id}`, 303);
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) return listPage(c, { error: err.body.message, values });
      throw err;
    }
  });

  const clockPage = async (c: DashContext, k: TestClock, error?: string) => {
    const ctx = kit.ctx(c);
    const customers = (await listCustomers(ctx, { test_clock: k.id }, { limit: 100 })).data.map((r) => r.data);
    const ids = customers.map((cu) => cu.id);
    const byCustomers = { limit: 100, where: (q: any) => q.where('customer', 'in', ids) };
    const [invoices, subs, events] = ids.length === 0 ? [{ data: [] }, { data: [] }, []] : await Promise.all([
      listObjects<Invoice>(ctx, 'invoice', byCustomers),
      listObjects<Subscription>(ctx, 'subscription', byCustomers),
      ctx.db
        .selectFrom('events')
        .select(['id', 'type', 'created'])
        .where('livemode', '=', false)
        .where((eb) => eb.or([eb(sql<string>`data->'data'->'object'->>'customer'`, 'in', ids), eb(sql<string>`data->'data'->'object'->>'id'`, 'in', ids)]))
        .orderBy('seq', 'desc')
        .limit(100)
        .execute(),
    ]);
    return kit.html(
      c,
      k.name ?? k.id,
      <>
        <p class="muted"><span class="mono">{k.id}</span> · frozen at <strong data-frozen-time={String(k.frozen_time)}>{fmtTime(k.frozen_time)}</strong> · <Badge tone={k.status === 'ready' ? 'success' : 'warning'}>{k.status}</Badge></p>
        <form method="post" action={`/dashboard/test-clocks/${k.id}/advance`} class="card">
          <h2>Advance</h2>
          <CsrfField token={kit.page(c).csrf} />
          <Field name="frozen_time" label="Advance to (UTC, YYYY-MM-DDTHH:MM)" value={toInput(k.frozen_time + 31 * 86400)} required error={error ?? null} />
          <button class="button" type="submit">Advance clock</button>
        </form>
        <h2>Customers</h2>
        {customers.length === 0 ? <p class="muted">None.</p> : <ul>{customers.map((cu) => <li><a href={`/dashboard/customers/${cu.id}`}>{cu.email ?? cu.id}</a></li>)}</ul>}
        <h2>Subscriptions</h2>
        {subs.data.length === 0 ? <p class="muted">None.</p> : (
          <table class="data">
            <thead><tr><th scope="col">Subscription</th><th scope="col">Status</th><th scope="col">Period end</th></tr></thead>
            <tbody>{subs.data.map(({ data: s }) => <tr><td class="mono">{s.id}</td><td>{s.status}</td><td>{fmtTime(s.items.data[0]?.current_period_end)}</td></tr>)}</tbody>
          </table>
        )}
        <h2>Invoices</h2>
        {invoices.data.length === 0 ? <p class="muted">None.</p> : (
          <table class="data">
            <thead><tr><th scope="col">Invoice</th><th scope="col">Reason</th><th scope="col">Status</th><th scope="col" class="num">Total</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {invoices.data.map(({ data: i }) => (
                <tr data-invoice={i.id} data-billing-reason={String(i.billing_reason ?? '')}>
                  <td class="mono">{i.number ?? i.id}</td><td>{String(i.billing_reason ?? '')}</td><td>{String(i.status)}</td>
                  <td class="num">{formatMoney(i.total, i.currency, 'en')}</td><td>{fmtTime(i.created)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>Events</h2>
        {events.length === 0 ? <p class="muted">None.</p> : (
          <table class="data">
            <thead><tr><th scope="col">Event</th><th scope="col">Type</th><th scope="col">Created</th></tr></thead>
            <tbody>{events.map((e) => <tr><td><a class="mono" href={`/dashboard/developers/events/${e.id}`}>{e.id}</a></td><td>{e.type}</td><td>{fmtTime(e.created)}</td></tr>)}</tbody>
          </table>
        )}
      </>,
      { notice: error ? { kind: 'error', text: error } : k.status === 'advancing' ? { kind: 'info', text: 'The billing clock is applying what falls due; reload in a moment.' } : null, status: error ? 400 : 200 },
    );
  };

  const find = async (c: DashContext): Promise<TestClock | null> => {
    const id = c.req.param('id') ?? '';
    if (!ID.test(id)) return null;
    try {
      return await getTestClock(kit.ctx(c), id);
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) return null;
      throw err;
    }
  };
  dash.get('/test-clocks/:id', async (c) => {
    if (c.get('session').livemode) return testOnly(c);
    const k = await find(c);
    return k ? clockPage(c, k) : kit.notFound(c);
  });
  dash.post('/test-clocks/:id/advance', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    if (c.get('session').livemode) return testOnly(c);
    const k = await find(c);
    if (!k) return kit.notFound(c);
    const to = parseUtc(field(body, 'frozen_time'));
    if (to === null) return clockPage(c, k, 'Use YYYY-MM-DDTHH:MM (UTC).');
    try {
      await kit.change(c, async (ctx) => {
        const after = await advanceTestClock(ctx, k.id, to);
        return { result: after, audit: { action: 'test_helpers.test_clock.advance', objectId: k.id, before: k, after } };
      });
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) return clockPage(c, k, err.body.message);
      throw err;
    }
    return c.redirect(`/dashboard/test-clocks/${k.id}`, 303);
  });
}
