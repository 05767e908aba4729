/**
 * Running domain code whose writes are then undone: previews (`POST /v1/invoices/create_preview`)
 * perform the very change they preview inside a savepoint and roll back to it, so a preview and the
 * real change are computed by the same code and cannot disagree. Works inside the request's
 * transaction (PostgreSQL and PGlite both have savepoints); outside one, it opens a transaction that
 * it rolls back. Events written meanwhile are rolled back with everything else.
 */
import { sql } from 'kysely';
import type { Ctx } from './context.ts';

class RolledBack<T> extends Error {
  constructor(readonly value: T) {
    super('rolled back');
  }
}

let counter = 0;

/** Runs `fn` and undoes every write it made; returns (or throws) what `fn` did. */
export async function withRollback<T>(outer: Ctx, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  // A unit of work's buffered writes go out before the savepoint (they are kept), and `fn` writes
  // straight to the database, so the rollback undoes all of its writes and none of the unit's.
  await outer.uow?.settle(outer.db);
  const { uow: _uow, ...ctx } = outer;
  if (!ctx.db.isTransaction) {
    try {
      await ctx.db.transaction().execute(async (tx) => {
        throw new RolledBack(await fn({ ...ctx, db: tx }));
      });
    } catch (err) {
      if (err instanceof RolledBack) return err.value as T;
      throw err;
    }
    throw new Error('unreachable');
  }
  const name = sql.raw(`portico_preview_${++counter}`);
  await sql`savepoint ${name}`.execute(ctx.db);
  try {
    return await fn(ctx);
  } finally {
    await sql`rollback to savepoint ${name}`.execute(ctx.db);
    await sql`release savepoint ${name}`.execute(ctx.db);
  }
}
