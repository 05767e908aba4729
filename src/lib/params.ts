/**
 * Stripe request parameters: decoding and validation.
 *
 * `decodeParams` turns a form body or query string (`items[0][price]=x&expand[]=y`) into a nested value
 * with `qs`, refusing what Stripe refuses (invalid UTF-8, absurd nesting, too many parameters).
 * The `p.*` schema builders then coerce form strings to typed values and produce Stripe's errors,
 * naming the offending parameter in bracket form (`items[0][price]`). In every schema `""` is "unset":
 * fields built with `p.emptyable` turn it into `null`; other fields reject it.
 */
import qs from 'qs';
import { ApiError, clip, errors } from './errors.ts';

export type Decoded = Record<string, unknown>;

const MAX_DEPTH = 8;
const MAX_PARAMETERS = 2000;

/** Decodes `a[b][0]=c` form/query text into nested objects and arrays. Throws 400 on malformed input. */
export function decodeParams(text: string): Decoded {
  if (text === '') return Object.create(null) as Decoded;
  rejectPrototypeKeys(text);
  try {
    return qs.parse(text, {
      depth: MAX_DEPTH,
      strictDepth: true,
      arrayLimit: 1000,
      parameterLimit: MAX_PARAMETERS,
      throwOnLimitExceeded: true,
      plainObjects: true,
      allowPrototypes: false,
      duplicates: 'combine',
      decoder: (str) => {
        const decoded = decodeURIComponent(str.replace(/\+/g, ' '));
        // PostgreSQL text cannot hold NUL, and no Stripe parameter has one.
        if (decoded.includes('\u0000')) throw new URIError('NUL character');
        return decoded;
      },
    }) as Decoded;
  } catch (err) {
    if (err instanceof URIError) {
      throw errors.malformedBody(
        'Invalid request: parameters must be valid percent-encoded UTF-8 without NUL characters.',
      );
    }
    if (err instanceof RangeError) {
      throw errors.malformedBody(
        `Invalid request: parameters may nest at most ${MAX_DEPTH} levels and number at most ${MAX_PARAMETERS}.`,
      );
    }
    throw err;
  }
}

/**
 * `qs` silently drops `__proto__` segments (to prevent prototype pollution); Stripe would call such a
 * key an unknown parameter, so Portico says so rather than quietly ignoring part of a request.
 */
