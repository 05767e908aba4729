/**
 * The databases every storage-touching test runs on: embedded PGlite (in memory) always, and
 * PostgreSQL when DATABASE_URL is set (CI sets it). Each PostgreSQL storage gets a schema of its own,
 * dropped afterwards, so test files never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStorage, type Storage } from '../../src/storage/database.ts';

export interface StorageCase {
  name: 'pglite' | 'postgres';
  open(): Promise<Storage>;
}

/** A fresh, migrated, isolated PostgreSQL schema; dropping it is part of close(). */
export async function openPostgresSchema(url: string, poolSize?: number, schema?: string): Promise<Storage> {
  return (await openPostgresSchemaWithUrl(url, poolSize, schema)).storage;
}

/**
 * The same, with the URL that selects the schema (`options=-c search_path=…`), for handing the schema
 * to a child process (e.g. a `PORTICO_ROLE=worker` process as DATABASE_URL). `schema` names it (an
 * identifier that needs no quoting); by default a random `t_…`.
 */
export async function openPostgresSchemaWithUrl(
  url: string,
  poolSize?: number,
  schema = `t_${randomBytes(6).toString('hex')}`,
): Promise<{ storage: Storage; url: string }> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const dropSchema = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`drop schema ${schema} cascade`);
    await c.end();
  };
  let storage: Storage;
  try {
    storage = await openStorage({ kind: 'postgres', url: u.toString(), ...(poolSize ? { poolSize } : {}) });
  } catch (err) {
    await dropSchema().catch(() => {});
    throw err;
  }
  const isolated: Storage = {
    ...storage,
    async close() {
      await storage.close();
      await dropSchema();
    },
  };
  return { storage: isolated, url: u.toString() };
}

/**
 * A fresh, migrated PostgreSQL database of its own (created and dropped here), for tests whose outcome
 * depends on the whole database: VACUUM cannot remove row versions that another session of the same
 * database might still see, so another test file's open transaction would keep a schema's dead rows.
 */
export async function openPostgresDatabase(url: string): Promise<Storage> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  let storage: Storage;
  try {
    storage = await openStorage({ kind: 'postgres', url: u.toString() });
  } catch (err) {
    await admin(`drop database if exists ${name} with (force)`).catch(() => {});
    throw err;
  }
  return {
    ...storage,
    async close() {
      await storage.close();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

export function storageCases(): StorageCase[] {
  const cases: StorageCase[] = [{ name: 'pglite', open: () => openStorage({ kind: 'pglite', dataDir: null }) }];
  const url = process.env.DATABASE_URL;
  if (url) cases.push({ name: 'postgres', open: () => openPostgresSchema(url) });
  return cases;
}
