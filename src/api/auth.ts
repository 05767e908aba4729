/**
 * Secret-key authentication. A request's key decides its mode: `sk_test_…` sees test data, `sk_live_…`
 * live data. Bearer and Basic (key as user name) are both accepted, as Stripe does. Keys are compared
 * by SHA-256 digest in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors } from '../lib/errors.ts';
import type { AccountKeys } from '../storage/accounts.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Extracts the API key from an Authorization header value, or undefined when none is given. */
export function keyFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme ?? '')) return value || undefined;
  if (/^basic$/i.test(scheme ?? '')) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const user = decoded.split(':', 1)[0];
    return user || undefined;
  }
  return undefined;
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
