/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The hosted invoice page (hono/jsx: every value is escaped on output) and the presentation model it
 * shares with the PDF: amounts formatted with `formatAmount` and dates with `Intl`, both in the page's
 * locale. No inline script or style: the stylesheet is a separate route (see routes.ts), written with
 * logical properties (`text-align: end`, `border-block-end`) so that an Arabic or Hebrew page, which
 * carries `dir="rtl"`, mirrors.
 */
import type { Invoice, InvoiceLineItem } from '../../billing/invoices/types.ts';
import { formatAmount } from '../../lib/money.ts';
import { invoiceMessages, type InvoiceLocale, type InvoiceMessages } from './i18n.ts';
import { localeDirection } from '../foundation/i18n/index.ts';

export interface InvoiceView {
  locale: InvoiceLocale;
  t: InvoiceMessages;
  number: string;
  status: Invoice['status'];
  statusLabel: string;
  accountName: string | null;
  /** The account's tax IDs the invoice names (`account_tax_ids`), as "EU VAT DE123456789". */
  accountTaxIds: string[];
  /** The customer's tax IDs (`customer_tax_ids`). */
  customerTaxIds: string[];
  customerName: string | null;
  customerEmail: string | null;
  issued: string | null;
  due: string | null;
  paidAt: string | null;
  lines: { description: string; quantity: string; amount: string }[];
  subtotal: string;
  discount: string | null;
  taxes: { label: string; amount: string }[];
  /** The shipping rate's name and amount (`shipping_cost`), after the discount and taxes of the lines. */
  shipping: { label: string; amount: string } | null;
  total: string;
  amountPaid: string | null;
  amountDue: string;
  /** The PDF's page size: `rendering.pdf.page_size`, where `auto` is Letter for customers in the US and Canada, else A4. */
  pageSize: 'a4' | 'letter';
}

export interface InvoiceViewInput {
  invoice: Invoice;
  /** What is shown of each line (descriptions may come cut to a display length). */
  lines: (Pick<InvoiceLineItem, 'description' | 'quantity' | 'amount'> & { inclusive_tax?: number })[];
  /** Tax rate id → its display name and percentage. */
  taxRates: Map<string, { display_name: string; percentage: number }>;
  /** The type and value of each of the invoice's `account_tax_ids` that still exists. */
  accountTaxIds?: { type: string; value: string }[];
  /** The shipping rate's display name. */
  shippingName?: string | null;
}

/** A tax ID as shown: its type in capitals (`eu_vat` → `EU VAT`) and its value. */
function taxIdText(t: { type: string; value: string }): string {
  return `${t.type.replace(/_/g, ' ').toUpperCase()} ${t.value}`;
}

/** `auto` → Letter for customers in the US and Canada, A4 elsewhere, as Stripe documents. */
export function pageSizeOf(invoice: Invoice): 'a4' | 'letter' {
  const size = invoice.rendering?.pdf?.page_size ?? 'auto';
  if (size !== 'auto') return size;
  const country = invoice.customer_address?.country ?? null;
  return country === 'US' || country === 'CA' ? 'letter' : 'a4';
}

