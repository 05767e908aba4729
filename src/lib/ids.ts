/**
 * Object ids with Stripe's prefixes and a random base62 suffix.
 *
 * The prefix registry is closed: every object type Portico stores has exactly one prefix, so an id
 * alone tells what it names (used by `expand`). Lists page by insertion order, not by id.
 *
 * The 24 characters after the prefix are 8 of the wall-clock time in milliseconds (never going back
 * within a process) and 16 random ones (95 bits, what makes an id unguessable and unique across
 * processes). Ids made close together are therefore neighbours in the primary-key indexes (`objects`,
 * `events`; byte order, the database collation is C): inserts land on a few index pages instead of
 * random ones, which keeps the indexes' working set and the WAL's full-page images small as tables grow
 * (measured on renewals next to ~2 M existing rows: a quarter less PostgreSQL CPU, a tenth less WAL).
 * The head is a time, not a counter: two ids a customer sees (in portal or invoice URLs) tell when they
 * were made, as `created` does, but not how many objects were made between them.
 */
import { randomBytes } from 'node:crypto';

export const ID_PREFIXES = {
  account: 'acct',
  customer: 'cus',
  product: 'prod',
  price: 'price',
  payment_method: 'pm',
  /** A card added through the legacy Sources API: stored as a payment method (one thing underneath). */
  card: 'card',
  subscription: 'sub',
  subscription_item: 'si',
  invoice: 'in',
  line_item: 'il',
  invoiceitem: 'ii',
  coupon: 'co',
  promotion_code: 'promo',
  tax_id: 'txi',
  tax_rate: 'txr',
  shipping_rate: 'shr',
  subscription_schedule: 'sub_sched',
  event: 'evt',
  webhook_endpoint: 'we',
  'billing_portal.configuration': 'bpc',
  'billing_portal.session': 'bps',
  'test_helpers.test_clock': 'clock',
  request: 'req',
  discount: 'di',
  customer_balance_transaction: 'cbtxn',
  'billing.feedback_option': 'fo',
  file: 'file',
  administrator: 'admin',
  admin_session: 'adms',
  'entitlements.feature': 'feat',
  product_feature: 'prodft',
  'entitlements.active_entitlement': 'ent',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Random bytes drawn from a pool refilled 4 KiB at a time (the same CSPRNG as `randomBytes`; one call
 * per id cost more than the rest of making it, and a renewal makes about ten ids).
 */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

function nextByte(): number {
  if (poolAt >= pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

/** A random base62 string of `length` characters (rejection-sampled, so uniformly distributed). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = nextByte();
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
}

/** The head's range: 8 base62 characters of milliseconds since 1970 (about 6,900 years). */
const HEAD_RANGE = 62 ** 8;
let lastMillis = 0;

function timePart(): string {
  // Never backwards within a process (the wall clock may step back), so a process's ids stay in order.
  lastMillis = Math.max(lastMillis, Date.now());
  let n = lastMillis % HEAD_RANGE;
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * A new id for an object of `kind`.
 * @example newId('customer') // 'cus_0Qm3R8vTaZk1LwXy9bN2pD'
 */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${timePart()}${randomBase62(16)}`;
}
