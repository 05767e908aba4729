/**
 * Mixed load at a fixed rate (open loop): requests are sent on a schedule whatever the answers do, so a
 * slow server shows as latency and a lower achieved rate, never as a politely slower client. Latency is
 * measured from each request's scheduled time (no coordinated omission).
 *
 * The mix, by weight: customer reads 35, customer lists 15, customer creates 15, portal sessions 10,
 * subscription creates 10 (a first invoice created, finalized and charged to a card), event lists 15;
 * over `CUSTOMERS` customers that each have a card as their default payment method.
 */
import { Agent, request } from 'node:http';

export interface MixedResult {
  offered: number;
  achieved: number;
  sent: number;
  ok: number;
  errors: number;
  /** Requests still unanswered when the run ended (counted as errors too). */
  unanswered: number;
  latencyMs: { p50: number; p99: number; max: number };
  seconds: number;
  firstError: string | null;
}

const CUSTOMERS = 300;

interface Target {
  url: string;
  secretKey: string;
}

async function api(t: Target, method: string, path: string, body?: string): Promise<any> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${t.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    ...(body !== undefined ? { body } : {}),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A priced plan and `CUSTOMERS` customers with a card each (8 at a time). */
export async function seed(t: Target): Promise<{ price: string; customers: string[] }> {
  const price = await api(t, 'POST', '/v1/prices', 'currency=usd&unit_amount=1500&recurring[interval]=month&product_data[name]=Mixed');
  const customers: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < CUSTOMERS) {
        const i = next++;
        const c = await api(t, 'POST', '/v1/customers', `email=mixed-${i}%40example.com&name=Mixed%20${i}`);
        const pm = await api(t, 'POST', '/v1/payment_methods/pm_card_visa/attach', `customer=${c.id}`);
        await api(t, 'POST', `/v1/customers/${c.id}`, `invoice_settings[default_payment_method]=${pm.id}`);
        customers.push(c.id);
      }
    }),
  );
  return { price: price.id, customers };
}

type Pick = () => { method: 'GET' | 'POST'; path: string; body?: string };

function mix(price: string, customers: string[]): Pick {
  let n = 0;
  const any = () => customers[Math.floor(Math.random() * customers.length)]!;
  const weighted: Array<[number, Pick]> = [
    [35, () => ({ method: 'GET', path: `/v1/customers/${any()}` })],
    [15, () => ({ method: 'GET', path: '/v1/customers?limit=10' })],
    [15, () => ({ method: 'POST', path: '/v1/customers', body: `email=mixed-new-${++n}%40example.com&name=New` })],
    [10, () => ({ method: 'POST', path: '/v1/billing_portal/sessions', body: `customer=${any()}&return_url=https%3A%2F%2Fexample.com%2F` })],
    [10, () => ({ method: 'POST', path: '/v1/subscriptions', body: `customer=${any()}&items[0][price]=${price}` })],
    [15, () => ({ method: 'GET', path: '/v1/events?limit=10' })],
  ];
  const total = weighted.reduce((s, [w]) => s + w, 0);
  return () => {
    let r = Math.random() * total;
    for (const [w, pick] of weighted) if ((r -= w) < 0) return pick();
    return weighted[0]![1]();
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Seeds, then offers `rate` requests per second of the mix for `seconds` (after 2 s of warm-up). */
export async function mixedLoad(t: Target, rate: number, seconds: number): Promise<MixedResult> {
  const { price, customers } = await seed(t);
  const pick = mix(price, customers);
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const { hostname, port } = new URL(t.url);
  let seq = 0;
  const send = (scheduled: number, record: boolean, stats: { lat: number[]; errors: number; pending: number; firstError: string | null }) => {
    const r = pick();
    const headers: Record<string, string> = { Authorization: `Bearer ${t.secretKey}` };
    if (r.body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Idempotency-Key'] = `mixed-${process.pid}-${++seq}`;
      headers['Content-Length'] = String(Buffer.byteLength(r.body));
    }
    stats.pending++;
    const done = (ok: boolean, why?: string) => {
      stats.pending--;
      if (!record) return;
      if (ok) stats.lat.push(performance.now() - scheduled);
      else {
        stats.errors++;
        stats.firstError ??= why ?? 'error';
      }
    };
    const req = request({ agent, hostname, port, method: r.method, path: r.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ok = res.statusCode === 200;
        done(ok, ok ? undefined : `${r.method} ${r.path.split('?')[0]}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`);
      });
    });
    req.on('error', (err) => done(false, String(err)));
    req.end(r.body);
  };
  const run = async (secs: number, record: boolean) => {
    const stats = { lat: [] as number[], errors: 0, pending: 0, firstError: null as string | null };
    const start = performance.now();
    const total = Math.round(rate * secs);
    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        // Send everything whose scheduled time has come (timers are coarse under load).
        while (sent < total && start + (sent * 1000) / rate <= now) {
          send(start + (sent * 1000) / rate, record, stats);
          sent++;
        }
        if (sent < total) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    // Give stragglers up to 10 s, then count the rest as unanswered.
    const deadline = performance.now() + 10_000;
    while (stats.pending > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { stats, sent, elapsed: (performance.now() - start) / 1000 };
  };
  try {
    await run(2, false);
    const { stats, sent } = await run(seconds, true);
    const unanswered = stats.pending;
    const lat = stats.lat.sort((a, b) => a - b);
    return {
      offered: rate,
      achieved: lat.length / seconds,
      sent,
      ok: lat.length,
      errors: stats.errors + unanswered,
      unanswered,
      latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? NaN },
      seconds,
      firstError: stats.firstError,
    };
  } finally {
    agent.destroy();
  }
}
