/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The payment methods page (the customer's cards: default, expiring soon, expired; make default,
 * remove) and the add-a-card page: in test mode a card form whose number is matched onto Stripe's test
 * cards, in live mode a plain statement that no card can be added (a self-hosted page never takes real
 * card numbers). The number and CVC are never written back into the form after an error.
 */
import type { CardField, CardFieldError, CardView } from '../../../portal/payment-methods.ts';
import { COUNTRY_CODES } from '../../../portal/countries.ts';
import { Badge, CsrfField, Notice, PageHeading, Section } from '../../foundation/components.tsx';
import type { PortalMessages } from '../../foundation/i18n/index.ts';
import { PortalLayout, renderPortalPage } from '../../foundation/layout.tsx';
import { activeFlow } from '../flow-completion.tsx';
import type { PortalRequest } from '../session-context.ts';

/** Inside a flow the page is the flow's one action: no way back to the portal home. */
const inFlow = (p: PortalRequest) => activeFlow(p) !== null;

export const CARD_NOTICES = [
  'card_added',
  'default_set',
  'card_removed',
  'default_in_use',
  'setup_auth_failed',
  'setup_declined',
] as const;
export type CardNotice = (typeof CARD_NOTICES)[number];
const ERROR_NOTICES: ReadonlySet<CardNotice> = new Set(['default_in_use', 'setup_auth_failed', 'setup_declined']);

const BRAND_NAMES: Record<string, string> = {
  amex: 'American Express',
  diners: 'Diners Club',
  discover: 'Discover',
  jcb: 'JCB',
  mastercard: 'Mastercard',
  unionpay: 'UnionPay',
  visa: 'Visa',
};

export function brandName(brand: string): string {
  return BRAND_NAMES[brand] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
}

/** Expiry as `MM/YYYY` (digits, the way cards print it). */
export function expiryText(month: number, year: number): string {
  return `${String(month).padStart(2, '0')}/${year}`;
}

/** One card's line: brand and last 4, expiry, badges; `actions` adds the forms. */
export function CardLine(props: { card: CardView; t: PortalMessages; actions?: boolean; csrfToken?: string; removable?: boolean }) {
  const { card, t } = props;
  return (
    <div class="row" data-payment-method={card.id}>
      <div>
        <p>
          <strong>{t.cardEnding(brandName(card.brand), card.last4)}</strong>{' '}
          {card.isDefault ? <Badge tone="info">{t.defaultBadge}</Badge> : null}{' '}
          {card.expiry === 'expired' ? <Badge tone="danger">{t.cardExpired}</Badge> : card.expiry === 'soon' ? <Badge tone="warning">{t.expiresSoon}</Badge> : null}
        </p>
        <p class="muted">{t.cardExpires(expiryText(card.expMonth, card.expYear))}</p>
      </div>
      {props.actions && props.csrfToken ? (
        <div class="actions">
          {card.isDefault ? null : (
            <form class="inline" method="post" action={`/p/payment-methods/${card.id}/default`}>
              <CsrfField token={props.csrfToken} />
              <button class="button secondary" type="submit" aria-label={`${t.makeDefault}: ${t.cardEnding(brandName(card.brand), card.last4)}`}>
                {t.makeDefault}
              </button>
            </form>
          )}
          <form class="inline" method="post" action={`/p/payment-methods/${card.id}/remove`}>
            <CsrfField token={props.csrfToken} />
            <button class="button danger" type="submit" aria-label={`${t.remove}: ${t.cardEnding(brandName(card.brand), card.last4)}`}>
              {t.remove}
            </button>
          </form>
        </div>
      ) : null}
    </div>
  );
}

export async function renderPaymentMethodsPage(p: PortalRequest, cards: CardView[], notice: CardNotice | null): Promise<string> {
  const t = p.t;
  return renderPortalPage(
    <PortalLayout locale={p.locale} t={t} title={t.paymentMethods} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{t.paymentMethods}</PageHeading>
      {notice ? <Notice kind={ERROR_NOTICES.has(notice) ? 'error' : 'success'}>{t[`notice_${notice}`]}</Notice> : null}
      <Section id="payment-methods" title={t.paymentMethods}>
        {cards.length === 0 ? (
          <p class="empty">{t.noPaymentMethods}</p>
        ) : (
          <div class="list">
            {cards.map((card) => (
              <CardLine card={card} t={t} actions csrfToken={p.csrfToken} />
            ))}
          </div>
        )}
        <p class="actions">
          <a class="button" href="/p/payment-methods/new">
            {t.addCard}
          </a>
          {inFlow(p) ? null : (
            <a class="button secondary" href="/p/home">
              {t.back}
            </a>
          )}
        </p>
      </Section>
    </PortalLayout>,
  );
}

