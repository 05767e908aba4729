/**
 * `POST /v1/subscriptions` (a subscription whose first invoice is created, finalized and charged to the
 * customer's card) against limit S (bench/server-process.ts: node:http doing the same rows' writes, with
 * the same statements, in one transaction), two ways: over `CUSTOMERS` distinct customers, and with every
 * request naming the same customer (its row lock serializes them, in Portico and in the limit alike).
 *
 * A closed loop of `settings.connections` concurrent requests (keep-alive, a fresh Idempotency-Key each,
 * as the SDK sends); the next request takes the next customer, so the requests in flight name distinct
 * customers. The four loads are interleaved in `settings.rounds` slices, as bench/load.ts does.
 */
import { Agent, request } from 'node:http';
import { settings, type Measurement } from './load.ts';
import { seed } from './mixed.ts';

interface Target {
  url: string;
  auth: Record<string, string>;
  price: string;
  customers: string[];
}

function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<number> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname,
        port,
        method: 'POST',
        path: pathname,
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Slice {
  ok: number;
  failures: number;
  seconds: number;
  latencies: number[];
}

let keys = 0;

/** `settings.connections` loops creating subscriptions for `seconds`; `same`: always the first customer. */
async function slice(t: Target, same: boolean, seconds: number): Promise<Slice> {
  const agent = new Agent({ keepAlive: true, maxSockets: settings.connections });
  const latencies: number[] = [];
  let failures = 0;
  let next = Math.floor(Math.random() * t.customers.length);
  const start = performance.now();
  const end = start + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const customer = same ? t.customers[0]! : t.customers[next++ % t.customers.length]!;
      const t0 = performance.now();
      try {
        const status = await post(agent, `${t.url}/v1/subscriptions`, { ...t.auth, 'Idempotency-Key': `bench-sub-${process.pid}-${++keys}` }, `customer=${customer}&items[0][price]=${t.price}`);
        if (status === 200) latencies.push(performance.now() - t0);
        else failures++;
      } catch {
        failures++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: settings.connections }, loop));
  } finally {
    agent.destroy();
  }
  return { ok: latencies.length, failures, seconds: (performance.now() - start) / 1000, latencies };
}

function measurement(slices: Slice[]): Measurement {
  const all = slices.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const seconds = slices.reduce((s, x) => s + x.seconds, 0);
  return {
    perSecond: all.length / seconds,
    total: all.length,
    failures: slices.reduce((s, x) => s + x.failures, 0),
    latencyMs: { p50: percentile(all, 50), p99: percentile(all, 99), max: all[all.length - 1] ?? NaN },
  };
}

export const SUBSCRIPTION_CUSTOMERS = 300;

/**
 * Seeds Portico (a price, `SUBSCRIPTION_CUSTOMERS` customers with a card each) and the limit (the same
 * customer ids as rows), then measures limit S and Portico, distinct customers and the same customer.
 */
export async function benchSubscriptionCreates(
  portico: { url: string; secretKey: string },
  limitUrl: string,
): Promise<{ limitDistinct: Measurement; distinct: Measurement; limitSame: Measurement; same: Measurement }> {
  const seeded = await seed({ url: portico.url, secretKey: portico.secretKey });
  const p: Target = { url: portico.url, auth: { Authorization: `Bearer ${portico.secretKey}` }, price: seeded.price, customers: seeded.customers };
  const l: Target = { url: limitUrl, auth: {}, price: seeded.price, customers: seeded.customers };
  const seededLimit = await post(new Agent(), `${limitUrl}/seed`, {}, `ids=${seeded.customers.join(',')}`);
  if (seededLimit !== 200) throw new Error(`seeding limit S failed: ${seededLimit}`);
  const runs: Array<[Target, boolean]> = [
    [l, false],
    [p, false],
    [l, true],
    [p, true],
  ];
  if (settings.warmupSeconds > 0) for (const [t, same] of runs) await slice(t, same, settings.warmupSeconds);
  const results: Slice[][] = runs.map(() => []);
  const each = settings.durationSeconds / settings.rounds;
  for (let r = 0; r < settings.rounds; r++) for (const [i, [t, same]] of runs.entries()) results[i]!.push(await slice(t, same, each));
  const [limitDistinct, distinct, limitSame, same] = results.map(measurement) as [Measurement, Measurement, Measurement, Measurement];
  return { limitDistinct, distinct, limitSame, same };
}
