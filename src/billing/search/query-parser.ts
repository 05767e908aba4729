/**
 * Stripe's search query language, parsed: a tokenizer and a recursive-descent parser that turn
 * `email:'a@b.c' AND -metadata['plan']:'pro'` into a small syntax tree. Pure: what a field may do
 * (its type, `~`, comparisons) is checked later against the resource's field catalog (fields.ts).
 *
 * Grammar (Stripe's, https://docs.stripe.com/search#search-query-language):
 *   query  := clause (joiner clause)*        joiner := AND | OR | (whitespace: an implicit AND)
 *   clause := ['-'] field op value           AND and OR cannot be mixed in one query
 *   field  := name ('.' name)* | 'metadata' '[' quoted ']'
 *   op     := ':' | '~' | '>' | '<' | '>=' | '<=' | '='
 *   value  := quoted ('…' or "…", `\` escapes the next character) | bare word (number, null, token)
 * At most 10 clauses. Keywords are case-insensitive; there are no parentheses.
 */
import { clip, errors } from '../../lib/errors.ts';

export type Operator = ':' | '~' | '>' | '<' | '>=' | '<=' | '=';

export interface Clause {
  /** `email`, `metadata` (with `key`), or a dotted path. */
  field: string;
  /** The metadata key, for `metadata['key']`. */
  key: string | null;
  op: Operator;
  /** The value as written (quotes removed); `quoted` says whether it was a quoted string. */
  value: string;
  quoted: boolean;
  negated: boolean;
}

export interface Query {
  /** How clauses combine: `and` for one clause too. */
  joiner: 'and' | 'or';
  clauses: Clause[];
}

export const MAX_CLAUSES = 10;

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'op'; text: Operator; at: number }
  | { kind: 'punct'; text: '-' | '[' | ']' | '.'; at: number }
  | { kind: 'space'; at: number };

/** The 400 for a query that cannot be read: says where, and what was expected. */
function syntaxError(query: string, at: number, expected: string): Error {
  const near = at >= query.length ? 'at the end of the query' : `at position ${at} (near \`${clip(query.slice(at), 20)}\`)`;
  return errors.invalidParam('query', `Invalid search query: expected ${expected} ${near}. See https://docs.stripe.com/search#search-query-language.`);
}

const WORD = /[A-Za-z0-9_@+]/;

/** Splits a query into tokens; runs of whitespace become one `space` token (they may mean AND). */
export function tokenize(query: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query[i]!;
    const at = i;
    if (/\s/.test(ch)) {
      while (i < query.length && /\s/.test(query[i]!)) i++;
      out.push({ kind: 'space', at });
    } else if (ch === "'" || ch === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= query.length) throw syntaxError(query, at, `a closing ${ch} for the string starting`);
        const c = query[i]!;
        if (c === '\\' && i + 1 < query.length) {
          text += query[i + 1];
          i += 2;
        } else if (c === ch) {
          i++;
          break;
        } else {
          text += c;
          i++;
        }
      }
      out.push({ kind: 'string', text, at });
    } else if (ch === '>' || ch === '<') {
      const op = (query[i + 1] === '=' ? `${ch}=` : ch) as Operator;
      i += op.length;
      out.push({ kind: 'op', text: op, at });
    } else if (ch === ':' || ch === '~' || ch === '=') {
      i++;
      out.push({ kind: 'op', text: ch, at });
    } else if (ch === '[' || ch === ']' || ch === '.') {
      i++;
      out.push({ kind: 'punct', text: ch, at });
    } else if (ch === '-' && (out.length === 0 || out[out.length - 1]!.kind === 'space')) {
      // A minus starting a clause negates it; elsewhere (`-5`, `a-b`) it belongs to a word.
      i++;
      out.push({ kind: 'punct', text: '-', at });
    } else if (WORD.test(ch) || ch === '-') {
      let text = '';
      while (i < query.length && (WORD.test(query[i]!) || query[i] === '-')) {
        text += query[i];
        i++;
      }
      out.push({ kind: 'word', text, at });
    } else {
      throw syntaxError(query, at, 'a field, an operator or a value');
    }
  }
  return out;
}

