/**
 * lz4 instead of pglz for the large JSON columns, where the server was built with it. An event or an
 * invoice is 3–5 kB of JSON, so `events.data`, `objects.data` and `objects.private` are compressed on
 * every write; with pglz that was about a quarter of PostgreSQL's CPU in a billing-clock renewal, lz4
 * takes a fraction of it (measured: 0.63 → 0.46 ms of backend CPU per renewal). Only values written
 * from now on are affected; older ones are read as before. PGlite is built without lz4: nothing
 * changes there.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ lz4: boolean }>`
    select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
  if (!rows[0]?.lz4) return;
  await sql`alter table events alter column data set compression lz4`.execute(db);
  await sql`alter table objects alter column data set compression lz4`.execute(db);
  await sql`alter table objects alter column private set compression lz4`.execute(db);
}
