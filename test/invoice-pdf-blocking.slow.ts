/**
 * Run by hand (not part of `npm test` yet: see below): `node --import tsx --test test/invoice-pdf-blocking.slow.ts`.
 * On this shared 2-core machine (load average ~20) the longest hold measured 70–107 ms for the renderer
 * and 99–130 ms for a /healthz round trip (which spans several yields), so the 100 ms bound is not yet
 * met reliably; before the fix one 5,000-character line took seconds and the 1,000-line PDF did not
 * finish within minutes.
 *
 * An invoice PDF never holds the event loop (issue 12, item 1): a PDF of 1,000 lines whose names have
 * 5,000 characters renders while `/healthz` keeps answering in under 100 ms.
 *
 * The server runs in this process, so the test watches the event loop it shares with it. Two measures,
 * both robust to a machine busy with other work: a timer that re-arms itself every millisecond records
 * each gap between its runs, and a client polls `/healthz` one request after another. A gap counts as
 * blocking only up to the CPU time this process used during it (`process.cpuUsage`): a process the
 * operating system has descheduled uses none, while JavaScript holding the loop uses its whole length.
 * On PostgreSQL the PDF is fetched from the server; on the embedded database, whose queries run inside
 * this process, the renderer is timed alone (see below). The product names reach 5,000 characters (the API's limit on a product name, which subscription lines
 * carry); the 1,000 lines are written into the invoice's stored lines directly, as making them through
 * the API would take minutes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { sql } from 'kysely';
import { renderInvoicePdf } from '../src/web/invoice/pdf.ts';
import { storageCases } from './support/storages.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const LINES = 1_000;
const NAME_LENGTH = 5_000;
/** What a request may hold the event loop for, at most (the bound for `/healthz`). */
const BOUND_MS = 100;

/** Wall-clock and process CPU time now, in milliseconds. */
function now(): { wall: number; cpu: number } {
  const cpu = process.cpuUsage();
  return { wall: performance.now(), cpu: (cpu.user + cpu.system) / 1000 };
}

/** How long the loop was held between two instants: the wall time, but no more than the CPU used. */
const held = (a: { wall: number; cpu: number }, b: { wall: number; cpu: number }) => Math.min(b.wall - a.wall, b.cpu - a.cpu);

/** Records the longest gap between runs of a 1 ms timer until stopped. */
function watchLoop(): { stop(): { maxHeldMs: number; maxWallMs: number; ticks: number } } {
  let last = now();
  let maxHeld = 0;
  let maxWall = 0;
  let ticks = 0;
  let timer: NodeJS.Timeout;
  const tick = () => {
    const t = now();
    maxHeld = Math.max(maxHeld, held(last, t));
    maxWall = Math.max(maxWall, t.wall - last.wall);
    ticks++;
    last = t;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return {
    stop() {
      clearTimeout(timer);
      return { maxHeldMs: maxHeld, maxWallMs: maxWall, ticks };
    },
  };
}

/** All text a PDF draws, from its Flate-compressed streams, hex strings decoded. */
function pdfText(pdf: Buffer): string {
  const out: string[] = [];
  const raw = pdf.toString('latin1');
  const re = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw))) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    let body: string;
    try {
      body = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      body = pdf.subarray(start, end).toString('latin1');
    }
    out.push(body.replace(/<([0-9A-Fa-f]+)>/g, (_, hex: string) => Buffer.from(hex, 'hex').toString('latin1')));
    re.lastIndex = end + 'endstream'.length;
  }
  return out.join('\n');
}

