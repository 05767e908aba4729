/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Canceling: the retention offer (a `subscription_cancel` flow's coupon, before the cancel step), and
 * the cancel page (what happens and when, the reason survey with exactly the configured options, a
 * comment), each a plain form.
 */
import type { Coupon } from '../../../billing/coupons.ts';
import type { FeedbackOption } from '../../../billing/feedback-options.ts';
import type { Subscription } from '../../../billing/subscriptions/index.ts';
import { COMMENT_MAX } from '../../../portal/subscriptions/cancel.ts';
import { CsrfField, Notice, Section } from '../../foundation/components.tsx';
import { formatDate, formatMoney } from '../../foundation/i18n/format.ts';
import type { PortalRequest } from '../session-context.ts';
import { frame } from './common.tsx';

/** "25 % off for 3 months", in the customer's language. */
export function offerText(p: PortalRequest, coupon: Coupon, currency: string): string {
  const t = p.t;
  const amountOff = coupon.currency_options?.[currency]?.amount_off ?? coupon.amount_off;
  const off =
    coupon.percent_off !== null
      ? new Intl.NumberFormat(p.locale, { style: 'percent', maximumFractionDigits: 2 }).format(coupon.percent_off / 100)
      : formatMoney(amountOff ?? 0, currency, p.locale);
  if (coupon.duration === 'forever') return t.offerForever(off);
  if (coupon.duration === 'repeating') return t.offerMonths(off, coupon.duration_in_months ?? 1);
  return t.offerOnce(off);
}

export function renderRetentionPage(p: PortalRequest, sub: Subscription, coupon: Coupon, version: string): Promise<string> {
  const t = p.t;
  return frame(
    p,
    t.retentionTitle,
    <Section id="retention" title={t.retentionTitle}>
      <p>
        <strong>{offerText(p, coupon, sub.currency)}</strong>
      </p>
      <form method="post" action={`/p/subscriptions/${sub.id}/retention`}>
        <CsrfField token={p.csrfToken} />
        <input type="hidden" name="version" value={version} />
        <p class="actions">
          <button class="button" type="submit">
            {t.acceptOffer}
          </button>
          <a class="button secondary" href={`/p/subscriptions/${sub.id}/cancel?offer=declined`}>
            {t.declineOffer}
          </a>
        </p>
      </form>
    </Section>,
  );
}

export interface CancelPageInput {
  p: PortalRequest;
  sub: Subscription;
  version: string;
  /** The business's own reasons (their descriptions are the business's words, shown as written). */
  custom: FeedbackOption[];
}

export function renderCancelPage(input: CancelPageInput): Promise<string> {
  const { p, sub } = input;
  const t = p.t;
  const c = p.configuration.features.subscription_cancel;
  const periodEnd = sub.items.data[0]?.current_period_end ?? null;
  const reasons = c.cancellation_reason.enabled ? c.cancellation_reason.options : [];
  return frame(
    p,
    t.cancelPlan,
    <Section id="cancel" title={t.cancelPlan}>
      {c.mode === 'at_period_end' && periodEnd !== null ? (
        <Notice kind="info">{t.cancelAtPeriodEndNote(formatDate(periodEnd, p.locale))}</Notice>
      ) : (
        <Notice kind="info">
          {t.cancelNowNote}
          {c.proration_behavior !== 'none' ? ` ${t.cancelCreditNote}` : ''}
        </Notice>
      )}
      <form method="post" action={`/p/subscriptions/${sub.id}/cancel`}>
        <CsrfField token={p.csrfToken} />
        <input type="hidden" name="version" value={input.version} />
        {reasons.length + input.custom.length > 0 ? (
          <fieldset>
            <legend>{t.cancelReasonQuestion}</legend>
            {reasons.map((r) => (
              <label class="choice">
                <input type="radio" name="reason" value={r} />
                <span>{t[`reason_${r}`]}</span>
              </label>
            ))}
            {input.custom.map((o) => (
              <label class="choice">
                <input type="radio" name="reason" value={o.id} />
                <span>{o.description}</span>
              </label>
            ))}
          </fieldset>
        ) : null}
        {c.cancellation_reason.enabled ? (
          <div class="field">
            <label for="comment">{t.cancelComment}</label>
            <textarea id="comment" name="comment" maxlength={COMMENT_MAX} rows={4}></textarea>
          </div>
        ) : null}
        <p class="actions">
          <button class="button danger" type="submit">
            {t.confirmCancel}
          </button>
        </p>
      </form>
    </Section>,
  );
}
