/**
 * The `portico` command: start | migrate | seed | listen | trigger. `listen` and `trigger` are clients of
 * a running Portico: they talk to its API with the official SDK (see src/cli/listen.ts, trigger.ts).
 */
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { loadConfig, ConfigError } from './config.ts';
import { startListener } from './cli/listen.ts';
import { trigger, TRIGGER_EVENTS } from './cli/trigger.ts';

const DEFAULT_API_URL = 'http://127.0.0.1:4000';

const USAGE = `Usage: portico <command> [options]

Commands:
  start     run the API, portal and workers (npm start)
  migrate   apply database migrations and exit
  seed      add the test-mode demo catalog and customer (once)
  listen    forward a running Portico's webhooks to a local URL, like \`stripe listen\`
              --forward-to <url>    where to POST each event, signed (required)
              --events <a,b,...>    the event types to forward (default: all)
  admin     manage dashboard administrators:
              admin create <email>  add one (asks for a password on a terminal, else prints a generated one)
  trigger   make the real change that emits an event, e.g. \`portico trigger customer.created\`
              (\`portico trigger\` alone lists the events it knows)

listen and trigger talk to a running Portico through its API:
  --api-key <sk_test_...>   default: $PORTICO_API_KEY, then $PORTICO_TEST_SECRET_KEY
  --api-url <url>           default: ${DEFAULT_API_URL}
`;

class UsageError extends Error {}

const CLIENT_OPTIONS = {
  'api-key': { type: 'string' },
  'api-url': { type: 'string' },
} as const;

