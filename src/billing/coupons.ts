/**
 * Coupons: a percent or amount off, for once, some months or forever. Invariants: a coupon has exactly
 * one of `percent_off` and `amount_off` (the latter with a currency); only its name, metadata and
 * currency options ever change; `valid` is derived (not deleted, not past `redeem_by`, not redeemed
 * `max_redemptions` times) and recomputed whenever a coupon is shown; a deleted coupon can no longer be
 * redeemed or retrieved, but its row stays for the discounts that used it. `applies_to` and
 * `currency_options` are stored with the coupon but shown only when expanded, as Stripe does.
 */
import { errors, type ApiError } from '../lib/errors.ts';
import { randomBase62 } from '../lib/ids.ts';
import { MAX_AMOUNT, parseCurrency } from '../lib/money.ts';
import { joinPath, mergeMetadata, p, type InferShape, type RangeFilter, type Schema } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import {
  findAnyObject,
  findObject,
  getObject,
  insertObject,
  listObjects,
  removeObject,
  updateObject,
  whereCreated,
  type ListOptions,
} from '../storage/objects.ts';
import { emit, emitUpdated } from '../events/outbox.ts';

export type CouponDuration = 'forever' | 'once' | 'repeating';

export interface Coupon {
  id: string;
  object: 'coupon';
  amount_off: number | null;
  /** Stored always (when set); shown only when expanded. */
  applies_to?: { products: string[] };
  created: number;
  currency: string | null;
  /** Stored always (amount coupons); shown only when expanded. Includes the coupon's own currency. */
  currency_options?: Record<string, { amount_off: number }>;
  duration: CouponDuration;
  duration_in_months: number | null;
  livemode: boolean;
  max_redemptions: number | null;
  metadata: Record<string, string>;
  name: string | null;
  percent_off: number | null;
  redeem_by: number | null;
  times_redeemed: number;
  valid: boolean;
}

export interface DeletedCoupon {
  id: string;
  object: 'coupon';
  deleted: true;
}

const OBJECT = 'coupon';
/** Stripe refuses a `redeem_by` (and a promotion code's `expires_at`) more than five years out. */
export const MAX_FUTURE_SECONDS = 5 * 365 * 24 * 60 * 60;

/**
 * A map keyed by currency code (`currency_options[eur][amount_off]=…`): keys are validated and
 * lower-cased, each value parsed by `inner`.
 */
export function currencyMap<T>(inner: Schema<T>): Schema<Record<string, T>> {
  return {
    required: false,
    parse(value, path) {
      if (value === '') throw errors.emptyString(path);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw errors.invalidParam(path, `Invalid ${path}: expected an object keyed by currency.`);
      }
      const out: Record<string, T> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const child = joinPath(path, key);
        const currency = parseCurrency(key, child);
        if (Object.hasOwn(out, currency)) throw errors.invalidParam(child, `Duplicate currency: ${currency}.`);
        out[currency] = inner.parse(v, child);
      }
      return out;
    },
  };
}

const couponCurrencyOptions = currencyMap(p.object({ amount_off: p.integer({ min: 1, max: MAX_AMOUNT }).req() }));

export const couponCreateShape = {
  id: p.string({ max: 200 }),
  amount_off: p.integer({ min: 1, max: MAX_AMOUNT }),
  applies_to: p.object({ products: p.array(p.string({ max: 5000 }), { max: 100 }) }),
  currency: p.string(),
  currency_options: couponCurrencyOptions,
  duration: p.enumOf(['forever', 'once', 'repeating']),
  duration_in_months: p.integer({ min: 1, max: 1200 }),
  max_redemptions: p.integer({ min: 1 }),
  metadata: p.metadata(),
  name: p.string({ max: 40 }),
  percent_off: p.percent(),
  redeem_by: p.timestamp(),
};

export const couponUpdateShape = {
  currency_options: couponCurrencyOptions,
  metadata: p.metadata(),
  name: p.string({ max: 40 }),
};

export type CouponCreate = InferShape<typeof couponCreateShape>;
export type CouponUpdate = InferShape<typeof couponUpdateShape>;

/** Whether the coupon can still be applied at `ctx`'s time. */
export function couponIsValid(ctx: Ctx, c: Coupon, deleted = false): boolean {
  if (deleted) return false;
  if (c.redeem_by !== null && ctx.clock.now() > c.redeem_by) return false;
  if (c.max_redemptions !== null && c.times_redeemed >= c.max_redemptions) return false;
  return true;
}

/** The coupon as the API shows it: `valid` as of now, without the expand-only fields. */
export function presentCoupon(ctx: Ctx, c: Coupon, deleted = false): Coupon {
  const { applies_to: _appliesTo, currency_options: _currencyOptions, ...shown } = c;
  return { ...shown, valid: couponIsValid(ctx, c, deleted) };
}

