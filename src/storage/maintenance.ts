/**
 * Table upkeep where no autovacuum does it: the embedded database (PGlite is single-user, so nothing
 * ever vacuums or analyzes it) and PostgreSQL servers running with `autovacuum = off`.
 *
 * Without it a table's statistics stay at whatever the last ANALYZE saw (often nothing: a table that
 * grew from empty), so the planner misjudges every filter on it, and dead row versions left by updates
 * are never reclaimed, so tables and indexes only grow. The rules are autovacuum's own defaults:
 * - ANALYZE a table once the rows changed since its last analyze exceed 50 + 10 % of its rows;
 * - VACUUM (with ANALYZE) it once dead rows exceed 50 + 20 % of its rows, or rows inserted since its
 *   last vacuum exceed 1,000 + 20 % (so insert-only tables such as `events` get their visibility map).
 *
 * Only Portico's own tables (those of the current schema) are looked at. Several worker processes may
 * call this at once: a session advisory lock lets one of them work and the others return at once.
 * Where autovacuum runs (its launcher is alive) this does nothing.
 */
import { sql } from 'kysely';
import type { Executor } from './database.ts';

/**
 * The session advisory lock one maintenance run holds. Advisory locks are database-wide, so the key
 * names the schema: deployments (or test runs) sharing a database never skip each other's upkeep.
 */
const LOCK_KEY = sql`hashtextextended('portico.maintenance:' || current_schema(), 0)`;

export interface TableWork {
  table: string;
  /** `analyze`: statistics only; `vacuum`: VACUUM (ANALYZE). */
  action: 'analyze' | 'vacuum';
}

interface TableStats {
  relname: string;
  n_live_tup: number | string;
  n_dead_tup: number | string;
  n_mod_since_analyze: number | string;
  n_ins_since_vacuum: number | string;
}

/** What autovacuum would do to a table with these counters (null: nothing yet). */
export function tableWork(s: { live: number; dead: number; modifiedSinceAnalyze: number; insertedSinceVacuum: number }): TableWork['action'] | null {
  if (s.dead > 50 + 0.2 * s.live || s.insertedSinceVacuum > 1_000 + 0.2 * s.live) return 'vacuum';
  if (s.modifiedSinceAnalyze > 50 + 0.1 * s.live) return 'analyze';
  return null;
}

/** Whether autovacuum is on and its launcher alive, and the server's version number (150000: 15.0). */
async function server(db: Executor): Promise<{ autovacuum: boolean; version: number }> {
  const { rows } = await sql<{ autovacuum: boolean; version: number | string }>`
    select current_setting('autovacuum') = 'on'
             and exists (select 1 from pg_stat_activity where backend_type = 'autovacuum launcher') as autovacuum,
           current_setting('server_version_num') as version`.execute(db);
  return { autovacuum: rows[0]?.autovacuum === true, version: Number(rows[0]?.version ?? 0) };
}

/**
 * Vacuums and analyzes the tables that need it (see the module comment); returns what it did. Runs
 * outside any transaction (VACUUM cannot run in one), on one connection of `db`.
 *
 * @example
 * await maintainTables(storage.db) // [{ table: 'objects', action: 'analyze' }] after a bulk load
 */
export async function maintainTables(db: Executor): Promise<TableWork[]> {
  if (db.isTransaction) throw new Error('maintainTables runs outside transactions');
  return db.connection().execute(async (conn) => {
    const { autovacuum, version } = await server(conn);
    if (autovacuum) return [];
    const { rows: locked } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${LOCK_KEY}) as ok`.execute(conn);
    if (!locked[0]?.ok) return [];
    try {
      // This session's own counters reach the statistics views when flushed (on the embedded
      // database every change is made by this one session, and the flush would otherwise wait).
      if (version >= 150_000) await sql`select pg_stat_force_next_flush()`.execute(conn);
      const { rows } = await sql<TableStats>`
        select relname, n_live_tup, n_dead_tup, n_mod_since_analyze, n_ins_since_vacuum
          from pg_stat_user_tables where schemaname = current_schema()`.execute(conn);
      const work: TableWork[] = [];
      for (const r of rows) {
        const action = tableWork({
          live: Number(r.n_live_tup),
          dead: Number(r.n_dead_tup),
          modifiedSinceAnalyze: Number(r.n_mod_since_analyze),
          insertedSinceVacuum: Number(r.n_ins_since_vacuum),
        });
        if (action) work.push({ table: r.relname, action });
      }
      for (const w of work) {
        const table = sql.table(w.table);
        await (w.action === 'vacuum' ? sql`vacuum (analyze) ${table}` : sql`analyze ${table}`).execute(conn);
      }
      return work;
    } finally {
      await sql`select pg_advisory_unlock(${LOCK_KEY})`.execute(conn);
    }
  });
}
