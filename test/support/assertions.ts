/** Assertions on Stripe errors, from the SDK (`StripeError`) and from domain code (`ApiError`). */
import assert from 'node:assert/strict';

export interface Expected {
  status: number;
  param?: string;
  code?: string;
  /** A string must equal the message; a RegExp must match it. */
  message?: string | RegExp;
}

/** Asserts that an SDK call fails with this Stripe error. */
export async function fails(call: Promise<unknown>, want: Expected, label = ''): Promise<void> {
  await assert.rejects(call, (e: any) => {
    assert.ok(typeof e?.statusCode === 'number', `expected a Stripe error, got ${e}`);
    assert.equal(e.statusCode, want.status, e.message);
    if (want.param !== undefined) assert.equal(e.param, want.param, e.message);
    if (want.code !== undefined) assert.equal(e.code, want.code, e.message);
    if (typeof want.message === 'string') assert.equal(e.message, want.message);
    else if (want.message !== undefined) assert.match(e.message, want.message);
    return true;
  }, label);
}

/** Asserts that a domain helper fails with this ApiError. */
export async function failsInDomain(call: Promise<unknown>, want: Expected): Promise<void> {
  await assert.rejects(call, (e: any) => {
    assert.equal(e.status, want.status, e.message);
    if (want.param !== undefined) assert.equal(e.body.param, want.param, e.message);
    if (want.code !== undefined) assert.equal(e.body.code, want.code, e.message);
    if (typeof want.message === 'string') assert.equal(e.message, want.message);
    else if (want.message !== undefined) assert.match(e.message, want.message);
    return true;
  });
}

/** An SDK response without its `lastResponse`, for comparing objects. */
export function strip<T extends { lastResponse?: unknown }>(o: T): Omit<T, 'lastResponse'> {
  const { lastResponse: _ignored, ...rest } = o;
  return rest;
}
