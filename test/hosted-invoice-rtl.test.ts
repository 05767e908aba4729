/**
 * The hosted invoice page and its PDF in Hebrew and Arabic (issue 11, item 6), on every database: the
 * locale comes from the customer's `preferred_locales` or the browser's `Accept-Language`; the page
 * carries `dir="rtl"` and Intl's formatting; the PDF is drawn in an embedded font (DejaVu Sans) with every
 * character it shows mapped (no `.notdef` box), Arabic in its joined contextual forms; and where that
 * font is missing, the Arabic or Hebrew PDF is English rather than boxes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import type Stripe from 'stripe';
import { formatAmount } from '../src/lib/money.ts';
import { INVOICE_CSS } from '../src/web/invoice/page.tsx';
import { storageCases } from './support/storages.ts';
import type { TestServer } from './support/server.ts';
import { useTestServer } from './support/suite.ts';
import { pdfStreams } from './support/pdf.ts';

/** Each embedded font's ToUnicode map (regular, bold): glyph id → the text it stands for. */
function toUnicode(pdf: Buffer): Map<string, string>[] {
  const maps: Map<string, string>[] = [];
  for (const stream of pdfStreams(pdf)) {
    if (!stream.includes('beginbfchar')) continue;
    const map = new Map<string, string>();
    for (const [, glyph, text] of stream.matchAll(/<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>/g)) {
      map.set(glyph!.toUpperCase(), Buffer.from(text!, 'hex').swap16().toString('utf16le'));
    }
    maps.push(map);
  }
  return maps;
}

/** The glyph ids drawn with hex strings (the embedded font's `Tj` operands). */
function drawnGlyphs(pdf: Buffer): string[] {
  const glyphs: string[] = [];
  for (const stream of pdfStreams(pdf)) {
    for (const [, hex] of stream.matchAll(/<([0-9A-Fa-f]+)>\s*Tj/g)) glyphs.push(...hex!.toUpperCase().match(/.{4}/g)!);
  }
  return glyphs;
}

