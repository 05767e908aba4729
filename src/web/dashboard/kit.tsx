/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * What every dashboard page needs, in one place: the signed-in administrator and session (set by the
 * session guard in routes.ts), a domain context in the session's mode, the checked form post, a change
 * run through the domain with its audit entry, and rendering on the layout.
 */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { Clock } from '../../lib/clock.ts';
import type { Decoded } from '../../lib/params.ts';
import { newId } from '../../lib/ids.ts';
import type { AccountKeys } from '../../storage/accounts.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Db } from '../../storage/database.ts';
import { adminChange, type AuditRecord } from '../../admin/audit.ts';
import type { AdminSession } from '../../admin/sessions.ts';
import type { LoginRateLimiter } from '../../portal/login/rate-limit.ts';
import { readDashboardPost, sessionCsrf } from './http.ts';
import { DashboardLayout, render, type PageContext } from './layout.tsx';
import { m } from './messages.ts';

export interface DashboardDeps {
  db: Db;
  clock: Clock;
  /** The account's keys, the very object the API authenticates against (updated in place on a roll). */
  keys: AccountKeys;
  /** Which secret keys the environment pins (they cannot be rolled from here). */
  pinnedKeys: { test: boolean; live: boolean };
  /** Reloads `keys` from the database after this process rolled one (other processes hear a NOTIFY). */
  reloadKeys: () => Promise<void>;
  limiter: LoginRateLimiter;
  trustProxyHops: number;
  businessName: string | null;
}

export type DashEnv = { Variables: { session: AdminSession } };
export type DashContext = Context<DashEnv>;

export type Notice = { kind: 'info' | 'success' | 'error'; text: string } | null;

export interface DashKit {
  deps: DashboardDeps;
  page(c: DashContext): PageContext;
  ctx(c: DashContext): Ctx;
  /** The form's fields once Origin and CSRF check out; else the 403 answer to return. */
  post(c: DashContext): Promise<Decoded | Response>;
  change<T>(c: DashContext, run: (ctx: Ctx) => Promise<{ result: T; audit: AuditRecord }>): Promise<T>;
  html(c: DashContext, title: string, body: Child, opts?: { notice?: Notice; status?: number }): Promise<Response>;
  notFound(c: DashContext): Promise<Response>;
}

export function dashKit(deps: DashboardDeps): DashKit {
  const kit: DashKit = {
    deps,
    page: (c) => {
      const s = c.get('session');
      return { email: s.administrator.email, livemode: s.livemode, csrf: sessionCsrf.token(s), path: c.req.path };
    },
    ctx: (c) => ({ db: deps.db, livemode: c.get('session').livemode, clock: deps.clock, request: { id: null, idempotencyKey: null } }),
    post: async (c) => {
      const session = c.get('session');
      const body = await readDashboardPost(c, (token) => sessionCsrf.verify(session, token));
      if (body) return body;
      return kit.html(c, m.dashboard, null, { notice: { kind: 'error', text: m.refused }, status: 403 });
    },
    change: (c, run) => {
      const s = c.get('session');
      return adminChange(deps.db, deps.clock, s.administrator, s.livemode, run);
    },
    html: async (c, title, body, opts = {}) =>
      c.html(
        await render(
          <DashboardLayout page={kit.page(c)} title={title} notice={opts.notice ?? null}>
            {body}
          </DashboardLayout>,
        ),
        (opts.status ?? 200) as 200,
      ),
    notFound: (c) => kit.html(c, m.notFound, <p><a href="/dashboard">{m.nav.overview}</a></p>, { status: 404 }),
  };
  return kit;
}

/** A request id for changes made from the dashboard (events carry it like an API call's). */
export const dashboardRequestId = () => `req_${newId('request').slice(4, 18)}`;
