/**
 * Tax ID formats: which `type`s exist, what a well-formed value of each looks like, and which country
 * it implies.
 *
 * Values are compared after normalisation (every whitespace removed, upper-cased), which is also the
 * form stored. The commonly used types have their national format (and a check digit where the scheme
 * has a simple public one: ABN, CNPJ, CPF); every other type of the SDK's `TaxId.Type` union is only
 * checked for being plausible (some letter or digit, at most 64 characters). A malformed value is
 * Stripe's 400 `Invalid value for <type>.` (code `tax_id_invalid`, param `value`).
 */
import { errors } from '../lib/errors.ts';
import { p } from '../lib/params.ts';

/** Every type a tax ID may be created with (the SDK's union, minus the legacy `unknown`). */
export const TAX_ID_TYPES = [
  'ad_nrt', 'ae_trn', 'al_tin', 'am_tin', 'ao_tin', 'ar_cuit', 'au_abn', 'au_acn', 'au_arn', 'au_wpn',
  'aw_tin', 'az_tin', 'ba_tin', 'bb_tin', 'bd_bin', 'bf_ifu', 'bg_uic', 'bh_vat', 'bj_ifu', 'bo_tin',
  'br_cnpj', 'br_cpf', 'bs_tin', 'bw_vat', 'by_tin', 'ca_bn', 'ca_gst_hst', 'ca_pst_bc', 'ca_pst_mb',
  'ca_pst_sk', 'ca_qst', 'cd_nif', 'ch_uid', 'ch_vat', 'ci_vat', 'cl_tin', 'cm_niu', 'cn_tin', 'co_nit',
  'cr_tin', 'cv_nif', 'cz_dic', 'de_stn', 'do_rcn', 'ec_ruc', 'eg_tin', 'es_cif', 'et_tin', 'eu_oss_vat',
  'eu_vat', 'fo_vat', 'fr_siren', 'fr_siret', 'fr_spi', 'gb_vat', 'ge_vat', 'gh_tin', 'gi_tin', 'gn_nif',
  'hk_br', 'hr_oib', 'hu_tin', 'ic_nif', 'id_npwp', 'il_vat', 'in_gst', 'is_kt', 'is_vat', 'it_cf',
  'jp_cn', 'jp_rn', 'jp_trn', 'ke_pin', 'kg_tin', 'kh_tin', 'kr_brn', 'kz_bin', 'la_tin', 'li_uid',
  'li_vat', 'lk_vat', 'ma_vat', 'md_cf', 'md_vat', 'me_pib', 'mk_vat', 'mr_nif', 'mu_vat', 'mx_rfc',
  'my_frp', 'my_itn', 'my_sst', 'mz_nuit', 'ng_tin', 'no_vat', 'no_voec', 'np_pan', 'nz_bn', 'nz_gst',
  'om_vat', 'pe_ruc', 'ph_tin', 'pl_nip', 'pt_nif', 'py_ruc', 'ro_tin', 'rs_pib', 'ru_inn', 'ru_kpp',
  'sa_vat', 'sg_gst', 'sg_uen', 'si_tin', 'sm_coe', 'sn_ninea', 'sr_fin', 'sv_nit', 'th_vat', 'tj_tin',
  'tr_tin', 'tt_bir', 'tt_vat', 'tw_vat', 'tz_vat', 'ua_vat', 'ug_tin', 'us_ein', 'uy_ruc', 'uz_tin',
  'uz_vat', 've_rif', 'vn_tin', 'za_vat', 'zm_tin', 'zw_tin',
] as const;

export type TaxIdType = (typeof TAX_ID_TYPES)[number];

/** `{type, value}` as `POST /v1/customers/{id}/tax_ids` and `tax_id_data[]` take it. */
export const taxIdDataShape = {
  type: p.enumOf(TAX_ID_TYPES).req(),
  value: p.string({ max: 5000 }).req(),
};

const isDigits = (s: string, n: number) => s.length === n && /^\d+$/.test(s);

