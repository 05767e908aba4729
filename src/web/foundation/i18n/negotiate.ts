/**
 * Which locale a portal page renders in. The rule (design.md §4): the session's `locale` unless it is
 * `auto` or null → the customer's `preferred_locales`, first one we support → the browser's
 * `Accept-Language`, best q-value first → `en`. Each tag is mapped onto Stripe's list the way a reader
 * would expect: `de-AT` → `de`, `en-US` → `en`, `pt-BR` → `pt-BR`, `es-MX` → `es-419`,
 * `zh-Hant-TW`/`zh-TW` → `zh-TW`, `zh-HK`/`zh-MO` → `zh-HK`, `zh-CN`/`zh-Hans` → `zh`; `ar-*` → `ar`,
 * `he-IL` and the obsolete `iw` → `he` (the two right-to-left catalogs, reached only this way, as a
 * session's `locale` follows Stripe's enum, which has neither).
 *
 * Hono's `hono/language` middleware only matches tags exactly (or by base language) against a list and
 * does not export its header parser, so the mapping and a small parser live here.
 */
import { isPortalLocale, type PortalLocale } from './index.ts';

const ENGLISH_REGIONS = new Set(['AU', 'CA', 'GB', 'IE', 'IN', 'NZ', 'SG']);
/** Obsolete or sibling codes a browser may still send, mapped to the language we have. */
const ALIASES: Record<string, string> = { no: 'nb', nn: 'nb', tl: 'fil', in: 'id', iw: 'he' };
const TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;

/**
 * Maps one BCP 47 tag (any case, `_` or `-`) to a portal locale, or null when we have no catalog for it.
 * @example matchPortalLocale('zh-Hant-TW') // 'zh-TW'
 */
export function matchPortalLocale(tag: string): PortalLocale | null {
  const clean = tag.trim().replace(/_/g, '-');
  if (!TAG.test(clean)) return null;
  const [first = '', ...rest] = clean.split('-');
  const lang = ALIASES[first.toLowerCase()] ?? first.toLowerCase();
  let script: string | null = null;
  let region: string | null = null;
  for (const part of rest) {
    if (!script && !region && /^[A-Za-z]{4}$/.test(part)) script = part.toLowerCase();
    else if (!region && /^(?:[A-Za-z]{2}|\d{3})$/.test(part)) region = part.toUpperCase();
  }
  switch (lang) {
    case 'en':
      return region && ENGLISH_REGIONS.has(region) ? (`en-${region}` as PortalLocale) : 'en';
    case 'es':
      // Spain (or no region) is `es`; every other region, `419` included, reads Latin American Spanish.
      return region === null || region === 'ES' || region === 'EA' || region === 'IC' ? 'es' : 'es-419';
    case 'fr':
      return region === 'CA' ? 'fr-CA' : 'fr';
    case 'pt':
      return region === 'BR' ? 'pt-BR' : 'pt';
    case 'zh':
      if (region === 'HK' || region === 'MO') return 'zh-HK';
      if (region === 'TW' || script === 'hant') return 'zh-TW';
      return 'zh';
    default:
      return isPortalLocale(lang) ? lang : null;
  }
}

/**
 * `Accept-Language` tags, best first: q=0 and malformed entries dropped, ties kept in header order,
 * `*` ignored (it says nothing about which language). At most 32 entries of a 4 KiB header are read.
 * @example parseAcceptLanguage('fr;q=0.5, de-AT') // ['de-AT', 'fr']
 */
export function parseAcceptLanguage(header: string | null | undefined): string[] {
  if (!header) return [];
  return header
    .slice(0, 4096)
    .split(',')
    .slice(0, 32)
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';').map((s) => s.trim());
      let q = 1;
      for (const p of params) {
        const m = /^q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i.exec(p);
        if (m) q = Number(m[1]);
        else if (/^q\s*=/i.test(p)) q = -1;
      }
      return { tag, q, index };
    })
    .filter((e) => e.q > 0 && e.tag !== '*' && TAG.test(e.tag))
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((e) => e.tag);
}

export interface LocaleInputs {
  /** The session's `locale`: a portal locale, `auto` or null. */
  sessionLocale?: string | null;
  /** The customer's `preferred_locales`. */
  preferredLocales?: readonly string[] | null;
  /** The request's `Accept-Language` header. */
  acceptLanguage?: string | null;
}

/**
 * The locale a page renders in.
 * @example negotiateLocale({ sessionLocale: 'auto', preferredLocales: ['de-AT'], acceptLanguage: 'fr' }) // 'de'
 */
export function negotiateLocale(inputs: LocaleInputs): PortalLocale {
  const { sessionLocale, preferredLocales, acceptLanguage } = inputs;
  if (sessionLocale && sessionLocale !== 'auto' && isPortalLocale(sessionLocale)) return sessionLocale;
  for (const tag of preferredLocales ?? []) {
    const locale = matchPortalLocale(tag);
    if (locale) return locale;
  }
  for (const tag of parseAcceptLanguage(acceptLanguage)) {
    const locale = matchPortalLocale(tag);
    if (locale) return locale;
  }
  return 'en';
}
