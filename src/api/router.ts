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
import type { Ctx, EndpointCache } from '../storage/context.ts';
import type { Db } from '../storage/database.ts';
import { isKeyTaken, lockAndFindKey, storeResponse, storeResponseStatement } from '../storage/idempotency-keys.ts';
import { isStalePlanError } from '../storage/prepared-pool.ts';
import { findObjectText } from '../storage/objects.ts';
import { UnitOfWork } from '../storage/unit-of-work.ts';
import { WEBHOOK_CHANNEL } from '../events/outbox.ts';
import { applyExpand } from './expand.ts';

export interface ApiEnv {
  Variables: {
    requestId: string;
    livemode: boolean;
    params: Decoded;
  };
}

export type ApiObject = Record<string, any>;

/**
 * Thrown by a write handler whose changes must be kept although the request fails (a declined
 * payment recorded on its invoice): the transaction commits, then the request answers with `error`,
 * and an idempotency key replays that answer.
 */
export class CommitThenFail extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = 'CommitThenFail';
  }
}
export type Handler = (ctx: Ctx, params: Decoded, c: Context<ApiEnv>) => Promise<ApiObject>;

/**
 * How a write's answer is kept for its idempotency key, for answers that carry a secret (a portal
 * session's URL): `storeAs` gives what is stored instead of the answer, and `onReplay` turns a stored
 * answer back into one to send (in the replaying request's transaction).
 */
export interface ReplayOptions {
  storeAs(answer: ApiObject): ApiObject;
  onReplay(ctx: Ctx, stored: ApiObject): Promise<ApiObject>;
}

/**
 * A GET by id whose answer is the stored object unchanged (`/v1/<things>/:id` whose handler returns
 * the stored `data` as is): with no params and no `expand`, the stored JSON text is sent as it is, one
 * primary-key lookup and no parse or serialize. Anything else (params, expand, a deleted or missing
 * object) runs the handler, so errors and stubs stay the handler's.
 */
export interface StoredRead {
  /** The stored object type (`objects.object`). */
  object: string;
}

/** Every stored read registered, by path (for the test that compares them with their handlers). */
export const storedReads = new Map<string, StoredRead>();

/**
 * `unitOfWork`: the write runs through a unit of work (storage/unit-of-work.ts) on its ctx: reads by id
 * come from its identity map, and its inserts, updates, events and billing periods are written with a
 * few multi-row statements after the handler (and `expand`), before the idempotency record and COMMIT.
 * For writes that read and change the same objects many times (a subscription with its first invoice).
 */
export interface WriteOptions {
  unitOfWork?: boolean;
}

export interface Routes {
  get(path: string, handler: Handler, stored?: StoredRead): void;
  post(path: string, handler: Handler, replay?: ReplayOptions, opts?: WriteOptions): void;
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

/**
 * Runs a write transaction again, once, when a prepared statement met a schema change another process
 * made (storage/prepared-pool.ts): the transaction rolled back entirely, so running it again is safe.
 */
async function retryStalePlan<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isStalePlanError(err)) throw err;
    return run();
  }
}

function isEmpty(params: Decoded): boolean {
  for (const _ in params) return false;
  return true;
}

function jsonResponse(c: Context<ApiEnv>, status: number, body: string, replayed = false): Response {
  c.header('Content-Type', 'application/json');
  if (replayed) c.header('Idempotent-Replayed', 'true');
  return c.body(body, status as 200);
}

