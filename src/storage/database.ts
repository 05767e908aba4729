/**
 * Opens the database: embedded PGlite in a directory (or in memory, for tests) by default, PostgreSQL
 * when a URL is given. Both get the same migrations and the same Kysely API; 64-bit integers come back
 * as JS numbers on both (every bigint Portico stores — unix times, sequence numbers — fits in 2^53).
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type CompiledQuery, type Transaction } from 'kysely';
import pg from 'pg';
import { channelNameQuery } from './channels.ts';
import { lockDataDir } from './lock.ts';
import { migrate } from './migrate.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { preparingPool } from './prepared-pool.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: what domain functions take. */
export type Executor = Kysely<Database>;

export type StorageOptions =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'pglite'; dataDir: string | null };

export interface Storage {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Db;
  /** The embedded instance, when there is one (LISTEN/NOTIFY for workers). */
  readonly pglite: PGlite | null;
  /** The pool, when on PostgreSQL. */
  readonly pool: pg.Pool | null;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` in this schema (committed transactions only; see
   * channels.ts); returns the function that stops listening. On PostgreSQL this holds one dedicated
   * connection, reconnecting if it drops.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * LISTEN on a dedicated PostgreSQL connection that reconnects (after a short pause) when it drops.
 *
 * pg reports a connection the server ends twice (its FATAL message, then the socket's end), so each
 * client asks for one reconnection at most, and at most one is pending; every client ever opened is
 * ended by stop(), so no stray listener outlives it (and keeps the process up). `nameQuery` asks each
 * connection the channel's name in its schema (channels.ts).
 */
async function listenPostgres(url: string, nameQuery: CompiledQuery<{ name: string }>, onNotify: () => void): Promise<() => Promise<void>> {
  const open = new Set<pg.Client>();
  let stopped = false;
  let retryPending = false;
  const retry = (): void => {
    if (stopped || retryPending) return;
    retryPending = true;
    // Until it connects again (a restarting server refuses connections for a while), once a second.
    setTimeout(() => {
      retryPending = false;
      connect().catch(retry);
    }, 1000).unref();
  };
  const connect = async (): Promise<void> => {
    // A reconnection scheduled before stop() must not bring the listener back.
    if (stopped) return;
    const c = new pg.Client({ connectionString: url });
    open.add(c);
    let failed = false;
    let listening = false;
    let channel: string | null = null;
    const fail = () => {
      if (failed) return;
      failed = true;
      open.delete(c);
      c.end().catch(() => {});
      // While connecting, the rejection below is the one report (the caller or connect().catch(retry)).
      if (listening) retry();
    };
    c.on('notification', (msg) => {
      if (msg.channel === channel) onNotify();
    });
    c.on('error', fail);
    try {
      await c.connect();
      if (stopped) {
        await c.end().catch(() => {});
        return;
      }
      const { rows } = await c.query<{ name: string }>(nameQuery.sql, [...nameQuery.parameters]);
      channel = rows[0]!.name;
      await c.query(`listen ${pg.Client.prototype.escapeIdentifier(channel)}`);
    } catch (err) {
      failed = true;
      open.delete(c);
      await c.end().catch(() => {});
      throw err;
    }
    listening = true;
    if (!stopped && !failed) onNotify(); // anything committed while we were not listening
  };
  await connect();
  return async () => {
    stopped = true;
    await Promise.all([...open].map((c) => c.end().catch(() => {})));
    open.clear();
  };
}

const INT8 = 20;
const parseInt8 = (v: string) => Number(v);

/** Opens (and migrates) the database described by `options`. */
export async function openStorage(options: StorageOptions): Promise<Storage> {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: any) =>
          oid === INT8 ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client that loses its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    // Portico's statements are short index lookups and small writes: compiling one with JIT costs more
    // than running it (tens of ms), and a table without statistics makes the planner's costs large
    // enough to trigger it. Queued ahead of the connection's first query.
    pool.on('connect', (client) => {
      client.query('set jit = off').catch(() => {});
    });
    // Data statements go out as named prepared statements (prepared-pool.ts).
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) as unknown as pg.Pool }) });
    try {
      await migrate(db);
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return {
      kind: 'postgres',
      db,
      pglite: null,
      pool,
      listen: (channel, onNotify) => listenPostgres(options.url, channelNameQuery(channel).compile(db), onNotify),
      close: () => db.destroy(),
    };
  }

  let unlock = () => {};
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    unlock = lockDataDir(options.dataDir);
  }
  try {
    const instance = await PGlite.create(options.dataDir ?? undefined, { parsers: { [INT8]: parseInt8 } });
    const db = new Kysely<Database>({ dialect: new PGliteDialect(instance) });
    await migrate(db);
    return {
      kind: 'pglite',
      db,
      pglite: instance,
      pool: null,
      async listen(channel, onNotify) {
        const { rows } = await channelNameQuery(channel).execute(db);
        const unlisten = await instance.listen(rows[0]!.name, () => onNotify());
        return () => unlisten();
      },
      async close() {
        await db.destroy();
        await instance.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

/** Runs `fn` in a transaction, or directly in the caller's transaction when already inside one. */
export function inTransaction<T>(db: Executor, fn: (tx: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}
