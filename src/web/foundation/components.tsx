/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Small building blocks for portal pages, so pages share markup and the stylesheet's classes:
 * `Section` (a titled card), `Notice` (a status message), `Badge` (a status pill), `CsrfField` (the
 * hidden input every POST form carries) and `PageHeading`.
 */
import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from './http/security.ts';

export function PageHeading(props: { children?: Child }) {
  return <h1 class="page-title">{props.children}</h1>;
}

/** A titled card; `id` makes it linkable and labels the region for assistive technology. */
export function Section(props: { id: string; title: string; children?: Child }) {
  return (
    <section class="card" aria-labelledby={`${props.id}-title`} id={props.id}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export type NoticeKind = 'info' | 'success' | 'error';

/** A message after an action: `role="alert"` for errors so it is announced, `status` otherwise. */
export function Notice(props: { kind: NoticeKind; children?: Child }) {
  return (
    <p class={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  );
}

export type BadgeTone = 'neutral' | 'success' | 'info' | 'warning' | 'danger';

export function Badge(props: { tone: BadgeTone; children?: Child }) {
  return <span class={`badge badge-${props.tone}`}>{props.children}</span>;
}

/** The hidden CSRF input; `isValidPortalPost` reads the same field from the parsed body. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}
