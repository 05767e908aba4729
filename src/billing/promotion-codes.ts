/**
 * Promotion codes: customer-facing codes for a coupon (`promotion: {type: 'coupon', coupon}`), each with
 * its own limits (expiry, redemptions, one customer, first purchases, a minimum amount). Invariants: a
 * code is unique, regardless of case, among the mode's active codes (a partial unique index backs the
 * check, so concurrent requests cannot both win); only `active`, metadata and the per-currency
 * minimums ever change; a code is only reactivated while it could still be redeemed.
 */
import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { clip, errors, type ApiError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { MAX_AMOUNT, parseCurrency } from '../lib/money.ts';
import { mergeMetadata, p, type InferShape, type RangeFilter } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import {
  findObject,
  getObject,
  insertObject,
  listObjects,
  updateObject,
  whereCreated,
  whereData,
  type ListOptions,
} from '../storage/objects.ts';
import { emit, emitUpdated } from '../events/outbox.ts';
import { getCustomer } from './customers.ts';
import {
  assertFutureTimestamp,
  couponDeletionHooks,
  couponIsValid,
  currencyMap,
  getRedeemableCoupon,
  recordRedemption,
  type Coupon,
} from './coupons.ts';

type MinimumOptions = Record<string, { minimum_amount: number }>;

export interface PromotionCodeRestrictions {
  currency_options?: MinimumOptions;
  first_time_transaction: boolean;
  minimum_amount: number | null;
  minimum_amount_currency: string | null;
}

export interface PromotionCode {
  id: string;
  object: 'promotion_code';
  active: boolean;
  code: string;
  created: number;
  customer: string | null;
  customer_account: string | null;
  expires_at: number | null;
  livemode: boolean;
  max_redemptions: number | null;
  metadata: Record<string, string>;
  promotion: { coupon: string; type: 'coupon' };
  restrictions: PromotionCodeRestrictions;
  times_redeemed: number;
}

const OBJECT = 'promotion_code';
const NOUN = 'promotion code';
const CODE_PATTERN = /^[a-zA-Z0-9_-]+$/;
const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const minimumOptions = currencyMap(p.object({ minimum_amount: p.integer({ min: 0, max: MAX_AMOUNT }) }));

export const promotionCodeCreateShape = {
  promotion: p.object({ type: p.enumOf(['coupon']).req(), coupon: p.string() }).req(),
  active: p.boolean(),
  code: p.string({ max: 500 }),
  customer: p.string(),
  customer_account: p.string(),
  expires_at: p.timestamp(),
  max_redemptions: p.integer({ min: 1 }),
  metadata: p.metadata(),
  restrictions: p.object({
    currency_options: minimumOptions,
    first_time_transaction: p.boolean(),
    minimum_amount: p.integer({ min: 1, max: MAX_AMOUNT }),
    minimum_amount_currency: p.string(),
  }),
};

export const promotionCodeUpdateShape = {
  active: p.boolean(),
  metadata: p.metadata(),
  restrictions: p.object({ currency_options: minimumOptions }),
};

export type PromotionCodeCreate = InferShape<typeof promotionCodeCreateShape>;
export type PromotionCodeUpdate = InferShape<typeof promotionCodeUpdateShape>;

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

function codeTaken(code: string, param: string): ApiError {
  return errors.resourceExists(`An active promotion code with \`code: ${clip(code)}\` already exists.`, param);
}

/** The id of the active code spelled `code` (any case) in this mode, other than `exceptId`. */
async function activeHolder(ctx: Ctx, code: string, exceptId?: string): Promise<string | undefined> {
  await ctx.uow?.settle(ctx.db); // a query by code: buffered changes first (storage/unit-of-work.ts)
  let q = ctx.db
    .selectFrom('objects')
    .select('id')
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', OBJECT)
    .where(sql<string>`lower(data->>'code')`, '=', code.toLowerCase())
    .where(sql<string>`data->>'active'`, '=', 'true');
  if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
  return (await q.executeTakeFirst())?.id;
}

/** Stripe's generated code: eight uppercase letters and digits, not already active. */
async function generateCode(ctx: Ctx): Promise<string> {
  for (;;) {
    let code = '';
    for (let i = 0; i < 8; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
    if (!(await activeHolder(ctx, code))) return code;
  }
}

/** Persists a new or changed code, turning a lost race for an active code into Stripe's 400. */
async function write(ctx: Ctx, pc: PromotionCode, isNew: boolean, param: string): Promise<void> {
  try {
    if (isNew) await insertObject(ctx, { id: pc.id, object: OBJECT, created: pc.created, customer: pc.customer, data: pc });
    else await updateObject(ctx, pc.id, { data: pc });
  } catch (err) {
    if (isUniqueViolation(err)) throw codeTaken(pc.code, param);
    throw err;
  }
}

function checkMinimumOptions(
  r: PromotionCodeRestrictions,
  options: Record<string, { minimum_amount?: number }>,
  param: string,
): MinimumOptions {
  if (r.minimum_amount === null || r.minimum_amount_currency === null) {
    throw errors.invalidParam(param, `${param} can only be used with a minimum_amount restriction.`);
  }
  if (Object.hasOwn(options, r.minimum_amount_currency)) {
    throw errors.invalidParam(
      `${param}[${r.minimum_amount_currency}]`,
      `Each currency in ${param} must be different from minimum_amount_currency (${r.minimum_amount_currency}).`,
    );
  }
  const filled: MinimumOptions = {};
  for (const [c, o] of Object.entries(options)) filled[c] = { minimum_amount: o.minimum_amount ?? 0 };
  return { ...r.currency_options, ...filled };
}

function toRestrictions(params: PromotionCodeCreate['restrictions']): PromotionCodeRestrictions {
  const r: PromotionCodeRestrictions = {
    first_time_transaction: params?.first_time_transaction ?? false,
    minimum_amount: params?.minimum_amount ?? null,
    minimum_amount_currency: null,
  };
  if (params?.minimum_amount !== undefined && params.minimum_amount_currency === undefined) {
    throw errors.invalidParam(
      'restrictions[minimum_amount_currency]',
      'You must pass restrictions[minimum_amount_currency] when passing restrictions[minimum_amount]',
    );
  }
  if (params?.minimum_amount_currency !== undefined) {
    if (params.minimum_amount === undefined) {
      throw errors.invalidParam(
        'restrictions[minimum_amount]',
        'You must pass restrictions[minimum_amount] when passing restrictions[minimum_amount_currency]',
      );
    }
    r.minimum_amount_currency = parseCurrency(params.minimum_amount_currency, 'restrictions[minimum_amount_currency]');
  }
  if (params?.currency_options !== undefined) {
    r.currency_options = checkMinimumOptions(r, params.currency_options, 'restrictions[currency_options]');
  }
  return r;
}

export async function createPromotionCode(ctx: Ctx, params: PromotionCodeCreate): Promise<PromotionCode> {
  const couponId = params.promotion.coupon;
  if (couponId === undefined) {
    throw errors.invalidParam('promotion.coupon', 'You must pass promotion.coupon when passing promotion');
  }
  const coupon = await getRedeemableCoupon(ctx, couponId, 'promotion[coupon]');
  if (params.customer !== undefined) await getCustomer(ctx, params.customer, 'customer');
  if (params.customer_account !== undefined) {
    throw errors.resourceMissing('account', params.customer_account, 'customer_account');
  }
  if (params.code !== undefined && !CODE_PATTERN.test(params.code)) {
    throw errors.invalidParam(
      'code',
      `This value must match the regex pattern. (/\\A[a-zA-Z0-9\\-_]+\\z/ does not match for the value ${clip(params.code)}).`,
    );
  }
  if (params.expires_at !== undefined) {
    assertFutureTimestamp(ctx, 'expires_at', params.expires_at);
    if (coupon.redeem_by !== null && params.expires_at > coupon.redeem_by) {
      throw errors.invalidParam(
        'expires_at',
        `The promotion code's expires_at (${params.expires_at}) cannot be after its coupon's redeem_by (${coupon.redeem_by}).`,
      );
    }
  }
  if (params.max_redemptions !== undefined && coupon.max_redemptions !== null && params.max_redemptions > coupon.max_redemptions) {
    throw errors.invalidParam(
      'max_redemptions',
      `The promotion code's max_redemptions (${params.max_redemptions}) cannot be greater than its coupon's max_redemptions (${coupon.max_redemptions}).`,
    );
  }
  const restrictions = toRestrictions(params.restrictions);
  const active = params.active ?? true;
  const code = params.code ?? (await generateCode(ctx));
  if (active && (await activeHolder(ctx, code))) throw codeTaken(code, 'code');

  const created = ctx.clock.now();
  const pc: PromotionCode = {
    id: newId('promotion_code'),
    object: OBJECT,
    active,
    code,
    created,
    customer: params.customer ?? null,
    customer_account: null,
    expires_at: params.expires_at ?? null,
    livemode: ctx.livemode,
    max_redemptions: params.max_redemptions ?? null,
    metadata: mergeMetadata({}, params.metadata),
    promotion: { coupon: coupon.id, type: 'coupon' },
    restrictions,
    times_redeemed: 0,
  };
  await write(ctx, pc, true, 'code');
  await emit(ctx, 'promotion_code.created', pc);
  return pc;
}

/** The promotion code, or a 404 naming `param`. */
export async function getPromotionCode(
  ctx: Ctx,
  id: string,
  param = 'promotion_code',
  forUpdate = false,
): Promise<PromotionCode> {
  return (await getObject<PromotionCode>(ctx, OBJECT, NOUN, id, { param, forUpdate })).data;
}

/** Why the code cannot be redeemed now (ignoring the purchase), or null when it can. */
function refusal(ctx: Ctx, pc: PromotionCode, coupon: Coupon | undefined, couponDeleted: boolean): string | null {
  if (!pc.active) return 'it is inactive';
  if (pc.expires_at !== null && ctx.clock.now() > pc.expires_at) return 'it has expired';
  if (pc.max_redemptions !== null && pc.times_redeemed >= pc.max_redemptions) {
    return 'it has been used the maximum number of times';
  }
  if (!coupon || !couponIsValid(ctx, coupon, couponDeleted)) return 'its coupon is no longer valid';
  return null;
}

export async function updatePromotionCode(ctx: Ctx, id: string, params: PromotionCodeUpdate): Promise<PromotionCode> {
  const before = await getPromotionCode(ctx, id, 'promotion_code', true);
  const after: PromotionCode = structuredClone(before);
  if (params.active !== undefined) after.active = params.active;
  after.metadata = mergeMetadata(after.metadata, params.metadata);
  const options = params.restrictions?.currency_options;
  if (options !== undefined) {
    after.restrictions.currency_options = checkMinimumOptions(after.restrictions, options, 'restrictions[currency_options]');
  }
  if (!before.active && after.active) {
    const found = await findObject<Coupon>(ctx, 'coupon', after.promotion.coupon, { includeDeleted: true });
    const why = refusal(ctx, after, found?.data, found?.deleted ?? true);
    if (why) throw errors.invalidParam('active', `This promotion code cannot be reactivated because ${why}.`);
    if (await activeHolder(ctx, after.code, id)) throw codeTaken(after.code, 'active');
  }
  await write(ctx, after, false, 'active');
  await emitUpdated(ctx, 'promotion_code.updated', before, after);
  return after;
}

// "A promotion code is only active if the coupon is also valid": deleting a coupon deactivates its codes.
couponDeletionHooks.push(async (ctx, coupon) => {
  await ctx.uow?.settle(ctx.db);
  const rows = await ctx.db
    .selectFrom('objects')
    .select('id')
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', OBJECT)
    .where(sql<string>`data->'promotion'->>'coupon'`, '=', coupon.id)
    .where(sql<string>`data->>'active'`, '=', 'true')
    .orderBy('seq')
    .execute();
  for (const { id } of rows) {
    const before = await getPromotionCode(ctx, id, 'promotion_code', true);
    const after: PromotionCode = { ...before, active: false };
    await updateObject(ctx, id, { data: after });
    await emitUpdated(ctx, 'promotion_code.updated', before, after);
  }
});

export interface PromotionCodeListFilters {
  active?: boolean;
  code?: string;
  coupon?: string;
  customer?: string;
  customer_account?: string;
  created?: RangeFilter;
}

export async function listPromotionCodes(ctx: Ctx, filters: PromotionCodeListFilters, page: ListOptions) {
  if (filters.coupon !== undefined && !(await findObject(ctx, 'coupon', filters.coupon, { includeDeleted: true }))) {
    throw errors.resourceMissing('coupon', filters.coupon, 'coupon');
  }
  return listObjects<PromotionCode>(ctx, OBJECT, {
    ...page,
    where: (q) => {
      let out = q;
      if (filters.active !== undefined) out = whereData(out, 'active', filters.active);
      if (filters.code !== undefined) out = out.where(sql<string>`lower(data->>'code')`, '=', filters.code.toLowerCase());
      if (filters.coupon !== undefined) out = out.where(sql<string>`data->'promotion'->>'coupon'`, '=', filters.coupon);
      if (filters.customer !== undefined) out = out.where('customer', '=', filters.customer);
      if (filters.customer_account !== undefined) out = whereData(out, 'customer_account', filters.customer_account);
      if (filters.created) out = whereCreated(out, filters.created);
      return out;
    },
  });
}

/** What the billing engine knows about the purchase a code is being redeemed on. */
export interface RedemptionContext {
  /** The customer redeeming it (null: none yet). */
  customer?: string | null;
  /** The purchase amount the minimum applies to, in `currency`'s minor unit; omitted: not checked. */
  amount?: number;
  currency?: string;
  /** Whether the customer has no prior payments or invoices; only `false` is refused. */
  isFirstTransaction?: boolean;
}

/** A promotion code by id, or else by its (case-insensitive) code among the active ones. */
async function findCode(ctx: Ctx, idOrCode: string): Promise<PromotionCode | undefined> {
  const byId = await findObject<PromotionCode>(ctx, OBJECT, idOrCode);
  if (byId) return byId.data;
  const holder = await activeHolder(ctx, idOrCode);
  return holder ? (await findObject<PromotionCode>(ctx, OBJECT, holder))?.data : undefined;
}

function minimumFor(r: PromotionCodeRestrictions, currency: string): number | undefined {
  if (r.minimum_amount_currency === currency) return r.minimum_amount ?? undefined;
  return r.currency_options?.[currency]?.minimum_amount;
}

/**
 * The promotion code and its coupon, if the code can be redeemed on this purchase: a 404 naming
 * `param` when there is no such code, otherwise Stripe's 400 "This promotion code cannot be redeemed
 * because …" for an inactive, expired, used-up, other-customer, not-first-time or too-small purchase.
 */
export async function getRedeemablePromotionCode(
  ctx: Ctx,
  idOrCode: string,
  context: RedemptionContext,
  param: string,
): Promise<{ promotionCode: PromotionCode; coupon: Coupon }> {
  const pc = await findCode(ctx, idOrCode);
  if (!pc) throw errors.resourceMissing(NOUN, idOrCode, param);
  const refuse = (why: string) => errors.invalidParam(param, `This promotion code cannot be redeemed because ${why}.`);
  const found = await findObject<Coupon>(ctx, 'coupon', pc.promotion.coupon, { includeDeleted: true });
  const why = refusal(ctx, pc, found?.data, found?.deleted ?? true);
  if (why) throw refuse(why);
  if (pc.customer !== null && context.customer !== pc.customer) {
    throw refuse('it is restricted to a different customer');
  }
  if (pc.restrictions.first_time_transaction && context.isFirstTransaction === false) {
    throw refuse('the associated customer has prior transactions');
  }
  if (pc.restrictions.minimum_amount !== null && context.amount !== undefined && context.currency !== undefined) {
    const currency = context.currency.toLowerCase();
    const minimum = minimumFor(pc.restrictions, currency);
    if (minimum === undefined) throw refuse(`its minimum amount is not defined in ${currency}`);
    if (context.amount < minimum) {
      throw refuse('the associated purchase does not meet the minimum amount requirement');
    }
  }
  const coupon = await getRedeemableCoupon(ctx, pc.promotion.coupon, param);
  return { promotionCode: pc, coupon };
}

/**
 * Counts one redemption of the code and of its coupon, in the caller's transaction (rows locked and
 * checked again). Call it instead of, not as well as, `recordRedemption` for the coupon.
 */
export async function recordPromotionRedemption(
  ctx: Ctx,
  promotionCodeId: string,
  param = 'promotion_code',
): Promise<{ promotionCode: PromotionCode; coupon: Coupon }> {
  const pc = await getPromotionCode(ctx, promotionCodeId, param, true);
  const found = await findObject<Coupon>(ctx, 'coupon', pc.promotion.coupon, { includeDeleted: true });
  const why = refusal(ctx, pc, found?.data, found?.deleted ?? true);
  if (why) throw errors.invalidParam(param, `This promotion code cannot be redeemed because ${why}.`);
  const after: PromotionCode = { ...pc, times_redeemed: pc.times_redeemed + 1 };
  await updateObject(ctx, pc.id, { data: after });
  const coupon = await recordRedemption(ctx, pc.promotion.coupon, param);
  return { promotionCode: after, coupon };
}
