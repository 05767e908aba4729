/**
 * `flow_data` of a new portal session: checked against the customer, the subscription and the
 * configuration, then turned into the session's `flow` object. Rules (reference §4–§5, design §4):
 * - the sub-object named by `type` is required, and no other flow's sub-object may be sent;
 * - the flow's feature must be enabled in the configuration;
 * - a flow's subscription belongs to the session's customer and can do what the flow offers
 *   (eligibility.ts: the portal pages ask the same questions);
 * - `subscription_update_confirm` names exactly one item of that subscription, a price listed for its
 *   product in the configuration, a quantity within the product's bounds, at most one discount;
 * - `after_completion[type]=redirect` needs `redirect[return_url]`; sub-objects of other types are refused.
 */
import { errors } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import { getRedeemableCoupon } from '../../billing/coupons.ts';
import { getRedeemablePromotionCode } from '../../billing/promotion-codes.ts';
import type { Subscription } from '../../billing/subscriptions/index.ts';
import { cancelRefusal, pauseRefusal, updateRefusal } from '../eligibility.ts';
import type { PortalConfiguration } from '../configurations/index.ts';
import { FLOW_TYPES, type FlowData, type PortalFlow } from './params.ts';

const FD = 'flow_data';

async function ownSubscription(ctx: Ctx, id: string, customer: string, param: string): Promise<Subscription> {
  const found = await findObject<Subscription>(ctx, 'subscription', id);
  // Another customer's subscription is as unknown as a missing one: its existence is not revealed.
  if (!found || found.data.customer !== customer) throw errors.resourceMissing('subscription', id, param);
  return found.data;
}

function refuse(param: string, why: string | null): void {
  if (why !== null) throw errors.invalidParam(param, `This flow cannot be used because ${why}.`);
}

function requireFeature(enabled: boolean, type: string, feature: string): void {
  if (!enabled) {
    throw errors.invalidParam(
      `${FD}[type]`,
      `The ${type} flow needs the configuration's features[${feature}] to be enabled.`,
    );
  }
}

function afterCompletion(data: FlowData): PortalFlow['after_completion'] {
  const ac = data.after_completion;
  if (!ac) return { hosted_confirmation: { custom_message: null }, redirect: null, type: 'hosted_confirmation' };
  const base = `${FD}[after_completion]`;
  if (ac.redirect && ac.type !== 'redirect') {
    throw errors.invalidParam(`${base}[redirect]`, `${base}[redirect] can only be set when ${base}[type] is redirect.`);
  }
  if (ac.hosted_confirmation && ac.type !== 'hosted_confirmation') {
    throw errors.invalidParam(
      `${base}[hosted_confirmation]`,
      `${base}[hosted_confirmation] can only be set when ${base}[type] is hosted_confirmation.`,
    );
  }
  if (ac.type === 'redirect') {
    if (!ac.redirect) throw errors.missingParam(`${base}[redirect][return_url]`);
    return { hosted_confirmation: null, redirect: { return_url: ac.redirect.return_url }, type: 'redirect' };
  }
  if (ac.type === 'hosted_confirmation') {
    return { hosted_confirmation: { custom_message: ac.hosted_confirmation?.custom_message ?? null }, redirect: null, type: 'hosted_confirmation' };
  }
  return { hosted_confirmation: null, redirect: null, type: 'portal_homepage' };
}

