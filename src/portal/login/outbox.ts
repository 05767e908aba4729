/**
 * The login mail outbox (table `portal_login_outbox`, issue 12 item 4).
 *
 * The login page's POST only writes a row (`enqueueLoginRequest`): the same statement for every valid,
 * rate-checked address, known or not, so the request does the same work either way. The lookup of the
 * customers, the link and the mail happen in a background sender (`createLoginOutboxSender`), run by
 * the processes that run workers (`PORTICO_ROLE` all or worker), which:
 * - is woken by a NOTIFY on `LOGIN_OUTBOX_CHANNEL` (sent with the row) and drains the table in batches a
 *   short, jittered moment later (`BATCH_DELAY_MS`), so its work never runs in step with the request
 *   that queued it (a requester timing their next request cannot see whether a mail went out); the
 *   upkeep worker's pass drains it too, for a lost notification or a dead sender's rows;
 * - claims one row at a time (`FOR UPDATE SKIP LOCKED`: several senders never take the same row) with
 *   a lease of `CLAIM_LEASE` seconds by the injected clock: a row claimed by a sender that died is
 *   claimed again once the lease has passed;
 * - for every row alike finds the customers, stores a link (for none: one that opens nothing) and
 *   composes the mail; hands it over only when there are customers; then deletes the row. Each claim
 *   makes a new link, so a mail is sent at most once per link: a sender dying between the handover and
 *   the delete makes a second mail with a second link, never the same link twice;
 * - drops a row whose link could no longer be used in time (older than `LINK_LIFETIME`), one the SMTP
 *   server refused for good (5xx), and one that failed `MAX_ATTEMPTS` times; failures are logged with
 *   the address masked.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Customer } from '../../billing/customers.ts';
import type { Clock } from '../../lib/clock.ts';
import { notify } from '../../storage/channels.ts';
import type { Db } from '../../storage/database.ts';
import { customersByEmail, emailHash, insertLoginLink, LINK_LIFETIME, maskEmail } from './links.ts';
import type { LoginEmail, LoginMailer } from './mailer.ts';

export const LOGIN_OUTBOX_CHANNEL = 'portico_login_outbox';
/** Seconds after which a claimed row no sender finished is claimed again (longer than SMTP's timeouts). */
export const CLAIM_LEASE = 120;
/** Claims of one row at most (a dead sender's or a transient SMTP failure each count one). */
export const MAX_ATTEMPTS = 3;
/** After a wake-up the sender waits this long, plus up to as much again at random, then drains. */
export const BATCH_DELAY_MS = 100;

/** What the request knew that the mail needs (the customers' own languages come first). */
export interface QueuedRequest {
  acceptLanguage: string | null;
  /** The name the mail signs with. */
  business: string;
  /** The configuration's headline, when it differs from `business`. */
  headline: string | null;
}

export interface LoginRequestRow {
  livemode: boolean;
  configuration: string;
  pageToken: string;
  pageKey: string;
  email: string;
  request: QueuedRequest;
}

/** Queues a login mail: one statement, the same for every address, which also wakes the senders. */
export async function enqueueLoginRequest(db: Db, row: LoginRequestRow, now: number): Promise<void> {
  await sql`with queued as (
      insert into portal_login_outbox (id, livemode, configuration, page_token, page_key, email, request, created)
      values (${randomUUID()}, ${row.livemode}, ${row.configuration}, ${row.pageToken}, ${row.pageKey}, ${row.email},
              ${JSON.stringify(row.request)}::json, ${now})
      returning id)
    select ${notify(LOGIN_OUTBOX_CHANNEL)} from queued`.execute(db);
}

/** Builds the mail for a claimed row (the web layer's `composeQueuedLoginEmail`). */
export type ComposeLoginEmail = (row: LoginRequestRow, link: string, customers: Customer[]) => Promise<LoginEmail>;

export interface LoginOutboxDeps {
  db: Db;
  clock: Clock;
  mailer: LoginMailer;
  compose: ComposeLoginEmail;
  /** The link for a page token and a secret (`loginLinkUrl`). */
  linkUrl: (pageToken: string, secret: string) => string;
  /** Where failures go, the address masked (default stderr). */
  logError?: (line: string) => void;
}

