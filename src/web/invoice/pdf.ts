/**
 * The invoice as a PDF (pdf-lib, standard Helvetica: WinAnsi, which covers Latin-1 and the euro sign).
 * Same content and locale as the page. Characters the font cannot encode are replaced: common
 * spaces and the full-width yen sign by their Latin-1 forms, anything else by `?`; when the locale's
 * labels themselves cannot be encoded (Japanese: no CJK font ships), the English labels are used,
 * while amounts and dates keep the locale's formatting.
 *
 * Cost: no request may hold the event loop for long (issue 12). Every string is cut to
 * `MAX_TEXT_CHARS` characters before anything measures it (more never fits on a line of the page), a
 * line is fitted in one pass over its measured prefix (linear, not one re-measure per character
 * removed), and rendering yields to the event loop every `LINES_PER_TICK` lines, as `save` does every
 * `objectsPerTick` objects.
 */
import { setImmediate as nextTick } from 'node:timers/promises';
import { PDFDocument, StandardFonts, rgb, type PDFFont } from 'pdf-lib';
import { invoiceMessages } from './i18n.ts';
import { buildInvoiceView, type InvoiceViewInput } from './page.tsx';
import type { InvoiceLocale } from './i18n.ts';

const REPLACEMENTS: Record<string, string> = {
  '\u202f': ' ', // narrow no-break space (French grouping)
  '\u2009': ' ',
  '\u2007': ' ',
  '\u00a0': ' ',
  '\uffe5': '\u00a5', // full-width yen (ja formatting)
  '\u2212': '-', // minus sign
};

/**
 * The most characters any text on the page keeps: the page is 595 pt wide and Helvetica's narrowest
 * glyph (`'`, 0.191 em) is 1.9 pt at 10 pt, so no more than ~310 fit on a line even at 10 pt (the
 * smallest size used); beyond this a name costs nothing more to draw.
 */
export const MAX_TEXT_CHARS = 400;
/** Lines drawn between two yields to the event loop (a line costs well under 0.5 ms). */
export const LINES_PER_TICK = 4;
const ELLIPSIS = '…';

/** The first `MAX_TEXT_CHARS` code points of `text`, without reading the rest of it. */
function clip(text: string): string[] {
  // A code point is at most two UTF-16 units, so this slice keeps at least MAX_TEXT_CHARS of them.
  const chars = Array.from(text.length > 2 * MAX_TEXT_CHARS ? text.slice(0, 2 * MAX_TEXT_CHARS) : text);
  return chars.length > MAX_TEXT_CHARS ? chars.slice(0, MAX_TEXT_CHARS) : chars;
}

function encoder(font: PDFFont): (text: string) => string {
  const supported = new Set(font.getCharacterSet());
  const encoded = new Map<string, string>();
  const encode = (ch: string) => {
    let e = encoded.get(ch);
    if (e === undefined) {
      const r = REPLACEMENTS[ch] ?? ch;
      encoded.set(ch, (e = supported.has(r.codePointAt(0)!) ? r : '?'));
    }
    return e;
  };
  return (text) => {
    let out = '';
    for (const ch of clip(text)) out += encode(ch);
    return out;
  };
}

/** Each character's advance width in 1/1000 em, per font, measured once (pdf-lib encodes per call). */
const advanceCache = new WeakMap<PDFFont, Map<string, number>>();

function advance(font: PDFFont, ch: string): number {
  let widths = advanceCache.get(font);
  if (!widths) advanceCache.set(font, (widths = new Map()));
  let w = widths.get(ch);
  if (w === undefined) widths.set(ch, (w = font.widthOfTextAtSize(ch, 1000)));
  return w;
}

/**
 * `text` (already encoded, so one UTF-16 unit per character) whole if it fits `max` points at `size`,
 * else its longest prefix that fits with an ellipsis after it. One pass over a measured prefix: the
 * width of a prefix is the sum of its characters' advances (what `drawText` lays out: a PDF text
 * operator applies no kerning), so the cost is linear in the text's length.
 * @example fitText(font, 'A long product name', 60, 10) // 'A long pro…'
 */
export function fitText(font: PDFFont, text: string, max: number, size: number): string {
  const limit = (max * 1000) / size;
  const room = limit - advance(font, ELLIPSIS);
  let width = 0;
  let cut = -1; // the longest prefix that fits with the ellipsis
  for (let i = 0; i < text.length; i++) {
    if (cut < 0 && width + advance(font, text[i]!) > room) cut = i;
    width += advance(font, text[i]!);
    if (width > limit) return text.slice(0, Math.max(cut, 0)) + ELLIPSIS;
  }
  return text;
}

function encodable(font: PDFFont, text: string): boolean {
  const supported = new Set(font.getCharacterSet());
  return Array.from(text).every((ch) => supported.has((REPLACEMENTS[ch] ?? ch).codePointAt(0)!));
}

// The fonts' metrics are decompressed and parsed once per process (pdf-lib caches them): do it when
// this module loads, at start, rather than inside the first request for a PDF (~100 ms of CPU).
{
  const warm = await PDFDocument.create();
  await warm.embedFont(StandardFonts.Helvetica);
  await warm.embedFont(StandardFonts.HelveticaBold);
}

