/**
 * The overview's numbers for one mode, read with a few aggregate queries (no objects loaded):
 * active subscriptions; MRR by currency (each active item's unit amount × quantity brought to a month:
 * ×1 monthly, ÷12 yearly, ×52/12 weekly, ×365/12 daily, ÷ interval_count; summed exactly in SQL
 * `numeric` and rounded half-up to the minor unit once per currency); subscriptions created and
 * canceled per day over the last 30 days; the cancellation reasons customers gave; failed payments
 * (`invoice.payment_failed` events) and failed webhook attempts per day.
 */
import { sql } from 'kysely';
import type { Ctx } from '../../storage/context.ts';

export interface Overview {
  activeSubscriptions: number;
  mrr: { currency: string; amount: number }[];
  /** 30 entries, oldest first: the day's start (unix seconds) and counts. */
  days: { day: number; created: number; canceled: number; failedPayments: number; webhookFailures: number }[];
  reasons: { reason: string; count: number }[];
}

const DAY = 86400;
const ACTIVE = sql`('active', 'trialing', 'past_due')`;

export async function loadOverview(ctx: Ctx): Promise<Overview> {
  const now = ctx.clock.now();
  const today = Math.floor(now / DAY) * DAY;
  const since = today - 29 * DAY;
  const mode = ctx.livemode;
  const [active, mrr, created, canceled, reasons, failed, hooks] = await Promise.all([
    sql<{ n: string }>`select count(*) as n from objects
      where livemode = ${mode} and object = 'subscription' and not deleted and data->>'status' in ${ACTIVE}`.execute(ctx.db),
    sql<{ currency: string; amount: string }>`select i->'price'->>'currency' as currency,
        round(sum((i->'price'->>'unit_amount')::numeric * (i->>'quantity')::numeric
          * case i->'price'->'recurring'->>'interval' when 'year' then 1/12::numeric when 'week' then 52/12::numeric
                 when 'day' then 365/12::numeric else 1 end
          / greatest(coalesce((i->'price'->'recurring'->>'interval_count')::numeric, 1), 1))) as amount
      from objects, json_array_elements(data->'items'->'data') as i
      where livemode = ${mode} and object = 'subscription' and not deleted and data->>'status' in ${ACTIVE}
        and i->'price'->>'unit_amount' is not null
      group by 1 order by 1`.execute(ctx.db),
    sql<{ day: string; n: string }>`select (created / ${DAY}) * ${DAY} as day, count(*) as n from objects
      where livemode = ${mode} and object = 'subscription' and created >= ${since} group by 1`.execute(ctx.db),
    sql<{ day: string; n: string }>`select ((data->>'canceled_at')::bigint / ${DAY}) * ${DAY} as day, count(*) as n from objects
      where livemode = ${mode} and object = 'subscription' and data->>'status' = 'canceled'
        and (data->>'canceled_at')::bigint >= ${since} group by 1`.execute(ctx.db),
    sql<{ reason: string; n: string }>`select data->'cancellation_details'->>'feedback' as reason, count(*) as n from objects
      where livemode = ${mode} and object = 'subscription' and data->'cancellation_details'->>'feedback' is not null
      group by 1 order by 2 desc, 1`.execute(ctx.db),
    sql<{ day: string; n: string }>`select (created / ${DAY}) * ${DAY} as day, count(*) as n from events
      where livemode = ${mode} and type = 'invoice.payment_failed' and created >= ${since} group by 1`.execute(ctx.db),
    sql<{ day: string; n: string }>`select (a.attempted_at / ${DAY}) * ${DAY} as day, count(*) as n
      from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
      where d.livemode = ${mode} and a.attempted_at >= ${since}
        and (a.status_code is null or a.status_code < 200 or a.status_code >= 300) group by 1`.execute(ctx.db),
  ]);
  const byDay = (rows: { day: string; n: string }[]) => new Map(rows.map((r) => [Number(r.day), Number(r.n)]));
  const [c, x, f, w] = [byDay(created.rows), byDay(canceled.rows), byDay(failed.rows), byDay(hooks.rows)];
  const days = Array.from({ length: 30 }, (_, i) => {
    const day = since + i * DAY;
    return { day, created: c.get(day) ?? 0, canceled: x.get(day) ?? 0, failedPayments: f.get(day) ?? 0, webhookFailures: w.get(day) ?? 0 };
  });
  return {
    activeSubscriptions: Number(active.rows[0]?.n ?? 0),
    mrr: mrr.rows.map((r) => ({ currency: r.currency, amount: Number(r.amount) })),
    days,
    reasons: reasons.rows.map((r) => ({ reason: r.reason, count: Number(r.n) })),
  };
}
