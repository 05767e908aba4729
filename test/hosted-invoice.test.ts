/**
 * Hosted invoice page and PDF (`hosted_invoice_url`, `invoice_pdf`), on every database: links set at
 * finalization, the page's content, locale and escaping, its security headers, the PDF, the pay form
 * (CSRF token and Origin check, paid and declined), and unknown tokens.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { formatAmount } from '../src/lib/money.ts';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';
import { pdfText } from './support/pdf.ts';

const TOKEN_URL = /^(.*)\/i\/([A-Za-z0-9_-]{43})$/;

for (const db of storageCases()) {
  describe(`hosted invoices on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function finalized(
      amount: number,
      customerParams: Stripe.CustomerCreateParams = {},
      currency = 'usd',
      pm?: string,
    ): Promise<{ customer: Stripe.Customer; invoice: Stripe.Invoice; token: string }> {
      const customer = await stripe.customers.create(customerParams);
      if (pm) {
        const attached = await stripe.paymentMethods.attach(pm, { customer: customer.id });
        await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
      }
      await stripe.invoiceItems.create({ customer: customer.id, amount, currency, description: 'Consulting' });
      const draft = await stripe.invoices.create({
        customer: customer.id,
        currency,
        pending_invoice_items_behavior: 'include',
        collection_method: 'send_invoice',
        days_until_due: 30,
      });
      assert.equal(draft.hosted_invoice_url, null);
      const invoice = await stripe.invoices.finalizeInvoice(draft.id);
      const match = TOKEN_URL.exec(invoice.hosted_invoice_url ?? '');
      assert.ok(match, `hosted_invoice_url: ${invoice.hosted_invoice_url}`);
      return { customer, invoice, token: match[2]! };
    }

    const page = (token: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/i/${token}`, { headers, redirect: 'manual' });

    function csrfOf(html: string): string {
      const m = /name="csrf" value="([^"]+)"/.exec(html);
      assert.ok(m, 'the page has a pay form');
      return m[1]!;
    }

    const pay = (token: string, body: Record<string, string>, headers: Record<string, string> = { Origin: server.url }) =>
      fetch(`${server.url}/i/${token}/pay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body).toString(),
        redirect: 'manual',
      });

    test('finalizing sets absolute hosted_invoice_url and invoice_pdf under the server URL', async () => {
      const { invoice, token } = await finalized(1234);
      assert.equal(invoice.hosted_invoice_url, `${server.url}/i/${token}`);
      assert.equal(invoice.invoice_pdf, `${server.url}/i/${token}/pdf`);
      assert.ok(!token.includes(invoice.id.slice(3)));
      const again = await stripe.invoices.retrieve(invoice.id);
      assert.equal(again.hosted_invoice_url, invoice.hosted_invoice_url);
      assert.equal(again.invoice_pdf, invoice.invoice_pdf);
    });

    test('the page shows the invoice, formatted, with strict headers and escaped names', async () => {
      const { invoice, token } = await finalized(1234, { name: '<script>alert(1)</script>', email: 'x@example.com' });
      const res = await page(token);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const html = await res.text();
      assert.ok(html.includes(invoice.number!), 'invoice number');
      assert.ok(html.includes('$12.34'), 'formatted total');
      assert.ok(html.includes('Consulting'));
      assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
      assert.ok(!html.includes('<script'), 'no script element at all');
      assert.ok(!/\sstyle=/.test(html), 'no inline style');
      const css = await fetch(`${server.url}/i/-/invoice.css`);
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
      await css.text();
    });

    test('amounts and labels follow preferred_locales, then Accept-Language', async () => {
      const yen = await finalized(1000, {}, 'jpy');
      assert.ok((await (await page(yen.token)).text()).includes('¥1,000'));
      const fr = await finalized(123_456, { preferred_locales: ['fr-FR', 'en'] }, 'eur');
      const frHtml = await (await page(fr.token, { 'Accept-Language': 'de' })).text();
      assert.equal(formatAmount(123_456, 'eur', 'fr'), '1\u202f234,56\u00a0€');
      assert.ok(frHtml.includes(formatAmount(123_456, 'eur', 'fr')), 'French formatting');
      assert.ok(frHtml.includes('Facture'));
      assert.ok(frHtml.includes('lang="fr"'));
      const de = await (await page(yen.token, { 'Accept-Language': 'xx, de-DE;q=0.8, en;q=0.5' })).text();
      assert.ok(de.includes('Rechnung'));
      const ja = await finalized(1000, { preferred_locales: ['ja'] }, 'jpy');
      const jaHtml = await (await page(ja.token)).text();
      assert.ok(jaHtml.includes('請求書'));
      assert.ok(jaHtml.includes(formatAmount(1000, 'jpy', 'ja')));
    });

    test('the PDF has the same content', async () => {
      const { invoice, token } = await finalized(1234, { name: 'Zoë Müller' });
      const res = await fetch(invoice.invoice_pdf!);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      assert.equal(res.headers.get('content-disposition'), `inline; filename="Invoice-${invoice.number}.pdf"`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      const pdf = Buffer.from(await res.arrayBuffer());
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      const text = pdfText(pdf);
      assert.ok(text.includes(invoice.number!), 'invoice number in the PDF');
      assert.ok(text.includes('$12.34'));
      assert.ok(text.includes('Zo\u00eb M\u00fcller'), 'Latin-1 names');
      const fr = await finalized(123_456, { preferred_locales: ['fr'] }, 'eur');
      const frText = pdfText(Buffer.from(await (await fetch(`${server.url}/i/${fr.token}/pdf`)).arrayBuffer()));
      assert.ok(frText.includes('Facture'));
      assert.ok(frText.includes('1 234,56'));
      // Japanese: no CJK font ships, so English labels with Japanese number formatting.
      const ja = await finalized(1000, { preferred_locales: ['ja'] }, 'jpy');
      const jaRes = await fetch(`${server.url}/i/${ja.token}/pdf`);
      assert.equal(jaRes.status, 200);
      const jaText = pdfText(Buffer.from(await jaRes.arrayBuffer()));
      assert.ok(jaText.includes('Invoice'));
      assert.ok(jaText.includes('\u00a51,000'));
    });

    test('the pay form needs its CSRF token and this origin, then charges the default payment method', async () => {
      const { invoice, token } = await finalized(2500, {}, 'usd', 'pm_card_visa');
      const html = await (await page(token)).text();
      assert.ok(html.includes(`action="/i/${token}/pay"`));
      const csrf = csrfOf(html);

      assert.equal((await pay(token, {})).status, 403);
      assert.equal((await pay(token, { csrf: (csrf[0] === 'A' ? 'B' : 'A') + csrf.slice(1) })).status, 403);
      assert.equal((await pay(token, { csrf }, { Origin: 'https://evil.example' })).status, 403);
      assert.equal((await pay(token, { csrf }, {})).status, 403, 'no Origin, no Sec-Fetch-Site');
      const other = await finalized(2500, {}, 'usd', 'pm_card_visa');
      assert.equal((await pay(other.token, { csrf })).status, 403, 'a CSRF token is tied to its page');
      assert.equal((await stripe.invoices.retrieve(invoice.id)).status, 'open');

      const res = await pay(token, { csrf });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), `/i/${token}?payment=succeeded`);
      const paid = await stripe.invoices.retrieve(invoice.id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_paid, 2500);
      const after = await (await page(token + '?payment=succeeded')).text();
      assert.ok(after.includes('Your payment was received'));
      assert.ok(!after.includes('name="csrf"'), 'no pay form on a paid invoice');
      assert.ok(after.includes('Paid'));

      // Browsers send `Origin: null` under Referrer-Policy: no-referrer; Sec-Fetch-Site vouches instead.
      const nullOrigin = await pay(other.token, { csrf: csrfOf(await (await page(other.token)).text()) }, {
        Origin: 'null',
        'Sec-Fetch-Site': 'same-origin',
      });
      assert.equal(nullOrigin.status, 303);
      assert.equal((await stripe.invoices.retrieve(other.invoice.id)).status, 'paid');
    });

    test('a declined card leaves the invoice open and says so', async () => {
      const { invoice, token } = await finalized(2500, {}, 'usd', 'pm_card_chargeCustomerFail');
      const res = await pay(token, { csrf: csrfOf(await (await page(token)).text()) });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), `/i/${token}?payment=declined`);
      const open = await stripe.invoices.retrieve(invoice.id);
      assert.equal(open.status, 'open');
      assert.equal(open.attempt_count, 1);
      const html = await (await page(`${token}?payment=declined`)).text();
      assert.ok(html.includes('declined'));
      assert.ok(html.includes('name="csrf"'), 'can try again');
    });

    test('unknown, malformed and derived tokens are a 404 page', async () => {
      const a = await finalized(100);
      const b = await finalized(100);
      assert.notEqual(a.token, b.token);
      const candidates = [
        'A'.repeat(43),
        a.invoice.id,
        b.invoice.id,
        a.token.slice(0, -1) + (a.token.endsWith('A') ? 'B' : 'A'),
        'short',
        `${a.token}x`,
      ];
      for (const token of candidates) {
        const res = await page(token);
        assert.equal(res.status, 404, token);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.ok((await res.text()).includes('Invoice not found'));
        assert.equal((await fetch(`${server.url}/i/${token}/pdf`)).status, 404);
      }
      assert.equal((await pay('A'.repeat(43), { csrf: 'x' })).status, 404);
    });
  });
}
