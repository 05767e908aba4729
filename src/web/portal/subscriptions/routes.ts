/**
 * The portal's subscription actions: switch plan and quantity (choice → review → confirm, with the
 * test 3-D Secure step when the bank asks for it), undo a change scheduled at the period end, cancel
 * (with the retention offer of a `subscription_cancel` flow), renew, pause and resume, and the
 * landings of the four subscription flows.
 *
 * Every handler starts with `kit.open` (expired session → the expired page, nothing changed). Pages
 * (`page`) read the subscription named in the path within the session's customer and mode (anything
 * else → the not-found page) and show why when the feature does not allow it. Every POST (`action`) is
 * checked by `kit.readPost` (Origin and CSRF), names the subscription in its path and carries the
 * subscription's version: the action runs in one transaction, on the locked row, only if the version
 * still matches, so a double submit makes one change. Success answers 303 (POST → 303 → GET). The
 * pages never write: they call `src/portal/subscriptions/`, which calls the billing engine.
 */
import type { Context, Hono } from 'hono';
import type { Decoded } from '../../../lib/params.ts';
import type { Ctx } from '../../../storage/context.ts';
import { createAuthentication } from '../../../portal/authentications.ts';
import { applyChange, checkChoice, reviewChange, subscriptionNow, switchOptions, undoScheduledChange, type RawChoice } from '../../../portal/subscriptions/change.ts';
import { acceptRetention, canRenew, cancelFromPortal, customReasons, renewFromPortal, retentionCoupon } from '../../../portal/subscriptions/cancel.ts';
import { actOnSubscription, assertNothingWritten, offerBlocks, pageReads, sessionSubscription, subscriptionVersion, UndoAction } from '../../../portal/subscriptions/offer.ts';
import { canResume, pauseDurations, pauseFromPortal, resumeFromPortal } from '../../../portal/subscriptions/pause.ts';
import type { Subscription } from '../../../billing/subscriptions/index.ts';
import { allowFlowRedirect, finishAction, flowOf, mountFlowCompletion, registerFlowLanding } from '../flow-completion.tsx';
import type { PortalKit, PortalRequest } from '../session-context.ts';
import { renderCancelPage, renderRetentionPage } from './cancel-pages.tsx';
import { blockText, problemText, unavailablePage } from './common.tsx';
import { renderChoosePage, renderReviewPage } from './update-pages.tsx';
import { renderPausePage } from './pause-page.tsx';

/** The flows a plan change completes (also when its payment is authenticated afterwards). */
export const UPDATE_FLOWS = ['subscription_update', 'subscription_update_confirm'] as const;
const CANCEL_FLOWS = ['subscription_cancel'] as const;
const PAUSE_FLOWS = ['subscription_pause'] as const;

registerFlowLanding('subscription_update', (f) => `/p/subscriptions/${f.subscription_update!.subscription}/update`);
registerFlowLanding('subscription_update_confirm', (f) => `/p/subscriptions/${f.subscription_update_confirm!.subscription}/review`);
registerFlowLanding('subscription_pause', (f) => `/p/subscriptions/${f.subscription_pause!.subscription}/pause`);
registerFlowLanding('subscription_cancel', (f) => `/p/subscriptions/${f.subscription_cancel!.subscription}/cancel`);

/** A form field as a string (anything else: undefined). */
const field = (body: Decoded, name: string): string | undefined => (typeof body[name] === 'string' ? (body[name] as string) : undefined);

