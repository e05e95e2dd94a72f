/**
 * The reader on real files (test/fixtures/jcamp, see its README): every file reads, with the point
 * count and first/last X its own header promises, and a handful are re-counted here with simple
 * independent code rather than trusting the reader's own checks.
 */
import { describe, expect, it } from 'vitest';
import { dataLines, fixture, fixtureNames, headerValue, parsed } from './jcamp-helpers.js';

const ALL = [
  ...fixtureNames('compression').map((f) => `compression/${f}`),
  ...fixtureNames('raman').map((f) => `raman/${f}`),
  ...fixtureNames('reference-ir').map((f) => `reference-ir/${f}`),
];

/** Numbers on an AFFN or PAC line (a sign directly after a digit starts a new number). */
const affnNumbers = (line: string): number[] => (line.match(/[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]\d+)?/g) ?? []).map(Number);

/**
 * Points of a (X++(Y..Y)) table in any ASDF mix, counted without decoding values: each SQZ or DIF
 * token is one point, a DUP token adds count - 1, and a line after a DIF-ending line starts with
 * its Y check, which is not a point.
 */
function countAsdfPoints(lines: string[]): number {
  let total = 0;
  let prevEndedDif = false;
  for (const line of lines) {
    const tokens = line.replace(/^[\d.+-]+/, '').match(/[@A-Ia-i%J-Rj-r][\d.]*|[S-Zs]\d*/g) ?? [];
    let lastValueKind = '';
    for (const t of tokens) {
      const c = t[0] as string;
      if (/[S-Zs]/.test(c)) total += Number(`${c === 's' ? 9 : c.charCodeAt(0) - 82}${t.slice(1)}`) - 1;
      else {
        total++;
        lastValueKind = /[%J-Rj-r]/.test(c) ? 'dif' : 'sqz';
      }
    }
    if (prevEndedDif) total--;
    prevEndedDif = lastValueKind === 'dif';
  }
  return total;
}

describe('every fixture', () => {
  it('is found (24 IR + 1 Raman + 4 compression files)', () => {
    expect(ALL).toHaveLength(29);
  });

  for (const rel of ALL) {
    it(`${rel}: one block, the header's NPOINTS, FIRSTX and LASTX`, () => {
      const text = fixture(rel).toString('latin1');
      const d = parsed(fixture(rel));
      expect(d.blocks).toHaveLength(1);
      expect(d.linkBlocks).toBe(0);
      const s = d.blocks[0]!;
      expect(s.x).toHaveLength(s.npoints);
      expect(s.y).toHaveLength(s.npoints);
      expect(s.form).toBe('XYDATA');
      const npoints = headerValue(text, 'NPOINTS');
      const firstX = Number(headerValue(text, 'FIRSTX'));
      const lastX = headerValue(text, 'LASTX');
      if (npoints !== undefined) expect(s.npoints).toBe(Number(npoints));
      expect(s.firstX).toBe(firstX);
      expect(s.x[0]).toBe(firstX);
      if (lastX !== undefined) {
        expect(s.lastX).toBe(Number(lastX));
        expect(s.x[s.npoints - 1]).toBe(Number(lastX));
      } else {
        // the compression files: no LASTX, the points sit DELTAX apart
        expect(s.lastX).toBeCloseTo(firstX + (s.npoints - 1) * Number(headerValue(text, 'DELTAX')), 9);
      }
      expect(s.y.every(Number.isFinite)).toBe(true);
    });
  }
});

