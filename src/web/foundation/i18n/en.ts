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
};

/** The shape every portal catalog has. */
export type PortalMessages = typeof en;
