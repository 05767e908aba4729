/**
 * `portico listen`: forwards a running Portico's webhooks to a local URL, as `stripe listen` does.
 *
 * It starts a receiver on an ephemeral local port and registers it as a webhook endpoint (through the
 * API, with the official SDK) for the chosen events. Each delivery is checked against the endpoint's
 * signing secret, then POSTed unchanged (same bytes, same `Stripe-Signature`) to the forward target,
 * and Portico gets the target's status as the answer: a target that fails makes Portico retry. Closing
 * the listener deletes the endpoint.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';

/** Largest delivery accepted from Portico. */
const BODY_LIMIT = 5 * 1024 * 1024;

export interface ListenOptions {
  /** Where deliveries are forwarded (an absolute http(s) URL). */
  forwardTo: string;
  /** Event types to subscribe to; `['*']` for all. */
  events: string[];
  /** How long the forward target may take to answer (default 10 s, Portico's own attempt timeout). */
  forwardTimeoutMs?: number;
  /** Where the per-delivery lines go (default: stdout). */
  print?: (line: string) => void;
}

export interface Listener {
  endpointId: string;
  /** The endpoint's signing secret, which the forward target verifies with. */
  secret: string;
  /** The local receiver that Portico delivers to. */
  url: string;
  /** Deletes the endpoint and stops receiving. */
  close(): Promise<void>;
}

/** Local time as `2026-11-22 10:00:00`, the way `stripe listen` stamps its lines. */
export function timestamp(d = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}

function readBody(req: IncomingMessage): Promise<Buffer<ArrayBuffer> | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size <= BODY_LIMIT) chunks.push(c);
    });
    req.on('end', () => resolve(size <= BODY_LIMIT ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}

/** Registers the endpoint and starts forwarding; resolves once Portico can deliver to it. */
export async function startListener(stripe: Stripe, opts: ListenOptions): Promise<Listener> {
  const target = new URL(opts.forwardTo);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new Error(`--forward-to must be an http:// or https:// URL, got ${opts.forwardTo}`);
  }
  const print = opts.print ?? ((line: string) => console.log(line));
  const timeoutMs = opts.forwardTimeoutMs ?? 10_000;
  let secret = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return answer(res, 405, 'portico listen accepts webhook POSTs only');
    const body = await readBody(req);
    if (body === null) return answer(res, 413, 'too large');
    const signature = String(req.headers['stripe-signature'] ?? '');
    let event: Stripe.Event;
    try {
      // Only the signature is checked here (tolerance 0): the forward target checks the timestamp.
      event = stripe.webhooks.constructEvent(body, signature, secret, 0);
    } catch {
      return answer(res, 400, 'not signed by this listener’s endpoint');
    }
    print(`${timestamp()}   --> ${event.type} [${event.id}]`);
    try {
      const forwarded = await fetch(target, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'Content-Type': String(req.headers['content-type'] ?? 'application/json; charset=utf-8'),
          'Stripe-Signature': signature,
          'User-Agent': String(req.headers['user-agent'] ?? 'Portico/1.0 (+webhooks)'),
        },
        body,
      });
      await forwarded.arrayBuffer().catch(() => undefined);
      print(`${timestamp()}  <-- [${forwarded.status}] POST ${target.href} [${event.id}]`);
      answer(res, forwarded.status, `forwarded to ${target.href}: ${forwarded.status}`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      print(`${timestamp()}  [ERROR] Failed to POST: ${target.href} [${event.id}]: ${reason}`);
      answer(res, 502, `could not reach ${target.href}: ${reason}`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) answer(res, 500, String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const stopServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  let endpoint: Stripe.WebhookEndpoint;
  try {
    endpoint = await stripe.webhookEndpoints.create({
      url,
      enabled_events: opts.events as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
      description: 'portico listen',
    });
  } catch (err) {
    await stopServer();
    throw err;
  }
  secret = endpoint.secret ?? '';
  let closing: Promise<void> | null = null;
  return {
    endpointId: endpoint.id,
    secret,
    url,
    close() {
      closing ??= (async () => {
        try {
          await stripe.webhookEndpoints.del(endpoint.id);
        } finally {
          await stopServer();
        }
      })();
      return closing;
    },
  };
}
