/**
 * Parameter shapes of `POST /v1/billing_portal/configurations` (create) and `…/{id}` (update), as the
 * API reference §3 lists them: create requires `features` and, inside each feature sent, `enabled`
 * (and `cancellation_reason.options`); update requires nothing at the top level and only the
 * `enabled` of `invoice_history`, `payment_method_update`, `cancellation_reason` and `login_page`.
 */
import { errors } from '../../lib/errors.ts';
import { p, type InferShape, type Schema } from '../../lib/params.ts';
import { isHttpUrl } from '../../lib/public-url.ts';
import {
  BILLING_CYCLE_ANCHORS,
  CANCEL_MODES,
  CANCELLATION_REASONS,
  CUSTOMER_UPDATES,
  PAUSE_DURATION_TYPES,
  PAUSE_INTERVALS,
  PRORATION_BEHAVIORS,
  SCHEDULE_CONDITIONS,
  SUBSCRIPTION_UPDATES,
  TRIAL_UPDATE_BEHAVIORS,
} from './types.ts';

/** An absolute http(s) URL (return links and policy pages are followed by customers' browsers). */
export function urlParam(): Schema<string> & { req(): Schema<string> & { required: true } } {
  const inner = p.string({ max: 5000 });
  const parse = (value: unknown, path: string): string => {
    const s = inner.parse(value, path);
    if (!isHttpUrl(s)) throw errors.invalidParam(path, `Invalid URL: ${path} must be an absolute URL starting with http:// or https://.`, 'url_invalid');
    return s;
  };
  return { required: false, parse, req: () => ({ required: true as const, parse }) };
}

type Mode = 'create' | 'update';

/** `enabled`, required on create and optional on update for the features where the spec says so. */
const enabledFor = (mode: Mode) => (mode === 'create' ? p.boolean().req() : p.boolean());

function featuresShape(mode: Mode) {
  const enabled = enabledFor(mode);
  return {
    customer_update: p.object({
      allowed_updates: p.emptyable(p.array(p.enumOf(CUSTOMER_UPDATES), { max: CUSTOMER_UPDATES.length })),
      enabled,
    }),
    invoice_history: p.object({ enabled: p.boolean().req() }),
    payment_method_update: p.object({
      enabled: p.boolean().req(),
      payment_method_configuration: p.emptyable(p.string({ max: 5000 })),
    }),
    subscription_cancel: p.object({
      cancellation_reason: p.object({
        enabled: p.boolean().req(),
        feedback_options: p.emptyable(p.array(p.string({ max: 5000 }), { max: 20 })),
        options:
          mode === 'create'
            ? p.emptyable(p.array(p.enumOf(CANCELLATION_REASONS), { max: CANCELLATION_REASONS.length })).req()
            : p.emptyable(p.array(p.enumOf(CANCELLATION_REASONS), { max: CANCELLATION_REASONS.length })),
      }),
      enabled,
      mode: p.enumOf(CANCEL_MODES),
      proration_behavior: p.enumOf(PRORATION_BEHAVIORS),
    }),
    subscription_pause: p.object({
      duration: p.object({
        interval_options: p.emptyable(
          p.array(p.object({ interval: p.enumOf(PAUSE_INTERVALS).req(), interval_count: p.integer({ min: 1, max: 365 }) }), {
            max: 10,
          }),
        ),
        type: p.enumOf(PAUSE_DURATION_TYPES).req(),
      }),
      enabled: p.boolean(),
    }),
    subscription_update: p.object({
      billing_cycle_anchor: p.enumOf(BILLING_CYCLE_ANCHORS),
      default_allowed_updates: p.emptyable(p.array(p.enumOf(SUBSCRIPTION_UPDATES), { max: SUBSCRIPTION_UPDATES.length })),
      enabled,
      products: p.emptyable(
        p.array(
          p.object({
            adjustable_quantity: p.object({
              enabled: p.boolean().req(),
              maximum: p.integer({ min: 1, max: 1_000_000 }),
              minimum: p.integer({ min: 0, max: 1_000_000 }),
            }),
            prices: p.array(p.string({ max: 5000 }), { max: 20 }).req(),
            product: p.string({ max: 5000 }).req(),
          }),
          { max: 10 },
        ),
      ),
      proration_behavior: p.enumOf(PRORATION_BEHAVIORS),
      schedule_at_period_end: p.object({
        conditions:
          mode === 'create'
            ? p.array(p.object({ type: p.enumOf(SCHEDULE_CONDITIONS).req() }), { max: 2 })
            : p.emptyable(p.array(p.object({ type: p.enumOf(SCHEDULE_CONDITIONS).req() }), { max: 2 })),
      }),
      trial_update_behavior: p.enumOf(TRIAL_UPDATE_BEHAVIORS),
    }),
  };
}

const policyUrl = (mode: Mode) => (mode === 'create' ? urlParam() : p.emptyable(urlParam()));

function commonShape(mode: Mode) {
  return {
    business_profile: p.object({
      headline: p.emptyable(p.string({ max: 60 })),
      privacy_policy_url: policyUrl(mode),
      terms_of_service_url: policyUrl(mode),
    }),
    default_return_url: p.emptyable(urlParam()),
    login_page: p.object({ enabled: p.boolean().req() }),
    metadata: p.metadata(),
    name: p.emptyable(p.string({ max: 256 })),
  };
}

export const configurationCreateShape = {
  ...commonShape('create'),
  features: p.object(featuresShape('create')).req(),
};

export const configurationUpdateShape = {
  ...commonShape('update'),
  active: p.boolean(),
  features: p.object(featuresShape('update')),
};

export type ConfigurationCreate = InferShape<typeof configurationCreateShape>;
export type ConfigurationUpdate = InferShape<typeof configurationUpdateShape>;
/** The features patch of either request (create's is the stricter subtype of update's). */
export type FeaturesPatch = NonNullable<ConfigurationUpdate['features']>;
