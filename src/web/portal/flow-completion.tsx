/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Portal flows (`flow_data`), for every flow type: where a session with a flow lands, whether a page
 * is inside its flow (the portal's navigation hidden), and what happens once the flow's action is done
 * (`after_completion`): a 303 to `redirect.return_url`, the hosted confirmation (`/p/flow/done`, with
 * the flow's `custom_message`), or the portal home. A flow completes once (`completeFlow`); after that
 * the session is an ordinary portal session.
 *
 * Feature pages register where their flow lands and call `finishAction` after a successful POST:
 *
 * ```ts
 * registerFlowLanding('subscription_cancel', (flow) => `/p/subscriptions/${flow.subscription_cancel!.subscription}/cancel`);
 * return finishAction(c, kit, p, { flow: 'subscription_cancel', subscription: sub.id, notice: 'canceled' });
 * ```
 */
import type { Context, Hono } from 'hono';
import type { FlowType, PortalFlow } from '../../portal/sessions/params.ts';
import { completeFlow } from '../../portal/sessions/store.ts';
import { PageHeading, Section } from '../foundation/components.tsx';
import { PortalLayout, renderPortalPage } from '../foundation/layout.tsx';
import { safeHttpUrl } from '../foundation/urls.ts';
import { portalCsp } from '../foundation/http/security.ts';
import type { PortalKit, PortalRequest } from './session-context.ts';

const landings = new Map<FlowType, (flow: PortalFlow) => string>();

/** Declares the page a flow of `type` opens on (its one action). */
export function registerFlowLanding(type: FlowType, landing: (flow: PortalFlow) => string): void {
  landings.set(type, landing);
}

/** The session's flow while it is still to be done, else null. */
export function activeFlow(p: PortalRequest): PortalFlow | null {
  const flow = p.session.session.flow;
  return flow && p.session.flowCompletedAt === null ? flow : null;
}

/** Where the session should be instead of the home page: its flow's landing, while the flow is open. */
export function flowLanding(p: PortalRequest): string | null {
  const flow = activeFlow(p);
  if (!flow) return null;
  return landings.get(flow.type)?.(flow) ?? null;
}

/** The subscription a flow acts on, if any. */
export function flowSubscription(flow: PortalFlow): string | null {
  return (
    flow.subscription_cancel?.subscription ??
    flow.subscription_pause?.subscription ??
    flow.subscription_update?.subscription ??
    flow.subscription_update_confirm?.subscription ??
    null
  );
}

/** The open flow of one of `types` (about `subscription`, when given), else null. */
export function flowOf(p: PortalRequest, types: readonly FlowType[], subscription?: string): PortalFlow | null {
  const flow = activeFlow(p);
  if (!flow || !types.includes(flow.type)) return null;
  if (subscription !== undefined && flowSubscription(flow) !== subscription) return null;
  return flow;
}

/**
 * On a page whose form may complete the session's open flow with `after_completion=redirect`, lets
 * the form's 303 reach the business's `return_url` (CSP `form-action` covers a form's redirects).
 */
export function allowFlowRedirect(c: Context, p: PortalRequest): void {
  const target = safeHttpUrl(activeFlow(p)?.after_completion.redirect?.return_url);
  if (target) c.header('Content-Security-Policy', portalCsp([new URL(target).origin]));
}

export interface FinishOptions {
  /** The flow types this action completes. */
  flows: readonly FlowType[];
  /** The subscription acted on (a subscription flow completes only for its own). */
  subscription?: string;
  /** What the home page says when no flow is completed (a code the page knows). */
  notice: string;
}

/**
 * The answer after a successful action (always a 303): the flow's `after_completion` when the action
 * completes the session's open flow, else the home page with `notice`.
 */
export async function finishAction(c: Context, kit: PortalKit, p: PortalRequest, opts: FinishOptions): Promise<Response> {
  return finishFlowOr(c, kit, p, { flows: opts.flows, ...(opts.subscription !== undefined ? { subscription: opts.subscription } : {}) }, `/p/home?done=${encodeURIComponent(opts.notice)}`);
}

/**
 * The answer after a successful action (always a 303): the flow's `after_completion` when the action
 * completes the session's open flow of one of `flows` (about `subscription`, when given), else
 * `fallback`, the page the action returns to outside a flow.
 */
export async function finishFlowOr(
  c: Context,
  kit: PortalKit,
  p: PortalRequest,
  which: { flows: readonly FlowType[]; subscription?: string },
  fallback: string,
): Promise<Response> {
  const flow = flowOf(p, which.flows, which.subscription);
  if (!flow) return c.redirect(fallback, 303);
  await completeFlow(kit.deps.db, p.session.id, kit.deps.clock.now());
  const ac = flow.after_completion;
  if (ac.type === 'redirect' && ac.redirect) return c.redirect(ac.redirect.return_url, 303);
  if (ac.type === 'hosted_confirmation') return c.redirect('/p/flow/done', 303);
  return c.redirect(fallback, 303);
}

/** Mounts `GET /p/flow/done`, the hosted confirmation of a completed flow. */
export function mountFlowCompletion(app: Hono<any>, kit: PortalKit): void {
  app.get('/p/flow/done', async (c) => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    const flow = p.session.session.flow;
    if (!flow || p.session.flowCompletedAt === null || flow.after_completion.type !== 'hosted_confirmation') return c.redirect('/p/home', 303);
    const t = p.t;
    const custom = flow.after_completion.hosted_confirmation?.custom_message ?? null;
    const back = safeHttpUrl(p.returnUrl);
    return c.html(
      await renderPortalPage(
        <PortalLayout locale={p.locale} t={t} title={t.flowDoneTitle} business={p.business} returnUrl={p.returnUrl}>
          <PageHeading>{t.flowDoneTitle}</PageHeading>
          <Section id="flow-done" title={t.flowDoneTitle}>
            {/* The business's own words, escaped like every value. */}
            <p>{custom ?? t.flowDoneBody}</p>
            {back ? (
              <p class="actions">
                <a class="button" href={back}>
                  {t.returnTo(p.business.name)}
                </a>
              </p>
            ) : null}
          </Section>
        </PortalLayout>,
      ),
    );
  });
}