/** Each character's value in Brazil's (alphanumeric since 2026) CNPJ / CPF check: its code minus '0'. */
function mod11Digit(chars: string, weights: number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (chars.charCodeAt(i) - 48) * weights[i]!;
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

/** Australian Business Number: 11 digits; first digit minus one, weighted sum divisible by 89. */
export function isValidAbn(value: string): boolean {
  if (!isDigits(value, 11)) return false;
  const weights = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
  let sum = 0;
  for (let i = 0; i < 11; i++) sum += (Number(value[i]) - (i === 0 ? 1 : 0)) * weights[i]!;
  return sum % 89 === 0;
}

/** CNPJ: 12 alphanumeric characters and two mod-11 check digits, optionally punctuated `AA.AAA.AAA/AAAA-DD`. */
export function isValidCnpj(value: string): boolean {
  if (!/^[0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}\/?[0-9A-Z]{4}-?\d{2}$/.test(value)) return false;
  const s = value.replace(/[./-]/g, '');
  if (/^(\d)\1{13}$/.test(s)) return false;
  const first = mod11Digit(s, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const second = mod11Digit(s, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return Number(s[12]) === first && Number(s[13]) === second;
}

/** CPF: 9 digits and two mod-11 check digits, optionally punctuated `DDD.DDD.DDD-DD`. */
export function isValidCpf(value: string): boolean {
  if (!/^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$/.test(value)) return false;
  const s = value.replace(/[.-]/g, '');
  if (/^(\d)\1{10}$/.test(s)) return false;
  const first = mod11Digit(s, [10, 9, 8, 7, 6, 5, 4, 3, 2]);
  const second = mod11Digit(s, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
  return Number(s[9]) === first && Number(s[10]) === second;
}

/** UK VAT numbers (also Northern Ireland's `XI…`): 9 or 12 digits, or government departments / health authorities. */
const UK_VAT = /^(\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2})$/;

/** The national part of an EU VAT number, by its two-letter prefix. */
const EU_VAT: Record<string, RegExp> = {
  AT: /^U\d{8}$/,
  BE: /^[01]\d{9}$/,
  BG: /^\d{9,10}$/,
  CY: /^\d{8}[A-Z]$/,
  CZ: /^\d{8,10}$/,
  DE: /^\d{9}$/,
  DK: /^\d{8}$/,
  EE: /^\d{9}$/,
  EL: /^\d{9}$/,
  GR: /^\d{9}$/,
  ES: /^([A-Z]\d{7}[A-Z0-9]|\d{8}[A-Z])$/,
  FI: /^\d{8}$/,
  FR: /^[0-9A-HJ-NP-Z]{2}\d{9}$/,
  HR: /^\d{11}$/,
  HU: /^\d{8}$/,
  IE: /^(\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$/,
  IT: /^\d{11}$/,
  LT: /^(\d{9}|\d{12})$/,
  LU: /^\d{8}$/,
  LV: /^\d{11}$/,
  MT: /^\d{8}$/,
  NL: /^\d{9}B\d{2}$/,
  PL: /^\d{10}$/,
  PT: /^\d{9}$/,
  RO: /^[1-9]\d{1,9}$/,
  SE: /^\d{10}01$/,
  SI: /^\d{8}$/,
  SK: /^\d{10}$/,
  XI: UK_VAT,
};

/** The ISO country an EU VAT prefix stands for (Greece writes `EL`, Northern Ireland `XI`). */
const EU_VAT_COUNTRY: Record<string, string> = { EL: 'GR', XI: 'GB' };

export const EU_VAT_PREFIXES = Object.keys(EU_VAT);

interface Format {
  valid(value: string): boolean;
  /** The implied country when it depends on the value (otherwise the type's own country). */
  country?(value: string): string;
}

const pattern = (re: RegExp): Format => ({ valid: (v) => re.test(v) });

const SWISS_NUMBER = String.raw`CHE-?\d{3}\.?\d{3}\.?\d{3}`;

/** The types with a known national format. */
const FORMATS: Partial<Record<TaxIdType, Format>> = {
  eu_vat: {
    valid: (v) => EU_VAT[v.slice(0, 2)]?.test(v.slice(2)) ?? false,
    country: (v) => EU_VAT_COUNTRY[v.slice(0, 2)] ?? v.slice(0, 2),
  },
  gb_vat: { valid: (v) => UK_VAT.test(v.startsWith('GB') ? v.slice(2) : v) },
  us_ein: pattern(/^\d{2}-?\d{7}$/),
  ca_bn: pattern(/^\d{9}$/),
  ca_gst_hst: pattern(/^\d{9}RT\d{4}$/),
  ca_pst_bc: pattern(/^PST-?\d{4}-?\d{4}$/),
  ca_pst_mb: pattern(/^\d{6}-?\d$/),
  ca_pst_sk: pattern(/^\d{7}$/),
  ca_qst: pattern(/^\d{10}TQ\d{4}$/),
  au_abn: { valid: isValidAbn },
  au_arn: pattern(/^\d{12}$/),
  in_gst: pattern(/^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/),
  jp_cn: pattern(/^\d{13}$/),
  jp_rn: pattern(/^\d{5}$/),
  jp_trn: pattern(/^T\d{13}$/),
  ch_vat: pattern(new RegExp(`^${SWISS_NUMBER}(MWST|TVA|IVA|TPV)$`)),
  ch_uid: pattern(new RegExp(`^${SWISS_NUMBER}$`)),
  no_vat: pattern(/^(NO)?\d{9}MVA$/),
  no_voec: pattern(/^\d{7}$/),
  br_cnpj: { valid: isValidCnpj },
  br_cpf: { valid: isValidCpf },
  // Companies: 3 letters, 4 for people; then the date (YYMMDD) and a 3-character homoclave.
  mx_rfc: pattern(/^[A-ZÑ&]{3,4}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[A-Z0-9]{3}$/),
};

/** Types whose first two letters are not the country they belong to. */
const TYPE_COUNTRY: Partial<Record<TaxIdType, string | null>> = {
  eu_oss_vat: null, // the EU's non-Union OSS scheme: no single country
  ic_nif: 'ES', // Canary Islands
};

/** A plausible value for a type without a known format. */
function plausible(value: string): boolean {
  return value.length <= 64 && /[\p{L}\p{N}]/u.test(value);
}

export function isTaxIdType(type: string): type is TaxIdType {
  return (TAX_ID_TYPES as readonly string[]).includes(type);
}

/** The stored form of a value: without any whitespace, upper-cased. */
export function normalizeTaxIdValue(value: string): string {
  return value.replace(/\s+/g, '').toUpperCase();
}

/** Whether the (normalised) value is well-formed for the type. */
export function isValidTaxIdValue(type: TaxIdType, value: string): boolean {
  if (value === '') return false;
  const format = FORMATS[type];
  return format ? format.valid(value) : plausible(value);
}

/** The country a well-formed value of this type implies (ISO 3166-1 alpha-2), or null. */
export function taxIdCountry(type: TaxIdType, value: string): string | null {
  const fromValue = FORMATS[type]?.country;
  if (fromValue) return fromValue(value);
  if (Object.hasOwn(TYPE_COUNTRY, type)) return TYPE_COUNTRY[type] ?? null;
  return type.slice(0, 2).toUpperCase();
}

/**
 * Validates a tax ID as the API receives it and returns its stored value and country, or throws
 * Stripe's 400 naming `params.type` (unknown type) or `params.value` (malformed value).
 * @example checkTaxId('eu_vat', 'de 123 456 789') // { type: 'eu_vat', value: 'DE123456789', country: 'DE' }
 */
export function checkTaxId(
  type: string,
  rawValue: string,
  params: { type: string; value: string } = { type: 'type', value: 'value' },
): { type: TaxIdType; value: string; country: string | null } {
  if (!isTaxIdType(type)) {
    throw errors.invalidParam(params.type, `Invalid ${params.type}: must be one of ${TAX_ID_TYPES.join(', ')}`);
  }
  const value = normalizeTaxIdValue(rawValue);
  if (!isValidTaxIdValue(type, value)) {
    throw errors.invalidParam(params.value, `Invalid value for ${type}.`, 'tax_id_invalid');
  }
  return { type, value, country: taxIdCountry(type, value) };
}
