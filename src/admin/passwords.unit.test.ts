/** Password hashing: round trip, salts differ, wrong and malformed hashes refuse, policy. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

test('a hash verifies its password only, with a fresh salt each time', async () => {
  const a = await hashPassword('correct horse battery staple');
  const b = await hashPassword('correct horse battery staple');
  assert.match(a, /^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('correct horse battery staple', a), true);
  assert.equal(await verifyPassword('correct horse battery stapl', a), false);
  assert.equal(await verifyPassword('', a), false);
});

test('NFC and NFD spellings of a password are the same password', async () => {
  const h = await hashPassword('caf\u00e9 au lait please');
  assert.equal(await verifyPassword('cafe\u0301 au lait please', h), true);
});

test('malformed stored hashes never verify (and never throw)', async () => {
  for (const bad of ['', 'plain', 'scrypt$1$2$3$x$y', 'bcrypt$32768$8$3$AAAA$BBBB']) assert.equal(await verifyPassword('x', bad), false, bad);
});

test('policy: 12 to 200 characters; generated passwords pass it', () => {
  assert.match(passwordProblem('short') ?? '', /at least 12/);
  assert.equal(passwordProblem('x'.repeat(12)), null);
  assert.match(passwordProblem('x'.repeat(201)) ?? '', /at most 200/);
  const g = generatePassword();
  assert.equal(g.length, 24);
  assert.equal(passwordProblem(g), null);
});
