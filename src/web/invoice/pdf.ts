/**
 * The invoice as a PDF (pdf-lib, standard Helvetica: WinAnsi, which covers Latin-1 and the euro sign).
 * Same content and locale as the page. Characters the font cannot encode are replaced: common
 * spaces and the full-width yen sign by their Latin-1 forms, anything else by `?`; when the locale's
 * labels themselves cannot be encoded (Japanese: no CJK font ships), the English labels are used,
 * while amounts and dates keep the locale's formatting.
 */
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

function encoder(font: PDFFont): (text: string) => string {
  const supported = new Set(font.getCharacterSet());
  return (text) =>
    Array.from(text, (ch) => {
      const r = REPLACEMENTS[ch] ?? ch;
      return supported.has(r.codePointAt(0)!) ? r : '?';
    }).join('');
}

function encodable(font: PDFFont, text: string): boolean {
  const supported = new Set(font.getCharacterSet());
  return Array.from(text).every((ch) => supported.has((REPLACEMENTS[ch] ?? ch).codePointAt(0)!));
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

  const width = 595.28; // A4
  const height = 841.89;
  const margin = 50;
  const right = width - margin;
  let page = doc.addPage([width, height]);
  let y = height - margin;
  const grey = rgb(0.31, 0.34, 0.42);
  const black = rgb(0.1, 0.12, 0.21);

  const text = (s: string, x: number, size = 10, font: PDFFont = regular, color = black) =>
    page.drawText(safe(s), { x, y, size, font, color });
  const textRight = (s: string, xRight: number, size = 10, font: PDFFont = regular) => {
    const str = safe(s);
    page.drawText(str, { x: xRight - font.widthOfTextAtSize(str, size), y, size, font, color: black });
  };
  /** Cuts `s` to fit `max` points. */
  const fit = (s: string, max: number, size = 10) => {
    let str = safe(s);
    while (str.length > 1 && regular.widthOfTextAtSize(str, size) > max) str = str.slice(0, -2) + '…';
    return str;
  };
  const newLine = (dy: number) => {
    y -= dy;
    if (y < margin + 40) {
      page = doc.addPage([width, height]);
      y = height - margin;
    }
  };

  if (view.accountName) {
    text(view.accountName, margin, 11, bold);
    newLine(18);
  }
  text(`${t.invoice} ${view.number}`, margin, 20, bold);
  newLine(20);
  text(view.statusLabel, margin, 10, regular, grey);
  newLine(26);

  const meta: [string, string | null][] = [
    [t.invoiceNumber, view.number],
    [t.billedTo, [view.customerName, view.customerEmail].filter(Boolean).join(', ') || null],
    [t.dateIssued, view.issued],
    [t.dateDue, view.due],
    [t.datePaid, view.paidAt],
  ];
  for (const [label, value] of meta) {
    if (!value) continue;
    text(label, margin, 10, regular, grey);
    page.drawText(fit(value, right - margin - 140), { x: margin + 140, y, size: 10, font: regular, color: black });
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
  for (const line of view.lines) {
    page.drawText(fit(line.description, qtyRight - margin - 60), { x: margin, y, size: 10, font: regular, color: black });
    textRight(line.quantity, qtyRight);
    textRight(line.amount, right);
    newLine(16);
  }
  page.drawLine({ start: { x: margin, y: y + 8 }, end: { x: right, y: y + 8 }, thickness: 0.5, color: grey });
  newLine(8);

  const totals: [string, string, boolean][] = [[t.subtotal, view.subtotal, false]];
  if (view.discount) totals.push([t.discount, view.discount, false]);
  for (const tax of view.taxes) totals.push([tax.label, tax.amount, false]);
  totals.push([t.total, view.total, true]);
  if (view.amountPaid) totals.push([t.amountPaid, view.amountPaid, false]);
  totals.push([t.amountDue, view.amountDue, true]);
  for (const [label, value, strong] of totals) {
    textRight(label, qtyRight, 10, strong ? bold : regular);
    textRight(value, right, 10, strong ? bold : regular);
    newLine(16);
  }
  return doc.save();
}