describe('counted independently', () => {
  const affnFiles = ['reference-ir/acetone.jdx', 'reference-ir/water.jdx', 'reference-ir/benzene.jdx', 'reference-ir/m-xylene.jdx', 'compression/jcamp-fix.dx', 'compression/jcamp-packed.dx'];
  for (const rel of affnFiles) {
    it(`${rel}: ordinates on the data lines (numbers minus one abscissa per line)`, () => {
      const count = dataLines(fixture(rel).toString('latin1')).reduce((n, l) => n + affnNumbers(l).length - 1, 0);
      expect(parsed(fixture(rel)).blocks[0]!.npoints).toBe(count);
    });
  }

  for (const rel of ['reference-ir/isopropanol_ASDF.jdx', 'compression/jcamp-difdup.dx', 'compression/jcamp-squeezed.dx']) {
    it(`${rel}: SQZ/DIF/DUP tokens, less the Y checks`, () => {
      const count = countAsdfPoints(dataLines(fixture(rel).toString('latin1')));
      expect(parsed(fixture(rel)).blocks[0]!.npoints).toBe(count);
    });
  }

  it('raman/tannic_acid.jdx: one (X,Y) pair per line, values as written', () => {
    const rows = dataLines(fixture('raman/tannic_acid.jdx').toString('latin1')).map(affnNumbers);
    const s = parsed(fixture('raman/tannic_acid.jdx')).blocks[0]!;
    expect(s.npoints).toBe(rows.length);
    expect(s.npoints).toBe(1949);
    expect(Array.from(s.x)).toEqual(rows.map((r) => r[0]));
    expect(Array.from(s.y)).toEqual(rows.map((r) => r[1]));
  });

  it('acetone: first and last ordinates are the written integers times YFACTOR', () => {
    const s = parsed(fixture('reference-ir/acetone.jdx')).blocks[0]!;
    expect(s.yFactor).toBe(4.5474e-13);
    expect(s.y[0]).toBeCloseTo(90078 * 4.5474e-13, 20);
    expect(s.y[s.npoints - 1]).toBeCloseTo(2449966 * 4.5474e-13, 20);
    expect(s.x[1]! - s.x[0]!).toBeCloseTo((3975.077 - 574.928) / 14105, 12);
  });

  it('isopropanol (SQZ/DIF/DUP, CRLF): the first ordinate A058 = 1058 times YFACTOR, X from the header', () => {
    const s = parsed(fixture('reference-ir/isopropanol_ASDF.jdx')).blocks[0]!;
    expect(s.encodings).toEqual(['SQZ', 'DIF', 'DUP']);
    expect(s.y[0]).toBeCloseTo(1058 * 2.840445172462317941e-5, 15);
    expect(s.firstX).toBe(400.1963);
    expect(s.lastX).toBe(5000.042);
  });
});

describe('the four compression files', () => {
  const forms = ['fix', 'packed', 'squeezed', 'difdup'] as const;
  const read = Object.fromEntries(forms.map((f) => [f, parsed(fixture(`compression/jcamp-${f}.dx`)).blocks[0]!]));

  it('report the encoding they are written in', () => {
    expect(read['fix']!.encodings).toEqual(['AFFN']);
    expect(read['packed']!.encodings).toEqual(['PAC']);
    expect(read['squeezed']!.encodings).toEqual(['SQZ']);
    expect(read['difdup']!.encodings).toEqual(['SQZ', 'DIF', 'DUP']);
  });

  it('give identical Y arrays: PAC and DIF/DUP hold the same 30 points, AFFN and SQZ the same series shorter and longer', () => {
    // each file has two data lines, so they hold 8, 30, 38 and 30 points of one series
    expect(forms.map((f) => read[f]!.npoints)).toEqual([8, 30, 38, 30]);
    expect(read['difdup']!.y).toEqual(read['packed']!.y);
    const longest = Array.from(read['squeezed']!.y);
    for (const f of forms) expect(Array.from(read[f]!.y)).toEqual(longest.slice(0, read[f]!.npoints));
    expect(longest.slice(0, 8)).toEqual([-10247, 1201, -5196, 7245, -5777, 5015, -8583, -3100]);
  });

  it('give the same X, from FIRSTX and DELTAX', () => {
    for (const f of forms) {
      const s = read[f]!;
      expect(s.x[0]).toBe(5592.84116331095);
      expect(s.x[7]).toBeCloseTo(5592.84116331095 - 7 * 0.341380770512785, 9);
    }
  });
});

