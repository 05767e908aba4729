/**
 * The SDK's own surface against a running Portico (issue 13, "Done means"): for the resources of the
 * issue, every method's path (from stripe-node's resource files) must be served, and every top-level
 * create and update parameter (from its type definitions, read with the TypeScript compiler) must be
 * either accepted or refused with `parameter_unsupported` naming it, never answered as unknown.
 * Prints the figures. A parameter counts as accepted when the answer is anything but
 * `parameter_unknown`/`parameter_unsupported` naming it (a value error still means it is known).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import qs from 'qs';
import ts from 'typescript';
import { useTestServer } from './support/suite.ts';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';

const RESOURCES = [
  'Customers',
  'CustomerBalanceTransactions',
  'Invoices',
  'InvoiceItems',
  'Plans',
  'Prices',
  'Products',
  'SubscriptionItems',
  'Subscriptions',
  'SubscriptionSchedules',
];


const require = createRequire(import.meta.url);
const sdkDir = join(dirname(require.resolve('stripe')), '..', 'esm', 'resources');

interface Method {
  resource: string;
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  ids: number;
}

/** Every method of a resource: its HTTP method and path (`{id}` for each path argument). */
function methodsOf(resource: string): Method[] {
  const js = readFileSync(join(sdkDir, `${resource}.js`), 'utf8');
  const out: Method[] = [];
  const re = /^ {4}(\w+)\(([^)]*)\)\s*\{\s*return this\._makeRequest\(\s*'(GET|POST|DELETE)',\s*[`']([^`']+)[`']/gm;
  for (const m of js.matchAll(re)) {
    const path = m[4]!.replace(/\$\{encodeURIComponent\(\w+\)\}/g, '{id}');
    out.push({ resource, name: m[1]!, method: m[3] as Method['method'], path, ids: (path.match(/\{id\}/g) ?? []).length });
  }
  return out;
}

/** The top-level parameter names of `<Name>Params` in a resource's type definitions. */
function paramsOf(resource: string, iface: string): string[] {
  const file = join(sdkDir, `${resource}.d.ts`);
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  for (const st of src.statements) {
    if (ts.isInterfaceDeclaration(st) && st.name.text === iface) {
      return st.members.map((m) => (m.name as ts.Identifier).text).filter((n) => n !== 'expand');
    }
  }
  return [];
}

/** The Params interface a method takes, from the class declaration (`create(params?: XCreateParams…`). */
function paramsInterface(resource: string, method: string): string | null {
  const file = join(sdkDir, `${resource}.d.ts`);
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  for (const st of src.statements) {
    if (!ts.isClassDeclaration(st)) continue;
    for (const m of st.members) {
      if (!ts.isMethodDeclaration(m) || (m.name as ts.Identifier).text !== method) continue;
      const p = m.parameters.find((x) => (x.name as ts.Identifier).text === 'params');
      return p?.type?.getText(src) ?? null;
    }
  }
  return null;
}

async function call(server: TestServer, method: string, path: string, params: Record<string, unknown>) {
  const body = qs.stringify(params, { arrayFormat: 'indices', encodeValuesOnly: false });
  const res = await fetch(`${server.url}${path}${method === 'POST' || body === '' ? '' : `?${body}`}`, {
    method,
    headers: {
      Authorization: `Bearer ${server.portico.keys.testSecretKey}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    ...(method === 'POST' ? { body } : {}),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const isUnrecognizedUrl = (r: { status: number; json: any }) =>
  r.status === 404 && /^Unrecognized request URL/.test(r.json?.error?.message ?? '');

const names = (p: string, param: string | undefined) => param !== undefined && (param === p || param.startsWith(`${p}[`));

for (const db of storageCases().filter((c) => c.name === 'pglite')) {
  describe('the SDK surface of issue 13', () => {
    let server: TestServer;
    useTestServer(db, (s) => (server = s));

    test('every path is served and every create/update parameter is accepted or refused as unsupported', async () => {
      const stripe = server.stripe;
      // Real objects, so updates reach their parameters.
      const customer = await stripe.customers.create({ email: 'surface@example.com' });
      await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      const pm = (await stripe.paymentMethods.list({ customer: customer.id })).data[0]!;
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'S' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const invoice = await stripe.invoices.create({ customer: customer.id });
      const item = await stripe.invoiceItems.create({ customer: customer.id, amount: 100, currency: 'usd' });
      const scheduled = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const schedule = await stripe.subscriptionSchedules.create({ from_subscription: scheduled.id });
      const ids: Record<string, string> = {
        Customers: customer.id,
        Invoices: invoice.id,
        InvoiceItems: item.id,
        Plans: price.id,
        Prices: price.id,
        Products: price.product as string,
        SubscriptionItems: sub.items.data[0]!.id,
        Subscriptions: sub.id,
        SubscriptionSchedules: schedule.id,
        CustomerBalanceTransactions: customer.id,
      };
      const base: Record<string, Record<string, unknown>> = {
        'Subscriptions.create': { customer: customer.id, items: [{ price: price.id }] },
        'Invoices.create': { customer: customer.id },
        'InvoiceItems.create': { customer: customer.id },
        'Prices.create': { currency: 'usd', product: price.product },
        'Products.create': { name: 'P' },
        'SubscriptionItems.create': { subscription: sub.id },
        'SubscriptionSchedules.create': { customer: customer.id },
        'Plans.create': { currency: 'usd', interval: 'month' },
      };

      let paths = 0;
      let served = 0;
      const unserved: string[] = [];
      const tally = { create: { all: 0, accepted: 0, refused: 0 }, update: { all: 0, accepted: 0, refused: 0 } };
      const unknown: string[] = [];
      const refusedWithoutReason: string[] = [];
      for (const resource of RESOURCES) {
        for (const m of methodsOf(resource)) {
          paths++;
          const path = m.path.replace(/\{id\}/, ids[resource] ?? 'x_missing').replace(/\{id\}/g, 'x_missing');
          const probe = await call(server, m.method, path, {});
          // A literal last segment (`/v1/customers/search`) taken for an id is not served either.
          const literal = /\/([a-z_]+)$/.exec(m.path)?.[1];
          const takenForId = literal !== undefined && probe.status === 404 && (probe.json?.error?.message ?? '').includes(`'${literal}'`);
          if (isUnrecognizedUrl(probe) || takenForId) unserved.push(`${m.method} ${m.path}`);
          else served++;
          if (m.name !== 'create' && m.name !== 'update') continue;
          const iface = paramsInterface(resource, m.name);
          if (!iface) continue;
          for (const param of paramsOf(resource, iface)) {
            const kind = m.name;
            tally[kind].all++;
            const key = `${resource}.${kind}.${param}`;
            const r = await call(server, m.method, path, { ...(base[`${resource}.${kind}`] ?? {}), [param]: 'x' });
            const err = r.json?.error;
            if (isUnrecognizedUrl(r) || (err?.code === 'parameter_unknown' && names(param, err.param))) {
              unknown.push(key);
            } else if (err?.code === 'parameter_unsupported' && names(param, err.param)) {
              tally[kind].refused++;
              if (!/not supported by Portico: \S/.test(err.message)) refusedWithoutReason.push(key);
            } else {
              tally[kind].accepted++;
            }
          }
        }
      }
      const pct = (a: number, b: number) => `${((100 * a) / Math.max(b, 1)).toFixed(1)} %`;
      console.log(
        [
          `SDK surface (${RESOURCES.join(', ')}):`,
          `  paths served: ${served} of ${paths} (${pct(served, paths)})`,
          `  create parameters accepted: ${tally.create.accepted} of ${tally.create.all} (${pct(tally.create.accepted, tally.create.all)}); refused as unsupported: ${tally.create.refused}`,
          `  update parameters accepted: ${tally.update.accepted} of ${tally.update.all} (${pct(tally.update.accepted, tally.update.all)}); refused as unsupported: ${tally.update.refused}`,
          `  not served: ${unserved.join(', ') || 'none'}`,
        ].join('\n'),
      );
      if (process.env.SURFACE_LIST_UNKNOWN) console.log(JSON.stringify(unknown, null, 1));
      assert.deepEqual(unknown, [], 'parameters answered as unknown');
      assert.deepEqual(refusedWithoutReason, [], 'refusals without a reason');
    });
  });
}
