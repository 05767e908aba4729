/**
 * Right-to-left text for the invoice PDF (Arabic and Hebrew). pdf-lib draws glyphs left to right and
 * knows nothing of bidi; its standard fonts have no Arabic or Hebrew. So:
 *
 * - **Font**: DejaVu Sans and DejaVu Sans Bold (Debian's `fonts-dejavu-core`, which `.ci/run` installs),
 *   read from `PORTICO_PDF_FONT_DIR` (default `/usr/share/fonts/truetype/dejavu`). Debian's DejaVu Sans
 *   2.37 covers Hebrew and Arabic, with the OpenType `arab` forms (isol/init/medi/fina, and the lam-alef
 *   ligature through `rlig`). A locale is rendered in its own script only when both files load, cover
 *   every character of its labels and, for Arabic, carry the `arab` script; otherwise `rtlPdfFonts`
 *   answers null and the caller falls back to English: never boxes in place of letters.
 * - **Shaping**: fontkit (`@pdf-lib/fontkit`, the engine pdf-lib embeds custom fonts with) lays each run
 *   out with the font's GSUB, so Arabic letters join; it also reverses a run whose script is
 *   right-to-left. GPOS (kerning, mark positioning) is switched off: pdf-lib draws with advance widths
 *   and never applies GPOS positions, so computing them only costs time.
 * - **Bidi**: the Unicode Bidirectional Algorithm (`bidi-js`) resolves each string's levels with its
 *   direction taken from its first strong character (as `dir="auto"`; Intl's own RLM/LRM marks so steer
 *   amounts and dates), then `visualRuns` cuts it into runs in visual order: a right-to-left run with
 *   Hebrew or Arabic letters stays in logical order for fontkit to shape and reverse, any other
 *   right-to-left run (neutrals) is reversed here, left-to-right runs (Latin, digits) stay as they are;
 *   paired brackets are mirrored; the bidi control marks, which have no glyph, are dropped.
 *
 * Cost: the fonts are parsed, and their layout tables read, once per process when this module loads
 * (~0.2–0.4 s here), not inside a request: every PDF reuses the parsed fonts through a fontkit shim.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import bidiModule, { type Bidi } from 'bidi-js';
import fontkit from '@pdf-lib/fontkit';
import type { PDFDocument, PDFFont } from 'pdf-lib';
import { INVOICE_CATALOGS, type InvoiceLocale } from './i18n.ts';

// bidi-js is CommonJS whose types declare an ES default export: at run time the import is the factory.
const bidiFactory = (typeof bidiModule === 'function' ? bidiModule : (bidiModule as { default: () => Bidi }).default) as () => Bidi;
const bidi = bidiFactory();

/** Bidi controls and marks: they steer the algorithm and are then dropped (no font draws them). */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const BIDI_CONTROL = /^[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]$/;
/** Letters of a right-to-left script: fontkit shapes and reverses a run that holds one. */
const RTL_LETTER = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;

/**
 * `text` cut into runs in visual (left-to-right drawing) order, each ready for fontkit's `layout`: a
 * run with Hebrew or Arabic letters in logical order (fontkit reverses it), every other run already in
 * drawing order. Astral characters must have been replaced beforehand (they are never in the font).
 * @example visualRuns('סה״כ 12') // ['12', ' ', 'סה״כ']
 */
export function visualRuns(text: string): string[] {
  if (text.length === 0) return [];
  const embedding = bidi.getEmbeddingLevels(text);
  const { levels } = embedding;
  const mirrored = bidi.getMirroredCharactersMap(text, levels);
  const order = bidi.getReorderedIndices(text, embedding);
  const runs: string[] = [];
  let i = 0;
  while (i < order.length) {
    const first = order[i]!;
    const level = levels[first]!;
    const rtl = level % 2 === 1;
    let j = i + 1;
    while (j < order.length && levels[order[j]!] === level && order[j] === order[j - 1]! + (rtl ? -1 : 1)) j++;
    const from = rtl ? order[j - 1]! : first;
    const to = rtl ? first : order[j - 1]!;
    let logical = '';
    for (let k = from; k <= to; k++) logical += mirrored.get(k) ?? text[k]!;
    logical = logical.replace(BIDI_CONTROLS, '');
    if (logical) runs.push(rtl && !RTL_LETTER.test(logical) ? Array.from(logical).reverse().join('') : logical);
    i = j;
  }
  return runs;
}

/** OpenType features for pdf-lib's embedding: shaping on, GPOS-only work off (see the module note). */
const FEATURES = { kern: false, mark: false, mkmk: false, curs: false, liga: false, rtlm: false };

interface LoadedFonts {
  regular: { bytes: Uint8Array; font: fontkit.Font };
  bold: { bytes: Uint8Array; font: fontkit.Font };
  /** The locales whose labels these fonts can draw and shape. */
  locales: Set<InvoiceLocale>;
}