/** Builds the page/PDF model in `locale`; `messages` overrides the labels (the PDF's fallback). */
export function buildInvoiceView(
  input: InvoiceViewInput,
  locale: InvoiceLocale,
  messages: InvoiceMessages = invoiceMessages(locale),
): InvoiceView {
  const { invoice } = input;
  const money = (amount: number) => formatAmount(amount, invoice.currency, locale);
  const dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' });
  const date = (t: number | null) => (t === null ? null : dateFmt.format(new Date(t * 1000)));
  const numberFmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 4 });
  const discount = invoice.total_discount_amounts.reduce((sum, d) => sum + d.amount, 0);
  // `exclude_tax`: line amounts and the subtotal without the tax included in them (the tax rows and
  // the total are the same either way); otherwise, as stored (tax-inclusive lines include their tax).
  const excludeTax = invoice.rendering?.amount_tax_display === 'exclude_tax';
  const taxes = new Map<string, { label: string; amount: number }>();
  for (const tax of invoice.total_taxes) {
    const id = tax.tax_rate_details.tax_rate;
    const rate = input.taxRates.get(id);
    const label = rate ? `${rate.display_name} (${numberFmt.format(rate.percentage)} %)` : messages.tax;
    const prev = taxes.get(id);
    taxes.set(id, { label, amount: (prev?.amount ?? 0) + tax.amount });
  }
  return {
    locale,
    t: messages,
    number: invoice.number ?? invoice.id,
    status: invoice.status,
    statusLabel: messages[`status_${invoice.status}`],
    accountName: invoice.account_name,
    accountTaxIds: (input.accountTaxIds ?? []).map(taxIdText),
    customerTaxIds: (invoice.customer_tax_ids ?? []).map(taxIdText),
    customerName: invoice.customer_name,
    customerEmail: invoice.customer_email,
    issued: date(invoice.status_transitions.finalized_at ?? invoice.created),
    due: date(invoice.due_date),
    paidAt: date(invoice.status_transitions.paid_at),
    lines: input.lines.map((l) => ({
      description: l.description ?? '',
      quantity: numberFmt.format(l.quantity),
      amount: money(excludeTax ? l.amount - (l.inclusive_tax ?? 0) : l.amount),
    })),
    subtotal: money(excludeTax ? invoice.subtotal_excluding_tax : invoice.subtotal),
    discount: discount > 0 ? money(-discount) : null,
    taxes: [...taxes.values()].map((t) => ({ label: t.label, amount: money(t.amount) })),
    shipping: invoice.shipping_cost
      ? { label: input.shippingName ? `${messages.shipping} (${input.shippingName})` : messages.shipping, amount: money(invoice.shipping_cost.amount_total) }
      : null,
    total: money(invoice.total),
    amountPaid: invoice.amount_paid > 0 ? money(invoice.amount_paid) : null,
    amountDue: money(invoice.amount_remaining),
    pageSize: pageSizeOf(invoice),
  };
}

export type PaymentNotice = 'succeeded' | 'declined' | 'requires_action' | 'failed' | null;

export interface InvoicePageProps {
  view: InvoiceView;
  token: string;
  /** Shown only for an open invoice. */
  csrf: string | null;
  notice: PaymentNotice;
}

const Layout = (props: { lang: string; title: string; children?: unknown }) => (
  <html lang={props.lang} dir={localeDirection(props.lang) === 'rtl' ? 'rtl' : undefined}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>{props.title}</title>
      <link rel="stylesheet" href="/i/-/invoice.css" />
    </head>
    <body>
      <main>{props.children as any}</main>
    </body>
  </html>
);

const Row = (props: { label: string; value: string; strong?: boolean }) => (
  <tr class={props.strong ? 'strong' : undefined}>
    <th scope="row" colspan={2}>{props.label}</th>
    <td class="num">{props.value}</td>
  </tr>
);

