/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * What the subscription pages share: the page frame (with the way back home hidden inside a flow),
 * the texts of blocks, problems and notices by their codes, and the unavailable-action page.
 */
import type { Child } from 'hono/jsx';
import type { Block } from '../../../portal/eligibility.ts';
import { Notice, PageHeading, Section } from '../../foundation/components.tsx';
import type { PortalMessages } from '../../foundation/i18n/index.ts';
import { PortalLayout, renderPortalPage } from '../../foundation/layout.tsx';
import { activeFlow } from '../flow-completion.tsx';
import type { PortalRequest } from '../session-context.ts';

/** A subscription page: heading, content, and (outside a flow) the way back to the portal home. */
export function frame(p: PortalRequest, title: string, children: Child): Promise<string> {
  const inFlow = activeFlow(p) !== null;
  return renderPortalPage(
    <PortalLayout locale={p.locale} t={p.t} title={title} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{title}</PageHeading>
      {children}
      {inFlow ? null : (
        <p class="actions">
          <a href="/p/home">{p.t.back}</a>
        </p>
      )}
    </PortalLayout>,
  );
}

export function blockText(t: PortalMessages, block: Block | 'feature_off'): string {
  return t[`block_${block}`];
}

const PROBLEMS = [
  'price',
  'quantity',
  'no_change',
  'promo_unknown',
  'promo_expired',
  'promo_used_up',
  'promo_customer',
  'promo_invalid',
  'declined',
  'requires_action_discount',
  'authentication_failed',
  'stale',
] as const;
export type Problem = (typeof PROBLEMS)[number];

/** A problem's text, for a code from the query string (anything else: null). */
export function problemText(t: PortalMessages, code: string | undefined): string | null {
  return PROBLEMS.includes(code as Problem) ? t[`problem_${code as Problem}`] : null;
}

const NOTICES = ['changed', 'scheduled', 'undone', 'canceled', 'renewed', 'retained', 'paused', 'resumed'] as const;
export type DoneNotice = (typeof NOTICES)[number];

/** A notice's text, for a code from the query string (anything else: null). */
export function noticeText(t: PortalMessages, code: string | undefined): string | null {
  return NOTICES.includes(code as DoneNotice) ? t[`done_${code as DoneNotice}`] : null;
}

/** The page for an action the subscription does not allow (a flow's subscription that became ineligible included). */
export async function unavailablePage(p: PortalRequest, reason: string): Promise<string> {
  return frame(
    p,
    p.t.unavailableTitle,
    <Section id="unavailable" title={p.t.unavailableTitle}>
      <Notice kind="info">{reason}</Notice>
    </Section>,
  );
}

/** The home page's notice for `?done=` or `?problem=` (codes it knows only). */
export function homeNotice(t: PortalMessages, done: string | undefined, problem: string | undefined): { kind: 'success' | 'error'; text: string } | null {
  const ok = noticeText(t, done);
  if (ok !== null) return { kind: 'success', text: ok };
  const bad = problemText(t, problem);
  return bad === null ? null : { kind: 'error', text: bad };
}