/** Loader for `expand[]=applies_to` on a coupon (registered by the API module). */
export async function expandAppliesTo(ctx: Ctx, obj: Record<string, unknown>): Promise<unknown> {
  const found = await findObject<Coupon>(ctx, OBJECT, String(obj.id), { includeDeleted: true });
  return found?.data.applies_to;
}

/** Loader for `expand[]=currency_options` on a coupon. */
export async function expandCurrencyOptions(ctx: Ctx, obj: Record<string, unknown>): Promise<unknown> {
  const found = await findObject<Coupon>(ctx, OBJECT, String(obj.id), { includeDeleted: true });
  return found?.data.currency_options;
}

/** Loader for a field holding a coupon id (`promotion.coupon`): the coupon with `valid` as of now. */
export async function expandCoupon(ctx: Ctx, id: unknown): Promise<unknown> {
  if (typeof id !== 'string') return id;
  const found = await findObject<Coupon>(ctx, OBJECT, id, { includeDeleted: true });
  return found ? presentCoupon(ctx, found.data, found.deleted) : { id, object: OBJECT, deleted: true };
}

/** Refuses a timestamp that is not in the future, or more than five years out. */
export function assertFutureTimestamp(ctx: Ctx, param: string, t: number): void {
  const now = ctx.clock.now();
  if (t <= now) {
    throw errors.invalidParam(
      param,
      `The parameter \`${param}\` expects a unix timestamp representing a date and time in the future. You specified the value \`${t}\` which is in the past.`,
    );
  }
  if (t > now + MAX_FUTURE_SECONDS) {
    throw errors.invalidParam(param, 'Invalid timestamp: can be no more than five years in the future.');
  }
}

function mergeCurrencyOptions(
  c: Coupon,
  options: Record<string, { amount_off: number }> | undefined,
): Coupon['currency_options'] {
  if (options === undefined) return c.currency_options;
  if (c.amount_off === null || c.currency === null) {
    throw errors.invalidParam(
      'currency_options',
      'currency_options is only supported for coupons with an amount_off.',
    );
  }
  const own = options[c.currency];
  if (own !== undefined && own.amount_off !== c.amount_off) {
    throw errors.invalidParam(
      `currency_options[${c.currency}][amount_off]`,
      `The amount_off for ${c.currency} must match the coupon's amount_off (${c.amount_off}).`,
    );
  }
  return { ...c.currency_options, ...options, [c.currency]: { amount_off: c.amount_off } };
}

async function validateProducts(ctx: Ctx, products: string[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const [i, id] of products.entries()) {
    if (!(await findObject(ctx, 'product', id))) {
      throw errors.resourceMissing('product', id, `applies_to[products][${i}]`);
    }
    seen.add(id);
  }
  return [...seen];
}

