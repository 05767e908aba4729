/**
 * The two detail flows (`payment_method_update`, `customer_update`), with `fetch` and a cookie: a flow
 * session lands on its one section (not the home page), the page has no way back home, and the action
 * completes the flow with its `after_completion` (a 303 to the redirect URL, or the hosted confirmation
 * with the custom message); after that the session is an ordinary portal session.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';
import { visitPortal } from './support/portal-fetch.ts';

const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? assert.fail('no CSRF field');

for (const db of storageCases()) {
  describe(`portal detail flows on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = server.stripe;
    });

    const visit = (path: string, cookie: string, form?: Record<string, string>) => visitPortal(server.url, path, cookie, form);

    async function openFlow(flow: Stripe.BillingPortal.SessionCreateParams.FlowData): Promise<{ cookie: string; customer: Stripe.Customer }> {
      const customer = await stripe.customers.create({ email: `flow-${Math.random().toString(36).slice(2, 8)}@example.com`, name: 'Before' });
      const configuration = await stripe.billingPortal.configurations.create({
        business_profile: { headline: 'Flows' },
        features: {
          customer_update: { enabled: true, allowed_updates: ['name', 'email'] },
          payment_method_update: { enabled: true },
        },
      });
      const session = await stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: configuration.id,
        return_url: 'https://example.com/account',
        flow_data: flow,
      });
      const first = await fetch(session.url, { redirect: 'manual' });
      assert.equal(first.status, 303);
      return { cookie: first.headers.get('set-cookie')!.split(';')[0]!, customer };
    }

    test('customer_update lands on the billing details and saving redirects to the flow return URL', async () => {
      const { cookie, customer } = await openFlow({
        type: 'customer_update',
        after_completion: { type: 'redirect', redirect: { return_url: 'https://example.com/billing-saved' } },
      });
      const home = await visit('/p/home', cookie);
      assert.equal(home.status, 303);
      assert.equal(home.location, '/p/billing');
      const page = await visit('/p/billing', cookie);
      assert.equal(page.status, 200);
      assert.ok(!page.body.includes('href="/p/home"'), 'no way back home inside the flow');
      const saved = await visit('/p/billing', cookie, { csrf: csrfIn(page.body), name: 'After', email: customer.email! });
      assert.equal(saved.status, 303, saved.body.slice(0, 300));
      assert.equal(saved.location, 'https://example.com/billing-saved');
      assert.equal((await stripe.customers.retrieve(customer.id) as Stripe.Customer).name, 'After');
      // The flow is done: the session is now an ordinary one (home shown, the way back home offered).
      assert.equal((await visit('/p/home', cookie)).status, 200);
      assert.ok((await visit('/p/billing', cookie)).body.includes('href="/p/home"'));
    });

    test('payment_method_update lands on the cards and adding one shows the hosted confirmation', async () => {
      const { cookie, customer } = await openFlow({
        type: 'payment_method_update',
        after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'Your new card is saved.' } },
      });
      assert.equal((await visit('/p/home', cookie)).location, '/p/payment-methods');
      const form = await visit('/p/payment-methods/new', cookie);
      assert.equal(form.status, 200);
      const added = await visit('/p/payment-methods', cookie, {
        csrf: csrfIn(form.body),
        number: '4242 4242 4242 4242',
        expiry: '12 / 40',
        cvc: '123',
        name: 'Flow Customer',
        country: 'US',
        postal_code: '10001',
        make_default: 'true',
      });
      assert.equal(added.status, 303, added.body.slice(0, 300));
      assert.equal(added.location, '/p/flow/done');
      const done = await visit('/p/flow/done', cookie);
      assert.equal(done.status, 200);
      assert.ok(done.body.includes('Your new card is saved.'));
      const cards = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
      assert.equal(cards.data.length, 1);
      assert.equal(cards.data[0]!.card!.last4, '4242');
      // Completed once: a second card is an ordinary action that returns to the cards.
      const again = await visit('/p/payment-methods/new', cookie);
      const second = await visit('/p/payment-methods', cookie, {
        csrf: csrfIn(again.body),
        number: '5555 5555 5555 4444',
        expiry: '12 / 40',
        cvc: '123',
        name: 'Flow Customer',
        country: 'US',
        postal_code: '10001',
      });
      assert.equal(second.status, 303);
      assert.match(second.location ?? '', /^\/p\/payment-methods\?notice=card_added$/);
    });
  });
}
