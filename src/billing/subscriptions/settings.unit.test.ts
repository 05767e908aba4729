/** The pure parts of subscription settings: the anchor a config gives, and the refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../lib/errors.ts';
import { p, parseParams } from '../../lib/params.ts';
import { anchorFromConfig, billingModeParam, paymentSettingsParam } from './settings.ts';

const at = (iso: string) => Date.parse(iso) / 1000;

test('billing_cycle_anchor_config gives the next matching instant, clamped to the month end', () => {
  // Jan 15 → the 1st of next month at the same time of day.
  assert.equal(anchorFromConfig({ day_of_month: 1 }, at('2030-01-15T10:20:30Z'), 'month').anchor, at('2030-02-01T10:20:30Z'));
  // Day 31 from Jan 31 at noon, hour 9: Jan 31 09:00 is past, so Feb 28 (clamped) 09:00.
  assert.equal(anchorFromConfig({ day_of_month: 31, hour: 9, minute: 0, second: 0 }, at('2030-01-31T12:00:00Z'), 'month').anchor, at('2030-02-28T09:00:00Z'));
  // Yearly, March 10: from June 2030, March 10 2031.
  assert.equal(anchorFromConfig({ day_of_month: 10, month: 3, hour: 0, minute: 0, second: 0 }, at('2030-06-01T00:00:00Z'), 'year').anchor, at('2031-03-10T00:00:00Z'));
  assert.throws(() => anchorFromConfig({ day_of_month: 1, month: 2 }, at('2030-01-01T00:00:00Z'), 'month'), ApiError);
  assert.throws(() => anchorFromConfig({ day_of_month: 1 }, at('2030-01-01T00:00:00Z'), 'week'), ApiError);
});

test('refusals are parameter_unsupported naming the parameter; accepted values pass', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return [(e as ApiError).body.code, (e as ApiError).body.param];
    }
    return null;
  };
  assert.deepEqual(code(() => parseParams({ automatic_tax: p.automaticTax() }, { automatic_tax: { enabled: 'true' } })), ['parameter_unsupported', 'automatic_tax[enabled]']);
  assert.deepEqual(parseParams({ automatic_tax: p.automaticTax() }, { automatic_tax: { enabled: 'false' } }), { automatic_tax: { enabled: false } });
  assert.deepEqual(code(() => parseParams({ x: p.unsupported('why') }, { x: 'anything' })), ['parameter_unsupported', 'x']);
  assert.deepEqual(code(() => parseParams({ billing_mode: billingModeParam }, { billing_mode: { type: 'flexible' } })), ['parameter_unsupported', 'billing_mode[type]']);
  assert.deepEqual(code(() => parseParams({ ps: paymentSettingsParam }, { ps: { payment_method_types: ['card', 'sepa_debit'] } })), ['parameter_unsupported', 'ps[payment_method_types][1]']);
  assert.deepEqual(parseParams({ ps: paymentSettingsParam }, { ps: { payment_method_types: ['card'], save_default_payment_method: 'on_subscription' } }), {
    ps: { payment_method_types: ['card'], save_default_payment_method: 'on_subscription' },
  });
});
