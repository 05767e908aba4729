/**
 * Portal configurations: create, update, retrieve, list, and the default configuration of each mode.
 *
 * Invariants:
 * - Each mode has exactly one default configuration (`is_default: true`), made when the account is set
 *   up (a unique index refuses a second); sessions that name no configuration use it. It cannot be
 *   deactivated.
 * - A configuration is validated whole after each change (create = defaults + request; update =
 *   stored + request), so no sequence of updates can reach a state that a single create would refuse:
 *   cancel proration `always_invoice` is refused, `create_prorations` needs `mode=immediately`, products
 *   exist with prices of their own that are recurring.
 * - `login_page.enabled=true` gives the configuration a login URL with a fresh random token; setting it
 *   false deletes the token's lookup row, so that URL is dead for good (enabling again makes a new one).
 *   The lookup row's id is `bplogin_<SHA-256 of the token>` (the token itself is never an id, as a
 *   session's is never stored), and it carries the page's `key`: a random value minted when the page
 *   is enabled and again whenever its configuration is reactivated. Emailed links are bound to the key
 *   of the page that issued them, so no link outlives the page it came from (issue 12, item 3).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { mergeMetadata } from '../../lib/params.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Db, Executor } from '../../storage/database.ts';
import { isUniqueViolation } from '../../billing/products.ts';
import {
  findObject,
  getObject,
  insertObject,
  listObjects,
  removeObject,
  updateObject,
  whereData,
  type ListOptions,
} from '../../storage/objects.ts';
import { emit, emitUpdated, previousAttributes } from '../../events/outbox.ts';
import { validateFeatures } from './validate.ts';
import type { ConfigurationCreate, ConfigurationUpdate, FeaturesPatch } from './params.ts';
import { accountDefaultFeatures, defaultFeatures, type PortalConfiguration, type PortalFeatures } from './types.ts';

export { configurationCreateShape, configurationUpdateShape } from './params.ts';
export type { PortalConfiguration, PortalFeatures } from './types.ts';

export const CONFIGURATION = 'billing_portal.configuration';
const NOUN = 'billing portal configuration';
/** The lookup row of a login page token: `bplogin_<hex SHA-256 of the token>` names the configuration. */
export const LOGIN_LINK = 'portal_login_link';
/** What a login-page token looks like: 32 random bytes in base64url. */
export const LOGIN_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The id of a login page token's lookup row (the token is a secret: only its hash is stored). */
export const loginLinkId = (token: string) => `bplogin_${createHash('sha256').update(token, 'utf8').digest('hex')}`;
/** A fresh key for a live login page: emailed links carry it, so they die when the page does. */
export const newLoginPageKey = () => randomBytes(16).toString('base64url');

/**
 * The configuration as the API shows it: the login page URL is rebuilt on the server's current public
 * URL (only its token is meaningful), so changing PORTICO_PUBLIC_URL never leaves stale links behind.
 */
export function presentConfiguration(c: PortalConfiguration): PortalConfiguration {
  const token = c.login_page.url?.split('/').pop();
  if (!c.login_page.enabled || !token) return c;
  return { ...c, login_page: { enabled: true, url: `${publicBaseUrl()}/p/login/${token}` } };
}