function InvoicePage({ view, token, csrf, notice }: InvoicePageProps) {
  const t = view.t;
  const noticeText =
    notice === 'succeeded'
      ? t.paymentSucceeded
      : notice === 'declined'
        ? t.paymentDeclined
        : notice === 'requires_action'
          ? t.paymentActionRequired
          : notice === 'failed'
            ? t.paymentFailed
            : null;
  return (
    <Layout lang={view.locale} title={`${t.invoice} ${view.number}`}>
      <header>
        {view.accountName ? <p class="from">{view.accountName}</p> : null}
        {view.accountTaxIds.map((id) => (
          <p class="from account-tax-id">{id}</p>
        ))}
        <h1>
          {t.invoice} <span class="number">{view.number}</span>
        </h1>
        <p class={`status status-${view.status}`}>{view.statusLabel}</p>
      </header>
      {noticeText ? (
        <p class={notice === 'succeeded' ? 'notice ok' : 'notice error'} role="status">
          {noticeText}
        </p>
      ) : null}
      <dl class="meta">
        <dt>{t.invoiceNumber}</dt>
        <dd>{view.number}</dd>
        {view.customerName || view.customerEmail ? (
          <>
            <dt>{t.billedTo}</dt>
            <dd>
              {view.customerName ? <span class="customer-name">{view.customerName}</span> : null}
              {view.customerName && view.customerEmail ? <br /> : null}
              {view.customerEmail ? <span class="customer-email">{view.customerEmail}</span> : null}
            </dd>
          </>
        ) : null}
        {view.customerTaxIds.length > 0 ? (
          <>
            <dt>{t.taxId}</dt>
            <dd class="customer-tax-ids">
              {view.customerTaxIds.map((id, i) => (
                <>
                  {i > 0 ? <br /> : null}
                  {id}
                </>
              ))}
            </dd>
          </>
        ) : null}
        {view.issued ? (
          <>
            <dt>{t.dateIssued}</dt>
            <dd>{view.issued}</dd>
          </>
        ) : null}
        {view.due ? (
          <>
            <dt>{t.dateDue}</dt>
            <dd>{view.due}</dd>
          </>
        ) : null}
        {view.paidAt ? (
          <>
            <dt>{t.datePaid}</dt>
            <dd>{view.paidAt}</dd>
          </>
        ) : null}
      </dl>
      <table class="lines">
        <thead>
          <tr>
            <th scope="col">{t.description}</th>
            <th scope="col" class="num">{t.quantity}</th>
            <th scope="col" class="num">{t.amount}</th>
          </tr>
        </thead>
        <tbody>
          {view.lines.map((l) => (
            <tr>
              <td>{l.description}</td>
              <td class="num">{l.quantity}</td>
              <td class="num">{l.amount}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <Row label={t.subtotal} value={view.subtotal} />
          {view.discount ? <Row label={t.discount} value={view.discount} /> : null}
          {view.taxes.map((x) => (
            <Row label={x.label} value={x.amount} />
          ))}
          {view.shipping ? <Row label={view.shipping.label} value={view.shipping.amount} /> : null}
          <Row label={t.total} value={view.total} strong />
          {view.amountPaid ? <Row label={t.amountPaid} value={view.amountPaid} /> : null}
          <Row label={t.amountDue} value={view.amountDue} strong />
        </tfoot>
      </table>
      <div class="actions">
        {csrf ? (
          <form method="post" action={`/i/${token}/pay`}>
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit">
              {t.pay} {view.amountDue}
            </button>
          </form>
        ) : null}
        <a href={`/i/${token}/pdf`}>{t.downloadPdf}</a>
      </div>
    </Layout>
  );
}

function NotFoundPage(props: { t: InvoiceMessages; lang: string }) {
  return (
    <Layout lang={props.lang} title={props.t.notFoundTitle}>
      <h1>{props.t.notFoundTitle}</h1>
      <p>{props.t.notFoundBody}</p>
    </Layout>
  );
}

async function toHtml(node: { toString(): string | Promise<string> }): Promise<string> {
  return `<!doctype html>${await node.toString()}`;
}

export function renderInvoicePage(props: InvoicePageProps): Promise<string> {
  return toHtml(<InvoicePage {...props} />);
}

export function renderNotFoundPage(locale: InvoiceLocale): Promise<string> {
  return toHtml(<NotFoundPage t={invoiceMessages(locale)} lang={locale} />);
}

export const INVOICE_CSS = `*{box-sizing:border-box}
body{margin:0;background:#f6f8fa;color:#1a1f36;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:44rem;margin-block:2rem;margin-inline:auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.5rem;margin:.25rem 0}
.from{color:#4f566b;margin:0}
.status{display:inline-block;padding:.1rem .5rem;border-radius:4px;background:#e3e8ee;font-size:.85rem;margin:.25rem 0}
.status-paid{background:#d7f7c2;color:#05690d}
.status-open{background:#cff5f6;color:#0055bc}
.status-void,.status-uncollectible{background:#ffe7f2;color:#b3093c}
.notice{padding:.75rem 1rem;border-radius:6px}
.notice.ok{background:#d7f7c2;color:#05690d}
.notice.error{background:#ffe7f2;color:#b3093c}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1.5rem 0}
dl.meta dt{color:#4f566b}
dl.meta dd{margin:0}
table.lines{width:100%;border-collapse:collapse}
table.lines th,table.lines td{padding:.5rem .25rem;border-block-end:1px solid #e3e8ee;text-align:start;vertical-align:top}
table.lines tfoot th{font-weight:normal;text-align:end}
.num{text-align:end!important;white-space:nowrap}
tr.strong th,tr.strong td{font-weight:600}
.actions{display:flex;gap:1rem;align-items:center;margin-block-start:1.5rem}
button{font:inherit;background:#635bff;color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;cursor:pointer}
a{color:#533afd}
`;
