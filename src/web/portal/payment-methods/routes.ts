/**
 * `/p/payment-methods`: the customer's cards, the add-a-card form (test mode), make default, remove.
 * Shown when the configuration enables `features.payment_method_update`; otherwise every route here is
 * the not-found page. Each change runs the domain (`portal/payment-methods.ts`) in one transaction; a
 * card that asks for 3-D Secure goes to the test challenge page (`../three-d-secure/`) before it is
 * attached. Another customer's payment method id is not found. The posted card number and CVC are
 * handed to the domain and never logged, stored or shown again.
 */
import type { Context, Hono } from 'hono';
import { createAuthentication } from '../../../portal/authentications.ts';
import { addCard, checkCardForm, type CardField, type CardFieldError, listCards, ownedCard, removalBlocker, removeCard, setDefaultCard } from '../../../portal/payment-methods.ts';
import type { Customer } from '../../../billing/customers.ts';
import { findObject } from '../../../storage/objects.ts';
import { allowFlowRedirect, finishFlowOr, registerFlowLanding } from '../flow-completion.tsx';
import { inTransaction, noticeFrom } from '../portal-transaction.ts';
import type { PortalKit, PortalRequest } from '../session-context.ts';
import { CARD_NOTICES, renderAddCardPage, renderPaymentMethodsPage, type CardFormValues } from './pages.tsx';

/** The `payment_method_update` flow opens the cards and is done once a card is added or made the default. */
export const PAYMENT_METHOD_FLOW = { flows: ['payment_method_update'] } as const;
registerFlowLanding('payment_method_update', () => '/p/payment-methods');

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export function mountPaymentMethodRoutes(app: Hono<any>, kit: PortalKit): void {
  /** The session's request when the feature is on; else the page to return. */
  const openFeature = async (c: Context): Promise<PortalRequest | Response> => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    if (!p.configuration.features.payment_method_update.enabled) return kit.notFound(c, p);
    return p;
  };

  app.get('/p/payment-methods', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const cards = await listCards(p.ctx, p.customer);
    allowFlowRedirect(c, p);
    return c.html(await renderPaymentMethodsPage(p, cards, noticeFrom(c.req.query('notice'), CARD_NOTICES)));
  });

  app.get('/p/payment-methods/new', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    allowFlowRedirect(c, p);
    const values: CardFormValues = { expiry: '', name: p.customer.name ?? '', country: p.customer.address?.country ?? '', postalCode: p.customer.address?.postal_code ?? '', makeDefault: true };
    return c.html(await renderAddCardPage(p, values, {}));
  });

  app.post('/p/payment-methods', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    if (p.session.livemode) return c.html(await renderAddCardPage(p, { expiry: '', name: '', country: '', postalCode: '', makeDefault: false }, {}), 403);
    const values: CardFormValues = {
      expiry: text(body.expiry).slice(0, 9),
      name: text(body.name).slice(0, 200),
      country: text(body.country).slice(0, 2),
      postalCode: text(body.postal_code).slice(0, 20),
      makeDefault: body.make_default === 'true',
    };
    const checked = checkCardForm(
      { number: text(body.number), expiry: values.expiry, cvc: text(body.cvc), name: values.name, country: values.country, postalCode: values.postalCode },
      p.ctx.clock.now(),
    );
    if (!checked.ok) return c.html(await renderAddCardPage(p, values, checked.errors), 422);
    type Outcome = { kind: 'done' } | { kind: 'authenticate'; id: string } | { kind: 'refused'; field: CardField; error: CardFieldError };
    let outcome: Outcome;
    try {
      outcome = await inTransaction(kit, p, async (ctx): Promise<Outcome> => {
        const result = await addCard(ctx, p.customer.id, checked.card, values.makeDefault);
        if (result.kind === 'refused') throw new Refused(result.field, result.error);
        if (result.kind === 'attached') return { kind: 'done' };
        const a = await createAuthentication(ctx, {
          sessionId: p.session.id,
          kind: 'setup',
          paymentMethod: result.paymentMethod.id,
          invoice: null,
          makeDefault: values.makeDefault,
          returnTo: '/p/payment-methods',
        });
        return { kind: 'authenticate', id: a.id };
      });
    } catch (err) {
      // A refusal rolls the transaction back: no payment method is kept, nothing is attached.
      if (!(err instanceof Refused)) throw err;
      outcome = { kind: 'refused', field: err.field, error: err.error };
    }
    if (outcome.kind === 'refused') return c.html(await renderAddCardPage(p, values, { [outcome.field]: outcome.error }), 402);
    if (outcome.kind === 'authenticate') return c.redirect(`/p/authenticate/${outcome.id}`, 303);
    return finishFlowOr(c, kit, p, PAYMENT_METHOD_FLOW, '/p/payment-methods?notice=card_added');
  });

  app.post('/p/payment-methods/:id/default', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    if (!(await ownedCard(p.ctx, p.customer.id, c.req.param('id')))) return kit.notFound(c, p);
    await inTransaction(kit, p, (ctx) => setDefaultCard(ctx, p.customer.id, c.req.param('id')));
    return finishFlowOr(c, kit, p, PAYMENT_METHOD_FLOW, '/p/payment-methods?notice=default_set');
  });

  app.post('/p/payment-methods/:id/remove', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    if (!(await ownedCard(p.ctx, p.customer.id, id))) return kit.notFound(c, p);
    const blocked = await inTransaction(kit, p, async (ctx) => {
      const customer = (await findObject<Customer>(ctx, 'customer', p.customer.id, { forUpdate: true }))!.data;
      if ((await removalBlocker(ctx, customer, id)) !== null) return true;
      await removeCard(ctx, p.customer.id, id);
      return false;
    });
    return c.redirect(`/p/payment-methods?notice=${blocked ? 'default_in_use' : 'card_removed'}`, 303);
  });
}

/** A card refusal carried out of the transaction so that it rolls back. */
class Refused extends Error {
  constructor(
    readonly field: CardField,
    readonly error: CardFieldError,
  ) {
    super('card refused');
  }
}
