/**
 * The webhook delivery worker.
 *
 * A pass claims up to `batchSize` due deliveries in one statement (`FOR UPDATE SKIP LOCKED`, so any
 * number of workers share the table) and leases them by moving `next_attempt_at` past the time the
 * batch's attempts can take (see `leaseSeconds`): a worker that dies mid-attempt loses nothing, the
 * lease expires and another worker retries (at-least-once). Each event is POSTed as
 * `application/json; charset=utf-8` with a `Stripe-Signature` made at delivery time. A 2xx within the
 * timeout is delivered; anything else is retried on the schedule below until 3 days after the event,
 * then marked failed. Every attempt is recorded with its status code, a trimmed response body and its
 * duration. Outcomes are written only if the delivery still carries this worker's claim (its attempt
 * number), so a stale worker cannot overwrite a newer one.
 *
 * Retry schedule: after the n-th failed attempt, wait min(60 s · 2^(n−1), 12 h) plus up to 10 % jitter.
 */
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../storage/database.ts';
import { objectsByIds } from '../storage/objects.ts';
import type { ObjectRow } from '../storage/schema.ts';
import { ENDPOINT_OBJECT } from './webhook-endpoints.ts';
import { signatureHeader } from './signing.ts';

export const RETRY_WINDOW_SECONDS = 3 * 24 * 60 * 60;
const MAX_BACKOFF_SECONDS = 12 * 60 * 60;
const RESPONSE_BODY_LIMIT = 1000;

/** Seconds to wait after the `attempt`-th failure (1-based), before jitter. */
export function backoffSeconds(attempt: number): number {
  return Math.min(60 * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_SECONDS);
}

export interface DeliveryReport {
  deliveryId: number;
  eventId: string;
  eventType: string;
  endpointId: string;
  url: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  outcome: 'delivered' | 'retry' | 'failed' | 'canceled';
}

export interface DeliveryWorkerOptions {
  db: Db;
  clock: Clock;
  /** Subscribes to new-delivery notifications; returns the unsubscribe function. */
  subscribe?: (onNotify: () => void) => Promise<() => Promise<void>>;
  batchSize?: number;
  concurrency?: number;
  timeoutMs?: number;
  /** Poll interval when idle, for retries coming due and missed notifications. */
  pollMs?: number;
  random?: () => number;
  onDelivery?: (report: DeliveryReport) => void;
  onError?: (err: unknown) => void;
}

interface Claimed {
  id: number;
  livemode: boolean;
  event_id: string;
  endpoint_id: string;
  attempts: number;
  created: number;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_LIMIT);
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

