/** Every portal catalog has every key of `en`, no empty message, and is really translated. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { en } from './en.ts';
import { PORTAL_CATALOGS, PORTAL_LOCALES, isPortalLocale, localeDirection, portalMessages } from './index.ts';
import type { Interval } from './plural.ts';

/** Stripe's portal `locale` enum (stripe-api.md §6) without `auto`. */
const STRIPE_LOCALES =
  'bg cs da de el en en-AU en-CA en-GB en-IE en-IN en-NZ en-SG es es-419 et fi fil fr fr-CA hr hu id it ja ko lt lv ms mt nb nl pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW'.split(' ');

const INTERVALS: Interval[] = ['day', 'week', 'month', 'year'];

/** Every message of a catalog as text, functions called with sample arguments. */
function samples(messages: typeof en): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(messages)) {
    if (typeof value === 'string') out.set(key, value);
  }
  out.set('returnTo', messages.returnTo('Acme'));
  out.set('subscriptionRenews', messages.subscriptionRenews('D8'));
  out.set('subscriptionCancels', messages.subscriptionCancels('D8'));
  out.set('trialEnds', messages.trialEnds('D8'));
  out.set('quantityOf', messages.quantityOf('7'));
  out.set('loginIntro', messages.loginIntro('Acme'));
  out.set('loginEmailSubject', messages.loginEmailSubject('Acme'));
  out.set('loginEmailBody', messages.loginEmailBody('Acme', 'https://x.test/p/l'));
  out.set('customerSince', messages.customerSince('D8'));
  out.set('cardEnding', messages.cardEnding('Visa', '4242'));
  out.set('cardExpires', messages.cardExpires('12/2034'));
  out.set('threeDsPaymentIntro', messages.threeDsPaymentIntro('A$'));
  out.set('payInvoiceTitle', messages.payInvoiceTitle('INV-7'));
  out.set('payAmount', messages.payAmount('A$'));
  for (const interval of INTERVALS) {
    for (const n of [1, 2, 3, 5, 11, 21, 22, 25, 101]) out.set(`pricePerInterval:${interval}:${n}`, messages.pricePerInterval('A$', interval, n));
  }
  return out;
}

test('the catalogs are Stripe’s portal locales, plus Arabic and Hebrew', () => {
  assert.deepEqual([...PORTAL_LOCALES].sort(), [...STRIPE_LOCALES, 'ar', 'he'].sort());
  // 47 enum values: `auto`, `en` and 45 others; then the two right-to-left catalogs.
  assert.equal(PORTAL_LOCALES.length, 48);
  assert.ok(isPortalLocale('ar') && isPortalLocale('he'));
  assert.deepEqual(PORTAL_LOCALES.filter((l) => localeDirection(l) === 'rtl').sort(), ['ar', 'he']);
  assert.ok(isPortalLocale('pt-BR'));
  assert.ok(!isPortalLocale('auto'));
  assert.ok(!isPortalLocale('toString'));
  assert.ok(!isPortalLocale('pt-br'));
});

test('every catalog has every key, of the same kind, and nothing else', () => {
  const keys = Object.keys(en).sort();
  for (const locale of PORTAL_LOCALES) {
    const messages = portalMessages(locale);
    assert.deepEqual(Object.keys(messages).sort(), keys, locale);
    for (const key of keys) {
      assert.equal(typeof messages[key as keyof typeof en], typeof en[key as keyof typeof en], `${locale}.${key}`);
    }
  }
});

