/**
 * Composition root: configuration → storage → account → HTTP app and workers. `startPortico` is what
 * `portico start` runs and what end-to-end tests start on an ephemeral port.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { getRequestListener, type ServerType } from '@hono/node-server';
import { createFastGet, type FastGet } from './api/fast-get.ts';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { ensureAccount, KEYS_CHANNEL, loadAccountKeys } from './storage/accounts.ts';
import { initAccountProfile } from './billing/account.ts';
import { openStorage, type Storage } from './storage/database.ts';
import type { AccountKeys } from './storage/accounts.ts';
import './billing/billing-clock.ts'; // installs the test-clock advance hook that runs due work
import { startClockWorker, type ClockWorker } from './clock-worker.ts';
import { DeliveryWorker, type DeliveryReport } from './events/delivery-worker.ts';
import { WEBHOOK_CHANNEL } from './events/outbox.ts';
import { createEndpointCache, ENDPOINTS_CHANNEL, type ProcessEndpointCache } from './events/endpoint-cache.ts';
import { seedDemo, type DemoSeed } from './seed.ts';
import { publicBaseUrl, setPublicBaseUrl } from './lib/public-url.ts';
import { ensureDefaultConfigurations } from './portal/configurations/index.ts';
import { createLoginService, loginLinkUrl, type LoginService } from './portal/login/index.ts';
import { createLoginMailer } from './portal/login/mailer.ts';
import { createLoginOutboxSender, LOGIN_OUTBOX_CHANNEL, type LoginOutboxSender } from './portal/login/outbox.ts';
import { composeQueuedLoginEmail } from './web/login/email.tsx';
import { createLoginRateLimiter } from './portal/login/rate-limit.ts';

export interface Portico {
  url: string;
  keys: AccountKeys;
  storage: Storage;
  /** True when this start created the account (an empty database). */
  firstStart: boolean;
  /** What the first-start demo seed created (null when it did not run). */
  demo: DemoSeed | null;
  clockWorker: ClockWorker | null;
  /** Null when PORTICO_ROLE=api. Its loop runs unless `startWorkers: false`. */
  deliveryWorker: DeliveryWorker | null;
  /** The login page's service (null when PORTICO_ROLE=worker); `settled()` awaits its emails. */
  login: LoginService | null;
  /** The login mail outbox's sender (null when PORTICO_ROLE=api). */
  loginSender: LoginOutboxSender | null;
  /** The stored reads' plain GETs answered below Hono (api/fast-get.ts; null when PORTICO_ROLE=worker). */
  fastGet: FastGet | null;
  close(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  clock?: Clock;
  /** Use this storage instead of opening one from the config (tests). */
  storage?: Storage;
  logError?: (err: unknown, requestId: string) => void;
  /** Run the background loops (default true); tests drive the workers by hand instead. */
  startWorkers?: boolean;
  onDelivery?: (report: DeliveryReport) => void;
  /** Where informational lines go (default stdout): the login link when no SMTP is configured. */
  logInfo?: (line: string) => void;
  /** Where failures of background work outside a request go (default stderr): a login email that failed. */
  logWarning?: (line: string) => void;
}

