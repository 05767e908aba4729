/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The billing information page: name, email, phone, billing address, shipping and tax IDs. Fields the
 * configuration's `allowed_updates` lists are a form (country select; state and postal code shown as
 * the country has them once chosen: without script every field is there, and the server drops what
 * the country has not); the others are shown read-only. Errors stay beside their fields with the
 * values the customer typed.
 */
import type { BillingFieldError } from '../../../portal/billing-details.ts';
import { COUNTRY_CODES } from '../../../portal/countries.ts';
import type { CustomerUpdateField } from '../../../portal/configurations/types.ts';
import type { TaxId } from '../../../billing/tax-ids.ts';
import { TAX_ID_TYPES } from '../../../billing/tax-id-formats.ts';
import type { Address } from '../../../billing/shared-params.ts';
import type { Customer } from '../../../billing/customers.ts';
import { CsrfField, Notice, PageHeading, Section } from '../../foundation/components.tsx';
import type { PortalMessages } from '../../foundation/i18n/index.ts';
import { PortalLayout, renderPortalPage } from '../../foundation/layout.tsx';
import { activeFlow } from '../flow-completion.tsx';
import type { PortalRequest } from '../session-context.ts';

/** Inside a flow the page is the flow's one action: no way back to the portal home. */
const inFlow = (p: PortalRequest) => activeFlow(p) !== null;

export const BILLING_NOTICES = ['billing_saved', 'tax_id_added', 'tax_id_removed', 'field_not_allowed'] as const;
export type BillingNotice = (typeof BILLING_NOTICES)[number];

export interface BillingPageInput {
  values: Record<string, string>;
  errors: Record<string, BillingFieldError>;
  taxIds: TaxId[];
  taxForm: { type: string; value: string; error: BillingFieldError | null };
  notice: BillingNotice | null;
}

/** The form's values from the customer as stored. */
export function valuesOf(c: Customer): Record<string, string> {
  const out: Record<string, string> = { name: c.name ?? '', email: c.email ?? '', phone: c.phone ?? '' };
  const put = (prefix: string, a: Address | null | undefined) => {
    for (const k of ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const) out[`${prefix}_${k}`] = a?.[k] ?? '';
  };
  put('address', c.address);
  put('shipping', c.shipping?.address);
  out.shipping_name = c.shipping?.name ?? '';
  out.shipping_phone = c.shipping?.phone ?? '';
  return out;
}

function countryNames(locale: string) {
  const names = new Intl.DisplayNames([locale, 'en'], { type: 'region' });
  const collator = new Intl.Collator(locale);
  return COUNTRY_CODES.map((code) => ({ code, name: names.of(code) ?? code })).sort((a, b) => collator.compare(a.name, b.name));
}

interface FieldProps {
  name: string;
  label: string;
  input: BillingPageInput;
  t: PortalMessages;
  editable: boolean;
  autocomplete: string;
  type?: 'text' | 'email' | 'tel';
  country?: boolean;
  locale?: string;
}

