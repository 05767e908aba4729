/** Tax ID formats: well-formed and malformed values per type, normalisation, implied countries, errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../lib/errors.ts';
import {
  checkTaxId,
  EU_VAT_PREFIXES,
  isValidAbn,
  isValidCnpj,
  isValidCpf,
  isValidTaxIdValue,
  normalizeTaxIdValue,
  TAX_ID_TYPES,
  taxIdCountry,
  type TaxIdType,
} from './tax-id-formats.ts';

/** Per type: values that must pass and values that must fail (as sent; normalised before checking). */
const CASES: Partial<Record<TaxIdType, { valid: string[]; invalid: string[] }>> = {
  gb_vat: {
    valid: ['GB123456789', '123456789', 'GB123456789012', 'GBGD001', 'GBHA599', 'gb 123 4567 89'],
    invalid: ['GB12345678', 'GB1234567890', 'GBGD500', 'GBHA499', 'XI123456789', 'DE123456789'],
  },
  us_ein: { valid: ['12-3456789', '123456789'], invalid: ['12-345678', '1-23456789', 'AB-3456789', '12_3456789'] },
  ca_bn: { valid: ['123456789'], invalid: ['12345678', '1234567890', '12345678A'] },
  ca_gst_hst: {
    valid: ['123456789RT0002', '123456789rt0001'],
    invalid: ['123456789RP0002', '123456789RT002', '123456789'],
  },
  ca_pst_bc: { valid: ['PST-1234-5678', 'PST12345678'], invalid: ['1234-5678', 'PST-123-5678', 'GST-1234-5678'] },
  ca_pst_mb: { valid: ['123456-7', '1234567'], invalid: ['12345-6', '123456-78', 'ABCDEF-7'] },
  ca_pst_sk: { valid: ['1234567'], invalid: ['123456', '12345678', '123456A'] },
  ca_qst: {
    valid: ['1234567890TQ1234', '1234567890 TQ 0001'],
    invalid: ['1234567890TQ123', '123456789TQ1234', '1234567890RT1234'],
  },
  au_abn: {
    valid: ['51824753556', '51 824 753 556', '53004085616'],
    invalid: ['51824753557', '12345678912', '5182475355', 'ABN51824753556'],
  },
  au_arn: { valid: ['123456789123'], invalid: ['12345678912', '1234567891234', '12345678912A'] },
  in_gst: {
    valid: ['12ABCDE3456FGZH', '27aaaca1234b1z5'],
    invalid: ['12ABCDE3456FGXH', '1ABCDE3456FGZH', '12ABCD13456FGZH', '12ABCDE3456F0ZH'],
  },
  jp_cn: { valid: ['1234567891234'], invalid: ['123456789123', '12345678912345', 'T1234567891234'] },
  jp_rn: { valid: ['12345'], invalid: ['1234', '123456', '1234A'] },
  jp_trn: {
    valid: ['T1234567891234', 't1234567891234'],
    invalid: ['1234567891234', 'T123456789123', 'X1234567891234'],
  },
  ch_vat: {
    valid: ['CHE-123.456.789 MWST', 'CHE-123.456.789 TVA', 'CHE123456789IVA', 'che-123.456.789 mwst'],
    invalid: ['CHE-123.456.789', 'CHE-123.456.78 MWST', 'CH-123.456.789 MWST', 'CHE-123.456.789 VAT'],
  },
  ch_uid: {
    valid: ['CHE-123.456.789', 'CHE123456789'],
    invalid: ['CHE-123.456.789 MWST', 'CHE-12.456.789', '123456789'],
  },
  no_vat: {
    valid: ['123456789MVA', 'NO123456789MVA', '123 456 789 MVA'],
    invalid: ['123456789', '12345678MVA', '123456789VAT'],
  },
  no_voec: { valid: ['1234567'], invalid: ['123456', '12345678', 'VOEC1234567'] },
  br_cnpj: {
    valid: ['11.222.333/0001-81', '11222333000181', '12.ABC.345/01DE-35'],
    invalid: ['11.222.333/0001-82', '11.222.333/0001-8', '00.000.000/0000-00', '01.234.456/5432-10'],
  },
  br_cpf: {
    valid: ['529.982.247-25', '52998224725', '123.456.789-09'],
    invalid: ['529.982.247-26', '111.111.111-11', '123.456.789-87', '529.982.247-2'],
  },
  mx_rfc: {
    valid: ['ABC010203AB9', 'GODE561231GR8', 'ÑAB010203AB9', 'A&B010203AB9'],
    invalid: ['AB010203AB9', 'ABC011303AB9', 'ABC010232AB9', 'ABCDE010203AB9', 'ABC010203AB'],
  },
};

