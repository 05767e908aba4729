/** Stripe param decoding and the schema builders. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from './errors.ts';
import { decodeBody, decodeParams, mergeMetadata, p, parseParams } from './params.ts';

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('decodeParams', () => {
  test('bracket nesting, indexed arrays and empty-bracket arrays', () => {
    const d = decodeParams('items[0][price]=p1&items[1][price]=p2&items[1][quantity]=3&expand[]=a&expand[]=b&name=A+B');
    assert.deepEqual(JSON.parse(JSON.stringify(d)), {
      items: [{ price: 'p1' }, { price: 'p2', quantity: '3' }],
      expand: ['a', 'b'],
      name: 'A B',
    });
  });

  test('refuses invalid UTF-8, broken escapes, deep nesting, too many parameters and __proto__', () => {
    assert.equal(errorOf(() => decodeBody(new Uint8Array([0x61, 0x3d, 0xff]))).status, 400);
    assert.equal(errorOf(() => decodeParams('a=%E2%82')).status, 400);
    assert.equal(errorOf(() => decodeParams(`a${'[b]'.repeat(9)}=c`)).status, 400);
    assert.equal(errorOf(() => decodeParams(Array.from({ length: 2001 }, (_, i) => `k${i}=1`).join('&'))).status, 400);
    const proto = errorOf(() => decodeParams('metadata[__proto__][x]=1'));
    assert.equal(proto.body.code, 'parameter_unknown');
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe('schemas', () => {
  const shape = {
    name: p.string({ max: 5 }).req(),
    count: p.integer({ min: 1, max: 10 }),
    on: p.boolean(),
    kind: p.enumOf(['a', 'b']),
    note: p.emptyable(p.string()),
    tags: p.array(p.string(), { max: 2 }),
    nested: p.object({ deep: p.object({ value: p.integer().req() }) }),
  };

  test('coerces form strings to typed values', () => {
    const out = parseParams(shape, decodeParams('name=abc&count=3&on=false&kind=b&note=&tags[0]=x&nested[deep][value]=-7'));
    assert.deepEqual(out, { name: 'abc', count: 3, on: false, kind: 'b', note: null, tags: ['x'], nested: { deep: { value: -7 } } });
  });

  test('every error names its parameter in bracket form', () => {
    const cases: [string, string, string | undefined][] = [
      ['count=1', 'name', 'parameter_missing'],
      ['name=abcdef', 'name', 'string_length_exceeds_maximum'],
      ['name=a&count=1.5', 'count', 'parameter_invalid_integer'],
      ['name=a&count=11', 'count', undefined],
      ['name=a&on=yes', 'on', undefined],
      ['name=a&kind=c', 'kind', undefined],
      ['name=a&tags[0]=1&tags[1]=2&tags[2]=3', 'tags', undefined],
      ['name=a&nested[deep][other]=1', 'nested[deep][other]', 'parameter_unknown'],
      ['name=a&nested[deep][x]=1&nested[deep][value]=2', 'nested[deep][x]', 'parameter_unknown'],
      ['name=a&nested[deep]=', 'nested[deep]', undefined],
      ['name=', 'name', 'parameter_invalid_empty'],
      ['name[0]=a', 'name', undefined],
    ];
    for (const [body, param, code] of cases) {
      const e = errorOf(() => parseParams(shape, decodeParams(body)));
      assert.equal(e.status, 400, body);
      assert.equal(e.body.param, param, body);
      if (code) assert.equal(e.body.code, code, body);
    }
  });

  test('metadata: "" deletes a key, a null map clears all, at most 50 keys', () => {
    assert.deepEqual(mergeMetadata({ a: '1', b: '2' }, { a: null, c: '3' }), { b: '2', c: '3' });
    assert.deepEqual(mergeMetadata({ a: '1' }, null), {});
    assert.deepEqual(mergeMetadata({ a: '1' }, undefined), { a: '1' });
    const full = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    assert.equal(errorOf(() => mergeMetadata(full, { extra: 'v' })).status, 400);
  });
});
