/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The table of a customer's issued invoices, on the portal home and on the invoice history: date,
 * number, total, status, and the hosted page, the PDF and (when open) "Pay" for each.
 */
import type { InvoiceView } from '../../../portal/home.ts';
import { Badge, type BadgeTone } from '../../foundation/components.tsx';
import { formatDate, formatMoney } from '../../foundation/i18n/format.ts';
import type { PortalLocale, PortalMessages } from '../../foundation/i18n/index.ts';
import { safeHttpUrl } from '../../foundation/urls.ts';

const TONES: Record<NonNullable<InvoiceView['status']>, BadgeTone> = { draft: 'neutral', open: 'info', paid: 'success', uncollectible: 'danger', void: 'neutral' };

export function InvoiceTable(props: { rows: InvoiceView[]; t: PortalMessages; locale: PortalLocale }) {
  const { rows, t, locale } = props;
  if (rows.length === 0) return <p class="empty">{t.noInvoices}</p>;
  return (
    <div class="scroll-x">
      <table class="data">
        <thead>
          <tr>
            <th scope="col">{t.invoiceDate}</th>
            <th scope="col">{t.invoiceNumber}</th>
            <th scope="col" class="num">{t.invoiceAmount}</th>
            <th scope="col">{t.invoiceStatus}</th>
            <th scope="col">
              <span class="visually-hidden">{t.viewInvoice}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((i) => {
            const hosted = safeHttpUrl(i.hostedInvoiceUrl);
            const pdf = safeHttpUrl(i.pdfUrl);
            const label = i.number ?? i.id;
            return (
              <tr data-invoice={i.id}>
                <td>{formatDate(i.created, locale, { style: 'medium' })}</td>
                <td dir="ltr">{label}</td>
                <td class="num">{formatMoney(i.total, i.currency, locale)}</td>
                <td>{i.status ? <Badge tone={TONES[i.status]}>{t[`invoiceStatus_${i.status}`]}</Badge> : null}</td>
                <td class="links">
                  {hosted ? <a href={hosted} aria-label={`${t.viewInvoice} ${label}`}>{t.viewInvoice}</a> : null}{' '}
                  {pdf ? <a href={pdf} aria-label={`${t.downloadPdf} ${label}`}>{t.downloadPdf}</a> : null}{' '}
                  {i.payable ? (
                    <a class="button" href={`/p/invoices/${i.id}/pay`} aria-label={t.payInvoiceTitle(label)}>
                      {t.pay}
                    </a>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