/** Applies a features patch onto `base` (a copy), feature by feature and field by field. */
function applyFeatures(base: PortalFeatures, patch: FeaturesPatch | undefined): PortalFeatures {
  const f = structuredClone(base);
  if (!patch) return f;
  const cu = patch.customer_update;
  if (cu) {
    if (cu.enabled !== undefined) f.customer_update.enabled = cu.enabled;
    if (cu.allowed_updates !== undefined) f.customer_update.allowed_updates = [...new Set(cu.allowed_updates ?? [])];
  }
  if (patch.invoice_history) f.invoice_history.enabled = patch.invoice_history.enabled;
  const pm = patch.payment_method_update;
  if (pm) {
    f.payment_method_update.enabled = pm.enabled;
    if (pm.payment_method_configuration !== undefined) f.payment_method_update.payment_method_configuration = pm.payment_method_configuration;
  }
  const sc = patch.subscription_cancel;
  if (sc) {
    if (sc.enabled !== undefined) f.subscription_cancel.enabled = sc.enabled;
    if (sc.mode !== undefined) f.subscription_cancel.mode = sc.mode;
    if (sc.proration_behavior !== undefined) f.subscription_cancel.proration_behavior = sc.proration_behavior;
    const cr = sc.cancellation_reason;
    if (cr) {
      f.subscription_cancel.cancellation_reason.enabled = cr.enabled;
      if (cr.options !== undefined) f.subscription_cancel.cancellation_reason.options = [...new Set(cr.options ?? [])];
      if (cr.feedback_options !== undefined) f.subscription_cancel.cancellation_reason.feedback_options = cr.feedback_options;
    }
  }
  const sp = patch.subscription_pause;
  if (sp) {
    if (sp.enabled !== undefined) f.subscription_pause.enabled = sp.enabled;
    if (sp.duration) {
      f.subscription_pause.duration.type = sp.duration.type;
      if (sp.duration.interval_options !== undefined) {
        f.subscription_pause.duration.interval_options = (sp.duration.interval_options ?? []).map((o) => ({
          interval: o.interval,
          interval_count: o.interval_count ?? 1,
        }));
      }
    }
  }
  const su = patch.subscription_update;
  if (su) {
    const u = f.subscription_update;
    if (su.enabled !== undefined) u.enabled = su.enabled;
    if (su.billing_cycle_anchor !== undefined) u.billing_cycle_anchor = su.billing_cycle_anchor;
    if (su.default_allowed_updates !== undefined) u.default_allowed_updates = [...new Set(su.default_allowed_updates ?? [])];
    if (su.proration_behavior !== undefined) u.proration_behavior = su.proration_behavior;
    if (su.trial_update_behavior !== undefined) u.trial_update_behavior = su.trial_update_behavior;
    if (su.schedule_at_period_end?.conditions !== undefined) {
      const types = [...new Set((su.schedule_at_period_end.conditions ?? []).map((c) => c.type))];
      u.schedule_at_period_end = { conditions: types.map((type) => ({ type })) };
    }
    if (su.products !== undefined) {
      u.products = (su.products ?? []).map((prod) => ({
        adjustable_quantity: {
          enabled: prod.adjustable_quantity?.enabled ?? false,
          maximum: prod.adjustable_quantity?.maximum ?? null,
          minimum: prod.adjustable_quantity?.minimum ?? 0,
        },
        prices: prod.prices,
        product: prod.product,
      }));
    }
  }
  return f;
}

/** Turns the login page on (a new token and URL) or off (the old URL stops working for good). */
async function setLoginPage(ctx: Ctx, config: PortalConfiguration, enabled: boolean): Promise<void> {
  if (enabled === config.login_page.enabled) return;
  if (!enabled) {
    const token = config.login_page.url?.split('/').pop();
    if (token) await removeObject(ctx, loginLinkId(token));
    config.login_page = { enabled: false, url: null };
    return;
  }
  const token = randomBytes(32).toString('base64url');
  const data = { configuration: config.id, key: newLoginPageKey() };
  await insertObject(ctx, { id: loginLinkId(token), object: LOGIN_LINK, created: ctx.clock.now(), data });
  config.login_page = { enabled: true, url: `${publicBaseUrl()}/p/login/${token}` };
}

function applyCommon(config: PortalConfiguration, params: ConfigurationCreate | ConfigurationUpdate): void {
  const bp = params.business_profile;
  if (bp) {
    if (bp.headline !== undefined) config.business_profile.headline = bp.headline;
    if (bp.privacy_policy_url !== undefined) config.business_profile.privacy_policy_url = bp.privacy_policy_url;
    if (bp.terms_of_service_url !== undefined) config.business_profile.terms_of_service_url = bp.terms_of_service_url;
  }
  if (params.default_return_url !== undefined) config.default_return_url = params.default_return_url;
  if (params.name !== undefined) config.name = params.name;
  config.metadata = mergeMetadata(config.metadata, params.metadata);
}

