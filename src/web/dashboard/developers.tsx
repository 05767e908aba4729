/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Developers: the mode's API keys (masked; revealed on demand by a POST, which the audit log records;
 * rolled so the old key is refused at once: the key changes in the database, this process's key
 * object is reloaded before the answer, and other processes reload on the NOTIFY), webhook endpoints
 * (create, edit events, disable/enable, delete, reveal the signing secret; through the same functions
 * as `/v1/webhook_endpoints`), each endpoint's deliveries with status, attempts, the last response
 * code and an excerpt of its body, and resend; the event log with each event's JSON and recipients.
 */
import type { Hono } from 'hono';
import { ApiError, redactKey } from '../../lib/errors.ts';
import { parseParams } from '../../lib/params.ts';
import { findObject } from '../../storage/objects.ts';
import { rollSecretKey } from '../../storage/accounts.ts';
import { listEvents, retrieveEvent } from '../../events/events.ts';
import { getDelivery, listDeliveries, resendDelivery, type DeliveryView } from '../../events/deliveries.ts';
import {
  createEndpoint,
  deleteEndpoint,
  endpointCreateShape,
  endpointUpdateShape,
  getEndpoint,
  listEndpoints,
  updateEndpoint,
  type WebhookEndpoint,
} from '../../events/webhook-endpoints.ts';
import { Badge, CsrfField } from '../foundation/components.tsx';
import type { DashContext, DashEnv, DashKit } from './kit.tsx';
import { field } from './http.ts';
import { Field, fmtTime } from './layout.tsx';
import { m } from './messages.ts';

const ENDPOINT_ID = /^we_[A-Za-z0-9]{1,100}$/;
const EVENT_ID = /^evt_[A-Za-z0-9]{1,100}$/;

const eventsOf = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

function PostButton(props: { action: string; csrf: string; label: string; danger?: boolean; name?: string; value?: string }) {
  return (
    <form method="post" action={props.action} class="inline">
      <CsrfField token={props.csrf} />
      {props.name ? <input type="hidden" name={props.name} value={props.value ?? ''} /> : null}
      <button class={props.danger ? 'button danger' : 'button secondary'} type="submit">{props.label}</button>
    </form>
  );
}