export interface LoginOutboxSender {
  /** Asks for a drain a moment from now (a notification arrived). */
  wake(): void;
  /** Drains now: claims and handles every row that is due; resolves when none is left. */
  drain(): Promise<void>;
  /** Drains now and waits for every drain started (tests, shutdown). */
  settled(): Promise<void>;
  /** Waits for the drains started so far, starting none. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface ClaimedRow extends LoginRequestRow {
  id: string;
  created: number;
  attempts: number;
}

/** Claims the oldest due row for `claim`, or null when none is due. */
async function claimNext(db: Db, claim: string, now: number): Promise<ClaimedRow | null> {
  const { rows } = await sql<{
    id: string;
    livemode: boolean;
    configuration: string;
    page_token: string;
    page_key: string;
    email: string;
    request: unknown;
    created: number | string;
    attempts: number;
  }>`update portal_login_outbox set claim = ${claim}, claimed_at = ${now}, attempts = attempts + 1
      where id = (select id from portal_login_outbox
                  where claimed_at is null or claimed_at <= ${now - CLAIM_LEASE}
                  order by claimed_at nulls first, created limit 1 for update skip locked)
      returning id, livemode, configuration, page_token, page_key, email, request, created, attempts`.execute(db);
  const r = rows[0];
  if (!r) return null;
  const request = (typeof r.request === 'string' ? JSON.parse(r.request) : r.request) as QueuedRequest;
  return {
    id: r.id,
    livemode: r.livemode,
    configuration: r.configuration,
    pageToken: r.page_token,
    pageKey: r.page_key,
    email: r.email,
    request,
    created: Number(r.created),
    attempts: Number(r.attempts),
  };
}

/** A refusal SMTP will repeat (5xx): retrying cannot help. */
function isPermanent(err: unknown): boolean {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500;
}

export function createLoginOutboxSender(deps: LoginOutboxDeps): LoginOutboxSender {
  const logError = deps.logError ?? ((line: string) => console.error(line));
  const claim = randomUUID();
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const done = (id: string) => deps.db.deleteFrom('portal_login_outbox').where('id', '=', id).where('claim', '=', claim).execute();

  async function handle(row: ClaimedRow): Promise<void> {
    const now = deps.clock.now();
    if (row.created + LINK_LIFETIME <= now) {
      logError(`[portico] login email for ${maskEmail(row.email)} dropped: not sent within ${LINK_LIFETIME} seconds`);
      await done(row.id);
      return;
    }
    try {
      // The same statements and rendering for every row; only the handover needs customers.
      const customers = await customersByEmail({ db: deps.db, livemode: row.livemode, clock: deps.clock, request: { id: null, idempotencyKey: null } }, row.email);
      const secret = await insertLoginLink(deps.db, {
        livemode: row.livemode,
        configuration: row.configuration,
        pageKey: row.pageKey,
        customers: customers.map((c) => c.id),
        emailHash: emailHash(row.email),
        now,
      });
      const message = await deps.compose(row, deps.linkUrl(row.pageToken, secret), customers);
      if (customers.length > 0) await deps.mailer.send(message);
      await done(row.id);
    } catch (err) {
      // The address may appear in an SMTP error (e.g. a refused recipient): mask it there too.
      const masked = maskEmail(row.email);
      const detail = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split(row.email).join(masked);
      logError(`[portico] login email for ${masked} failed: ${detail}`);
      // Left claimed, a transient failure is retried once the lease has passed (with a new link).
      if (isPermanent(err) || row.attempts >= MAX_ATTEMPTS) await done(row.id);
    }
  }

  async function drainOnce(): Promise<void> {
    for (;;) {
      const row = await claimNext(deps.db, claim, deps.clock.now());
      if (!row) return;
      await handle(row);
    }
  }

  function drain(): Promise<void> {
    running = running.then(drainOnce).catch((err: unknown) => logError(`[portico] login outbox: ${err instanceof Error ? err.message : String(err)}`));
    return running;
  }

  return {
    wake() {
      if (stopped || timer) return;
      timer = setTimeout(() => {
        timer = null;
        void drain();
      }, BATCH_DELAY_MS + Math.random() * BATCH_DELAY_MS);
      timer.unref();
    },
    drain,
    async settled() {
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      await drain();
    },
    async idle() {
      await running;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
