/**
 * The document level: labels and their spellings, private labels, comments, compound (LINK) files,
 * the forms that are refused, header-against-data checks, limits, dates, and a property test that
 * hostile or truncated input gives a coded error and never an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { observedAt } from '../../../src/jcamp/date.js';
import { normaliseLabel, parseJcamp, writeJcamp } from '../../../src/jcamp/index.js';
import { doc, failure, fixture, parsed } from './jcamp-helpers.js';

const HEADER = ['##TITLE=test', '##JCAMP-DX=4.24', '##DATA TYPE=INFRARED SPECTRUM', '##XUNITS=1/CM', '##YUNITS=ABSORBANCE'];
const EVEN = [...HEADER, '##FIRSTX=100', '##LASTX=106', '##NPOINTS=4'];
const TABLE = '##XYDATA=(X++(Y..Y))';
const ROWS = ['100 1 2', '104 3 4'];

describe('labels', () => {
  it('are normalised ignoring case, blanks, hyphens, slashes and underscores', () => {
    for (const v of ['X UNITS', 'XUNITS', 'x_units', 'X-Units', 'x/units', ' x  units ']) expect(normaliseLabel(v)).toBe('XUNITS');
    expect(normaliseLabel('SPECTROMETER/DATA SYSTEM')).toBe('SPECTROMETERDATASYSTEM');
    expect(normaliseLabel('JCAMP-DX')).toBe('JCAMPDX');
    expect(normaliseLabel('CAS Registry_No')).toBe('CASREGISTRYNO');
  });

  it('feed the typed fields whatever their spelling', () => {
    const s = parsed(doc(['##title=spelled', '##Jcamp-Dx=5.01', '##Data_Type=RAMAN SPECTRUM', '##x units=1/CM', '##Y-UNITS=COUNTS',
      '##cas registry no=7732-18-5', '##MolForm=H2O', '##Spectrometer/Data System=ExampleRaman 3', '##Origin=lab', '##OWNER=us',
      '##first_x=100', '##LAST X=106', '##n points=4'], '##xy_data=(X++(Y..Y))', ROWS)).blocks[0]!;
    expect(s).toMatchObject({
      title: 'spelled', jcampVersion: '5.01', dataType: 'RAMAN SPECTRUM', xUnits: '1/CM', yUnits: 'COUNTS', casRegistryNo: '7732-18-5',
      molform: 'H2O', spectrometer: 'ExampleRaman 3', origin: 'lab', owner: 'us', npoints: 4, firstX: 100, lastX: 106,
    });
    expect(Object.keys(s.labels)).toEqual(['TITLE', 'JCAMPDX', 'DATATYPE', 'XUNITS', 'YUNITS', 'CASREGISTRYNO', 'MOLFORM', 'SPECTROMETERDATASYSTEM', 'ORIGIN', 'OWNER', 'FIRSTX', 'LASTX', 'NPOINTS', 'XYDATA']);
  });

  it('keep private labels with their name as written, apart from the standard ones', () => {
    const s = parsed(doc([...EVEN, '##$Vendor Field = some value ', '##$LANE=3', '##$$ not a label: a comment line'], TABLE, ROWS)).blocks[0]!;
    expect(s.privateLabels).toEqual({ '$Vendor Field': 'some value', '$LANE': '3' });
    expect(s.labels['VENDORFIELD']).toBeUndefined();
  });

  it('strip $$ comments from label lines and data lines, and ignore ##= comment records', () => {
    const s = parsed(doc(['##TITLE= commented $$ the title ends before this', '##= a comment record', 'that goes on', ...EVEN.slice(1)], TABLE,
      ['100 1 2 $$ first line', '$$ a whole comment line', '104 3 4'])).blocks[0]!;
    expect(s.title).toBe('commented');
    expect(Array.from(s.y)).toEqual([1, 2, 3, 4]);
    expect(Object.values(s.labels).some((v) => /title ends|comment record|goes on|first line/.test(v))).toBe(false);
  });

  it('read multi-line values, and keep the last of a repeated label with a warning', () => {
    const s = parsed(doc([...EVEN, '##COMMENTS=first line', '  second line', '##ORIGIN=a', '##ORIGIN=b'], TABLE, ROWS)).blocks[0]!;
    expect(s.labels['COMMENTS']).toBe('first line\n  second line');
    expect(s.origin).toBe('b');
    expect(s.warnings).toEqual(['line 12: ##ORIGIN repeats a label of this block; the last value is kept']);
  });
});

describe('data tables', () => {
  it('(X++(Y..Y)): X from FIRSTX, LASTX and NPOINTS; factors applied', () => {
    const s = parsed(doc([...HEADER, '##XFACTOR=0.5', '##YFACTOR=0.001', '##FIRSTX=50', '##LASTX=53', '##NPOINTS=4', '##DELTAX=1'], TABLE, ['100 1000 2000', '104 3000 4000'])).blocks[0]!;
    expect(Array.from(s.x)).toEqual([50, 51, 52, 53]);
    expect(Array.from(s.y)).toEqual([1, 2, 3, 4]);
    expect([s.xFactor, s.yFactor, s.form]).toEqual([0.5, 0.001, 'XYDATA']);
  });

  it('(X++(Y..Y)) without LASTX uses DELTAX; without either, the line abscissas (with a warning)', () => {
    expect(Array.from(parsed(doc([...HEADER, '##FIRSTX=100', '##DELTAX=2'], TABLE, ROWS)).blocks[0]!.x)).toEqual([100, 102, 104, 106]);
    const s = parsed(doc([...HEADER, '##FIRSTX=100'], TABLE, ROWS)).blocks[0]!;
    expect(Array.from(s.x)).toEqual([100, 102, 104, 106]);
    expect(s.warnings[0]).toMatch(/X spacing is taken from the abscissas/);
  });

  it('XYPOINTS: X and Y from the pairs, factors applied', () => {
    const s = parsed(doc([...HEADER, '##XFACTOR=10', '##YFACTOR=2', '##FIRSTX=10', '##LASTX=50', '##NPOINTS=3'], '##XYPOINTS=(XY..XY)', ['1,1 2,2', '5,3'])).blocks[0]!;
    expect([s.form, Array.from(s.x), Array.from(s.y), s.w]).toEqual(['XYPOINTS', [10, 20, 50], [2, 4, 6], undefined]);
  });

  it('PEAKTABLE (XYW..XYW): W kept as written', () => {
    const s = parsed(doc([...HEADER, '##XFACTOR=10', '##NPOINTS=2'], '##PEAKTABLE=(XYW..XYW)', ['1,100,0.5; 2,50,0.25'])).blocks[0]!;
    expect([s.form, Array.from(s.x), Array.from(s.y), Array.from(s.w ?? [])]).toEqual(['PEAKTABLE', [10, 20], [100, 50], [0.5, 0.25]]);
  });

  it('PEAKTABLE (XY..XY) without NPOINTS', () => {
    const s = parsed(doc(HEADER, '##PEAKTABLE=(XY..XY)', ['43,100', '58,25 71,12'])).blocks[0]!;
    expect([s.npoints, s.firstX, s.lastX]).toEqual([3, 43, 71]);
  });
});

describe('header against data', () => {
  it('NPOINTS that disagrees with the data is an error on the NPOINTS line', () => {
    const e = failure(doc([...HEADER, '##FIRSTX=100', '##LASTX=106', '##NPOINTS=5'], TABLE, ROWS));
    expect(e).toEqual({ code: 'BL_ERR_JCAMP_INVALID', line: 8, message: 'line 8: ##NPOINTS=5 but the data table holds 4 points (truncated or corrupted data?)' });
  });

  it('a first abscissa far from FIRSTX is an error on the first data line', () => {
    const e = failure(doc([...HEADER, '##FIRSTX=90', '##LASTX=106', '##NPOINTS=4'], TABLE, ROWS));
    expect(e.code).toBe('BL_ERR_JCAMP_INVALID');
    expect(e.line).toBe(10);
    expect(e.message).toMatch(/the first data line starts at X = 100 but ##FIRSTX gives 90/);
  });

  it('a last line far from LASTX is an error on the last data line; a step off is tolerated', () => {
    // the check compares the last line's abscissa with the X the header puts at that point
    const e = failure(doc([...HEADER, '##FIRSTX=100', '##LASTX=200', '##NPOINTS=4'], TABLE, ROWS));
    expect([e.code, e.line]).toEqual(['BL_ERR_JCAMP_INVALID', 11]);
    expect(e.message).toMatch(/the last data line ends at X = 137.33\d* but ##LASTX gives 200/);
    expect(parsed(doc([...HEADER, '##FIRSTX=100', '##LASTX=106', '##NPOINTS=4'], TABLE, ['100 1 2', '105 3 4'])).blocks[0]!.warnings).toHaveLength(0);
  });

  it('a single point whose LASTX is not its FIRSTX is an error', () => {
    expect(failure(doc([...HEADER, '##FIRSTX=100', '##LASTX=101', '##NPOINTS=1'], TABLE, ['100 5'])).message).toMatch(/^line 10: the only point is at X = 100 but ##LASTX gives 101/);
    expect(parsed(doc([...HEADER, '##FIRSTX=100', '##LASTX=100', '##NPOINTS=1'], TABLE, ['100 5'])).blocks[0]!.x).toEqual(new Float64Array([100]));
  });

  it('DELTAX that disagrees with FIRSTX, LASTX and NPOINTS is an error on its line', () => {
    const e = failure(doc([...EVEN, '##DELTAX=3'], TABLE, ROWS));
    expect(e).toMatchObject({ code: 'BL_ERR_JCAMP_INVALID', line: 9 });
    expect(e.message).toMatch(/##DELTAX=3 disagrees with the spacing 2/);
  });

  it('FIRSTX of an XY table checked against the first pair', () => {
    expect(failure(doc([...HEADER, '##FIRSTX=7'], '##XYPOINTS=(XY..XY)', ['1,1 2,2 3,3'])).message).toMatch(/the first pair has X = 1 but ##FIRSTX gives 7/);
  });

  it('a bad header number or a zero factor is an error naming the label', () => {
    expect(failure(doc([...EVEN, '##YFACTOR=one'], TABLE, ROWS))).toMatchObject({ line: 9, message: 'line 9: ##YFACTOR="one" is not a number' });
    expect(failure(doc([...EVEN, '##XFACTOR=0'], TABLE, ROWS)).message).toBe('line 9: ##XFACTOR=0: a factor must not be zero');
    expect(failure(doc([...HEADER, '##NPOINTS=3.5'], TABLE, ROWS)).message).toMatch(/##NPOINTS=3.5 is not a whole number/);
  });

  it('values that overflow a double are errors', () => {
    expect(failure(doc(HEADER.concat('##FIRSTX=1', '##DELTAX=1'), TABLE, ['1 1E+999'])).message).toMatch(/out of the range of a double/);
    expect(failure(doc(HEADER.concat('##FIRSTX=1', '##DELTAX=1', '##YFACTOR=1E+300'), TABLE, ['1 1E+300'])).message).toMatch(/out of the range of a double/);
  });
});

describe('compound (LINK) files', () => {
  const irBlock = writeJcamp({ title: 'IR of sample 17', dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE', x0: 400, x1: 4000, y: [1, 2, 3, 2, 1], form: 'DIFDUP', labels: { 'BLOCK_ID': '1' } }).trimEnd();
  const compound = (blocks: number, ...inner: string[]): string => ['##TITLE=Sample 17 $$ compound', '##JCAMP-DX=5.01', '##DATA TYPE=LINK', `##BLOCKS=${blocks}`, ...inner, '##END='].join('\n');
  const structure = ['##TITLE=structure of sample 17', '##BLOCK_ID=2', '##DATA TYPE=STRUCTURE', '##MOLFORM=C7 H8', '##END='].join('\n');
  const raman = ['##TITLE=Raman of sample 17', '##BLOCK_ID=3', '##CROSS REFERENCE=STRUCTURE: BLOCK_ID= 2', '##DATA TYPE=RAMAN SPECTRUM', '##XYPOINTS=(XY..XY)', '100,5 200,7 300,6', '##END='].join('\n');

  it('yield every data block in file order; blocks without data are counted', () => {
    const d = parsed(compound(3, irBlock, structure, raman));
    expect(d.linkBlocks).toBe(2);
    expect(d.blocks.map((b) => [b.title, b.form, b.npoints])).toEqual([['IR of sample 17', 'XYDATA', 5], ['Raman of sample 17', 'XYPOINTS', 3]]);
    expect(d.blocks[0]!.jcampVersion).toBe('4.24');
    expect(d.blocks[1]!.jcampVersion).toBe('5.01'); // inherited from the LINK block
    expect(d.blocks[1]!.labels['CROSSREFERENCE']).toBe('STRUCTURE: BLOCK_ID= 2');
  });

  it('a BLOCKS count that disagrees is an error on the closing ##END', () => {
    const text = compound(4, irBlock, structure, raman);
    expect(failure(text)).toMatchObject({ code: 'BL_ERR_JCAMP_INVALID', line: text.split('\n').length, message: expect.stringMatching(/declares ##BLOCKS=4 but holds 3 blocks/) });
  });

  it('a block without its ##END is an error at the next ##TITLE', () => {
    const text = compound(2, irBlock.replace(/\n##END=$/, ''), raman);
    const line = text.split('\n').findIndex((l) => l.startsWith('##TITLE=Raman')) + 1;
    expect(failure(text)).toMatchObject({ code: 'BL_ERR_JCAMP_INVALID', line, message: expect.stringMatching(/missing ##END: ##TITLE starts a new block but the block "IR of sample 17" opened at line 5 is not closed/) });
  });

  it('the point limit covers all blocks together', () => {
    expect(failure(compound(3, irBlock, structure, raman), { maxPoints: 7 }).code).toBe('BL_ERR_JCAMP_TOO_LARGE');
    expect(parsed(compound(3, irBlock, structure, raman), { maxPoints: 8 }).blocks).toHaveLength(2);
  });

  it('concatenated single-block files read as several blocks', () => {
    expect(parsed(`${irBlock}\n\n${irBlock.replace('IR of sample 17', 'second')}\n`).blocks.map((b) => b.title)).toEqual(['IR of sample 17', 'second']);
  });
});

describe('refused forms', () => {
  it('NTUPLES, whatever its spelling', () => {
    for (const label of ['##NTUPLES=NMR SPECTRUM', '##ntuples= MASS SPECTRUM', '##N TUPLES=NMR FID']) {
      const e = failure(['##TITLE=nD', '##JCAMP-DX=5.01', '##DATA TYPE=NMR SPECTRUM', label, '##VAR_NAME= FREQUENCY, SPECTRUM/REAL', '##END NTUPLES=NMR SPECTRUM', '##END='].join('\n'));
      expect(e).toEqual({ code: 'BL_ERR_JCAMP_UNSUPPORTED', line: 4, message: 'line 4: NTUPLES (nD/NMR/MS) data are not supported' });
    }
  });

  it('RADATA, other variable lists', () => {
    expect(failure(doc(HEADER, '##RADATA=(R++(A..A))', ['0 1 2'])).code).toBe('BL_ERR_JCAMP_UNSUPPORTED');
    const e = failure(doc(EVEN, '##XYDATA=(X++(R..R))', ROWS));
    expect(e).toMatchObject({ code: 'BL_ERR_JCAMP_UNSUPPORTED', line: 9 });
    expect(e.message).toMatch(/\(X\+\+\(R\.\.R\)\): this variable list is not supported/);
  });
});

describe('malformed documents give coded errors with a line', () => {
  const cases: [string, string | Buffer, string, number | undefined, RegExp][] = [
    ['empty input', '', 'BL_ERR_JCAMP_INVALID', undefined, /no ##TITLE= record/],
    ['plain text', 'hello world\n', 'BL_ERR_JCAMP_INVALID', 1, /not a JCAMP-DX document: it must start with ##TITLE=/],
    ['a first record that is not TITLE', '##JCAMP-DX=4.24\n##TITLE=x\n', 'BL_ERR_JCAMP_INVALID', 1, /the first record must be ##TITLE=, found ##JCAMP-DX=/],
    ['binary garbage', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'BL_ERR_JCAMP_INVALID', 1, /not a JCAMP-DX document/],
    ['a ## line without =', doc(EVEN, TABLE, ['##garbage', ...ROWS]), 'BL_ERR_JCAMP_INVALID', 10, /starts with ## but has no "="/],
    ['a missing ##END (truncated file)', doc(EVEN, TABLE, ROWS).replace(/\n##END=$/, ''), 'BL_ERR_JCAMP_INVALID', 11, /missing ##END: the input ends inside the block "test" opened at line 1/],
    ['an empty table', doc(EVEN, TABLE, []), 'BL_ERR_JCAMP_INVALID', 9, /the ##XYDATA table holds no data/],
    ['a table with only blank lines', doc(HEADER, TABLE, ['', '  ']), 'BL_ERR_JCAMP_INVALID', 6, /holds no data/],
    ['no table at all', '##TITLE=x\n##JCAMP-DX=4.24\n##END=\n', 'BL_ERR_JCAMP_INVALID', 1, /no block holds a data table/],
    ['a table without a variable list', doc(EVEN, '##XYDATA=', ROWS), 'BL_ERR_JCAMP_INVALID', 9, /needs a variable list/],
    ['two tables in one block', doc(EVEN, TABLE, [...ROWS, '##XYPOINTS=(XY..XY)', '1,2']), 'BL_ERR_JCAMP_INVALID', 12, /a second data table/],
    ['a bad character in the data', doc(EVEN, TABLE, ['100 1 2', '104 3 *']), 'BL_ERR_JCAMP_INVALID', 11, /column 7: character "\*"/],
    ['text after the last ##END', `${doc(EVEN, TABLE, ROWS)}\ntrailing words`, 'BL_ERR_JCAMP_INVALID', 13, /text after the closing ##END/],
    ['a label after the last ##END', `${doc(EVEN, TABLE, ROWS)}\n##ORIGIN=x`, 'BL_ERR_JCAMP_INVALID', 13, /##ORIGIN= after the closing ##END/],
  ];
  for (const [what, input, code, line, message] of cases) {
    it(what, () => {
      const e = failure(input);
      expect(e.code).toBe(code);
      expect(e.line).toBe(line);
      expect(e.message).toMatch(message);
      if (line !== undefined) expect(e.message.startsWith(`line ${line}: `)).toBe(true);
    });
  }

  it('size limit: larger input is refused unread', () => {
    const text = fixture('reference-ir/water.jdx');
    expect(failure(text, { maxBytes: 1000 })).toEqual({ code: 'BL_ERR_JCAMP_TOO_LARGE', message: `the document is ${text.length} bytes, more than the limit of 1000; refused unread` });
    expect(failure(text.toString('latin1'), { maxBytes: 1000 }).code).toBe('BL_ERR_JCAMP_TOO_LARGE');
    expect(parsed(text, { maxBytes: text.length }).blocks).toHaveLength(1);
  });

  it('point limit', () => {
    expect(failure(fixture('reference-ir/water.jdx'), { maxPoints: 879 })).toMatchObject({ code: 'BL_ERR_JCAMP_TOO_LARGE' });
    expect(parsed(fixture('reference-ir/water.jdx'), { maxPoints: 880 }).blocks[0]!.npoints).toBe(880);
  });

  it('Latin-1 bytes in a comment are read, not refused', () => {
    const bytes = Buffer.concat([Buffer.from('##TITLE=Spektrum f'), Buffer.from([0xfc]), Buffer.from(`r Zoll\n${doc(EVEN.slice(1), TABLE, ROWS)}`)]);
    expect(parsed(bytes).blocks[0]!.title).toBe('Spektrum für Zoll');
  });
});

describe('dates', () => {
  const cases: [Record<string, string>, string | undefined][] = [
    [{ LONGDATE: '2024/03/05 14:03:07.25 -0500' }, '2024-03-05T14:03:07.250-05:00'],
    [{ LONGDATE: '2024/03/05 14:03:07 UTC' }, '2024-03-05T14:03:07Z'],
    [{ LONGDATE: '2024/03/05', DATE: '99/01/01' }, '2024-03-05'],
    [{ LONGDATE: 'soon', DATE: '2000/10/04', TIME: '14:47' }, '2000-10-04T14:47:00'],
    [{ DATE: '98/10/1' }, '1998-10-01'],
    [{ DATE: '01/06/01' }, '2001-06-01'],
    [{ DATE: '28/8/2023' }, '2023-08-28'],
    [{ DATE: '8/28/2023' }, '2023-08-28'],
    [{ DATE: '5/5/2020' }, '2020-05-05'],
    [{ DATE: '03/04/2020' }, undefined],
    [{ DATE: '1964' }, undefined],
    [{ DATE: '12-MAR-1998', TIME: '08:15:30' }, '1998-03-12T08:15:30'],
    [{ DATE: '2023/02/30' }, undefined],
    [{ DATE: '2023/02/28', TIME: '25:00' }, undefined],
    [{ DATE: '2000/10/04 14:47:05' }, '2000-10-04T14:47:05'],
    [{ TIME: '14:47' }, undefined],
  ];
  for (const [labels, iso] of cases) {
    it(`${JSON.stringify(labels)} -> ${iso}`, () => {
      expect(observedAt(labels)).toBe(iso);
    });
  }
});

describe('hostile input never throws', () => {
  const CODES = ['BL_ERR_JCAMP_INVALID', 'BL_ERR_JCAMP_UNSUPPORTED', 'BL_ERR_JCAMP_YCHECK', 'BL_ERR_JCAMP_TOO_LARGE'];
  const wellFormed = (input: string | Buffer): boolean => {
    const r = parseJcamp(input, { maxPoints: 100_000 });
    if (r.ok) return r.value.blocks.every((b) => b.x.length === b.npoints && b.y.length === b.npoints && b.y.every(Number.isFinite) && b.x.every(Number.isFinite));
    const lines = (typeof input === 'string' ? input : input.toString('latin1')).split(/\r\n|\r|\n/).length;
    return CODES.includes(r.error.code) && r.error.message.length > 0 && (r.error.line === undefined || (Number.isInteger(r.error.line) && r.error.line >= 1 && r.error.line <= lines));
  };
  const base = writeJcamp({ title: 'base', dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE', x0: 400, x1: 499, y: Array.from({ length: 100 }, (_, i) => Math.round(500 * Math.sin(i / 7))), form: 'DIFDUP' });
  const alphabet = fc.constantFrom(...'0123456789.+-eE @AaIi%JjRrSsZz?#=$\n\r,;()'.split(''));

  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => wellFormed(Buffer.from(bytes))), { numRuns: 300 });
  });

  it('arbitrary text after a valid header', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (tail) => wellFormed(`##TITLE=t\n##XYDATA=(X++(Y..Y))\n${tail}`)), { numRuns: 300 });
  });

  it('a valid file with characters replaced, inserted or deleted', () => {
    fc.assert(fc.property(fc.nat({ max: base.length - 1 }), fc.nat({ max: 20 }), alphabet, fc.constantFrom('replace', 'insert', 'delete'), (at, len, ch, op) => {
      const mutated = op === 'replace' ? base.slice(0, at) + ch + base.slice(at + 1) : op === 'insert' ? base.slice(0, at) + ch + base.slice(at) : base.slice(0, at) + base.slice(at + len);
      return wellFormed(mutated);
    }), { numRuns: 400 });
  });

  it('every truncation before the final ##END= is an error', () => {
    const end = base.lastIndexOf('##END=') + '##END='.length;
    fc.assert(fc.property(fc.nat({ max: end - 1 }), (cut) => {
      const r = parseJcamp(base.slice(0, cut));
      return !r.ok && wellFormed(base.slice(0, cut));
    }), { numRuns: 300 });
  });
});
