/**
 * `/p/invoices`: the invoice history a page at a time (`?starting_after=<one of the customer's
 * invoices>`), shown when the configuration enables `features.invoice_history`; `/p/invoices/<id>/pay`:
 * pay an open invoice with the default or another of the customer's cards, on-session, through 3-D
 * Secure when the card asks (`../three-d-secure/`). Another customer's invoice or card is not found.
 */
import type { Context, Hono } from 'hono';
import { createAuthentication } from '../../../portal/authentications.ts';
import { customerInvoice, invoiceHistoryPage, invoiceView, isPayable, payCustomerInvoice } from '../../../portal/invoices.ts';
import { listCards, ownedCard } from '../../../portal/payment-methods.ts';
import { inTransaction, noticeFrom } from '../portal-transaction.ts';
import type { PortalKit, PortalRequest } from '../session-context.ts';
import { INVOICE_NOTICES, renderInvoicesPage, renderPayPage, type InvoiceNotice } from './pages.tsx';

export function mountInvoiceHistoryRoutes(app: Hono<any>, kit: PortalKit): void {
  const openFeature = async (c: Context): Promise<PortalRequest | Response> => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    if (!p.configuration.features.invoice_history.enabled) return kit.notFound(c, p);
    return p;
  };

  app.get('/p/invoices', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const { invoices, hasMore } = await invoiceHistoryPage(p.ctx, p.customer.id, c.req.query('starting_after') ?? null);
    const next = hasMore ? (invoices[invoices.length - 1]?.id ?? null) : null;
    return c.html(await renderInvoicesPage(p, invoices, next, noticeFrom(c.req.query('notice'), INVOICE_NOTICES)));
  });

  app.get('/p/invoices/:id/pay', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const invoice = await customerInvoice(p.ctx, p.customer.id, c.req.param('id'));
    if (!invoice) return kit.notFound(c, p);
    if (!isPayable(invoice)) return c.redirect(`/p/invoices?notice=${invoice.status === 'paid' ? 'invoice_already_paid' : 'invoice_not_payable'}`, 303);
    const notice = noticeFrom(c.req.query('notice'), INVOICE_NOTICES);
    return c.html(await renderPayPage(p, invoiceView(invoice), await listCards(p.ctx, p.customer), notice));
  });

  app.post('/p/invoices/:id/pay', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    if (!(await customerInvoice(p.ctx, p.customer.id, id))) return kit.notFound(c, p);
    const pm = typeof body.payment_method === 'string' && body.payment_method !== '' ? body.payment_method : null;
    if (pm !== null && !(await ownedCard(p.ctx, p.customer.id, pm))) return kit.notFound(c, p);
    const outcome = await inTransaction(kit, p, async (ctx): Promise<{ notice: InvoiceNotice } | { authenticate: string }> => {
      const r = await payCustomerInvoice(ctx, p.customer.id, id, pm);
      if (r.kind === 'requires_action') {
        const a = await createAuthentication(ctx, { sessionId: p.session.id, kind: 'invoice', paymentMethod: r.paymentMethod, invoice: id, makeDefault: false, returnTo: '/p/invoices' });
        return { authenticate: a.id };
      }
      const notices = { paid: 'invoice_paid', already_paid: 'invoice_already_paid', not_payable: 'invoice_not_payable', declined: 'payment_declined' } as const;
      return { notice: notices[r.kind] };
    });
    if ('authenticate' in outcome) return c.redirect(`/p/authenticate/${outcome.authenticate}`, 303);
    if (outcome.notice === 'payment_declined') return c.redirect(`/p/invoices/${id}/pay?notice=payment_declined`, 303);
    return c.redirect(`/p/invoices?notice=${outcome.notice}`, 303);
  });
}
