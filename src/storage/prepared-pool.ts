/**
 * Named prepared statements on PostgreSQL, for every Kysely query, without changing any query.
 *
 * Portico's statements run against `objects` and its dozen indexes: planning one anew each time costs
 * more server CPU than running it (a GET by id: 123 µs unnamed, 45 µs prepared). This wraps the `pg`
 * pool handed to Kysely so that each data statement is sent as a named statement: the name comes from
 * the SQL text (one global text → name map, so it is the same on every connection), `pg` parses it once
 * per connection and then only binds and executes.
 *
 * What can go wrong, and what happens then:
 * - A restart (or a dropped connection): the connection is gone and with it its statements; `pg`
 *   keeps its record of parsed statements on the connection object, so a new connection prepares anew.
 * - A migration that changes a table's columns: PostgreSQL replans prepared statements by itself, but
 *   one whose result columns change (`select *`) fails with `cached plan must not change result type`
 *   (0A000). The connection is then marked stale and destroyed at release (a fresh one prepares the new
 *   shape); outside a transaction the statement is retried at once on a fresh connection's plan by
 *   re-preparing under a new name, inside one the error goes up and `isStalePlanError` tells the caller
 *   that a retry of the whole transaction is safe.
 * - Statements that are not plain data statements (DDL, BEGIN, SET, several commands) are sent as they
 *   are; so are statements beyond the first `MAX_NAMES` distinct texts (a bound on server memory).
 */
import pg from 'pg';

const MAX_NAMES = 2000;
const names = new Map<string, string>();
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\b/i;

/** The name for `text`, or null when it is not to be prepared. */
function nameFor(text: string): string | null {
  const known = names.get(text);
  if (known !== undefined) return known;
  if (names.size >= MAX_NAMES || !DATA_STATEMENT.test(text)) return null;
  const name = `portico_${names.size + 1}`;
  names.set(text, name);
  return name;
}

/**
 * `client.query({ name, text, values })`, without the copy `pg` makes of a config object
 * (`cloneQueryConfig`: about 3 % of a GET's CPU under load): a query made from the text alone is not
 * copied, and its name is only read when it is sent.
 */
function namedQuery(client: pg.PoolClient, name: string, text: string, values: unknown[] | undefined): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const query = new pg.Query(text, values, (err, res) => (err ? reject(err) : resolve(res)));
    (query as { name?: string }).name = name;
    client.query(query);
  });
}

/** True for the errors a named statement gets after a schema change (see the module comment). */
export function isStalePlanError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '0A000' || code === '26000';
}

interface PoolClientLike {
  query(text: unknown, values?: unknown): Promise<unknown>;
  release(err?: Error | boolean): void;
}

interface PoolLike {
  connect(): Promise<PoolClientLike>;
  end(): Promise<void>;
}

/** A client that names its data statements; one per underlying client (Kysely caches by identity). */
class PreparingClient implements PoolClientLike {
  private inTransaction = false;
  private stale = false;
  /** After a stale-plan error outside a transaction: this connection's names get a suffix. */
  private generation = 0;
  /** The connection's own error while checked out between queries (the server went away). */
  private lost: Error | null = null;

  constructor(private readonly client: pg.PoolClient) {
    // The pool listens for errors on idle connections only. A checked-out connection whose server goes
    // away between two queries (a restart, pg_terminate_backend) emits 'error' with no query to take
    // it: unheard, that is an uncaught exception that ends the process. Kept here, the connection is
    // discarded when released, and the next query on it fails as a query error.
    client.on('error', (err) => {
      this.lost = err;
    });
  }

  async query(text: unknown, values?: unknown): Promise<unknown> {
    if (typeof text !== 'string') return this.client.query(text as pg.QueryConfig);
    const lowered = text.length < 40 ? text.trim().toLowerCase() : '';
    if (lowered === 'begin' || lowered.startsWith('begin ') || lowered.startsWith('start transaction')) this.inTransaction = true;
    else if (lowered === 'commit' || lowered === 'rollback') this.inTransaction = false;
    const base = nameFor(text);
    if (base === null) return this.client.query(text, values as unknown[]);
    const name = this.generation === 0 ? base : `${base}_${this.generation}`;
    try {
      return await namedQuery(this.client, name, text, values as unknown[] | undefined);
    } catch (err) {
      if (!isStalePlanError(err)) throw err;
      this.stale = true;
      if (this.inTransaction) throw err;
      // Outside a transaction nothing was done: prepare it again under a fresh name and run it.
      this.generation++;
      return namedQuery(this.client, `${base}_${this.generation}`, text, values as unknown[] | undefined);
    }
  }

  release(err?: Error | boolean): void {
    if (this.lost) {
      this.client.release(this.lost);
      return;
    }
    // A connection that met a stale plan is replaced, so its other stale statements go with it.
    this.client.release(err ?? (this.stale ? new Error('stale prepared statements') : undefined));
  }
}

/** The pool Kysely's PostgresDialect should use: `pool`'s connections, naming data statements. */
export function preparingPool(pool: pg.Pool): PoolLike {
  const wrapped = new WeakMap<pg.PoolClient, PreparingClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        w = new PreparingClient(client);
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}
