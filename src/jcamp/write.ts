/**
 * writeJcamp: an evenly spaced spectrum to a JCAMP-DX 4.24 file with one ##XYDATA=(X++(Y..Y))
 * table, for simulators (a spectrometer that drops .jdx files) and round-trip tests of the reader.
 *
 *   AFFN    one abscissa and blank-separated ordinates per line, each number written in full
 *           (String(v), which reads back to the same double), so the round trip is exact.
 *   DIFDUP  ordinates as integers (y / YFACTOR rounded), each line an SQZ value then DIF
 *           differences with DUP for runs; every DIF line is followed by a line repeating its last
 *           ordinate (the Y-value check), including a final check line, as the standard asks.
 *
 * Lines stay within 80 characters. Unlike the reader, the writer is given values by our own code,
 * not by a device: a non-finite value or a label that would corrupt the file is a programming
 * error and throws a RangeError.
 */
import { dif, dup, sqz } from './asdf.js';
import { normaliseLabel } from './labels.js';

export interface JcampWriteInput {
  title: string;
  dataType: string;
  xUnits: string;
  yUnits: string;
  /** abscissa of the first and the last point (a single point sits at x0) */
  x0: number;
  x1: number;
  y: ArrayLike<number>;
  /** extra records written after ##DATA TYPE, name as written ('ORIGIN', '$VENDOR FIELD') -> value */
  labels?: Record<string, string>;
  /** default 'AFFN' */
  form?: 'AFFN' | 'DIFDUP';
  /**
   * ##YFACTOR. AFFN writes y / yFactor (default 1). DIFDUP writes round(y / yFactor); by default 1
   * when every y is an integer, else max|y| / 1e9 (nine significant digits, within int32).
   */
  yFactor?: number;
}

const MAX_LINE = 80;

/** Labels the writer writes itself: extra labels may not repeat them. */
const OWN_LABELS = new Set(['TITLE', 'JCAMPDX', 'DATATYPE', 'XUNITS', 'YUNITS', 'XFACTOR', 'YFACTOR', 'FIRSTX', 'LASTX', 'DELTAX', 'NPOINTS', 'FIRSTY', 'XYDATA', 'END']);

function checkText(what: string, v: string, multiLine: boolean): void {
  if (v.includes('\r') || (!multiLine && v.includes('\n'))) throw new RangeError(`${what} must not contain a line break`);
  if (v.includes('$$')) throw new RangeError(`${what} must not contain "$$" (a JCAMP-DX comment)`);
  if (v.split('\n').some((l, i) => i > 0 && l.trimStart().startsWith('##'))) throw new RangeError(`${what} must not have a line starting with ##`);
}

function finite(what: string, v: number): number {
  if (!Number.isFinite(v)) throw new RangeError(`${what} must be a finite number, got ${v}`);
  return v;
}

export function writeJcamp(s: JcampWriteInput): string {
  const n = s.y.length;
  if (n < 1) throw new RangeError('a spectrum needs at least one point');
  const y = Array.from(s.y, (v, i) => finite(`y[${i}]`, v));
  const x0 = finite('x0', s.x0);
  const x1 = finite('x1', s.x1);
  const step = n > 1 ? (x1 - x0) / (n - 1) : 0;
  // with one point there is one abscissa: x0 (x1 is not used)
  const xLast = n > 1 ? x1 : x0;
  const xAt = (i: number): string => String(i === n - 1 ? xLast : x0 + i * step);
  const form = s.form ?? 'AFFN';

  const head: string[] = [];
  const record = (name: string, value: string | number): void => {
    head.push(`##${name}=${value}`);
  };
  checkText('title', s.title, false);
  record('TITLE', s.title);
  record('JCAMP-DX', '4.24');
  for (const [what, v] of [['dataType', s.dataType], ['xUnits', s.xUnits], ['yUnits', s.yUnits]] as const) checkText(what, v, false);
  record('DATA TYPE', s.dataType);
  for (const [name, value] of Object.entries(s.labels ?? {})) {
    const norm = normaliseLabel(name);
    if (name.trim() === '' || name.includes('=') || /[\r\n]/.test(name)) throw new RangeError(`label name "${name}" is not a JCAMP-DX label`);
    if (OWN_LABELS.has(norm)) throw new RangeError(`label ##${name} is written by writeJcamp itself`);
    checkText(`label ##${name}`, value, true);
    record(name, value);
  }
  record('XUNITS', s.xUnits);
  record('YUNITS', s.yUnits);

  let yFactor: number;
  let data: string[];
  if (form === 'AFFN') {
    yFactor = finite('yFactor', s.yFactor ?? 1);
    if (yFactor === 0) throw new RangeError('yFactor must not be zero');
    data = affnLines(y.map((v) => v / yFactor), xAt);
  } else {
    const maxAbs = y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    yFactor = finite('yFactor', s.yFactor ?? (y.every(Number.isInteger) || maxAbs === 0 ? 1 : maxAbs / 1e9));
    if (yFactor === 0) throw new RangeError('yFactor must not be zero');
    const ints = y.map((v, i) => {
      const r = Math.round(v / yFactor);
      if (!Number.isSafeInteger(r)) throw new RangeError(`y[${i}] / yFactor = ${v / yFactor} is too large for DIF compression`);
      return r === 0 ? 0 : r; // no -0: it would write as "@" anyway, but keep the array clean
    });
    data = difDupLines(ints, xAt);
  }
  record('XFACTOR', 1);
  record('YFACTOR', yFactor);
  record('FIRSTX', x0);
  record('LASTX', xLast);
  if (n > 1) record('DELTAX', step);
  record('NPOINTS', n);
  record('FIRSTY', y[0] as number);
  record('XYDATA', '(X++(Y..Y))');
  return `${[...head, ...data, '##END='].join('\n')}\n`;
}

function affnLines(values: number[], xAt: (i: number) => string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < values.length) {
    let line = `${xAt(i)} ${values[i]}`;
    i++;
    while (i < values.length) {
      const tok = ` ${values[i]}`;
      if (line.length + tok.length > MAX_LINE) break;
      line += tok;
      i++;
    }
    out.push(line);
  }
  return out;
}

function difDupLines(v: number[], xAt: (i: number) => string): string[] {
  const out: string[] = [];
  const n = v.length;
  let p = 0;
  for (;;) {
    let line = xAt(p) + sqz(v[p] as number);
    let q = p;
    let endedInDif = false;
    while (q < n - 1) {
      const d = (v[q + 1] as number) - (v[q] as number);
      let run = 1;
      while (q + 1 + run < n && (v[q + 1 + run] as number) - (v[q + run] as number) === d) run++;
      const tok = dif(d) + (run > 1 ? dup(run) : '');
      if (endedInDif && line.length + tok.length > MAX_LINE) break;
      line += tok;
      q += run;
      endedInDif = true;
    }
    out.push(line);
    if (q === n - 1) {
      if (endedInDif) out.push(xAt(q) + sqz(v[q] as number)); // the Y-value check of the last line
      return out;
    }
    p = q; // the next line repeats this line's last ordinate as its Y-value check
  }
}
