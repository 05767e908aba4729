import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contrastWarnings, ratioText } from './branding-contrast.ts';

test('dark and saturated colours that read well get no warning', () => {
  // #0a2540 (navy): white on it is 15.6:1; #635bff on white is 4.87:1 and white on it 4.87:1.
  assert.deepEqual(contrastWarnings({ primary: '#0a2540', secondary: '#635bff' }), []);
  assert.deepEqual(contrastWarnings({ primary: null, secondary: null }), []);
  assert.deepEqual(contrastWarnings({ primary: 'not a colour', secondary: '' }), []);
});

test('a light secondary colour fails as links on white, and says which colour links get instead', () => {
  // #ffd60a (yellow): luminance 0.2126 + 0.7152·0.6725 + 0.0002 = 0.694, so on white (1.05)/(0.744) = 1.41:1.
  const w = contrastWarnings({ primary: null, secondary: '#ffd60a' });
  assert.equal(w.length, 1);
  assert.equal(w[0]!.field, 'settings[branding][secondary_color]');
  assert.match(w[0]!.message, /#ffd60a has 1\.41:1 \(WCAG AA asks 4\.5:1\): the portal shows links in the darker #[0-9a-f]{6}/);
});

test('a mid-grey fails with both white and dark text, for the column and for buttons', () => {
  // #808080: luminance 0.216; white 3.94:1, ink #1a1f36 4.17:1, black 5.31:1.
  const w = contrastWarnings({ primary: '#808080', secondary: '#808080' });
  assert.deepEqual(w.map((x) => x.field), ['settings[branding][primary_color]', 'settings[branding][secondary_color]', 'settings[branding][secondary_color]']);
  assert.match(w[0]!.message, /reaches only 4\.1\d:1 .*in black \(5\.31:1\)/);
});

test('ratios round down, so a failing 4.499 never reads as 4.5', () => {
  assert.equal(ratioText(4.499), '4.49:1');
  assert.equal(ratioText(21), '21.00:1');
});