test('no message is empty or whitespace, and interpolated ones keep their arguments', () => {
  for (const locale of PORTAL_LOCALES) {
    const m = portalMessages(locale);
    for (const [key, text] of samples(m)) {
      assert.ok(text.trim().length > 0, `${locale}.${key} is empty`);
      assert.ok(!text.includes('%a') && !/(^|[^\d])#([^\d]|$)/.test(text), `${locale}.${key} left a placeholder: ${text}`);
    }
    assert.match(m.returnTo('Acme'), /Acme/, locale);
    assert.match(m.subscriptionRenews('D8'), /D8/, locale);
    assert.match(m.subscriptionCancels('D8'), /D8/, locale);
    assert.match(m.trialEnds('D8'), /D8/, locale);
    assert.match(m.quantityOf('7'), /7/, locale);
    assert.match(m.loginEmailSubject('Acme'), /Acme/, locale);
    const body = m.loginEmailBody('Acme', 'https://x.test/p/l');
    assert.ok(body.includes('Acme') && body.includes('\n\nhttps://x.test/p/l\n\n'), `${locale}: the link stands on its own line`);
    assert.match(m.linkSent, /10/, `${locale}: the confirmation says 10 minutes`);
    assert.match(m.loginLinkInvalidBody, /10/, `${locale}: the invalid-link page says 10 minutes`);
    assert.match(m.customerSince('D8'), /D8/, locale);
    assert.match(m.poweredBy, /Portico/, locale);
    assert.ok(m.cardEnding('Visa', '4242').includes('Visa') && m.cardEnding('Visa', '4242').includes('4242'), `${locale}.cardEnding`);
    assert.match(m.cardExpires('12/2034'), /12\/2034/, locale);
    for (const f of [m.threeDsPaymentIntro, m.payAmount]) assert.match(f('A$'), /A\$/, locale);
    assert.match(m.payInvoiceTitle('INV-7'), /INV-7/, locale);
    assert.match(m.testCardsNotice, /4242 4242 4242 4242/, `${locale}: the test card number is written as it is typed`);
    for (const interval of INTERVALS) {
      assert.match(m.pricePerInterval('A$', interval, 1), /A\$/, `${locale} per ${interval}`);
      const every = m.pricePerInterval('A$', interval, 3);
      assert.ok(every.includes('A$') && /3/.test(every), `${locale} every 3 ${interval}: ${every}`);
    }
  }
});

test('non-English catalogs are translated: at most a handful of messages equal English', () => {
  const english = samples(en);
  // Words that really are the same in some languages ("Status", "Email", "Standard", "Portal"), at most 4.
  for (const locale of PORTAL_LOCALES.filter((l) => !l.startsWith('en'))) {
    const same = [...samples(PORTAL_CATALOGS[locale])].filter(([key, text]) => english.get(key) === text).map(([k]) => k);
    assert.ok(same.length <= 4, `${locale} still has English: ${same.join(', ')}`);
  }
});

test('regional English differs from US English only in spelling', () => {
  for (const locale of ['en-AU', 'en-CA', 'en-GB', 'en-IE', 'en-IN', 'en-NZ', 'en-SG'] as const) {
    assert.equal(portalMessages(locale).canceled, 'Cancelled');
    assert.equal(portalMessages(locale).paymentMethods, en.paymentMethods);
  }
});

test('recurring prices and plurals read naturally', () => {
  assert.equal(en.pricePerInterval('$10.00', 'month', 1), '$10.00 per month');
  assert.equal(en.pricePerInterval('$30.00', 'month', 3), '$30.00 every 3 months');
  assert.equal(en.pricePerInterval('$1.00', 'year', 2), '$1.00 every 2 years');
  assert.equal(portalMessages('de').pricePerInterval('30,00 €', 'month', 3), '30,00 € alle 3 Monate');
  assert.equal(portalMessages('fr').pricePerInterval('30 €', 'week', 2), '30 € toutes les 2 semaines');
  // Polish: 2–4 take "miesiące", 5–21 "miesięcy", 22–24 "miesiące" again.
  const pl = portalMessages('pl');
  assert.equal(pl.pricePerInterval('X', 'month', 3), 'X co 3 miesiące');
  assert.equal(pl.pricePerInterval('X', 'month', 5), 'X co 5 miesięcy');
  assert.equal(pl.pricePerInterval('X', 'month', 12), 'X co 12 miesięcy');
  assert.equal(pl.pricePerInterval('X', 'month', 22), 'X co 22 miesiące');
  // Russian: 21 is singular, 3 paucal, 5 genitive plural.
  const ru = portalMessages('ru');
  assert.equal(ru.pricePerInterval('X', 'month', 21), 'X каждый 21 месяц');
  assert.equal(ru.pricePerInterval('X', 'month', 3), 'X каждые 3 месяца');
  assert.equal(ru.pricePerInterval('X', 'month', 5), 'X каждые 5 месяцев');
  assert.equal(portalMessages('ja').pricePerInterval('￥3,000', 'month', 3), '￥3,000/3か月');
  assert.equal(portalMessages('tr').pricePerInterval('₺90', 'month', 3), '3 ayda bir ₺90');
  // Large counts use the locale's digits grouping.
  assert.equal(portalMessages('de').pricePerInterval('X', 'day', 1000), 'X alle 1.000 Tage');
});

test('Arabic counts take all six CLDR plural forms', () => {
  // Intl.PluralRules('ar'): 0 zero, 1 one, 2 two, 3–10 few, 11–99 many, 100–102 other (and 103 few again).
  const ar = portalMessages('ar');
  const every = (n: number) => ar.pricePerInterval('X', 'month', n);
  assert.equal(every(1), 'X في الشهر');
  assert.equal(every(0), 'X كل 0 شهر');
  assert.equal(every(2), 'X كل شهرين');
  assert.equal(every(3), 'X كل 3 أشهر');
  assert.equal(every(10), 'X كل 10 أشهر');
  assert.equal(every(11), 'X كل 11 شهرًا');
  assert.equal(every(99), 'X كل 99 شهرًا');
  assert.equal(every(100), 'X كل 100 شهر');
  assert.equal(every(103), 'X كل 103 أشهر');
  assert.equal(ar.pricePerInterval('X', 'year', 2), 'X كل سنتين');
  assert.equal(ar.pricePerInterval('X', 'week', 5), 'X كل 5 أسابيع');
  assert.equal(ar.pricePerInterval('X', 'day', 12), 'X كل 12 يومًا');
  assert.equal(ar.offerMonths('10%', 1), 'خصم 10% لمدة شهر واحد');
  assert.equal(ar.offerMonths('10%', 2), 'خصم 10% لمدة شهرين');
  assert.equal(ar.offerMonths('10%', 6), 'خصم 10% لمدة 6 أشهر');
  assert.equal(ar.offerMonths('10%', 12), 'خصم 10% لمدة 12 شهرًا');
  // Grouping in the locale (Latin digits: CLDR's default numbering for `ar`).
  assert.equal(every(1000), `X كل ${new Intl.NumberFormat('ar').format(1000)} شهر`);
});

test('Hebrew counts take one, two (the dual) and other', () => {
  const he = portalMessages('he');
  assert.equal(he.pricePerInterval('X', 'month', 1), 'X לחודש');
  assert.equal(he.pricePerInterval('X', 'month', 2), 'X כל חודשיים');
  assert.equal(he.pricePerInterval('X', 'month', 3), 'X כל 3 חודשים');
  assert.equal(he.pricePerInterval('X', 'week', 2), 'X כל שבועיים');
  assert.equal(he.pricePerInterval('X', 'year', 10), 'X כל 10 שנים');
  assert.equal(he.pricePerInterval('X', 'day', 20), 'X כל 20 ימים');
  assert.equal(he.offerMonths('10%', 1), 'הנחה של 10% לחודש אחד');
  assert.equal(he.offerMonths('10%', 2), 'הנחה של 10% לחודשיים');
  assert.equal(he.offerMonths('10%', 6), 'הנחה של 10% ל-6 חודשים');
});
