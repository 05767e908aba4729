/** The portal's card form checks and card expiry states (pure). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCardForm, expiryState } from './payment-methods.ts';

const NOW = 1_893_456_000; // 2030-01-01T00:00:00Z
const form = { number: '4242 4242 4242 4242', expiry: '12 / 34', cvc: '123', name: ' Jenny ', country: 'de', postalCode: '10115' };

test('a good card form gives the card, digits only, four-digit year, country upper-cased', () => {
  const r = checkCardForm(form, NOW);
  assert.deepEqual(r, { ok: true, card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Jenny', country: 'DE', postalCode: '10115' } });
  assert.equal((checkCardForm({ ...form, expiry: '0134' }, NOW) as any).card.exp_month, 1);
  assert.equal((checkCardForm({ ...form, expiry: '1/2031' }, NOW) as any).card.exp_year, 2031);
  assert.equal(checkCardForm({ ...form, expiry: '01/30' }, NOW).ok, true, 'the current month is still valid');
});

test('each field has its own error', () => {
  const errs = (f: Partial<typeof form>) => (checkCardForm({ ...form, ...f }, NOW) as { errors: object }).errors;
  assert.deepEqual(errs({ number: '4242 4242 4242 4241' }), { number: 'number_incorrect' });
  assert.deepEqual(errs({ number: '4242' }), { number: 'number_invalid' });
  assert.deepEqual(errs({ number: '4242x4242424242424' }), { number: 'number_invalid' });
  assert.deepEqual(errs({ expiry: '13/34' }), { expiry: 'expiry_invalid' });
  assert.deepEqual(errs({ expiry: '12/29' }), { expiry: 'expiry_past' });
  assert.deepEqual(errs({ expiry: 'soon' }), { expiry: 'expiry_invalid' });
  assert.deepEqual(errs({ cvc: '12' }), { cvc: 'cvc_invalid' });
  assert.deepEqual(errs({ cvc: '1234' }), { cvc: 'cvc_invalid' }, 'four digits only for American Express');
  assert.deepEqual(errs({ number: '3782 822463 10005', cvc: '123' }), { cvc: 'cvc_invalid' });
  assert.equal(checkCardForm({ ...form, number: '3782 822463 10005', cvc: '1234' }, NOW).ok, true);
  assert.deepEqual(errs({ country: 'Germany' }), { country: 'country_invalid' });
  assert.deepEqual(errs({ postalCode: '<b>' }), { postal_code: 'postal_code_invalid' });
});

test('expiry states: expired after the expiry month, soon within two months', () => {
  assert.equal(expiryState(12, 2029, NOW), 'expired');
  assert.equal(expiryState(1, 2030, NOW), 'soon');
  assert.equal(expiryState(3, 2030, NOW), 'soon');
  assert.equal(expiryState(4, 2030, NOW), null);
});
