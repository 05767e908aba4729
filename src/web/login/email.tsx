/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The login email's content: the subject, a plain-text part, and an HTML part rendered with hono/jsx
 * (every value escaped; inline styles are fine in mail, which no CSP governs, and nothing is loaded
 * from the network).
 */
import type { Customer } from '../../billing/customers.ts';
import { localeDirection, portalMessages, type PortalMessages } from '../foundation/i18n/index.ts';
import { negotiateLocale } from '../foundation/i18n/negotiate.ts';
import type { LoginEmail } from '../../portal/login/mailer.ts';
import type { LoginRequestRow } from '../../portal/login/outbox.ts';

export interface LoginEmailInput {
  to: string;
  link: string;
  business: string;
  headline: string | null;
  lang: string;
  t: PortalMessages;
}

function EmailHtml(props: LoginEmailInput) {
  const { t } = props;
  const body = t.loginEmailBody(props.business, '\u0000').split('\u0000');
  const [before = '', after = ''] = body;
  return (
    <html lang={props.lang} dir={localeDirection(props.lang) === 'rtl' ? 'rtl' : undefined}>
      <head>
        <meta charset="utf-8" />
        <title>{t.loginEmailSubject(props.business)}</title>
      </head>
      <body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1f36;line-height:1.5">
        {props.headline ? <p style="color:#4f566b">{props.headline}</p> : null}
        {before
          .trim()
          .split('\n\n')
          .map((para) => (
            <p>{para}</p>
          ))}
        <p>
          <a href={props.link} style="display:inline-block;background:#635bff;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none">
            {t.loginEmailButton}
          </a>
        </p>
        <p style="font-size:13px;color:#4f566b;word-break:break-all">{props.link}</p>
        {after
          .trim()
          .split('\n\n')
          .map((para) => (
            <p style="font-size:13px;color:#4f566b">{para}</p>
          ))}
      </body>
    </html>
  );
}

export async function composeLoginEmail(input: LoginEmailInput): Promise<LoginEmail> {
  const html = `<!doctype html>${await (<EmailHtml {...input} />).toString()}`;
  const text = (input.headline ? `${input.headline}\n\n` : '') + input.t.loginEmailBody(input.business, input.link) + '\n';
  return { to: input.to, subject: input.t.loginEmailSubject(input.business), text, html, link: input.link };
}

/**
 * The mail for a queued login request (the outbox sender's `compose`): in the first customer's
 * preferred language, else the requester's, to the address as the customer wrote it. Composed alike
 * when no customer matched (the sender then sends nothing).
 */
export function composeQueuedLoginEmail(row: LoginRequestRow, link: string, customers: Customer[]): Promise<LoginEmail> {
  const locale = negotiateLocale({ preferredLocales: customers[0]?.preferred_locales ?? null, acceptLanguage: row.request.acceptLanguage });
  const t = portalMessages(locale);
  const { business, headline } = row.request;
  return composeLoginEmail({ to: customers[0]?.email ?? row.email, link, business, headline, lang: locale, t });
}
