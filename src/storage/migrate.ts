/** Runs the schema migrations, the same set on PGlite and PostgreSQL, each once, in order. */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import * as init from './migrations/0001-init.ts';
import * as webhooks from './migrations/0002-webhooks.ts';
import * as billing from './migrations/0003-billing.ts';
import * as billingSettings from './migrations/0004-billing-settings.ts';
import * as portal from './migrations/0005-portal.ts';
import * as portalLogin from './migrations/0006-portal-login.ts';
import * as lz4 from './migrations/0007-lz4-compression.ts';
import * as eventRetention from './migrations/0008-event-retention.ts';
import * as endpointVersions from './migrations/0009-perf-endpoint-versions.ts';
import * as surfacebSearch from './migrations/0009-surfaceb-search.ts';
import * as hardenLoginPages from './migrations/0009-harden-login-pages.ts';
import * as portalSubsFlowState from './migrations/0009-portalsubs-flow-state.ts';
import * as portalPayAuthentications from './migrations/0009-portalpay-authentications.ts';
import * as portalPayFiles from './migrations/0009-portalpay-files.ts';
import * as dashboardAdmins from './migrations/0009-dashboard-admins.ts';

const MIGRATIONS: Record<string, Migration> = {
  '0001-init': init,
  '0002-webhooks': webhooks,
  '0003-billing': billing,
  '0004-billing-settings': billingSettings,
  '0005-portal': portal,
  '0006-portal-login': portalLogin,
  '0007-lz4-compression': lz4,
  '0008-event-retention': eventRetention,
  '0009-perf-endpoint-versions': endpointVersions,
  '0009-surfaceb-search': surfacebSearch,
  '0009-harden-login-pages': hardenLoginPages,
  '0009-portalsubs-flow-state': portalSubsFlowState,
  '0009-portalpay-authentications': portalPayAuthentications,
  '0009-portalpay-files': portalPayFiles,
  '0009-dashboard-admins': dashboardAdmins,
};

export async function migrate(db: Kysely<any>): Promise<string[]> {
  // Kysely looks for its bookkeeping tables by name across every schema it can see; pin them to the
  // schema we work in, or another schema's tables (another deployment, another test) would be taken
  // for ours.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema ?? 'public';
  const migrator = new Migrator({
    db,
    migrationTableSchema: schema,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'portico_migrations',
    migrationLockTableName: 'portico_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
