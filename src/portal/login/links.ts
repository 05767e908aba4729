/**
 * Emailed sign-in links at rest (table `portal_login_links`), and the customers a login email finds.
 *
 * Invariants:
 * - A link's secret is 256 random bits; only its SHA-256 is stored, so the table opens nothing.
 * - A link expires `LINK_LIFETIME` seconds after it was sent, by the injected clock.
 * - A link is used at most once: `consumeLink` is a single `UPDATE … WHERE used_at IS NULL AND
 *   expires_at > now RETURNING`, so two simultaneous clicks cannot both get a session.
 * - A link opens only the customers it was sent for, and only those still not deleted and still having
 *   the address it was sent to.
 * - A link opens only on the login page that issued it: its configuration and the page's key
 *   (`login_page_key`), which a re-enabled page or a reactivated configuration no longer has.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Customer } from '../../billing/customers.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Executor } from '../../storage/database.ts';
import { objectsByIds } from '../../storage/objects.ts';
import { hashSecret, newSecret, SECRET_PATTERN } from '../sessions/store.ts';

/** Ten minutes, from when the link was sent. */
export const LINK_LIFETIME = 10 * 60;
/** At most this many customers share one login email (newest first); a chooser lists them. */
export const MAX_CUSTOMERS_PER_EMAIL = 20;
/** The longest address accepted (customers' `email` allows 512 characters). */
export const MAX_EMAIL_LENGTH = 512;

/** The address as compared: trimmed and lower-cased. */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Same rule as customers' `email` (something@something, no spaces), plus a length cap. */
export function isLoginEmail(email: string): boolean {
  return email.length > 0 && email.length <= MAX_EMAIL_LENGTH && /^[^\s@]+@[^\s@]+$/.test(email) && !/[\u0000-\u001f\u007f]/.test(email);
}

export function emailHash(normalized: string): string {
  return createHash('sha256').update(normalized, 'utf8').digest('hex');
}

/** `j•••@example.com`: enough to tell log lines apart, not enough to read the address. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}

/** The customers of ctx's mode (not deleted) whose email is `normalized`, case-insensitively; newest first. */
export async function customersByEmail(ctx: Ctx, normalized: string): Promise<Customer[]> {
  const rows = await ctx.db
    .selectFrom('objects')
    .select(['data'])
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', 'customer')
    .where('deleted', '=', false)
    .where(sql<string>`lower(data->>'email')`, '=', normalized)
    .orderBy('seq', 'desc')
    .limit(MAX_CUSTOMERS_PER_EMAIL)
    .execute();
  return rows.map((r) => r.data as Customer);
}

export interface NewLink {
  livemode: boolean;
  configuration: string;
  /** The issuing login page's key (see configurations: `LoginPage.key`). */
  pageKey: string;
  customers: string[];
  emailHash: string;
  now: number;
}

/** Stores a new link and returns its secret (the only time it exists outside the email). */
export async function insertLoginLink(db: Executor, link: NewLink): Promise<string> {
  const secret = newSecret();
  await db
    .insertInto('portal_login_links')
    .values({
      secret_hash: hashSecret(secret),
      livemode: link.livemode,
      configuration: link.configuration,
      login_page_key: link.pageKey,
      customers: JSON.stringify(link.customers),
      email_hash: link.emailHash,
      created: link.now,
      expires_at: link.now + LINK_LIFETIME,
      used_at: null,
      session: null,
    })
    .execute();
  // Links that expired a day ago can open nothing; the index makes this cheap.
  await db.deleteFrom('portal_login_links').where('expires_at', '<', link.now - 86_400).execute();
  return secret;
}

export interface StoredLink {
  secretHash: string;
  livemode: boolean;
  configuration: string;
  customers: string[];
  emailHash: string;
}

type LinkRow = { secret_hash: string; livemode: boolean; configuration: string; customers: unknown; email_hash: string };

function toLink(row: LinkRow): StoredLink {
  const customers = Array.isArray(row.customers) ? row.customers.filter((c): c is string => typeof c === 'string') : [];
  return { secretHash: row.secret_hash, livemode: row.livemode, configuration: row.configuration, customers, emailHash: row.email_hash };
}

/** The page a link must have come from: its configuration and its current key. */
export interface IssuingPage {
  key: string;
  configuration: { id: string };
}

/** The link for `secret` if it is unused and unexpired at `now` and was issued by `page` as it is now. */
export async function findUsableLink(db: Executor, secret: string, page: IssuingPage, now: number): Promise<StoredLink | null> {
  if (!SECRET_PATTERN.test(secret)) return null;
  const row = await db
    .selectFrom('portal_login_links')
    .select(['secret_hash', 'livemode', 'configuration', 'customers', 'email_hash'])
    .where('secret_hash', '=', hashSecret(secret))
    .where('configuration', '=', page.configuration.id)
    .where('login_page_key', '=', page.key)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ? toLink(row) : null;
}

/** Marks the link used, atomically; null when it was already used, has expired, is unknown or is not `page`'s. */
export async function consumeLink(db: Executor, secret: string, page: IssuingPage, now: number): Promise<StoredLink | null> {
  if (!SECRET_PATTERN.test(secret)) return null;
  const row = await db
    .updateTable('portal_login_links')
    .set({ used_at: now })
    .where('secret_hash', '=', hashSecret(secret))
    .where('configuration', '=', page.configuration.id)
    .where('login_page_key', '=', page.key)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['secret_hash', 'livemode', 'configuration', 'customers', 'email_hash'])
    .executeTakeFirst();
  return row ? toLink(row) : null;
}

/** Records which portal session a used link became. */
export async function recordSession(db: Executor, secretHash: string, session: string): Promise<void> {
  await db.updateTable('portal_login_links').set({ session }).where('secret_hash', '=', secretHash).execute();
}

/** The link's customers that may still sign in: not deleted, and still at the address it was sent to. */
export async function linkCustomers(ctx: Ctx, link: StoredLink): Promise<Customer[]> {
  if (link.customers.length === 0) return [];
  const rows = await objectsByIds(ctx.db, link.livemode, link.customers);
  return rows
    .filter((r) => r.object === 'customer' && !r.deleted)
    .sort((a, b) => b.seq - a.seq)
    .map((r) => r.data as Customer)
    .filter((c) => c.email !== null && emailHash(normalizeEmail(c.email)) === link.emailHash);
}
