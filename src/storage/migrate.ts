/** Runs the schema migrations, the same set on PGlite and PostgreSQL, each once, in order. */
import { Migrator, sql, type DatabaseIntrospector, type Kysely, type Migration, type TableMetadata } from 'kysely';
import * as init from './migrations/0001-init.ts';
import * as webhooks from './migrations/0002-webhooks.ts';
import * as billing from './migrations/0003-billing.ts';
import * as billingSettings from './migrations/0004-billing-settings.ts';
import * as portal from './migrations/0005-portal.ts';
import * as portalLogin from './migrations/0006-portal-login.ts';
import * as lz4 from './migrations/0007-lz4-compression.ts';
import * as eventRetention from './migrations/0008-event-retention.ts';
import * as endpointVersions from './migrations/0009-webhook-endpoint-versions.ts';
import * as searchIndexes from './migrations/0010-search-indexes.ts';
import * as loginPageKeys from './migrations/0011-login-page-keys.ts';
import * as portalFlowState from './migrations/0012-portal-flow-state.ts';
import * as portalAuthentications from './migrations/0013-portal-authentications.ts';
import * as filesAndProfiles from './migrations/0014-files-and-account-profiles.ts';
import * as dashboardAdmins from './migrations/0015-dashboard-admins.ts';
import * as dashboardCsrf from './migrations/0016-dashboard-csrf.ts';
import * as entitlements from './migrations/0017-entitlements.ts';
import * as loginOutbox from './migrations/0018-login-outbox.ts';

const MIGRATIONS: Record<string, Migration> = {
  '0001-init': init,
  '0002-webhooks': webhooks,
  '0003-billing': billing,
  '0004-billing-settings': billingSettings,
  '0005-portal': portal,
  '0006-portal-login': portalLogin,
  '0007-lz4-compression': lz4,
  '0008-event-retention': eventRetention,
  '0009-webhook-endpoint-versions': endpointVersions,
  '0010-search-indexes': searchIndexes,
  '0011-login-page-keys': loginPageKeys,
  '0012-portal-flow-state': portalFlowState,
  '0013-portal-authentications': portalAuthentications,
  '0014-files-and-account-profiles': filesAndProfiles,
  '0015-dashboard-admins': dashboardAdmins,
  '0016-dashboard-csrf': dashboardCsrf,
  '0017-entitlements': entitlements,
  '0018-login-outbox': loginOutbox,
};

export async function migrate(db: Kysely<any>): Promise<string[]> {
  // Kysely looks for its bookkeeping tables by name across every schema it can see; pin them to the
  // schema we work in, or another schema's tables (another deployment, another test) would be taken
  // for ours.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema ?? 'public';
  const migrator = new Migrator({
    db: withSchemaIntrospection(db, schema),
    migrationTableSchema: schema,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'portico_migrations',
    migrationLockTableName: 'portico_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * `db` with an introspector that sees only `schema`. Kysely's migrator asks whether its tables exist by
 * listing every table of every schema, with a per-column function call that names each table's schema:
 * a schema another process drops meanwhile (another deployment, another test file) fails the listing
 * ("schema … does not exist"), and with it this migration.
 */
function withSchemaIntrospection(db: Kysely<any>, schema: string): Kysely<any> {
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => [{ name: schema }],
    getTables: async () => {
      const { rows } = await sql<{ name: string; view: boolean }>`
        select c.relname as name, c.relkind = 'v' as view
          from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v')`.execute(db);
      return rows.map((r): TableMetadata => ({ name: r.name, schema, isView: r.view, columns: [] }));
    },
    getMetadata: async () => ({ tables: await introspection.getTables() }),
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection;
      const value = Reflect.get(target, prop, target);
      // Kysely keeps its state in private fields: its methods must run on the instance itself.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