describe('header fields of the real files', () => {
  it('acetone: typed fields, private labels as written, labels by normalised name, date', () => {
    const s = parsed(fixture('reference-ir/acetone.jdx')).blocks[0]!;
    expect(s).toMatchObject({
      title: 'Acetone', jcampVersion: '4.24', dataType: 'INFRARED SPECTRUM', xUnits: 'cm-1', yUnits: '(micromol/mol)-1m-1 (base 10)',
      origin: 'NIST, Anayltical Chemistry Division, 301-975-3108', owner: 'COPYRIGHT (C) 1998 by the U.S. Secretary of Commerce',
      casRegistryNo: '67-64-1', molform: 'C H3 C O C H3', spectrometer: 'IFS66V (Bruker)', observedAt: '1998-10-01',
    });
    expect(s.privateLabels).toEqual({
      '$SPECTRA VERSION': '1.00',
      '$UNCERTAINTY IN Y': '2.3 % relative (B=1.3E-04,C=1.7E-09,D=2.7E-14)',
      '$NIST SOURCE': 'QUANT-IR',
    });
    expect(s.labels).toMatchObject({ CASNAME: '2-Propanone', SAMPLINGPROCEDURE: '1 L/min Flow', DATATYPE: 'INFRARED SPECTRUM', XYDATA: '(X++(Y..Y))', NPOINTS: '14106' });
    expect(Object.keys(s.labels).some((k) => k.startsWith('$'))).toBe(false);
  });

  it('acetone: LASTX one step beyond the last data line is accepted, with a warning', () => {
    const s = parsed(fixture('reference-ir/acetone.jdx')).blocks[0]!;
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/^line 2389: the last data line ends at X = 3974\.835.*1\.00\d* steps from ##LASTX = 3975\.077$/);
  });

  it('dichlorodifluoromethane (CFC-12): CAS number and molecular formula', () => {
    const s = parsed(fixture('reference-ir/dichlorodifluoromethane.jdx')).blocks[0]!;
    expect([s.casRegistryNo, s.molform, s.observedAt]).toEqual(['75-71-8', 'C Cl2 F2', '2001-06-01']);
  });

  it('water: a three-line ##OWNER value', () => {
    expect(parsed(fixture('reference-ir/water.jdx')).blocks[0]!.owner).toBe(
      'NIST Standard Reference Data Program\nCollection (C) 2009 copyright by the U.S. Secretary of Commerce\non behalf of the United States of America. All rights reserved.',
    );
  });

  it('isopropanol: blank OWNER and ORIGIN are absent fields but kept as labels; D/M/YYYY date with day 28', () => {
    const s = parsed(fixture('reference-ir/isopropanol_ASDF.jdx')).blocks[0]!;
    expect('owner' in s).toBe(false);
    expect('origin' in s).toBe(false);
    expect(s.labels['OWNER']).toBe('');
    expect(s.labels['BLOCKID']).toBe('1');
    expect(s.observedAt).toBe('2023-08-28');
  });

  it('benzene: a bare year is not turned into a date', () => {
    const s = parsed(fixture('reference-ir/benzene.jdx')).blocks[0]!;
    expect(s.labels['DATE']).toBe('1964');
    expect('observedAt' in s).toBe(false);
  });

  it('tannic acid: DATE with TIME, spectrometer, (XY..XY) under XYDATA', () => {
    const s = parsed(fixture('raman/tannic_acid.jdx')).blocks[0]!;
    expect(s).toMatchObject({ title: 'tannic acid', dataType: 'RAMAN SPECTRUM', spectrometer: 'Ocean Optics R2000', observedAt: '2000-10-04T14:47:00', encodings: ['AFFN'] });
    expect(s.labels['XYDATA']).toBe('(XY..XY)');
    expect([s.firstX, s.lastX, s.y[s.npoints - 1]]).toEqual([100.595, 2854.713, 4.667]);
  });

  it('the same bytes as a string read the same', () => {
    const fromBuffer = parsed(fixture('reference-ir/water.jdx')).blocks[0]!;
    const fromString = parsed(fixture('reference-ir/water.jdx').toString('utf8')).blocks[0]!;
    expect(fromString.y).toEqual(fromBuffer.y);
    expect(fromString.labels).toEqual(fromBuffer.labels);
  });
});
