/**
 * `/v1/payment_methods` (create, retrieve, update, list, attach, detach) and a customer's payment
 * methods (`/v1/customers/{customer}/payment_methods`). Cards only.
 */
import { listShape, p, parseParams } from '../../lib/params.ts';
import {
  attachPaymentMethod,
  createPaymentMethod,
  detachPaymentMethod,
  listPaymentMethods,
  paymentMethodCreateShape,
  paymentMethodUpdateShape,
  retrieveCustomerPaymentMethod,
  retrievePaymentMethod,
  updatePaymentMethod,
} from '../../billing/payment-methods.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('payment_method', { fields: { customer: { target: 'customer' } } });

/** Every payment method type Stripe knows (API 2026-10-28.endive); Portico stores only cards. */
const PAYMENT_METHOD_TYPES = [
  'acss_debit', 'affirm', 'afterpay_clearpay', 'alipay', 'alma', 'amazon_pay', 'au_becs_debit', 'bacs_debit',
  'bancontact', 'billie', 'bizum', 'blik', 'boleto', 'card', 'cashapp', 'crypto', 'custom', 'customer_balance',
  'eps', 'fpx', 'giropay', 'grabpay', 'ideal', 'kakao_pay', 'klarna', 'konbini', 'kr_card', 'link', 'mb_way',
  'mobilepay', 'multibanco', 'naver_pay', 'nz_bank_account', 'oxxo', 'p24', 'pay_by_bank', 'payco', 'paynow',
  'paypal', 'paypay', 'payto', 'pix', 'promptpay', 'revolut_pay', 'samsung_pay', 'satispay', 'scalapay',
  'sepa_debit', 'sequra', 'sofort', 'sunbit', 'swish', 'twint', 'upi', 'us_bank_account', 'wechat_pay', 'zip',
] as const;

const customerListShape = {
  ...listShape,
  type: p.enumOf(PAYMENT_METHOD_TYPES),
  allow_redisplay: p.enumOf(['always', 'limited', 'unspecified']),
};
const listShapeWithCustomer = { ...customerListShape, customer: p.string() };

const BASE = '/v1/payment_methods';

export function registerPaymentMethods(r: Routes): void {
  r.post(BASE, (ctx, params) => createPaymentMethod(ctx, parseParams(paymentMethodCreateShape, params)));
  r.get(BASE, async (ctx, params, c) => {
    const q = parseParams(listShapeWithCustomer, params);
    return pageEnvelope(c.req.path, await listPaymentMethods(ctx, q, pagination(q)));
  });
  r.get(`${BASE}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return retrievePaymentMethod(ctx, pathParam(c, 'id'));
  });
  r.post(`${BASE}/:id`, (ctx, params, c) =>
    updatePaymentMethod(ctx, pathParam(c, 'id'), parseParams(paymentMethodUpdateShape, params)),
  );
  r.post(`${BASE}/:id/attach`, (ctx, params, c) => {
    const q = parseParams({ customer: p.string().req() }, params);
    return attachPaymentMethod(ctx, pathParam(c, 'id'), q.customer);
  });
  r.post(`${BASE}/:id/detach`, (ctx, params, c) => {
    parseParams({}, params);
    return detachPaymentMethod(ctx, pathParam(c, 'id'));
  });

  r.get('/v1/customers/:customer/payment_methods', async (ctx, params, c) => {
    const q = parseParams(customerListShape, params);
    const customer = pathParam(c, 'customer');
    return pageEnvelope(c.req.path, await listPaymentMethods(ctx, { ...q, customer }, pagination(q)));
  });
  r.get('/v1/customers/:customer/payment_methods/:id', (ctx, params, c) => {
    parseParams({}, params);
    return retrieveCustomerPaymentMethod(ctx, pathParam(c, 'customer'), pathParam(c, 'id'));
  });
}
