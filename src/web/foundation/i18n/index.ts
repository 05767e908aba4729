/**
 * The portal's catalogs by locale: every value of Stripe's portal `locale` enum but `auto` (`en` and 45
 * others, 46), plus Arabic (`ar`) and Hebrew (`he`), which Stripe's enum lacks: 48 in all. A session
 * cannot name `ar` or `he` (the API validates Stripe's enum), so they are reached through `auto`: the
 * customer's `preferred_locales` or the browser's `Accept-Language`. `PORTAL_LOCALES` is the closed
 * list; `portalMessages(locale)` the lookup; `localeDirection(locale)` says which ones read right to left.
 */
import { ar } from './ar.ts';
import { bg } from './bg.ts';
import { cs } from './cs.ts';
import { da } from './da.ts';
import { de } from './de.ts';
import { el } from './el.ts';
import { en, type PortalMessages } from './en.ts';
import { enAU, enCA, enGB, enIE, enIN, enNZ, enSG } from './en-variants.ts';
import { es, es419 } from './es.ts';
import { et } from './et.ts';
import { fi } from './fi.ts';
import { fil } from './fil.ts';
import { fr, frCA } from './fr.ts';
import { he } from './he.ts';
import { hr } from './hr.ts';
import { hu } from './hu.ts';
import { id } from './id.ts';
import { it } from './it.ts';
import { ja } from './ja.ts';
import { ko } from './ko.ts';
import { lt } from './lt.ts';
import { lv } from './lv.ts';
import { ms } from './ms.ts';
import { mt } from './mt.ts';
import { nb } from './nb.ts';
import { nl } from './nl.ts';
import { pl } from './pl.ts';
import { pt, ptBR } from './pt.ts';
import { ro } from './ro.ts';
import { ru } from './ru.ts';
import { sk } from './sk.ts';
import { sl } from './sl.ts';
import { sv } from './sv.ts';
import { th } from './th.ts';
import { tr } from './tr.ts';
import { vi } from './vi.ts';
import { zh } from './zh.ts';
import { zhHK, zhTW } from './zh-hant.ts';

export type { PortalMessages } from './en.ts';

export const PORTAL_CATALOGS = {
  bg, cs, da, de, el, en,
  'en-AU': enAU, 'en-CA': enCA, 'en-GB': enGB, 'en-IE': enIE, 'en-IN': enIN, 'en-NZ': enNZ, 'en-SG': enSG,
  es, 'es-419': es419, et, fi, fil, fr, 'fr-CA': frCA, hr, hu, id, it, ja, ko, lt, lv, ms, mt, nb, nl, pl,
  pt, 'pt-BR': ptBR, ro, ru, sk, sl, sv, th, tr, vi, zh, 'zh-HK': zhHK, 'zh-TW': zhTW,
  // h11rtl: right-to-left locales beyond Stripe's enum.
  ar, he,
} satisfies Record<string, PortalMessages>;

/** A locale the portal renders in: Stripe's portal `locale` values without `auto`, plus `ar` and `he`. */
export type PortalLocale = keyof typeof PORTAL_CATALOGS;

export const PORTAL_LOCALES = Object.keys(PORTAL_CATALOGS) as PortalLocale[];

export function isPortalLocale(value: unknown): value is PortalLocale {
  return typeof value === 'string' && Object.hasOwn(PORTAL_CATALOGS, value);
}

/** @example portalMessages('de').paymentMethods // 'Zahlungsmethoden' */
export function portalMessages(locale: PortalLocale): PortalMessages {
  return PORTAL_CATALOGS[locale];
}

/** The locales written right to left. */
export const RTL_LOCALES: ReadonlySet<string> = new Set<PortalLocale>(['ar', 'he']);

/**
 * The writing direction of a locale's pages, for `<html dir>`: `rtl` for Arabic and Hebrew.
 * @example localeDirection('he') // 'rtl'
 */
export function localeDirection(locale: string): 'ltr' | 'rtl' {
  return RTL_LOCALES.has(locale) ? 'rtl' : 'ltr';
}
