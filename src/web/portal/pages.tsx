/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The portal's pages: the home page (subscriptions, invoice history, the way back) and the
 * expired-session page, on the portal layout, in the negotiated locale. hono/jsx escapes every value.
 */
import { Badge, CsrfField, Notice, PageHeading, Section, type BadgeTone } from '../foundation/components.tsx';
import type { HomeData, SubscriptionView } from '../../portal/home.ts';
import { formatDate, formatMoney } from '../foundation/i18n/format.ts';
import { portalMessages, type PortalLocale, type PortalMessages } from '../foundation/i18n/index.ts';
import { negotiateLocale } from '../foundation/i18n/negotiate.ts';
import { displayBusiness, PortalLayout, renderPortalPage, type BusinessInfo } from '../foundation/layout.tsx';
import type { PortalRequest } from './session-context.ts';
import { CardLine } from './payment-methods/pages.tsx';
import { InvoiceTable } from './invoices/table.tsx';

const SUBSCRIPTION_TONES: Record<SubscriptionView['status'], BadgeTone> = {
  active: 'success',
  trialing: 'info',
  past_due: 'warning',
  unpaid: 'danger',
  incomplete: 'warning',
  incomplete_expired: 'neutral',
  canceled: 'neutral',
  paused: 'neutral',
};

type Interval = 'day' | 'week' | 'month' | 'year';

function Subscription(props: { sub: SubscriptionView; t: PortalMessages; locale: PortalLocale; csrfToken: string }) {
  const { sub, t, locale } = props;
  const ends = sub.cancelAt ?? (sub.cancelAtPeriodEnd ? sub.currentPeriodEnd : null);
  const offer = sub.offer;
  // Stripe's limits, said rather than silently hiding the action (only the ones a customer can act on).
  // (The portal's own scheduled change is shown as such, with its undo, not as a limit.)
  const limit =
    offer.update !== null && offer.update !== 'feature_off' && offer.update !== 'ended' && !(offer.update === 'schedule' && offer.scheduled !== null)
      ? offer.update
      : null;
  return (
    <div class="row" data-subscription={sub.id}>
      {sub.items.map((item) => (
        <div>
          <p>
            <strong>{item.productName}</strong>
            {item.quantity > 1 ? <span class="muted"> · {t.quantityOf(String(item.quantity))}</span> : null}
          </p>
          <p>
            {item.unitAmount === null
              ? null
              : t.pricePerInterval(formatMoney(item.unitAmount * item.quantity, item.currency, locale), item.interval as Interval, item.intervalCount)}
          </p>
        </div>
      ))}
      <p>
        <Badge tone={SUBSCRIPTION_TONES[sub.status]}>{t[`subscriptionStatus_${sub.status}`]}</Badge>
      </p>
      {sub.trialEnd !== null ? <p class="muted">{t.trialEnds(formatDate(sub.trialEnd, locale))}</p> : null}
      {offer.pausedUntil !== null ? (
        <p class="muted">{t.pausedUntil(formatDate(offer.pausedUntil, locale))}</p>
      ) : offer.paused ? (
        <p class="muted">{t.pausedIndefinitely}</p>
      ) : ends !== null ? (
        <p class="muted">{t.subscriptionCancels(formatDate(ends, locale))}</p>
      ) : sub.currentPeriodEnd !== null && sub.status !== 'paused' ? (
        <p class="muted">{t.subscriptionRenews(formatDate(sub.currentPeriodEnd, locale))}</p>
      ) : null}
      {offer.scheduled ? <p class="muted">{t.changesTo(offer.scheduled.productName, formatDate(offer.scheduled.at, locale))}</p> : null}
      {sub.status === 'past_due' ? <p class="muted">{t.pastDueNote}</p> : null}
      {limit !== null ? <p class="muted">{t[`block_${limit}`]}</p> : null}
      <div class="actions">
        {offer.update === null ? (
          <a class="button secondary" href={`/p/subscriptions/${sub.id}/update`}>
            {t.updatePlan}
          </a>
        ) : null}
        {offer.cancel === null ? (
          <a class="button secondary" href={`/p/subscriptions/${sub.id}/cancel`}>
            {t.cancelPlan}
          </a>
        ) : null}
        {offer.pause === null ? (
          <a class="button secondary" href={`/p/subscriptions/${sub.id}/pause`}>
            {t.pauseTitle}
          </a>
        ) : null}
        {offer.resumable ? (
          <form method="post" action={`/p/subscriptions/${sub.id}/resume`} class="inline">
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="version" value={offer.version} />
            <button class="button" type="submit">{t.resumeNow}</button>
          </form>
        ) : null}
        {offer.renewable ? (
          <form method="post" action={`/p/subscriptions/${sub.id}/renew`} class="inline">
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="version" value={offer.version} />
            <button class="button" type="submit">{t.renewSubscription}</button>
          </form>
        ) : null}
        {offer.scheduled ? (
          <form method="post" action={`/p/subscriptions/${sub.id}/undo`} class="inline">
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="version" value={offer.version} />
            <button class="button secondary" type="submit">{t.undoChange}</button>
          </form>
        ) : null}
      </div>
    </div>
  );
}

