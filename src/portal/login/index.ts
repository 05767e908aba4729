/**
 * The login page's domain (issue #5): a customer who knows a configuration's `login_page.url` asks for
 * a link by email, and the link becomes a portal session. No HTTP here; `routes.ts` is the web side.
 *
 * Invariants:
 * - `requestLink` answers nothing about the address: it writes one row to the login mail outbox, the
 *   same statement for every address, and returns; the lookup, the link and the email happen in the
 *   background sender (outbox.ts), off the request's path, so neither the request nor the requester's
 *   next one can tell whether customers have that email (issue 12). Only customers of the
 *   configuration's mode, not deleted, match (case-insensitively).
 * - A link makes at most one session (see links.ts), for one of the customers it was sent for, with
 *   the configuration of the login page it came from; the session's return URL is the configuration's
 *   `default_return_url`, else the login page itself.
 * - Opening a link (GET) uses nothing: the person confirms (one account) or chooses (several) with a
 *   POST, which uses the link. Mail scanners and previews that fetch links would otherwise spend it
 *   before the customer clicks.
 * - Disabling the login page (or deactivating the configuration) ends its links for good: every step
 *   looks the page up by its token first, and a link opens only on the page (token and key) that
 *   issued it, so enabling the page again or reactivating the configuration revives nothing.
 */
import type { Customer } from '../../billing/customers.ts';
import type { Clock } from '../../lib/clock.ts';
import { ApiError } from '../../lib/errors.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Db, Executor } from '../../storage/database.ts';
import { findConfiguration, findConfigurationByLoginToken, type PortalConfiguration } from '../configurations/index.ts';
import { createPortalSession } from '../sessions/index.ts';
import { consumeLink, findUsableLink, linkCustomers, recordSession } from './links.ts';
import { enqueueLoginRequest, type QueuedRequest } from './outbox.ts';

export { LINK_LIFETIME, isLoginEmail, normalizeEmail } from './links.ts';

/** An enabled login page: its URL token, its (active) configuration, and the key its links carry. */
export interface LoginPage {
  token: string;
  /** Changes whenever the page is re-enabled or its configuration reactivated: older links die. */
  key: string;
  livemode: boolean;
  configuration: PortalConfiguration;
}

export type OpenResult =
  | { kind: 'session'; url: string }
  /** The link is good for these customers (one: a confirmation; several: a choice). */
  | { kind: 'choose'; customers: Customer[] }
  | { kind: 'invalid' };

export interface LoginServiceDeps {
  db: Db;
  clock: Clock;
  /** Drains this process's login mail sender, if it runs one (null: PORTICO_ROLE=api). */
  settleOutbox: (() => Promise<void>) | null;
}

export interface LoginService {
  /** The login page a URL token opens, or null (unknown, disabled, or its configuration inactive). */
  findPage(token: string): Promise<LoginPage | null>;
  /**
   * Queues the mail for a request with a valid, rate-checked address (one outbox row, the same for
   * every address); the sender finds the customers, stores a link and mails it when there are any.
   */
  requestLink(page: LoginPage, email: string, request: QueuedRequest): Promise<void>;
  /**
   * A link opened (GET): the accounts it may open, to confirm or choose from, or invalid. Changes
   * nothing: mail scanners and link previews that fetch it leave it usable.
   */
  open(page: LoginPage, secret: string): Promise<OpenResult>;
  /** The confirmation or choice (POST): a session for `customer` if the link is still good and was sent for it. */
  choose(page: LoginPage, secret: string, customer: string): Promise<OpenResult>;
  /** Resolves when this process's sender has handled every queued mail (tests, shutdown). */
  settled(): Promise<void>;
}

const NO_REQUEST = { id: null, idempotencyKey: null } as const;

/** Thrown inside the exchange transaction to roll it back (the link stays unused). */
class NotExchanged extends Error {}

export function loginLinkUrl(pageToken: string, secret: string): string {
  return `${publicBaseUrl()}/p/login/${pageToken}/verify/${secret}`;
}

export function createLoginService(deps: LoginServiceDeps): LoginService {
  const ctxFor = (db: Executor, livemode: boolean): Ctx => ({ db, livemode, clock: deps.clock, request: NO_REQUEST });

  /** Uses the link for `customer` in one transaction: consume, check, create the session. */
  async function exchange(page: LoginPage, secret: string, customer: string): Promise<OpenResult> {
    const config = page.configuration;
    try {
      const url = await deps.db.transaction().execute(async (tx) => {
        const link = await consumeLink(tx, secret, page, deps.clock.now());
        if (!link) throw new NotExchanged();
        const ctx = ctxFor(tx, link.livemode);
        const allowed = await linkCustomers(ctx, link);
        if (!allowed.some((c) => c.id === customer)) throw new NotExchanged();
        const session = await createPortalSession(ctx, {
          customer,
          configuration: config.id,
          // No default_return_url: back to the login page, on the current public URL.
          ...(config.default_return_url === null ? { return_url: `${publicBaseUrl()}/p/login/${page.token}` } : {}),
        });
        await recordSession(tx, link.secretHash, session.id);
        return session.url;
      });
      return { kind: 'session', url };
    } catch (err) {
      // A domain refusal (e.g. the configuration was deactivated a moment ago) is an unusable link too.
      if (err instanceof NotExchanged || err instanceof ApiError) return { kind: 'invalid' };
      throw err;
    }
  }

  return {
    async findPage(token) {
      const found = await findConfigurationByLoginToken(deps.db, token);
      if (!found) return null;
      const configuration = await findConfiguration(ctxFor(deps.db, found.livemode), found.configuration);
      if (!configuration || !configuration.active || !configuration.login_page.enabled) return null;
      return { token, key: found.key, livemode: found.livemode, configuration };
    },

    async requestLink(page, email, request) {
      const row = { livemode: page.livemode, configuration: page.configuration.id, pageToken: page.token, pageKey: page.key, email, request };
      await enqueueLoginRequest(deps.db, row, deps.clock.now());
    },

    async open(page, secret) {
      const link = await findUsableLink(deps.db, secret, page, deps.clock.now());
      if (!link) return { kind: 'invalid' };
      const customers = await linkCustomers(ctxFor(deps.db, link.livemode), link);
      if (customers.length === 0) return { kind: 'invalid' };
      return { kind: 'choose', customers };
    },

    choose: (page, secret, customer) => exchange(page, secret, customer),

    async settled() {
      await deps.settleOutbox?.();
    },
  };
}