export async function renderInvoicePdf(input: InvoiceViewInput, locale: InvoiceLocale, now: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const labels = invoiceMessages(locale);
  const labelsFit = Object.values(labels).every((s) => encodable(regular, s));
  const view = buildInvoiceView(input, locale, labelsFit ? labels : invoiceMessages('en'));
  const t = view.t;
  const safe = encoder(regular);

  doc.setTitle(safe(`${t.invoice} ${view.number}`));
  doc.setCreator('Portico');
  doc.setProducer('Portico');
  doc.setCreationDate(now);
  doc.setModificationDate(now);

  // `rendering.pdf.page_size` (auto: Letter for customers in the US and Canada, else A4).
  const [width, height] = view.pageSize === 'letter' ? [612, 792] : [595.28, 841.89];
  const margin = 50;
  const right = width - margin;
  // The page's own font is the regular one: drawText only names a font for bold text, as pdf-lib adds
  // an entry to the page's font dictionary for every call that names one.
  const newPage = () => {
    const p = doc.addPage([width, height]);
    p.setFont(regular);
    return p;
  };
  let page = newPage();
  let y = height - margin;
  const grey = rgb(0.31, 0.34, 0.42);
  const black = rgb(0.1, 0.12, 0.21);

  /** Draws encoded text on the current line. */
  const draw = (str: string, x: number, size: number, font: PDFFont, color: ReturnType<typeof rgb>) =>
    page.drawText(str, font === regular ? { x, y, size, color } : { x, y, size, font, color });
  const text = (s: string, x: number, size = 10, font: PDFFont = regular, color = black) =>
    draw(safe(s), x, size, font, color);
  const textRight = (s: string, xRight: number, size = 10, font: PDFFont = regular) => {
    const str = safe(s);
    draw(str, xRight - font.widthOfTextAtSize(str, size), size, font, black);
  };
  /** Cuts `s` to fit `max` points. */
  const fit = (s: string, max: number, size = 10, font: PDFFont = regular) => fitText(font, safe(s), max, size);
  const newLine = (dy: number) => {
    y -= dy;
    if (y < margin + 40) {
      page = newPage();
      y = height - margin;
    }
  };

  if (view.accountName) {
    draw(fit(view.accountName, right - margin, 11, bold), margin, 11, bold, black);
    newLine(18);
  }
  for (const id of view.accountTaxIds) {
    draw(fit(id, right - margin), margin, 10, regular, grey);
    newLine(15);
  }
  text(`${t.invoice} ${view.number}`, margin, 20, bold);
  newLine(20);
  text(view.statusLabel, margin, 10, regular, grey);
  newLine(26);

  const meta: [string, string | null][] = [
    [t.invoiceNumber, view.number],
    [t.billedTo, [view.customerName, view.customerEmail].filter(Boolean).join(', ') || null],
    ...view.customerTaxIds.map((id): [string, string] => [t.taxId, id]),
    [t.dateIssued, view.issued],
    [t.dateDue, view.due],
    [t.datePaid, view.paidAt],
  ];
  for (const [label, value] of meta) {
    if (!value) continue;
    text(label, margin, 10, regular, grey);
    draw(fit(value, right - margin - 140), margin + 140, 10, regular, black);
    newLine(15);
  }
  newLine(15);

  const qtyRight = right - 110;
  text(t.description, margin, 10, bold);
  textRight(t.quantity, qtyRight, 10, bold);
  textRight(t.amount, right, 10, bold);
  newLine(6);
  page.drawLine({ start: { x: margin, y }, end: { x: right, y }, thickness: 0.5, color: grey });
  newLine(14);
  for (const [i, line] of view.lines.entries()) {
    if (i > 0 && i % LINES_PER_TICK === 0) await nextTick(); // let other requests run
    draw(fit(line.description, qtyRight - margin - 60), margin, 10, regular, black);
    textRight(line.quantity, qtyRight);
    textRight(line.amount, right);
    newLine(16);
  }
  page.drawLine({ start: { x: margin, y: y + 8 }, end: { x: right, y: y + 8 }, thickness: 0.5, color: grey });
  newLine(8);

  const totals: [string, string, boolean][] = [[t.subtotal, view.subtotal, false]];
  if (view.discount) totals.push([t.discount, view.discount, false]);
  for (const tax of view.taxes) totals.push([tax.label, tax.amount, false]);
  if (view.shipping) totals.push([view.shipping.label, view.shipping.amount, false]);
  totals.push([t.total, view.total, true]);
  if (view.amountPaid) totals.push([t.amountPaid, view.amountPaid, false]);
  totals.push([t.amountDue, view.amountDue, true]);
  for (const [label, value, strong] of totals) {
    textRight(label, qtyRight, 10, strong ? bold : regular);
    textRight(value, right, 10, strong ? bold : regular);
    newLine(16);
  }
  return doc.save({ objectsPerTick: 4, useObjectStreams: false });
}