function loadFonts(): LoadedFonts | null {
  const dir = process.env.PORTICO_PDF_FONT_DIR || '/usr/share/fonts/truetype/dejavu';
  try {
    const load = (name: string) => {
      const bytes = new Uint8Array(readFileSync(join(dir, name)));
      const font = memoizeLayout(fontkit.create(bytes));
      // Read the layout tables now, at start, rather than inside the first request (~0.2 s).
      font.layout('\u0627\u0644\u0645 \u05d0\u05d1 a1', FEATURES);
      return { bytes, font };
    };
    const regular = load('DejaVuSans.ttf');
    const bold = load('DejaVuSans-Bold.ttf');
    const locales = new Set<InvoiceLocale>();
    for (const locale of ['ar', 'he'] as const) {
      const text = Object.values(INVOICE_CATALOGS[locale]).join('').replace(BIDI_CONTROLS, '');
      const covered = [regular, bold].every(({ font }) => Array.from(text).every((ch) => font.hasGlyphForCodePoint(ch.codePointAt(0)!)));
      const shapes = locale !== 'ar' || [regular, bold].every(({ font }) => hasScript(font, 'arab'));
      if (covered && shapes) locales.add(locale);
    }
    // The first layouts of a script and the first bidi run are slow (tables read, glyphs parsed): make
    // them now, on every label and the whole Arabic and Hebrew alphabets, rather than in a request.
    const alphabets = String.fromCodePoint(...range(0x621, 0x64a), 0x20, ...range(0x5d0, 0x5ea));
    for (const locale of locales) {
      for (const text of [...Object.values(INVOICE_CATALOGS[locale]), alphabets]) {
        for (const run of visualRuns(text)) for (const { font } of [regular, bold]) font.layout(run, FEATURES);
      }
    }
    return { regular, bold, locales };
  } catch {
    return null;
  }
}

/** Strings longer than this are laid out afresh each time (descriptions); labels, dates and amounts repeat. */
const MEMO_MAX_LENGTH = 80;
const MEMO_ENTRIES = 4096;

/**
 * pdf-lib lays a string out twice to draw it (glyph ids, then widths) and the PDF measures it again
 * to place it, while labels, dates and amounts recur from invoice to invoice: the runs of short strings
 * are kept (bounded, oldest dropped first). A glyph run is only read after layout, never changed.
 */
function memoizeLayout(font: fontkit.Font): fontkit.Font {
  const layout = font.layout.bind(font);
  const memo = new Map<string, fontkit.GlyphRun>();
  font.layout = ((text: string) => {
    if (text.length > MEMO_MAX_LENGTH) return layout(text, FEATURES);
    let run = memo.get(text);
    if (!run) {
      run = layout(text, FEATURES);
      if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
      memo.set(text, run);
    }
    return run;
  }) as fontkit.Font['layout'];
  return font;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function hasScript(font: fontkit.Font, tag: string): boolean {
  const gsub = (font as unknown as { GSUB?: { scriptList?: { tag: string }[] } }).GSUB;
  return gsub?.scriptList?.some((s) => s.tag === tag) ?? false;
}

const loaded = loadFonts();

/** Whether the PDF of `locale` can be drawn in its own script here (else it falls back to English). */
export function rtlPdfSupported(locale: InvoiceLocale): boolean {
  return loaded?.locales.has(locale) ?? false;
}

/**
 * Embeds the right-to-left fonts in `doc` (subset: only the glyphs drawn are written), reusing the
 * fonts parsed at start; null when `locale` cannot be drawn (see `rtlPdfSupported`).
 */
export async function embedRtlFonts(doc: PDFDocument, locale: InvoiceLocale): Promise<{ regular: PDFFont; bold: PDFFont } | null> {
  if (!loaded || !loaded.locales.has(locale)) return null;
  const embed = async (face: LoadedFonts['regular']) => {
    // pdf-lib parses the bytes with the registered fontkit's `create`: hand it the parsed font instead.
    doc.registerFontkit({ create: () => face.font } as unknown as Parameters<PDFDocument['registerFontkit']>[0]);
    return doc.embedFont(face.bytes, { subset: true, features: { ...FEATURES } });
  };
  return { regular: await embed(loaded.regular), bold: await embed(loaded.bold) };
}

/**
 * What the PDF can draw of `text` with `font`: characters the font lacks become `?` (astral ones
 * included), bidi controls are kept for `visualRuns`.
 */
export function rtlEncodable(font: PDFFont, text: string): string {
  const supported = rtlCharsets.get(font) ?? new Set(font.getCharacterSet());
  rtlCharsets.set(font, supported);
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out += supported.has(cp) || BIDI_CONTROL.test(ch) ? ch : '?';
  }
  return out;
}
const rtlCharsets = new WeakMap<PDFFont, Set<number>>();