async function insertConfiguration(ctx: Ctx, config: PortalConfiguration, loginEnabled: boolean): Promise<PortalConfiguration> {
  await setLoginPage(ctx, config, loginEnabled);
  await insertObject(ctx, { id: config.id, object: CONFIGURATION, created: config.created, data: config });
  await emit(ctx, 'billing_portal.configuration.created', config);
  return presentConfiguration(config);
}

function blank(ctx: Ctx, features: PortalFeatures, isDefault: boolean): PortalConfiguration {
  const now = ctx.clock.now();
  return {
    id: newId('billing_portal.configuration'),
    object: CONFIGURATION,
    active: true,
    application: null,
    business_profile: { headline: null, privacy_policy_url: null, terms_of_service_url: null },
    created: now,
    default_return_url: null,
    features,
    is_default: isDefault,
    livemode: ctx.livemode,
    login_page: { enabled: false, url: null },
    metadata: {},
    name: null,
    updated: now,
  };
}

export async function createConfiguration(ctx: Ctx, params: ConfigurationCreate): Promise<PortalConfiguration> {
  const features = applyFeatures(defaultFeatures(), params.features);
  await validateFeatures(ctx, features, params.features);
  const config = blank(ctx, features, false);
  applyCommon(config, params);
  return insertConfiguration(ctx, config, params.login_page?.enabled ?? false);
}

export async function getConfiguration(ctx: Ctx, id: string, param = 'configuration', forUpdate = false): Promise<PortalConfiguration> {
  return presentConfiguration((await getObject<PortalConfiguration>(ctx, CONFIGURATION, NOUN, id, { param, forUpdate })).data);
}

export async function updateConfiguration(ctx: Ctx, id: string, params: ConfigurationUpdate): Promise<PortalConfiguration> {
  const before = await getConfiguration(ctx, id, 'configuration', true);
  if (params.active === false && before.is_default) {
    throw errors.invalidParam('active', 'The default configuration cannot be deactivated.');
  }
  const after = structuredClone(before);
  after.features = applyFeatures(before.features, params.features);
  if (params.features) await validateFeatures(ctx, after.features, params.features);
  applyCommon(after, params);
  if (params.active !== undefined) after.active = params.active;
  if (params.login_page) await setLoginPage(ctx, after, params.login_page.enabled);
  // Reactivated with the same login page: links sent before the deactivation stay dead.
  if (!before.active && after.active && before.login_page.enabled && after.login_page.enabled) await renewLoginPageKey(ctx, after);
  // A request that changes nothing leaves `updated` alone and writes no event.
  if (Object.keys(previousAttributes(before, after)).length === 0) return before;
  after.updated = ctx.clock.now();
  await updateObject(ctx, id, { data: after });
  await emitUpdated(ctx, 'billing_portal.configuration.updated', before, after);
  return presentConfiguration(after);
}

export interface ConfigurationListFilters {
  active?: boolean;
  is_default?: boolean;
}

export async function listConfigurations(ctx: Ctx, filters: ConfigurationListFilters, page: ListOptions) {
  const found = await listObjects<PortalConfiguration>(ctx, CONFIGURATION, {
    ...page,
    where: (q) => {
      if (filters.active !== undefined) q = whereData(q, 'active', filters.active);
      if (filters.is_default !== undefined) q = whereData(q, 'is_default', filters.is_default);
      return q;
    },
  });
  return { ...found, data: found.data.map((row) => ({ ...row, data: presentConfiguration(row.data) })) };
}

/**
 * A session's customer and configuration (the named one, else the mode's default) in one query: a
 * 404 naming `customer` or `configuration` when either is missing.
 */