/** A coupon id of Stripe's generated shape (eight base62 characters), free in this mode. */
async function freshCouponId(ctx: Ctx): Promise<string> {
  for (;;) {
    const id = randomBase62(8);
    if (!(await findAnyObject(ctx, id))) return id;
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export async function createCoupon(ctx: Ctx, params: CouponCreate): Promise<Coupon> {
  if (params.amount_off !== undefined && params.percent_off !== undefined) {
    throw errors.exclusive(['amount_off', 'percent_off']);
  }
  if (params.amount_off === undefined && params.percent_off === undefined) {
    throw errors.invalidParam('percent_off', 'You must pass either `percent_off` or `amount_off` (with `currency`).');
  }
  let currency: string | null = null;
  if (params.amount_off !== undefined) {
    if (params.currency === undefined) throw errors.invalidParam('currency', 'You must pass currency when passing amount_off');
    currency = parseCurrency(params.currency);
  } else if (params.currency !== undefined) {
    throw errors.invalidParam('currency', 'You may only pass currency when passing amount_off.');
  } else if (params.currency_options !== undefined) {
    throw errors.invalidParam('currency_options', 'currency_options is only supported when amount_off is passed.');
  }
  const duration = params.duration ?? 'once';
  if (duration === 'repeating' && params.duration_in_months === undefined) {
    throw errors.invalidParam('duration_in_months', 'You must pass duration_in_months when duration is repeating.');
  }
  if (duration !== 'repeating' && params.duration_in_months !== undefined) {
    throw errors.invalidParam(
      'duration_in_months',
      `duration_in_months can only be passed when duration is repeating (this coupon's duration is ${duration}).`,
    );
  }
  if (params.redeem_by !== undefined) assertFutureTimestamp(ctx, 'redeem_by', params.redeem_by);
  const products = params.applies_to?.products ? await validateProducts(ctx, params.applies_to.products) : null;

  let id = params.id;
  if (id !== undefined) {
    const existing = await findAnyObject(ctx, id);
    if (existing && !(existing.object === OBJECT && existing.deleted)) {
      throw errors.resourceExists('Coupon already exists.', 'id');
    }
    // Stripe lets a deleted coupon's id be used again: the old row makes way for the new coupon.
    if (existing) await removeObject(ctx, id);
  } else {
    id = await freshCouponId(ctx);
  }

  const created = ctx.clock.now();
  const base: Coupon = {
    id,
    object: OBJECT,
    amount_off: params.amount_off ?? null,
    created,
    currency,
    duration,
    duration_in_months: params.duration_in_months ?? null,
    livemode: ctx.livemode,
    max_redemptions: params.max_redemptions ?? null,
    metadata: mergeMetadata({}, params.metadata),
    name: params.name ?? null,
    percent_off: params.percent_off ?? null,
    redeem_by: params.redeem_by ?? null,
    times_redeemed: 0,
    valid: true,
  };
  if (products) base.applies_to = { products };
  if (currency !== null) base.currency_options = mergeCurrencyOptions(base, params.currency_options ?? {});
  const coupon = { ...base, valid: couponIsValid(ctx, base) };
  try {
    await insertObject(ctx, { id, object: OBJECT, created, data: coupon });
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.resourceExists('Coupon already exists.', 'id');
    throw err;
  }
  const shown = presentCoupon(ctx, coupon);
  await emit(ctx, 'coupon.created', shown);
  return shown;
}

/** The stored coupon (not deleted), or a 404 naming `param`. */
async function getCoupon(ctx: Ctx, id: string, param: string, forUpdate = false): Promise<Coupon> {
  return (await getObject<Coupon>(ctx, OBJECT, OBJECT, id, { param, forUpdate })).data;
}

export async function retrieveCoupon(ctx: Ctx, id: string): Promise<Coupon> {
  return presentCoupon(ctx, await getCoupon(ctx, id, 'id'));
}

export async function updateCoupon(ctx: Ctx, id: string, params: CouponUpdate): Promise<Coupon> {
  const before = await getCoupon(ctx, id, 'id', true);
  const after: Coupon = structuredClone(before);
  if (params.name !== undefined) after.name = params.name;
  after.metadata = mergeMetadata(after.metadata, params.metadata);
  const options = mergeCurrencyOptions(after, params.currency_options);
  if (options !== undefined) after.currency_options = options;
  after.valid = couponIsValid(ctx, after);
  await updateObject(ctx, id, { data: after });
  const shown = presentCoupon(ctx, after);
  await emitUpdated(ctx, 'coupon.updated', presentCoupon(ctx, before), shown);
  return shown;
}

export async function deleteCoupon(ctx: Ctx, id: string): Promise<DeletedCoupon> {
  const coupon = await getCoupon(ctx, id, 'id', true);
  const gone: Coupon = { ...coupon, valid: false };
  await updateObject(ctx, id, { data: gone, deleted: true });
  await emit(ctx, 'coupon.deleted', presentCoupon(ctx, gone, true));
  for (const hook of couponDeletionHooks) await hook(ctx, gone);
  return { id, object: OBJECT, deleted: true };
}

/** What other modules do when a coupon is deleted (promotion codes deactivate), in its transaction. */
export const couponDeletionHooks: ((ctx: Ctx, coupon: Coupon) => Promise<void>)[] = [];

export async function listCoupons(ctx: Ctx, filters: { created?: RangeFilter }, page: ListOptions) {
  return listObjects<Coupon>(ctx, OBJECT, {
    ...page,
    where: (q) => (filters.created ? whereCreated(q, filters.created) : q),
  });
}

function notRedeemable(ctx: Ctx, c: Coupon, param: string): ApiError {
  if (c.redeem_by !== null && ctx.clock.now() > c.redeem_by) {
    return errors.invalidParam(param, `Coupon expired: ${c.id}`, 'coupon_expired');
  }
  return errors.invalidParam(
    param,
    `Coupon ${c.id} has been redeemed the maximum number of times (${c.max_redemptions}) and is no longer valid.`,
    'coupon_expired',
  );
}

/**
 * The coupon, with its expand-only fields, if it can be redeemed now: a 404 naming `param` when it does
 * not exist (or was deleted), a 400 `coupon_expired` when past `redeem_by` or fully redeemed.
 */
export async function getRedeemableCoupon(ctx: Ctx, id: string, param: string): Promise<Coupon> {
  const c = await getCoupon(ctx, id, param);
  if (!couponIsValid(ctx, c)) throw notRedeemable(ctx, c, param);
  return { ...c, valid: true };
}

/**
 * Counts one redemption of the coupon, in the caller's transaction (the row is locked, then checked
 * again, so two concurrent redemptions cannot both take the last one). Stripe sends no event for it.
 */
export async function recordRedemption(ctx: Ctx, couponId: string, param = 'coupon'): Promise<Coupon> {
  const c = await getCoupon(ctx, couponId, param, true);
  if (!couponIsValid(ctx, c)) throw notRedeemable(ctx, c, param);
  const after: Coupon = { ...c, times_redeemed: c.times_redeemed + 1 };
  after.valid = couponIsValid(ctx, after);
  await updateObject(ctx, couponId, { data: after });
  return after;
}
