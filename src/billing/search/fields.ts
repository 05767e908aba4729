/**
 * What each searchable resource lets a query filter on (Stripe's "query fields" per resource) and how
 * a parsed clause becomes SQL over the object store. Field kinds, as Stripe types them:
 * - `string`: exact (`:`) or substring (`~`, at least 3 characters, case-insensitive);
 * - `token`: exact only; `boolean`: `:'true'` / `:'false'`;
 * - `numeric`: `:`/`=` and `>`, `<`, `>=`, `<=` on integers;
 * - `metadata['key']`: exact value of one key.
 * `field:null` matches objects where the field is null (for metadata: where the key is absent), and a
 * negated clause matches every object the clause does not (nulls included).
 */
import { sql, type RawBuilder } from 'kysely';
import { errors } from '../../lib/errors.ts';
import type { Clause, Query } from './query-parser.ts';

type Kind = 'string' | 'token' | 'boolean' | 'numeric';

interface Field {
  kind: Kind;
  /** The SQL value compared (text, or bigint for numeric fields). */
  expr: RawBuilder<unknown>;
  /** Values are compared lower-cased (currencies). */
  lower?: boolean;
  /** An exact match is served by an index and matches few rows (an email, a customer id). */
  indexed?: boolean;
}

const data = (key: string): RawBuilder<unknown> => sql`(data->>${key})`;
const created: Field = { kind: 'numeric', expr: sql`created` };

export type SearchableObject = 'customer' | 'invoice' | 'price' | 'product' | 'subscription';

/** Stripe's query fields (https://docs.stripe.com/search#query-fields-for-customers and the rest). */
export const SEARCH_FIELDS: Record<SearchableObject, Record<string, Field>> = {
  customer: {
    created,
    email: { kind: 'string', expr: data('email'), indexed: true },
    name: { kind: 'string', expr: data('name'), indexed: true },
    phone: { kind: 'string', expr: data('phone'), indexed: true },
  },
  invoice: {
    created,
    currency: { kind: 'token', expr: data('currency'), lower: true },
    customer: { kind: 'token', expr: sql`customer`, indexed: true },
    last_finalization_error_code: { kind: 'token', expr: sql`(data->'last_finalization_error'->>'code')` },
    last_finalization_error_type: { kind: 'token', expr: sql`(data->'last_finalization_error'->>'type')` },
    number: { kind: 'token', expr: data('number') },
    receipt_number: { kind: 'token', expr: data('receipt_number') },
    status: { kind: 'token', expr: data('status') },
    subscription: { kind: 'token', expr: sql`(data->'parent'->'subscription_details'->>'subscription')` },
    total: { kind: 'numeric', expr: sql`(data->>'total')::bigint` },
  },
  price: {
    active: { kind: 'boolean', expr: data('active') },
    currency: { kind: 'token', expr: data('currency'), lower: true },
    lookup_key: { kind: 'token', expr: data('lookup_key'), indexed: true },
    product: { kind: 'token', expr: data('product') },
    type: { kind: 'token', expr: data('type') },
  },
  product: {
    active: { kind: 'boolean', expr: data('active') },
    description: { kind: 'string', expr: data('description') },
    name: { kind: 'string', expr: data('name') },
    shippable: { kind: 'boolean', expr: data('shippable') },
    url: { kind: 'token', expr: data('url') },
  },
  subscription: {
    created,
    status: { kind: 'token', expr: data('status') },
  },
};

const MIN_SUBSTRING = 3;

function fieldList(object: SearchableObject): string {
  return [...Object.keys(SEARCH_FIELDS[object]), 'metadata'].sort().join(', ');
}

function refuse(message: string): Error {
  return errors.invalidParam('query', `Invalid search query: ${message}`);
}

function compileMetadata(c: Clause): RawBuilder<boolean> {
  if (c.key === null) throw refuse("metadata is searched one key at a time, as in metadata['key']:'value'.");
  if (c.op !== ':') throw refuse(`metadata['${c.key}'] supports only exact matches (\`:\`).`);
  const value = sql`(data->'metadata'->>${c.key})`;
  if (!c.quoted && c.value === 'null') return sql<boolean>`(${value} is null)`;
  // The containment form can use the metadata index (migration 0010).
  return sql<boolean>`(data->'metadata')::jsonb @> jsonb_build_object(${c.key}::text, ${c.value}::text)`;
}