/** `path` with one more query parameter. */
export const withQuery = (path: string, name: string, value: string): string => `${path}${path.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;

/** How long a review stays valid: its proration date must be this recent when confirmed. */
const REVIEW_LIFETIME = 3600;

/** The choice in a confirm flow (made by the business through the API) for `sub`, else null. */
function flowChoice(p: PortalRequest, sub: string): RawChoice | null {
  const f = flowOf(p, ['subscription_update_confirm'], sub)?.subscription_update_confirm;
  if (!f) return null;
  const item = f.items[0]!;
  const discount = f.discounts?.[0];
  return {
    price: item.price ?? undefined,
    quantity: item.quantity !== undefined ? String(item.quantity) : undefined,
    promotion_code: discount?.promotion_code ?? undefined,
    coupon: discount?.coupon ?? undefined,
  };
}

/** The choice page's query for a choice (to show it again with a problem). */
const choiceQuery = (raw: RawChoice) => new URLSearchParams({ price: raw.price ?? '', quantity: raw.quantity ?? '', promotion_code: raw.promotion_code ?? '' });

type Feature = 'update' | 'cancel' | 'pause';

interface ActionSpec<T> {
  /** Where the action goes back to when it did not run (with `problem=`). */
  retry(id: string, body: Decoded, p: PortalRequest): string;
  /** The change, in the action's transaction on the locked subscription; null: no longer allowed (stale). */
  run(tx: Ctx, sub: Subscription, p: PortalRequest, body: Decoded): Promise<T | null>;
  /** The answer once done (a 303). */
  done(c: Context, p: PortalRequest, id: string, value: T): Promise<Response> | Response;
}

export function mountSubscriptionPages(app: Hono<any>, kit: PortalKit): void {
  const { db } = kit.deps;

  /**
   * `GET /p/subscriptions/:id/<name>`: the session's subscription, when `feature` allows it. `reads`
   * gives the page the context its reads go through (the subscription's included), e.g. a read cache.
   */
  function page(
    name: string,
    feature: Feature,
    render: (c: Context, p: PortalRequest, sub: Subscription) => Promise<Response>,
    reads?: (p: PortalRequest, id: string) => Promise<Ctx>,
  ): void {
    app.get(`/p/subscriptions/:id/${name}`, async (c) => {
      const opened = await kit.open(c);
      if (opened instanceof Response) return opened;
      const id = c.req.param('id') ?? '';
      const p = reads ? { ...opened, ctx: await reads(opened, id) } : opened;
      const sub = await sessionSubscription(p.ctx, p.customer.id, id);
      if (!sub) return kit.notFound(c, p);
      const block = offerBlocks(p.configuration, sub)[feature];
      if (block !== null) return c.html(await unavailablePage(p, blockText(p.t, block)));
      allowFlowRedirect(c, p);
      return render(c, p, sub);
    });
  }

  /** `POST /p/subscriptions/:id/<name>`: one change, once, at the form's version. */
  function action<T>(name: string, spec: ActionSpec<T>): void {
    app.post(`/p/subscriptions/:id/${name}`, async (c) => {
      const p = await kit.open(c);
      if (p instanceof Response) return p;
      const body = await kit.readPost(c, p);
      if (body instanceof Response) return body;
      const id = c.req.param('id') ?? '';
      const result = await actOnSubscription(db, p.ctx, p.customer.id, id, field(body, 'version'), (tx, sub) => spec.run(tx, sub, p, body));
      if (result.kind === 'missing') return kit.notFound(c, p);
      if (result.kind === 'done' && result.value !== null) return spec.done(c, p, id, result.value);
      return c.redirect(withQuery(spec.retry(id, body, p), 'problem', result.kind === 'undone' ? result.result : 'stale'), 303);
    });
  }

  /** Whether `feature` is allowed for `sub` as it is now (the action's locked row). */
  const allowed = (p: PortalRequest, sub: Subscription, feature: Feature) => offerBlocks(p.configuration, sub)[feature] === null;

  // ---- Switch plan and quantity ----

  page('update', 'update', async (c, p, sub) => {
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

  page('review', 'update', async (c, p, sub) => {
    const fromFlow = flowChoice(p, sub.id);
    const q = c.req.query();
    const raw: RawChoice = fromFlow ?? { price: q['price'], quantity: q['quantity'], promotion_code: q['promotion_code'] };
    const checked = await checkChoice(p.ctx, p.configuration, sub, raw, fromFlow !== null);
    if ('problem' in checked) {
      if (fromFlow) return c.html(await unavailablePage(p, problemText(p.t, checked.problem) ?? p.t.genericError), 400);
      return c.redirect(withQuery(`/p/subscriptions/${sub.id}/update?${choiceQuery(raw)}`, 'problem', checked.problem), 303);
    }
    const review = await reviewChange(db, p.ctx, p.configuration, sub, checked.choice);
    assertNothingWritten(p.ctx);
    return c.html(
      await renderReviewPage({
        p,
        sub,
        choice: checked.choice,
        review,
        version: subscriptionVersion(sub),
        backHref: fromFlow ? null : `/p/subscriptions/${sub.id}/update?${choiceQuery(raw)}`,
        problem: problemText(p.t, q['problem']),
      }),
      q['problem'] ? 400 : 200,
    );
    // What the review reads (subscription, offered plans, the preview's objects) comes from one read
    // cache, loaded in one statement: see pageReads.
  }, (p, id) => pageReads(p.ctx, p.configuration, p.customerRow, id));

  action('update', {
    // Inside a confirm flow the review is the flow's own page; elsewhere the choice page with the choice.
    retry: (id, body, p) =>
      flowChoice(p, id) ? `/p/subscriptions/${id}/review` : `/p/subscriptions/${id}/update?${choiceQuery({ price: field(body, 'price'), quantity: field(body, 'quantity'), promotion_code: field(body, 'promotion_code') })}`,
    run: async (tx, sub, p, body) => {
      // The review's proration date, if recent (a stale review is reviewed again, never applied).
      const prorationDate = Number(field(body, 'proration_date'));
      const now = await subscriptionNow(tx, sub);
      if (!Number.isSafeInteger(prorationDate) || prorationDate > now || prorationDate < now - REVIEW_LIFETIME) return null;
      if (!allowed(p, sub, 'update')) return null;
      // A confirm flow's choice is the business's, never what the form says.
      const fromFlow = flowChoice(p, sub.id);
      const raw = fromFlow ?? { price: field(body, 'price'), quantity: field(body, 'quantity'), promotion_code: field(body, 'promotion_code') };
      const checked = await checkChoice(tx, p.configuration, sub, raw, fromFlow !== null);
      if ('problem' in checked) throw new UndoAction(checked.problem);
      const outcome = await applyChange(tx, p.configuration, sub, checked.choice, prorationDate);
      if (outcome.kind === 'declined') throw new UndoAction('declined');
      if (outcome.kind !== 'requires_action') return { notice: outcome.kind };
      // The update waits as a pending update; 3-D Secure then pays its invoice, which applies it.
      const a = await createAuthentication(tx, {
        sessionId: p.session.id,
        kind: 'invoice',
        paymentMethod: outcome.paymentMethod,
        invoice: outcome.invoice,
        makeDefault: false,
        returnTo: fromFlow ? `/p/subscriptions/${sub.id}/review` : `/p/subscriptions/${sub.id}/update`,
        subscription: sub.id,
      });
      return { authenticate: a.id };
    },
    done: (c, p, id, v) => ('authenticate' in v ? c.redirect(`/p/authenticate/${v.authenticate}`, 303) : finishAction(c, kit, p, { flows: UPDATE_FLOWS, subscription: id, notice: v.notice })),
  });

  action('undo', {
    retry: () => '/p/home',
    run: async (tx, sub) => ((await undoScheduledChange(tx, sub)) ? true : null),
    done: (c) => c.redirect('/p/home?done=undone', 303),
  });

  // ---- Cancel, retention, renew ----

  page('cancel', 'cancel', async (c, p, sub) => {
    const version = subscriptionVersion(sub);
    const retention = flowOf(p, CANCEL_FLOWS, sub.id)?.subscription_cancel?.retention;
    if (retention && c.req.query('offer') !== 'declined') {
      const coupon = await retentionCoupon(p.ctx, sub, retention.coupon_offer.coupon);
      if (coupon) return c.html(await renderRetentionPage(p, sub, coupon, version));
    }
    return c.html(await renderCancelPage({ p, sub, version, custom: await customReasons(p.ctx, p.configuration) }));
  });

  action('cancel', {
    retry: (id) => `/p/subscriptions/${id}/cancel`,
    run: async (tx, sub, p, body) => {
      if (!allowed(p, sub, 'cancel')) return null;
      await cancelFromPortal(tx, p.configuration, sub, { reason: field(body, 'reason'), comment: field(body, 'comment') });
      return true;
    },
    done: (c, p, id) => finishAction(c, kit, p, { flows: CANCEL_FLOWS, subscription: id, notice: 'canceled' }),
  });

  action('retention', {
    retry: (id) => `/p/subscriptions/${id}/cancel`,
    run: async (tx, sub, p) => {
      const retention = flowOf(p, CANCEL_FLOWS, sub.id)?.subscription_cancel?.retention;
      const coupon = retention ? await retentionCoupon(tx, sub, retention.coupon_offer.coupon) : null;
      if (!coupon) return null;
      await acceptRetention(tx, sub, coupon);
      return true;
    },
    done: (c, p, id) => finishAction(c, kit, p, { flows: CANCEL_FLOWS, subscription: id, notice: 'retained' }),
  });

  action('renew', {
    retry: () => '/p/home',
    run: async (tx, sub, p) => {
      if (!p.configuration.features.subscription_cancel.enabled || !canRenew(sub)) return null;
      await renewFromPortal(tx, sub);
      return true;
    },
    done: (c) => c.redirect('/p/home?done=renewed', 303),
  });

  // ---- Pause and resume ----

  page('pause', 'pause', async (c, p, sub) => c.html(await renderPausePage(p, sub, pauseDurations(p.configuration), subscriptionVersion(sub))));

  action('pause', {
    retry: (id) => `/p/subscriptions/${id}/pause`,
    run: async (tx, sub, p, body) => (allowed(p, sub, 'pause') && (await pauseFromPortal(tx, p.configuration, sub, field(body, 'duration'))) ? true : null),
    done: (c, p, id) => finishAction(c, kit, p, { flows: PAUSE_FLOWS, subscription: id, notice: 'paused' }),
  });

  action('resume', {
    retry: () => '/p/home',
    run: async (tx, sub, p) => {
      if (!canResume(p.configuration, sub)) return null;
      await resumeFromPortal(tx, sub);
      return true;
    },
    done: (c) => c.redirect('/p/home?done=resumed', 303),
  });

  mountFlowCompletion(app, kit);
}
