/**
 * The `/v1` API, mounted on the server's one Hono app: request id, Stripe-Version, authentication,
 * parameter decoding, the resource routes, and the one error handler that renders every failure under
 * `/v1` as a Stripe error body.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Clock } from '../lib/clock.ts';
import { ApiError, errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { decodeBody, decodeParams } from '../lib/params.ts';
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
  /** Where unexpected errors are reported (default: stderr). */
  logError?: (err: unknown, requestId: string) => void;
}

const MAX_BODY_BYTES = 1024 * 1024;
const VERSION_PATTERN = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

function errorResponse(c: Context<ApiEnv>, err: ApiError): Response {
  return c.json({ error: err.body }, err.status as 400);
}

/** Registers the API's middleware and routes under `/v1` on `app`; returns its error handlers. */
export function mountApi(app: Hono<ApiEnv>, deps: ApiDeps): ApiHandlers {
  const authenticate = makeAuthenticator(deps.keys);
  const logError =
    deps.logError ?? ((err: unknown, id: string) => console.error(`[portico] ${id} unexpected error:`, err));

  app.use('/v1/*', async (c, next) => {
    const requestId = `req_${newId('request').slice(4, 18)}`;
    c.set('requestId', requestId);
    c.header('Request-Id', requestId);
    const version = c.req.header('stripe-version');
    c.header('Stripe-Version', version && VERSION_PATTERN.test(version) ? version : API_VERSION);
    c.header('Cache-Control', 'no-cache, no-store');
    if (version !== undefined && !VERSION_PATTERN.test(version)) throw errors.invalidApiVersion(version);
    const livemode = authenticate(keyFromAuthorization(c.req.header('authorization')));
    c.set('livemode', livemode);
    await next();
  });

  // Only POST bodies are read; a GET or DELETE body is ignored, so it is not worth wrapping.
  app.on(
    'POST',
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        // The rest of the body is never read: the connection cannot carry another request.
        c.header('Connection', 'close');
        return errorResponse(c as Context<ApiEnv>, errors.bodyTooLarge());
      },
    }),
  );

  app.use('/v1/*', async (c, next) => {
    const url = c.req.url;
    const q = url.indexOf('?');
    const query = q >= 0 ? decodeParams(url.slice(q + 1)) : {};
    let params = query;
    if (isFileUpload(c)) {
      params = Object.assign(Object.create(null), query, await readUpload(c));
    } else if (c.req.method === 'POST') {
      const body = decodeBody(new Uint8Array(await c.req.arrayBuffer()));
      params = Object.assign(Object.create(null), query, body);
    }
    c.set('params', params);
    await next();
  });

  registerResources(
    createRoutes(app, {
      db: deps.db,
      clock: deps.clock,
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
