/**
 * The invoice as a PDF (pdf-lib, standard Helvetica: WinAnsi, which covers Latin-1 and the euro sign).
 * Same content and locale as the page. Characters the font cannot encode are replaced: common
 * spaces and the full-width yen sign by their Latin-1 forms, anything else by `?`; when the locale's
 * labels themselves cannot be encoded (Japanese: no CJK font ships), the English labels are used,
 * while amounts and dates keep the locale's formatting. Arabic and Hebrew are drawn right to left in an
 * embedded font with the layout mirrored (pdf-rtl.ts), or wholly in English where that font is missing.
 *
 * Cost: no request may hold the event loop for long (issue 12). Every string is cut to
 * `MAX_TEXT_CHARS` characters before anything measures it (more never fits on a line of the page), a
 * line is fitted in one pass over its measured prefix (linear, not one re-measure per character
 * removed), and rendering yields to the event loop every `LINES_PER_TICK` lines, as `save` does every
 * `objectsPerTick` objects.
 */
import { setImmediate as nextTick } from 'node:timers/promises';
import { PDFDocument, StandardFonts, rgb, type Color, type PDFFont, type PDFPage } from 'pdf-lib';
import { invoiceMessages } from './i18n.ts';
import { buildInvoiceView, type InvoiceViewInput } from './page.tsx';
import type { InvoiceLocale } from './i18n.ts';
import { localeDirection } from '../foundation/i18n/index.ts';
import { embedRtlFonts, rtlEncodable, rtlPdfSupported, visualRuns } from './pdf-rtl.ts';

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

/**
 * How one font draws on the page: `prepare` makes a string drawable (clipped, unencodable characters
 * replaced), `width` measures a prepared string, `fit` cuts one to a width with an ellipsis, and `draw`
 * puts it at `x` (its left edge).
 */
interface Face {
  prepare(text: string): string;
  width(str: string, size: number): number;
  fit(str: string, max: number, size: number): string;
  draw(page: PDFPage, str: string, x: number, y: number, size: number, color: Color, asPageFont: boolean): void;
}

/** Helvetica (WinAnsi): one glyph per character, left to right. */
function standardFace(font: PDFFont): Face {
  const safe = encoder(font);
  return {
    prepare: safe,
    width: (str, size) => font.widthOfTextAtSize(str, size),
    fit: (str, max, size) => fitText(font, str, max, size),
    draw: (page, str, x, y, size, color, asPageFont) => page.drawText(str, asPageFont ? { x, y, size, color } : { x, y, size, font, color }),
  };
}

/**
 * A bound under every advance the embedded font gives a drawn character, in 1/1000 em: DejaVu Sans's
 * narrowest letters and punctuation are ~0.23 em (Arabic alef), its only narrower glyphs are zero-width
 * marks, which can only make a cut string end a little early.
 */
const RTL_MIN_ADVANCE = 200;
/** Rendering yields at least this often (ms), whatever the lines cost: right-to-left lines are shaped. */
const SLICE_MS = 10;

/**
 * An embedded font drawing right-to-left text (pdf-rtl.ts): each string is cut into bidi runs in visual
 * order, each run laid out (and, for Arabic, shaped) by fontkit and drawn after the previous one.
 */
function rtlFace(font: PDFFont): Face {
  const width = (str: string, size: number) => visualRuns(str).reduce((w, run) => w + font.widthOfTextAtSize(run, size), 0);
  return {
    prepare: (text) => rtlEncodable(font, clip(text).join('')),
    width,
    fit: (str, max, size) => {
      // No more characters can fit than `max` over the narrowest advance: a longer string is cut to
      // that many before anything is laid out (it then surely takes an ellipsis).
      const all = Array.from(str);
      const cap = Math.ceil((max * 1000) / (size * RTL_MIN_ADVANCE));
      if (all.length <= cap && width(str, size) <= max) return str;
      // Contextual forms change widths, so a prefix is measured whole. The cut is first guessed from the
      // average advance of the (capped) string, then moved a few characters at a time: 2–4 layouts.
      const chars = all.length > cap ? all.slice(0, cap) : all;
      const prefix = (k: number) => chars.slice(0, k).join('') + ELLIPSIS;
      const fits = (k: number) => width(prefix(k), size) <= max;
      const average = width(chars.join(''), size) / chars.length;
      let k = Math.min(chars.length - 1, Math.max(0, Math.floor((max - width(ELLIPSIS, size)) / average)));
      const step = Math.max(1, Math.ceil(k / 20));
      while (k > 0 && !fits(k)) k = Math.max(0, k - step);
      // Then up, a bounded number of characters (a guess from the average is off by a few at most).
      for (let up = 0; up < 2 * step && k + 1 < chars.length && fits(k + 1); up++) k++;
      return prefix(k);
    },
    draw: (page, str, x, y, size, color, asPageFont) => {
      let at = x;
      for (const run of visualRuns(str)) {
        page.drawText(run, asPageFont ? { x: at, y, size, color } : { x: at, y, size, font, color });
        at += font.widthOfTextAtSize(run, size);
      }
    },
  };
}

/**
 * The invoice as PDF bytes in `locale`. Arabic and Hebrew are drawn right to left with an embedded font
 * and a mirrored layout (labels at the right, amounts at the left) when that font is available
 * (pdf-rtl.ts); otherwise their PDF is in English, labels, dates and amounts alike.
 */