function Field(props: FieldProps) {
  const { name, input, t } = props;
  const value = input.values[name] ?? '';
  const error = input.errors[name];
  const id = `billing-${name}`;
  if (!props.editable) {
    const shown = props.country && value ? (new Intl.DisplayNames([props.locale ?? 'en', 'en'], { type: 'region' }).of(value) ?? value) : value;
    return (
      <div class="field" data-readonly={name}>
        <span class="label">{props.label}</span>
        <span class={shown ? '' : 'muted'}>{shown || t.notProvided}</span>
      </div>
    );
  }
  const described = error ? { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` } : {};
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.country ? (
        <select id={id} name={name} autocomplete={props.autocomplete} {...described}>
          <option value="">{t.chooseCountry}</option>
          {countryNames(props.locale ?? 'en').map((c) => (
            <option value={c.code} selected={c.code === value}>
              {c.name}
            </option>
          ))}
        </select>
      ) : (
        <input id={id} name={name} type={props.type ?? 'text'} value={value} autocomplete={props.autocomplete} maxlength={512} {...described} />
      )}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {t[`billingError_${error}`]}
        </p>
      ) : null}
    </div>
  );
}

function AddressFields(props: { prefix: 'address' | 'shipping'; input: BillingPageInput; t: PortalMessages; editable: boolean; locale: string }) {
  const { prefix, t } = props;
  const section = prefix === 'address' ? 'billing' : 'shipping';
  const common = { input: props.input, t, editable: props.editable, locale: props.locale };
  return (
    <>
      <Field name={`${prefix}_country`} label={t.country} autocomplete={`${section} country`} country {...common} />
      <Field name={`${prefix}_line1`} label={t.addressLine1} autocomplete={`${section} address-line1`} {...common} />
      <Field name={`${prefix}_line2`} label={t.addressLine2} autocomplete={`${section} address-line2`} {...common} />
      <Field name={`${prefix}_city`} label={t.city} autocomplete={`${section} address-level2`} {...common} />
      <Field name={`${prefix}_state`} label={t.state} autocomplete={`${section} address-level1`} {...common} />
      <Field name={`${prefix}_postal_code`} label={t.postalCode} autocomplete={`${section} postal-code`} {...common} />
    </>
  );
}

/** `eu_vat` → `EU VAT`: the type codes as the business's documents print them. */
export function taxIdTypeLabel(type: string): string {
  return type.replace(/_/g, ' ').toUpperCase();
}

export async function renderBillingPage(p: PortalRequest, input: BillingPageInput): Promise<string> {
  const t = p.t;
  const allowed = new Set<CustomerUpdateField>(p.configuration.features.customer_update.allowed_updates);
  const any = ['name', 'email', 'phone', 'address', 'shipping'].some((f) => allowed.has(f as CustomerUpdateField));
  const errorNotice = input.notice === 'field_not_allowed';
  return renderPortalPage(
    <PortalLayout locale={p.locale} t={t} title={t.billingInformation} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{t.billingInformation}</PageHeading>
      {input.notice ? <Notice kind={errorNotice ? 'error' : 'success'}>{t[`notice_${input.notice}`]}</Notice> : null}
      <form method="post" action="/p/billing" novalidate>
        <CsrfField token={p.csrfToken} />
        <Section id="billing-information" title={t.billingInformation}>
          <Field name="name" label={t.billingName} autocomplete="name" input={input} t={t} editable={allowed.has('name')} />
          <Field name="email" label={t.emailLabel} autocomplete="email" type="email" input={input} t={t} editable={allowed.has('email')} />
          <Field name="phone" label={t.billingPhone} autocomplete="tel" type="tel" input={input} t={t} editable={allowed.has('phone')} />
        </Section>
        <Section id="billing-address" title={t.billingAddress}>
          <AddressFields prefix="address" input={input} t={t} editable={allowed.has('address')} locale={p.locale} />
        </Section>
        <Section id="shipping" title={t.shippingTitle}>
          <Field name="shipping_name" label={t.shippingName} autocomplete="shipping name" input={input} t={t} editable={allowed.has('shipping')} />
          <Field name="shipping_phone" label={t.shippingPhone} autocomplete="shipping tel" type="tel" input={input} t={t} editable={allowed.has('shipping')} />
          <AddressFields prefix="shipping" input={input} t={t} editable={allowed.has('shipping')} locale={p.locale} />
        </Section>
        {any ? (
          <p class="actions">
            <button class="button" type="submit">
              {t.save}
            </button>
            {inFlow(p) ? null : (
              <a class="button secondary" href="/p/home">
                {t.back}
              </a>
            )}
          </p>
        ) : null}
      </form>
      <Section id="tax-ids" title={t.taxIds}>
        {input.taxIds.length === 0 ? (
          <p class="empty">{t.noTaxIds}</p>
        ) : (
          <div class="list">
            {input.taxIds.map((x) => (
              <div class="row" data-tax-id={x.id}>
                <p>
                  <span class="muted">{taxIdTypeLabel(x.type)}</span> <span dir="ltr">{x.value}</span>
                </p>
                {allowed.has('tax_id') ? (
                  <form class="inline" method="post" action={`/p/billing/tax-ids/${x.id}/remove`}>
                    <CsrfField token={p.csrfToken} />
                    <button class="button danger" type="submit" aria-label={`${t.remove}: ${x.value}`}>
                      {t.remove}
                    </button>
                  </form>
                ) : null}
              </div>
            ))}
          </div>
        )}
        {allowed.has('tax_id') ? (
          <form method="post" action="/p/billing/tax-ids" novalidate>
            <CsrfField token={p.csrfToken} />
            <div class="field">
              <label for="tax-id-type">{t.taxIdType}</label>
              <select id="tax-id-type" name="type">
                {TAX_ID_TYPES.map((type) => (
                  <option value={type} selected={type === (input.taxForm.type || 'eu_vat')}>
                    {taxIdTypeLabel(type)}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="tax-id-value">{t.taxIdValue}</label>
              <input
                id="tax-id-value"
                name="value"
                type="text"
                dir="ltr"
                maxlength={100}
                value={input.taxForm.value}
                {...(input.taxForm.error ? { 'aria-invalid': 'true', 'aria-describedby': 'tax-id-value-error' } : {})}
              />
              {input.taxForm.error ? (
                <p class="field-error" id="tax-id-value-error">
                  {t[`billingError_${input.taxForm.error}`]}
                </p>
              ) : null}
            </div>
            <p class="actions">
              <button class="button secondary" type="submit">
                {t.addTaxId}
              </button>
            </p>
          </form>
        ) : null}
      </Section>
    </PortalLayout>,
  );
}
