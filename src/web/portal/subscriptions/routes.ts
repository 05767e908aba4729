/**
 * The portal's subscription actions: switch plan and quantity (choice → review → confirm), undo a
 * change scheduled at the period end, cancel (with the retention offer of a `subscription_cancel`
 * flow), renew, pause and resume, and the landings of the four subscription flows.
 *
 * Every handler starts with `kit.open` (expired session → the expired page, nothing changed). Every
 * POST is checked by `kit.readPost` (Origin and CSRF), names the subscription in its path, which is
 * re-read within the session's customer and mode (anything else → the not-found page), and carries
 * the subscription's version: the action runs in one transaction, on the locked row, only if the
 * version still matches, so a double submit makes one change. Success answers 303 (POST → 303 → GET).
 * The pages never write: they call `src/portal/subscriptions/`, which calls the billing engine.
 */
import type { Context, Hono } from 'hono';
import type { Decoded } from '../../../lib/params.ts';
import { applyChange, checkChoice, reviewChange, subscriptionNow, switchOptions, undoScheduledChange, type RawChoice } from '../../../portal/subscriptions/change.ts';
import { acceptRetention, canRenew, cancelFromPortal, customReasons, renewFromPortal, retentionCoupon } from '../../../portal/subscriptions/cancel.ts';
import { actOnSubscription, sessionSubscription, subscriptionOffer, subscriptionVersion, type ActionResult } from '../../../portal/subscriptions/offer.ts';
import type { Subscription } from '../../../billing/subscriptions/index.ts';
import { allowFlowRedirect, finishAction, flowOf, mountFlowCompletion, registerFlowLanding } from '../flow-completion.tsx';
import type { PortalKit, PortalRequest } from '../session-context.ts';
import { renderCancelPage, renderRetentionPage } from './cancel-pages.tsx';
import { blockText, problemText, unavailablePage } from './common.tsx';
import { renderChoosePage, renderReviewPage } from './update-pages.tsx';
import { renderPausePage } from './pause-page.tsx';
import { canResume, pauseDurations, pauseFromPortal, resumeFromPortal } from '../../../portal/subscriptions/pause.ts';

const UPDATE_FLOWS = ['subscription_update', 'subscription_update_confirm'] as const;
const CANCEL_FLOWS = ['subscription_cancel'] as const;
const PAUSE_FLOWS = ['subscription_pause'] as const;

registerFlowLanding('subscription_update', (f) => `/p/subscriptions/${f.subscription_update!.subscription}/update`);
registerFlowLanding('subscription_update_confirm', (f) => `/p/subscriptions/${f.subscription_update_confirm!.subscription}/review`);
registerFlowLanding('subscription_pause', (f) => `/p/subscriptions/${f.subscription_pause!.subscription}/pause`);
registerFlowLanding('subscription_cancel', (f) => `/p/subscriptions/${f.subscription_cancel!.subscription}/cancel`);

/** A form field as a string (anything else: undefined). */
const field = (body: Decoded, name: string): string | undefined => (typeof body[name] === 'string' ? (body[name] as string) : undefined);

/** How long a review stays valid: its proration date must be this recent when confirmed. */
const REVIEW_LIFETIME = 3600;

