/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Switching plan and quantity: the choice (a GET form, so it works with no script and the back
 * button), the review (the engine's preview, shown as it is), and the confirmation form, which
 * carries the subscription's version and the review's proration date.
 */
import type { ChangeReview, PlanChoice } from '../../../portal/subscriptions/change.ts';
import type { ProductOption } from '../../../portal/subscriptions/offer.ts';
import type { Subscription } from '../../../billing/subscriptions/index.ts';
import { Badge, CsrfField, Notice, Section } from '../../foundation/components.tsx';
import { formatDate, formatMoney } from '../../foundation/i18n/format.ts';
import type { Interval } from '../../foundation/i18n/plural.ts';
import type { PortalRequest } from '../session-context.ts';
import { frame } from './common.tsx';

export interface ChoosePageInput {
  p: PortalRequest;
  sub: Subscription;
  options: ProductOption[];
  selected: { price: string; quantity: string; promotionCode: string };
  problem: string | null;
  allowQuantity: boolean;
  allowPromotionCode: boolean;
}

const priceText = (p: PortalRequest, amount: number, currency: string, interval: string, count: number) =>
  p.t.pricePerInterval(formatMoney(amount, currency, p.locale), interval as Interval, count);

export function renderChoosePage(input: ChoosePageInput): Promise<string> {
  const { p, sub, options, selected } = input;
  const t = p.t;
  const bounds = options.find((o) => o.prices.some((x) => x.price.id === selected.price))?.adjustableQuantity;
  const quantityProblem = input.problem !== null && selected.quantity !== '' ? input.problem : null;
  return frame(
    p,
    t.updatePlan,
    <Section id="choose" title={t.choosePlan}>
      {input.problem ? <Notice kind="error">{input.problem}</Notice> : null}
      <form method="get" action={`/p/subscriptions/${sub.id}/review`}>
        <fieldset>
          <legend>{t.choosePlan}</legend>
          {options.flatMap((o) =>
            o.prices.map((x) => (
              <label class="choice">
                <input type="radio" name="price" value={x.price.id} checked={x.price.id === selected.price} required />
                <span>
                  <strong>{o.name}</strong> · {priceText(p, x.price.unit_amount!, x.price.currency, x.price.recurring!.interval, x.price.recurring!.interval_count)}{' '}
                  {x.current ? <Badge tone="info">{t.currentPlan}</Badge> : null}
                </span>
              </label>
            )),
          )}
        </fieldset>
        {input.allowQuantity && bounds?.enabled ? (
          <div class="field">
            <label for="quantity">{t.quantity}</label>
            <input
              id="quantity"
              type="number"
              name="quantity"
              inputmode="numeric"
              min={String(bounds.minimum)}
              {...(bounds.maximum !== null ? { max: String(bounds.maximum) } : {})}
              value={selected.quantity}
              aria-describedby="quantity-range"
              aria-invalid={quantityProblem ? 'true' : undefined}
            />
            <p id="quantity-range" class="muted">
              {t.quantityRange(String(bounds.minimum), bounds.maximum === null ? '∞' : String(bounds.maximum))}
            </p>
          </div>
        ) : (
          <input type="hidden" name="quantity" value={selected.quantity} />
        )}
        {input.allowPromotionCode ? (
          <div class="field">
            <label for="promotion_code">{t.promotionCode}</label>
            <input id="promotion_code" type="text" name="promotion_code" value={selected.promotionCode} autocomplete="off" maxlength={200} />
          </div>
        ) : null}
        <p class="actions">
          <button class="button" type="submit">
            {t.continue}
          </button>
        </p>
      </form>
    </Section>,
  );
}

export interface ReviewPageInput {
  p: PortalRequest;
  sub: Subscription;
  choice: PlanChoice;
  review: ChangeReview;
  version: string;
  /** Where "Back" goes (the choice page with this choice, or nothing inside a confirm flow). */
  backHref: string | null;
  /** Why the last confirmation did not go through (e.g. authentication failed), else null. */
  problem: string | null;
}

export function renderReviewPage(input: ReviewPageInput): Promise<string> {
  const { p, sub, choice, review } = input;
  const t = p.t;
  const inv = review.invoice;
  const rec = choice.price.recurring!;
  const money = (n: number) => formatMoney(n, inv.currency, p.locale);
  const lines = inv.lines.data;
  const discount = inv.total_discount_amounts.reduce((sum, d) => sum + d.amount, 0);
  const nextDate = review.dueNow ? Math.max(...lines.map((l) => l.period.end)) : inv.created;
  return frame(
    p,
    t.reviewTitle,
    <Section id="review" title={t.reviewTitle}>
      {input.problem ? <Notice kind="error">{input.problem}</Notice> : null}
      <dl class="summary">
        <dt>{t.newPlan}</dt>
        <dd>
          <strong>{choice.productName}</strong> · {priceText(p, choice.price.unit_amount! * choice.quantity, choice.price.currency, rec.interval, rec.interval_count)}
          {choice.quantity > 1 ? <span class="muted"> · {t.quantityOf(String(choice.quantity))}</span> : null}
        </dd>
        <dt>{t.dueToday}</dt>
        <dd data-due-today={String(review.dueNow ? inv.amount_due : 0)}>{money(review.dueNow ? inv.amount_due : 0)}</dd>
        <dt>{t.nextInvoiceOn(formatDate(nextDate, p.locale))}</dt>
        <dd data-next-invoice={review.dueNow ? '' : String(inv.amount_due)}>
          {review.dueNow ? priceText(p, choice.price.unit_amount! * choice.quantity, choice.price.currency, rec.interval, rec.interval_count) : money(inv.amount_due)}
        </dd>
      </dl>
      {review.scheduled && review.effectiveAt !== null ? <Notice kind="info">{t.changeTakesEffect(formatDate(review.effectiveAt, p.locale))}</Notice> : null}
      {review.trial === 'continue_trial' && sub.trial_end !== null ? <Notice kind="info">{t.trialContinues(formatDate(sub.trial_end, p.locale))}</Notice> : null}
      {review.trial === 'end_trial' ? <Notice kind="info">{t.trialEndsNow}</Notice> : null}
      {lines.length > 0 && !review.scheduled ? (
        <div class="scroll-x">
          <table class="data">
            <caption class="muted">{review.dueNow ? t.dueToday : t.nextInvoiceOn(formatDate(nextDate, p.locale))}</caption>
            <tbody>
              {lines.map((l) => (
                <tr>
                  <td>{l.description}</td>
                  <td class="num">{money(l.amount)}</td>
                </tr>
              ))}
              {discount > 0 ? (
                <tr>
                  <td>{choice.promotionCode?.code ?? choice.coupon?.name ?? choice.coupon?.id ?? ''}</td>
                  <td class="num">{money(-discount)}</td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      ) : null}
      <form method="post" action={`/p/subscriptions/${sub.id}/update`}>
        <CsrfField token={p.csrfToken} />
        <input type="hidden" name="price" value={choice.price.id} />
        <input type="hidden" name="quantity" value={String(choice.quantity)} />
        <input type="hidden" name="promotion_code" value={choice.promotionCode?.code ?? ''} />
        <input type="hidden" name="proration_date" value={String(review.prorationDate)} />
        <input type="hidden" name="version" value={input.version} />
        <p class="actions">
          <button class="button" type="submit">
            {t.confirm}
          </button>
          {input.backHref ? (
            <a class="button secondary" href={input.backHref}>
              {t.back}
            </a>
          ) : null}
        </p>
      </form>
    </Section>,
  );
}
