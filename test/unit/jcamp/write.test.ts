/**
 * writeJcamp -> parseJcamp round trips for both forms, the shape of what the writer emits
 * (header, line length, Y checks), and the programming errors it refuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeJcamp, type JcampWriteInput } from '../../../src/jcamp/index.js';
import { parsed } from './jcamp-helpers.js';

const base = { title: 'simulated', dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE', x0: 400, x1: 4000 };

function roundTrip(input: JcampWriteInput) {
  const text = writeJcamp(input);
  return { text, s: parsed(text).blocks[0]! };
}

const spectrum = (n: number): number[] => Array.from({ length: n }, (_, i) => 0.02 + 0.8 * Math.exp(-(((i - n / 3) / (n / 40)) ** 2)) + 0.3 * Math.exp(-(((i - (2 * n) / 3) / (n / 80)) ** 2)));

describe('round trips', () => {
  it('AFFN is exact: the same doubles come back', () => {
    const y = spectrum(2000);
    const { s } = roundTrip({ ...base, y, form: 'AFFN' });
    expect(Array.from(s.y)).toEqual(y);
    expect([s.npoints, s.firstX, s.lastX, s.encodings, s.yFactor]).toEqual([2000, 400, 4000, ['AFFN'], 1]);
    expect(s.x[1]).toBeCloseTo(400 + 3600 / 1999, 10);
  });

  it('AFFN with a YFACTOR', () => {
    const y = spectrum(300);
    const { s, text } = roundTrip({ ...base, y, form: 'AFFN', yFactor: 0.001 });
    expect(text).toContain('##YFACTOR=0.001\n');
    for (let i = 0; i < y.length; i++) expect(s.y[i]).toBeCloseTo(y[i]!, 12);
  });

  it('DIFDUP of integers is exact, with SQZ, DIF and DUP', () => {
    const y = [0, 0, 0, 0, 5, 10, 15, 20, 20, 20, -7, 123456, 123456, -5, -5, -5, -5, 0];
    const { s } = roundTrip({ ...base, y, form: 'DIFDUP' });
    expect(Array.from(s.y)).toEqual(y);
    expect(s.yFactor).toBe(1);
    expect(s.encodings).toEqual(['SQZ', 'DIF', 'DUP']);
  });

  it('DIFDUP of real values is within YFACTOR / 2 (nine significant digits of the largest)', () => {
    const y = spectrum(5000);
    const { s } = roundTrip({ ...base, y, form: 'DIFDUP' });
    const maxAbs = Math.max(...y.map(Math.abs));
    expect(s.yFactor).toBeCloseTo(maxAbs / 1e9, 20);
    for (let i = 0; i < y.length; i++) expect(Math.abs(s.y[i]! - y[i]!)).toBeLessThanOrEqual(s.yFactor / 2 + 1e-15 * maxAbs);
  });

  it('DIFDUP with a given YFACTOR', () => {
    const y = spectrum(500);
    const { s } = roundTrip({ ...base, y, form: 'DIFDUP', yFactor: 1e-6 });
    for (let i = 0; i < y.length; i++) expect(Math.abs(s.y[i]! - y[i]!)).toBeLessThanOrEqual(5e-7 + 1e-15);
  });

  it('decreasing X, a single point, negative values', () => {
    const dec = roundTrip({ ...base, x0: 4000, x1: 400, y: [-1, -2, -3], form: 'DIFDUP' }).s;
    expect([Array.from(dec.x), Array.from(dec.y)]).toEqual([[4000, 2200, 400], [-1, -2, -3]]);
    const one = roundTrip({ ...base, x1: 400, y: [42], form: 'DIFDUP' }).s;
    expect([one.npoints, one.firstX, Array.from(one.y)]).toEqual([1, 400, [42]]);
    expect(Array.from(roundTrip({ ...base, x1: 400, y: [0.5], form: 'AFFN' }).s.y)).toEqual([0.5]);
    // one point has one abscissa: x0
    expect(roundTrip({ ...base, y: [7] }).s).toMatchObject({ firstX: 400, lastX: 400, npoints: 1 });
  });

  it('labels and private labels come back', () => {
    const { s } = roundTrip({ ...base, y: [1, 2, 3], labels: { ORIGIN: 'BorderLink simulator', 'CAS REGISTRY NO': '75-71-8', '$LANE': '3', COMMENTS: 'two\nlines' } });
    expect(s).toMatchObject({ origin: 'BorderLink simulator', casRegistryNo: '75-71-8', jcampVersion: '4.24', dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE' });
    expect(s.privateLabels).toEqual({ '$LANE': '3' });
    expect(s.labels['COMMENTS']).toBe('two\nlines');
  });

  it('a 100k-point spectrum reads back in both forms (well under 100 ms in practice; not timed here)', () => {
    const y = spectrum(100_000);
    for (const form of ['AFFN', 'DIFDUP'] as const) {
      const { s } = roundTrip({ ...base, y, form });
      expect(s.npoints).toBe(100_000);
      expect(s.lastX).toBe(4000);
    }
  });

  it('property: random integer series round-trip exactly through DIFDUP, random doubles through AFFN', () => {
    const ys = fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 300 });
    fc.assert(fc.property(ys, fc.boolean(), (y, dupRuns) => {
      const series = dupRuns ? y.flatMap((v) => [v, v, v]) : y;
      return parsed(writeJcamp({ ...base, y: series, form: 'DIFDUP' })).blocks[0]!.y.every((v, i) => v === series[i]);
    }), { numRuns: 200 });
    const doubles = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), { minLength: 1, maxLength: 100 });
    fc.assert(fc.property(doubles, (y) => parsed(writeJcamp({ ...base, y, form: 'AFFN' })).blocks[0]!.y.every((v, i) => v === y[i])), { numRuns: 200 });
  });
});

describe('what the writer emits', () => {
  it('a 4.24 header, lines of at most 80 characters, and a final Y check line in DIFDUP', () => {
    const text = writeJcamp({ ...base, y: spectrum(1000), form: 'DIFDUP' });
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['##TITLE=simulated', '##JCAMP-DX=4.24']);
    expect(text).toContain('\n##NPOINTS=1000\n##FIRSTY=0.02');
    expect(text).toContain('\n##XYDATA=(X++(Y..Y))\n');
    expect(text.endsWith('\n##END=\n')).toBe(true);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.at(-3)).toMatch(/^4000[@A-Ia-i]\d*$/);
  });

  it('the example from the standard: 1 1 1 1 1 2 3 4 5 6 6 6 6', () => {
    const text = writeJcamp({ ...base, x0: 10, x1: 22, y: [1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6], form: 'DIFDUP' });
    expect(text).toContain('\n##XYDATA=(X++(Y..Y))\n10A%VJW%U\n22F\n##END=\n');
  });
});

describe('programming errors throw RangeError', () => {
  const cases: [string, Partial<JcampWriteInput>, RegExp][] = [
    ['no points', { y: [] }, /at least one point/],
    ['a NaN', { y: [1, Number.NaN] }, /y\[1\] must be a finite number/],
    ['an infinite x', { x1: Number.POSITIVE_INFINITY, y: [1] }, /x1 must be a finite number/],
    ['a zero factor', { y: [1], yFactor: 0 }, /must not be zero/],
    ['a title on two lines', { title: 'a\nb', y: [1] }, /title must not contain a line break/],
    ['a comment marker in a value', { y: [1], labels: { ORIGIN: 'a $$ b' } }, /"\$\$"/],
    ['a label the writer owns', { y: [1], labels: { 'n points': '3' } }, /written by writeJcamp itself/],
    ['a label name with =', { y: [1], labels: { 'A=B': 'x' } }, /not a JCAMP-DX label/],
    ['a value line starting with ##', { y: [1], labels: { COMMENTS: 'a\n##END=' } }, /line starting with ##/],
    ['a DIFDUP value too large for integers', { y: [1e300], yFactor: 1, form: 'DIFDUP' }, /too large for DIF compression/],
  ];
  for (const [what, override, message] of cases) {
    it(what, () => {
      expect(() => writeJcamp({ ...base, y: [1], ...override })).toThrow(message);
      expect(() => writeJcamp({ ...base, y: [1], ...override })).toThrow(RangeError);
    });
  }
});
