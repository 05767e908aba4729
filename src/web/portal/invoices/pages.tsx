/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The invoice history (a page at a time, "Show more" links to the next), each invoice with its hosted
 * page and PDF and, when open, a way to pay it; and the pay page: the amount due and a choice of the
 * customer's cards, the default preselected.
 */
import type { InvoiceView } from '../../../portal/home.ts';
import type { CardView } from '../../../portal/payment-methods.ts';
import { Badge, CsrfField, Notice, PageHeading, Section, type BadgeTone } from '../../foundation/components.tsx';
import { formatDate, formatMoney } from '../../foundation/i18n/format.ts';
import { PortalLayout, renderPortalPage } from '../../foundation/layout.tsx';
import { safeHttpUrl } from '../../foundation/urls.ts';
import { brandName, expiryText } from '../payment-methods/pages.tsx';
import type { PortalRequest } from '../session-context.ts';

export const INVOICE_NOTICES = ['invoice_paid', 'invoice_already_paid', 'invoice_not_payable', 'payment_declined', 'payment_auth_failed'] as const;
export type InvoiceNotice = (typeof INVOICE_NOTICES)[number];
const SUCCESS: ReadonlySet<InvoiceNotice> = new Set(['invoice_paid', 'invoice_already_paid']);

const TONES: Record<NonNullable<InvoiceView['status']>, BadgeTone> = { draft: 'neutral', open: 'info', paid: 'success', uncollectible: 'danger', void: 'neutral' };

export type HistoryRow = InvoiceView & { pdfUrl: string | null; payable: boolean };

export async function renderInvoicesPage(p: PortalRequest, rows: HistoryRow[], next: string | null, notice: InvoiceNotice | null): Promise<string> {
  const t = p.t;
  const locale = p.locale;
  return renderPortalPage(
    <PortalLayout locale={locale} t={t} title={t.invoiceHistory} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{t.invoiceHistory}</PageHeading>
      {notice ? <Notice kind={SUCCESS.has(notice) ? 'success' : 'error'}>{t[`notice_${notice}`]}</Notice> : null}
      <Section id="invoices" title={t.invoiceHistory}>
        {rows.length === 0 ? (
          <p class="empty">{t.noInvoices}</p>
        ) : (
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
        )}
        <p class="actions">
          {next ? (
            <a class="button secondary" href={`/p/invoices?starting_after=${encodeURIComponent(next)}`}>
              {t.showMore}
            </a>
          ) : null}
          <a class="button secondary" href="/p/home">
            {t.back}
          </a>
        </p>
      </Section>
    </PortalLayout>,
  );
}

export async function renderPayPage(p: PortalRequest, invoice: InvoiceView, cards: CardView[], notice: InvoiceNotice | null): Promise<string> {
  const t = p.t;
  const label = invoice.number ?? invoice.id;
  const usable = cards.filter((c) => c.expiry !== 'expired');
  const title = t.payInvoiceTitle(label);
  return renderPortalPage(
    <PortalLayout locale={p.locale} t={t} title={title} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{title}</PageHeading>
      {notice ? <Notice kind={SUCCESS.has(notice) ? 'success' : 'error'}>{t[`notice_${notice}`]}</Notice> : null}
      <Section id="pay-invoice" title={title}>
        <p>
          {t.amountDue}: <strong>{formatMoney(invoice.amountDue, invoice.currency, p.locale)}</strong>
        </p>
        {usable.length === 0 ? (
          <>
            <p>{t.addCardToPay}</p>
            <p class="actions">
              <a class="button" href="/p/payment-methods/new">
                {t.addCard}
              </a>
            </p>
          </>
        ) : (
          <form method="post" action={`/p/invoices/${invoice.id}/pay`}>
            <CsrfField token={p.csrfToken} />
            <fieldset>
              <legend>{t.payWith}</legend>
              {usable.map((c, i) => (
                <div class="field checkbox">
                  <label>
                    <input type="radio" name="payment_method" value={c.id} checked={c.isDefault || (i === 0 && !usable.some((u) => u.isDefault))} />{' '}
                    {t.cardEnding(brandName(c.brand), c.last4)} <span class="muted">· {t.cardExpires(expiryText(c.expMonth, c.expYear))}</span>
                    {c.isDefault ? <> <Badge tone="info">{t.defaultBadge}</Badge></> : null}
                  </label>
                </div>
              ))}
            </fieldset>
            <p class="actions">
              <button class="button" type="submit">
                {t.payAmount(formatMoney(invoice.amountDue, invoice.currency, p.locale))}
              </button>
              <a class="button secondary" href="/p/invoices">
                {t.cancel}
              </a>
            </p>
          </form>
        )}
      </Section>
    </PortalLayout>,
  );
}
