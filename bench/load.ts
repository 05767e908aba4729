/**
 * The two ways the benchmarks put load on something, with the same settings everywhere:
 * - `httpLoad`: autocannon against a URL. It runs in a worker thread, so the load generator has its own
 *   event loop (and, on a 2-core machine, its own core) instead of sharing the server's.
 * - `loopLoad`: N concurrent async loops calling a function (raw database transactions), timed the
 *   same way.
 * Both run an unmeasured warm-up first, then the measured period.
 */
import autocannon from 'autocannon';

export interface LoadSettings {
  connections: number;
  /** Measured seconds. */
  durationSeconds: number;
  /** `interleavedLoad`: how many slices the measured seconds are cut into, taken in turn. */
  rounds: number;
  /** Unmeasured seconds before it. */
  warmupSeconds: number;
}

export const settings: LoadSettings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  durationSeconds: Number(process.env.BENCH_DURATION ?? 5),
  rounds: Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 1),
};

export interface Measurement {
  /** Successful operations (2xx responses, committed transactions) per second. */
  perSecond: number;
  total: number;
  /** Failed operations (non-2xx, socket errors, timeouts, thrown errors). */
  failures: number;
  latencyMs: { p50: number; p99: number; max: number };
}

export interface HttpTarget {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Replace every `[<id>]` in the request (headers and body) with a fresh id per request. */
  idReplacement?: boolean;
}

function runCannon(target: HttpTarget, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: target.url,
        method: target.method ?? 'GET',
        headers: target.headers ?? {},
        ...(target.body !== undefined ? { body: target.body } : {}),
        idReplacement: target.idReplacement ?? false,
        connections: settings.connections,
        duration: seconds,
        pipelining: 1,
        workers: 1,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

export async function httpLoad(target: HttpTarget): Promise<Measurement> {
  if (settings.warmupSeconds > 0) await runCannon(target, settings.warmupSeconds);
  const r = await runCannon(target, settings.durationSeconds);
  const ok = r['2xx'];
  return {
    perSecond: ok / (r.duration || settings.durationSeconds),
    total: ok,
    failures: r.non2xx + r.errors + r.timeouts,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
  };
}

/**
 * Loads each target for `settings.durationSeconds` in all, cut into `settings.rounds` slices taken in
 * turn (A B C A B C …) after one warm-up each, so a change in the machine's background load during the
 * run weighs on every target alike and the ratios between them stay meaningful. p50 is the median of
 * the slices' p50s, p99 and max the worst slice's.
 */
export async function interleavedLoad(targets: HttpTarget[]): Promise<Measurement[]> {
  if (settings.warmupSeconds > 0) for (const t of targets) await runCannon(t, settings.warmupSeconds);
  const slice = settings.durationSeconds / settings.rounds;
  const results: autocannon.Result[][] = targets.map(() => []);
  for (let r = 0; r < settings.rounds; r++) {
    for (const [i, t] of targets.entries()) results[i]!.push(await runCannon(t, slice));
  }
  return results.map((rs) => {
    const ok = rs.reduce((s, r) => s + r['2xx'], 0);
    const seconds = rs.reduce((s, r) => s + (r.duration || slice), 0);
    const p50s = rs.map((r) => r.latency.p50).sort((a, b) => a - b);
    return {
      perSecond: ok / seconds,
      total: ok,
      failures: rs.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
      latencyMs: {
        p50: p50s[Math.floor(p50s.length / 2)]!,
        p99: Math.max(...rs.map((r) => r.latency.p99)),
        max: Math.max(...rs.map((r) => r.latency.max)),
      },
    };
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function runLoops(
  op: (loop: number) => Promise<void>,
  seconds: number,
): Promise<{ latencies: number[]; failures: number; elapsed: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const loop = async (n: number) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await op(n);
        latencies.push(performance.now() - t0);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: settings.connections }, (_, n) => loop(n)));
  return { latencies, failures, elapsed: (performance.now() - start) / 1000 };
}

/** `settings.connections` concurrent loops calling `op` (a whole transaction) for the measured time. */
export async function loopLoad(op: (loop: number) => Promise<void>): Promise<Measurement> {
  if (settings.warmupSeconds > 0) await runLoops(op, settings.warmupSeconds);
  const { latencies, failures, elapsed } = await runLoops(op, settings.durationSeconds);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / elapsed,
    total: latencies.length,
    failures,
    latencyMs: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? NaN,
    },
  };
}

/** A GET's compressed size on the wire and its decompressed size (fetch would decompress silently). */
export async function rawGet(url: string, headers: Record<string, string>): Promise<{ wire: number; plain: number }> {
  const { request } = await import('node:http');
  const { gunzipSync } = await import('node:zlib');
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        const plain = res.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
        resolve({ wire: wire.length, plain: plain.length });
      });
    })
      .on('error', reject)
      .end();
  });
}
