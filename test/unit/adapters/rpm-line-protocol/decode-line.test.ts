import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLine, MAX_LINE_BYTES } from '../../../../adapters/rpm-line-protocol/decode-line.js';
import { LINE_TAGS, TAG_FIELDS, type LineRecord } from '../../../../adapters/rpm-line-protocol/line-messages.js';

const decode = (s: string | Buffer) => decodeLine(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
const record = (s: string): LineRecord => {
  const r = decode(s);
  if (!r.ok) throw new Error(`${s}: ${r.error.code} ${r.error.message}`);
  expect(r.value).toHaveLength(1);
  return r.value[0] as LineRecord;
};
const failure = (s: string | Buffer) => {
  const r = decode(s);
  if (r.ok) throw new Error(`expected a failure for ${JSON.stringify(String(s))}`);
  return r.error;
};

describe('rpm-line-protocol decodeLine', () => {
  it('decodes every tag of the dialect', () => {
    expect(record('GB,001012,001180.5,000951,001310')).toEqual({ tag: 'GB', backgroundCps: [1012, 1180.5, 951, 1310] });
    expect(record('GH,002600,002700,002550,002800')).toEqual({ tag: 'GH', backgroundCps: [2600, 2700, 2550, 2800] });
    expect(record('GL,000390,000380,000350,000395')).toEqual({ tag: 'GL', backgroundCps: [390, 380, 350, 395] });
    expect(record('NB,003.95,003.94')).toEqual({ tag: 'NB', backgroundCps: [3.95, 3.94] });
    expect(record('NH,009.10,008.60')).toEqual({ tag: 'NH', backgroundCps: [9.1, 8.6] });
    expect(record('GS,000289,000210,000290,000250')).toEqual({ tag: 'GS', counts: [289, 210, 290, 250] });
    expect(record('GA,000523,000452,000408,000387')).toEqual({ tag: 'GA', counts: [523, 452, 408, 387] });
    expect(record('NS,000003,000001')).toEqual({ tag: 'NS', counts: [3, 1] });
    expect(record('NA,000008,000009')).toEqual({ tag: 'NA', counts: [8, 9] });
    expect(record('GX,000596,008.02')).toEqual({ tag: 'GX', occupancyCount: 596, neutronBackgroundCps: 8.02 });
    expect(record('SP,009.0')).toEqual({ tag: 'SP', speedKmh: 9 });
    expect(record('TT')).toEqual({ tag: 'TT' });
    expect(record('TC')).toEqual({ tag: 'TC' });
    expect(record('SG,04.0,002500,000400,000200')).toEqual({ tag: 'SG', nSigma: 4, highBackgroundCps: 2500, lowBackgroundCps: 400, samplePeriodMs: 200 });
    expect(record('SN,03.5,008.00')).toEqual({ tag: 'SN', nSigma: 3.5, highBackgroundCps: 8 });
  });

  it('strips one trailing CR (CRLF lines framed on LF) and spaces around fields', () => {
    expect(record('NS,000003,000001\r')).toEqual({ tag: 'NS', counts: [3, 1] });
    expect(record('TT\r')).toEqual({ tag: 'TT' });
    expect(record(' GS , 1, 2 ,3,4')).toEqual({ tag: 'GS', counts: [1, 2, 3, 4] });
  });

  it('a blank line is no message', () => {
    for (const s of ['', '\r', '   ', '  \r']) expect(decode(s)).toEqual({ ok: true, value: [] });
  });

  it('BL_ERR_LINE_SYNTAX: control or non-ASCII bytes, a CR inside, an over-long line, no tag', () => {
    expect(failure(Buffer.from('GB,001000,\x00001200,000900,001100', 'latin1'))).toMatchObject({ code: 'BL_ERR_LINE_SYNTAX', detail: { offset: 10, byte: 0 } });
    expect(failure('GS,000001,000002\r,000003,000004').code).toBe('BL_ERR_LINE_SYNTAX');
    expect(failure('GS,000001,000002,000003,000004\r\r').code).toBe('BL_ERR_LINE_SYNTAX');
    expect(failure('GS,\t1,2,3,4').code).toBe('BL_ERR_LINE_SYNTAX');
    expect(failure(Buffer.from([0x47, 0x42, 0x2c, 0xe9])).code).toBe('BL_ERR_LINE_SYNTAX');
    expect(failure(',000001').code).toBe('BL_ERR_LINE_SYNTAX');
    const padded = (n: number): string => `SP,${' '.repeat(n - 'SP,1'.length)}1`;
    expect(record(padded(MAX_LINE_BYTES))).toEqual({ tag: 'SP', speedKmh: 1 });
    expect(record(`${padded(MAX_LINE_BYTES - 1)}\r`)).toEqual({ tag: 'SP', speedKmh: 1 });
    expect(failure(padded(MAX_LINE_BYTES + 1))).toMatchObject({ code: 'BL_ERR_LINE_SYNTAX', detail: { bytes: MAX_LINE_BYTES + 1 } });
  });

  it('BL_ERR_LINE_UNKNOWN_TAG: tags outside the table, lower case and three letters included', () => {
    for (const s of ['GQ,000001', 'gb,001000,001200,000900,001100', 'GBX,1,2,3,4', 'XX', 'G,1']) {
      expect(failure(s).code, s).toBe('BL_ERR_LINE_UNKNOWN_TAG');
    }
    expect(failure('GQ,000001').detail).toMatchObject({ tag: 'GQ' });
  });

  it('BL_ERR_LINE_FIELDS: too few, too many, a trailing comma, a field on a tag that has none', () => {
    expect(failure('GS,000190,000236,000172')).toMatchObject({ code: 'BL_ERR_LINE_FIELDS', detail: { tag: 'GS', expected: 4, got: 3 } });
    expect(failure('NS,1,2,3').code).toBe('BL_ERR_LINE_FIELDS');
    expect(failure('GB,1,2,3,4,').code).toBe('BL_ERR_LINE_FIELDS');
    expect(failure('TT,000000')).toMatchObject({ code: 'BL_ERR_LINE_FIELDS', detail: { expected: 0, got: 1 } });
    expect(failure('GS')).toMatchObject({ code: 'BL_ERR_LINE_FIELDS', detail: { expected: 4, got: 0 } });
    expect(failure('GX,000001').message).toContain('GX needs 2 fields (occupancyCount, neutronBackgroundCps), got 1');
  });

  it('BL_ERR_LINE_VALUE: empty, non-numeric, signed, exponent, NaN, a point in a count, too many digits', () => {
    const cases: Array<[string, number, string]> = [
      ['NB,003.1x,002.50', 1, 'N1'],
      ['GS,000001,,000003,000004', 2, 'G2'],
      ['GS,000001,-00002,000003,000004', 2, 'G2'],
      ['GB,1e3,1,1,1', 1, 'G1'],
      ['GB,NaN,NaN,NaN,NaN', 1, 'G1'],
      ['NS,000001,1.5', 2, 'N2'],
      ['GS,1234567890,1,1,1', 1, 'G1'],
      ['SP,1.1234567', 1, 'speedKmh'],
      ['SP,.5', 1, 'speedKmh'],
      ['GX,000001,5,', 0, ''],
    ];
    for (const [line, field, name] of cases) {
      const f = failure(line);
      if (field === 0) {
        expect(f.code, line).toBe('BL_ERR_LINE_FIELDS');
        continue;
      }
      expect(f.code, line).toBe('BL_ERR_LINE_VALUE');
      expect(f.detail, line).toMatchObject({ field, name });
    }
    expect(failure('NB,003.1x,002.50').message).toBe('NB field 1 (N1) is "003.1x", not an unsigned decimal number (at most 9 digits, 6 decimals)');
  });

  it('BL_ERR_DECODE_VALUE_OUT_OF_RANGE: speed over 300 km/h, n-sigma and sample period outside their ranges', () => {
    expect(record('SP,300.0')).toEqual({ tag: 'SP', speedKmh: 300 });
    expect(failure('SP,300.1')).toMatchObject({ code: 'BL_ERR_DECODE_VALUE_OUT_OF_RANGE', detail: { tag: 'SP', max: 300 } });
    expect(failure('SG,00.0,002500,000400,000200').code).toBe('BL_ERR_DECODE_VALUE_OUT_OF_RANGE');
    expect(failure('SN,101,8').code).toBe('BL_ERR_DECODE_VALUE_OUT_OF_RANGE');
    expect(failure('SG,4,2500,400,10')).toMatchObject({ code: 'BL_ERR_DECODE_VALUE_OUT_OF_RANGE', detail: { name: 'samplePeriodMs', min: 20 } });
  });

  it('never throws and always answers a Result, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeLine(Buffer.from(bytes));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    const tag = fc.constantFrom(...LINE_TAGS, 'GQ', 'gs', '');
    const field = fc.oneof(fc.nat({ max: 999_999 }).map(String), fc.string({ maxLength: 8 }), fc.constant(''));
    fc.assert(
      fc.property(tag, fc.array(field, { maxLength: 6 }), (t, fields) => {
        const r = decode([t, ...fields].join(','));
        if (r.ok) expect(r.value.length).toBeLessThanOrEqual(1);
        else expect(r.error.code).toMatch(/^BL_ERR_(LINE_[A-Z_]+|DECODE_VALUE_OUT_OF_RANGE)$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('every tag in the table round-trips a well-formed line', () => {
    for (const tag of LINE_TAGS) {
      const fields = TAG_FIELDS[tag].map((s) => ('min' in s ? String(s.min) : '1'));
      const r = decode([tag, ...fields].join(','));
      expect(r.ok, tag).toBe(true);
    }
  });
});
