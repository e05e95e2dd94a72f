import { describe, expect, it } from 'vitest';
import { checkAwb, checkContainerNumber, checkMrn, compactId, iso6346CheckDigit } from '../../../src/dicos/check-digits.js';

describe('ISO 6346 container numbers', () => {
  it('computes the check digit of the standard example', () => {
    expect(iso6346CheckDigit('CSQU305438')).toBe(3);
  });

  it.each([
    ['CSQU3054383', true],
    ['CSQU 305438 3', true],
    ['csqu-305438-3', true],
    ['CSQU3054384', false],
    ['MSKU9070324', false],
    ['CSQX3054383', false], // category must be U, J or Z
    ['CSQU305438', false], // too short
    ['', false],
  ])('%s -> %s', (raw, valid) => {
    expect(checkContainerNumber(raw).checkDigitValid).toBe(valid);
  });

  it('reads a remainder of 10 as check digit 0', () => {
    // find a body whose sum mod 11 is 10 and check that 0 is accepted
    let found: string | undefined;
    for (let n = 0; n < 1000 && found === undefined; n += 1) {
      const body = `ABCU${String(n).padStart(6, '0')}`;
      let sum = 0;
      [...body].forEach((c, i) => {
        const v = /[0-9]/.test(c) ? Number(c) : [10, 12, 13, 14][c.charCodeAt(0) - 65] ?? (c === 'U' ? 32 : -1);
        sum += v * 2 ** i;
      });
      if (sum % 11 === 10) found = body;
    }
    expect(found).toBeDefined();
    expect(iso6346CheckDigit(found as string)).toBe(0);
    expect(checkContainerNumber(`${found as string}0`).checkDigitValid).toBe(true);
  });

  it('compacts identifiers', () => {
    expect(compactId(' cb 1234-ak ')).toBe('CB1234AK');
    expect(checkContainerNumber('csqu 3054383').id).toBe('CSQU3054383');
  });
});

describe('document numbers', () => {
  it('verifies an EU MRN check character (ISO 6346 over the first 17)', () => {
    expect(checkMrn('26BG0010000A017346')).toEqual({ id: '26BG0010000A017346', checkDigitValid: true });
    expect(checkMrn('26BG0010000A017345').checkDigitValid).toBe(false);
    expect(checkMrn('26BG001').checkDigitValid).toBe(false);
  });

  it('verifies an air waybill check digit (serial mod 7)', () => {
    expect(checkAwb('020-12345675')).toEqual({ id: '02012345675', checkDigitValid: true });
    expect(checkAwb('020-12345670').checkDigitValid).toBe(false);
    expect(checkAwb('20-1234567').checkDigitValid).toBe(false);
  });
});
