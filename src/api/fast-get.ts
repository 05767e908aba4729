/**
 * `GET /v1/<things>/<id>` of a stored read (api/router.ts `StoredRead`), answered in the Node request
 * listener, below Hono.
 *
 * Why: the Hono route already sends the stored JSON text as is with one primary-key statement, yet it
 * reached only 0.47 of limit R on PostgreSQL (6,154/s against a bare node:http server doing that
 * statement): about 12 % of the CPU under load went to Hono's request, context and routing and the two
 * `/v1/*` middlewares, 5 % to building the Kysely query. Here the plain case — no query string, no body,
 * a valid key, a well-formed or absent Stripe-Version — runs the one precompiled statement
 * (storage/objects.ts `findObjectText`) and writes the stored text with the headers the Hono route sends
 * (Request-Id, Stripe-Version, Cache-Control, Content-Type, Content-Length, and HSTS on an https
 * deployment). Measured on PostgreSQL (10 connections, the same run as limit R, load average about 20
 * on 2 cores): Portico's process CPU per GET went from 1.9–2.3 times limit R's to 1.2–1.6 times; what
 * is left is mostly the two `writev` calls both servers make, and Kysely's and the pool's layers.
 *
 * Everything else goes to Hono untouched, which answers it as before, errors included: another method or
 * path, a query string, a request body, an odd or repeated Host, Authorization or Stripe-Version, a bad
 * key or version, an id another GET route of that path names (`/v1/customers/search`), a missing,
 * deleted or other-type object (its lookup then runs twice) and any database error.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { API_VERSION } from '../events/outbox.ts';
import type { AccountKeys } from '../storage/accounts.ts';
import type { Db } from '../storage/database.ts';
import { findObjectText } from '../storage/objects.ts';
import { HSTS, sendsHsts } from '../web/foundation/http/security.ts';
import { API_CACHE_CONTROL, newRequestId, VERSION_PATTERN } from './app.ts';
import { keyFromAuthorization, makeAuthenticator } from './auth.ts';
import { storedReads } from './router.ts';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface FastGetDeps {
  db: Db;
  keys: AccountKeys;
  /** The app's routes (Hono's `app.routes`): which stored reads it serves, and what else they share a path with. */
  routes: ReadonlyArray<{ method: string; path: string }>;
  publicUrl: () => string;
}

export interface FastGet {
  /** `next` with the plain stored-read GETs answered before it. */
  wrap(next: RequestListener): RequestListener;
  /** How many requests were answered here (the tests and the bench check that this path is taken). */
  readonly served: number;
}

const PATH = /^\/v1\/([a-z_]+)\/([A-Za-z0-9_]{1,255})$/;
/** The Host values `@hono/node-server` takes as they are (its `reValidHost`); it checks any other. */
const HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;

interface Plain {
  object: string;
  id: string;
  livemode: boolean;
  version: string;
}

export function createFastGet(deps: FastGetDeps): FastGet {
  const authenticate = makeAuthenticator(deps.keys);
  // `<things>` → the stored object type of `/v1/<things>/:id`, and the ids other GET routes there name.
  const reads = new Map<string, { object: string; taken: Set<string> }>();
  for (const route of deps.routes) {
    const stored = route.method === 'GET' ? storedReads.get(route.path) : undefined;
    const m = stored && /^\/v1\/([a-z_]+)\/:id$/.exec(route.path);
    if (m) reads.set(m[1]!, { object: stored.object, taken: new Set() });
  }
  for (const route of deps.routes) {
    const m = (route.method === 'GET' || route.method === 'ALL') && /^\/v1\/([a-z_]+)\/([^/:*]+)$/.exec(route.path);
    if (m) reads.get(m[1]!)?.taken.add(m[2]!);
  }

  /** What a request asks for when it is the plain case, else null (Hono answers it). */
  const plain = (req: IncomingMessage): Plain | null => {
    if (req.method !== 'GET') return null;
    const m = PATH.exec(req.url ?? '');
    const read = m ? reads.get(m[1]!) : undefined;
    if (!read || read.taken.has(m![2]!)) return null;
    let host: string | undefined;
    let authorization: string | undefined;
    let version: string | undefined;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      if (name.length === 4 && name.toLowerCase() === 'host') {
        if (host !== undefined) return null;
        host = value;
      } else if (name.length === 13 && name.toLowerCase() === 'authorization') {
        if (authorization !== undefined) return null;
        authorization = value;
      } else if (name.length === 14) {
        const lower = name.toLowerCase();
        if (lower === 'stripe-version') {
          if (version !== undefined) return null;
          version = value;
        } else if (lower === 'content-length' && value !== '0') return null;
      } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return null;
    }
    if (host === undefined || !HOST.test(host)) return null;
    if (version !== undefined && !VERSION_PATTERN.test(version)) return null;
    let livemode: boolean;
    try {
      livemode = authenticate(keyFromAuthorization(authorization));
    } catch {
      return null;
    }
    return { object: read.object, id: m![2]!, livemode, version: version ?? API_VERSION };
  };

  const answer = (res: ServerResponse, ask: Plain, text: string): void => {
    const headers: OutgoingHttpHeaders = {
      'request-id': newRequestId(),
      'stripe-version': ask.version,
      'cache-control': API_CACHE_CONTROL,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    };
    if (sendsHsts(deps.publicUrl())) headers['strict-transport-security'] = HSTS;
    res.writeHead(200, headers).end(text);
    fast.served++;
  };

  const fast = {
    served: 0,
    wrap(next: RequestListener): RequestListener {
      return (req, res) => {
        const ask = plain(req);
        if (!ask) return next(req, res);
        return findObjectText({ db: deps.db, livemode: ask.livemode }, ask.object, ask.id).then(
          (text) => (text === undefined ? next(req, res) : answer(res, ask, text)),
          () => next(req, res),
        );
      };
    },
  };
  return fast;
}
