/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The invoice history (a page at a time, "Show more" links to the next), each invoice with its hosted
 * page and PDF and, when open, a way to pay it; and the pay page: the amount due and a choice of the
 * customer's cards, the default preselected.
 */
import type { InvoiceView } from '../../../portal/home.ts';
import type { CardView } from '../../../portal/payment-methods.ts';
import { Badge, CsrfField, Notice, PageHeading, Section } from '../../foundation/components.tsx';
import { formatMoney } from '../../foundation/i18n/format.ts';
import { PortalLayout, renderPortalPage } from '../../foundation/layout.tsx';
import { InvoiceTable } from './table.tsx';
import { brandName, expiryText } from '../payment-methods/pages.tsx';
import type { PortalRequest } from '../session-context.ts';

export const INVOICE_NOTICES = ['invoice_paid', 'invoice_already_paid', 'invoice_not_payable', 'payment_declined', 'payment_auth_failed'] as const;
export type InvoiceNotice = (typeof INVOICE_NOTICES)[number];
const SUCCESS: ReadonlySet<InvoiceNotice> = new Set(['invoice_paid', 'invoice_already_paid']);

export async function renderInvoicesPage(p: PortalRequest, rows: InvoiceView[], next: string | null, notice: InvoiceNotice | null): Promise<string> {
  const t = p.t;
  const locale = p.locale;
  return renderPortalPage(
    <PortalLayout locale={locale} t={t} title={t.invoiceHistory} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{t.invoiceHistory}</PageHeading>
      {notice ? <Notice kind={SUCCESS.has(notice) ? 'success' : 'error'}>{t[`notice_${notice}`]}</Notice> : null}
      <Section id="invoices" title={t.invoiceHistory}>
        <InvoiceTable rows={rows} t={t} locale={locale} />
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