export function mountSubscriptionPages(app: Hono<any>, kit: PortalKit): void {
  const { db } = kit.deps;

  /** The session's subscription named in the path, or the not-found page. */
  async function load(c: Context, p: PortalRequest): Promise<Subscription | Response> {
    const sub = await sessionSubscription(p.ctx, p.customer.id, c.req.param('id') ?? '');
    return sub ?? kit.notFound(c, p);
  }

  /** The answer to an action that did not run: not found, or back to `retry` with a problem. */
  function notRun(c: Context, p: PortalRequest, result: ActionResult<unknown>, retry: string): Promise<Response> | Response {
    if (result.kind === 'missing') return kit.notFound(c, p);
    const problem = result.kind === 'undone' ? result.result : 'stale';
    return c.redirect(`${retry}${retry.includes('?') ? '&' : '?'}problem=${problem}`, 303);
  }

  // ---- Switch plan and quantity ----

  /** The choice in a confirm flow (made by the business through the API), else null. */
  function flowChoice(p: PortalRequest, sub: Subscription): RawChoice | null {
    const f = flowOf(p, ['subscription_update_confirm'], sub.id)?.subscription_update_confirm;
    if (!f) return null;
    const item = f.items[0]!;
    const promo = f.discounts?.find((d) => d.promotion_code !== null)?.promotion_code ?? undefined;
    return {
      price: item.price ?? undefined,
      quantity: item.quantity !== undefined ? String(item.quantity) : undefined,
      promotion_code: promo,
    };
  }

  app.get('/p/subscriptions/:id/update', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const sub = await load(c, p);
    if (sub instanceof Response) return sub;
    const offer = await subscriptionOffer(p.ctx, p.configuration, sub);
    if (offer.update !== null) return c.html(await unavailablePage(p, blockText(p.t, offer.update)));
    allowFlowRedirect(c, p);
    const u = p.configuration.features.subscription_update;
    const q = c.req.query();
    const item = sub.items.data[0]!;
    return c.html(
      await renderChoosePage({
        p,
        sub,
        options: await switchOptions(p.ctx, p.configuration, sub),
        selected: { price: q['price'] ?? item.price.id, quantity: q['quantity'] ?? String(item.quantity), promotionCode: q['promotion_code'] ?? '' },
        problem: problemText(p.t, q['problem']),
        allowQuantity: u.default_allowed_updates.includes('quantity'),
        allowPromotionCode: u.default_allowed_updates.includes('promotion_code'),
      }),
      q['problem'] ? 400 : 200,
    );
  });

  app.get('/p/subscriptions/:id/review', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const sub = await load(c, p);
    if (sub instanceof Response) return sub;
    const offer = await subscriptionOffer(p.ctx, p.configuration, sub);
    if (offer.update !== null) return c.html(await unavailablePage(p, blockText(p.t, offer.update)));
    const fromFlow = flowChoice(p, sub);
    const q = c.req.query();
    const raw: RawChoice = fromFlow ?? { price: q['price'], quantity: q['quantity'], promotion_code: q['promotion_code'] };
    const checked = await checkChoice(p.ctx, p.configuration, sub, raw, fromFlow !== null);
    const again = new URLSearchParams({ price: raw.price ?? '', quantity: raw.quantity ?? '', promotion_code: raw.promotion_code ?? '' });
    if ('problem' in checked) {
      if (fromFlow) return c.html(await unavailablePage(p, problemText(p.t, checked.problem) ?? p.t.genericError), 400);
      return c.redirect(`/p/subscriptions/${sub.id}/update?${again}&problem=${checked.problem}`, 303);
    }
    const review = await reviewChange(db, p.ctx, p.configuration, sub, checked.choice);
    allowFlowRedirect(c, p);
    return c.html(
      await renderReviewPage({
        p,
        sub,
        choice: checked.choice,
        review,
        version: subscriptionVersion(sub),
        backHref: fromFlow ? null : `/p/subscriptions/${sub.id}/update?${again}`,
      }),
    );
  });

  app.post('/p/subscriptions/:id/update', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    const raw: RawChoice = { price: field(body, 'price'), quantity: field(body, 'quantity'), promotion_code: field(body, 'promotion_code') };
    const retry = `/p/subscriptions/${id}/update?${new URLSearchParams({ price: raw.price ?? '', quantity: raw.quantity ?? '', promotion_code: raw.promotion_code ?? '' })}`;
    const prorationDate = Number(field(body, 'proration_date'));
    const result = await actOnSubscription(db, p.ctx, p.customer.id, id, field(body, 'version'), async (tx, sub) => {
      // The review's proration date, if recent (a stale review is reviewed again, never applied).
      const now = await subscriptionNow(tx, sub);
      if (!Number.isSafeInteger(prorationDate) || prorationDate > now || prorationDate < now - REVIEW_LIFETIME) return { problem: 'stale' as const };
      const offer = await subscriptionOffer(tx, p.configuration, sub);
      if (offer.update !== null) return { problem: 'stale' as const };
      const fromFlow = flowOf(p, ['subscription_update_confirm'], sub.id) !== null;
      const checked = await checkChoice(tx, p.configuration, sub, raw, fromFlow);
      if ('problem' in checked) return { problem: checked.problem };
      return { outcome: await applyChange(tx, p.configuration, sub, checked.choice, prorationDate) };
    });
    if (result.kind !== 'done') return notRun(c, p, result, retry);
    const v = result.value;
    if ('problem' in v) return c.redirect(`${retry}&problem=${v.problem}`, 303);
    if (v.outcome === 'declined' || v.outcome === 'requires_action') return c.redirect(`${retry}&problem=${v.outcome}`, 303);
    return finishAction(c, kit, p, { flows: UPDATE_FLOWS, subscription: id, notice: v.outcome });
  });

  app.post('/p/subscriptions/:id/undo', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    const result = await actOnSubscription(db, p.ctx, p.customer.id, id, field(body, 'version'), (tx, sub) => undoScheduledChange(tx, sub));
    if (result.kind !== 'done') return notRun(c, p, result, '/p/home');
    return c.redirect(result.value ? '/p/home?done=undone' : '/p/home?problem=stale', 303);
  });

  // ---- Cancel, retention, renew ----

  app.get('/p/subscriptions/:id/cancel', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const sub = await load(c, p);
    if (sub instanceof Response) return sub;
    const offer = await subscriptionOffer(p.ctx, p.configuration, sub);
    if (offer.cancel !== null) return c.html(await unavailablePage(p, blockText(p.t, offer.cancel)));
    const version = subscriptionVersion(sub);
    allowFlowRedirect(c, p);
    const retention = flowOf(p, CANCEL_FLOWS, sub.id)?.subscription_cancel?.retention;
    if (retention && c.req.query('offer') !== 'declined') {
      const coupon = await retentionCoupon(p.ctx, sub, retention.coupon_offer.coupon);
      if (coupon) return c.html(await renderRetentionPage(p, sub, coupon, version));
    }
    return c.html(await renderCancelPage({ p, sub, version, custom: await customReasons(p.ctx, p.configuration) }));
  });

  app.post('/p/subscriptions/:id/cancel', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    const result = await actOnSubscription(db, p.ctx, p.customer.id, id, field(body, 'version'), async (tx, sub) => {
      const offer = await subscriptionOffer(tx, p.configuration, sub);
      if (offer.cancel !== null) return false;
      await cancelFromPortal(tx, p.configuration, sub, { reason: field(body, 'reason'), comment: field(body, 'comment') });
      return true;
    });
    if (result.kind !== 'done' || !result.value) return notRun(c, p, result.kind === 'done' ? { kind: 'stale' } : result, `/p/subscriptions/${id}/cancel`);
    return finishAction(c, kit, p, { flows: CANCEL_FLOWS, subscription: id, notice: 'canceled' });
  });

  app.post('/p/subscriptions/:id/retention', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    const retention = flowOf(p, CANCEL_FLOWS, id)?.subscription_cancel?.retention;
    if (!retention) return kit.notFound(c, p);
    const result = await actOnSubscription(db, p.ctx, p.customer.id, id, field(body, 'version'), async (tx, sub) => {
      const coupon = await retentionCoupon(tx, sub, retention.coupon_offer.coupon);
      if (!coupon) return false;
      await acceptRetention(tx, sub, coupon);
      return true;
    });
    if (result.kind !== 'done' || !result.value) return notRun(c, p, result.kind === 'done' ? { kind: 'stale' } : result, `/p/subscriptions/${id}/cancel`);
    return finishAction(c, kit, p, { flows: CANCEL_FLOWS, subscription: id, notice: 'retained' });
  });

  app.post('/p/subscriptions/:id/renew', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    const result = await actOnSubscription(db, p.ctx, p.customer.id, id, field(body, 'version'), async (tx, sub) => {
      if (!p.configuration.features.subscription_cancel.enabled || !canRenew(sub)) return false;
      await renewFromPortal(tx, sub);
      return true;
    });
    if (result.kind !== 'done') return notRun(c, p, result, '/p/home');
    return c.redirect(result.value ? '/p/home?done=renewed' : '/p/home?problem=stale', 303);
  });

  // ---- Pause and resume ----

  app.get('/p/subscriptions/:id/pause', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const sub = await load(c, p);
    if (sub instanceof Response) return sub;
    const offer = await subscriptionOffer(p.ctx, p.configuration, sub);
    if (offer.pause !== null) return c.html(await unavailablePage(p, blockText(p.t, offer.pause)));
    allowFlowRedirect(c, p);
    return c.html(await renderPausePage(p, sub, pauseDurations(p.configuration), subscriptionVersion(sub)));
  });

  app.post('/p/subscriptions/:id/pause', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    const result = await actOnSubscription(db, p.ctx, p.customer.id, id, field(body, 'version'), async (tx, sub) => {
      const offer = await subscriptionOffer(tx, p.configuration, sub);
      if (offer.pause !== null) return false;
      return pauseFromPortal(tx, p.configuration, sub, field(body, 'duration'));
    });
    if (result.kind !== 'done' || !result.value) return notRun(c, p, result.kind === 'done' ? { kind: 'stale' } : result, `/p/subscriptions/${id}/pause`);
    return finishAction(c, kit, p, { flows: PAUSE_FLOWS, subscription: id, notice: 'paused' });
  });

  app.post('/p/subscriptions/:id/resume', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const id = c.req.param('id');
    const result = await actOnSubscription(db, p.ctx, p.customer.id, id, field(body, 'version'), async (tx, sub) => {
      if (!canResume(p.configuration, sub)) return false;
      await resumeFromPortal(tx, sub);
      return true;
    });
    if (result.kind !== 'done') return notRun(c, p, result, '/p/home');
    return c.redirect(result.value ? '/p/home?done=resumed' : '/p/home?problem=stale', 303);
  });

  mountFlowCompletion(app, kit);
}