export function createRoutes(
  app: Hono<ApiEnv>,
  deps: { db: Db; clock: Clock; endpoints?: EndpointCache; hashKeys: { test: string; live: string } },
): Routes {
  const ctxFor = (c: Context<ApiEnv>, db: Ctx['db'], idempotencyKey: string | null): Ctx => ({
    db,
    livemode: c.var.livemode,
    clock: deps.clock,
    request: { id: c.var.requestId, idempotencyKey },
    ...(deps.endpoints ? { endpoints: deps.endpoints } : {}),
  });

  const read = (handler: Handler, stored?: StoredRead) => async (c: Context<ApiEnv>) => {
    const ctx = ctxFor(c, deps.db, null);
    if (stored && isEmpty(c.var.params)) {
      const text = await findObjectText(ctx, stored.object, pathParam(c, 'id'));
      if (text !== undefined) return jsonResponse(c, 200, text);
    }
    const { expand, rest } = splitExpand(c.var.params);
    const obj = await handler(ctx, rest, c);
    return jsonResponse(c, 200, JSON.stringify(await applyExpand(ctx, obj, expand)));
  };

  const write = (handler: Handler, replay?: ReplayOptions, opts: WriteOptions = {}) => async (c: Context<ApiEnv>) => {
    const key = c.req.method === 'POST' ? c.req.header('idempotency-key') : undefined;
    if (key !== undefined && key.length > 255) throw errors.idempotencyKeyTooLong();
    const { expand, rest } = splitExpand(c.var.params);
    const hash =
      key === undefined
        ? ''
        : requestHash(c.var.livemode ? deps.hashKeys.live : deps.hashKeys.test, c.req.method, c.req.path, c.var.params);
    type Outcome = { body: string; replayed?: boolean; status?: number } | { failed: ApiError };
    /** Writes the unit's changes and the key's answer: in the unit's flush, one statement for a small write. */
    const finish = async (ctx: Ctx, uow: UnitOfWork | undefined, status: number, stored: string): Promise<void> => {
      if (uow) await uow.flush(ctx.db, key === undefined ? [] : [storeResponseStatement(ctx, key, hash, status, stored)]);
      else if (key !== undefined) await storeResponse(ctx, key, hash, status, stored);
    };

    let outcome: Outcome;
    try {
      outcome = await retryStalePlan(() => deps.db.transaction().execute(async (tx): Promise<Outcome> => {
        const plain = ctxFor(c, tx, key ?? null);
        // A unit per attempt: a retried transaction (retryStalePlan) starts from nothing.
        const uow = opts.unitOfWork ? new UnitOfWork(WEBHOOK_CHANNEL) : undefined;
        const ctx: Ctx = uow ? { ...plain, uow } : plain;
        if (key !== undefined) {
          const found = await lockAndFindKey(ctx, key, hash);
          if (found.kind === 'in_use') throw errors.idempotencyInUse(key);
          if (found.kind === 'mismatch') throw errors.idempotencyMismatch(key);
          if (found.kind === 'replay') {
            const body = replay && found.status === 200 ? JSON.stringify(await replay.onReplay(plain, JSON.parse(found.body))) : found.body;
            return { body, status: found.status, replayed: true };
          }
        }
        let obj: ApiObject;
        try {
          obj = await handler(ctx, rest, c);
        } catch (err) {
          if (!(err instanceof CommitThenFail)) throw err;
          // Keep the changes (and the answer, for the key) and fail once committed.
          await finish(ctx, uow, err.error.status, JSON.stringify({ error: err.error.body }));
          return { failed: err.error };
        }
        const answer = await applyExpand(ctx, obj, expand);
        const body = JSON.stringify(answer);
        await finish(ctx, uow, 200, replay ? JSON.stringify(replay.storeAs(answer)) : body);
        return { body };
      }));
    } catch (err) {
      // Another request with the key committed its answer while this one ran: that answer stands.
      if (key !== undefined && isKeyTaken(err)) throw errors.idempotencyInUse(key);
      // The change rolled back. A request that executed (e.g. a declined card) keeps its answer for
      // the key; one that failed validation, lost a race or broke leaves the key unused for a retry.
      if (key !== undefined && !isValidationFailure(err)) {
        const e = err as ApiError;
        await storeResponse(ctxFor(c, deps.db, key), key, hash, e.status, JSON.stringify({ error: e.body })).catch((stored) => {
          if (!isKeyTaken(stored)) throw stored;
        });
      }
      throw err;
    }
    if ('failed' in outcome) throw outcome.failed;
    return jsonResponse(c, outcome.status ?? 200, outcome.body, outcome.replayed === true);
  };

  return {
    get: (path, h, stored) => {
      if (stored) storedReads.set(path, stored);
      app.get(path, read(h, stored));
    },
    post: (path, h, replay, opts) => void app.post(path, write(h, replay, opts)),
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
