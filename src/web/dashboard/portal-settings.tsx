/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Customer portal settings: every configuration of the mode, its features and options as the API
 * has them, business profile, default return URL, the login page (on/off and its link), through the
 * API's schema and `updateConfiguration` (same validation, same `billing_portal.configuration.updated`
 * event), with the API's error shown on its field. New configurations start from the account default's
 * features. **Preview** renders the portal home as a customer (or a sample customer) would see it under
 * a configuration: a GET that reads and creates nothing (no session, no event).
 */
import type { Hono } from 'hono';
import { ApiError } from '../../lib/errors.ts';
import { parseParams } from '../../lib/params.ts';
import { listObjects } from '../../storage/objects.ts';
import type { Price } from '../../billing/prices.ts';
import type { Product } from '../../billing/products.ts';
import {
  configurationCreateShape,
  configurationUpdateShape,
  createConfiguration,
  getConfiguration,
  listConfigurations,
  updateConfiguration,
  type PortalConfiguration,
} from '../../portal/configurations/index.ts';
import {
  CANCEL_MODES,
  CANCELLATION_REASONS,
  CUSTOMER_UPDATES,
  PRORATION_BEHAVIORS,
  SCHEDULE_CONDITIONS,
  SUBSCRIPTION_UPDATES,
  TRIAL_UPDATE_BEHAVIORS,
  accountDefaultFeatures,
} from '../../portal/configurations/types.ts';
import { loadHomeFor, type HomeData } from '../../portal/home.ts';
import { Badge, CsrfField } from '../foundation/components.tsx';
import { renderHomePage } from '../portal/pages.tsx';
import type { DashEnv, DashKit, DashContext } from './kit.tsx';
import { Check, ErrorText, Field, fmtTime } from './layout.tsx';
import { field } from './http.ts';
import { m } from './messages.ts';
import { configurationParamsFromForm } from './portal-form.ts';
import { findCustomer } from './customer-lookup.ts';

const ID = /^bpc_[A-Za-z0-9]{1,100}$/;

