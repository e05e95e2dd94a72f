/**
 * One block's labels and data table to a JcampSpectrum: the table decoded, the factors applied,
 * the abscissas computed, and the header's promises (NPOINTS, FIRSTX, LASTX, DELTAX) held against
 * what the data actually say. A disagreement beyond rounding is a failure, because it means the
 * header and the data describe different spectra and a peak would land at the wrong wavenumber.
 */
import { decodeGroups, decodeXppYY, type TableLines } from './asdf.js';
import { observedAt } from './date.js';
import { clip, parseHeaderCount, parseHeaderNumber, splitVariableList, type DataTableLabel } from './labels.js';
import { invalid, unsupported, type JcampSpectrum } from './types.js';

/** A block as the document scanner collected it. */
export interface RawBlock {
  titleLine: number;
  /** normalised label -> value (trimmed); line of each */
  labels: Record<string, string>;
  labelLines: Record<string, number>;
  privateLabels: Record<string, string>;
  warnings: string[];
  table?: { label: DataTableLabel; value: string; line: number; lines: TableLines };
  /** ##JCAMP-DX of the enclosing LINK block */
  inheritedVersion?: string;
}

const text = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/** Rounding allowance for header X against data X: abscissas are written rounded, and real files put LASTX a step off. */
const X_TOLERANCE_STEPS = 1.5;

function headerNumber(b: RawBlock, norm: string, name: string): number | undefined {
  const v = b.labels[norm];
  return v === undefined ? undefined : parseHeaderNumber(v, name, b.labelLines[norm] ?? b.titleLine);
}

function factor(b: RawBlock, norm: 'XFACTOR' | 'YFACTOR'): number {
  const f = headerNumber(b, norm, norm);
  if (f === undefined) return 1;
  if (f === 0) throw invalid(b.labelLines[norm], `##${norm}=0: a factor must not be zero`);
  return f;
}

const fmt = (v: number): string => String(Number(v.toPrecision(10)));

