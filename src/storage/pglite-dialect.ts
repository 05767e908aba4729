/**
 * A Kysely dialect for embedded PGlite that is safe under concurrency.
 *
 * PGlite is one Postgres backend with one session: two interleaved transactions would share it, so a
 * query from request B could land inside request A's open transaction (or A's COMMIT could commit B's
 * half-done work) and updates are lost. The `kysely-pglite` package has exactly that bug. Here every
 * acquisition of "the connection" takes a FIFO mutex that is held until the connection is released:
 * a single query holds it for that query, a transaction holds it from BEGIN to COMMIT/ROLLBACK.
 * Consequence for callers: inside a transaction, use the transaction object, never the root database
 * (that would wait for the lock the transaction itself holds). Savepoints (Kysely's controlled
 * transactions) run on the transaction's connection, so they hold the same lock and need nothing more.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  createQueryId,
  IdentifierNode,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  RawNode,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { Mutex } from '../lib/mutex.ts';
import { pgliteQuery } from './pglite-query.ts';

class PGliteConnection implements DatabaseConnection {
  /**
   * A transaction's BEGIN, not sent yet: it goes in the protocol call of the transaction's first
   * statement (one WASM call fewer per transaction), and a transaction that ran nothing sends nothing.
   */
  pendingBegin: string | null = null;

  constructor(private readonly pg: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const before = this.pendingBegin ?? undefined;
    this.pendingBegin = null;
    const result = await pgliteQuery<R>(this.pg, query.sql, query.parameters, before);
    const affected = result.affectedRows;
    return {
      rows: result.rows,
      ...(affected !== undefined && query.query.kind !== 'SelectQueryNode'
        ? { numAffectedRows: BigInt(affected) }
        : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not support streaming queries');
  }
}

/** `<command> "<name>"`, the name quoted as an identifier by the compiler (never spliced in raw). */
function savepointCommand(command: string, name: string, compile: QueryCompiler['compileQuery']): CompiledQuery {
  return compile(RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]), createQueryId());
}

class PGliteDriver implements Driver {
  private readonly mutex = new Mutex();
  private readonly releases = new WeakMap<DatabaseConnection, () => void>();

  constructor(private readonly pg: PGlite) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.mutex.acquire();
    // One physical session, handed to one holder at a time; a wrapper per holder lets release()
    // find that holder's unlock function.
    const handle = new PGliteConnection(this.pg);
    this.releases.set(handle, release);
    return handle;
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const level = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    (conn as PGliteConnection).pendingBegin = `begin${level}`;
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await this.end(conn as PGliteConnection, 'commit');
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await this.end(conn as PGliteConnection, 'rollback');
  }

  /** Ends the transaction, unless it never began (its BEGIN still deferred: nothing to end). */
  private async end(conn: PGliteConnection, command: 'commit' | 'rollback'): Promise<void> {
    if (conn.pendingBegin !== null) {
      conn.pendingBegin = null;
      return;
    }
    await conn.executeQuery(CompiledQuery.raw(command));
  }

  async savepoint(conn: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await conn.executeQuery(savepointCommand('savepoint', name, compile));
  }

  async rollbackToSavepoint(conn: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await conn.executeQuery(savepointCommand('rollback to savepoint', name, compile));
  }

  async releaseSavepoint(conn: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await conn.executeQuery(savepointCommand('release savepoint', name, compile));
  }

  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    const release = this.releases.get(conn);
    this.releases.delete(conn);
    release?.();
  }

  async destroy(): Promise<void> {}
}

/** Kysely dialect over one PGlite instance; closing the instance is the caller's job. */
export class PGliteDialect implements Dialect {
  constructor(private readonly pg: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pg);
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}
