/** The test card catalog and the test processor's decision, without a server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brandOf, luhnValid, TEST_CARDS, testCardByPaymentMethodId, testCardByToken } from './test-cards.ts';
import { decideCharge } from './test-processor.ts';

describe('the test card catalog', () => {
  test('every number passes Luhn, matches its brand, and every name resolves as pm_card_ and tok_', () => {
    const names = new Set<string>();
    for (const c of TEST_CARDS) {
      assert.ok(luhnValid(c.number), c.number);
      assert.equal(brandOf(c.number), c.brand, c.number);
      for (const n of c.names) {
        assert.ok(!names.has(n), `duplicate name ${n}`);
        names.add(n);
        assert.equal(testCardByPaymentMethodId(`pm_card_${n}`), c);
        assert.equal(testCardByToken(`tok_${n}`), c);
      }
    }
    assert.equal(new Set(TEST_CARDS.map((c) => c.number)).size, TEST_CARDS.length, 'numbers are unique');
    for (const required of ['visa', 'mastercard', 'amex', 'visa_debit', 'chargeDeclined', 'chargeDeclinedInsufficientFunds', 'chargeCustomerFail', 'authenticationRequired', 'threeDSecure2Required']) {
      assert.ok(names.has(required), required);
    }
  });

  test('decideCharge: no behaviour (a live card) is always declined', () => {
    assert.equal(decideCharge(false, null, { offSession: true }).outcome, 'declined');
    assert.equal(decideCharge(true, TEST_CARDS[0]!.behaviour, { offSession: true }).outcome, 'declined');
    assert.deepEqual(decideCharge(false, TEST_CARDS[0]!.behaviour, { offSession: false }), { outcome: 'succeeded' });
  });
});
