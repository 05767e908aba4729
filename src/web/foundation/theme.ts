/**
 * Branding → CSS custom properties. Colors are validated `#rrggbb` (anything else falls back to the
 * default), so nothing a merchant types can reach the stylesheet unparsed. Text on the brand and accent
 * colors is white or near-black, whichever WCAG 2.x contrast is higher; both reach AA (4.5:1) for any
 * background. Links and focus rings sit on white, so the accent is darkened until it reaches 4.5:1 there.
 * Pure functions: the stylesheet route (http/routes.ts) renders `themeCss(buildTheme(input))`.
 */

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export type Corners = 'rounded' | 'square';
export type FontChoice = 'system' | 'serif' | 'rounded' | 'mono';

/** What a merchant sets; every field optional and validated. */
export interface ThemeInput {
  /** `#rrggbb` or `#rgb`: the business column's background. */
  brandColor?: string | null;
  /** `#rrggbb` or `#rgb`: buttons, links, focus rings. */
  accentColor?: string | null;
  corners?: Corners | null;
  font?: FontChoice | null;
}

export interface Theme {
  brand: string;
  onBrand: string;
  /** A softer text color on the brand background (still ≥ 4.5:1). */
  onBrandMuted: string;
  accent: string;
  onAccent: string;
  /** The accent darkened (if needed) to read on white. */
  link: string;
  corners: Corners;
  font: FontChoice;
}

export const DEFAULT_THEME_INPUT = { brandColor: '#f6f8fa', accentColor: '#635bff', corners: 'rounded', font: 'system' } as const;

export const WHITE = '#ffffff';
export const INK = '#1a1f36';
export const AA_NORMAL_TEXT = 4.5;

export const FONT_STACKS: Record<FontChoice, string> = {
  system: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  serif: 'Georgia, Cambria, "Times New Roman", Times, serif',
  rounded: 'ui-rounded, "SF Pro Rounded", "Hiragino Maru Gothic ProN", Quicksand, Nunito, system-ui, sans-serif',
  mono: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
};

/** `#rrggbb` / `#rgb` (any case) → channels, else null. */
export function parseHexColor(value: string | null | undefined): Rgb | null {
  if (typeof value !== 'string') return null;
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!m) return null;
  const hex = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  const n = Number.parseInt(hex, 16);
  return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255 };
}

export function toHex({ r, g, b }: Rgb): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG 2.x relative luminance, 0 (black) to 1 (white). */
export function relativeLuminance({ r, g, b }: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/**
 * WCAG contrast ratio of two colors, 1 to 21.
 * @example contrastRatio('#ffffff', '#000000') // 21
 */
export function contrastRatio(a: string | Rgb, b: string | Rgb): number {
  const la = relativeLuminance(typeof a === 'string' ? mustParse(a) : a);
  const lb = relativeLuminance(typeof b === 'string' ? mustParse(b) : b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function mustParse(color: string): Rgb {
  const rgb = parseHexColor(color);
  if (!rgb) throw new TypeError(`not a #rrggbb color: ${color.slice(0, 20)}`);
  return rgb;
}

/**
 * White or ink on `background`, whichever contrasts more; pure black when even ink misses AA (ink is
 * slightly lighter than black, so on mid-tones only black is guaranteed: max(white, black) ≥ 4.58).
 */
export function textColorOn(background: string): string {
  const onWhite = contrastRatio(WHITE, background);
  const onInk = contrastRatio(INK, background);
  if (onWhite >= onInk) return onWhite >= AA_NORMAL_TEXT ? WHITE : '#000000';
  return onInk >= AA_NORMAL_TEXT ? INK : '#000000';
}

/** Mixes `color` toward `target` by `t` (0–1). */
export function mix(color: string, target: string, t: number): string {
  const a = mustParse(color);
  const b = mustParse(target);
  return toHex({ r: a.r + (b.r - a.r) * t, g: a.g + (b.g - a.g) * t, b: a.b + (b.b - a.b) * t });
}

/** `color`, or the least darkened (toward black) version of it with `ratio` contrast against `background`. */
export function ensureContrast(color: string, background: string, ratio = AA_NORMAL_TEXT): string {
  if (contrastRatio(color, background) >= ratio) return toHex(mustParse(color));
  const towards = relativeLuminance(mustParse(background)) > 0.18 ? '#000000' : WHITE;
  for (let step = 1; step <= 20; step++) {
    const candidate = mix(color, towards, step / 20);
    if (contrastRatio(candidate, background) >= ratio) return candidate;
  }
  return towards;
}

/** A muted text color on `background`: the full-contrast text mixed toward it while staying ≥ AA. */
function mutedOn(background: string, text: string): string {
  for (const t of [0.3, 0.2, 0.1]) {
    const candidate = mix(text, background, t);
    if (contrastRatio(candidate, background) >= AA_NORMAL_TEXT) return candidate;
  }
  return text;
}

/**
 * Validated theme from a merchant's branding; invalid values fall back to the defaults.
 * @example buildTheme({ brandColor: '#0a2540', accentColor: '#ffd60a' }).onAccent // '#1a1f36'
 */
export function buildTheme(input: ThemeInput = {}): Theme {
  const brand = toHex(parseHexColor(input.brandColor) ?? mustParse(DEFAULT_THEME_INPUT.brandColor));
  const accent = toHex(parseHexColor(input.accentColor) ?? mustParse(DEFAULT_THEME_INPUT.accentColor));
  const onBrand = textColorOn(brand);
  return {
    brand,
    onBrand,
    onBrandMuted: mutedOn(brand, onBrand),
    accent,
    onAccent: textColorOn(accent),
    link: ensureContrast(accent, WHITE),
    corners: input.corners === 'square' ? 'square' : 'rounded',
    font: input.font && Object.hasOwn(FONT_STACKS, input.font) ? input.font : 'system',
  };
}

/** The custom properties the base stylesheet reads. Every value comes from `buildTheme`, never raw input. */
export function themeCss(theme: Theme): string {
  const radius = theme.corners === 'square' ? '0' : '8px';
  const radiusSmall = theme.corners === 'square' ? '0' : '6px';
  return `:root{--brand:${theme.brand};--on-brand:${theme.onBrand};--on-brand-muted:${theme.onBrandMuted};` +
    `--accent:${theme.accent};--on-accent:${theme.onAccent};--link:${theme.link};` +
    `--radius:${radius};--radius-sm:${radiusSmall};--font:${FONT_STACKS[theme.font]}}\n`;
}

/**
 * The query string that names a theme for the stylesheet route, and its inverse. Only validated values
 * are written, and `themeFromQuery` re-validates through `buildTheme`.
 */
export function themeQuery(theme: Theme): string {
  const p = new URLSearchParams({ b: theme.brand.slice(1), a: theme.accent.slice(1), c: theme.corners[0]!, f: theme.font });
  return p.toString();
}

export function themeFromQuery(get: (name: string) => string | undefined): Theme {
  const corners = get('c') === 's' ? 'square' : 'rounded';
  const font = get('f');
  return buildTheme({
    brandColor: `#${get('b') ?? ''}`,
    accentColor: `#${get('a') ?? ''}`,
    corners,
    font: font && Object.hasOwn(FONT_STACKS, font) ? (font as FontChoice) : null,
  });
}
