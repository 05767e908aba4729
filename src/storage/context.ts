/**
 * The unit of work every domain function receives: where to read and write (the database or the
 * request's open transaction), which mode's data it may see, what time it is, and which API request
 * (if any) caused it, for the events it writes.
 */
import type { Clock } from '../lib/clock.ts';
import type { Executor } from './database.ts';
import type { UnitOfWork } from './unit-of-work.ts';

export interface RequestInfo {
  id: string | null;
  idempotencyKey: string | null;
}

export interface Ctx {
  readonly db: Executor;
  readonly livemode: boolean;
  readonly clock: Clock;
  readonly request: RequestInfo;
  /**
   * A unit of work (the billing clock's batch, or an API write registered with `unitOfWork`), when
   * set: object reads by id and writes, events and billing periods go through it and are written when
   * it is flushed (see unit-of-work.ts).
   */
  readonly uow?: UnitOfWork;
  /**
   * The process's cache of webhook endpoints, when the caller has one (the API does): events are then
   * routed from it, guarded by the endpoints' version (events/endpoint-cache.ts).
   */
  readonly endpoints?: EndpointCache;
}

/** A mode's enabled webhook endpoints as read at `version` of `webhook_endpoint_versions`. */
export interface CachedEndpoints {
  version: number;
  endpoints: ReadonlyArray<{ id: string; enabled_events: readonly string[] }>;
}

/** Where the outbox keeps the endpoints between requests (events/endpoint-cache.ts makes one). */
export interface EndpointCache {
  get(livemode: boolean): CachedEndpoints | undefined;
  set(livemode: boolean, value: CachedEndpoints): void;
  forget(livemode: boolean): void;
}

/** The same context on another executor (e.g. inside a transaction). */
export function withDb(ctx: Ctx, db: Executor): Ctx {
  return { ...ctx, db };
}
