/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * `/dashboard`: the stylesheet and sign-in (the only things that answer without a session), then the
 * session guard (every other route, GET or POST, answers the sign-in page with 401 and no data when
 * there is no live session), then sign-out, the test/live switch, the account page and the sections.
 *
 * Sign-in: Origin check, a CSRF token bound to the form, rate limits per IP and per account (the login
 * page's limiter, with its own counters), one answer for an unknown email and a wrong password (the
 * password check runs either way). A successful sign-in starts a new session (a new cookie secret:
 * nothing set before it survives, so no session fixation).
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import { authenticateAdministrator, AdminError, changePassword } from '../../admin/administrators.ts';
import { recordAudit } from '../../admin/audit.ts';
import { dummyHash } from '../../admin/passwords.ts';
import { endAdminSession, setSessionMode, startAdminSession, touchAdminSession } from '../../admin/sessions.ts';
import { CsrfField, Notice } from '../foundation/components.tsx';
import { clientIp } from '../login/routes.ts';
import { dashboardCookie, field, readDashboardPost, sessionCsrf, setDashboardHeaders, SIGN_IN_BINDING, signInCsrf } from './http.ts';
import { dashKit, type DashboardDeps, type DashEnv } from './kit.tsx';
import { BareLayout, Field, render } from './layout.tsx';
import { m } from './messages.ts';
import { DASHBOARD_CSS } from './style.ts';
import { registerPortalSettings } from './portal-settings.tsx';
import { registerCustomers } from './customers.tsx';
import { registerDevelopers } from './developers.tsx';
import { registerTestClocks } from './test-clocks.tsx';
import { registerOverview } from './overview.tsx';
import { registerAudit } from './audit.tsx';
import { registerBranding } from './branding.tsx';

export type { DashboardDeps } from './kit.tsx';

const FORM_LIMIT = 64 * 1024;

