/**
 * How a resource module declares its endpoints. A handler receives a unit of work (`Ctx`), the decoded
 * params without `expand` (applied here, to the handler's result) and the Hono context. Reads run on
 * the database; writes (POST, DELETE) run in one transaction together with their events and their
 * idempotency record, so a crash leaves either all of it or none.
 */
import { createHmac } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { ApiError, errors } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { p, type Decoded } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import type { Db } from '../storage/database.ts';
import { claimKey, releaseKey, storeResponse } from '../storage/idempotency-keys.ts';
import { applyExpand } from './expand.ts';

export interface ApiEnv {
  Variables: {
    requestId: string;
    livemode: boolean;
    params: Decoded;
  };
}

export type ApiObject = Record<string, any>;
export type Handler = (ctx: Ctx, params: Decoded, c: Context<ApiEnv>) => Promise<ApiObject>;

export interface Routes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
  delete(path: string, handler: Handler): void;
}

const expandParam = p.array(p.string({ max: 5000 }), { max: 100 });

function splitExpand(params: Decoded): { expand: string[]; rest: Decoded } {
  const { expand, ...rest } = params;
  return { expand: expand === undefined ? [] : expandParam.parse(expand, 'expand'), rest };
}

/**
 * What makes two requests "the same" for an idempotency key: an HMAC (keyed with the mode's secret
 * key, so a stored hash reveals nothing about the params, card numbers included) of the canonical JSON.
 */
function requestHash(secret: string, method: string, path: string, params: Decoded): string {
  const canonical = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Decoded)[k])]))
      : Array.isArray(v)
        ? v.map(canonical)
        : v;
  return createHmac('sha256', secret).update(JSON.stringify([method, path, canonical(params)])).digest('hex');
}

/** Errors that mean "nothing was executed": the key is given back so a corrected retry may use it. */
function isValidationFailure(err: unknown): boolean {
  return !(err instanceof ApiError) || err.status === 400 || err.status === 401 || err.status === 409 || err.status === 429;
}

function jsonResponse(c: Context<ApiEnv>, status: number, body: string, replayed = false): Response {
  c.header('Content-Type', 'application/json');
  if (replayed) c.header('Idempotent-Replayed', 'true');
  return c.body(body, status as 200);
}

export function createRoutes(
  app: Hono<ApiEnv>,
  deps: { db: Db; clock: Clock; hashKeys: { test: string; live: string } },
): Routes {
  const ctxFor = (c: Context<ApiEnv>, db: Ctx['db'], idempotencyKey: string | null): Ctx => ({
    db,
    livemode: c.var.livemode,
    clock: deps.clock,
    request: { id: c.var.requestId, idempotencyKey },
  });

  const read = (handler: Handler) => async (c: Context<ApiEnv>) => {
    const ctx = ctxFor(c, deps.db, null);
    const { expand, rest } = splitExpand(c.var.params);
    const obj = await handler(ctx, rest, c);
    return jsonResponse(c, 200, JSON.stringify(await applyExpand(ctx, obj, expand)));
  };

  const write = (handler: Handler) => async (c: Context<ApiEnv>) => {
    const key = c.req.method === 'POST' ? c.req.header('idempotency-key') : undefined;
    const { expand, rest } = splitExpand(c.var.params);
    const execute = () =>
      deps.db.transaction().execute(async (tx) => {
        const ctx = ctxFor(c, tx, key ?? null);
        const obj = await handler(ctx, rest, c);
        const body = JSON.stringify(await applyExpand(ctx, obj, expand));
        if (key !== undefined) await storeResponse(ctx, key, 200, body);
        return body;
      });
    if (key === undefined) return jsonResponse(c, 200, await execute());

    if (key.length > 255) throw errors.idempotencyKeyTooLong();
    const keyCtx = ctxFor(c, deps.db, key);
    const secret = c.var.livemode ? deps.hashKeys.live : deps.hashKeys.test;
    const claim = await claimKey(keyCtx, key, requestHash(secret, c.req.method, c.req.path, c.var.params));
    if (claim.kind === 'mismatch') throw errors.idempotencyMismatch(key);
    if (claim.kind === 'in_progress') throw errors.idempotencyInUse(key);
    if (claim.kind === 'replay') return jsonResponse(c, claim.status, claim.body, true);
    try {
      return jsonResponse(c, 200, await execute());
    } catch (err) {
      if (isValidationFailure(err)) {
        await releaseKey(keyCtx, key);
      } else {
        // The change rolled back, but the request did execute (e.g. a declined card): replay its answer.
        const e = err as ApiError;
        await storeResponse(keyCtx, key, e.status, JSON.stringify({ error: e.body }));
      }
      throw err;
    }
  };

  return {
    get: (path, h) => void app.get(path, read(h)),
    post: (path, h) => void app.post(path, write(h)),
    delete: (path, h) => void app.delete(path, write(h)),
  };
}

/** A path parameter of the matched route (always present: the route pattern declares it). */
export function pathParam(c: Context<ApiEnv>, name: string): string {
  const value = c.req.param(name) ?? '';
  if (value.includes('\u0000') || value.length > 5000) {
    throw errors.invalidRequest(`Invalid ${name}: ids are at most 5000 characters and contain no NUL.`, name);
  }
  return value;
}
