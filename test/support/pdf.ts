/** Reading back what a PDF draws, for tests: its content streams and the text strings in them. */
import { inflateSync } from 'node:zlib';

/** Every stream of a PDF, inflated when compressed, as latin1 text. */
export function pdfStreams(pdf: Buffer): string[] {
  const out: string[] = [];
  const raw = pdf.toString('latin1');
  const re = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw))) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    const bytes = pdf.subarray(start, end);
    try {
      out.push(inflateSync(bytes).toString('latin1'));
    } catch {
      out.push(bytes.toString('latin1'));
    }
    re.lastIndex = end + 'endstream'.length; // past it: `endstream` itself ends in `stream`
  }
  return out;
}

/** All text a PDF draws (its streams, hex strings decoded), one stream a line. */
export function pdfText(pdf: Buffer): string {
  return pdfStreams(pdf)
    .map((body) => body.replace(/<([0-9A-Fa-f]+)>/g, (_, hex: string) => Buffer.from(hex, 'hex').toString('latin1')))
    .join('\n');
}
