/**
 * `/p/authenticate/<id>`: the test 3-D Secure challenge of one pending card setup or invoice payment
 * of this session (another session's id is not found). Posting the customer's choice resolves it once
 * (`portal/authentications.ts`) in one transaction, then goes back to where the action started with
 * its outcome. For a plan change held as a pending update, a paid invoice has applied the change: the
 * answer is the change's own (its flow's `after_completion`, or the home page's "plan updated").
 */
import type { Hono } from 'hono';
import { findAuthentication, resolveAuthentication } from '../../../portal/authentications.ts';
import type { Invoice } from '../../../billing/invoices/types.ts';
import { findObject } from '../../../storage/objects.ts';
import { formatMoney } from '../../foundation/i18n/format.ts';
import { allowFlowRedirect, finishAction, finishFlowOr } from '../flow-completion.tsx';
import { PAYMENT_METHOD_FLOW } from '../payment-methods/routes.ts';
import { UPDATE_FLOWS, withQuery } from '../subscriptions/routes.ts';
import { inTransaction } from '../portal-transaction.ts';
import type { PortalKit } from '../session-context.ts';
import { renderChallengePage } from './page.tsx';

export function mountThreeDSecureRoutes(app: Hono<any>, kit: PortalKit): void {
  app.get('/p/authenticate/:id', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const a = await findAuthentication(p.ctx, p.session.id, c.req.param('id'));
    if (!a) return kit.notFound(c, p);
    let amount: string | null = null;
    if (a.invoice) {
      const inv = (await findObject<Invoice>(p.ctx, 'invoice', a.invoice))?.data;
      if (!inv || inv.customer !== p.customer.id) return kit.notFound(c, p);
      amount = formatMoney(inv.amount_remaining, inv.currency, p.locale);
    }
    allowFlowRedirect(c, p);
    return c.html(await renderChallengePage(p, { id: a.id, amount, pending: a.status === 'pending', returnTo: a.returnTo }));
  });

  app.post('/p/authenticate/:id', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const a = await findAuthentication(p.ctx, p.session.id, c.req.param('id'));
    if (!a) return kit.notFound(c, p);
    const choice = body.result === 'complete' ? 'complete' : 'fail';
    const r = await inTransaction(kit, p, (ctx) => resolveAuthentication(ctx, a, p.customer.id, choice));
    if (a.subscription !== null) {
      if (r.outcome === 'succeeded') return finishAction(c, kit, p, { flows: UPDATE_FLOWS, subscription: a.subscription, notice: 'changed' });
      if (r.outcome === 'already_resolved') return c.redirect('/p/home', 303);
      return c.redirect(withQuery(a.returnTo, 'problem', r.outcome === 'failed' ? 'authentication_failed' : 'declined'), 303);
    }
    const notice =
      a.kind === 'setup'
        ? { succeeded: 'card_added', failed: 'setup_auth_failed', declined: 'setup_declined', already_resolved: null }[r.outcome]
        : { succeeded: 'invoice_paid', failed: 'payment_auth_failed', declined: 'payment_declined', already_resolved: 'invoice_already_paid' }[r.outcome];
    const back = notice ? `${a.returnTo}?notice=${notice}` : a.returnTo;
    // A card added through 3-D Secure completes the payment_method_update flow as a plain one does.
    if (a.kind === 'setup' && r.outcome === 'succeeded') return finishFlowOr(c, kit, p, PAYMENT_METHOD_FLOW, back);
    return c.redirect(back, 303);
  });
}