function compileClause(object: SearchableObject, c: Clause): RawBuilder<boolean> {
  if (c.field === 'metadata') return compileMetadata(c);
  const field = SEARCH_FIELDS[object][c.field];
  if (!field || c.key !== null) {
    throw refuse(`\`${c.key === null ? c.field : `${c.field}['${c.key}']`}\` is not a field you can search ${object}s by. The fields are: ${fieldList(object)}.`);
  }
  if (!c.quoted && c.value === 'null') {
    if (c.op !== ':') throw refuse(`null can only be matched with \`:\` (\`${c.field}:null\`).`);
    return sql<boolean>`(${field.expr} is null)`;
  }
  switch (field.kind) {
    case 'numeric': {
      if (c.op === '~') throw refuse(`\`${c.field}\` is numeric: use :, =, >, <, >= or <=.`);
      if (!/^-?\d{1,16}$/.test(c.value)) throw refuse(`\`${c.field}\` is numeric, but \`${c.value.slice(0, 30)}\` is not an integer.`);
      const op = c.op === ':' ? '=' : c.op;
      return sql<boolean>`(${field.expr} ${sql.raw(op)} ${Number(c.value)})`;
    }
    case 'boolean': {
      if (c.op !== ':') throw refuse(`\`${c.field}\` supports only exact matches (\`:\`).`);
      if (c.value !== 'true' && c.value !== 'false') throw refuse(`\`${c.field}\` is true or false, not \`${c.value.slice(0, 30)}\`.`);
      return sql<boolean>`(${field.expr} = ${c.value})`;
    }
    case 'token':
    case 'string': {
      const value = field.lower ? c.value.toLowerCase() : c.value;
      if (c.op === ':') return sql<boolean>`(${field.expr} = ${value})`;
      if (c.op === '~' && field.kind === 'string') {
        if ([...c.value].length < MIN_SUBSTRING) {
          throw refuse(`a substring search (\`~\`) needs at least ${MIN_SUBSTRING} characters.`);
        }
        return sql<boolean>`(strpos(lower(${field.expr}), ${value.toLowerCase()}) > 0)`;
      }
      const ops = field.kind === 'string' ? '`:` (exact) and `~` (substring)' : '`:` (exact matches)';
      throw refuse(`\`${c.field}\` supports only ${ops}.`);
    }
  }
}

/** True when the clause is an exact match on an indexed field that picks out few rows. */
function isNarrow(object: SearchableObject, c: Clause): boolean {
  const field = SEARCH_FIELDS[object][c.field];
  return !c.negated && c.op === ':' && (c.quoted || c.value !== 'null') && field?.indexed === true;
}

/**
 * Whether every match of the query can be found through an index that narrows it to few rows (one
 * such clause under AND; all clauses under OR). The planner cannot know it: it guesses 0.5 % of the
 * table for `data->>'email' = …` and walks the whole table newest first rather than use the index,
 * so the search then collects the matches first (see index.ts).
 */
export function isNarrowQuery(object: SearchableObject, query: Query): boolean {
  const narrow = query.clauses.map((c) => isNarrow(object, c));
  return query.joiner === 'and' ? narrow.some(Boolean) : narrow.every(Boolean);
}

/**
 * The SQL condition for a parsed query on `object`'s rows, or Stripe's 400 for a field the resource
 * does not have or an operator the field does not support.
 */
export function compileQuery(object: SearchableObject, query: Query): RawBuilder<boolean> {
  const parts = query.clauses.map((c) => {
    const cond = compileClause(object, c);
    // `is not true`: a negated clause also matches rows where the compared value is null.
    return c.negated ? sql<boolean>`(${cond} is not true)` : cond;
  });
  return sql<boolean>`(${sql.join(parts, query.joiner === 'and' ? sql` and ` : sql` or `)})`;
}