export async function customerAndConfiguration<C>(
  ctx: Ctx,
  customer: string,
  configuration: string | undefined,
): Promise<{ customer: C; configuration: PortalConfiguration }> {
  // Two index probes, not one `or`: run as a named prepared statement, PostgreSQL's generic plan of
  // the `or` was a sequential scan of `objects` (the parameters hide which indexes apply). The default
  // configuration's test is written out as the unique partial index's predicate, so that index applies.
  const byId = ctx.db.selectFrom('objects').select(['object', 'id', 'data']);
  const live = (q: typeof byId) => q.where('livemode', '=', ctx.livemode).where('deleted', '=', false);
  const cus = live(byId).where('id', '=', customer).where('object', '=', 'customer');
  const config =
    configuration !== undefined
      ? live(byId).where('id', '=', configuration).where('object', '=', CONFIGURATION)
      : live(byId).where(sql<boolean>`object = 'billing_portal.configuration' and (data->>'is_default') = 'true'`);
  const rows = await cus.unionAll(config).execute();
  const cusRow = rows.find((r) => r.object === 'customer');
  if (!cusRow) throw errors.resourceMissing('customer', customer, 'customer');
  const configRow = rows.find((r) => r.object === CONFIGURATION);
  if (!configRow) {
    if (configuration !== undefined) throw errors.resourceMissing(NOUN, configuration, 'configuration');
    throw errors.invalidRequest('No default billing portal configuration exists in this mode.', 'configuration');
  }
  return { customer: cusRow.data as C, configuration: presentConfiguration(configRow.data as PortalConfiguration) };
}

/** The mode's default configuration (it always exists once the account is set up). */
export async function defaultConfiguration(ctx: Ctx): Promise<PortalConfiguration> {
  const page = await listConfigurations(ctx, { is_default: true }, { limit: 1 });
  const found = page.data[0];
  if (!found) throw errors.invalidRequest('No default billing portal configuration exists in this mode.', 'configuration');
  return found.data;
}

/**
 * Creates the default configuration of a mode if it has none (at start-up; safe when several
 * processes start at once: the unique index lets one insert win and the others find it).
 */
export async function ensureDefaultConfiguration(ctx: Ctx): Promise<PortalConfiguration> {
  const existing = await listConfigurations(ctx, { is_default: true }, { limit: 1 });
  if (existing.data[0]) return existing.data[0].data;
  const config = blank(ctx, accountDefaultFeatures(), true);
  return insertConfiguration(ctx, config, false);
}

/** Makes sure both modes have their default configuration (the composition root calls it at start). */
export async function ensureDefaultConfigurations(db: Db, clock: Clock): Promise<void> {
  for (const livemode of [false, true]) {
    try {
      await db.transaction().execute((tx) =>
        ensureDefaultConfiguration({ db: tx, livemode, clock, request: { id: null, idempotencyKey: null } }),
      );
    } catch (err) {
      // Another process starting on the same database made it first: the unique index chose one.
      if (!isUniqueViolation(err)) throw err;
    }
  }
}

/** Mints a new key for the configuration's live login page: every link issued before is dead. */
async function renewLoginPageKey(ctx: Ctx, config: PortalConfiguration): Promise<void> {
  const token = config.login_page.url?.split('/').pop();
  if (!token) return;
  await updateObject(ctx, loginLinkId(token), { data: { configuration: config.id, key: newLoginPageKey() } });
}

/**
 * The configuration (and its mode) whose login page a token opens, with the page's current key, or
 * null when unknown or disabled.
 */
export async function findConfigurationByLoginToken(
  db: Executor,
  token: string,
): Promise<{ livemode: boolean; configuration: string; key: string } | null> {
  if (!LOGIN_TOKEN_PATTERN.test(token)) return null;
  const row = await db
    .selectFrom('objects')
    .select(['livemode', 'data'])
    .where('id', '=', loginLinkId(token))
    .where('object', '=', LOGIN_LINK)
    .executeTakeFirst();
  if (!row) return null;
  const data = row.data as { configuration: string; key: string };
  return { livemode: row.livemode, configuration: data.configuration, key: data.key };
}

/** The configuration if it exists in ctx's mode, else undefined (no error). */
export async function findConfiguration(ctx: Ctx, id: string): Promise<PortalConfiguration | undefined> {
  const found = await findObject<PortalConfiguration>(ctx, CONFIGURATION, id);
  return found ? presentConfiguration(found.data) : undefined;
}
