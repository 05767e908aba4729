/**
 * Card numbers: the catalog of Stripe's test cards (numbers, the test tokens `tok_visa` and test
 * PaymentMethod ids `pm_card_visa` that name them, and what each card does when it is validated on
 * attach and when it is charged), and the validation of posted card details with Stripe's card errors.
 * Only test mode accepts test cards; live mode refuses them. Values follow Stripe's testing docs
 * (docs.stripe.com/testing); every number passes the Luhn check (asserted by the tests).
 */
import { ApiError, errors } from '../lib/errors.ts';
import type { Ctx } from '../storage/context.ts';

export type CardBrand = 'amex' | 'diners' | 'discover' | 'jcb' | 'mastercard' | 'unionpay' | 'visa' | 'unknown';
export type CardFunding = 'credit' | 'debit' | 'prepaid' | 'unknown';

/** A refusal as Stripe reports it: the error `code`, the issuer's `decline_code` and the message. */
export interface Decline {
  code: string;
  decline_code: string;
  message: string;
}

/** What charging the card does. */
export type ChargeBehaviour =
  | { kind: 'succeed' }
  | { kind: 'decline'; decline: Decline }
  /**
   * The issuer wants 3D Secure: `always`, or only for on-session payments (`on_session`: saved cards
   * charged off-session go through). `after` is what happens once the customer has authenticated.
   */
  | { kind: 'authenticate'; when: 'always' | 'on_session'; after: Decline | null };

/** Stored with each test PaymentMethod (in its private data), so the processor can replay it. */
export interface CardBehaviour {
  /** Validation when the card is attached to a customer: null passes, otherwise this decline. */
  attach: Decline | null;
  charge: ChargeBehaviour;
  /** Checks that fail when the data they check was given (address line 1, postal code, CVC). */
  failingChecks: ('address_line1' | 'address_postal_code' | 'cvc')[];
}

export interface TestCard {
  number: string;
  brand: CardBrand;
  funding: CardFunding;
  country: string;
  /** Names the card goes by: `pm_card_<name>` and `tok_<name>` both name it. */
  names: string[];
  behaviour: CardBehaviour;
}