function rejectPrototypeKeys(text: string): void {
  if (!text.includes('__proto__') && !/__proto__/i.test(safeDecode(text))) return;
  for (const pair of text.split('&')) {
    const key = safeDecode(pair.split('=', 1)[0] ?? '');
    if (key.split(/[[\]]+/).includes('__proto__')) throw errors.unknownParam(key.slice(0, 100));
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Decodes raw body bytes, rejecting bytes that are not UTF-8 before any further parsing. */
export function decodeBody(bytes: Uint8Array): Decoded {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw errors.malformedBody('Invalid request: the body must be UTF-8 encoded.');
  }
  return decodeParams(text);
}

// ---------------------------------------------------------------------------------------------------
// Schemas

export interface Schema<T> {
  readonly required: boolean;
  /** Coerces `value` (never undefined) to T or throws an ApiError naming `path`. */
  parse(value: unknown, path: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Record<string, Schema<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K]['required'] extends true ? K : never }[keyof S];
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>;
export type InferShape<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

/** Joins a parent path and a key the way Stripe names nested params: `items[0][price]`. */
export function joinPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}[${key}]`;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value !== null && typeof value === 'object') return 'object';
  return 'string';
}

function expectString(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  throw errors.invalidParam(
    path,
    `Invalid ${path}: expected a string but got ${typeName(value) === 'array' ? 'an array' : 'an object'}.`,
  );
}

function schema<T>(parse: (value: unknown, path: string) => T): Schema<T> & { req(): Schema<T> & { required: true } } {
  const s = {
    required: false,
    parse,
    req() {
      return { required: true as const, parse };
    },
  };
  return s;
}

export interface StringOptions {
  max?: number;
  /** Allowed pattern, checked after the length. */
  pattern?: RegExp;
  patternMessage?: string;
}

/** Parses an "object" form value: accepts objects and, for arrays, objects keyed by indices. */
function asRecord(value: unknown, path: string): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = Object.create(null);
    value.forEach((v, i) => (out[String(i)] = v));
    return out;
  }
  throw errors.invalidParam(path, `Invalid object`, undefined);
}

export const p = {
  string(opts: StringOptions = {}) {
    const max = opts.max ?? 5000;
    return schema((value, path) => {
      const s = expectString(value, path);
      if (s === '') throw errors.emptyString(path);
      if (s.length > max) {
        throw errors.invalidParam(
          path,
          `Invalid string: ${clip(s, 30)}; must be at most ${max} characters`,
          'string_length_exceeds_maximum',
        );
      }
      if (opts.pattern && !opts.pattern.test(s)) {
        throw errors.invalidParam(path, opts.patternMessage ?? `Invalid value for ${path}.`);
      }
      return s;
    });
  },

  integer(opts: { min?: number; max?: number } = {}) {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    return schema((value, path) => {
      const s = expectString(value, path);
      if (s === '') throw errors.emptyString(path);
      if (!/^-?\d{1,16}$/.test(s)) throw errors.invalidInteger(path, s);
      const n = Number(s);
      if (!Number.isSafeInteger(n)) throw errors.invalidInteger(path, s);
      if (n < min) throw errors.invalidParam(path, `Invalid ${path}: must be greater than or equal to ${min}`);
      if (n > max) throw errors.invalidParam(path, `Invalid ${path}: must be less than or equal to ${max}`);
      return n;
    });
  },

  /** A decimal string such as `unit_amount_decimal` (at most 12 decimal places), kept as a string. */
  decimal() {
    return schema((value, path) => {
      const s = expectString(value, path);
      if (s === '') throw errors.emptyString(path);
      if (!/^\d{1,19}(\.\d{1,12})?$/.test(s)) throw errors.invalidParam(path, `Invalid decimal: ${clip(s)}`);
      return s.replace(/^0+(?=\d)/, '').replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
    });
  },

  /** A number such as `percent_off` (up to 2 decimal places), in (0, 100]. */
  percent() {
    return schema((value, path) => {
      const s = expectString(value, path);
      if (s === '') throw errors.emptyString(path);
      if (!/^\d{1,3}(\.\d{1,12})?$/.test(s)) throw errors.invalidParam(path, `Invalid decimal: ${clip(s)}`);
      const n = Number(s);
      if (!(n > 0 && n <= 100)) {
        throw errors.invalidParam(path, `Invalid ${path}: must be greater than 0 and at most 100.`);
      }
      return n;
    });
  },

  boolean() {
    return schema((value, path) => {
      const s = expectString(value, path);
      if (s === 'true') return true;
      if (s === 'false') return false;
      if (s === '') throw errors.emptyString(path);
      throw errors.invalidParam(path, `Invalid boolean: ${clip(s)}`);
    });
  },

  enumOf<const V extends string>(values: readonly V[]) {
    return schema((value, path) => {
      const s = expectString(value, path);
      if (s === '') throw errors.emptyString(path);
      if (!(values as readonly string[]).includes(s)) {
        throw errors.invalidParam(path, `Invalid ${path}: must be one of ${values.join(', ')}`);
      }
      return s as V;
    });
  },

  /** A unix timestamp in seconds. */
  timestamp() {
    return p.integer({ min: 0, max: 253402300799 });
  },

  object<S extends Shape>(shape: S) {
    return schema((value, path): InferShape<S> => {
      const record = asRecord(value, path);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(record)) {
        if (!Object.hasOwn(shape, key)) throw errors.unknownParam(joinPath(path, key));
      }
      for (const [key, field] of Object.entries(shape)) {
        const v = record[key];
        const child = joinPath(path, key);
        if (v === undefined) {
          if (field.required) throw errors.missingParam(child);
          continue;
        }
        out[key] = field.parse(v, child);
      }
      return out as InferShape<S>;
    });
  },

  array<T>(item: Schema<T>, opts: { max?: number } = {}) {
    const max = opts.max ?? 1000;
    return schema((value, path): T[] => {
      let list: unknown[];
      if (Array.isArray(value)) list = value;
      else if (value !== null && typeof value === 'object') {
        const keys = Object.keys(value);
        if (!keys.every((k) => /^\d+$/.test(k))) throw errors.invalidParam(path, `Invalid array`);
        list = keys.sort((a, b) => Number(a) - Number(b)).map((k) => (value as Record<string, unknown>)[k]);
      } else throw errors.invalidParam(path, `Invalid array`);
      if (list.length > max) throw errors.invalidParam(path, `Invalid ${path}: must contain at most ${max} items`);
      return list.map((v, i) => item.parse(v, joinPath(path, i)));
    });
  },

  /** `""` → null ("unset this field"); anything else goes to `inner`. */
  emptyable<T>(inner: Schema<T>) {
    return schema((value, path): T | null => (value === '' ? null : inner.parse(value, path)));
  },

  /** Metadata: ≤50 keys, keys ≤40 chars, values ≤500 chars. A value of `""` (→ null) unsets that key. */
  metadata() {
    return schema((value, path): Record<string, string | null> | null => {
      if (value === '') return null;
      const record = asRecord(value, path);
      const keys = Object.keys(record);
      if (keys.length > 50) {
        throw errors.invalidParam(path, 'Invalid metadata: metadata can have at most 50 keys.');
      }
      const out: Record<string, string | null> = {};
      for (const key of keys) {
        const v = record[key];
        const child = joinPath(path, key);
        if (key.length > 40 || key === '') {
          throw errors.invalidParam(child, `Invalid metadata: keys must be between 1 and 40 characters long.`);
        }
        if (typeof v !== 'string') {
          throw errors.invalidParam(child, `Invalid metadata: values must be strings.`);
        }
        if (v.length > 500) {
          throw errors.invalidParam(child, `Invalid metadata: values can be at most 500 characters long.`);
        }
        out[key] = v === '' ? null : v;
      }
      return out;
    });
  },

  /**
   * A Stripe parameter Portico knows and refuses, whatever its value, with `parameter_unsupported`
   * naming it and `reason` (e.g. `transfer_data: p.unsupported('Connect is not available.')`).
   */
  unsupported(reason: string) {
    return schema((_value, path): never => {
      throw errors.unsupportedParam(path, reason);
    });
  },

  /**
   * `automatic_tax`: Portico has no tax engine, so `enabled=false` is accepted (and changes nothing)
   * and `enabled=true` is refused with `parameter_unsupported` naming `automatic_tax[enabled]`.
   */
  automaticTax() {
    const shape = p.object({
      enabled: p.boolean().req(),
      liability: p.unsupported('tax liability belongs to automatic tax, which Portico does not have.'),
    });
    return schema((value, path): { enabled: false } => {
      const parsed = shape.parse(value, path);
      if (parsed.enabled) {
        throw errors.unsupportedParam(
          joinPath(path, 'enabled'),
          'Portico has no tax engine; give tax_rates (or default_tax_rates) to tax invoices.',
        );
      }
      return { enabled: false };
    });
  },

  /** Any value, passed through untouched (used for `expand`, validated elsewhere). */
  any() {
    return schema((value) => value);
  },
};

/** Validates decoded params against an object shape, treating the top level like any object. */
export function parseParams<S extends Shape>(shape: S, params: Decoded): InferShape<S> {
  return p.object(shape).parse(params, '');
}

/** Common list params (`limit`, cursors), plus `expand`, accepted by every list endpoint. */
export const listShape = {
  limit: p.integer({ min: 1, max: 100 }),
  starting_after: p.string(),
  ending_before: p.string(),
  expand: p.array(p.string(), { max: 100 }),
};

/** `created[gt]=…` range filters, or a bare integer. */
export const rangeFilter = () =>
  schema((value, path): RangeFilter => {
    if (typeof value === 'string') return { eq: p.timestamp().parse(value, path) };
    return p
      .object({ gt: p.timestamp(), gte: p.timestamp(), lt: p.timestamp(), lte: p.timestamp() })
      .parse(value, path);
  });

export interface RangeFilter {
  eq?: number;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** Merges a metadata update (null values delete keys; a null map clears all) into the current map. */
export function mergeMetadata(
  current: Record<string, string>,
  update: Record<string, string | null> | null | undefined,
): Record<string, string> {
  if (update === undefined) return current;
  if (update === null) return {};
  const out: Record<string, string> = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  if (Object.keys(out).length > 50) {
    throw errors.invalidParam('metadata', 'Invalid metadata: metadata can have at most 50 keys.');
  }
  return out;
}

export { ApiError };
