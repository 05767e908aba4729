/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The login page's screens, in the portal layout (hono/jsx escapes every value; no script, no inline
 * style): the email form, "check your email", too many attempts, the link's account (confirm or
 * choose), the invalid-link page, the error page and the neutral 404.
 */
import type { Child } from 'hono/jsx';
import { CsrfField, Notice, PageHeading, type NoticeKind } from '../foundation/components.tsx';
import type { PortalLocale, PortalMessages } from '../foundation/i18n/index.ts';
import { PortalLayout, renderPortalPage, type BusinessInfo } from '../foundation/layout.tsx';

export interface PageBase {
  locale: PortalLocale;
  t: PortalMessages;
  business: BusinessInfo;
}

function Page(props: PageBase & { title: string; children?: Child }) {
  return (
    <PortalLayout locale={props.locale} t={props.t} title={props.title} business={props.business}>
      {props.children}
    </PortalLayout>
  );
}

export interface FormProps extends PageBase {
  /** Who the customer signs in to, for the intro (null: no intro). */
  businessName: string | null;
  action: string;
  csrf: string;
  email?: string;
  error?: string | null;
}

export function LoginFormPage(props: FormProps) {
  const { t } = props;
  return (
    <Page {...props} title={t.loginTitle}>
      <PageHeading>{t.loginHeading}</PageHeading>
      {props.businessName ? <p class="muted">{t.loginIntro(props.businessName)}</p> : null}
      <form method="post" action={props.action} novalidate>
        <CsrfField token={props.csrf} />
        <div class="field">
          <label for="email">{t.emailLabel}</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            inputmode="email"
            required
            maxlength={512}
            value={props.email ?? ''}
            {...(props.error ? { 'aria-invalid': 'true', 'aria-describedby': 'email-error' } : {})}
          />
          {props.error ? (
            <p id="email-error" class="field-error" role="alert">
              {props.error}
            </p>
          ) : null}
        </div>
        <div class="actions">
          <button type="submit" class="button">
            {t.sendLink}
          </button>
        </div>
      </form>
    </Page>
  );
}

export interface MessageProps extends PageBase {
  title: string;
  heading: string;
  body: string;
  /** Shown as a notice of this kind (else a plain paragraph). */
  kind?: NoticeKind;
  action?: { href: string; label: string };
}

export function MessagePage(props: MessageProps) {
  return (
    <Page {...props} title={props.title}>
      <PageHeading>{props.heading}</PageHeading>
      {props.kind ? <Notice kind={props.kind}>{props.body}</Notice> : <p>{props.body}</p>}
      {props.action ? (
        <div class="actions">
          <a class="button secondary" href={props.action.href}>
            {props.action.label}
          </a>
        </div>
      ) : null}
    </Page>
  );
}

export interface Choice {
  id: string;
  name: string | null;
  email: string | null;
  since: string;
}

/**
 * What an emailed link opens: its one account with a button that opens the portal, or, when several
 * customers share the address, the list to choose from. Either way a POST (the link is used then).
 */
export function ChooserPage(props: PageBase & { action: string; csrf: string; choices: Choice[] }) {
  const { t } = props;
  const single = props.choices.length === 1;
  const heading = single ? t.portalTitle : t.chooseAccount;
  const button = single ? t.loginEmailButton : t.confirm;
  return (
    <Page {...props} title={heading}>
      <PageHeading>{heading}</PageHeading>
      {single ? null : <p class="muted">{t.chooseAccountIntro}</p>}
      <ul class="list">
        {props.choices.map((c) => (
          <li class="row">
            <div>
              <strong>{c.name ?? c.email ?? c.id}</strong>
              {c.name && c.email ? <div class="muted">{c.email}</div> : null}
              <div class="muted">{c.since}</div>
            </div>
            <form method="post" action={props.action} class="inline">
              <CsrfField token={props.csrf} />
              <input type="hidden" name="customer" value={c.id} />
              <button type="submit" class="button" aria-label={`${button}: ${c.name ?? c.email ?? c.id}`}>
                {button}
              </button>
            </form>
          </li>
        ))}
      </ul>
    </Page>
  );
}

export const renderLoginPage = renderPortalPage;
