/** The login page's settings in `loadConfig`: SMTP URL, From and its default, trusted proxy hops. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('PORTICO_SMTP_URL: unset means the log fallback; only smtp:// and smtps:// URLs', () => {
  assert.equal(loadConfig({}).smtpUrl, null);
  assert.equal(loadConfig({ PORTICO_SMTP_URL: 'smtp://mail.example.com:587' }).smtpUrl, 'smtp://mail.example.com:587');
  assert.equal(loadConfig({ PORTICO_SMTP_URL: 'smtps://u:p@mail.example.com' }).smtpUrl, 'smtps://u:p@mail.example.com');
  for (const bad of ['mail.example.com:25', 'http://mail.example.com', 'smtp://']) {
    assert.throws(() => loadConfig({ PORTICO_SMTP_URL: bad }), ConfigError, bad);
  }
});

test('PORTICO_SMTP_FROM: a default on the public host (localhost for an IP), one line only', () => {
  assert.equal(loadConfig({}).smtpFrom, 'Portico <no-reply@localhost>');
  assert.equal(loadConfig({ PORTICO_PUBLIC_URL: 'https://billing.example.com' }).smtpFrom, 'Portico <no-reply@billing.example.com>');
  assert.equal(loadConfig({ PORTICO_SMTP_FROM: 'Acme Billing <billing@acme.example>' }).smtpFrom, 'Acme Billing <billing@acme.example>');
  assert.throws(() => loadConfig({ PORTICO_SMTP_FROM: 'no address' }), ConfigError);
  assert.throws(() => loadConfig({ PORTICO_SMTP_FROM: 'a@b.example\r\nBcc: x@y.example' }), ConfigError);
});

test('PORTICO_TRUST_PROXY: 0 by default, a small whole number', () => {
  assert.equal(loadConfig({}).trustProxyHops, 0);
  assert.equal(loadConfig({ PORTICO_TRUST_PROXY: '2' }).trustProxyHops, 2);
  for (const bad of ['-1', '1.5', 'yes', '11']) assert.throws(() => loadConfig({ PORTICO_TRUST_PROXY: bad }), ConfigError, bad);
});
