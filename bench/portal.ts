/**
 * The portal's plan-change review page (issue 10's aim: under 40 KB compressed, p99 under 15 ms on
 * PGlite): a customer with 5 subscriptions on a $10 monthly plan opens the review of a switch to the
 * $30 plan (`GET /p/subscriptions/:id/review?price=…`), which runs the engine's invoice preview for
 * the change on every request. Measured in Portico's own process, like the API rows: bytes on the wire
 * (gzip) and render p50/p99 under the bench's connections.
 */
import { httpLoad, rawGet, type Measurement } from './load.ts';
import type { ServerProcess } from './server-process.ts';

export interface ReviewPageResult {
  measurement: Measurement;
  wireBytes: number;
  htmlBytes: number;
}

const SUBSCRIPTIONS = 5;

async function api<T>(server: ServerProcess, path: string, form: Record<string, string>): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body}`);
  return JSON.parse(body) as T;
}

/** Sets up the catalog, configuration, customer and session, then loads the review page. */
export async function benchReviewPage(server: ServerProcess): Promise<ReviewPageResult> {
  const basic = await api<{ id: string }>(server, '/v1/products', { name: 'Basic' });
  const pro = await api<{ id: string }>(server, '/v1/products', { name: 'Pro' });
  const monthly = (product: string, cents: number) =>
    api<{ id: string }>(server, '/v1/prices', { product, currency: 'usd', unit_amount: String(cents), 'recurring[interval]': 'month' });
  const basicPrice = await monthly(basic.id, 1000);
  const proPrice = await monthly(pro.id, 3000);
  const configuration = await api<{ id: string }>(server, '/v1/billing_portal/configurations', {
    'business_profile[headline]': 'Bench',
    'features[subscription_update][enabled]': 'true',
    'features[subscription_update][default_allowed_updates][0]': 'price',
    'features[subscription_update][default_allowed_updates][1]': 'quantity',
    'features[subscription_update][proration_behavior]': 'always_invoice',
    'features[subscription_update][products][0][product]': basic.id,
    'features[subscription_update][products][0][prices][0]': basicPrice.id,
    'features[subscription_update][products][1][product]': pro.id,
    'features[subscription_update][products][1][prices][0]': proPrice.id,
    'features[subscription_cancel][enabled]': 'true',
    'features[invoice_history][enabled]': 'true',
  });
  const customer = await api<{ id: string }>(server, '/v1/customers', { email: 'review-bench@example.com' });
  const card = await api<{ id: string }>(server, '/v1/payment_methods/pm_card_visa/attach', { customer: customer.id });
  await api(server, `/v1/customers/${customer.id}`, { 'invoice_settings[default_payment_method]': card.id });
  const subscriptions: string[] = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    subscriptions.push((await api<{ id: string }>(server, '/v1/subscriptions', { customer: customer.id, 'items[0][price]': basicPrice.id })).id);
  }
  const session = await api<{ url: string }>(server, '/v1/billing_portal/sessions', {
    customer: customer.id,
    configuration: configuration.id,
    return_url: 'https://example.com/account',
  });
  const opened = await fetch(session.url, { redirect: 'manual' });
  const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0]!;
  const url = `${server.url}/p/subscriptions/${subscriptions[0]}/review?price=${proPrice.id}&quantity=1`;
  const headers = { Cookie: cookie, 'Accept-Encoding': 'gzip' };
  const first = await fetch(url, { headers, redirect: 'manual' });
  const html = await first.text();
  // The review itself (its Confirm form), not the page that says a change is unavailable.
  if (first.status !== 200 || !html.includes(`action="/p/subscriptions/${subscriptions[0]}/update"`)) {
    throw new Error(`the review page answered ${first.status}: ${html.slice(0, 300)}`);
  }
  const raw = await rawGet(url, headers);
  return { measurement: await httpLoad({ url, headers }), wireBytes: raw.wire, htmlBytes: raw.plain };
}
