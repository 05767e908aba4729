/**
 * STOPGAP until the portal's i18n catalogs (branch portal-ui) land: the login page's strings in
 * English, under the keys the portal catalogs use, so the switch is a change of import.
 */
export const loginMessagesEn = {
  loginTitle: 'Log in',
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
  genericError: 'Something went wrong. Please try again.',
  errorTitle: 'Error',
  confirm: 'Confirm',
  linkInvalidHeading: 'This link is no longer valid',
  linkInvalidBody: 'Login links work once and expire 10 minutes after they are sent.',
  requestNewLink: 'Request a new link',
  notFoundHeading: 'Page not found',
  notFoundBody: 'This page does not exist or is no longer available.',
  customerSince: (date: string): string => `Customer since ${date}`,
  openPortal: 'Open billing portal',
  yourBusiness: 'your provider',
};

export type LoginMessages = typeof loginMessagesEn;
export type LoginLocale = 'en';

export function loginMessages(_locale: LoginLocale): LoginMessages {
  return loginMessagesEn;
}

export function pickLoginLocale(_preferred: readonly string[], _acceptLanguage: string | undefined): LoginLocale {
  return 'en';
}
