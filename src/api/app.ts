/**
 * The `/v1` API, mounted on the server's one Hono app: request id, Stripe-Version, authentication,
 * parameter decoding, the resource routes, and the one error handler that renders every failure under
 * `/v1` as a Stripe error body.
 */
import { Hono, type Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import { HTTPException } from 'hono/http-exception';
import type { Clock } from '../lib/clock.ts';
import { ApiError, errors } from '../lib/errors.ts';
import { randomBase62 } from '../lib/ids.ts';
import { decodeBody, decodeParams } from '../lib/params.ts';
import type { EndpointCache } from '../storage/context.ts';
import type { Db } from '../storage/database.ts';
import { API_VERSION } from '../events/outbox.ts';
import { keyFromAuthorization, makeAuthenticator } from './auth.ts';
import type { AccountKeys } from '../storage/accounts.ts';
import { registerResources } from './resources/index.ts';
import { isFileUpload, readUpload } from './resources/files.ts';
import { createRoutes, type ApiEnv } from './router.ts';

export interface ApiDeps {
  db: Db;
  clock: Clock;
  keys: AccountKeys;
  /** The process's webhook-endpoint cache (events/endpoint-cache.ts); without one, writes read them. */
  endpoints?: EndpointCache;
  /** Where unexpected errors are reported (default: stderr). */
  logError?: (err: unknown, requestId: string) => void;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** A well-formed Stripe-Version; any other value is refused. */
export const VERSION_PATTERN = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;
/** Every `/v1` answer's Cache-Control. */
export const API_CACHE_CONTROL = 'no-cache, no-store';

/** A request's id: random, as Stripe's (nothing in it counts the requests or objects made before it). */
export const newRequestId = (): string => `req_${randomBase62(14)}`;

const TOO_LARGE = errors.bodyTooLarge();

/**
 * The request body, at most `max` bytes (else `TOO_LARGE`). On the Node server it is read straight
 * from the socket's stream (Hono's web-stream body costs about 0.2 ms of CPU a request); elsewhere
 * (`app.request()` in tests) from the web stream, with the same limit.
 */
async function readBody(c: Context, max: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length'));
  if (declared > max) throw TOO_LARGE;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && typeof incoming.on === 'function' && !incoming.readableDidRead) {
    return new Promise<Uint8Array>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const stop = () => {
        incoming.off('data', onData);
        incoming.off('end', onEnd);
        incoming.off('error', onError);
        incoming.off('aborted', onAborted);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          stop();
          reject(TOO_LARGE);
        } else chunks.push(chunk);
      };
      const onEnd = () => {
        stop();
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      };
      const onError = (err: Error) => {
        stop();
        reject(err);
      };
      const onAborted = () => onError(new Error('request aborted'));
      incoming.on('data', onData);
      incoming.on('end', onEnd);
      incoming.on('error', onError);
      incoming.on('aborted', onAborted);
    });
  }
  const reader = c.req.raw.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw TOO_LARGE;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

function errorResponse(c: Context<ApiEnv>, err: ApiError): Response {
  return c.json({ error: err.body }, err.status as 400);
}

/** Registers the API's middleware and routes under `/v1` on `app`; returns its error handlers. */
export function mountApi(app: Hono<ApiEnv>, deps: ApiDeps): ApiHandlers {
  const authenticate = makeAuthenticator(deps.keys);
  const logError =
    deps.logError ?? ((err: unknown, id: string) => console.error(`[portico] ${id} unexpected error:`, err));

  app.use('/v1/*', async (c, next) => {
    const requestId = newRequestId();
    c.set('requestId', requestId);
    c.header('Request-Id', requestId);
    const version = c.req.header('stripe-version');
    c.header('Stripe-Version', version && VERSION_PATTERN.test(version) ? version : API_VERSION);
    c.header('Cache-Control', API_CACHE_CONTROL);
    if (version !== undefined && !VERSION_PATTERN.test(version)) throw errors.invalidApiVersion(version);
    const livemode = authenticate(keyFromAuthorization(c.req.header('authorization')));
    c.set('livemode', livemode);
    await next();
  });

  app.use('/v1/*', async (c, next) => {
    const url = c.req.url;
    const q = url.indexOf('?');
    const query = q >= 0 ? decodeParams(url.slice(q + 1)) : {};
    let params = query;
    // Only POST bodies are read; a GET or DELETE body is ignored. Files arrive as multipart/form-data.
    if (isFileUpload(c)) {
      params = Object.assign(Object.create(null), query, await readUpload(c));
    } else if (c.req.method === 'POST') {
      let raw: Uint8Array;
      try {
        raw = await readBody(c, MAX_BODY_BYTES);
      } catch (err) {
        // The rest of the body is never read: the connection cannot carry another request.
        if (err === TOO_LARGE) c.header('Connection', 'close');
        throw err;
      }
      params = Object.assign(Object.create(null), query, decodeBody(raw));
    }
    c.set('params', params);
    await next();
  });

  registerResources(
    createRoutes(app, {
      db: deps.db,
      clock: deps.clock,
      ...(deps.endpoints ? { endpoints: deps.endpoints } : {}),
      hashKeys: { test: deps.keys.testSecretKey, live: deps.keys.liveSecretKey },
    }),
  );

  return {
    notFound: (c) => errorResponse(c, errors.unrecognizedUrl(c.req.method, c.req.path)),
    onError: (err, c) => {
      if (err instanceof ApiError) return errorResponse(c, err);
      if (err instanceof HTTPException && err.status < 500) {
        return errorResponse(c, errors.invalidRequest(err.message || 'Invalid request.'));
      }
      logError(err, c.var.requestId ?? 'req_unknown');
      return errorResponse(c, errors.internal());
    },
  };
}

export interface ApiHandlers {
  notFound: (c: Context<ApiEnv>) => Response;
  onError: (err: Error, c: Context<ApiEnv>) => Response;
}
