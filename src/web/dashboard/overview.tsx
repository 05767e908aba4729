/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** The overview (`/dashboard`): the mode's subscriptions, MRR, churn, failed payments and webhooks at a glance. */
import type { Hono } from 'hono';
import { formatMoney } from '../foundation/i18n/format.ts';
import type { DashEnv, DashKit } from './kit.tsx';
import { BarChart, CategoryChart } from './charts.tsx';
import { loadOverview } from './metrics.ts';
import { m } from './messages.ts';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export function registerOverview(dash: Hono<DashEnv>, kit: DashKit): void {
  dash.get('/', async (c) => {
    const o = await loadOverview(kit.ctx(c));
    const created = o.days.map((d) => d.created);
    const canceled = o.days.map((d) => d.canceled);
    const failed = o.days.map((d) => d.failedPayments);
    const hooks = o.days.map((d) => d.webhookFailures);
    return kit.html(
      c,
      m.nav.overview,
      <div class="grid">
        <section class="card" aria-labelledby="o-active">
          <h2 id="o-active">Active subscriptions</h2>
          <p class="stat" data-metric="active-subscriptions">{o.activeSubscriptions}</p>
        </section>
        <section class="card" aria-labelledby="o-mrr">
          <h2 id="o-mrr">Monthly recurring revenue</h2>
          {o.mrr.length === 0 ? <p class="muted">None yet.</p> : (
            <ul>{o.mrr.map((r) => <li class="stat" data-mrr={r.currency}>{formatMoney(r.amount, r.currency, 'en')}</li>)}</ul>
          )}
        </section>
        <section class="card" aria-labelledby="o-churn">
          <h2 id="o-churn">New and canceled subscriptions, 30 days</h2>
          <p>{sum(created)} new · <span class="legend-alt">{sum(canceled)} canceled</span></p>
          <BarChart label={`New subscriptions per day over 30 days: ${sum(created)} in all; canceled: ${sum(canceled)}.`} values={created} second={canceled} />
        </section>
        <section class="card" aria-labelledby="o-reasons">
          <h2 id="o-reasons">Cancellation reasons</h2>
          {o.reasons.length === 0 ? <p class="muted">No reasons given yet.</p> : (
            <CategoryChart label={o.reasons.map((r) => `${r.reason}: ${r.count}`).join(', ')} rows={o.reasons.map((r) => ({ name: r.reason, value: r.count }))} />
          )}
        </section>
        <section class="card" aria-labelledby="o-failed">
          <h2 id="o-failed">Failed payments, 30 days</h2>
          <p class="stat" data-metric="failed-payments">{sum(failed)}</p>
          <BarChart label={`Failed payments per day over 30 days: ${sum(failed)} in all.`} values={failed} />
        </section>
        <section class="card" aria-labelledby="o-hooks">
          <h2 id="o-hooks">Webhook failures, 30 days</h2>
          <p class="stat" data-metric="webhook-failures">{sum(hooks)}</p>
          <BarChart label={`Failed webhook attempts per day over 30 days: ${sum(hooks)} in all.`} values={hooks} />
        </section>
      </div>,
    );
  });
}
