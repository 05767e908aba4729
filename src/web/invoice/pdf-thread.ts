/**
 * Invoice PDFs are drawn in a worker thread, never on the event loop that answers requests. A PDF is
 * CPU work proportional to its lines (1,000 lines, Arabic shaping and font subsetting take seconds),
 * and even drawn in slices it held the loop for 100–370 ms at a time under load (issue 12, item 1): in
 * its own thread it holds nothing. One thread serves the process, one PDF at a time in arrival order;
 * it starts with the first PDF, is `unref`'d so an idle one never keeps the process alive, and is
 * replaced if it dies (the PDFs it had in hand fail with the error).
 */
import { Worker } from 'node:worker_threads';
import type { InvoiceViewInput } from './page.tsx';
import type { InvoiceLocale } from './i18n.ts';

interface Pending {
  resolve(pdf: Uint8Array): void;
  reject(err: Error): void;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./pdf-worker.mjs', import.meta.url));
  w.unref();
  w.on('message', (msg: { id?: number; pdf?: Uint8Array; error?: string }) => {
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.pdf) p.resolve(new Uint8Array(msg.pdf.buffer, msg.pdf.byteOffset, msg.pdf.byteLength));
    else p.reject(new Error(`invoice PDF: ${msg.error ?? 'no result'}`));
    if (pending.size === 0) w.unref();
  });
  w.on('error', (err) => {
    if (worker === w) worker = null;
    failAll(err);
  });
  w.on('exit', (code) => {
    if (worker === w) worker = null;
    if (pending.size > 0) failAll(new Error(`invoice PDF thread exited with code ${code}`));
  });
  worker = w;
  return w;
}

/** The invoice's PDF, drawn off the event loop (same bytes as `renderInvoicePdf`). */
export function renderInvoicePdfOffThread(input: InvoiceViewInput, locale: InvoiceLocale, now: Date): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    const w = thread();
    w.ref(); // a PDF in hand keeps the process alive until it is answered
    w.postMessage({ id, input, locale, now: now.getTime() });
  });
}
