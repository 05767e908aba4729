/**
 * Table types for Kysely. Objects that are documents on the wire (customers, prices, …) live in one
 * `objects` table: their API shape in `data`, fields Portico filters or joins on in columns, and
 * values the API never shows (test-card behaviour, fingerprints' secrets) in `private`.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export type Json = ColumnType<any, string, string>;

export interface AccountsTable {
  id: string;
  created: number;
  test_secret_key: string;
  live_secret_key: string;
  test_publishable_key: string;
  live_publishable_key: string;
}

export interface ObjectsTable {
  livemode: boolean;
  id: string;
  seq: Generated<number>;
  object: string;
  created: number;
  customer: string | null;
  deleted: Generated<boolean>;
  data: Json;
  private: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** When the billing clock must next look at this object (see migration 0003). */
  due_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** The test clock this object lives on, if any. */
  test_clock: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface BillingPeriodsTable {
  livemode: boolean;
  subscription: string;
  period_start: number;
  invoice: string;
  created: number;
}

/** Account-level billing settings per mode (see migration 0004 and billing/account-settings.ts). */
export interface BillingSettingsTable {
  livemode: boolean;
  settings: ColumnType<Record<string, unknown>, string, string>;
  updated: number;
}

export interface EventsTable {
  id: string;
  seq: Generated<number>;
  livemode: boolean;
  type: string;
  created: number;
  data: Json;
  /** When the row was written (unix seconds, the database's clock; see migration 0008). */
  stored_at: Generated<number>;
}

export interface IdempotencyKeysTable {
  livemode: boolean;
  key: string;
  request_hash: string;
  created: number;
  /** Set while the first request runs; cleared when its response is stored. */
  locked_at: number | null;
  status: number | null;
  response: string | null;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  livemode: boolean;
  event_id: string;
  endpoint_id: string;
  created: number;
  /** pending → delivered | failed (gave up after 3 days) | canceled (endpoint disabled or deleted). */
  status: ColumnType<'pending' | 'delivered' | 'failed' | 'canceled', string | undefined, string>;
  attempts: Generated<number>;
  next_attempt_at: number;
  delivered_at: number | null;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempted_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
}

export interface PortalSessionsTable {
  id: string;
  livemode: boolean;
  /** SHA-256 (hex) of the URL token; the token itself is never stored. */
  token_hash: string;
  /** SHA-256 (hex) of the cookie the token was exchanged for; null until the first visit. */
  cookie_hash: string | null;
  customer: string;
  configuration: string;
  created: number;
  used_at: number | null;
  last_active_at: number | null;
  /** When the session stops working as things stand (moves with activity, never past created + 2 h). */
  expires_at: number;
  /** When the session's flow was completed (migration 0012); null while it is still to be done. */
  flow_completed_at: Generated<number | null>;
  data: Json;
}

/** A requested login mail not yet handed over (see migration 0016 and portal/login/outbox.ts). */
export interface PortalLoginOutboxTable {
  id: string;
  livemode: boolean;
  configuration: string;
  /** The login page's URL token and key when the request was made (the link is built from them). */
  page_token: string;
  page_key: string;
  /** The normalized address; the row is deleted once the mail is handed over or dropped. */
  email: string;
  /** What the request knew for composing the mail (languages, business name, headline). */
  request: Json;
  created: number;
  attempts: Generated<number>;
  /** The sender that claimed the row, and when (by the injected clock); null: unclaimed. */
  claim: string | null;
  claimed_at: number | null;
}

export interface PortalLoginLinksTable {
  /** SHA-256 (hex) of the emailed link's secret; the secret itself is never stored. */
  secret_hash: string;
  livemode: boolean;
  configuration: string;
  /** The key of the login page that issued the link (null: issued before migration 0011 by a page since gone; opens nothing). */
  login_page_key: string | null;
  /** The customer ids the link may open (JSON array). */
  customers: Json;
  /** SHA-256 (hex) of the lower-cased email address the link was sent to. */
  email_hash: string;
  created: number;
  expires_at: number;
  used_at: number | null;
  /** The portal session the link was exchanged for. */
  session: string | null;
}

export interface PortalLoginRateLimitsTable {
  key: string;
  points: number;
  expire: number | null;
}

/** A test 3-D Secure challenge a portal session started (portal/authentications.ts). */
export interface PortalAuthenticationsTable {
  id: string;
  session_id: string;
  livemode: boolean;
  /** `setup`: adding a card; `invoice`: paying an invoice. */
  kind: string;
  payment_method: string;
  invoice: string | null;
  /** `pending`, then `succeeded`, `failed` or `declined`. */
  status: string;
  created: number;
  /** What to do once authenticated (e.g. `{ "makeDefault": true, "returnTo": "/p/…" }`). */
  data: Json;
}

/** The bytes of an uploaded `file` (billing/files.ts). */
export interface FileContentsTable {
  id: string;
  livemode: boolean;
  content: Uint8Array;
}

/** The Accounts API's business profile and branding of the account (billing/account.ts). */
export interface AccountProfilesTable {
  account_id: string;
  data: Json;
}

/** Dashboard administrators (migration 0015). */
export interface AdministratorsTable {
  id: string;
  email: string;
  password_hash: string;
  created: number;
  password_changed_at: number;
}

/** Signed-in dashboard browsers: only the cookie secret's SHA-256 is stored. */
export interface AdminSessionsTable {
  id: string;
  secret_hash: string;
  administrator: string;
  livemode: ColumnType<boolean, boolean | undefined, boolean>;
  created: number;
  last_active_at: number;
  expires_at: number;
  /** The key of the session's CSRF tokens (migration 0016-dashboard-csrf); hex, 256 bits. */
  csrf_secret: ColumnType<string, string | undefined, string>;
}

/** Installation-wide dashboard secrets by name (migration 0016-dashboard-csrf): `sign_in_csrf`. */
export interface DashboardSecretsTable {
  name: string;
  secret: string;
}

/** Every administrator change, written in the change's transaction. */
export interface AuditLogTable {
  seq: Generated<number>;
  administrator: string;
  administrator_email: string;
  created: number;
  livemode: boolean;
  action: string;
  object_id: string | null;
  before: ColumnType<unknown, string | null, string | null>;
  after: ColumnType<unknown, string | null, string | null>;
}

export interface Database {
  accounts: AccountsTable;
  objects: ObjectsTable;
  events: EventsTable;
  idempotency_keys: IdempotencyKeysTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_endpoint_versions: { livemode: boolean; version: number };
  webhook_attempts: WebhookAttemptsTable;
  billing_periods: BillingPeriodsTable;
  portal_sessions: PortalSessionsTable;
  billing_settings: BillingSettingsTable;
  portal_login_links: PortalLoginLinksTable;
  portal_login_outbox: PortalLoginOutboxTable;
  portal_login_rate_limits: PortalLoginRateLimitsTable;
  portal_authentications: PortalAuthenticationsTable;
  file_contents: FileContentsTable;
  account_profiles: AccountProfilesTable;
  administrators: AdministratorsTable;
  admin_sessions: AdminSessionsTable;
  dashboard_secrets: DashboardSecretsTable;
  audit_log: AuditLogTable;
}

export type ObjectRow = Selectable<ObjectsTable>;
export type NewObjectRow = Insertable<ObjectsTable>;
