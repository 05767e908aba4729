/** The settings form → the API's update parameters: unchecked boxes, empty sets, offered products. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseParams } from '../../lib/params.ts';
import { decodeParams } from '../../lib/params.ts';
import { configurationUpdateShape } from '../../portal/configurations/params.ts';
import { configurationParamsFromForm } from './portal-form.ts';

const form = (pairs: [string, string][]) => decodeParams(new URLSearchParams(pairs).toString());

test('unchecked boxes are false, empty sets are unset, products without prices are left out', () => {
  const body = form([
    ['business_profile[headline]', 'Hi'],
    ['features[invoice_history][enabled]', 'true'],
    ['features[customer_update][allowed_updates][]', 'email'],
    ['features[customer_update][allowed_updates][]', 'address'],
    ['features[subscription_update][products][0][product]', 'prod_a'],
    ['features[subscription_update][products][0][prices][]', 'price_1'],
    ['features[subscription_update][products][0][adjustable_quantity][minimum]', '1'],
    ['features[subscription_update][products][0][adjustable_quantity][maximum]', ''],
    ['features[subscription_update][products][1][product]', 'prod_b'],
    ['features[subscription_update][schedule_at_period_end][conditions][]', 'shortening_interval'],
  ]);
  const params = parseParams(configurationUpdateShape, configurationParamsFromForm(body, { isDefault: false }));
  assert.equal(params.business_profile?.headline, 'Hi');
  assert.equal(params.features?.invoice_history?.enabled, true);
  assert.equal(params.features?.payment_method_update?.enabled, false);
  assert.equal(params.features?.subscription_cancel?.enabled, false);
  assert.equal(params.login_page?.enabled, false);
  assert.equal(params.active, false);
  assert.deepEqual(params.features?.customer_update?.allowed_updates, ['email', 'address']);
  assert.equal(params.features?.subscription_update?.default_allowed_updates, null);
  assert.equal(params.features?.subscription_cancel?.cancellation_reason?.options, null);
  assert.deepEqual(params.features?.subscription_update?.products, [
    { product: 'prod_a', prices: ['price_1'], adjustable_quantity: { enabled: false, minimum: 1 } },
  ]);
  assert.deepEqual(params.features?.subscription_update?.schedule_at_period_end?.conditions, [{ type: 'shortening_interval' }]);
});

test('the default configuration never posts active', () => {
  const params = configurationParamsFromForm(form([['active', 'false']]), { isDefault: true });
  assert.equal('active' in params, false);
});
