/**
 * ASDF decoding line by line: each form alone and mixed, the DIF Y-value check, and the malformed
 * lines that must fail naming their line; plus the SQZ/DIF/DUP encoders the writer uses.
 */
import { describe, expect, it } from 'vitest';
import { decodeGroups, decodeXppYY, dif, dup, sqz } from '../../../src/jcamp/asdf.js';
import { JcampFailure, type JcampError } from '../../../src/jcamp/types.js';
import { dataLines, failure, fixture, parsed } from './jcamp-helpers.js';

const decode = (rows: string[], budget = 1_000_000) => decodeXppYY({ lines: rows, start: 0, end: rows.length }, 16, budget);

function decodeError(rows: string[], budget?: number): JcampError {
  try {
    decode(rows, budget);
  } catch (e) {
    if (e instanceof JcampFailure) return e.error;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('ASDF forms', () => {
  it('AFFN: blanks, commas, signs, decimals, exponents', () => {
    const d = decode(['100 1 -2 3.5,+4 .5 1.5E+02 -2.5e-01']);
    expect(Array.from(d.y)).toEqual([1, -2, 3.5, 4, 0.5, 150, -0.25]);
    expect(d.encodings).toEqual(['AFFN']);
    expect(d.firstLineX).toBe(100);
  });

  it('PAC: a sign right after a number starts the next one', () => {
    const d = decode(['100-1+2-30+4']);
    expect(Array.from(d.y)).toEqual([-1, 2, -30, 4]);
    expect(d.encodings).toEqual(['PAC']);
  });

  it('SQZ: @, A-I and a-i stand for the sign and first digit', () => {
    const d = decode(['100@A2b34I999i']);
    expect(Array.from(d.y)).toEqual([0, 12, -234, 9999, -9]);
    expect(d.encodings).toEqual(['SQZ']);
  });

  it('E followed by a digit is the SQZ +5, not an exponent', () => {
    expect(Array.from(decode(['100 1E3']).y)).toEqual([1, 53]);
    expect(Array.from(decode(['100A5E3e2']).y)).toEqual([15, 53, -52]);
  });

  it('DIF: differences from the previous ordinate', () => {
    const d = decode(['100A0J5j2%']);
    expect(Array.from(d.y)).toEqual([10, 25, 13, 13]);
    expect(d.encodings).toEqual(['SQZ', 'DIF']);
  });

  it('DUP: repeats a value, or repeats a difference, the original counted', () => {
    expect(Array.from(decode(['100EU']).y)).toEqual([5, 5, 5]);
    expect(Array.from(decode(['100@JV']).y)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(decode(['100@%T2']).y)).toHaveLength(23);
    expect(Array.from(decode(['100 7 S']).y)).toEqual([7]);
  });

  it('a DIF line is followed by its Y check, which is compared and dropped', () => {
    const d = decode(['100A0J5j2', '103A3J', '104A4']);
    expect(Array.from(d.y)).toEqual([10, 25, 13, 14]);
    expect(d.lastLineX).toBe(104);
    expect(d.lastLineXIndex).toBe(3);
  });

  it('a line after a line ending in an absolute value has no Y check', () => {
    expect(Array.from(decode(['100A0J5B3', '103B3']).y)).toEqual([10, 25, 23, 23]);
  });

  it('a Y check that differs fails naming the line', () => {
    const e = decodeError(['100A0J5j2', '103B4J1']);
    expect(e).toMatchObject({ code: 'BL_ERR_JCAMP_YCHECK', line: 2 });
    expect(e.message).toBe('line 2: Y-value check failed: the line starts with 24 but the DIF line before it ended with 13 (a line is corrupted or missing)');
  });

  it('comments ($$) and blank lines inside the table are skipped', () => {
    expect(Array.from(decode(['100 1 2 $$ two points', '', '   ', '102 3 $$ one more']).y)).toEqual([1, 2, 3]);
  });
});

describe('ASDF failures name their line', () => {
  const cases: [string, string[], string, RegExp][] = [
    ['a bad character', ['100 1 2', '102 3 # 4'], 'BL_ERR_JCAMP_INVALID', /^line 2: column 7: character "#" \(0x23\) is not part of a JCAMP-DX number$/],
    ['a control character', ['100 1\u00012'], 'BL_ERR_JCAMP_INVALID', /^line 1: column 6: character 0x01 /],
    ['a line starting with an ordinate DIF', ['100 1', 'J5'], 'BL_ERR_JCAMP_INVALID', /^line 2: a data line must start with its abscissa/],
    ['a first ordinate in DIF form', ['100J5'], 'BL_ERR_JCAMP_INVALID', /^line 1: the first ordinate of a data line is a DIF value/],
    ['a DUP right after the abscissa', ['100T'], 'BL_ERR_JCAMP_INVALID', /^line 1: a DUP count follows the abscissa/],
    ['an abscissa alone', ['100 1', '101'], 'BL_ERR_JCAMP_INVALID', /^line 2: the data line has an abscissa but no ordinates$/],
    ['two DUPs in a row', ['100A5TU'], 'BL_ERR_JCAMP_INVALID', /^line 1: two DUP counts in a row$/],
    ['a sign without digits', ['100 1 - 2'], 'BL_ERR_JCAMP_INVALID', /^line 1: column 7: "- " is not a number$/],
    ['a number with two points', ['100 1.2.3'], 'BL_ERR_JCAMP_INVALID', /^line 1: column 5: "1.2." is not a number$/],
    ['a ? ordinate', ['100 1 ? 3'], 'BL_ERR_JCAMP_UNSUPPORTED', /^line 1: column 7: "\?" \(missing value\) ordinates are not supported$/],
  ];
  for (const [what, rows, code, message] of cases) {
    it(what, () => {
      const e = decodeError(rows);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    });
  }

  it('DUP counts start at 1 (S): S0 is a count of ten', () => {
    expect(decode(['100A5S0']).y).toHaveLength(10);
  });

  it('a DUP count beyond the point budget fails before allocating', () => {
    const e = decodeError(['100A5Z99999999'], 1000);
    expect(e).toMatchObject({ code: 'BL_ERR_JCAMP_TOO_LARGE', line: 1 });
  });

  it('growing past the point budget fails', () => {
    expect(decodeError(['100 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20'], 10).code).toBe('BL_ERR_JCAMP_TOO_LARGE');
  });
});

describe('(XY..XY) and (XYW..XYW) groups', () => {
  const groups = (rows: string[], width: 2 | 3) => decodeGroups({ lines: rows, start: 0, end: rows.length }, width, 16, 1000);

  it('reads pairs separated by blanks, commas and semicolons', () => {
    const d = groups(['1.5, 10; 2.5,20', '3.5 30'], 2);
    expect([Array.from(d.x), Array.from(d.y), d.w]).toEqual([[1.5, 2.5, 3.5], [10, 20, 30], undefined]);
  });

  it('keeps W of (XYW..XYW)', () => {
    expect(Array.from(groups(['1,10,0.5 2,20,0.7'], 3).w ?? [])).toEqual([0.5, 0.7]);
  });

  it('refuses a line with a broken group, and DIF forms', () => {
    expect(() => groups(['1,10 2'], 2)).toThrow(/line 1: the line holds 3 numbers, not whole \(X,Y\) pairs/);
    expect(() => groups(['1,J0'], 2)).toThrow(/DIF and DUP forms are not allowed/);
  });
});

describe('the Y check on a real DIF file', () => {
  const original = fixture('reference-ir/isopropanol_ASDF.jdx').toString('latin1');
  const rows = original.split('\r\n');
  const line2 = rows.findIndex((r) => r.startsWith('2610D769'));
  const line5 = rows.findIndex((r) => r.startsWith('2771E227'));

  it('reads untouched', () => {
    expect(line2).toBeGreaterThan(0);
    expect(parsed(original).blocks[0]!.npoints).toBe(9541);
  });

  it('catches a corrupted Y check value, naming its line', () => {
    const bad = [...rows];
    bad[line2] = bad[line2]!.replace('2610D769', '2610D768');
    const e = failure(bad.join('\r\n'));
    expect(e).toMatchObject({ code: 'BL_ERR_JCAMP_YCHECK', line: line2 + 1 });
    expect(e.message).toContain('the line starts with 4768 but the DIF line before it ended with 4769');
  });

  it('catches a corrupted DIF digit inside a line at the next line\'s check', () => {
    const bad = [...rows];
    bad[line5 - 1] = bad[line5 - 1]!.replace('J202', 'J203');
    expect(failure(bad.join('\r\n'))).toMatchObject({ code: 'BL_ERR_JCAMP_YCHECK', line: line5 + 1 });
  });

  it('catches a lost line', () => {
    const bad = rows.filter((_, i) => i !== line5 - 1);
    expect(failure(bad.join('\r\n'))).toMatchObject({ code: 'BL_ERR_JCAMP_YCHECK', line: line5 });
  });

  it('each line of the fixture after the first starts with the previous line\'s last ordinate (what the check relies on)', () => {
    expect(dataLines(original).slice(1).every((l) => /^\d+[@A-Ia-i]/.test(l))).toBe(true);
  });
});

describe('encoders', () => {
  it('SQZ, DIF and DUP tokens', () => {
    expect([sqz(1201), sqz(-10247), sqz(0), sqz(9)]).toEqual(['A201', 'a0247', '@', 'I']);
    expect([dif(11448), dif(-6397), dif(0), dif(-9)]).toEqual(['J1448', 'o397', '%', 'r']);
    expect([dup(2), dup(9), dup(10), dup(23), dup(99)]).toEqual(['T', 's', 'S0', 'T3', 's9']);
  });

  it('refuse what they cannot encode', () => {
    expect(() => sqz(1.5)).toThrow(RangeError);
    expect(() => dup(1)).toThrow(RangeError);
  });

  it('decode back to the same integers', () => {
    const ints = [0, 7, -7, 10, -10, 123456789, -987654321, 5, 5, 5];
    const line = `1${sqz(ints[0]!)}${ints.slice(1).map((v) => sqz(v)).join('')}`;
    expect(Array.from(decode([line]).y)).toEqual(ints);
  });
});