function Select(props: { name: string; label: string; value: string; options: readonly string[]; error?: string | null }) {
  const id = `s-${props.name.replace(/[^A-Za-z0-9]+/g, '-')}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} aria-invalid={props.error ? 'true' : undefined}>
        {props.options.map((o) => (
          <option value={o} selected={o === props.value}>{o}</option>
        ))}
      </select>
      <ErrorText error={props.error ?? null} />
    </div>
  );
}

interface Catalog {
  products: Product[];
  prices: Price[];
}

async function loadCatalog(kit: DashKit, c: DashContext): Promise<Catalog> {
  const ctx = kit.ctx(c);
  const products = (await listObjects<Product>(ctx, 'product', { limit: 100 })).data.map((r) => r.data).filter((p) => p.active);
  const prices = (await listObjects<Price>(ctx, 'price', { limit: 100 })).data.map((r) => r.data).filter((p) => p.active && p.type === 'recurring');
  return { products, prices };
}

function SettingsForm(props: { conf: PortalConfiguration; catalog: Catalog; csrf: string; error: ApiError | null }) {
  const { conf, catalog } = props;
  const f = conf.features;
  const F = 'features';
  const err = (param: string) => (props.error?.body.param === param ? props.error.body.message : null);
  const errUnder = (prefix: string) => (props.error?.body.param?.startsWith(prefix) ? props.error.body.message : null);
  const offered = new Map(f.subscription_update.products.map((p) => [p.product, p]));
  return (
    <form method="post" action={`/dashboard/portal/${conf.id}`}>
      <CsrfField token={props.csrf} />
      <fieldset>
        <legend>General</legend>
        <Field name="name" label="Name (internal)" value={conf.name} error={err('name')} />
        <Field name="business_profile[headline]" label="Headline" value={conf.business_profile.headline} error={err('business_profile[headline]')} />
        <Field name="business_profile[privacy_policy_url]" label="Privacy policy URL" type="url" value={conf.business_profile.privacy_policy_url} error={err('business_profile[privacy_policy_url]')} />
        <Field name="business_profile[terms_of_service_url]" label="Terms of service URL" type="url" value={conf.business_profile.terms_of_service_url} error={err('business_profile[terms_of_service_url]')} />
        <Field name="default_return_url" label="Default return URL" type="url" value={conf.default_return_url} error={err('default_return_url')} />
        {conf.is_default ? <p class="muted">This is the mode's default configuration: it is always active.</p> : <Check name="active" label="Active" checked={conf.active} />}
      </fieldset>
      <fieldset>
        <legend>Login page</legend>
        <Check name="login_page[enabled]" label="Let customers sign in with their email (no-code login link)" checked={conf.login_page.enabled} />
        {conf.login_page.url ? (
          <div class="field">
            <label for="login-url">Login link to share</label>
            <input id="login-url" type="text" readonly value={conf.login_page.url} />
          </div>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>Customer information</legend>
        <Check name={`${F}[customer_update][enabled]`} label="Customers can update their details" checked={f.customer_update.enabled} />
        <p class="muted">Details they may change:</p>
        {CUSTOMER_UPDATES.map((u) => (
          <Check name={`${F}[customer_update][allowed_updates][]`} value={u} label={u} checked={f.customer_update.allowed_updates.includes(u)} />
        ))}
        <ErrorText error={errUnder(`${F}[customer_update]`)} />
      </fieldset>
      <fieldset>
        <legend>Invoices and payment methods</legend>
        <Check name={`${F}[invoice_history][enabled]`} label="Show invoice history" checked={f.invoice_history.enabled} />
        <Check name={`${F}[payment_method_update][enabled]`} label="Customers can update payment methods" checked={f.payment_method_update.enabled} />
      </fieldset>
      <fieldset>
        <legend>Cancellations</legend>
        <Check name={`${F}[subscription_cancel][enabled]`} label="Customers can cancel subscriptions" checked={f.subscription_cancel.enabled} />
        <Select name={`${F}[subscription_cancel][mode]`} label="When a cancellation takes effect" value={f.subscription_cancel.mode} options={CANCEL_MODES} error={err(`${F}[subscription_cancel][mode]`)} />
        <Select name={`${F}[subscription_cancel][proration_behavior]`} label="Proration on immediate cancellation" value={f.subscription_cancel.proration_behavior} options={PRORATION_BEHAVIORS} error={err(`${F}[subscription_cancel][proration_behavior]`)} />
        <Check name={`${F}[subscription_cancel][cancellation_reason][enabled]`} label="Ask for a cancellation reason" checked={f.subscription_cancel.cancellation_reason.enabled} />
        <p class="muted">Reasons offered:</p>
        {CANCELLATION_REASONS.map((r) => (
          <Check name={`${F}[subscription_cancel][cancellation_reason][options][]`} value={r} label={r} checked={f.subscription_cancel.cancellation_reason.options.includes(r)} />
        ))}
        <ErrorText error={errUnder(`${F}[subscription_cancel][cancellation_reason]`)} />
      </fieldset>
      <fieldset>
        <legend>Subscription updates</legend>
        <Check name={`${F}[subscription_update][enabled]`} label="Customers can change their plan" checked={f.subscription_update.enabled} />
        <p class="muted">What they may change:</p>
        {SUBSCRIPTION_UPDATES.map((u) => (
          <Check name={`${F}[subscription_update][default_allowed_updates][]`} value={u} label={u} checked={f.subscription_update.default_allowed_updates.includes(u)} />
        ))}
        <Select name={`${F}[subscription_update][proration_behavior]`} label="Proration" value={f.subscription_update.proration_behavior} options={PRORATION_BEHAVIORS} error={err(`${F}[subscription_update][proration_behavior]`)} />
        <Select name={`${F}[subscription_update][trial_update_behavior]`} label="Trial on update" value={f.subscription_update.trial_update_behavior} options={TRIAL_UPDATE_BEHAVIORS} />
        <p class="muted">Downgrades at period end when:</p>
        {SCHEDULE_CONDITIONS.map((cond) => (
          <Check
            name={`${F}[subscription_update][schedule_at_period_end][conditions][]`}
            value={cond}
            label={cond}
            checked={f.subscription_update.schedule_at_period_end.conditions.some((x) => x.type === cond)}
          />
        ))}
        <h3>Products and prices offered</h3>
        {catalog.products.length === 0 ? <p class="muted">No active products in this mode.</p> : null}
        {catalog.products.map((product, i) => {
          const entry = offered.get(product.id);
          const base = `${F}[subscription_update][products][${i}]`;
          const prices = catalog.prices.filter((p) => p.product === product.id);
          return (
            <fieldset>
              <legend>{product.name}</legend>
              <input type="hidden" name={`${base}[product]`} value={product.id} />
              {prices.map((price) => (
                <Check
                  name={`${base}[prices][]`}
                  value={price.id}
                  label={`${price.nickname ?? price.id}: ${price.unit_amount ?? '—'} ${price.currency.toUpperCase()} / ${price.recurring?.interval_count ?? 1} ${price.recurring?.interval ?? ''}`}
                  checked={entry?.prices.includes(price.id) ?? false}
                />
              ))}
              <Check name={`${base}[adjustable_quantity][enabled]`} label="Adjustable quantity" checked={entry?.adjustable_quantity.enabled ?? false} />
              <Field name={`${base}[adjustable_quantity][minimum]`} label="Minimum quantity" type="number" min={0} value={entry?.adjustable_quantity.minimum ?? 0} />
              <Field name={`${base}[adjustable_quantity][maximum]`} label="Maximum quantity (empty: none)" type="number" min={1} value={entry?.adjustable_quantity.maximum ?? null} />
            </fieldset>
          );
        })}
        <ErrorText error={errUnder(`${F}[subscription_update][products]`)} />
      </fieldset>
      {props.error && !props.error.body.param ? <ErrorText error={props.error.body.message} /> : null}
      <div class="actions">
        <button class="button" type="submit">{m.save}</button>
      </div>
    </form>
  );
}

function PreviewForm(props: { id: string }) {
  return (
    <form method="get" action={`/dashboard/portal/${props.id}/preview`} class="card">
      <h2>Preview</h2>
      <p class="muted">See the portal as a customer sees it under this configuration. Read-only: no session is created and nothing changes.</p>
      <Field name="customer" label="Customer (id or email; empty: a sample customer)" />
      <div class="actions">
        <button class="button secondary" type="submit">Preview</button>
      </div>
    </form>
  );
}

const SAMPLE_TIME = 1_893_456_000;

/** The sample customer a preview shows when no customer is chosen (also the branding preview). */
export function sampleHome(conf: PortalConfiguration): HomeData {
  return {
    configuration: conf,
    customer: { id: 'cus_sample', name: 'Sample customer', email: 'sample@example.com', preferred_locales: [] },
    returnUrl: conf.default_return_url,
    subscriptions: [
      {
        id: 'sub_sample',
        status: 'active',
        items: [{ productName: 'Sample plan', unitAmount: 2000, currency: 'usd', interval: 'month', intervalCount: 1, quantity: 1 }],
        currentPeriodEnd: SAMPLE_TIME + 30 * 86400,
        cancelAtPeriodEnd: false,
        cancelAt: null,
        trialEnd: null,
        canceledAt: null,
        // What this configuration offers an ordinary single-price subscription.
        offer: {
          productName: 'Sample plan',
          update: conf.features.subscription_update.enabled ? null : 'feature_off',
          cancel: conf.features.subscription_cancel.enabled ? null : 'feature_off',
          pause: conf.features.subscription_pause.enabled ? null : 'feature_off',
          scheduled: null,
          version: 'preview',
          renewable: false,
          paused: false,
          pausedUntil: null,
          resumable: false,
        },
      },
    ],
    paymentMethods: conf.features.payment_method_update.enabled ? [] : null,
    invoices: conf.features.invoice_history.enabled
      ? [{ id: 'in_sample', number: 'SAMPLE-0001', created: SAMPLE_TIME, total: 2000, amountDue: 0, currency: 'usd', status: 'paid', hostedInvoiceUrl: null, pdfUrl: null, payable: false }]
      : null,
  };
}

export function registerPortalSettings(dash: Hono<DashEnv>, kit: DashKit): void {
  dash.get('/portal', async (c) => {
    const list = await listConfigurations(kit.ctx(c), {}, { limit: 100 });
    const page = kit.page(c);
    return kit.html(
      c,
      m.nav.portal,
      <>
        <div class="scroll-x">
          <table class="data">
            <thead>
              <tr><th scope="col">Configuration</th><th scope="col">Status</th><th scope="col">Login page</th><th scope="col">Updated</th></tr>
            </thead>
            <tbody>
              {list.data.map(({ data: conf }) => (
                <tr>
                  <td><a href={`/dashboard/portal/${conf.id}`}>{conf.name ?? conf.id}</a> {conf.is_default ? <Badge tone="info">Default</Badge> : null}</td>
                  <td>{conf.active ? <Badge tone="success">Active</Badge> : <Badge tone="neutral">Inactive</Badge>}</td>
                  <td>{conf.login_page.enabled ? 'On' : 'Off'}</td>
                  <td>{fmtTime(conf.updated)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <form method="post" action="/dashboard/portal/new" class="actions">
          <CsrfField token={page.csrf} />
          <button class="button" type="submit">New configuration</button>
        </form>
      </>,
    );
  });

  dash.post('/portal/new', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const f = accountDefaultFeatures();
    const params = parseParams(configurationCreateShape, {
      features: {
        customer_update: { enabled: String(f.customer_update.enabled), allowed_updates: f.customer_update.allowed_updates },
        invoice_history: { enabled: 'true' },
        payment_method_update: { enabled: 'true' },
        subscription_cancel: { enabled: 'true', cancellation_reason: { enabled: 'true', options: f.subscription_cancel.cancellation_reason.options } },
      },
    });
    const created = await kit.change(c, async (ctx) => {
      const conf = await createConfiguration(ctx, params);
      return { result: conf, audit: { action: 'billing_portal.configuration.create', objectId: conf.id, before: null, after: conf } };
    });
    return c.redirect(`/dashboard/portal/${created.id}`, 303);
  });

  const editPage = async (c: DashContext, conf: PortalConfiguration, opts: { error?: ApiError | null; saved?: boolean } = {}) =>
    kit.html(
      c,
      conf.name ?? (conf.is_default ? 'Default configuration' : conf.id),
      <>
        <p class="muted mono">{conf.id}</p>
        <SettingsForm conf={conf} catalog={await loadCatalog(kit, c)} csrf={kit.page(c).csrf} error={opts.error ?? null} />
        <PreviewForm id={conf.id} />
      </>,
      {
        notice: opts.error ? { kind: 'error', text: opts.error.body.message } : opts.saved ? { kind: 'success', text: m.saved } : null,
        status: opts.error ? 400 : 200,
      },
    );

  const find = async (c: DashContext): Promise<PortalConfiguration | null> => {
    const id = c.req.param('id') ?? '';
    if (!ID.test(id)) return null;
    try {
      return await getConfiguration(kit.ctx(c), id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  };

  dash.get('/portal/:id', async (c) => {
    const conf = await find(c);
    if (!conf) return kit.notFound(c);
    return editPage(c, conf, { saved: c.req.query('saved') === '1' });
  });

  dash.post('/portal/:id', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const conf = await find(c);
    if (!conf) return kit.notFound(c);
    try {
      const params = parseParams(configurationUpdateShape, configurationParamsFromForm(body, { isDefault: conf.is_default }));
      await kit.change(c, async (ctx) => {
        const before = await getConfiguration(ctx, conf.id, 'configuration', true);
        const after = await updateConfiguration(ctx, conf.id, params);
        return { result: after, audit: { action: 'billing_portal.configuration.update', objectId: conf.id, before, after } };
      });
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) return editPage(c, conf, { error: err });
      throw err;
    }
    return c.redirect(`/dashboard/portal/${conf.id}?saved=1`, 303);
  });

  dash.get('/portal/:id/preview', async (c) => {
    const conf = await find(c);
    if (!conf) return kit.notFound(c);
    const wanted = (c.req.query('customer') ?? '').trim();
    let data: HomeData | null;
    if (wanted === '') data = sampleHome(conf);
    else {
      const customer = await findCustomer(kit.ctx(c), wanted);
      data = customer ? await loadHomeFor(kit.ctx(c), { customer: customer.id, configuration: conf.id, returnUrl: conf.default_return_url }) : null;
      if (!data) return kit.html(c, 'Preview', <p>No customer {wanted} in this mode. <a href={`/dashboard/portal/${conf.id}`}>Back</a></p>, { status: 404 });
    }
    // No session: the forms render (the preview shows the buttons) but carry no valid token, and /p
    // answers any post without a session cookie with the expired page, so nothing can change.
    return c.html(await renderHomePage({ data, businessName: kit.deps.businessName, sessionLocale: null, acceptLanguage: c.req.header('accept-language') ?? null, csrfToken: '', notice: null }));
  });
  void field;
}