for (const db of storageCases()) {
  describe(`hosted invoices right to left on ${db.name}`, () => {
    let server: TestServer;
    let stripe: Stripe;
    useTestServer(db, (s) => {
      server = s;
      stripe = s.stripe;
    });

    async function finalized(amount: number, currency: string, customerParams: Stripe.CustomerCreateParams, description: string) {
      const customer = await stripe.customers.create(customerParams);
      await stripe.invoiceItems.create({ customer: customer.id, amount, currency, description });
      const draft = await stripe.invoices.create({ customer: customer.id, currency, pending_invoice_items_behavior: 'include', collection_method: 'send_invoice', days_until_due: 30 });
      return stripe.invoices.finalizeInvoice(draft.id);
    }

    test('Hebrew from preferred_locales: dir="rtl", Hebrew labels, shekels by Intl', async () => {
      const invoice = await finalized(123_456, 'ils', { name: 'דנה כהן', email: 'dana@example.com', preferred_locales: ['he-IL'] }, 'ייעוץ');
      const html = await (await fetch(invoice.hosted_invoice_url!, { headers: { 'Accept-Language': 'fr' } })).text();
      assert.ok(html.startsWith('<!doctype html><html lang="he" dir="rtl">'), html.slice(0, 80));
      assert.ok(html.includes('חשבונית') && html.includes('סכום לתשלום'));
      assert.ok(html.includes(formatAmount(123_456, 'ils', 'he')), 'amount formatted by Intl for he');
      assert.ok(html.includes('דנה כהן'));
    });

    test('Arabic from Accept-Language (no preferred_locales): dir="rtl", Arabic labels and dates', async () => {
      const invoice = await finalized(250_000, 'aed', { email: 'layla@example.com' }, 'اشتراك');
      const html = await (await fetch(invoice.hosted_invoice_url!, { headers: { 'Accept-Language': 'ar-AE,ar;q=0.9,en;q=0.5' } })).text();
      assert.ok(html.startsWith('<!doctype html><html lang="ar" dir="rtl">'), html.slice(0, 80));
      assert.ok(html.includes('فاتورة') && html.includes('المبلغ المستحق'));
      assert.ok(html.includes(formatAmount(250_000, 'aed', 'ar')), 'amount formatted by Intl for ar');
      const issued = new Intl.DateTimeFormat('ar', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(invoice.status_transitions.finalized_at! * 1000));
      assert.ok(html.includes(issued), `date ${issued}`);
      // English stays left to right.
      const en = await (await fetch(invoice.hosted_invoice_url!, { headers: { 'Accept-Language': 'en' } })).text();
      assert.ok(en.startsWith('<!doctype html><html lang="en">'));
    });

    test('the page’s stylesheet is logical: it mirrors under dir="rtl"', () => {
      assert.doesNotMatch(INVOICE_CSS, /text-align:\s*(?:left|right)|(?:margin|padding|border)-(?:left|right)/);
      assert.match(INVOICE_CSS, /text-align:end/);
    });

    for (const [locale, word, letters] of [
      ['he', 'חשבונית', ['ח', 'ש', 'ב', 'ו', 'נ', 'י', 'ת']],
      ['ar', 'فاتورة', ['ف', 'ا', 'ت', 'و', 'ر', 'ة']],
    ] as const) {
      test(`the ${locale} PDF embeds a font with its letters, draws no missing glyph, and is in ${locale}`, async () => {
        const invoice = await finalized(9_900, 'usd', { email: 'x@example.com', preferred_locales: [locale] }, locale === 'he' ? 'מנוי (חודשי)' : 'اشتراك (شهري)');
        const res = await fetch(invoice.invoice_pdf!);
        assert.equal(res.status, 200);
        const pdf = Buffer.from(await res.arrayBuffer());
        const raw = pdf.toString('latin1');
        assert.match(raw, /\/BaseFont \/DejaVuSans-Bold-\d+/, 'the bold face is embedded (subset)');
        assert.match(raw, /\/BaseFont \/DejaVuSans-\d+/, 'the regular face is embedded (subset)');
        assert.match(raw, new RegExp(`/Lang \\(${locale}\\)`), 'the document says its language');
        const cmaps = toUnicode(pdf);
        assert.equal(cmaps.length, 2, 'a ToUnicode map per embedded face');
        const mapped = new Set(cmaps.flatMap((m) => [...m.values()]));
        for (const letter of letters) assert.ok([...mapped].some((t) => t.includes(letter)), `${word}: ${letter} is drawn`);
        const drawn = drawnGlyphs(pdf);
        assert.ok(drawn.length > 50, 'text is drawn with the embedded font');
        assert.ok(!drawn.includes('0000'), 'no .notdef glyph (no box in place of a letter)');
        for (const g of drawn) assert.ok(cmaps.some((m) => m.has(g)), `glyph ${g} has its text`);
        if (locale === 'ar') {
          // Joined Arabic: in some face, some letter is drawn in two contextual forms (two glyphs for it).
          const twoForms = cmaps.some((m) => {
            const forms = new Map<string, number>();
            for (const text of m.values()) if (/^[\u0620-\u064a]$/.test(text)) forms.set(text, (forms.get(text) ?? 0) + 1);
            return [...forms.values()].some((n) => n >= 2);
          });
          assert.ok(twoForms, 'Arabic letters in contextual forms');
        }
      });
    }
  });
}

describe('without the font, the right-to-left PDF falls back to English', () => {
  test('PORTICO_PDF_FONT_DIR pointing nowhere: the ar and he PDFs say "Invoice", in Helvetica', async () => {
    const script = `
      import { renderInvoicePdf } from ${JSON.stringify(new URL('../src/web/invoice/pdf.ts', import.meta.url).href)};
      const invoice = { id: 'in_x', number: 'FB-1', status: 'open', currency: 'usd', account_name: null, customer_name: null, customer_email: null,
        status_transitions: { finalized_at: 1767225600, paid_at: null }, created: 1767225600, due_date: null,
        total_discount_amounts: [], total_taxes: [], subtotal: 100, total: 100, amount_paid: 0, amount_remaining: 100 };
      for (const locale of ['ar', 'he']) {
        const pdf = Buffer.from(await renderInvoicePdf({ invoice, lines: [{ description: 'Line', quantity: 1, amount: 100 }], taxRates: new Map() }, locale, new Date(0)));
        const raw = pdf.toString('latin1');
        console.log(locale, raw.includes('/BaseFont /Helvetica'), raw.includes('DejaVu'), /\\/Lang \\(en\\)/.test(raw));
      }`;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd,
      env: { ...process.env, PORTICO_PDF_FONT_DIR: '/nonexistent-portico-fonts' },
    });
    assert.deepEqual(stdout.trim().split('\n'), ['ar true false true', 'he true false true']);
  });
});