/** `budget`: how many points this block may still hold under the document's point limit. */
export function buildSpectrum(b: RawBlock, budget: number): JcampSpectrum {
  const table = b.table;
  if (table === undefined) throw invalid(b.titleLine, 'the block has no data table');
  const { list, rest } = splitVariableList(table.value);
  if (list === '') throw invalid(table.line, `##${table.label}= needs a variable list such as (X++(Y..Y)) or (XY..XY), found "${clip(table.value)}"`);
  if (rest !== '') throw invalid(table.line, `unexpected "${clip(rest)}" after the variable list ${list}`);
  const xppyy = table.label === 'XYDATA' && list === '(X++(Y..Y))';
  const width = list === '(XY..XY)' ? 2 : list === '(XYW..XYW)' && table.label !== 'XYDATA' ? 3 : 0;
  if (!xppyy && width === 0) throw unsupported(table.line, `##${table.label}=${list}: this variable list is not supported (read: XYDATA=(X++(Y..Y)) or (XY..XY); XYPOINTS and PEAKTABLE=(XY..XY) or (XYW..XYW))`);

  const xFactor = factor(b, 'XFACTOR');
  const yFactor = factor(b, 'YFACTOR');
  const npointsLine = b.labelLines['NPOINTS'];
  const declared = b.labels['NPOINTS'] === undefined ? undefined : parseHeaderCount(b.labels['NPOINTS'], 'NPOINTS', npointsLine ?? b.titleLine, 0);
  const sizeHint = declared ?? 1024;
  const headerFirstX = headerNumber(b, 'FIRSTX', 'FIRSTX');
  const headerLastX = headerNumber(b, 'LASTX', 'LASTX');
  const headerDeltaX = headerNumber(b, 'DELTAX', 'DELTAX');

  let x: Float64Array;
  let y: Float64Array;
  let w: Float64Array | undefined;
  let encodings: JcampSpectrum['encodings'];
  if (xppyy) {
    const d = decodeXppYY(table.lines, sizeHint, budget);
    const n = d.y.length;
    if (n === 0) throw invalid(table.line, `the ##${table.label} table holds no data`);
    checkCount(declared, n, npointsLine);
    encodings = d.encodings;
    y = scale(d.y, yFactor);
    const dataFirstX = d.firstLineX * xFactor;
    const x0 = headerFirstX ?? dataFirstX;
    let step: number;
    let stepSource: string;
    if (n === 1) {
      step = 0;
      stepSource = '';
    } else if (headerLastX !== undefined) {
      step = (headerLastX - x0) / (n - 1);
      stepSource = headerFirstX === undefined ? '##LASTX' : '##FIRSTX and ##LASTX';
    } else if (headerDeltaX !== undefined) {
      step = headerDeltaX;
      stepSource = '##DELTAX';
    } else if (d.lastLineXIndex > 0) {
      step = (d.lastLineX * xFactor - dataFirstX) / d.lastLineXIndex;
      stepSource = 'the line abscissas';
      b.warnings.push('no ##LASTX or ##DELTAX: the X spacing is taken from the abscissas of the first and last data lines');
    } else {
      throw invalid(table.line, 'cannot place the points on X: the table is one line and the block has neither ##LASTX nor ##DELTAX');
    }
    x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = x0 + i * step;
    if (headerLastX !== undefined && n > 1) x[n - 1] = headerLastX;
    const lastX = x[n - 1] as number;
    const tol = Math.max(X_TOLERANCE_STEPS * Math.abs(step), 1e-9 * Math.max(1, Math.abs(x0), Math.abs(lastX)));
    if (headerFirstX !== undefined) {
      checkX(b, dataFirstX, headerFirstX, step, tol, d.firstLine, 'the first data line starts at', '##FIRSTX');
    }
    const dataLastX = d.lastLineX * xFactor + (n - 1 - d.lastLineXIndex) * step;
    if (n > 1) checkX(b, dataLastX, lastX, step, tol, d.lastLine, 'the last data line ends at', headerLastX === undefined ? `the X computed from ${stepSource}` : '##LASTX');
    else if (headerLastX !== undefined) checkX(b, x0, headerLastX, 0, tol, d.lastLine, 'the only point is at', '##LASTX');
    if (headerDeltaX !== undefined && n > 1 && stepSource !== '##DELTAX') {
      if (Math.abs(headerDeltaX - step) > 0.01 * Math.abs(step) + 1e-12) {
        throw invalid(b.labelLines['DELTAX'], `##DELTAX=${b.labels['DELTAX']} disagrees with the spacing ${fmt(step)} given by ${stepSource} and the ${n} points`);
      }
    }
  } else {
    const d = decodeGroups(table.lines, width as 2 | 3, sizeHint, budget);
    const n = d.x.length;
    if (n === 0) throw invalid(table.line, `the ##${table.label} table holds no data`);
    checkCount(declared, n, npointsLine);
    encodings = d.encodings;
    x = scale(d.x, xFactor);
    y = scale(d.y, yFactor);
    w = d.w;
    const first = x[0] as number;
    const last = x[n - 1] as number;
    const spacing = n > 1 ? Math.abs(last - first) / (n - 1) : 0;
    const tol = Math.max(0.5 * spacing, 1e-9 * Math.max(1, Math.abs(first), Math.abs(last)));
    if (headerFirstX !== undefined) checkX(b, first, headerFirstX, spacing, tol, d.firstLine, 'the first pair has', '##FIRSTX');
    if (headerLastX !== undefined) checkX(b, last, headerLastX, spacing, tol, d.lastLine, 'the last pair has', '##LASTX');
  }

  const n = x.length;
  // DIF sums and factors can overflow even when every written number is in range
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i] as number) || !Number.isFinite(y[i] as number)) {
      throw invalid(table.line, `point ${i} of the ##${table.label} table is out of the range of a double once DIF sums and factors are applied`);
    }
  }
  const labels = b.labels;
  const observed = observedAt(labels);
  const s: JcampSpectrum = {
    title: labels['TITLE'] ?? '',
    xFactor,
    yFactor,
    firstX: x[0] as number,
    lastX: x[n - 1] as number,
    npoints: n,
    form: table.label,
    x,
    y,
    encodings,
    labels,
    privateLabels: b.privateLabels,
    warnings: b.warnings,
  };
  const optional: Partial<JcampSpectrum> = {
    jcampVersion: text(labels['JCAMPDX']) ?? b.inheritedVersion,
    dataType: text(labels['DATATYPE']),
    origin: text(labels['ORIGIN']),
    owner: text(labels['OWNER']),
    xUnits: text(labels['XUNITS']),
    yUnits: text(labels['YUNITS']),
    w,
    observedAt: observed,
    casRegistryNo: text(labels['CASREGISTRYNO']),
    molform: text(labels['MOLFORM']),
    spectrometer: text(labels['SPECTROMETERDATASYSTEM']),
  };
  // absent fields are left out rather than set to undefined, so `'w' in s` and JSON stay honest
  for (const k of Object.keys(optional) as (keyof JcampSpectrum)[]) if (optional[k] === undefined) delete optional[k];
  return { ...s, ...optional };
}

function checkCount(declared: number | undefined, n: number, line: number | undefined): void {
  if (declared !== undefined && declared !== n) {
    throw invalid(line, `##NPOINTS=${declared} but the data table holds ${n} points (truncated or corrupted data?)`);
  }
}

function scale(raw: Float64Array, f: number): Float64Array {
  if (f !== 1) for (let i = 0; i < raw.length; i++) raw[i] = (raw[i] as number) * f;
  return raw;
}

/** Fails when the data's X and the header's disagree beyond `tol`; warns when they are more than half a step apart. */
function checkX(b: RawBlock, dataX: number, headerX: number, step: number, tol: number, line: number, what: string, header: string): void {
  const diff = Math.abs(dataX - headerX);
  if (diff > tol) {
    throw invalid(line, `${what} X = ${fmt(dataX)} but ${header} gives ${fmt(headerX)} (off by ${fmt(diff)}, more than the allowed ${fmt(tol)})`);
  }
  if (step !== 0 && diff > 0.5 * Math.abs(step)) {
    b.warnings.push(`line ${line}: ${what} X = ${fmt(dataX)}, ${fmt(diff / Math.abs(step))} steps from ${header} = ${fmt(headerX)}`);
  }
}