export class DeliveryWorker {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly random: () => number;
  private stopped = true;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  /** Set by every notification; a pass clears it first, so one that lands during the pass is not lost. */
  private notified = false;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly opts: DeliveryWorkerOptions) {
    this.db = opts.db;
    this.clock = opts.clock;
    this.batchSize = opts.batchSize ?? 100;
    this.concurrency = opts.concurrency ?? 50;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 1000;
    this.random = opts.random ?? Math.random;
  }

  /**
   * Lease length: the whole batch must finish inside it. Attempts run `concurrency` at a time and none
   * outlives its timeout, so a batch takes less than ceil(batchSize / concurrency) + 1 timeouts; then a
   * margin for recording the outcome. (Defaults: 3 × 10 s + 5 s.)
   */
  private get leaseSeconds(): number {
    const rounds = Math.ceil(this.batchSize / this.concurrency) + 1;
    return Math.ceil((rounds * this.timeoutMs) / 1000) + 5;
  }

  /** Claims one batch of due deliveries and attempts them; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    const claimed = (
      await sql<Claimed>`
        update webhook_deliveries d
           set next_attempt_at = ${now + this.leaseSeconds}, attempts = d.attempts + 1
          from (select id from webhook_deliveries
                 where status = 'pending' and next_attempt_at <= ${now}
                 order by next_attempt_at, id
                 limit ${this.batchSize}
                 for update skip locked) due
         where d.id = due.id
        returning d.id, d.livemode, d.event_id, d.endpoint_id, d.attempts, d.created`.execute(this.db)
    ).rows;
    if (claimed.length === 0) return 0;

    const eventIds = [...new Set(claimed.map((c) => c.event_id))];
    const events = new Map(
      (
        await this.db
          .selectFrom('events')
          .select(['id', 'type', sql<string>`data::text`.as('body')])
          .where('id', 'in', eventIds)
          .execute()
      ).map((e) => [e.id, e]),
    );
    const endpoints = new Map<string, ObjectRow>();
    for (const livemode of [false, true]) {
      const ids = [...new Set(claimed.filter((c) => c.livemode === livemode).map((c) => c.endpoint_id))];
      for (const row of await objectsByIds(this.db, livemode, ids)) if (row.object === ENDPOINT_OBJECT) endpoints.set(row.id, row);
    }

    const outcomes: { claim: Claimed; report: DeliveryReport; responseBody: string | null; next: number | null }[] = [];
    await eachLimited(claimed, this.concurrency, async (claim) => {
      const event = events.get(claim.event_id);
      const endpoint = endpoints.get(claim.endpoint_id);
      const base = {
        deliveryId: claim.id,
        eventId: claim.event_id,
        eventType: event?.type ?? 'unknown',
        endpointId: claim.endpoint_id,
        url: endpoint?.data.url ?? '',
        attempt: claim.attempts,
      };
      if (!event || !endpoint || endpoint.deleted || endpoint.data.status !== 'enabled') {
        outcomes.push({
          claim,
          report: { ...base, statusCode: null, error: 'endpoint disabled or deleted', durationMs: 0, outcome: 'canceled' },
          responseBody: null,
          next: null,
        });
        return;
      }
      const started = performance.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      let responseBody: string | null = null;
      try {
        const res = await fetch(endpoint.data.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'User-Agent': 'Portico/1.0 (+webhooks)',
            'Stripe-Signature': signatureHeader(String(endpoint.private.secret), event.body, this.clock.now()),
          },
          body: event.body,
        });
        statusCode = res.status;
        responseBody = await readCapped(res);
      } catch (err) {
        error = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err).slice(0, 500);
      }
      const durationMs = Math.round(performance.now() - started);
      const ok = statusCode !== null && statusCode >= 200 && statusCode < 300 && error === null;
      const now = this.clock.now();
      let next: number | null = null;
      let outcome: DeliveryReport['outcome'] = 'delivered';
      if (!ok) {
        const delay = backoffSeconds(claim.attempts);
        const at = now + delay + Math.floor(this.random() * delay * 0.1);
        if (at > claim.created + RETRY_WINDOW_SECONDS) outcome = 'failed';
        else {
          outcome = 'retry';
          next = at;
        }
      }
      outcomes.push({ claim, report: { ...base, statusCode, error, durationMs, outcome }, responseBody, next });
    });
    await this.record(outcomes);
    for (const o of outcomes) this.opts.onDelivery?.(o.report);
    return claimed.length;
  }

  private async record(
    outcomes: { claim: Claimed; report: DeliveryReport; responseBody: string | null; next: number | null }[],
  ): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const attempted = outcomes.filter((o) => o.report.outcome !== 'canceled');
      if (attempted.length > 0) {
        await tx
          .insertInto('webhook_attempts')
          .values(
            attempted.map((o) => ({
              delivery_id: o.claim.id,
              attempted_at: now,
              duration_ms: o.report.durationMs,
              status_code: o.report.statusCode,
              error: o.report.error,
              response_body: o.responseBody,
            })),
          )
          .execute();
      }
      // Each row is updated only while it still carries this claim (same attempt number).
      const rows = outcomes.map(
        (o) =>
          sql`(${o.claim.id}::bigint, ${o.claim.attempts}::integer, ${o.report.outcome === 'retry' ? 'pending' : o.report.outcome}::text, ${o.next}::bigint)`,
      );
      await sql`
        update webhook_deliveries d
           set status = v.status,
               next_attempt_at = coalesce(v.next, d.next_attempt_at),
               delivered_at = case when v.status = 'delivered' then ${now}::bigint else d.delivered_at end
          from (values ${sql.join(rows)}) as v(id, attempts, status, next)
         where d.id = v.id and d.attempts = v.attempts and d.status = 'pending'`.execute(tx);
    });
  }

  /** Attempts everything due now, batch after batch, until nothing is due (tests, `portico listen`). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      total += n;
      if (n === 0) return total;
    }
  }

  /** Starts the background loop: woken by notifications, polling every `pollMs` otherwise. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe =
      (await this.opts.subscribe?.(() => {
        this.notified = true;
        this.wake?.();
      })) ?? null;
    this.loop = (async () => {
      while (!this.stopped) {
        let n = 0;
        this.notified = false;
        try {
          n = await this.runOnce();
        } catch (err) {
          (this.opts.onError ?? ((e) => console.error('[portico] webhook worker:', e)))(err);
        }
        // A change that committed after this pass's claim began is looked for now, not a poll later.
        if (n > 0 || this.notified || this.stopped) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.wake = null;
            resolve();
          }, this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            this.wake = null;
            resolve();
          };
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
