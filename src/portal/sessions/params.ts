/** Parameters of `POST /v1/billing_portal/sessions` (API reference §5) and the session object's shape (§4). */
import { p, type InferShape } from '../../lib/params.ts';
import { urlParam } from '../configurations/params.ts';

/** The 47 values of a session's `locale` (reference §6). */
export const PORTAL_LOCALES = [
  'auto', 'bg', 'cs', 'da', 'de', 'el', 'en', 'en-AU', 'en-CA', 'en-GB', 'en-IE', 'en-IN', 'en-NZ', 'en-SG', 'es',
  'es-419', 'et', 'fi', 'fil', 'fr', 'fr-CA', 'hr', 'hu', 'id', 'it', 'ja', 'ko', 'lt', 'lv', 'ms', 'mt', 'nb', 'nl',
  'pl', 'pt', 'pt-BR', 'ro', 'ru', 'sk', 'sl', 'sv', 'th', 'tr', 'vi', 'zh', 'zh-HK', 'zh-TW',
] as const;
export type PortalLocale = (typeof PORTAL_LOCALES)[number];

export const FLOW_TYPES = [
  'customer_update',
  'payment_method_update',
  'subscription_cancel',
  'subscription_pause',
  'subscription_update',
  'subscription_update_confirm',
] as const;
export type FlowType = (typeof FLOW_TYPES)[number];

const subscriptionRef = { subscription: p.string({ max: 5000 }).req() };

export const flowDataParam = p.object({
  after_completion: p.object({
    hosted_confirmation: p.object({ custom_message: p.string({ max: 500 }) }),
    redirect: p.object({ return_url: urlParam().req() }),
    type: p.enumOf(['hosted_confirmation', 'portal_homepage', 'redirect'] as const).req(),
  }),
  subscription_cancel: p.object({
    ...subscriptionRef,
    retention: p.object({
      coupon_offer: p.object({ coupon: p.string({ max: 5000 }).req() }).req(),
      type: p.enumOf(['coupon_offer'] as const).req(),
    }),
  }),
  subscription_pause: p.object(subscriptionRef),
  subscription_update: p.object(subscriptionRef),
  subscription_update_confirm: p.object({
    ...subscriptionRef,
    discounts: p.array(p.object({ coupon: p.string({ max: 5000 }), promotion_code: p.string({ max: 5000 }) }), { max: 1 }),
    items: p
      .array(p.object({ id: p.string({ max: 5000 }).req(), price: p.string({ max: 5000 }), quantity: p.integer({ min: 0, max: 1_000_000 }) }), {
        max: 20,
      })
      .req(),
  }),
  type: p.enumOf(FLOW_TYPES).req(),
});

export const sessionCreateShape = {
  after_expiration: p.object({
    customer_login: p.object({ expires_at: p.timestamp() }),
    type: p.enumOf(['customer_login'] as const).req(),
  }),
  configuration: p.string({ max: 5000 }),
  customer: p.string({ max: 5000 }),
  customer_account: p.string({ max: 5000 }),
  flow_data: flowDataParam,
  locale: p.enumOf(PORTAL_LOCALES),
  on_behalf_of: p.string({ max: 5000 }),
  return_url: urlParam(),
};

export type SessionCreate = InferShape<typeof sessionCreateShape>;
export type FlowData = NonNullable<SessionCreate['flow_data']>;

export interface PortalFlow {
  after_completion: {
    hosted_confirmation: { custom_message: string | null } | null;
    redirect: { return_url: string } | null;
    type: 'hosted_confirmation' | 'portal_homepage' | 'redirect';
  };
  customer_update: Record<string, never> | null;
  subscription_cancel: { retention: { coupon_offer: { coupon: string }; type: 'coupon_offer' } | null; subscription: string } | null;
  subscription_pause: { subscription: string } | null;
  subscription_update: { subscription: string } | null;
  subscription_update_confirm: {
    discounts: { coupon: string | null; promotion_code: string | null }[] | null;
    items: { id: string; price: string | null; quantity?: number }[];
    subscription: string;
  } | null;
  type: FlowType;
}

export interface PortalSession {
  id: string;
  object: 'billing_portal.session';
  after_expiration: { customer_login: { expires_at: number | null } | null; type: 'customer_login' } | null;
  configuration: string;
  created: number;
  customer: string;
  customer_account: null;
  flow: PortalFlow | null;
  livemode: boolean;
  locale: PortalLocale | null;
  on_behalf_of: string | null;
  return_url: string | null;
  url: string;
}
