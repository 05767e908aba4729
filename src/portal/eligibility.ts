/**
 * What the portal lets a customer do with a subscription (Stripe's documented limits): subscriptions on
 * a schedule can be neither updated nor canceled; subscriptions with several items, usage-based prices
 * or `send_invoice` collection can only be canceled; ended subscriptions can do nothing. Each function
 * answers null when allowed, else the reason, in words fit for an API error message. The API's flow
 * checks and the portal's pages both ask here, so they cannot disagree.
 */
import type { Subscription } from '../billing/subscriptions/index.ts';

const ENDED = new Set(['canceled', 'incomplete_expired']);

export function cancelRefusal(sub: Subscription): string | null {
  if (ENDED.has(sub.status)) return `the subscription ${sub.id} has already ended`;
  if (sub.schedule !== null) return `the subscription ${sub.id} is managed by the subscription schedule ${sub.schedule}`;
  if (sub.status === 'incomplete') return `the subscription ${sub.id} is incomplete: its first payment has not been made`;
  if (sub.cancel_at_period_end || sub.cancel_at !== null) return `the subscription ${sub.id} is already set to cancel`;
  return null;
}

export function updateRefusal(sub: Subscription): string | null {
  if (ENDED.has(sub.status)) return `the subscription ${sub.id} has already ended`;
  if (sub.schedule !== null) return `the subscription ${sub.id} is managed by the subscription schedule ${sub.schedule}`;
  if (sub.status === 'incomplete') return `the subscription ${sub.id} is incomplete: its first payment has not been made`;
  if (sub.status === 'paused') return `the subscription ${sub.id} is paused`;
  if (sub.items.data.length !== 1) return `the subscription ${sub.id} has more than one item`;
  if (sub.items.data[0]!.price.recurring?.usage_type === 'metered') return `the subscription ${sub.id} has a usage-based price`;
  if (sub.collection_method !== 'charge_automatically') return `the subscription ${sub.id} is paid by invoice (send_invoice)`;
  return null;
}

export function pauseRefusal(sub: Subscription): string | null {
  if (ENDED.has(sub.status)) return `the subscription ${sub.id} has already ended`;
  if (sub.schedule !== null) return `the subscription ${sub.id} is managed by the subscription schedule ${sub.schedule}`;
  if (sub.status !== 'active' && sub.status !== 'trialing') return `the subscription ${sub.id} is ${sub.status}`;
  if (sub.pause_collection !== null) return `the subscription ${sub.id} is already paused`;
  return null;
}
