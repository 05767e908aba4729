/**
 * LISTEN/NOTIFY channels scoped to the schema. Channels are database-wide, but a Portico lives in one
 * schema (the URL's search_path selects it; tests give each file its own): named by purpose alone, a
 * channel would wake the workers of every schema on the database, and empty their endpoint caches.
 *
 * So a channel's name is its purpose and a hash of `current_schema()`, computed in SQL on both sides:
 * by the statement that NOTIFYs and by the listener on its own connection (the same URL, hence the same
 * schema). The hash keeps every name within PostgreSQL's 63 bytes however long the schema's name, two
 * schemas never share a name by chance (128 bits), and the name needs no quoting (PGlite's `listen`
 * sends it unquoted).
 */
import { sql, type RawBuilder } from 'kysely';

/** Purposes leave 33 of the 63 bytes to `_` and 32 hex digits of the schema's SHA-256. */
const PURPOSE = /^[a-z_]{1,30}$/;

/**
 * The name (SQL text) that `channel`, a purpose such as `portico_webhooks`, has in the schema the
 * statement runs in.
 */
function channelName(channel: string): RawBuilder<string> {
  if (!PURPOSE.test(channel)) throw new Error(`channel purpose must match ${PURPOSE}: ${channel}`);
  return sql<string>`(${channel}::text || '_' || left(encode(sha256(convert_to(current_schema(), 'UTF8')), 'hex'), 32))`;
}

/**
 * `pg_notify` on `channel` in the current schema, for use inside a statement: delivered at commit,
 * to this schema's listeners only.
 * @example await sql`select ${notify(KEYS_CHANNEL)}`.execute(db)
 */
export function notify(channel: string): RawBuilder<unknown> {
  return sql`pg_notify(${channelName(channel)}, '')`;
}

/** The statement that asks a connection the name to LISTEN on for `channel` (one row, `name`). */
export function channelNameQuery(channel: string): RawBuilder<{ name: string }> {
  return sql<{ name: string }>`select ${channelName(channel)} as name`;
}
