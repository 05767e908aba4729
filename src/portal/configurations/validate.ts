/**
 * Whole-configuration checks that a parameter schema cannot express: rules between fields and rules
 * that read other objects. Errors name the parameter the request sent (or would have to change).
 */
import { errors } from '../../lib/errors.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject } from '../../storage/objects.ts';
import type { Price } from '../../billing/prices.ts';
import type { Product } from '../../billing/products.ts';
import { assertActiveFeedbackOptions } from '../../billing/feedback-options.ts';
import type { FeaturesPatch } from './params.ts';
import type { PortalFeatures } from './types.ts';

const CANCEL = 'features[subscription_cancel]';
const UPDATE = 'features[subscription_update]';

export async function validateFeatures(ctx: Ctx, f: PortalFeatures, patch: FeaturesPatch | undefined): Promise<void> {
  const cancel = f.subscription_cancel;
  if (cancel.proration_behavior === 'always_invoice') {
    throw errors.invalidParam(
      `${CANCEL}[proration_behavior]`,
      `Invalid ${CANCEL}[proration_behavior]: must be one of none, create_prorations (always_invoice is not supported for cancellations).`,
    );
  }
  if (cancel.proration_behavior === 'create_prorations' && cancel.mode !== 'immediately') {
    const param = patch?.subscription_cancel?.mode !== undefined ? `${CANCEL}[mode]` : `${CANCEL}[proration_behavior]`;
    throw errors.invalidParam(
      param,
      `${CANCEL}[proration_behavior] can only be create_prorations when ${CANCEL}[mode] is immediately: no prorations are made when a subscription cancels at the end of its period.`,
    );
  }
  const reason = cancel.cancellation_reason;
  if (reason.enabled && reason.options.length === 0) {
    throw errors.invalidParam(
      `${CANCEL}[cancellation_reason][options]`,
      `${CANCEL}[cancellation_reason][options] must name at least one reason when cancellation reasons are enabled.`,
    );
  }
  const feedback = patch?.subscription_cancel?.cancellation_reason?.feedback_options;
  if (feedback && feedback.length > 0) {
    await assertActiveFeedbackOptions(ctx, feedback, (i) => `${CANCEL}[cancellation_reason][feedback_options][${i}]`);
  }
  const pmc = patch?.payment_method_update?.payment_method_configuration;
  if (pmc) {
    throw errors.resourceMissing('payment method configuration', pmc, 'features[payment_method_update][payment_method_configuration]');
  }
  const pause = f.subscription_pause.duration;
  if (pause.type === 'interval_options' && f.subscription_pause.enabled && pause.interval_options.length === 0) {
    throw errors.invalidParam(
      'features[subscription_pause][duration][interval_options]',
      'At least one pause interval option is required when the pause duration type is interval_options.',
    );
  }
  if (patch?.subscription_update?.products) await validateProducts(ctx, f);
}

/** Each product exists once, with at least one price; each price is its own, recurring and active. */
async function validateProducts(ctx: Ctx, f: PortalFeatures): Promise<void> {
  const seen = new Set<string>();
  for (const [i, entry] of f.subscription_update.products.entries()) {
    const base = `${UPDATE}[products][${i}]`;
    const product = await findObject<Product>(ctx, 'product', entry.product);
    if (!product) throw errors.resourceMissing('product', entry.product, `${base}[product]`);
    if (seen.has(entry.product)) {
      throw errors.invalidParam(`${base}[product]`, `The product ${entry.product} is listed more than once.`);
    }
    seen.add(entry.product);
    if (entry.prices.length === 0) {
      throw errors.invalidParam(`${base}[prices]`, `${base}[prices] must list at least one price of ${entry.product}.`);
    }
    const q = entry.adjustable_quantity;
    if (q.maximum !== null && q.minimum > q.maximum) {
      throw errors.invalidParam(
        `${base}[adjustable_quantity][minimum]`,
        `${base}[adjustable_quantity][minimum] (${q.minimum}) cannot be greater than the maximum (${q.maximum}).`,
      );
    }
    const prices = new Set<string>();
    for (const [j, id] of entry.prices.entries()) {
      const param = `${base}[prices][${j}]`;
      const price = await findObject<Price>(ctx, 'price', id);
      if (!price) throw errors.resourceMissing('price', id, param);
      if (price.data.product !== entry.product) {
        throw errors.invalidParam(param, `The price ${id} does not belong to the product ${entry.product}.`);
      }
      if (price.data.type !== 'recurring') {
        throw errors.invalidParam(param, `The price ${id} is not a recurring price; only recurring prices can be offered for subscription updates.`);
      }
      if (!price.data.active) throw errors.invalidParam(param, `The price ${id} is archived and cannot be offered.`);
      if (prices.has(id)) throw errors.invalidParam(param, `The price ${id} is listed more than once.`);
      prices.add(id);
    }
  }
}
