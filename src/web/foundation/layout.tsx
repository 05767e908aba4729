/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The portal page shell (hono/jsx, which escapes every text and attribute value). Wide screens: the
 * business column at the inline start (brand background, name, headline, "Return to …", footer links),
 * the page's content at the inline end: left and right in English, mirrored in Arabic and Hebrew, whose
 * pages carry `dir="rtl"` (the stylesheet uses logical properties only, and the back arrow turns).
 * Phones: one column. No inline script or style: the only stylesheet is
 * `/p/-/layout.css`, whose query names the validated theme (see http/routes.ts).
 */
import type { Child } from 'hono/jsx';
import { localeDirection, portalMessages, type PortalLocale, type PortalMessages } from './i18n/index.ts';
import { buildTheme, themeQuery, type Theme } from './theme.ts';
import { safeHttpUrl, safeImageUrl } from './urls.ts';
import { PORTAL_CSS_VERSION } from './portal-css.ts';

/** The business as the portal shows it: the account's name and the configuration's `business_profile`. */
export interface BusinessInfo {
  name: string;
  headline?: string | null;
  privacyPolicyUrl?: string | null;
  termsOfServiceUrl?: string | null;
  /** https only; shown instead of the name's initial. */
  logoUrl?: string | null;
  /** A logo served by Portico itself (`/p/-/files/file_…`, the account's branding); preferred to `logoUrl`. */
  logoPath?: string | null;
  /** The account's branding theme; a page's own `theme` prop wins. */
  theme?: Theme;
  /** The account's support contacts, shown in the footer. */
  supportEmail?: string | null;
  supportPhone?: string | null;
  supportUrl?: string | null;
}

const OWN_FILE = /^\/p\/-\/files\/file_[A-Za-z0-9]{1,64}$/;

/** Stripe's `portal_business_profile` (stripe-api.md §2), as stored on a configuration. */
export interface PortalBusinessProfile {
  headline?: string | null;
  privacy_policy_url?: string | null;
  terms_of_service_url?: string | null;
}

/**
 * The layout's business from the account's display name and a configuration's `business_profile`.
 * @example businessInfo(account.name, configuration.business_profile)
 */
export function businessInfo(name: string, profile: PortalBusinessProfile | null | undefined, logoUrl: string | null = null): BusinessInfo {
  return {
    name,
    headline: profile?.headline ?? null,
    privacyPolicyUrl: profile?.privacy_policy_url ?? null,
    termsOfServiceUrl: profile?.terms_of_service_url ?? null,
    logoUrl,
  };
}

/**
 * The business as a portal page shows it: the configured name (PORTICO_BUSINESS_NAME), else the host
 * of the business's own site (the return URL: "Return to example.com"), else the headline standing in
 * for the name (then not shown twice).
 */
export function displayBusiness(businessName: string | null, profile: PortalBusinessProfile | null | undefined, siteUrl: string | null): BusinessInfo {
  if (businessName) return businessInfo(businessName, profile);
  const site = safeHttpUrl(siteUrl);
  if (site) return businessInfo(new URL(site).hostname.replace(/^www\./, ''), profile);
  return businessInfo(profile?.headline ?? '', profile ? { ...profile, headline: null } : null);
}

export interface LayoutProps {
  locale: PortalLocale;
  /** Defaults to `portalMessages(locale)`. */
  t?: PortalMessages;
  /** The page's own title; the document title is `title · business name`. */
  title: string;
  business: BusinessInfo;
  /** Defaults to the default theme. */
  theme?: Theme;
  /** The session's `return_url` (from the API, never the query string); only http(s) is rendered. */
  returnUrl?: string | null;
  children?: Child;
}

/** The stylesheet URL for a theme. */
export function stylesheetHref(theme: Theme): string {
  return `/p/-/layout.css?v=${PORTAL_CSS_VERSION}&${themeQuery(theme)}`;
}

export function PortalLayout(props: LayoutProps) {
  const t = props.t ?? portalMessages(props.locale);
  const { business } = props;
  const theme = props.theme ?? business.theme ?? buildTheme();
  const returnUrl = safeHttpUrl(props.returnUrl);
  const logo = business.logoPath && OWN_FILE.test(business.logoPath) ? business.logoPath : safeImageUrl(business.logoUrl);
  const supportUrl = safeHttpUrl(business.supportUrl);
  const supportEmail = business.supportEmail && /^[^\s@<>"]+@[^\s@<>"]+$/.test(business.supportEmail) ? business.supportEmail : null;
  const supportPhone = business.supportPhone && /^\+?[0-9 ().-]{4,30}$/.test(business.supportPhone) ? business.supportPhone : null;
  const privacy = safeHttpUrl(business.privacyPolicyUrl);
  const terms = safeHttpUrl(business.termsOfServiceUrl);
  const initial = [...business.name.trim()][0]?.toUpperCase() ?? '';
  const dir = localeDirection(props.locale);
  return (
    <html lang={props.locale} dir={dir === 'rtl' ? 'rtl' : undefined}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <meta name="color-scheme" content="light" />
        <title>{business.name ? `${props.title} · ${business.name}` : props.title}</title>
        <link rel="stylesheet" href={stylesheetHref(theme)} />
      </head>
      <body>
        <div class="shell">
          <header class="business">
            {returnUrl ? (
              <a class="return" href={returnUrl}>
                <span aria-hidden="true">{dir === 'rtl' ? '→' : '←'}</span> {t.returnTo(business.name)}
              </a>
            ) : null}
            <div class="identity">
              {logo ? (
                <img class="logo" src={logo} alt={business.name} />
              ) : (
                <span class="mark" aria-hidden="true">{initial}</span>
              )}
              <p class="business-name">{business.name}</p>
            </div>
            {business.headline ? <p class="headline">{business.headline}</p> : null}
          </header>
          <main class="content" id="main">
            {props.children}
          </main>
          <footer class="legal">
            <span class="powered">{t.poweredBy}</span>
            {supportEmail || supportPhone || supportUrl ? (
              <ul class="support">
                {supportEmail ? (
                  <li>
                    <a href={`mailto:${supportEmail}`}>{supportEmail}</a>
                  </li>
                ) : null}
                {supportPhone ? (
                  <li>
                    <a href={`tel:${supportPhone.replace(/[^0-9+]/g, '')}`} dir="ltr">{supportPhone}</a>
                  </li>
                ) : null}
                {supportUrl ? (
                  <li>
                    <a href={supportUrl} rel="noreferrer">{new URL(supportUrl).hostname}</a>
                  </li>
                ) : null}
              </ul>
            ) : null}
            {terms || privacy ? (
              <ul>
                {terms ? (
                  <li>
                    <a href={terms} rel="noreferrer">{t.termsOfService}</a>
                  </li>
                ) : null}
                {privacy ? (
                  <li>
                    <a href={privacy} rel="noreferrer">{t.privacyPolicy}</a>
                  </li>
                ) : null}
              </ul>
            ) : null}
          </footer>
        </div>
      </body>
    </html>
  );
}

/**
 * A page as HTML text with its doctype.
 * @example c.html(await renderPortalPage(<PortalLayout {...props}>…</PortalLayout>))
 */
export async function renderPortalPage(node: { toString(): string | Promise<string> }): Promise<string> {
  return `<!doctype html>${await node.toString()}`;
}
