/** The login form's address rules and the masked form the logs use. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoginEmail, maskEmail, normalizeEmail } from './links.ts';

test('addresses are compared trimmed and lower-cased', () => {
  assert.equal(normalizeEmail('  Jenny.Rosen@Example.COM \n'), 'jenny.rosen@example.com');
});

test('an address is something@something, without spaces or control characters, at most 512 characters', () => {
  for (const ok of ['a@b', 'jenny+billing@example.co.uk', `${'x'.repeat(500)}@example.com`]) assert.ok(isLoginEmail(ok), ok);
  for (const bad of ['', 'jenny', '@example.com', 'jenny@', 'a b@example.com', 'a@b\u0000c', `${'x'.repeat(501)}@example.com`]) {
    assert.ok(!isLoginEmail(bad), JSON.stringify(bad));
  }
});

test('masked addresses keep the first character and the domain only', () => {
  assert.equal(maskEmail('jenny.rosen@example.com'), 'j•••@example.com');
  assert.equal(maskEmail('j@example.com'), 'j•••@example.com');
  assert.equal(maskEmail('broken'), '•••');
});
