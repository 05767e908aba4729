/**
 * Cards added through Stripe's legacy Sources API (`customers.createSource` with `tok_visa`) in the
 * portal, with `fetch` and a cookie: the customer's `default_source` is shown as the default card (the
 * engine charges it when there is no `invoice_settings.default_payment_method`), it cannot be removed
 * while a subscription charges it, and another card made the default through the portal takes over.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';
import { visitPortal } from './support/portal-fetch.ts';

const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? assert.fail('no CSRF field');

/** The card rows of the cards page: id and whether it carries the Default badge. */
function cardRows(html: string): { id: string; isDefault: boolean }[] {
  return [...html.matchAll(/data-payment-method="([^"]+)">([\s\S]*?)<\/p>/g)].map((m) => ({ id: m[1]!, isDefault: />Default</.test(m[2]!) }));
}

for (const db of storageCases()) {
  describe(`legacy card sources in the portal on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    const visit = (path: string, cookie: string, form?: Record<string, string>) => visitPortal(server.url, path, cookie, form);

    test('the default source is the default card, kept while a subscription charges it; another card can take over', async () => {
      const customer = await stripe.customers.create({ email: 'legacy@example.com', source: 'tok_visa' });
      const source = customer.default_source as string;
      assert.match(source, /^card_/);
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Legacy plan' } });
      await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const other = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id });

      const configuration = await stripe.billingPortal.configurations.create({
        business_profile: { headline: 'Legacy cards' },
        features: { payment_method_update: { enabled: true } },
      });
      const session = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: configuration.id, return_url: 'https://example.com/account' });
      const first = await fetch(session.url, { redirect: 'manual' });
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!;

      const page = await visit('/p/payment-methods', cookie);
      assert.equal(page.status, 200);
      assert.deepEqual(cardRows(page.body).find((r) => r.isDefault)?.id, source, 'the default source is shown as the default');
      // It is charged by the subscription: removing it is refused, and nothing changes.
      const refused = await visit(`/p/payment-methods/${source}/remove`, cookie, { csrf: csrfIn(page.body) });
      assert.equal(refused.status, 303);
      assert.match(refused.location ?? '', /notice=default_in_use/);
      assert.equal((await stripe.customers.listSources(customer.id, { object: 'card' })).data.length, 1);

      // The other card made the default through the portal takes over; the source can then go.
      const made = await visit(`/p/payment-methods/${other.id}/default`, cookie, { csrf: csrfIn(page.body) });
      assert.equal(made.status, 303);
      const after = await visit('/p/payment-methods', cookie);
      assert.deepEqual(cardRows(after.body).find((r) => r.isDefault)?.id, other.id);
      const removed = await visit(`/p/payment-methods/${source}/remove`, cookie, { csrf: csrfIn(after.body) });
      assert.match(removed.location ?? '', /notice=card_removed/);
      assert.equal((await stripe.customers.listSources(customer.id, { object: 'card' })).data.length, 0);
      const reread = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
      assert.equal(reread.invoice_settings.default_payment_method, other.id);
      assert.equal(reread.default_source, null);
    });
  });
}
