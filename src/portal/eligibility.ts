/**
 * What the portal lets a customer do with a subscription (Stripe's documented limits): subscriptions on
 * a schedule can be neither updated nor canceled; subscriptions with several items, usage-based prices
 * or `send_invoice` collection can only be canceled; ended subscriptions can do nothing. Each `…Block`
 * answers null when allowed, else a reason code (the portal pages say it in the customer's language);
 * each `…Refusal` says the same in words fit for an API error message. The API's flow checks and the
 * portal's pages both ask here, so they cannot disagree.
 */
import type { Subscription } from '../billing/subscriptions/index.ts';

const ENDED = new Set(['canceled', 'incomplete_expired']);

/** Why an action is not offered (see `refusalMessage` for the words). */
export type Block =
  | 'ended'
  | 'schedule'
  | 'incomplete'
  | 'already_canceling'
  | 'paused'
  | 'several_items'
  | 'metered'
  | 'send_invoice'
  | 'not_active';

export function cancelBlock(sub: Subscription): Block | null {
  if (ENDED.has(sub.status)) return 'ended';
  if (sub.schedule !== null) return 'schedule';
  if (sub.status === 'incomplete') return 'incomplete';
  if (sub.cancel_at_period_end || sub.cancel_at !== null) return 'already_canceling';
  return null;
}

export function updateBlock(sub: Subscription): Block | null {
  if (ENDED.has(sub.status)) return 'ended';
  if (sub.schedule !== null) return 'schedule';
  if (sub.status === 'incomplete') return 'incomplete';
  if (sub.status === 'paused') return 'paused';
  if (sub.items.data.length !== 1) return 'several_items';
  if (sub.items.data[0]!.price.recurring?.usage_type === 'metered') return 'metered';
  if (sub.collection_method !== 'charge_automatically') return 'send_invoice';
  return null;
}

export function pauseBlock(sub: Subscription): Block | null {
  if (ENDED.has(sub.status)) return 'ended';
  if (sub.schedule !== null) return 'schedule';
  if (sub.status === 'paused' || sub.pause_collection !== null) return 'paused';
  if (sub.status !== 'active' && sub.status !== 'trialing') return 'not_active';
  return null;
}

/** The API's words for a block of `sub`. */
export function refusalMessage(sub: Subscription, block: Block): string {
  switch (block) {
    case 'ended': return `the subscription ${sub.id} has already ended`;
    case 'schedule': return `the subscription ${sub.id} is managed by the subscription schedule ${sub.schedule}`;
    case 'incomplete': return `the subscription ${sub.id} is incomplete: its first payment has not been made`;
    case 'already_canceling': return `the subscription ${sub.id} is already set to cancel`;
    case 'paused': return `the subscription ${sub.id} is ${sub.status === 'paused' ? 'paused' : 'already paused'}`;
    case 'several_items': return `the subscription ${sub.id} has more than one item`;
    case 'metered': return `the subscription ${sub.id} has a usage-based price`;
    case 'send_invoice': return `the subscription ${sub.id} is paid by invoice (send_invoice)`;
    case 'not_active': return `the subscription ${sub.id} is ${sub.status}`;
  }
}

const message = (sub: Subscription, block: Block | null): string | null => (block === null ? null : refusalMessage(sub, block));

export function cancelRefusal(sub: Subscription): string | null {
  return message(sub, cancelBlock(sub));
}

export function updateRefusal(sub: Subscription): string | null {
  return message(sub, updateBlock(sub));
}

export function pauseRefusal(sub: Subscription): string | null {
  return message(sub, pauseBlock(sub));
}
