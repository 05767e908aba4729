/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The portal's pages: the home page (subscriptions, invoice history, the way back) and the
 * expired-session page. Server-rendered with hono/jsx, which escapes every interpolated value; no
 * inline script or style (the CSP forbids both).
 */
import { formatAmount } from '../lib/money.ts';
import type { HomeData, InvoiceView, SubscriptionView } from './home.ts';

export const PORTAL_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;background:#f6f8fa}
a{color:#3b5bdb}
a:focus-visible,button:focus-visible{outline:3px solid #3b5bdb;outline-offset:2px}
.wrap{max-width:960px;margin:0 auto;padding:32px 20px;display:grid;gap:32px}
@media(min-width:800px){.wrap{grid-template-columns:280px 1fr}}
header h1{font-size:1.25rem;margin:0 0 4px}
header p{color:#4f566b;margin:0 0 16px}
main section{background:#fff;border:1px solid #e3e8ee;border-radius:8px;padding:20px 24px;margin-bottom:24px}
main h2{font-size:1rem;text-transform:uppercase;letter-spacing:.04em;color:#4f566b;margin:0 0 12px}
.sub{border-top:1px solid #e3e8ee;padding:12px 0}.sub:first-of-type{border-top:0}
.sub h3{margin:0;font-size:1.1rem}
.status{display:inline-block;font-size:.8rem;padding:0 8px;border-radius:10px;background:#e3e8ee;color:#1a1f36}
.status-active,.status-trialing{background:#d7f7c2;color:#05690d}
.status-past_due,.status-unpaid,.status-incomplete{background:#ffe7d9;color:#8a2c0d}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:8px 4px;border-top:1px solid #e3e8ee}
th{font-size:.85rem;color:#4f566b}
footer{grid-column:1/-1;color:#697386;font-size:.85rem}
@media(prefers-reduced-motion:reduce){*{transition:none!important}}
`;

function date(t: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(t * 1000));
}

function priceLabel(item: SubscriptionView['items'][number], locale: string): string {
  const amount = item.unitAmount === null ? '' : formatAmount(item.unitAmount * item.quantity, item.currency, locale);
  const every = item.intervalCount === 1 ? `per ${item.interval}` : `every ${item.intervalCount} ${item.interval}s`;
  return `${amount} ${every}`;
}

function Layout(props: { title: string; lang: string; children: unknown }) {
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/p/-/portal.css" />
      </head>
      <body>{props.children}</body>
    </html>
  );
}

function Subscription(props: { sub: SubscriptionView; locale: string }) {
  const { sub, locale } = props;
  const next = sub.cancelAt ?? (sub.cancelAtPeriodEnd ? sub.currentPeriodEnd : null);
  return (
    <div class="sub" data-subscription={sub.id}>
      {sub.items.map((item) => (
        <h3>
          {item.productName}
          {item.quantity > 1 ? ` × ${item.quantity}` : ''}
        </h3>
      ))}
      <p>
        {sub.items.map((item) => priceLabel(item, locale)).join(' + ')}{' '}
        <span class={`status status-${sub.status}`}>{sub.status.replace('_', ' ')}</span>
      </p>
      {sub.trialEnd !== null ? <p>Trial ends {date(sub.trialEnd, locale)}</p> : null}
      {next !== null ? (
        <p>Cancels {date(next, locale)}</p>
      ) : sub.currentPeriodEnd !== null ? (
        <p>Renews {date(sub.currentPeriodEnd, locale)}</p>
      ) : null}
    </div>
  );
}

function Invoices(props: { invoices: InvoiceView[]; locale: string }) {
  if (props.invoices.length === 0) return <p>No invoices yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Date</th>
          <th scope="col">Number</th>
          <th scope="col">Amount</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {props.invoices.map((i) => (
          <tr data-invoice={i.id}>
            <td>{date(i.created, props.locale)}</td>
            <td>{i.hostedInvoiceUrl ? <a href={i.hostedInvoiceUrl}>{i.number ?? i.id}</a> : (i.number ?? i.id)}</td>
            <td>{formatAmount(i.total, i.currency, props.locale)}</td>
            <td>{i.status}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface HomePageInput {
  data: HomeData;
  businessName: string | null;
  sessionLocale: string | null;
  acceptLanguage: string | null;
}

export async function renderHomePage(input: HomePageInput): Promise<string> {
  const { data } = input;
  const locale = 'en';
  const bp = data.configuration.business_profile;
  const name = input.businessName ?? bp.headline ?? 'Billing';
  return (
    '<!doctype html>' +
    (
      <Layout title={name} lang={locale}>
        <div class="wrap">
          <header>
            <h1>{name}</h1>
            {bp.headline && input.businessName ? <p>{bp.headline}</p> : null}
            {data.returnUrl ? <a href={data.returnUrl}>← Return to {input.businessName ?? 'the site'}</a> : null}
          </header>
          <main>
            <section aria-labelledby="subs">
              <h2 id="subs">Current subscriptions</h2>
              {data.subscriptions.length === 0 ? <p>No subscriptions.</p> : data.subscriptions.map((s) => <Subscription sub={s} locale={locale} />)}
            </section>
            {data.invoices !== null ? (
              <section aria-labelledby="invoices">
                <h2 id="invoices">Invoice history</h2>
                <Invoices invoices={data.invoices} locale={locale} />
              </section>
            ) : null}
          </main>
        </div>
      </Layout>
    ).toString()
  );
}

export interface ExpiredPageInput {
  acceptLanguage: string | null;
  sessionLocale: string | null;
  returnUrl: string | null;
  loginUrl: string | null;
}

export async function renderExpiredPage(input: ExpiredPageInput): Promise<string> {
  return (
    '<!doctype html>' +
    (
      <Layout title="Session expired" lang="en">
        <div class="wrap">
          <main>
            <section>
              <h1>This session has expired</h1>
              <p>For your security, portal links work for a short time only. Go back and open the portal again.</p>
              {input.returnUrl ? <p><a href={input.returnUrl}>Return</a></p> : null}
              {input.loginUrl ? <p><a href={input.loginUrl}>Log in again</a></p> : null}
            </section>
          </main>
        </div>
      </Layout>
    ).toString()
  );
}
