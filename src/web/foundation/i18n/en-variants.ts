/**
 * Regional English: each variant spreads `en`, so a new `en` key reaches it automatically, and
 * overrides only what differs: Australian, British, Canadian, Irish, Indian, New Zealand and Singapore
 * English all spell "cancelled" with two l's. Dates and money differ too, but those come from `Intl`.
 */
import { en, type PortalMessages } from './en.ts';

/** Commonwealth spelling shared by every regional variant Stripe lists. */
const commonwealth: PortalMessages = {
  ...en,
  subscriptionStatus_canceled: 'Cancelled',
  canceled: 'Cancelled',
  // Subscription actions (portal-subs)
  done_canceled: 'Your subscription has been cancelled.',
  done_undone: 'The scheduled change has been cancelled.',
  cancelAtPeriodEndNote: (date) => `Your subscription will be cancelled, but it remains available until the end of your billing period on ${date}.`,
  cancelNowNote: 'Your subscription will be cancelled immediately.',
  cancelReasonQuestion: 'Why are you cancelling?',
  declineOffer: 'No thanks, continue cancelling',
  block_several_items: 'This subscription has several products, so here it can only be cancelled.',
  block_metered: 'This subscription has a usage-based price, so here it can only be cancelled.',
  block_send_invoice: 'This subscription is paid by invoice, so here it can only be cancelled.',
  block_already_canceling: 'This subscription is already set to be cancelled.',
};

export const enAU: PortalMessages = { ...commonwealth };
export const enCA: PortalMessages = { ...commonwealth };
export const enGB: PortalMessages = { ...commonwealth };
export const enIE: PortalMessages = { ...commonwealth };
export const enIN: PortalMessages = { ...commonwealth };
export const enNZ: PortalMessages = { ...commonwealth };
export const enSG: PortalMessages = { ...commonwealth };