export interface HomePageInput {
  data: HomeData;
  /** The business as the session's pages show it (account branding included); else from `businessName`. */
  business?: BusinessInfo;
  businessName: string | null;
  sessionLocale: string | null;
  acceptLanguage: string | null;
  /** The CSRF token for the subscriptions' forms (renew, undo). */
  csrfToken: string;
  /** What the last action did, or why it did nothing (already in the customer's language). */
  notice: { kind: 'success' | 'error'; text: string } | null;
}

export async function renderHomePage(input: HomePageInput): Promise<string> {
  const { data } = input;
  const locale = negotiateLocale({
    sessionLocale: input.sessionLocale,
    preferredLocales: data.customer.preferred_locales,
    acceptLanguage: input.acceptLanguage,
  });
  const t = portalMessages(locale);
  const subs = data.subscriptions;
  return renderPortalPage(
    <PortalLayout
      locale={locale}
      t={t}
      title={t.portalTitle}
      business={input.business ?? displayBusiness(input.businessName, data.configuration.business_profile, data.returnUrl ?? data.configuration.default_return_url)}
      returnUrl={data.returnUrl}
    >
      <PageHeading>{t.portalTitle}</PageHeading>
      {subs.length > 0 ? (
        <Section id="subscriptions" title={subs.length === 1 ? t.currentSubscription : t.currentSubscriptions}>
          {input.notice ? <Notice kind={input.notice.kind}>{input.notice.text}</Notice> : null}
          <div class="list">
            {subs.map((s) => (
              <Subscription sub={s} t={t} locale={locale} csrfToken={input.csrfToken} />
            ))}
          </div>
        </Section>
      ) : null}
      {data.paymentMethods !== null ? (
        <Section id="payment-methods" title={t.paymentMethods}>
          {data.paymentMethods.length === 0 ? (
            <p class="empty">{t.noPaymentMethods}</p>
          ) : (
            <div class="list">
              {data.paymentMethods.map((card) => (
                <CardLine card={card} t={t} />
              ))}
            </div>
          )}
          <p class="actions">
            <a class="button secondary" href="/p/payment-methods">
              {t.managePaymentMethods}
            </a>
          </p>
        </Section>
      ) : null}
      {data.invoices !== null ? (
        <Section id="invoices" title={t.invoiceHistory}>
          <InvoiceTable rows={data.invoices} t={t} locale={locale} />
          <p class="actions">
            <a class="button secondary" href="/p/invoices">
              {t.viewAllInvoices}
            </a>
          </p>
        </Section>
      ) : null}
      {data.configuration.features.customer_update.enabled ? (
        <Section id="billing-information" title={t.billingInformation}>
          <p>{data.customer.name ?? t.notProvided}</p>
          <p class="muted">{data.customer.email ?? t.notProvided}</p>
          <p class="actions">
            <a class="button secondary" href="/p/billing">
              {t.editBillingInfo}
            </a>
          </p>
        </Section>
      ) : null}
    </PortalLayout>,
  );
}

export interface ExpiredPageInput {
  acceptLanguage: string | null;
  sessionLocale: string | null;
  businessName: string | null;
  profile: HomeData['configuration']['business_profile'] | null;
  returnUrl: string | null;
  loginUrl: string | null;
}

export async function renderExpiredPage(input: ExpiredPageInput): Promise<string> {
  const locale = negotiateLocale({ sessionLocale: input.sessionLocale, acceptLanguage: input.acceptLanguage });
  const t = portalMessages(locale);
  return renderPortalPage(
    <PortalLayout locale={locale} t={t} title={t.expiredTitle} business={displayBusiness(input.businessName, input.profile, input.returnUrl)} returnUrl={input.returnUrl}>
      <PageHeading>{t.expiredHeading}</PageHeading>
      <Section id="expired" title={t.expiredTitle}>
        <p>{t.expiredBody}</p>
        {input.loginUrl ? (
          <p class="actions">
            <a class="button" href={input.loginUrl}>
              {t.logInAgain}
            </a>
          </p>
        ) : null}
      </Section>
    </PortalLayout>,
  );
}

export interface ErrorPageInput {
  p: PortalRequest;
  /** 404: the object is not the session's (or does not exist); 403: a refused form post. */
  status: 403 | 404;
}

/** The portal's error page inside an active session: what went wrong, and the way back home. */
export async function renderErrorPage(input: ErrorPageInput): Promise<string> {
  const { p } = input;
  const t = p.t;
  const heading = input.status === 404 ? t.notFoundHeading : t.errorTitle;
  const body = input.status === 404 ? t.notFoundBody : t.genericError;
  return renderPortalPage(
    <PortalLayout locale={p.locale} t={t} title={heading} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{heading}</PageHeading>
      <Section id="error" title={heading}>
        <p>{body}</p>
        <p class="actions">
          <a class="button" href="/p/home">
            {t.portalTitle}
          </a>
        </p>
      </Section>
    </PortalLayout>,
  );
}