export async function renderInvoicePdf(input: InvoiceViewInput, requested: InvoiceLocale, now: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const rtlWanted = localeDirection(requested) === 'rtl';
  const rtlFonts = rtlWanted ? await embedRtlFonts(doc, requested) : null;
  const rtl = rtlFonts !== null;
  const locale: InvoiceLocale = rtlWanted && !rtl ? 'en' : requested;
  const regular = rtlFonts?.regular ?? (await doc.embedFont(StandardFonts.Helvetica));
  const bold = rtlFonts?.bold ?? (await doc.embedFont(StandardFonts.HelveticaBold));
  const labels = invoiceMessages(locale);
  const labelsFit = rtl || Object.values(labels).every((s) => encodable(regular, s));
  const view = buildInvoiceView(input, locale, labelsFit ? labels : invoiceMessages('en'));
  const t = view.t;
  const regularFace = rtl ? rtlFace(regular) : standardFace(regular);
  const boldFace = rtl ? rtlFace(bold) : standardFace(bold);

  doc.setTitle(rtl ? `${t.invoice} ${view.number}`.replace(/[\u061c\u200e\u200f]/g, '') : regularFace.prepare(`${t.invoice} ${view.number}`));
  doc.setLanguage(locale);
  doc.setCreator('Portico');
  doc.setProducer('Portico');
  doc.setCreationDate(now);
  doc.setModificationDate(now);

  // `rendering.pdf.page_size` (auto: Letter for customers in the US and Canada, else A4).
  const [width, height] = view.pageSize === 'letter' ? [612, 792] : [595.28, 841.89];
  const margin = 50;
  const right = width - margin;
  const inner = right - margin;
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

  /**
   * Draws a prepared string on the current line, `inline` points from the start margin (the left one,
   * or the right one in a right-to-left PDF), its start or its end there.
   */
  const put = (str: string, inline: number, align: 'start' | 'end', size: number, font: PDFFont, color: Color) => {
    const face = font === regular ? regularFace : boldFace;
    const w = rtl || align === 'end' ? face.width(str, size) : 0;
    const x = rtl ? (align === 'start' ? right - inline - w : right - inline) : align === 'start' ? margin + inline : margin + inline - w;
    face.draw(page, str, x, y, size, color, font === regular);
  };
  const faceOf = (font: PDFFont) => (font === regular ? regularFace : boldFace);
  const text = (s: string, inline: number, size = 10, font: PDFFont = regular, color: Color = black) =>
    put(faceOf(font).prepare(s), inline, 'start', size, font, color);
  const textEnd = (s: string, inline: number, size = 10, font: PDFFont = regular) =>
    put(faceOf(font).prepare(s), inline, 'end', size, font, black);
  /** Cuts `s` to fit `max` points. */
  const fit = (s: string, max: number, size = 10, font: PDFFont = regular) => faceOf(font).fit(faceOf(font).prepare(s), max, size);
  const newLine = (dy: number) => {
    y -= dy;
    if (y < margin + 40) {
      page = newPage();
      y = height - margin;
    }
  };

  if (view.accountName) {
    put(fit(view.accountName, inner, 11, bold), 0, 'start', 11, bold, black);
    newLine(18);
  }
  for (const id of view.accountTaxIds) {
    put(fit(id, inner, 10, regular), 0, 'start', 10, regular, grey);
    newLine(15);
  }
  text(`${t.invoice} ${view.number}`, 0, 20, bold);
  newLine(20);
  text(view.statusLabel, 0, 10, regular, grey);
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
    text(label, 0, 10, regular, grey);
    put(fit(value, inner - 140), 140, 'start', 10, regular, black);
    newLine(15);
  }
  newLine(15);

  const qtyEnd = inner - 110;
  text(t.description, 0, 10, bold);
  textEnd(t.quantity, qtyEnd, 10, bold);
  textEnd(t.amount, inner, 10, bold);
  newLine(6);
  page.drawLine({ start: { x: margin, y }, end: { x: right, y }, thickness: 0.5, color: grey });
  newLine(14);
  let slice = performance.now();
  for (const [i, line] of view.lines.entries()) {
    if (i > 0 && (i % LINES_PER_TICK === 0 || performance.now() - slice > SLICE_MS)) {
      await nextTick(); // let other requests run
      slice = performance.now();
    }
    put(fit(line.description, qtyEnd - 60), 0, 'start', 10, regular, black);
    textEnd(line.quantity, qtyEnd);
    textEnd(line.amount, inner);
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
    textEnd(label, qtyEnd, 10, strong ? bold : regular);
    textEnd(value, inner, 10, strong ? bold : regular);
    newLine(16);
  }
  return doc.save({ objectsPerTick: 4, useObjectStreams: false });
}

/**
 * The right-to-left path's first PDF also compiles pdf-lib's and fontkit's subsetting and stream code
 * (~0.5 s of CPU here): the PDF thread (pdf-worker.mjs) renders one small PDF per such locale when it
 * starts rather than in a request.
 */
export async function warmRightToLeftPdf(): Promise<void> {
  for (const locale of ['ar', 'he'] as const) {
    if (!rtlPdfSupported(locale)) continue;
    const sample = {
      number: 'WARM-1', status: 'open', currency: 'usd', account_name: null, customer_name: null, customer_email: null,
      status_transitions: { finalized_at: 0, paid_at: null }, created: 0, due_date: null,
      total_discount_amounts: [], total_taxes: [], subtotal: 0, total: 0, amount_paid: 0, amount_remaining: 0,
    };
    // Only the fields the view reads: a stand-in invoice, never stored or shown.
    const invoice = sample as unknown as InvoiceViewInput['invoice'];
    const description = Object.values(invoiceMessages(locale)).join(' ');
    await renderInvoicePdf({ invoice, lines: [{ description, quantity: 1, amount: 0 }], taxRates: new Map() }, locale, new Date(0));
  }
}
