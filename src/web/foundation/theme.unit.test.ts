/** WCAG contrast and the theme built from a merchant's branding. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AA_NORMAL_TEXT, buildTheme, contrastRatio, ensureContrast, parseHexColor, relativeLuminance, textColorOn, themeCss, themeFromQuery, themeQuery } from './theme.ts';

const close = (actual: number, expected: number, digits = 2) =>
  assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} ≈ ${expected}`);

test('parses #rgb and #rrggbb only', () => {
  assert.deepEqual(parseHexColor('#ff8000'), { r: 255, g: 128, b: 0 });
  assert.deepEqual(parseHexColor('#F80'), { r: 255, g: 136, b: 0 });
  for (const bad of ['red', '#ff80', '#gggggg', 'ff8000', '#ff8000;}body{', 'url(x)', '', null, undefined]) {
    assert.equal(parseHexColor(bad), null, String(bad));
  }
});

test('luminance and contrast ratios of known pairs (WCAG 2.x definitions)', () => {
  close(relativeLuminance({ r: 0, g: 0, b: 0 }), 0);
  close(relativeLuminance({ r: 255, g: 255, b: 255 }), 1);
  assert.equal(contrastRatio('#ffffff', '#000000'), 21);
  assert.equal(contrastRatio('#000000', '#ffffff'), 21);
  assert.equal(contrastRatio('#777777', '#777777'), 1);
  // Published values: #767676 on white is the lightest gray passing AA (4.54); #777 fails (4.48).
  close(contrastRatio('#767676', '#ffffff'), 4.54);
  close(contrastRatio('#777777', '#ffffff'), 4.48);
  // Pure blue and pure red on white: 8.59 and 4.00, as WebAIM's contrast checker reports.
  close(contrastRatio('#0000ff', '#ffffff'), 8.59);
  close(contrastRatio('#ff0000', '#ffffff'), 4.0);
});

test('text on brand and accent colors always reaches AA', () => {
  assert.equal(textColorOn('#000000'), '#ffffff');
  assert.equal(textColorOn('#0a2540'), '#ffffff');
  assert.equal(textColorOn('#ffffff'), '#1a1f36');
  assert.equal(textColorOn('#ffd60a'), '#1a1f36');
  // Mid-tones where white fails: dark text is chosen.
  assert.equal(textColorOn('#ff0000') === '#ffffff', false);
  // Every gray level and a color sweep: the chosen text passes.
  for (let v = 0; v < 256; v += 5) {
    const hex = `#${v.toString(16).padStart(2, '0').repeat(3)}`;
    assert.ok(contrastRatio(textColorOn(hex), hex) >= AA_NORMAL_TEXT, hex);
  }
  for (const hex of ['#635bff', '#00a86b', '#ff5722', '#e91e63', '#2196f3', '#9c27b0', '#888888', '#7f7f7f']) {
    assert.ok(contrastRatio(textColorOn(hex), hex) >= AA_NORMAL_TEXT, hex);
  }
});

test('links are darkened until they read on white', () => {
  assert.equal(ensureContrast('#635bff', '#ffffff'), '#635bff');
  const yellow = ensureContrast('#ffd60a', '#ffffff');
  assert.notEqual(yellow, '#ffd60a');
  assert.ok(contrastRatio(yellow, '#ffffff') >= AA_NORMAL_TEXT);
  assert.ok(contrastRatio(ensureContrast('#00ff00', '#ffffff'), '#ffffff') >= AA_NORMAL_TEXT);
});

test('buildTheme validates and falls back; themeCss carries only validated values', () => {
  const theme = buildTheme({ brandColor: '#0A2540', accentColor: '#ffd60a', corners: 'square', font: 'serif' });
  assert.equal(theme.brand, '#0a2540');
  assert.equal(theme.onBrand, '#ffffff');
  assert.ok(contrastRatio(theme.onBrandMuted, theme.brand) >= AA_NORMAL_TEXT);
  assert.equal(theme.onAccent, '#1a1f36');
  assert.equal(theme.corners, 'square');
  const hostile = buildTheme({ brandColor: 'red;}</style><script>', accentColor: 'javascript:1', font: 'x' as never, corners: 'x' as never });
  assert.deepEqual(hostile, buildTheme());
  const css = themeCss(theme);
  assert.match(css, /--brand:#0a2540;/);
  assert.match(css, /--radius:0;/);
  assert.match(css, /Georgia/);
  assert.ok(!/[<>]/.test(themeCss(hostile)));
});

test('the theme survives its stylesheet query, and junk in the query is ignored', () => {
  const theme = buildTheme({ brandColor: '#123456', accentColor: '#abcdef', corners: 'square', font: 'mono' });
  const q = new URLSearchParams(themeQuery(theme));
  assert.deepEqual(themeFromQuery((n) => q.get(n) ?? undefined), theme);
  const junk = new URLSearchParams('b=zzz&a=%3C%2Fstyle%3E&c=x&f=constructor');
  assert.deepEqual(themeFromQuery((n) => junk.get(n) ?? undefined), buildTheme());
});
