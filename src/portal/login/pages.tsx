/**
 * The login page's screens (hono/jsx escapes every value): the email form, "check your email", too
 * many attempts, the account chooser, the invalid-link page and the neutral 404. No inline script or
 * style. STOPGAP layout until the portal's shared layout (branch portal-ui) lands.
 */
import type { Child } from 'hono/jsx';
import type { LoginMessages } from './messages.ts';

export interface PageBase {
  t: LoginMessages;
  lang: string;
  /** The configuration's `business_profile.headline`. */
  headline: string | null;
}

function Layout(props: PageBase & { title: string; children?: Child }) {
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/p/-/login.css" />
      </head>
      <body>
        <main>
          {props.headline ? <p class="headline">{props.headline}</p> : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

export interface FormProps extends PageBase {
  business: string;
  action: string;
  csrf: string;
  email?: string;
  error?: string | null;
}

export function LoginFormPage(props: FormProps) {
  const { t } = props;
  return (
    <Layout {...props} title={t.loginTitle}>
      <h1>{t.loginHeading}</h1>
      <p>{t.loginIntro(props.business)}</p>
      <form method="post" action={props.action} novalidate>
        <input type="hidden" name="csrf" value={props.csrf} />
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
          <p id="email-error" class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <button type="submit">{t.sendLink}</button>
      </form>
    </Layout>
  );
}

export function MessagePage(props: PageBase & { title: string; heading: string; body: string; back?: { href: string; label: string } }) {
  return (
    <Layout {...props} title={props.title}>
      <h1>{props.heading}</h1>
      <p>{props.body}</p>
      {props.back ? (
        <p>
          <a href={props.back.href}>{props.back.label}</a>
        </p>
      ) : null}
    </Layout>
  );
}

export interface Choice {
  id: string;
  name: string | null;
  email: string | null;
  since: string;
}

export function ChooserPage(props: PageBase & { action: string; csrf: string; choices: Choice[] }) {
  const { t } = props;
  return (
    <Layout {...props} title={t.chooseAccount}>
      <h1>{t.chooseAccount}</h1>
      <p>{t.chooseAccountIntro}</p>
      <ul class="choices">
        {props.choices.map((c) => (
          <li>
            <form method="post" action={props.action}>
              <input type="hidden" name="csrf" value={props.csrf} />
              <input type="hidden" name="customer" value={c.id} />
              <button type="submit" class="choice">
                <strong>{c.name ?? c.email ?? c.id}</strong>
                {c.name && c.email ? <span>{c.email}</span> : null}
                <span>{c.since}</span>
              </button>
            </form>
          </li>
        ))}
      </ul>
    </Layout>
  );
}

export async function html(node: { toString(): string | Promise<string> }): Promise<string> {
  return `<!doctype html>${await node.toString()}`;
}

export const LOGIN_CSS = `*{box-sizing:border-box}
body{margin:0;background:#f6f8fa;color:#1a1f36;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:.25rem 0 1rem}
.headline{color:#4f566b;margin:0 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=email]{width:100%;font:inherit;padding:.5rem .6rem;border:1px solid #c1c9d2;border-radius:6px}
.error{color:#b3093c;margin:.35rem 0 0}
button{font:inherit;background:#635bff;color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;margin-top:1rem;cursor:pointer}
ul.choices{list-style:none;padding:0}
button.choice{display:flex;flex-direction:column;align-items:flex-start;width:100%;background:#fff;color:#1a1f36;border:1px solid #c1c9d2;text-align:left}
button.choice span{color:#4f566b;font-size:.9rem}
`;
