/**
 * An invoice PDF never holds the event loop for long (issue 12, item 1): a PDF of 1,000 lines whose
 * product names have 5,000 characters renders while the server keeps answering `/healthz`, on both
 * databases, the PDF fetched from the server as a customer would.
 *
 * The server runs in this process, so the test watches the event loop it shares with it, as
 * event-loop delay rather than HTTP latency (which a loaded machine inflates): a timer that re-arms
 * itself every millisecond records each gap between its runs, and a gap counts as held only up to the
 * CPU time this process used during it (`process.cpuUsage`): a process the operating system has
 * descheduled uses none, while JavaScript (or the embedded database's WebAssembly) holding the loop
 * uses its whole length. Bound: 100 ms, the issue's. A client polls `/healthz` one request after
 * another meanwhile: it must keep answering (its longest round trip is printed). One warm-up PDF, then
 * two measured ones; the better counts (a single stray pause of the machine cannot fail it, a
 * request that holds the loop fails both).
 *
 * Before the fix: fitting one 5,000-character name took seconds, and this PDF did not finish within
 * minutes; with linear fitting, reading the lines in one query held the loop 128–147 ms on the
 * embedded database. The lines are written into the invoice's stored lines directly, as making
 * 1,000 of them through the API would take minutes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { storageCases } from './support/storages.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { renderInvoicePdfOffThread } from '../src/web/invoice/pdf-thread.ts';
import { pdfText } from './support/pdf.ts';

const LINES = 1_000;
const NAME_LENGTH = 5_000;
/** What a request may hold the event loop for, at most (the issue's bound for `/healthz`). */
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
    const draft = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 30, currency: 'eur' });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 1234, currency: 'eur', description: 'Seed line' });
    const invoice = await stripe.invoices.finalizeInvoice(draft.id);
    const kdb = server.portico.storage.db;
    const row = await kdb.selectFrom('objects').select(['private']).where('id', '=', invoice.id).executeTakeFirstOrThrow();
    const seed = (row.private as { allLines: Record<string, unknown>[] }).allLines[0];
    assert.ok(seed, 'a stored line to copy');
    // Wide glyphs (W, M), narrow ones (i, l), accents, and characters Helvetica cannot encode (Ω → ?).
    const name = (i: number) => `Line ${i} `.concat('WMmw ilIl éàü Ω€ '.repeat(Math.ceil(NAME_LENGTH / 17))).slice(0, NAME_LENGTH);
    const lines = Array.from({ length: LINES }, (_, i) => ({ ...seed, id: `il_pdf${String(i).padStart(6, '0')}`, description: name(i) }));
    await sql`update objects set private = ${JSON.stringify({ ...row.private, allLines: lines })}::jsonb where id = ${invoice.id}`.execute(kdb);

    const pdfUrl = invoice.invoice_pdf!;
    const runs: { maxHeldMs: number; maxWallMs: number; ticks: number; health: number[]; healthWall: number[] }[] = [];
    let pdf = Buffer.alloc(0);
    for (let run = 0; run < 3; run++) {
      const loop = watchLoop();
      let rendering = true;
      const health: number[] = [];
      const healthWall: number[] = [];
      const poll = (async () => {
        while (rendering) {
          const a = now();
          const res = await fetch(`${server.url}/healthz`);
          await res.arrayBuffer();
          assert.equal(res.status, 200);
          const b = now();
          health.push(held(a, b));
          healthWall.push(b.wall - a.wall);
        }
      })();
      const started = performance.now();
      const answer = await fetch(pdfUrl);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('content-type'), 'application/pdf');
      pdf = Buffer.from(await answer.arrayBuffer());
      const elapsed = performance.now() - started;
      rendering = false;
      await poll;
      const watched = loop.stop();
      console.log(
        `${run === 0 ? 'warm-up' : `run ${run}`} on ${db.name}: PDF of ${LINES} lines, ${pdf.length} bytes in ${elapsed.toFixed(0)} ms; ` +
          `loop held at most ${watched.maxHeldMs.toFixed(1)} ms (${watched.maxWallMs.toFixed(1)} ms wall, ${watched.ticks} ticks); ` +
          `/healthz answered ${health.length} times, longest ${Math.max(...healthWall).toFixed(1)} ms wall, ${Math.max(...health).toFixed(1)} ms held`,
      );
      if (run > 0) runs.push({ ...watched, health, healthWall });
    }

    const text = pdfText(pdf);
    const found = [...text.matchAll(/Line (\d+) WMmw/g)].map((m) => Number(m[1]));
    assert.deepEqual(found, Array.from({ length: LINES }, (_, i) => i), 'every line, in order');
    assert.ok(text.includes('\u2026') || text.includes('\x85'), 'long names are cut with an ellipsis');
    const best = runs.reduce((x, y) => (y.maxHeldMs < x.maxHeldMs ? y : x));
    assert.ok(best.health.length >= 5, `/healthz answered throughout (${best.health.length} times)`);
    assert.ok(best.maxHeldMs < BOUND_MS, `the event loop was held ${runs.map((r) => r.maxHeldMs.toFixed(1)).join(' and ')} ms`);
  });
});

// The right-to-left PDF (embedded font, bidi, Arabic shaping) costs more CPU per line than the Latin
// one: drawn on the event loop it held it 142–369 ms at a time under load. Every PDF is drawn in the
// PDF thread (src/web/invoice/pdf-thread.ts); this checks the loop stays free while the thread draws a
// stand-in invoice of 1,000 lines of 5,000-character names in Arabic and in Hebrew.
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
      const pdf = await renderInvoicePdfOffThread({ invoice: invoice as never, lines, taxRates: new Map() }, locale, new Date(0));
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
