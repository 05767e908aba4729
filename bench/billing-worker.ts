/**
 * One billing-clock worker process for bench/billing.ts, as a `PORTICO_ROLE=worker` process would run
 * it: its own pool on the given database, `runDueWork` until nothing is due at the given time.
 * Protocol (IPC): the parent forks it with `{ url, now, limit? }` in argv[2] (JSON; `limit`: stop after
 * that many renewals); it answers `ready` once
 * its storage is open, drains on `go`, answers `{ renewals, failures, maxRssBytes }` (its peak RSS) and exits.
 */
import '../src/billing/subscriptions/index.ts';
import { ManualClock } from '../src/lib/clock.ts';
import { openStorage } from '../src/storage/database.ts';
import { drainWorkers } from './billing.ts';

const { url, now, limit } = JSON.parse(process.argv[2] ?? '{}') as { url: string; now: number; limit?: number };
const storage = await openStorage({ kind: 'postgres', url, poolSize: 2 });
let failures = 0;
process.on('message', (msg) => {
  if (msg !== 'go') return;
  // Progress on stderr once a minute: whether the rate holds as the tables grow.
  let done = 0;
  const started = performance.now();
  const progress = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    process.stderr.write(`[bench] worker ${process.pid}: ${done} renewals in ${s.toFixed(0)} s (${(done / s).toFixed(0)}/s)\n`);
  }, 60_000);
  progress.unref();
  drainWorkers([storage.db], new ManualClock(now), () => failures++, (k) => (done += k), limit).then(
    async ([renewals]) => {
      // Peak resident set of this process (kB → bytes), for the bench's bounded-memory figure.
      process.send!({ renewals, failures, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
      await storage.close();
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
});
process.send!('ready');
