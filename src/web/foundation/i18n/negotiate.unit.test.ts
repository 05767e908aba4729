/** Locale negotiation: session locale → preferred_locales → Accept-Language → en. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchPortalLocale, negotiateLocale, parseAcceptLanguage } from './negotiate.ts';

test('tags map onto Stripe’s list', () => {
  const cases: [string, string | null][] = [
    ['pt-BR', 'pt-BR'], ['pt_br', 'pt-BR'], ['pt-PT', 'pt'], ['pt', 'pt'],
    ['de-AT', 'de'], ['de-CH', 'de'], ['DE', 'de'],
    ['en-US', 'en'], ['en', 'en'], ['en-GB', 'en-GB'], ['en-au', 'en-AU'], ['en-IN', 'en-IN'], ['en-ZA', 'en'],
    ['zh-Hant-TW', 'zh-TW'], ['zh-TW', 'zh-TW'], ['zh-Hant', 'zh-TW'], ['zh-HK', 'zh-HK'], ['zh-Hant-HK', 'zh-HK'],
    ['zh-MO', 'zh-HK'], ['zh-CN', 'zh'], ['zh-Hans-CN', 'zh'], ['zh-SG', 'zh'], ['zh', 'zh'],
    ['es-MX', 'es-419'], ['es-419', 'es-419'], ['es-AR', 'es-419'], ['es-US', 'es-419'], ['es-ES', 'es'], ['es', 'es'],
    ['fr-CA', 'fr-CA'], ['fr-BE', 'fr'], ['nb-NO', 'nb'], ['no', 'nb'], ['nn', 'nb'], ['fil-PH', 'fil'], ['tl', 'fil'],
    ['ms-MY', 'ms'], ['mt', 'mt'], ['sr', null], ['fa', null], ['sw', null], ['x-klingon', null], ['', null], ['*', null],
    ['en-US;q=1', null], ['<script>', null],
  ];
  for (const [tag, want] of cases) assert.equal(matchPortalLocale(tag), want, tag);
});

test('Accept-Language: q-values order, ties keep header order, q=0 and junk dropped', () => {
  assert.deepEqual(parseAcceptLanguage('fr;q=0.5, de-AT, en;q=0.8'), ['de-AT', 'en', 'fr']);
  assert.deepEqual(parseAcceptLanguage('da, en-GB;q=0.8, en;q=0.7'), ['da', 'en-GB', 'en']);
  assert.deepEqual(parseAcceptLanguage('ja;q=0, ko;q=0.1'), ['ko']);
  assert.deepEqual(parseAcceptLanguage('*, it;q=0.9'), ['it']);
  assert.deepEqual(parseAcceptLanguage('fr;q=2, de;q=abc, nl;q=0.3'), ['nl']);
  assert.deepEqual(parseAcceptLanguage('a b, ;q=1, sv ; q=0.4'), ['sv']);
  assert.deepEqual(parseAcceptLanguage(''), []);
  assert.deepEqual(parseAcceptLanguage(undefined), []);
  assert.equal(parseAcceptLanguage(Array.from({ length: 100 }, () => 'fr').join(',')).length, 32);
});

test('the session locale wins unless auto or null', () => {
  assert.equal(negotiateLocale({ sessionLocale: 'ja', preferredLocales: ['de'], acceptLanguage: 'fr' }), 'ja');
  assert.equal(negotiateLocale({ sessionLocale: 'pt-BR' }), 'pt-BR');
  assert.equal(negotiateLocale({ sessionLocale: 'auto', preferredLocales: ['de-AT'], acceptLanguage: 'fr' }), 'de');
  assert.equal(negotiateLocale({ sessionLocale: null, preferredLocales: ['de-AT'], acceptLanguage: 'fr' }), 'de');
  // A value outside the enum (the API rejects it, but be safe) is treated as auto.
  assert.equal(negotiateLocale({ sessionLocale: 'xx', acceptLanguage: 'fr' }), 'fr');
});

test('preferred_locales: the first one we support', () => {
  assert.equal(negotiateLocale({ preferredLocales: ['fa', 'sw', 'es-MX', 'fr'], acceptLanguage: 'de' }), 'es-419');
  assert.equal(negotiateLocale({ preferredLocales: ['zh-Hant-TW'] }), 'zh-TW');
  assert.equal(negotiateLocale({ preferredLocales: ['zh-CN'] }), 'zh');
  assert.equal(negotiateLocale({ preferredLocales: [], acceptLanguage: 'de' }), 'de');
  assert.equal(negotiateLocale({ preferredLocales: ['fa'], acceptLanguage: 'fa, sw;q=0.9, pl;q=0.1' }), 'pl');
});

test('Accept-Language, then en', () => {
  assert.equal(negotiateLocale({ acceptLanguage: 'en-US,en;q=0.9' }), 'en');
  assert.equal(negotiateLocale({ acceptLanguage: 'fr-CA,fr;q=0.9,en;q=0.8' }), 'fr-CA');
  assert.equal(negotiateLocale({ acceptLanguage: 'zh-HK,zh;q=0.9' }), 'zh-HK');
  assert.equal(negotiateLocale({ acceptLanguage: 'fa-IR' }), 'en');
  assert.equal(negotiateLocale({}), 'en');
});

test('Arabic and Hebrew are reached through auto: preferred_locales or Accept-Language (iw too)', () => {
  assert.equal(matchPortalLocale('ar-EG'), 'ar');
  assert.equal(matchPortalLocale('ar'), 'ar');
  assert.equal(matchPortalLocale('he-IL'), 'he');
  assert.equal(matchPortalLocale('iw'), 'he');
  assert.equal(negotiateLocale({ sessionLocale: 'auto', preferredLocales: ['ar-SA'], acceptLanguage: 'en' }), 'ar');
  assert.equal(negotiateLocale({ sessionLocale: null, acceptLanguage: 'he-IL,he;q=0.9,en;q=0.8' }), 'he');
  assert.equal(negotiateLocale({ sessionLocale: 'fr', acceptLanguage: 'ar' }), 'fr');
});
