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
  /** The From of login emails (`PORTICO_SMTP_FROM`; default `Portico <no-reply@<public host>>`). */
  smtpFrom: string;
  /** The business's name as customers see it in the portal (PORTICO_BUSINESS_NAME). */
  businessName: string | null;
  role: 'all' | 'api' | 'worker';
  /**
   * How many reverse proxies in front of Portico append to `X-Forwarded-For` (`PORTICO_TRUST_PROXY`,
   * default 0: the header is ignored and the socket's address is the client's).
   */
  trustProxyHops: number;
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
  const hopsText = env.PORTICO_TRUST_PROXY || '0';
  const trustProxyHops = Number(hopsText);
  if (!Number.isInteger(trustProxyHops) || trustProxyHops < 0 || trustProxyHops > 10) {
    throw new ConfigError(`PORTICO_TRUST_PROXY must be the number of proxies in front of Portico (0–10), got ${hopsText}`);
  }
  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = (env.PORTICO_PUBLIC_URL || `http://${displayHost}:${port}`).replace(/\/+$/, '');
  const smtpUrl = env.PORTICO_SMTP_URL || null;
  if (smtpUrl && !/^smtps?:\/\/[^/\s]+/.test(smtpUrl)) {
    throw new ConfigError('PORTICO_SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtp://mail.example.com:587');
  }
  const smtpFrom = env.PORTICO_SMTP_FROM || `Portico <no-reply@${mailDomain(publicUrl)}>`;
  if (!/^[^\r\n]*@[^\r\n]*$/.test(smtpFrom)) {
    throw new ConfigError('PORTICO_SMTP_FROM must be one address, e.g. "Billing <billing@example.com>"');
  }
  return {
    host,
    port,
    publicUrl,
    dataDir: env.PORTICO_DATA_DIR || './.portico',
    databaseUrl,
    testSecretKey,
    liveSecretKey,
    demo: env.PORTICO_DEMO !== '0',
    smtpUrl,
    smtpFrom,
    businessName: env.PORTICO_BUSINESS_NAME?.trim() || null,
    role,
    trustProxyHops,
    webhookTimeoutMs,
  };
}

/** The public URL's host name when it is a DNS name, else `localhost` (an IP is no mail domain). */
function mailDomain(publicUrl: string): string {
  try {
    const host = new URL(publicUrl).hostname;
    return /[a-z]/i.test(host) && !host.includes(':') && !host.startsWith('[') ? host : 'localhost';
  } catch {
    return 'localhost';
  }
}
