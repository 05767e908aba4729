/** Environment → typed configuration, validated once at start (see the README's environment table). */
export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | null;
  testSecretKey: string | null;
  liveSecretKey: string | null;
  demo: boolean;
  smtpUrl: string | null;
  /** The business's name as customers see it in the portal (PORTICO_BUSINESS_NAME). */
  businessName: string | null;
  role: 'all' | 'api' | 'worker';
  /** How long one webhook attempt may take; a worker's claim on a delivery lasts a few times this. */
  webhookTimeoutMs: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const portText = env.PORT || '4000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, got ${portText}`);
  const testSecretKey = env.PORTICO_TEST_SECRET_KEY || null;
  if (testSecretKey && !/^sk_test_[A-Za-z0-9_]{8,240}$/.test(testSecretKey)) {
    throw new ConfigError('PORTICO_TEST_SECRET_KEY must start with sk_test_ followed by at least 8 letters or digits');
  }
  const liveSecretKey = env.PORTICO_LIVE_SECRET_KEY || null;
  if (liveSecretKey && !/^sk_live_[A-Za-z0-9_]{8,240}$/.test(liveSecretKey)) {
    throw new ConfigError('PORTICO_LIVE_SECRET_KEY must start with sk_live_ followed by at least 8 letters or digits');
  }
  const role = (env.PORTICO_ROLE || 'all') as Config['role'];
  if (!['all', 'api', 'worker'].includes(role)) throw new ConfigError('PORTICO_ROLE must be all, api or worker');
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const timeoutText = env.PORTICO_WEBHOOK_TIMEOUT_MS || '10000';
  const webhookTimeoutMs = Number(timeoutText);
  if (!Number.isInteger(webhookTimeoutMs) || webhookTimeoutMs < 100 || webhookTimeoutMs > 60_000) {
    throw new ConfigError(`PORTICO_WEBHOOK_TIMEOUT_MS must be a whole number of milliseconds from 100 to 60000, got ${timeoutText}`);
  }
  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = (env.PORTICO_PUBLIC_URL || `http://${displayHost}:${port}`).replace(/\/+$/, '');
  return {
    host,
    port,
    publicUrl,
    dataDir: env.PORTICO_DATA_DIR || './.portico',
    databaseUrl,
    testSecretKey,
    liveSecretKey,
    demo: env.PORTICO_DEMO !== '0',
    smtpUrl: env.PORTICO_SMTP_URL || null,
    businessName: env.PORTICO_BUSINESS_NAME?.trim() || null,
    role,
    webhookTimeoutMs,
  };
}