/** What the form shows again after an error: never the number or the CVC. */
export interface CardFormValues {
  expiry: string;
  name: string;
  country: string;
  postalCode: string;
  makeDefault: boolean;
}

function countryOptions(locale: string): { code: string; name: string }[] {
  const names = new Intl.DisplayNames([locale, 'en'], { type: 'region' });
  const collator = new Intl.Collator(locale);
  return COUNTRY_CODES.map((code) => ({ code, name: names.of(code) ?? code })).sort((a, b) => collator.compare(a.name, b.name));
}

function Field(props: { id: string; label: string; error: CardFieldError | undefined; t: PortalMessages; children: unknown }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children as never}
      {props.error ? (
        <p class="field-error" id={`${props.id}-error`}>
          {props.t[`cardError_${props.error}`]}
        </p>
      ) : null}
    </div>
  );
}

export async function renderAddCardPage(
  p: PortalRequest,
  values: CardFormValues,
  errors: Partial<Record<CardField, CardFieldError>>,
): Promise<string> {
  const t = p.t;
  const invalid = (f: CardField) => (errors[f] ? { 'aria-invalid': 'true', 'aria-describedby': `card-${f}-error` } : {});
  return renderPortalPage(
    <PortalLayout locale={p.locale} t={t} title={t.addCard} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{t.addCard}</PageHeading>
      <Section id="add-card" title={t.addCard}>
        {p.session.livemode ? (
          <>
            <Notice kind="info">{t.liveModeNoCards}</Notice>
            <p class="actions">
              <a class="button secondary" href="/p/payment-methods">
                {t.back}
              </a>
            </p>
          </>
        ) : (
          <form method="post" action="/p/payment-methods" novalidate>
            <Notice kind="info">{t.testCardsNotice}</Notice>
            {errors.form ? <Notice kind="error">{t[`cardError_${errors.form}`]}</Notice> : null}
            <CsrfField token={p.csrfToken} />
            <Field id="card-number" label={t.cardNumber} error={errors.number} t={t}>
              <input id="card-number" name="number" type="text" inputmode="numeric" autocomplete="cc-number" dir="ltr" maxlength={23} required {...invalid('number')} />
            </Field>
            <Field id="card-expiry" label={t.cardExpiry} error={errors.expiry} t={t}>
              <input id="card-expiry" name="expiry" type="text" inputmode="numeric" autocomplete="cc-exp" dir="ltr" maxlength={9} value={values.expiry} required {...invalid('expiry')} />
            </Field>
            <Field id="card-cvc" label={t.cardCvc} error={errors.cvc} t={t}>
              <input id="card-cvc" name="cvc" type="text" inputmode="numeric" autocomplete="cc-csc" dir="ltr" maxlength={4} required {...invalid('cvc')} />
            </Field>
            <Field id="card-name" label={t.cardName} error={errors.name} t={t}>
              <input id="card-name" name="name" type="text" autocomplete="cc-name" maxlength={200} value={values.name} {...invalid('name')} />
            </Field>
            <Field id="card-country" label={t.country} error={errors.country} t={t}>
              <select id="card-country" name="country" autocomplete="country" {...invalid('country')}>
                <option value="">{t.chooseCountry}</option>
                {countryOptions(p.locale).map((c) => (
                  <option value={c.code} selected={c.code === values.country}>
                    {c.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field id="card-postal_code" label={t.postalCode} error={errors.postal_code} t={t}>
              <input id="card-postal_code" name="postal_code" type="text" autocomplete="postal-code" maxlength={20} value={values.postalCode} {...invalid('postal_code')} />
            </Field>
            <div class="field checkbox">
              <label>
                <input type="checkbox" name="make_default" value="true" checked={values.makeDefault} /> {t.makeDefaultCheckbox}
              </label>
            </div>
            <p class="actions">
              <button class="button" type="submit">
                {t.addCard}
              </button>
              <a class="button secondary" href="/p/payment-methods">
                {t.cancel}
              </a>
            </p>
          </form>
        )}
      </Section>
    </PortalLayout>,
  );
}
