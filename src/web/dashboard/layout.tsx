/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The dashboard's page shell (hono/jsx escapes every value): a side navigation, the mode bar shown on
 * every page ("Viewing test data", the switch, who is signed in, sign out), and the page. No inline
 * script or style: one stylesheet, `/dashboard/-/style.css`. Also small shared pieces: form fields
 * with their error, the CSRF field, notices and badges (the foundation's).
 */
import type { Child } from 'hono/jsx';
import { CsrfField, Notice } from '../foundation/components.tsx';
import { m } from './messages.ts';
import { DASHBOARD_CSS_VERSION } from './style.ts';

export interface PageContext {
  email: string;
  livemode: boolean;
  csrf: string;
  /** The current path (the mode switch comes back here; the nav marks it). */
  path: string;
}

const STYLE_HREF = `/dashboard/-/style.css?v=${DASHBOARD_CSS_VERSION}`;

function Head(props: { title: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex, nofollow" />
      <title>{`${props.title} · ${m.product} ${m.dashboard}`}</title>
      <link rel="stylesheet" href={STYLE_HREF} />
    </head>
  );
}

const NAV: [string, string][] = [
  ['/dashboard', m.nav.overview],
  ['/dashboard/portal', m.nav.portal],
  ['/dashboard/branding', m.branding.nav],
  ['/dashboard/customers', m.nav.customers],
  ['/dashboard/developers/keys', m.nav.apiKeys],
  ['/dashboard/developers/webhooks', m.nav.webhooks],
  ['/dashboard/developers/events', m.nav.events],
  ['/dashboard/test-clocks', m.nav.testClocks],
  ['/dashboard/audit', m.nav.audit],
  ['/dashboard/account', m.nav.account],
];

function current(path: string, href: string): boolean {
  return href === '/dashboard' ? path === '/dashboard' : path === href || path.startsWith(`${href}/`);
}

export function DashboardLayout(props: { page: PageContext; title: string; notice?: { kind: 'info' | 'success' | 'error'; text: string } | null; children?: Child }) {
  const { page } = props;
  return (
    <html lang="en">
      <Head title={props.title} />
      <body>
        <a class="skip" href="#main">{m.skipToContent}</a>
        <div class="frame">
          <nav class="side" aria-label={m.dashboard}>
            <p class="brand">{m.product}</p>
            <ul>
              {NAV.map(([href, label]) => (
                <li>
                  <a href={href} aria-current={current(page.path, href) ? 'page' : undefined}>{label}</a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="main">
            <div class={page.livemode ? 'modebar live' : 'modebar test'}>
              <p class="mode-label" data-mode={page.livemode ? 'live' : 'test'}>{page.livemode ? m.viewingLive : m.viewingTest}</p>
              <form class="inline" method="post" action="/dashboard/mode">
                <CsrfField token={page.csrf} />
                <input type="hidden" name="livemode" value={page.livemode ? 'false' : 'true'} />
                <input type="hidden" name="back" value={page.path} />
                <button class="button secondary" type="submit">{page.livemode ? m.switchToTest : m.switchToLive}</button>
              </form>
              <span class="who">{m.signedInAs(page.email)}</span>
              <form class="inline" method="post" action="/dashboard/sign-out">
                <CsrfField token={page.csrf} />
                <button class="link-button" type="submit">{m.signOut}</button>
              </form>
            </div>
            <main id="main">
              <h1>{props.title}</h1>
              {props.notice ? <Notice kind={props.notice.kind}>{props.notice.text}</Notice> : null}
              {props.children}
            </main>
          </div>
        </div>
      </body>
    </html>
  );
}

/** A page outside a session (sign-in): the same stylesheet, no navigation, no data. */
export function BareLayout(props: { title: string; children?: Child }) {
  return (
    <html lang="en">
      <Head title={props.title} />
      <body>
        <main id="main" class="signin">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export async function render(node: { toString(): string | Promise<string> }): Promise<string> {
  return `<!doctype html>${await node.toString()}`;
}

/** A labelled input with its error (`aria-invalid`, `aria-describedby`). */
export function Field(props: {
  name: string;
  label: string;
  value?: string | number | null;
  type?: string;
  error?: string | null;
  required?: boolean;
  autocomplete?: string;
  hint?: string;
  min?: number;
  max?: number;
}) {
  const id = `f-${props.name.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const described = [props.error ? `${id}-error` : null, props.hint ? `${id}-hint` : null].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint ? <span class="muted" id={`${id}-hint`}>{props.hint}</span> : null}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value === null || props.value === undefined ? '' : String(props.value)}
        required={props.required}
        autocomplete={props.autocomplete}
        min={props.min}
        max={props.max}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described || undefined}
      />
      {props.error ? <p class="field-error" id={`${id}-error`}>{props.error}</p> : null}
    </div>
  );
}

/** A checkbox; unchecked boxes post nothing, so each form's reader knows its boxes (see portal-form.ts). */
export function Check(props: { name: string; label: string; checked: boolean; value?: string }) {
  const id = `c-${props.name.replace(/[^A-Za-z0-9]+/g, '-')}${props.value ? `-${props.value.replace(/[^A-Za-z0-9]+/g, '-')}` : ''}`;
  return (
    <div class="check">
      <input type="checkbox" id={id} name={props.name} value={props.value ?? 'true'} checked={props.checked} />
      <label for={id}>{props.label}</label>
    </div>
  );
}

export function ErrorText(props: { error?: string | null }) {
  return props.error ? <p class="field-error" role="alert">{props.error}</p> : null;
}

export function fmtTime(t: number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  return new Date(t * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
