/**
 * Secret-key authentication. A request's key decides its mode: `sk_test_…` sees test data, `sk_live_…`
 * live data. Bearer and Basic (key as user name) are both accepted, as Stripe does, and parsed strictly:
 * exactly one scheme and one credential, so `Bearer <key> junk` is a 401, not the key. Keys are compared
 * by SHA-256 digest in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors } from '../lib/errors.ts';
import type { AccountKeys } from '../storage/accounts.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `<scheme> <credentials>`: one space-separated pair (RFC 9110 §11.4), nothing before or after. */
const AUTHORIZATION = /^([A-Za-z]+) +([^\s]+)$/;
/** RFC 9110's token68, which both Bearer tokens and Basic's base64 are. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Extracts the API key from an Authorization header value: undefined when there is no header, a 401
 * ApiError when there is one that is not exactly `Bearer <key>` or `Basic <base64 of "key:password">`.
 * @example keyFromAuthorization('Bearer sk_test_123') // 'sk_test_123'
 */
export function keyFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = AUTHORIZATION.exec(header.trim());
  if (!m || !TOKEN68.test(m[2]!)) throw errors.malformedAuthorization();
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  if (scheme === 'bearer') return value;
  if (scheme === 'basic' && BASE64.test(value)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // user-id ":" password; the key is the user id (curl -u sk_test_…:), the password is ignored.
    if (colon > 0) return decoded.slice(0, colon);
  }
  throw errors.malformedAuthorization();
}

/**
 * Builds the authenticator for an account's keys: key → livemode, or a 401 ApiError. `keys` is read on
 * every call, so a rolled key (the object updated in place, see main.ts) is refused from then on.
 */
export function makeAuthenticator(keys: AccountKeys): (key: string | undefined) => boolean {
  let known = { testKey: '', liveKey: '', test: Buffer.alloc(32), live: Buffer.alloc(32) };
  const current = () => {
    if (known.testKey !== keys.testSecretKey || known.liveKey !== keys.liveSecretKey) {
      known = { testKey: keys.testSecretKey, liveKey: keys.liveSecretKey, test: digest(keys.testSecretKey), live: digest(keys.liveSecretKey) };
    }
    return known;
  };
  return (key) => {
    if (key === undefined) throw errors.noApiKey();
    const { test, live } = current();
    const d = digest(key);
    if (timingSafeEqual(d, test)) return false;
    if (timingSafeEqual(d, live)) return true;
    if (key.startsWith('pk_')) throw errors.publishableKey();
    throw errors.invalidApiKey(key);
  };
}