/** An SDK client for the Portico named by --api-url, with the key from --api-key or the environment. */
function apiClient(values: { 'api-key'?: string; 'api-url'?: string }): { stripe: Stripe; apiUrl: string } {
  const key = values['api-key'] || process.env.PORTICO_API_KEY || process.env.PORTICO_TEST_SECRET_KEY;
  if (!key) {
    throw new UsageError(
      'No API key: pass --api-key sk_test_... or set PORTICO_API_KEY (the test secret key `portico start` printed).',
    );
  }
  const apiUrl = values['api-url'] || DEFAULT_API_URL;
  let u: URL;
  try {
    u = new URL(apiUrl);
  } catch {
    throw new UsageError(`--api-url must be an http:// or https:// URL, got ${apiUrl}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--api-url must be an http:// or https:// URL, got ${apiUrl}`);
  const protocol = u.protocol === 'https:' ? 'https' : 'http';
  const port = Number(u.port || (protocol === 'https' ? 443 : 80));
  return { stripe: new Stripe(key, { host: u.hostname, port, protocol, telemetry: false }), apiUrl: u.origin };
}

/** Explains an API failure (Portico not running, a refused key, …) in one line. */
function describeFailure(err: unknown, apiUrl: string): string {
  if (err instanceof Stripe.errors.StripeConnectionError) {
    return `Could not reach Portico at ${apiUrl}: is it running (portico start), and is --api-url right?`;
  }
  if (err instanceof Stripe.errors.StripeError) {
    return err.statusCode ? `Portico answered ${err.statusCode}: ${err.message}` : `Portico: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

async function listenCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...CLIENT_OPTIONS, 'forward-to': { type: 'string' }, events: { type: 'string' } },
  });
  const forwardTo = values['forward-to'];
  if (!forwardTo) throw new UsageError('portico listen needs --forward-to <url>, e.g. --forward-to http://localhost:3000/webhook');
  if (!/^https?:\/\/[^/]/.test(forwardTo) || !URL.canParse(forwardTo)) {
    throw new UsageError(`--forward-to must be an absolute http:// or https:// URL, got ${forwardTo}`);
  }
  const events = (values.events ?? '*').split(',').map((e) => e.trim()).filter(Boolean);
  const { stripe, apiUrl } = apiClient(values);
  let listener;
  try {
    listener = await startListener(stripe, { forwardTo, events: events.length > 0 ? events : ['*'] });
  } catch (err) {
    console.error(describeFailure(err, apiUrl));
    return 1;
  }
  console.log(`Ready! Your webhook signing secret is ${listener.secret} (^C to quit)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  try {
    await listener.close();
  } catch (err) {
    console.error(`Could not delete the webhook endpoint ${listener.endpointId}: ${describeFailure(err, apiUrl)}`);
    return 1;
  }
  return 0;
}

async function triggerCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: CLIENT_OPTIONS, allowPositionals: true });
  const [event] = positionals;
  const supported = `Supported events:\n${TRIGGER_EVENTS.map((e) => `  ${e}`).join('\n')}`;
  if (!event || positionals.length > 1) {
    console.error(`Usage: portico trigger <event> [--api-key sk_test_...] [--api-url ${DEFAULT_API_URL}]\n\n${supported}`);
    return 2;
  }
  if (!TRIGGER_EVENTS.includes(event)) {
    console.error(`portico trigger does not know the event ${event}.\n\n${supported}`);
    return 2;
  }
  const { stripe, apiUrl } = apiClient(values);
  try {
    await trigger(stripe, event, (line) => console.log(line));
  } catch (err) {
    console.error(describeFailure(err, apiUrl));
    return 1;
  }
  console.log(`Trigger succeeded: ${event}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'listen') return listenCommand(rest);
  if (command === 'trigger') return triggerCommand(rest);
  // The server side is loaded only by the commands that run it, so listen and trigger start quickly.
  const config = loadConfig();
  switch (command) {
    case 'start': {
      const { startPortico } = await import('./main.ts');
      const portico = await startPortico({ config });
      const store = config.databaseUrl ? 'PostgreSQL' : `embedded database in ${config.dataDir}`;
      console.log(`Portico ${portico.firstStart ? 'created a new account' : 'opened its account'} (${store}).`);
      if (portico.demo?.created) {
        console.log(`Seeded the test-mode demo: Starter and Pro plans, and customer ${portico.demo.customerId}.`);
      }
      console.log('');
      console.log(`  Test secret key:  ${portico.keys.testSecretKey}`);
      console.log(`  Live secret key:  ${portico.keys.liveSecretKey}`);
      console.log('');
      console.log(`  const stripe = new Stripe('${portico.keys.testSecretKey}', { host: '${new URL(portico.url).hostname}', port: ${new URL(portico.url).port || 80}, protocol: '${new URL(portico.url).protocol.replace(':', '')}' });`);
      console.log('');
      const [{ demoPortalLinks }, { systemClock }] = await Promise.all([import('./seed.ts'), import('./lib/clock.ts')]);
      const links = await demoPortalLinks(portico.storage.db, systemClock);
      if (links) {
        console.log(`  Customer portal (demo customer, open within 5 minutes): ${links.sessionUrl}`);
        if (links.loginUrl) console.log(`  Portal login page (enter ${links.email}; the link is printed here): ${links.loginUrl}`);
        console.log('');
      }
      console.log(`  Dashboard: ${portico.url}/dashboard`);
      if (config.role !== 'worker') {
        const [{ ensureFirstAdministrator }, { systemClock: clock }] = await Promise.all([import('./admin/first-admin.ts'), import('./lib/clock.ts')]);
        const first = await ensureFirstAdministrator(portico.storage.db, clock);
        if (first) {
          console.log(`  First administrator: ${first.email}, one-time password: ${first.password}`);
          console.log('  (change it under "Your account"; add others with: npx portico admin create you@example.com)');
        }
      }
      console.log('');
      console.log(`Portico listening on ${portico.url}`);
      const shutdown = async () => {
        await portico.close();
        process.exit(0);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      return -1; // keep running
    }
    case 'admin': {
      const [sub, email, ...extra] = rest;
      if (sub !== 'create' || !email || extra.length > 0) throw new UsageError('Usage: portico admin create <email>');
      const { openStorage } = await import('./storage/database.ts');
      const storage = await openStorage(
        config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
      );
      try {
        const [{ adminCreate }, { systemClock }] = await Promise.all([import('./cli/admin.ts'), import('./lib/clock.ts')]);
        return await adminCreate(storage.db, systemClock, email, (line) => console.log(line));
      } finally {
        await storage.close();
      }
    }
    case 'migrate': {
      const { openStorage } = await import('./storage/database.ts');
      const storage = await openStorage(
        config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
      );
      await storage.close();
      console.log('Migrations applied.');
      return 0;
    }
    case 'seed': {
      const { openStorage } = await import('./storage/database.ts');
      const storage = await openStorage(
        config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
      );
      try {
        const [{ seedDemo }, { systemClock }] = await Promise.all([import('./seed.ts'), import('./lib/clock.ts')]);
        const seeded = await seedDemo(storage.db, systemClock);
        console.log(seeded.created ? `Seeded the test-mode demo (customer ${seeded.customerId}).` : 'The demo is already seeded.');
      } finally {
        await storage.close();
      }
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`Unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
    process.exit(1);
  },
);
