/**
 * The `portico listen` and `portico trigger` commands, run as real child processes against an
 * in-process test server whose delivery loop runs: trigger makes real changes (checked through the
 * SDK); listen registers an endpoint, forwards signed deliveries that `constructEvent` verifies with
 * the secret it printed, prints a line per delivery, and deletes its endpoint on SIGINT.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { trigger, TRIGGER_EVENTS } from '../src/cli/trigger.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sdk = new Stripe('sk_test_unused');

interface Cli {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
after(() => {
  for (const p of running) p.kill('SIGKILL');
});

/** Runs `portico <args>` with a clean environment plus `env`. */
function cli(args: string[], env: Record<string, string> = {}): Cli {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of ['NODE_TEST_CONTEXT', 'PORTICO_API_KEY', 'PORTICO_TEST_SECRET_KEY']) if (!(k in env)) delete childEnv[k];
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of [...listeners]) l();
  });
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('close', (code) => {
      running.delete(proc);
      for (const l of [...listeners]) l();
      resolve(code);
    }),
  );
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no ${pattern} in ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const check = () => {
          const m = pattern.exec(out);
          if (m) done(null, m);
          else if (proc.exitCode !== null) done(new Error(`exited (${proc.exitCode}) without ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        };
        const done = (e: Error | null, m?: RegExpExecArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (e) reject(e);
          else resolve(m!);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

describe('portico listen and trigger', () => {
  let server: TestServer;
  let stripe: Stripe;
  let key: string;

  before(async () => {
    server = await startTestServer({ startWorkers: true });
    stripe = server.stripe;
    key = server.portico.keys.testSecretKey;
  });
  after(async () => {
    await server.close();
  });

  test('trigger customer.created creates a customer through the API (key from PORTICO_API_KEY)', async () => {
    const run = cli(['trigger', 'customer.created', '--api-url', server.url], { PORTICO_API_KEY: key });
    assert.equal(await run.exited, 0, run.stderr());
    const id = /Created customer (cus_\w+)/.exec(run.stdout())?.[1];
    assert.ok(id, run.stdout());
    assert.match(run.stdout(), /Trigger succeeded: customer\.created/);
    const customer = (await stripe.customers.retrieve(id)) as Stripe.Customer;
    assert.equal(customer.description, '(created by portico trigger)');
    const events = await stripe.events.list({ type: 'customer.created', limit: 100 });
    assert.ok(events.data.some((e) => (e.data.object as Stripe.Customer).id === id));
  });

  test('trigger with an unknown event lists the supported ones and exits 2; no key is a clear error', async () => {
    const unknown = cli(['trigger', 'customer.exploded', '--api-key', key, '--api-url', server.url]);
    const keyless = cli(['trigger', 'customer.created', '--api-url', server.url]);
    const listenWithoutTarget = cli(['listen', '--api-key', key]);
    assert.equal(await unknown.exited, 2);
    assert.match(unknown.stderr(), /does not know the event customer\.exploded/);
    for (const e of ['customer.created', 'payment_method.attached', 'test_helpers.test_clock.ready']) {
      assert.ok(unknown.stderr().includes(`  ${e}\n`), `${e} is listed`);
    }
    assert.equal(await keyless.exited, 2);
    assert.match(keyless.stderr(), /No API key: pass --api-key/);
    assert.equal(await listenWithoutTarget.exited, 2);
    assert.match(listenWithoutTarget.stderr(), /needs --forward-to/);
  });

  test('every supported trigger makes a change that emits its event', async () => {
    for (const type of TRIGGER_EVENTS) {
      const lines: string[] = [];
      await trigger(stripe, type, (l) => lines.push(l));
      const report = lines.join('; ');
      const events = (await stripe.events.list({ type, limit: 100 })).data;
      assert.ok(
        events.some((e) => report.includes((e.data.object as { id: string }).id)),
        `${type}: an event about an object the trigger reported (${report})`,
      );
    }
  });

  test('listen forwards signed deliveries, prints a line per delivery, and removes its endpoint on SIGINT', async () => {
    const receiver: Receiver = await startReceiver();
    try {
      const listen = cli(['listen', '--forward-to', receiver.url, '--events', 'customer.created,customer.updated', '--api-key', key, '--api-url', server.url]);
      const secret = (await listen.waitFor(/^Ready! Your webhook signing secret is (whsec_\w+) \(\^C to quit\)$/m))[1]!;
      const endpoint = (await stripe.webhookEndpoints.list({ limit: 100 })).data.find((e) => e.description === 'portico listen');
      assert.ok(endpoint, 'the listener registered an endpoint');
      assert.deepEqual(endpoint.enabled_events, ['customer.created', 'customer.updated']);

      const customer = await stripe.customers.create({ email: 'listen@example.com' });
      await receiver.waitFor(1);
      const first = receiver.received[0]!;
      const event = sdk.webhooks.constructEvent(first.body, String(first.headers['stripe-signature']), secret);
      assert.equal(event.type, 'customer.created');
      assert.equal((event.data.object as Stripe.Customer).id, customer.id);
      const stamp = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`;
      await listen.waitFor(new RegExp(`^${stamp}   --> customer\\.created \\[${event.id}\\]$`, 'm'));
      await listen.waitFor(new RegExp(`^${stamp}  <-- \\[200\\] POST ${receiver.url.replace(/[.?]/g, '\\$&')} \\[${event.id}\\]$`, 'm'));

      // The target's status is what Portico gets: a failing target is retried later, not lost.
      receiver.respond = () => 500;
      await stripe.customers.update(customer.id, { name: 'Listen' });
      await receiver.waitFor(2);
      const updated = JSON.parse(receiver.received[1]!.body) as Stripe.Event;
      assert.equal(updated.type, 'customer.updated');
      await listen.waitFor(new RegExp(`<-- \\[500\\] POST \\S+ \\[${updated.id}\\]`));
      await server.portico.deliveryWorker!.drain();
      const delivery = await server.portico.storage.db
        .selectFrom('webhook_deliveries')
        .select(['status', 'attempts'])
        .where('event_id', '=', updated.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(delivery, { status: 'pending', attempts: 1 });

      // A POST that Portico did not sign is refused and not forwarded.
      const listenerUrl = (await stripe.webhookEndpoints.retrieve(endpoint.id)).url;
      const forged = await fetch(listenerUrl, { method: 'POST', body: first.body, headers: { 'Stripe-Signature': 't=1,v1=00' } });
      assert.equal(forged.status, 400);
      assert.equal(receiver.received.length, 2);

      listen.proc.kill('SIGINT');
      assert.equal(await listen.exited, 0, listen.stderr());
      await assert.rejects(stripe.webhookEndpoints.retrieve(endpoint.id), { statusCode: 404 });
    } finally {
      await receiver.close();
    }
  });
});
