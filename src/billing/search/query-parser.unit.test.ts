/** The search query language: what parses to what, and the 400s for what does not. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../lib/errors.ts';
import { compileQuery } from './fields.ts';
import { parseQuery, tokenize } from './query-parser.ts';

/** The error message of a 400 on `query`, or fails. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.status, 400);
    assert.equal(err.body.type, 'invalid_request_error');
    assert.equal(err.body.param, 'query');
    return err.body.message;
  }
  assert.fail('expected a 400');
}

const clause = (field: string, op: string, value: string, more: object = {}) => ({
  field,
  key: null,
  op,
  value,
  quoted: true,
  negated: false,
  ...more,
});

describe('parseQuery', () => {
  test('one clause, single or double quotes, escapes', () => {
    assert.deepEqual(parseQuery(`email:'a@b.c'`), { joiner: 'and', clauses: [clause('email', ':', 'a@b.c')] });
    assert.deepEqual(parseQuery(`name:"O'Brien"`).clauses[0], clause('name', ':', "O'Brien"));
    assert.deepEqual(parseQuery(`name:'O\\'Brien \\\\ x'`).clauses[0], clause('name', ':', "O'Brien \\ x"));
  });

  test('metadata keys, dotted fields, bare numbers and null', () => {
    assert.deepEqual(parseQuery(`metadata['plan']:'pro'`).clauses[0], clause('metadata', ':', 'pro', { key: 'plan' }));
    assert.deepEqual(parseQuery(`metadata["a b"]:null`).clauses[0], clause('metadata', ':', 'null', { key: 'a b', quoted: false }));
    assert.deepEqual(parseQuery('created>1700000000').clauses[0], clause('created', '>', '1700000000', { quoted: false }));
    assert.deepEqual(parseQuery('total<=-5').clauses[0], clause('total', '<=', '-5', { quoted: false }));
    assert.deepEqual(parseQuery(`a.b.c:'x'`).clauses[0], clause('a.b.c', ':', 'x'));
  });

  test('whitespace and AND join with AND; OR with OR; keywords in any case', () => {
    const implicit = parseQuery(`email:'a@b.c'   status:'x'`);
    assert.equal(implicit.joiner, 'and');
    assert.equal(implicit.clauses.length, 2);
    assert.equal(parseQuery(`email:'a' and name:'b' AND phone:'c'`).joiner, 'and');
    const or = parseQuery(`email:'a' OR email:'b' or email:'c'`);
    assert.equal(or.joiner, 'or');
    assert.deepEqual(or.clauses.map((c) => c.value), ['a', 'b', 'c']);
  });

  test('a leading minus negates a clause; inside a value it does not', () => {
    const q = parseQuery(`-email:'a' -metadata['k']:'v-1'`);
    assert.deepEqual(q.clauses.map((c) => c.negated), [true, true]);
    assert.equal(q.clauses[1]!.value, 'v-1');
  });

  test('a word that is AND or OR inside a quoted value is a value', () => {
    assert.equal(parseQuery(`name:'AND'`).clauses[0]!.value, 'AND');
  });

  test('mixing AND and OR is refused, implicit AND included', () => {
    assert.match(refusal(() => parseQuery(`a:'1' AND b:'2' OR c:'3'`)), /AND and OR cannot be combined/);
    assert.match(refusal(() => parseQuery(`a:'1' b:'2' OR c:'3'`)), /AND and OR cannot be combined/);
  });

  test('malformed queries say what was expected and where', () => {
    assert.match(refusal(() => parseQuery('')), /empty/);
    assert.match(refusal(() => parseQuery('   ')), /empty/);
    assert.match(refusal(() => parseQuery(`email:'a@b.c`)), /closing '/);
    assert.match(refusal(() => parseQuery(`email 'x'`)), /an operator/);
    assert.match(refusal(() => parseQuery(`email:`)), /a value after `email:`/);
    assert.match(refusal(() => parseQuery(`email:'a'name:'b'`)), /a space, AND or OR/);
    assert.match(refusal(() => parseQuery(`email:'a' AND`)), /a space after AND|a field name/);
    assert.match(refusal(() => parseQuery(`email:'a' AND OR b:'c'`)), /a field name/);
    assert.match(refusal(() => parseQuery(`metadata[plan]:'x'`)), /quoted key/);
    assert.match(refusal(() => parseQuery(`(email:'a')`)), /position 0/);
    assert.match(refusal(() => parseQuery(`email:'a' | b:'c'`)), /position 10/);
  });

  test('at most 10 clauses', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `metadata['k${i}']:'v'`).join(' ');
    assert.equal(parseQuery(ten).clauses.length, 10);
    assert.match(refusal(() => parseQuery(`${ten} email:'x'`)), /at most 10 clauses/);
  });

  test('tokenize keeps runs of whitespace as one separator', () => {
    assert.deepEqual(tokenize(`a:'b'  \t c:1`).map((t) => t.kind), ['word', 'op', 'string', 'space', 'word', 'op', 'word']);
  });
});

describe('compileQuery: fields per resource', () => {
  const compile = (object: Parameters<typeof compileQuery>[0], q: string) => compileQuery(object, parseQuery(q));

  test("each resource's own fields compile", () => {
    compile('customer', `email:'a@b.c' name~'jen' phone:'1' created>=1 metadata['x']:'y'`);
    compile('invoice', `status:'paid' currency:'USD' customer:'cus_1' total>100 number:'X-1' subscription:'sub_1'`);
    compile('price', `active:'true' currency:'usd' lookup_key:'k' product:'prod_1' type:'recurring'`);
    compile('product', `active:'false' name~'pro' description~'abc' shippable:'true' url:'https://x'`);
    compile('subscription', `status:'active' created<5 -metadata['k']:null`);
  });

  test('an unsupported field is refused naming the fields there are', () => {
    assert.match(refusal(() => compile('subscription', `email:'a'`)), /`email` is not a field you can search subscriptions by\. The fields are: created, metadata, status\./);
    assert.match(refusal(() => compile('customer', `address.city:'Paris'`)), /`address.city` is not a field/);
    assert.match(refusal(() => compile('customer', `metadata:'x'`)), /one key at a time/);
  });

  test('operators each field type allows', () => {
    assert.match(refusal(() => compile('subscription', `status~'act'`)), /supports only `:` \(exact matches\)/);
    assert.match(refusal(() => compile('customer', `email~'ab'`)), /at least 3 characters/);
    assert.match(refusal(() => compile('customer', `email>'a'`)), /`:` \(exact\) and `~` \(substring\)/);
    assert.match(refusal(() => compile('customer', `created:'yesterday'`)), /not an integer/);
    assert.match(refusal(() => compile('customer', `created~'123'`)), /numeric/);
    assert.match(refusal(() => compile('price', `active:'yes'`)), /true or false/);
    assert.match(refusal(() => compile('customer', `metadata['k']~'abc'`)), /only exact matches/);
    assert.match(refusal(() => compile('customer', `email>null`)), /null can only be matched with `:`/);
  });
});