/** Mounts the dashboard on `app` (one line in createApp). */
export function mountDashboard(app: Hono<any>, deps: DashboardDeps): void {
  const dash = new Hono<DashEnv>();
  const cookie = dashboardCookie();
  const signInTokens = signInCsrf(deps.db);
  const kit = dashKit(deps);
  // Computed now, so the first sign-in with an unknown email takes no longer than a wrong password.
  void dummyHash();

  dash.use('*', async (c, next) => {
    await next();
    setDashboardHeaders(c);
  });
  dash.use('*', compress());
  // Forms are small; the branding upload has its own limit, checked after the session guard.
  // The rest of an oversized body is never read, so its connection cannot carry another request.
  const formLimit = bodyLimit({ maxSize: FORM_LIMIT, onError: (c) => c.text('Payload too large', 413, { Connection: 'close' }) });
  dash.post('*', (c, next) => (c.req.path === '/dashboard/branding' ? next() : formLimit(c, next)));

  dash.get('/-/style.css', (c) => {
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(DASHBOARD_CSS);
  });

  const signInPage = async (c: Context, opts: { status?: number; error?: string | null; info?: string | null; email?: string } = {}) =>
    c.html(
      await render(
        <BareLayout title={m.signIn.title}>
          {opts.error ? <Notice kind="error">{opts.error}</Notice> : null}
          {opts.info ? <Notice kind="info">{opts.info}</Notice> : null}
          <form method="post" action="/dashboard/sign-in">
            <CsrfField token={(await signInTokens()).token(SIGN_IN_BINDING)} />
            <Field name="email" label={m.signIn.email} type="email" autocomplete="username" required value={opts.email ?? ''} />
            <Field name="password" label={m.signIn.password} type="password" autocomplete="current-password" required />
            <div class="actions">
              <button class="button" type="submit">{m.signIn.submit}</button>
            </div>
          </form>
          <p class="muted">{m.signIn.firstAdmin}</p>
        </BareLayout>,
      ),
      (opts.status ?? 200) as 200,
    );

  dash.get('/sign-in', (c) => signInPage(c));
  dash.post('/sign-in', async (c) => {
    const csrf = await signInTokens();
    const body = await readDashboardPost(c, (token) => csrf.verify(SIGN_IN_BINDING, token));
    if (!body) return signInPage(c, { status: 403, error: m.refused });
    const email = field(body, 'email').slice(0, 254);
    const password = field(body, 'password').slice(0, 1024);
    const byIp = await deps.limiter.ip(clientIp(c, deps.trustProxyHops));
    const byAccount = byIp.ok ? await deps.limiter.address(email.trim().toLowerCase()) : byIp;
    if (!byAccount.ok) {
      c.header('Retry-After', String(byAccount.retryAfterSeconds));
      return signInPage(c, { status: 429, error: m.signIn.limited(Math.ceil(byAccount.retryAfterSeconds / 60)), email });
    }
    const admin = await authenticateAdministrator(deps.db, email, password);
    if (!admin) return signInPage(c, { status: 401, error: m.signIn.failed, email });
    // The per-account count is of attempts since the last success: an administrator who signs in
    // often is never locked out by their own sign-ins; five wrong guesses in a row still are.
    await deps.limiter.resetAddress(email.trim().toLowerCase());
    const { secret } = await startAdminSession(deps.db, deps.clock, admin);
    cookie.set(c, secret);
    return c.redirect('/dashboard', 303);
  });

  // The guard: everything below needs a live session.
  dash.use('*', async (c, next) => {
    const session = await touchAdminSession(deps.db, deps.clock, cookie.read(c));
    if (!session) {
      if (cookie.read(c)) cookie.clear(c);
      return signInPage(c, { status: 401, info: m.signIn.expired });
    }
    c.set('session', session);
    await next();
  });

  dash.post('/sign-out', async (c) => {
    const session = c.get('session');
    const body = await readDashboardPost(c, (token) => sessionCsrf.verify(session, token));
    if (!body) return kit.html(c, m.dashboard, null, { notice: { kind: 'error', text: m.refused }, status: 403 });
    await endAdminSession(deps.db, session.id);
    cookie.clear(c);
    return signInPage(c, { info: m.signIn.signedOut });
  });

  dash.post('/mode', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    await setSessionMode(deps.db, c.get('session').id, field(body, 'livemode') === 'true');
    const back = field(body, 'back');
    // Back to the same section (never an object page: the object belongs to the other mode).
    const section = /^\/dashboard(\/[a-z-]+(\/(keys|webhooks|events))?)?$/.exec(back.replace(/\/(we|evt|cus|bpc|clock)_[^/]*.*$/, ''));
    return c.redirect(section ? section[0] : '/dashboard', 303);
  });

  dash.get('/account', (c) => accountPage(c));
  const accountPage = (c: Parameters<typeof kit.html>[0], opts: { errors?: Record<string, string>; done?: boolean; status?: number } = {}) =>
    kit.html(
      c,
      m.account.title,
      <form method="post" action="/dashboard/account/password" class="card">
        <h2>{m.account.changePassword}</h2>
        <CsrfField token={kit.page(c).csrf} />
        <Field name="current_password" label={m.account.current} type="password" autocomplete="current-password" required error={opts.errors?.current_password ?? null} />
        <Field name="password" label={m.account.next} type="password" autocomplete="new-password" required error={opts.errors?.password ?? null} />
        <div class="actions">
          <button class="button" type="submit">{m.account.submit}</button>
        </div>
      </form>,
      { notice: opts.done ? { kind: 'success', text: m.account.changed } : null, status: opts.status ?? 200 },
    );
  dash.post('/account/password', async (c) => {
    const body = await kit.post(c);
    if (body instanceof Response) return body;
    const session = c.get('session');
    try {
      await deps.db.transaction().execute(async (tx) => {
        await changePassword(tx, deps.clock.now(), session.administrator.id, field(body, 'current_password'), field(body, 'password'), session.id);
        await recordAudit(tx, deps.clock.now(), session.administrator, session.livemode, { action: 'administrator.password_changed', objectId: session.administrator.id });
      });
    } catch (err) {
      if (err instanceof AdminError) return accountPage(c, { errors: { [err.field]: err.message }, status: 400 });
      throw err;
    }
    return accountPage(c, { done: true });
  });

  registerOverview(dash, kit);
  registerPortalSettings(dash, kit);
  registerBranding(dash, kit);
  registerCustomers(dash, kit);
  registerDevelopers(dash, kit);
  registerTestClocks(dash, kit);
  registerAudit(dash, kit);

  dash.all('*', (c) => kit.notFound(c));
  app.route('/dashboard', dash);
}
