/** Only absolute http(s) URLs reach an href; only https reaches an img src. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeHttpUrl, safeImageUrl } from './urls.ts';

test('safeHttpUrl keeps http(s) and drops everything else', () => {
  assert.equal(safeHttpUrl('https://acme.example/privacy'), 'https://acme.example/privacy');
  assert.equal(safeHttpUrl('  http://acme.example  '), 'http://acme.example/');
  for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<b>', 'vbscript:x', '/relative', '//evil.example', 'mailto:a@b.c', 'https://user:pw@acme.example', '', null, undefined, `https://a.example/${'x'.repeat(3000)}`]) {
    assert.equal(safeHttpUrl(bad), null, String(bad));
  }
});

test('safeImageUrl needs https', () => {
  assert.equal(safeImageUrl('https://cdn.example/logo.png'), 'https://cdn.example/logo.png');
  assert.equal(safeImageUrl('http://cdn.example/logo.png'), null);
  assert.equal(safeImageUrl('data:image/png;base64,AAAA'), null);
});
