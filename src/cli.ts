/**
 * The `portico` command: start | migrate | seed (listen and trigger arrive with webhooks).
 */
import { loadConfig, ConfigError } from './config.ts';
import { startPortico } from './main.ts';
import { systemClock } from './lib/clock.ts';
import { seedDemo } from './seed.ts';
import { openStorage } from './storage/database.ts';

const USAGE = `Usage: portico <command>

Commands:
  start     run the API, portal and workers (npm start)
  migrate   apply database migrations and exit
  seed      add the test-mode demo catalog and customer (once)
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'start'] = argv;
  const config = loadConfig();
  switch (command) {
    case 'start': {
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
      console.log(`Portico listening on ${portico.url}`);
      const shutdown = async () => {
        await portico.close();
        process.exit(0);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      return -1; // keep running
    }
    case 'migrate': {
      const storage = await openStorage(
        config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
      );
      await storage.close();
      console.log('Migrations applied.');
      return 0;
    }
    case 'seed': {
      const storage = await openStorage(
        config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
      );
      try {
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
    console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
    process.exit(1);
  },
);
