/**
 * The built-in test card processor: what charging a payment method does. In test mode the outcome is
 * the one scripted for the test card the payment method was made from (see `test-cards.ts`); in live
 * mode there is no processor, so every charge fails with a clear error instead of pretending to succeed.
 * `decideCharge` is the pure rule; `chargeCard` loads the payment method and applies it.
 */
import { errors } from '../lib/errors.ts';
import type { Ctx } from '../storage/context.ts';
import { getStoredPaymentMethod, reusedPaymentMethod } from './payment-methods.ts';
import type { CardBehaviour, Decline } from './test-cards.ts';

export type ChargeOutcome =
  | { outcome: 'succeeded' }
  | ({ outcome: 'declined' } & Decline)
  /** The issuer asks for 3D Secure: the customer must authenticate before the charge can go through. */
  | { outcome: 'requires_action' };

export interface ChargeOptions {
  /** The customer is not present (renewals, retries); some cards only ask for 3D Secure on-session. */
  offSession: boolean;
  /** The customer has just completed 3D Secure for this payment. */
  authenticated?: boolean;
}

export const NO_LIVE_PROCESSOR: Decline = {
  code: 'processing_error',
  decline_code: 'processing_error',
  message:
    'No live payment processor is configured: Portico only processes test cards in test mode, so live card payments cannot be made.',
};

const declined = (d: Decline): ChargeOutcome => ({
  outcome: 'declined',
  code: d.code,
  decline_code: d.decline_code,
  message: d.message,
});

/**
 * The outcome of charging a card with this stored behaviour (pure).
 * @example decideCharge(false, behaviour, { offSession: true }) // { outcome: 'succeeded' }
 */
export function decideCharge(livemode: boolean, behaviour: CardBehaviour | null, opts: ChargeOptions): ChargeOutcome {
  if (livemode || behaviour === null) return declined(NO_LIVE_PROCESSOR);
  const charge = behaviour.charge;
  switch (charge.kind) {
    case 'succeed':
      return { outcome: 'succeeded' };
    case 'decline':
      return declined(charge.decline);
    case 'authenticate': {
      const needsAuth = charge.when === 'always' || !opts.offSession;
      if (needsAuth && !opts.authenticated) return { outcome: 'requires_action' };
      return charge.after ? declined(charge.after) : { outcome: 'succeeded' };
    }
  }
}

/**
 * Charges `amount` (minor units of `currency`) to a payment method. Bad arguments and unusable payment
 * methods (unknown, detached) throw Stripe errors; a refusal is an outcome, not an error.
 * @example await chargeCard(ctx, 'pm_…', 2000, 'usd', { offSession: true })
 */
export async function chargeCard(
  ctx: Ctx,
  pm: string,
  amount: number,
  currency: string,
  opts: ChargeOptions,
): Promise<ChargeOutcome> {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw errors.invalidParam('amount', 'The amount to charge must be a positive integer in the smallest currency unit.');
  }
  if (!/^[a-z]{3}$/.test(currency)) throw errors.invalidParam('currency', `Invalid currency: ${currency.slice(0, 20)}`);
  const stored = await getStoredPaymentMethod(ctx, pm, 'payment_method');
  if (stored.private.detached) throw reusedPaymentMethod('payment_method');
  return decideCharge(ctx.livemode, stored.private.behaviour ?? null, opts);
}