/** Stripe's wording for each refusal the test cards produce. */
export const DECLINES = {
  generic: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  insufficientFunds: {
    code: 'card_declined',
    decline_code: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  lostCard: { code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.' },
  stolenCard: { code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.' },
  fraudulent: { code: 'card_declined', decline_code: 'fraudulent', message: 'Your card was declined.' },
  velocity: {
    code: 'card_declined',
    decline_code: 'card_velocity_exceeded',
    message: 'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
  },
  expiredCard: { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
  incorrectCvc: { code: 'incorrect_cvc', decline_code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  processingError: {
    code: 'processing_error',
    decline_code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
} as const satisfies Record<string, Decline>;

const ok: CardBehaviour = { attach: null, charge: { kind: 'succeed' }, failingChecks: [] };
/** Refused when validated on attach and when charged. */
const declines = (d: Decline): CardBehaviour => ({ attach: d, charge: { kind: 'decline', decline: d }, failingChecks: [] });
const authenticates = (when: 'always' | 'on_session', after: Decline | null = null): CardBehaviour => ({
  attach: null,
  charge: { kind: 'authenticate', when, after },
  failingChecks: [],
});

function card(
  number: string,
  brand: CardBrand,
  funding: CardFunding,
  country: string,
  names: string[],
  behaviour: CardBehaviour = ok,
): TestCard {
  return { number, brand, funding, country, names, behaviour };
}

export const TEST_CARDS: readonly TestCard[] = [
  // Brands.
  card('4242424242424242', 'visa', 'credit', 'US', ['visa', 'us']),
  card('4000056655665556', 'visa', 'debit', 'US', ['visa_debit']),
  card('5555555555554444', 'mastercard', 'credit', 'US', ['mastercard']),
  card('2223003122003222', 'mastercard', 'credit', 'US', ['mastercard_2series']),
  card('5200828282828210', 'mastercard', 'debit', 'US', ['mastercard_debit']),
  card('5105105105105100', 'mastercard', 'prepaid', 'US', ['mastercard_prepaid']),
  card('378282246310005', 'amex', 'credit', 'US', ['amex']),
  card('371449635398431', 'amex', 'credit', 'US', ['amex_2']),
  card('6011111111111117', 'discover', 'credit', 'US', ['discover']),
  card('6011000990139424', 'discover', 'credit', 'US', ['discover_2']),
  card('6011981111111113', 'discover', 'debit', 'US', ['discover_debit']),
  card('3056930009020004', 'diners', 'credit', 'US', ['diners']),
  card('36227206271667', 'diners', 'credit', 'US', ['diners_14digits']),
  card('3566002020360505', 'jcb', 'credit', 'JP', ['jcb']),
  card('6200000000000005', 'unionpay', 'credit', 'CN', ['unionpay']),
  card('6200000000000047', 'unionpay', 'debit', 'CN', ['unionpay_debit']),
  // Countries.
  card('4000000760000002', 'visa', 'credit', 'BR', ['br']),
  card('4000001240000000', 'visa', 'credit', 'CA', ['ca']),
  card('4000004840008001', 'visa', 'credit', 'MX', ['mx']),
  card('4000008260000000', 'visa', 'credit', 'GB', ['gb']),
  card('4000002760000016', 'visa', 'credit', 'DE', ['de']),
  card('4000002500000003', 'visa', 'credit', 'FR', ['fr']),
  card('4000003920000003', 'visa', 'credit', 'JP', ['jp']),
  card('4000000360000006', 'visa', 'credit', 'AU', ['au']),
  // Declines: refused on attach (Stripe validates the card) and on every charge.
  card('4000000000000002', 'visa', 'credit', 'US', ['chargeDeclined', 'visa_chargeDeclined'], declines(DECLINES.generic)),
  card(
    '4000000000009995',
    'visa',
    'credit',
    'US',
    ['chargeDeclinedInsufficientFunds', 'visa_chargeDeclinedInsufficientFunds'],
    declines(DECLINES.insufficientFunds),
  ),
  card('4000000000009987', 'visa', 'credit', 'US', ['chargeDeclinedLostCard', 'visa_chargeDeclinedLostCard'], declines(DECLINES.lostCard)),
  card(
    '4000000000009979',
    'visa',
    'credit',
    'US',
    ['chargeDeclinedStolenCard', 'visa_chargeDeclinedStolenCard'],
    declines(DECLINES.stolenCard),
  ),
  card('4000000000000069', 'visa', 'credit', 'US', ['chargeDeclinedExpiredCard'], declines(DECLINES.expiredCard)),
  card('4000000000000127', 'visa', 'credit', 'US', ['chargeDeclinedIncorrectCvc'], declines(DECLINES.incorrectCvc)),
  card('4000000000000119', 'visa', 'credit', 'US', ['chargeDeclinedProcessingError'], declines(DECLINES.processingError)),
  card(
    '4000000000006975',
    'visa',
    'credit',
    'US',
    ['chargeDeclinedVelocityLimitExceeded', 'visa_chargeDeclinedVelocityLimitExceeded'],
    declines(DECLINES.velocity),
  ),
  // Attaches fine; every charge is then declined.
  card('4000000000000341', 'visa', 'credit', 'US', ['chargeCustomerFail'], {
    attach: null,
    charge: { kind: 'decline', decline: DECLINES.generic },
    failingChecks: [],
  }),
  // Radar blocks every payment (highest risk); saving the card works.
  card('4100000000000019', 'visa', 'credit', 'US', ['radarBlock'], {
    attach: null,
    charge: { kind: 'decline', decline: DECLINES.fraudulent },
    failingChecks: [],
  }),
  // Checks.
  card('4000000000000101', 'visa', 'credit', 'US', ['cvcCheckFail'], {
    ...declines(DECLINES.incorrectCvc),
    failingChecks: ['cvc'],
  }),
  card('4000000000000010', 'visa', 'credit', 'US', ['avsFail'], {
    ...ok,
    failingChecks: ['address_line1', 'address_postal_code'],
  }),
  card('4000000000000028', 'visa', 'credit', 'US', ['avsLine1Fail'], { ...ok, failingChecks: ['address_line1'] }),
  card('4000000000000036', 'visa', 'credit', 'US', ['avsZipFail'], {
    ...ok,
    failingChecks: ['address_postal_code'],
  }),
  // 3D Secure.
  card('4000002500003155', 'visa', 'credit', 'FR', ['authenticationRequiredOnSetup'], authenticates('on_session')),
  card('4000002760003184', 'visa', 'credit', 'DE', ['authenticationRequired'], authenticates('always')),
  card(
    '4000008260003178',
    'visa',
    'credit',
    'GB',
    ['authenticationRequiredChargeDeclinedInsufficientFunds'],
    authenticates('always', DECLINES.insufficientFunds),
  ),
  card('4000000000003220', 'visa', 'credit', 'US', ['threeDSecure2Required'], authenticates('always')),
  card('4000000000003063', 'visa', 'credit', 'US', ['threeDSecureRequired'], authenticates('always')),
  card('4000000000003055', 'visa', 'credit', 'US', ['threeDSecureOptional']),
];

const byNumber = new Map(TEST_CARDS.map((c) => [c.number, c]));
const byName = new Map(TEST_CARDS.flatMap((c) => c.names.map((n) => [n, c] as const)));

/** The test card with this number (digits only), if it is one. */
export function testCardByNumber(digits: string): TestCard | undefined {
  return byNumber.get(digits);
}

/**
 * The card a test PaymentMethod id names.
 * @example testCardByPaymentMethodId('pm_card_visa')?.number // '4242424242424242'
 */
export function testCardByPaymentMethodId(id: string): TestCard | undefined {
  return id.startsWith('pm_card_') ? byName.get(id.slice('pm_card_'.length)) : undefined;
}

/** The card a test token names (`tok_visa`, `tok_chargeDeclined`, …). */
export function testCardByToken(token: string): TestCard | undefined {
  return token.startsWith('tok_') ? byName.get(token.slice('tok_'.length)) : undefined;
}

/** Whether `id` looks like a test PaymentMethod id, known or not (`pm_card_…`). */
export function isTestPaymentMethodId(id: string): boolean {
  return id.startsWith('pm_card_');
}

/** The Luhn (mod 10) check every real card number passes. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The brand a card number's leading digits (IIN ranges) belong to. */
export function brandOf(digits: string): CardBrand {
  const [n2, n3, n4] = [2, 3, 4].map((n) => Number(digits.slice(0, n))) as [number, number, number];
  if (digits.startsWith('4')) return 'visa';
  if ((n2 >= 51 && n2 <= 55) || (n4 >= 2221 && n4 <= 2720)) return 'mastercard';
  if (n2 === 34 || n2 === 37) return 'amex';
  if (n4 === 6011 || n2 === 65 || (n3 >= 644 && n3 <= 649)) return 'discover';
  if (n4 >= 3528 && n4 <= 3589) return 'jcb';
  if (n2 === 36 || n2 === 38 || n2 === 39 || (n3 >= 300 && n3 <= 305)) return 'diners';
  if (n2 === 62) return 'unionpay';
  return 'unknown';
}

/** The card error a decline is reported as (402, with `decline_code`). */
export function declineError(d: Decline, param?: string): ApiError {
  const e =
    d.code === 'card_declined'
      ? errors.cardDeclined(d.message, d.decline_code, param)
      : errors.cardError(d.message, d.code, param);
  e.body.decline_code = d.decline_code;
  return e;
}

/** Year and month (1–12) of a unix time, in UTC. */
export function yearMonth(t: number): [number, number] {
  const d = new Date(t * 1000);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1];
}

/** Checks an expiry (two-digit years allowed) against the clock; returns the four-digit year. */
export function checkExpiry(ctx: Ctx, month: number, year: number, prefix: string): number {
  const [nowYear, nowMonth] = yearMonth(ctx.clock.now());
  const fullYear = year >= 0 && year < 100 ? 2000 + year : year;
  if (month < 1 || month > 12) {
    throw errors.cardError("Your card's expiration month is invalid.", 'invalid_expiry_month', `${prefix}[exp_month]`);
  }
  if (fullYear < nowYear || fullYear > nowYear + 50) {
    throw errors.cardError("Your card's expiration year is invalid.", 'invalid_expiry_year', `${prefix}[exp_year]`);
  }
  if (fullYear === nowYear && month < nowMonth) {
    throw errors.cardError("Your card's expiration month is invalid.", 'invalid_expiry_month', `${prefix}[exp_month]`);
  }
  return fullYear;
}

export interface CardSource {
  digits: string;
  exp_month: number;
  exp_year: number;
  cvcGiven: boolean;
  test: TestCard | null;
}

/** A test card as a token or test PaymentMethod id gives it: valid for another year, CVC collected. */
export function testSource(ctx: Ctx, test: TestCard): CardSource {
  const [year, month] = yearMonth(ctx.clock.now());
  return { digits: test.number, exp_month: month, exp_year: year + 1, cvcGiven: true, test };
}

/** Card details as posted (`card[number]`, … or `card[token]`). */
export interface CardDetails {
  number?: string;
  exp_month?: number;
  exp_year?: number;
  cvc?: string;
  token?: string;
}

/** Validates raw card details or a token. Never echoes the number or CVC in an error. */
export function cardSource(ctx: Ctx, c: CardDetails): CardSource {
  if (c.token !== undefined) {
    if (c.number !== undefined || c.exp_month !== undefined || c.exp_year !== undefined || c.cvc !== undefined) {
      throw errors.invalidRequest(
        'You cannot provide card[token] together with card[number], card[exp_month], card[exp_year] or card[cvc].',
        'card[token]',
      );
    }
    const test = ctx.livemode ? undefined : testCardByToken(c.token);
    if (!test) throw errors.resourceMissing('token', c.token, 'card[token]');
    return testSource(ctx, test);
  }
  if (c.number === undefined) throw errors.missingParam('card[number]');
  if (c.exp_month === undefined) throw errors.missingParam('card[exp_month]');
  if (c.exp_year === undefined) throw errors.missingParam('card[exp_year]');
  const digits = c.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) {
    throw errors.cardError('The card number is not a valid credit card number.', 'invalid_number', 'card[number]');
  }
  if (!luhnValid(digits)) throw errors.cardError('Your card number is incorrect.', 'incorrect_number', 'card[number]');
  const exp_year = checkExpiry(ctx, c.exp_month, c.exp_year, 'card');
  if (c.cvc !== undefined && !/^\d{3,4}$/.test(c.cvc)) {
    throw errors.cardError("Your card's security code is invalid.", 'invalid_cvc', 'card[cvc]');
  }
  const test = testCardByNumber(digits) ?? null;
  if (ctx.livemode && test) {
    throw declineError({
      code: 'card_declined',
      decline_code: 'live_mode_test_card',
      message: 'Your card was declined. Your request was in live mode, but used a known test card.',
    });
  }
  if (!ctx.livemode && !test) {
    throw declineError({
      code: 'card_declined',
      decline_code: 'test_mode_live_card',
      message:
        'Your card was declined. Your request was in test mode, but used a non test (live) card. ' +
        'For a list of valid test cards, visit: https://stripe.com/docs/testing.',
    });
  }
  return { digits, exp_month: c.exp_month, exp_year, cvcGiven: c.cvc !== undefined, test };
}