/** Validates `flow_data` for `customer` under `config`; returns the session's `flow`. */
export async function buildFlow(ctx: Ctx, data: FlowData, customer: string, config: PortalConfiguration): Promise<PortalFlow> {
  for (const other of FLOW_TYPES) {
    if (other !== data.type && (data as Record<string, unknown>)[other] !== undefined) {
      throw errors.invalidParam(`${FD}[${other}]`, `${FD}[${other}] can only be set when ${FD}[type] is ${other}.`);
    }
  }
  const flow: PortalFlow = {
    after_completion: afterCompletion(data),
    customer_update: null,
    subscription_cancel: null,
    subscription_pause: null,
    subscription_update: null,
    subscription_update_confirm: null,
    type: data.type,
  };
  const f = config.features;
  switch (data.type) {
    case 'payment_method_update':
      requireFeature(f.payment_method_update.enabled, data.type, 'payment_method_update');
      break;
    case 'customer_update':
      requireFeature(f.customer_update.enabled && f.customer_update.allowed_updates.length > 0, data.type, 'customer_update');
      flow.customer_update = {};
      break;
    case 'subscription_cancel': {
      const c = data.subscription_cancel;
      if (!c) throw errors.missingParam(`${FD}[subscription_cancel][subscription]`);
      requireFeature(f.subscription_cancel.enabled, data.type, 'subscription_cancel');
      const param = `${FD}[subscription_cancel][subscription]`;
      refuse(param, cancelRefusal(await ownSubscription(ctx, c.subscription, customer, param)));
      let retention: NonNullable<PortalFlow['subscription_cancel']>['retention'] = null;
      if (c.retention) {
        const couponParam = `${FD}[subscription_cancel][retention][coupon_offer][coupon]`;
        const coupon = await getRedeemableCoupon(ctx, c.retention.coupon_offer.coupon, couponParam);
        retention = { coupon_offer: { coupon: coupon.id }, type: 'coupon_offer' };
      }
      flow.subscription_cancel = { retention, subscription: c.subscription };
      break;
    }
    case 'subscription_pause': {
      const c = data.subscription_pause;
      if (!c) throw errors.missingParam(`${FD}[subscription_pause][subscription]`);
      requireFeature(f.subscription_pause.enabled, data.type, 'subscription_pause');
      const param = `${FD}[subscription_pause][subscription]`;
      refuse(param, pauseRefusal(await ownSubscription(ctx, c.subscription, customer, param)));
      flow.subscription_pause = { subscription: c.subscription };
      break;
    }
    case 'subscription_update': {
      const c = data.subscription_update;
      if (!c) throw errors.missingParam(`${FD}[subscription_update][subscription]`);
      requireFeature(f.subscription_update.enabled, data.type, 'subscription_update');
      const param = `${FD}[subscription_update][subscription]`;
      refuse(param, updateRefusal(await ownSubscription(ctx, c.subscription, customer, param)));
      flow.subscription_update = { subscription: c.subscription };
      break;
    }
    case 'subscription_update_confirm':
      flow.subscription_update_confirm = await confirmFlow(ctx, data, customer, config);
      break;
  }
  return flow;
}

async function confirmFlow(
  ctx: Ctx,
  data: FlowData,
  customer: string,
  config: PortalConfiguration,
): Promise<NonNullable<PortalFlow['subscription_update_confirm']>> {
  const base = `${FD}[subscription_update_confirm]`;
  const c = data.subscription_update_confirm;
  if (!c) throw errors.missingParam(`${base}[subscription]`);
  requireFeature(config.features.subscription_update.enabled, data.type, 'subscription_update');
  const sub = await ownSubscription(ctx, c.subscription, customer, `${base}[subscription]`);
  refuse(`${base}[subscription]`, updateRefusal(sub));
  if (c.items.length !== 1) {
    throw errors.invalidParam(`${base}[items]`, `${base}[items] must name exactly one item: the subscription's only item.`);
  }
  const item = c.items[0]!;
  const current = sub.items.data.find((i) => i.id === item.id);
  if (!current) throw errors.resourceMissing('subscription item', item.id, `${base}[items][0][id]`);
  const priceId = item.price ?? current.price.id;
  const offered = config.features.subscription_update.products.find((prod) => prod.prices.includes(priceId));
  if (item.price !== undefined && !offered) {
    throw errors.invalidParam(
      `${base}[items][0][price]`,
      `The price ${item.price} is not one of the prices the configuration offers (features[subscription_update][products]).`,
    );
  }
  if (item.quantity !== undefined && item.quantity !== current.quantity) {
    const bounds = offered?.adjustable_quantity;
    if (!bounds?.enabled) {
      throw errors.invalidParam(`${base}[items][0][quantity]`, `The configuration does not let customers change the quantity of this product.`);
    }
    const max = bounds.maximum;
    if (item.quantity < Math.max(bounds.minimum, 1) || (max !== null && item.quantity > max)) {
      throw errors.invalidParam(
        `${base}[items][0][quantity]`,
        `The quantity must be between ${Math.max(bounds.minimum, 1)} and ${max ?? 'any number'} for this product.`,
      );
    }
  }
  let discounts: NonNullable<PortalFlow['subscription_update_confirm']>['discounts'] = null;
  if (c.discounts) {
    discounts = [];
    for (const [i, d] of c.discounts.entries()) {
      const param = `${base}[discounts][${i}]`;
      if ((d.coupon === undefined) === (d.promotion_code === undefined)) {
        throw errors.invalidParam(param, `Each of ${base}[discounts] names exactly one of coupon or promotion_code.`);
      }
      if (d.coupon !== undefined) {
        const coupon = await getRedeemableCoupon(ctx, d.coupon, `${param}[coupon]`);
        discounts.push({ coupon: coupon.id, promotion_code: null });
      } else {
        const { promotionCode } = await getRedeemablePromotionCode(ctx, d.promotion_code!, { customer }, `${param}[promotion_code]`);
        discounts.push({ coupon: null, promotion_code: promotionCode.id });
      }
    }
  }
  return {
    discounts,
    items: [{ id: item.id, price: item.price ?? null, ...(item.quantity !== undefined ? { quantity: item.quantity } : {}) }],
    subscription: c.subscription,
  };
}