/** Per EU VAT prefix: one well-formed and one malformed national number. */
const EU_VAT: Record<string, [string, string]> = {
  AT: ['ATU12345678', 'AT12345678'],
  BE: ['BE0123456789', 'BE2123456789'],
  BG: ['BG0123456789', 'BG12345678'],
  CY: ['CY12345678Z', 'CY123456789'],
  CZ: ['CZ1234567890', 'CZ1234567'],
  DE: ['DE123456789', 'DE12345678'],
  DK: ['DK12345678', 'DK123456789'],
  EE: ['EE123456789', 'EE12345678'],
  EL: ['EL123456789', 'EL12345678'],
  GR: ['GR123456789', 'GR1234567890'],
  ES: ['ESA1234567Z', 'ES123456789'],
  FI: ['FI12345678', 'FI1234567'],
  FR: ['FRAB123456789', 'FRAB12345678'],
  HR: ['HR12345678912', 'HR1234567891'],
  HU: ['HU12345678', 'HU12345678912'],
  IE: ['IE1234567AB', 'IE12345678'],
  IT: ['IT12345678912', 'IT1234567891'],
  LT: ['LT123456789123', 'LT1234567890'],
  LU: ['LU12345678', 'LU123456789'],
  LV: ['LV12345678912', 'LV1234567891'],
  MT: ['MT12345678', 'MT1234567'],
  NL: ['NL123456789B01', 'NL123456789012'],
  PL: ['PL1234567890', 'PL123456789'],
  PT: ['PT123456789', 'PT1234567890'],
  RO: ['RO1234567891', 'RO12345678912'],
  SE: ['SE123456789101', 'SE123456789102'],
  SI: ['SI12345678', 'SI123456789'],
  SK: ['SK1234567891', 'SK123456789'],
  XI: ['XI123456789', 'XI12345678'],
};

const check = (type: TaxIdType, raw: string) => isValidTaxIdValue(type, normalizeTaxIdValue(raw));

describe('tax ID formats', () => {
  const cases = Object.entries(CASES) as [TaxIdType, { valid: string[]; invalid: string[] }][];
  for (const [type, { valid, invalid }] of cases) {
    test(type, () => {
      for (const v of valid) assert.ok(check(type, v), `${type} should accept ${v}`);
      for (const v of invalid) assert.ok(!check(type, v), `${type} should reject ${v}`);
    });
  }

  test('eu_vat: every member-state prefix, with its national format and country', () => {
    assert.deepEqual(Object.keys(EU_VAT).sort(), [...EU_VAT_PREFIXES].sort());
    for (const [prefix, [good, bad]] of Object.entries(EU_VAT)) {
      assert.ok(check('eu_vat', good), `eu_vat should accept ${good}`);
      assert.ok(!check('eu_vat', bad), `eu_vat should reject ${bad}`);
      const expected = prefix === 'EL' ? 'GR' : prefix === 'XI' ? 'GB' : prefix;
      assert.equal(taxIdCountry('eu_vat', good), expected);
    }
    for (const bad of ['GB123456789', 'US123456789', '123456789', 'DE', 'D123456789']) {
      assert.ok(!check('eu_vat', bad), `eu_vat should reject ${bad}`);
    }
  });

  test('checksums on their own', () => {
    assert.ok(isValidAbn('51824753556'));
    assert.ok(!isValidAbn('61824753556'));
    assert.ok(isValidCnpj('12ABC34501DE35'));
    assert.ok(!isValidCnpj('12ABC34501DE36'));
    assert.ok(!isValidCpf('00000000000'));
  });

  test('every other type gets a plausibility check only', () => {
    for (const type of TAX_ID_TYPES) {
      if (type in CASES || type === 'eu_vat') continue;
      assert.ok(check(type, 'A-123456-Z'), `${type} should accept a plausible value`);
      assert.ok(!check(type, '---'), `${type} should reject a value without letters or digits`);
      assert.ok(!check(type, '1'.repeat(65)), `${type} should reject an absurdly long value`);
    }
  });

  test('countries implied by the type', () => {
    assert.equal(taxIdCountry('gb_vat', 'GB123456789'), 'GB');
    assert.equal(taxIdCountry('us_ein', '12-3456789'), 'US');
    assert.equal(taxIdCountry('ca_qst', '1234567890TQ1234'), 'CA');
    assert.equal(taxIdCountry('ch_uid', 'CHE123456789'), 'CH');
    assert.equal(taxIdCountry('br_cpf', '52998224725'), 'BR');
    assert.equal(taxIdCountry('nz_gst', '123456789'), 'NZ');
    assert.equal(taxIdCountry('eu_oss_vat', 'EU123456789'), null);
  });

  test('checkTaxId normalises, and errors name the type or the value', () => {
    assert.deepEqual(checkTaxId('eu_vat', ' de 123 456\t789 '), {
      type: 'eu_vat',
      value: 'DE123456789',
      country: 'DE',
    });
    assert.deepEqual(checkTaxId('eu_vat', 'el123456789'), { type: 'eu_vat', value: 'EL123456789', country: 'GR' });
    assert.throws(
      () => checkTaxId('eu_vat', 'DE1234'),
      (e: unknown) =>
        e instanceof ApiError &&
        e.status === 400 &&
        e.body.message === 'Invalid value for eu_vat.' &&
        e.body.code === 'tax_id_invalid' &&
        e.body.param === 'value',
    );
    assert.throws(
      () => checkTaxId('xx_vat', '123', { type: 'tax_id_data[0][type]', value: 'tax_id_data[0][value]' }),
      (e: unknown) => e instanceof ApiError && e.status === 400 && e.body.param === 'tax_id_data[0][type]',
    );
    assert.throws(
      () => checkTaxId('unknown', '123'),
      (e: unknown) => e instanceof ApiError && e.body.param === 'type',
    );
    assert.throws(
      () => checkTaxId('us_ein', '   '),
      (e: unknown) => e instanceof ApiError && e.body.param === 'value',
    );
  });
});