export async function startPortico(opts: StartOptions): Promise<Portico> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  setPublicBaseUrl(config.publicUrl);
  const storage =
    opts.storage ??
    (await openStorage(
      config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
    ));
  try {
    const { account, created } = await ensureAccount(storage.db, clock.now(), {
      testSecretKey: config.testSecretKey,
      liveSecretKey: config.liveSecretKey,
    });
    await initAccountProfile(storage.db, account.id, config.businessName);
    const keys: AccountKeys = {
      accountId: account.id,
      testSecretKey: account.test_secret_key,
      liveSecretKey: account.live_secret_key,
      testPublishableKey: account.test_publishable_key,
      livePublishableKey: account.live_publishable_key,
    };
    await ensureDefaultConfigurations(storage.db, clock);
    // A key rolled from the dashboard (here or in another process on the same database) replaces the
    // key in this very object, which the API's authenticator reads on every request.
    const reloadKeys = async () => {
      Object.assign(keys, await loadAccountKeys(storage.db));
    };
    const unlistenKeys = await storage.listen(KEYS_CHANNEL, () => void reloadKeys().catch(() => {}));
    const runsWorkers = config.role !== 'api';
    const mailer = createLoginMailer({ smtpUrl: config.smtpUrl, from: config.smtpFrom, ...(opts.logInfo ? { log: opts.logInfo } : {}) });
    // Login mails leave from the workers' side: woken by the outbox's NOTIFY (from any process), and
    // drained by the upkeep pass too (a lost notification, a dead sender's claims).
    const loginSender = runsWorkers
      ? createLoginOutboxSender({
          db: storage.db,
          clock,
          mailer,
          compose: composeQueuedLoginEmail,
          linkUrl: loginLinkUrl,
          ...(opts.logWarning ? { logError: opts.logWarning } : {}),
        })
      : null;
    const unlistenLogin = loginSender ? await storage.listen(LOGIN_OUTBOX_CHANNEL, () => loginSender.wake()) : null;
    const clockWorker = runsWorkers
      ? startClockWorker(storage.db, clock, { auto: opts.startWorkers !== false, ...(loginSender ? { loginOutbox: loginSender } : {}) })
      : null;
    const deliveryWorker = runsWorkers
      ? new DeliveryWorker({
          db: storage.db,
          clock,
          timeoutMs: config.webhookTimeoutMs,
          subscribe: (onNotify) => storage.listen(WEBHOOK_CHANNEL, onNotify),
          ...(opts.onDelivery ? { onDelivery: opts.onDelivery } : {}),
        })
      : null;
    if (deliveryWorker && opts.startWorkers !== false) await deliveryWorker.start();
    let server: ServerType | null = null;
    let fastGet: FastGet | null = null;
    let url = config.publicUrl;
    let login: LoginService | null = null;
    let endpointCache: ProcessEndpointCache | null = null;
    let stopEndpointCache: (() => Promise<void>) | null = null;
    if (config.role !== 'worker') {
      endpointCache = createEndpointCache();
      const cache = endpointCache;
      stopEndpointCache = await storage.listen(ENDPOINTS_CHANNEL, () => cache.clear());
      login = createLoginService({ db: storage.db, clock, settleOutbox: loginSender ? () => loginSender.settled() : null });
      const app = createApp({
        db: storage.db,
        clock,
        keys,
        endpoints: endpointCache!,
        businessName: config.businessName,
        ...(opts.logError ? { logError: opts.logError } : {}),
        login: { login, limiter: createLoginRateLimiter(storage.pool), trustProxyHops: config.trustProxyHops },
        dashboard: {
          limiter: createLoginRateLimiter(storage.pool, undefined, 'dashboard'),
          trustProxyHops: config.trustProxyHops,
          pinnedKeys: { test: config.testSecretKey !== null, live: config.liveSecretKey !== null },
          reloadKeys,
        },
      });
      fastGet = createFastGet({ db: storage.db, keys, routes: app.routes, publicUrl: publicBaseUrl });
      const listener = fastGet.wrap(getRequestListener(app.fetch, { hostname: config.host }));
      server = await new Promise<ServerType>((resolve, reject) => {
        const s = createServer(listener);
        s.once('error', reject);
        s.listen(config.port, config.host, () => resolve(s));
      });
      const port = (server.address() as AddressInfo).port;
      if (config.port === 0) url = `http://${config.host}:${port}`;
      setPublicBaseUrl(url);
    }
    // Seeded once the public URL is known (PORT=0 picks it at listen), so the demo's links are right.
    const demo = created && config.demo ? await seedDemo(storage.db, clock) : null;
    return {
      url,
      keys,
      storage,
      firstStart: created,
      demo,
      clockWorker,
      deliveryWorker,
      login,
      loginSender,
      fastGet,
      async close() {
        if (server) {
          await new Promise<void>((resolve) => {
            server!.close(() => resolve());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          });
        }
        await unlistenKeys();
        await unlistenLogin?.();
        await stopEndpointCache?.();
        await clockWorker?.stop();
        await loginSender?.stop();
        mailer.close();
        await deliveryWorker?.stop();
        if (!opts.storage) await storage.close();
      },
    };
  } catch (err) {
    if (!opts.storage) await storage.close();
    throw err;
  }
}
