/**
 * English portal messages. This object defines the shape of every catalog: `PortalMessages` is its
 * type, and each locale file declares `const xx: PortalMessages`, so a missing or extra key fails `tsc`.
 * Plain strings for labels; functions for messages that interpolate (the arguments are already
 * formatted: dates with `formatDate`, amounts with `formatMoney`). Brand names stay as they are.
 */
import { recurring } from './plural.ts';

export const en = {
  // Page titles
  portalTitle: 'Billing portal',
  loginTitle: 'Log in',
  expiredTitle: 'Session expired',
  errorTitle: 'Error',
  // Navigation and footer
  returnTo: (business: string): string => `Return to ${business}`,
  poweredBy: 'Powered by Portico',
  privacyPolicy: 'Privacy policy',
  termsOfService: 'Terms of service',
  // Sections
  currentSubscription: 'Current subscription',
  currentSubscriptions: 'Current subscriptions',
  paymentMethods: 'Payment methods',
  billingInformation: 'Billing information',
  invoiceHistory: 'Invoice history',
  // Subscription statuses and phrases
  subscriptionStatus_active: 'Active',
  subscriptionStatus_trialing: 'Trial',
  subscriptionStatus_past_due: 'Past due',
  subscriptionStatus_unpaid: 'Unpaid',
  subscriptionStatus_canceled: 'Canceled',
  subscriptionStatus_incomplete: 'Incomplete',
  subscriptionStatus_incomplete_expired: 'Expired',
  subscriptionStatus_paused: 'Paused',
  subscriptionRenews: (date: string): string => `Renews on ${date}`,
  subscriptionCancels: (date: string): string => `Cancels on ${date}`,
  trialEnds: (date: string): string => `Trial ends ${date}`,
  canceled: 'Canceled',
  /** `amount` is formatted; `count` is the interval count (1 = every interval). */
  pricePerInterval: recurring('en', {
    per: { day: '%a per day', week: '%a per week', month: '%a per month', year: '%a per year' },
    every: {
      day: { one: '%a every # day', other: '%a every # days' },
      week: { one: '%a every # week', other: '%a every # weeks' },
      month: { one: '%a every # month', other: '%a every # months' },
      year: { one: '%a every # year', other: '%a every # years' },
    },
  }),
  quantityOf: (n: string): string => `Quantity: ${n}`,
  // Invoices
  invoiceDate: 'Date',
  invoiceNumber: 'Number',
  invoiceAmount: 'Amount',
  invoiceStatus: 'Status',
  invoiceStatus_draft: 'Draft',
  invoiceStatus_open: 'Open',
  invoiceStatus_paid: 'Paid',
  invoiceStatus_uncollectible: 'Uncollectible',
  invoiceStatus_void: 'Void',
  noInvoices: 'No invoices yet',
  // Expired session
  expiredHeading: 'This session has expired',
  expiredBody: 'For your security, billing portal links are only valid for a short time. Start a new session to continue.',
  logInAgain: 'Log in again',
  // Login page
  loginHeading: 'Enter your email',
  loginIntro: (business: string): string => `We will email you a link to manage your billing with ${business}.`,
  emailLabel: 'Email',
  sendLink: 'Send link',
  linkSent: 'If an account matches that email, we sent a link to it. It expires in 10 minutes.',
  rateLimited: 'Too many attempts, try again later.',
  invalidEmail: 'Enter a valid email address.',
  chooseAccount: 'Choose an account',
  chooseAccountIntro: 'Several accounts use this email. Choose the one you want to manage.',
  loginEmailSubject: (business: string): string => `Your ${business} billing portal link`,
  loginEmailBody: (business: string, url: string): string =>
    `Use this link to manage your billing with ${business}:\n\n${url}\n\nIt expires in 10 minutes. If you did not ask for it, you can ignore this email.`,
  loginLinkInvalidHeading: 'This link is no longer valid',
  loginLinkInvalidBody: 'Login links work only once and expire after 10 minutes. Request a new one to continue.',
  loginEmailButton: 'Open billing portal',
  /** `date` is formatted. */
  customerSince: (date: string): string => `Customer since ${date}`,
  // Not found
  notFoundHeading: 'Page not found',
  notFoundBody: 'This page does not exist or is no longer available.',
  // Errors
  genericError: 'Something went wrong. Please try again.',
  // Actions
  updatePlan: 'Update plan',
  cancelPlan: 'Cancel plan',
  confirm: 'Confirm',
  back: 'Back',
  addPaymentMethod: 'Add payment method',
  defaultBadge: 'Default',
  remove: 'Remove',
  pay: 'Pay',
  download: 'Download',
  save: 'Save',
  cancel: 'Cancel',
  // Payment methods (portal-pay)
  /** `brand` is the card brand's display name, `last4` its last four digits. */
  cardEnding: (brand: string, last4: string): string => `${brand} ending in ${last4}`,
  /** `date` is the expiry as MM/YYYY. */
  cardExpires: (date: string): string => `Expires ${date}`,
  expiresSoon: 'Expires soon',
  cardExpired: 'Expired',
  makeDefault: 'Make default',
  noPaymentMethods: 'No payment methods on file.',
  managePaymentMethods: 'Manage payment methods',
  addCard: 'Add a card',
  cardNumber: 'Card number',
  cardExpiry: 'Expiration date (MM / YY)',
  cardCvc: 'Security code (CVC)',
  cardName: 'Name on card',
  country: 'Country',
  postalCode: 'Postal code',
  chooseCountry: 'Choose a country',
  makeDefaultCheckbox: 'Use as my default payment method',
  testCardsNotice: 'Test mode: use one of Stripe\'s test cards, such as 4242 4242 4242 4242 with any future date and any CVC. Real card numbers are refused.',
  liveModeNoCards: 'Cards cannot be added here: this billing portal has no payment processor for real cards yet. Contact the business to change how you pay.',
  cardError_number_invalid: 'Enter a valid card number.',
  cardError_number_incorrect: 'Your card number is incorrect.',
  cardError_expiry_invalid: 'Enter a valid expiration date (MM / YY).',
  cardError_expiry_past: 'This card has expired.',
  cardError_cvc_invalid: 'Your card\'s security code is invalid.',
  cardError_name_too_long: 'This name is too long.',
  cardError_country_invalid: 'Choose a country from the list.',
  cardError_postal_code_invalid: 'Enter a valid postal code.',
  cardError_declined: 'Your card was declined. Try another card.',
  cardError_test_mode_live_card: 'Your card was declined: in test mode, use a test card.',
  notice_card_added: 'Your card was added.',
  notice_default_set: 'Your default payment method was updated.',
  notice_card_removed: 'The card was removed.',
  notice_default_in_use: 'This card pays a subscription automatically. Make another card the default before removing it.',
  notice_setup_auth_failed: 'Authentication failed, so the card was not added.',
  notice_setup_declined: 'Your card was declined after authentication, so it was not added.',
  // Test 3-D Secure (portal-pay)
  threeDsTitle: '3D Secure authentication',
  threeDsSetupIntro: 'Your bank asks you to confirm that this card is yours.',
  /** `amount` is formatted money. */
  threeDsPaymentIntro: (amount: string): string => `Your bank asks you to confirm a payment of ${amount}.`,
  threeDsTestNotice: 'This is a test authentication page: no bank is involved. Choose what the bank answers.',
  threeDsComplete: 'Complete authentication',
  threeDsFail: 'Fail authentication',
  threeDsResolved: 'This authentication is already over.',
  // Invoices (portal-pay)
  showMore: 'Show more',
  viewInvoice: 'View',
  downloadPdf: 'PDF',
  /** `number` is the invoice number. */
  payInvoiceTitle: (number: string): string => `Pay invoice ${number}`,
  amountDue: 'Amount due',
  payWith: 'Pay with',
  /** `amount` is formatted money. */
  payAmount: (amount: string): string => `Pay ${amount}`,
  addCardToPay: 'Add a card to pay this invoice.',
  notice_invoice_paid: 'Payment received. Thank you!',
  notice_invoice_already_paid: 'This invoice is already paid.',
  notice_invoice_not_payable: 'This invoice can no longer be paid.',
  notice_payment_declined: 'Your payment was declined. Try another card.',
  notice_payment_auth_failed: 'Authentication failed, so no payment was made.',
};

/** The shape every portal catalog has. */
export type PortalMessages = typeof en;