for (const db of storageCases()) describe(`invoice PDF and the event loop on ${db.name}`, () => {
  let server: TestServer;
  let closeStorage: () => Promise<void>;
  before(async () => {
    const storage = await db.open();
    closeStorage = () => storage.close();
    server = await startTestServer({ storage });
  });
  after(async () => {
    await server.close();
    await closeStorage();
  });

  test(`a ${LINES}-line PDF with ${NAME_LENGTH}-character names renders while /healthz answers in under ${BOUND_MS} ms`, async () => {
    const { stripe } = server;
    const customer = await stripe.customers.create({ name: 'W'.repeat(256), email: 'wide@example.com' });
    await stripe.invoiceItems.create({ customer: customer.id, amount: 1234, currency: 'eur', description: 'Seed line' });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
      collection_method: 'send_invoice',
      days_until_due: 30,
    });
    const invoice = await stripe.invoices.finalizeInvoice(draft.id);
    const kdb = server.portico.storage.db;
    const row = await kdb.selectFrom('objects').select(['private']).where('id', '=', invoice.id).executeTakeFirstOrThrow();
    const seed = (row.private as { allLines: Record<string, unknown>[] }).allLines[0]!;
    // Wide glyphs (W, M), narrow ones (i, l), accents, and characters Helvetica cannot encode (Ω → ?).
    const name = (i: number) => `Line ${i} `.concat('WMmw ilIl éàü Ω€ '.repeat(Math.ceil(NAME_LENGTH / 17))).slice(0, NAME_LENGTH);
    const lines = Array.from({ length: LINES }, (_, i) => ({ ...seed, id: `il_pdf${String(i).padStart(6, '0')}`, description: name(i) }));
    await sql`update objects set private = ${JSON.stringify({ ...row.private, allLines: lines })}::jsonb where id = ${invoice.id}`.execute(kdb);

    const pdfUrl = invoice.invoice_pdf!;
    const stored = await server.stripe.invoices.retrieve(invoice.id);
    const loop = watchLoop();
    let rendering = true;
    const health: number[] = [];
    const poll = (async () => {
      while (rendering) {
        const a = now();
        const res = await fetch(`${server.url}/healthz`);
        await res.arrayBuffer();
        assert.equal(res.status, 200);
        health.push(held(a, now()));
      }
    })();
    const started = performance.now();
    let res: { status: number; headers: Headers };
    let pdf: Buffer;
    if (db.name === 'postgres') {
      const answer = await fetch(pdfUrl);
      res = answer;
      pdf = Buffer.from(await answer.arrayBuffer());
    } else {
      // The embedded database runs inside this process: reading a 5 MB invoice row is one synchronous
      // call into it (~150 ms of CPU here) that no chunking in Portico can split. On it, the test times
      // the renderer alone (the quadratic fitting), with the server answering /healthz beside it.
      const view = { invoice: stored as never, lines: lines as never, taxRates: new Map() };
      pdf = Buffer.from(await renderInvoicePdf(view, 'en', new Date()));
      res = { status: 200, headers: new Headers({ 'content-type': 'application/pdf' }) };
    }
    const elapsed = performance.now() - started;
    rendering = false;
    await poll;
    const watched = loop.stop();

    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    const text = pdfText(pdf);
    const found = [...text.matchAll(/Line (\d+) WMmw/g)].map((m) => Number(m[1]));
    assert.deepEqual(found, Array.from({ length: LINES }, (_, i) => i), 'every line, in order');
    assert.ok(text.includes('\u2026') || text.includes('\x85'), 'long names are cut with an ellipsis');
    const maxHealth = Math.max(...health);
    console.log(
      `PDF of ${LINES} lines: ${pdf.length} bytes in ${elapsed.toFixed(0)} ms; /healthz answered ${health.length} times, ` +
        `longest ${maxHealth.toFixed(1)} ms held; loop timer: ${watched.ticks} ticks, longest gap ${watched.maxHeldMs.toFixed(1)} ms held ` +
        `(${watched.maxWallMs.toFixed(1)} ms wall)`,
    );
    assert.ok(health.length >= 5, `/healthz answered throughout (${health.length} times)`);
    assert.ok(maxHealth < BOUND_MS, `/healthz waited ${maxHealth.toFixed(1)} ms`);
    assert.ok(watched.maxHeldMs < BOUND_MS, `the event loop was held ${watched.maxHeldMs.toFixed(1)} ms`);
  });
});

// h11rtl: the right-to-left PDF (embedded font, bidi, Arabic shaping) is held to the same bound. The
// renderer is timed alone on a stand-in invoice (no database): 1,000 lines of 5,000-character names.
// Measured here (load average ~20, after the suite above in the same process): Hebrew 65–78 ms held
// (10.7–11.9 s in all); Arabic 142–369 ms held (23–30 s in all), 88 ms when run alone in a fresh
// process: the Arabic bound is not met yet (the longest holds are not in the per-line work, which
// yields every 10 ms, and were not pinned down; garbage collection of the shaped runs is suspected).
describe('right-to-left PDF', () => {
  for (const locale of ['ar', 'he'] as const) {
    test(`a ${LINES}-line ${locale} PDF with ${NAME_LENGTH}-character names never holds the loop ${BOUND_MS} ms`, async () => {
      const words = locale === 'ar' ? 'اشتراك شهري احترافي (خطة) ' : 'מנוי חודשי מקצועי (תוכנית) ';
      const lines = Array.from({ length: LINES }, (_, i) => ({
        description: `${i} ${words.repeat(Math.ceil(NAME_LENGTH / words.length))}`.slice(0, NAME_LENGTH),
        quantity: 1,
        amount: 100,
      }));
      const invoice = {
        id: 'in_rtl', number: 'RTL-0001', status: 'open', currency: 'usd', account_name: 'Acme', customer_name: null, customer_email: null,
        status_transitions: { finalized_at: 1767225600, paid_at: null }, created: 1767225600, due_date: null,
        total_discount_amounts: [], total_taxes: [], subtotal: 100_000, total: 100_000, amount_paid: 0, amount_remaining: 100_000,
      };
      const loop = watchLoop();
      const started = performance.now();
      const pdf = await renderInvoicePdf({ invoice: invoice as never, lines, taxRates: new Map() }, locale, new Date(0));
      const elapsed = performance.now() - started;
      const watched = loop.stop();
      console.log(
        `${locale} PDF of ${LINES} lines: ${pdf.length} bytes in ${elapsed.toFixed(0)} ms; loop timer: ${watched.ticks} ticks, ` +
          `longest gap ${watched.maxHeldMs.toFixed(1)} ms held (${watched.maxWallMs.toFixed(1)} ms wall)`,
      );
      assert.equal(Buffer.from(pdf.subarray(0, 5)).toString('latin1'), '%PDF-');
      assert.ok(watched.maxHeldMs < BOUND_MS, `the event loop was held ${watched.maxHeldMs.toFixed(1)} ms`);
    });
  }
});
