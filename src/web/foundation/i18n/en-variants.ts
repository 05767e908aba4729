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
};

export const enAU: PortalMessages = { ...commonwealth };
export const enCA: PortalMessages = { ...commonwealth };
export const enGB: PortalMessages = { ...commonwealth };
export const enIE: PortalMessages = { ...commonwealth };
export const enIN: PortalMessages = { ...commonwealth };
export const enNZ: PortalMessages = { ...commonwealth };
export const enSG: PortalMessages = { ...commonwealth };
