/**
 * A real Portico server on an ephemeral port, and official `stripe` SDK clients pointed at it.
 * `storage` picks the database (default: a fresh in-memory PGlite).
 */
import Stripe from 'stripe';
import { loadConfig, type Config } from '../../src/config.ts';
import { ManualClock, type Clock } from '../../src/lib/clock.ts';
import { startPortico, type Portico } from '../../src/main.ts';
import { openStorage, type Storage } from '../../src/storage/database.ts';

export interface TestServer {
  portico: Portico;
  url: string;
  port: number;
  /** Test-mode client. */
  stripe: Stripe;
  /** Live-mode client. */
  live: Stripe;
  /** A client with another key (for auth tests). */
  client(key: string, options?: Stripe.StripeConfig): Stripe;
  clock: Clock;
  close(): Promise<void>;
}

export interface TestServerOptions {
  storage?: Storage;
  clock?: Clock;
  startWorkers?: boolean;
  /** Settings over the defaults (e.g. `smtpUrl`). */
  config?: Partial<Config>;
  /** Receives the server's informational lines (e.g. the login link when no SMTP is configured). */
  logInfo?: (line: string) => void;
  /** Receives failures of background work (e.g. a login email the SMTP server refused). */
  logWarning?: (line: string) => void;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const storage = opts.storage ?? (await openStorage({ kind: 'pglite', dataDir: null }));
  const clock = opts.clock ?? new ManualClock(1_893_456_000); // 2030-01-01T00:00:00Z
  const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', demo: false, ...opts.config };
  const portico = await startPortico({
    config,
    storage,
    clock,
    ...(opts.logInfo ? { logInfo: opts.logInfo } : {}),
    ...(opts.logWarning ? { logWarning: opts.logWarning } : {}),
    // Tests drive the workers by hand (tick/drain) unless they ask for the background loops.
    startWorkers: opts.startWorkers ?? false,
    logError: (err) => console.error('server error:', err),
  });
  const port = Number(new URL(portico.url).port);
  const client = (key: string, options: Stripe.StripeConfig = {}) =>
    new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0, telemetry: false, ...options });
  return {
    portico,
    url: portico.url,
    port,
    stripe: client(portico.keys.testSecretKey),
    live: client(portico.keys.liveSecretKey),
    client,
    clock,
    async close() {
      await portico.close();
      if (!opts.storage) await storage.close();
    },
  };
}

/** POSTs a raw form body (for tests of what the SDK would never send). */
export async function rawRequest(
  server: TestServer,
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${server.portico.keys.testSecretKey}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === "string" ? body : Buffer.from(body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsable: text };
  }
  return { status: res.status, json, headers: res.headers };
}
