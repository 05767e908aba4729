// The invoice PDF renderer's thread (see pdf-thread.ts). Plain JavaScript so that it starts the same
// way under `node --import tsx`, the `tsx` command and bin/portico.js (which registers tsx in its own
// thread only): it registers tsx here, then loads the TypeScript renderer.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { renderInvoicePdf, warmRightToLeftPdf } = await import('./pdf.ts');

parentPort.on('message', async (job) => {
  try {
    const pdf = await renderInvoicePdf(job.input, job.locale, new Date(job.now));
    parentPort.postMessage({ id: job.id, pdf }, [pdf.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
await warmRightToLeftPdf();
