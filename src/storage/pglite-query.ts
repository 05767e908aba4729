/**
 * One statement on PGlite in one protocol call. `PGlite.query()` makes six WASM round trips a statement
 * (parse, describe, bind, describe, execute, sync: 387 µs for a GET's lookup); this sends the same
 * extended-protocol messages in one `execProtocol` call (about 230 µs). Parameter types are what the
 * server inferred for the statement, asked once per SQL text (`describeQuery`) and remembered, so values
 * are serialized exactly as `query()` would serialize them; results go through PGlite's own parsers.
 * The caller must hold the session (the dialect's mutex): this takes PGlite's own query lock only.
 */
import { parse, protocol, type PGlite, type Results } from '@electric-sql/pglite';

const MAX_TEXTS = 2000;
const paramTypes = new WeakMap<PGlite, Map<string, number[]>>();

async function typesOf(pg: PGlite, text: string, count: number): Promise<number[]> {
  if (count === 0) return [];
  let known = paramTypes.get(pg);
  if (!known) paramTypes.set(pg, (known = new Map()));
  const cached = known.get(text);
  if (cached) return cached;
  const described = (await pg.describeQuery(text)).queryParams.map((p) => p.dataTypeID);
  if (known.size < MAX_TEXTS) known.set(text, described);
  return described;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Runs `text` with `params` as `pg.query(text, params)` would, in one protocol call. `before`: a
 * statement without parameters or results (a deferred BEGIN) sent first in the same call.
 */
export async function pgliteQuery<R>(pg: PGlite, text: string, params: readonly unknown[], before?: string): Promise<Results<R>> {
  const types = await typesOf(pg, text, params.length);
  const values = params.map((v, i) => {
    if (v === null || v === undefined) return null;
    const serialize = pg.serializers[types[i]!];
    return serialize ? serialize(v) : String(v);
  });
  const message = concat([
    ...(before === undefined
      ? []
      : [protocol.serialize.parse({ text: before }), protocol.serialize.bind({}), protocol.serialize.execute({})]),
    protocol.serialize.parse({ text, types }),
    protocol.serialize.bind({ values }),
    protocol.serialize.describe({ type: 'P' }),
    protocol.serialize.execute({}),
    protocol.serialize.sync(),
  ]);
  return pg.runExclusive(async () => {
    // Inside a transaction nothing needs to reach the file system until it ends (as PGlite's own
    // transactions do); a statement outside one, or a COMMIT, is synced as query() syncs it.
    const { messages } = await pg.execProtocol(message, { syncToFs: false });
    if (!pg.isInTransaction()) await pg.syncToFs();
    // The statement's result is the last (a BEGIN sent before it has its own, empty one).
    return parse.parseResults(messages, pg.parsers).at(-1) as Results<R>;
  });
}