/** A recursive-descent parser over the token list (one token of lookahead). */
class Parser {
  private pos = 0;
  constructor(
    private readonly query: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private atEnd(): number {
    return this.query.length;
  }
  private where(): number {
    return this.peek()?.at ?? this.atEnd();
  }
  private skipSpace(): boolean {
    let skipped = false;
    while (this.peek()?.kind === 'space') {
      this.pos++;
      skipped = true;
    }
    return skipped;
  }
  private keyword(): 'and' | 'or' | null {
    const t = this.peek();
    if (t?.kind !== 'word') return null;
    const k = t.text.toLowerCase();
    return k === 'and' || k === 'or' ? k : null;
  }

  parse(): Query {
    this.skipSpace();
    if (this.peek() === undefined) throw errors.invalidParam('query', 'Invalid search query: the query is empty.');
    const clauses = [this.clause()];
    let joiner: 'and' | 'or' | null = null;
    for (;;) {
      const spaced = this.skipSpace();
      if (this.peek() === undefined) break;
      const at = this.where();
      let next: 'and' | 'or';
      const kw = this.keyword();
      if (kw !== null) {
        this.pos++;
        if (!this.skipSpace()) throw syntaxError(this.query, this.where(), `a space after ${kw.toUpperCase()}`);
        next = kw;
      } else if (spaced) next = 'and';
      else throw syntaxError(this.query, at, 'a space, AND or OR between clauses');
      if (joiner !== null && joiner !== next) {
        throw errors.invalidParam('query', 'Invalid search query: AND and OR cannot be combined in one query (whitespace between clauses means AND).');
      }
      joiner = next;
      clauses.push(this.clause());
      if (clauses.length > MAX_CLAUSES) {
        throw errors.invalidParam('query', `Invalid search query: a query has at most ${MAX_CLAUSES} clauses.`);
      }
    }
    return { joiner: joiner ?? 'and', clauses };
  }

  private clause(): Clause {
    let negated = false;
    const first = this.peek();
    if (first?.kind === 'punct' && first.text === '-') {
      negated = true;
      this.pos++;
    }
    const { field, key } = this.field();
    const opToken = this.peek();
    if (opToken?.kind !== 'op') throw syntaxError(this.query, this.where(), `an operator (:, ~, >, <, >=, <=, =) after \`${field}\``);
    this.pos++;
    const v = this.peek();
    if (v?.kind === 'string' || v?.kind === 'word') {
      this.pos++;
      return { field, key, op: opToken.text, value: v.text, quoted: v.kind === 'string', negated };
    }
    throw syntaxError(this.query, this.where(), `a value after \`${field}${opToken.text}\``);
  }

  private field(): { field: string; key: string | null } {
    const t = this.peek();
    if (t?.kind !== 'word' || this.keyword() !== null) throw syntaxError(this.query, this.where(), 'a field name');
    this.pos++;
    const next = this.peek();
    if (next?.kind === 'punct' && next.text === '[') {
      this.pos++;
      const key = this.peek();
      if (key?.kind !== 'string') throw syntaxError(this.query, this.where(), "a quoted key, as in metadata['key']");
      this.pos++;
      const close = this.peek();
      if (close?.kind !== 'punct' || close.text !== ']') throw syntaxError(this.query, this.where(), '`]`');
      this.pos++;
      return { field: t.text, key: key.text };
    }
    let path = t.text;
    while (this.peek()?.kind === 'punct' && (this.peek() as { text: string }).text === '.') {
      this.pos++;
      const part = this.peek();
      if (part?.kind !== 'word') throw syntaxError(this.query, this.where(), 'a field name after `.`');
      this.pos++;
      path += `.${part.text}`;
    }
    return { field: path, key: null };
  }
}

/**
 * Parses a search query, or throws Stripe's 400 (`param: 'query'`) saying what is wrong and where.
 * @example parseQuery(`email:'a@b.c' OR -metadata['plan']:'pro'`)
 * // { joiner: 'or', clauses: [{ field: 'email', op: ':', value: 'a@b.c', … }, { field: 'metadata', key: 'plan', negated: true, … }] }
 */
export function parseQuery(query: string): Query {
  return new Parser(query, tokenize(query)).parse();
}