function Deliveries(props: { rows: DeliveryView[]; csrf: string; showEndpoint?: boolean }) {
  if (props.rows.length === 0) return <p class="muted">No deliveries yet.</p>;
  return (
    <div class="scroll-x">
      <table class="data">
        <thead>
          <tr>
            <th scope="col">Event</th>
            {props.showEndpoint ? <th scope="col">Endpoint</th> : null}
            <th scope="col">Status</th>
            <th scope="col" class="num">Attempts</th>
            <th scope="col" class="num">Response</th>
            <th scope="col">Response body</th>
            <th scope="col">Last attempt</th>
            <th scope="col"><span class="muted">Action</span></th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((d) => (
            <tr data-delivery={String(d.id)}>
              <td><a class="mono" href={`/dashboard/developers/events/${d.eventId}`}>{d.eventType}</a></td>
              {props.showEndpoint ? <td><a class="mono" href={`/dashboard/developers/webhooks/${d.endpointId}`}>{d.endpointId}</a></td> : null}
              <td><Badge tone={d.status === 'delivered' ? 'success' : d.status === 'failed' ? 'danger' : d.status === 'pending' ? 'warning' : 'neutral'}>{d.status}</Badge></td>
              <td class="num">{d.attempts}</td>
              <td class="num" data-status-code={d.lastStatusCode === null ? '' : String(d.lastStatusCode)}>{d.lastStatusCode ?? (d.lastError ? 'error' : '—')}</td>
              <td><code>{d.lastResponseExcerpt ?? d.lastError ?? ''}</code></td>
              <td>{fmtTime(d.lastAttemptAt)}</td>
              <td><PostButton action={`/dashboard/developers/deliveries/${d.id}/resend`} csrf={props.csrf} label="Resend" /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function registerDevelopers(dash: Hono<DashEnv>, kit: DashKit): void {
  const { deps } = kit;
  const modeKey = (livemode: boolean) => (livemode ? deps.keys.liveSecretKey : deps.keys.testSecretKey);

  const keysPage = (c: DashContext, opts: { revealed?: string; rolled?: boolean; error?: string } = {}) => {
    const page = kit.page(c);
    const secret = modeKey(page.livemode);
    const pinned = page.livemode ? deps.pinnedKeys.live : deps.pinnedKeys.test;
    return kit.html(
      c,
      m.nav.apiKeys,
      <>
        <table class="data">
          <thead><tr><th scope="col">Key</th><th scope="col">Token</th><th scope="col"><span class="muted">Actions</span></th></tr></thead>
          <tbody>
            <tr>
              <td>Publishable key</td>
              <td class="mono">{page.livemode ? deps.keys.livePublishableKey : deps.keys.testPublishableKey}</td>
              <td></td>
            </tr>
            <tr>
              <td>Secret key</td>
              <td class="mono" data-secret-key={opts.revealed ? 'revealed' : 'masked'}>{opts.revealed ? <span class="secret">{opts.revealed}</span> : redactKey(secret)}</td>
              <td>
                <div class="actions">
                  <PostButton action="/dashboard/developers/keys/reveal" csrf={page.csrf} label="Reveal secret key" />
                  {pinned ? <span class="muted">Set by {page.livemode ? 'PORTICO_LIVE_SECRET_KEY' : 'PORTICO_TEST_SECRET_KEY'}: change it there.</span> : <PostButton action="/dashboard/developers/keys/roll" csrf={page.csrf} label="Roll secret key" danger />}
                </div>
              </td>
            </tr>
          </tbody>
        </table>
        <p class="muted">Rolling replaces the secret key at once: requests with the old key are refused from then on, by every Portico process sharing this database.</p>
      </>,
      {
        notice: opts.error
          ? { kind: 'error', text: opts.error }
          : opts.rolled
            ? { kind: 'success', text: 'The secret key was rolled. Copy the new key now; the old one no longer works.' }
            : null,
      },
    );
  };

  dash.get('/developers', (c) => c.redirect('/dashboard/developers/keys', 302));
  dash.get('/developers/keys', (c) => keysPage(c));
  dash.post('/developers/keys/reveal', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const livemode = c.get('session').livemode;
    await kit.change(c, async () => ({ result: null, audit: { action: 'api_key.reveal', objectId: livemode ? 'sk_live' : 'sk_test' } }));
    return keysPage(c, { revealed: modeKey(livemode) });
  });
  dash.post('/developers/keys/roll', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const livemode = c.get('session').livemode;
    if (livemode ? deps.pinnedKeys.live : deps.pinnedKeys.test) return keysPage(c, { error: 'This key is pinned by the environment.' });
    const before = redactKey(modeKey(livemode));
    const key = await kit.change(c, async (ctx) => {
      const next = await rollSecretKey(ctx.db, livemode);
      return { result: next, audit: { action: 'api_key.roll', objectId: livemode ? 'sk_live' : 'sk_test', before: { key: before }, after: { key: redactKey(next) } } };
    });
    await deps.reloadKeys();
    return keysPage(c, { revealed: key, rolled: true });
  });

  // Webhook endpoints
  const endpointsPage = async (c: DashContext, opts: { error?: ApiError; values?: { url: string; events: string; description: string } } = {}) => {
    const list = await listEndpoints(kit.ctx(c), { limit: 100 });
    const page = kit.page(c);
    const err = (p: string) => (opts.error?.body.param?.startsWith(p) ? opts.error.body.message : null);
    return kit.html(
      c,
      m.nav.webhooks,
      <>
        {list.data.length === 0 ? <p class="muted">No webhook endpoints in this mode.</p> : (
          <table class="data">
            <thead><tr><th scope="col">URL</th><th scope="col">Status</th><th scope="col">Events</th></tr></thead>
            <tbody>
              {list.data.map(({ data: e }) => (
                <tr>
                  <td><a href={`/dashboard/developers/webhooks/${e.id}`}>{e.url}</a></td>
                  <td><Badge tone={e.status === 'enabled' ? 'success' : 'neutral'}>{e.status}</Badge></td>
                  <td>{e.enabled_events.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form method="post" action="/dashboard/developers/webhooks" class="card">
          <h2>Add an endpoint</h2>
          <CsrfField token={page.csrf} />
          <Field name="url" label="Endpoint URL" type="url" required value={opts.values?.url ?? ''} error={err('url')} />
          <Field name="enabled_events" label="Events (comma-separated; * for all)" required value={opts.values?.events ?? '*'} error={err('enabled_events')} />
          <Field name="description" label="Description" value={opts.values?.description ?? ''} error={err('description')} />
          <button class="button" type="submit">Add endpoint</button>
        </form>
      </>,
      { notice: opts.error ? { kind: 'error', text: opts.error.body.message } : null, status: opts.error ? 400 : 200 },
    );
  };
  dash.get('/developers/webhooks', (c) => endpointsPage(c));
  dash.post('/developers/webhooks', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const values = { url: field(body, 'url'), events: field(body, 'enabled_events'), description: field(body, 'description') };
    try {
      const params = parseParams(endpointCreateShape, {
        url: values.url,
        enabled_events: eventsOf(values.events),
        ...(values.description ? { description: values.description } : {}),
      });
      const created = await kit.change(c, async (ctx) => {
        const e = await createEndpoint(ctx, params);
        const { secret: _s, ...recorded } = e;
        return { result: e, audit: { action: 'webhook_endpoint.create', objectId: e.id, before: null, after: recorded } };
      });
      return c.redirect(`/dashboard/developers/webhooks/${created.id}`, 303);
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) return endpointsPage(c, { error: err, values });
      throw err;
    }
  });

  const endpointPage = async (c: DashContext, e: WebhookEndpoint, opts: { secret?: string; error?: ApiError; notice?: string } = {}) => {
    const page = kit.page(c);
    const deliveries = await listDeliveries(kit.ctx(c), { endpointId: e.id });
    return kit.html(
      c,
      e.url,
      <>
        <p class="muted"><span class="mono">{e.id}</span> · <Badge tone={e.status === 'enabled' ? 'success' : 'neutral'}>{e.status}</Badge>{e.description ? ` · ${e.description}` : ''}</p>
        <div class="card">
          <h2>Signing secret</h2>
          {opts.secret ? <p class="mono secret" data-webhook-secret="revealed">{opts.secret}</p> : <PostButton action={`/dashboard/developers/webhooks/${e.id}/secret`} csrf={page.csrf} label="Reveal signing secret" />}
        </div>
        <form method="post" action={`/dashboard/developers/webhooks/${e.id}`} class="card">
          <h2>Events</h2>
          <CsrfField token={page.csrf} />
          <Field name="enabled_events" label="Events (comma-separated; * for all)" value={e.enabled_events.join(', ')} error={opts.error?.body.param?.startsWith('enabled_events') ? opts.error.body.message : null} />
          <button class="button" type="submit">Save events</button>
        </form>
        <div class="actions">
          <PostButton action={`/dashboard/developers/webhooks/${e.id}/status`} csrf={page.csrf} label={e.status === 'enabled' ? 'Disable endpoint' : 'Enable endpoint'} name="disabled" value={e.status === 'enabled' ? 'true' : 'false'} />
          <PostButton action={`/dashboard/developers/webhooks/${e.id}/delete`} csrf={page.csrf} label="Delete endpoint" danger />
        </div>
        <h2>Deliveries</h2>
        <Deliveries rows={deliveries} csrf={page.csrf} />
      </>,
      { notice: opts.error ? { kind: 'error', text: opts.error.body.message } : opts.notice ? { kind: 'success', text: opts.notice } : null, status: opts.error ? 400 : 200 },
    );
  };

  const findEndpoint = async (c: DashContext): Promise<WebhookEndpoint | null> => {
    const id = c.req.param('id') ?? '';
    if (!ENDPOINT_ID.test(id)) return null;
    try {
      return await getEndpoint(kit.ctx(c), id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  };

  dash.get('/developers/webhooks/:id', async (c) => {
    const e = await findEndpoint(c);
    return e ? endpointPage(c, e, c.req.query('resent') ? { notice: 'The delivery is queued to be sent again.' } : {}) : kit.notFound(c);
  });
  dash.post('/developers/webhooks/:id/secret', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const e = await findEndpoint(c);
    if (!e) return kit.notFound(c);
    const stored = await findObject<WebhookEndpoint>(kit.ctx(c), 'webhook_endpoint', e.id);
    await kit.change(c, async () => ({ result: null, audit: { action: 'webhook_endpoint.reveal_secret', objectId: e.id } }));
    return endpointPage(c, e, { secret: String(stored?.private.secret ?? '') });
  });
  const update = (action: string, paramsOf: (body: Record<string, unknown>) => Record<string, unknown>) =>
    dash.post(`/developers/webhooks/:id${action}`, async (c) => {
      const body = await kit.post(c);
      if (body instanceof Response) return body;
      const e = await findEndpoint(c);
      if (!e) return kit.notFound(c);
      try {
        const params = parseParams(endpointUpdateShape, paramsOf(body));
        await kit.change(c, async (ctx) => {
          const after = await updateEndpoint(ctx, e.id, params);
          return { result: after, audit: { action: 'webhook_endpoint.update', objectId: e.id, before: e, after } };
        });
      } catch (err) {
        if (err instanceof ApiError && err.status < 500) return endpointPage(c, e, { error: err });
        throw err;
      }
      return c.redirect(`/dashboard/developers/webhooks/${e.id}`, 303);
    });
  update('', (body) => ({ enabled_events: eventsOf(field(body, 'enabled_events')) }));
  update('/status', (body) => ({ disabled: field(body, 'disabled') === 'true' ? 'true' : 'false' }));
  dash.post('/developers/webhooks/:id/delete', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const e = await findEndpoint(c);
    if (!e) return kit.notFound(c);
    await kit.change(c, async (ctx) => {
      const r = await deleteEndpoint(ctx, e.id);
      return { result: r, audit: { action: 'webhook_endpoint.delete', objectId: e.id, before: e, after: null } };
    });
    return c.redirect('/dashboard/developers/webhooks', 303);
  });

  dash.post('/developers/deliveries/:id/resend', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id <= 0) return kit.notFound(c);
    let endpointId: string;
    try {
      endpointId = await kit.change(c, async (ctx) => {
        const before = await resendDelivery(ctx, id);
        const after = await getDelivery(ctx, id);
        return { result: before.endpointId, audit: { action: 'webhook_delivery.resend', objectId: `${before.eventId}→${before.endpointId}`, before, after } };
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return kit.notFound(c);
      throw err;
    }
    return c.redirect(`/dashboard/developers/webhooks/${endpointId}?resent=1`, 303);
  });

  // Events
  dash.get('/developers/events', async (c) => {
    const type = (c.req.query('type') ?? '').trim().slice(0, 200);
    let list;
    try {
      list = await listEvents(kit.ctx(c), type ? { type } : {}, { limit: 100 });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      list = { data: [], has_more: false };
    }
    return kit.html(
      c,
      m.nav.events,
      <>
        <form method="get" action="/dashboard/developers/events" class="actions" role="search">
          <label for="type">Type (e.g. customer.* )</label>
          <input id="type" type="search" name="type" value={type} />
          <button class="button secondary" type="submit">Filter</button>
        </form>
        <table class="data">
          <thead><tr><th scope="col">Event</th><th scope="col">Type</th><th scope="col">Object</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {list.data.map((e: any) => (
              <tr>
                <td><a class="mono" href={`/dashboard/developers/events/${e.id}`}>{e.id}</a></td>
                <td>{e.type}</td>
                <td class="mono">{String(e.data?.object?.id ?? '')}</td>
                <td>{fmtTime(e.created)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>,
    );
  });
  dash.get('/developers/events/:id', async (c) => {
    const id = c.req.param('id');
    if (!EVENT_ID.test(id)) return kit.notFound(c);
    let event;
    try {
      event = await retrieveEvent(kit.ctx(c), id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return kit.notFound(c);
      throw err;
    }
    const deliveries = await listDeliveries(kit.ctx(c), { eventId: id });
    return kit.html(
      c,
      event.type,
      <>
        <p class="muted mono">{event.id} · {fmtTime(event.created)}</p>
        <h2>Recipients</h2>
        <Deliveries rows={deliveries} csrf={kit.page(c).csrf} showEndpoint />
        <h2>Event data</h2>
        <pre tabindex={0} aria-label="Event JSON">{JSON.stringify(event, null, 2)}</pre>
      </>,
    );
  });
}
