/** Runs the schema migrations, the same set on PGlite and PostgreSQL, each once, in order. */
import { Migrator, type Kysely, type Migration } from 'kysely';
import * as init from './migrations/0001-init.ts';

const MIGRATIONS: Record<string, Migration> = {
  '0001-init': init,
};

export async function migrate(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'portico_migrations',
    migrationLockTableName: 'portico_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
