/**
 * Labelled data records (LDRs): `##LABEL=value`. The standard compares labels ignoring case,
 * blanks, hyphens, slashes and underscores ("##X UNITS", "##XUNITS", "##x_units" are one label),
 * so the reader keys every standard label by that normal form. Private labels (`##$...`) are
 * vendor namespace: they keep the name exactly as written.
 */
import { invalid } from './types.js';

/** The normal form of a label name: upper case, without blanks, '-', '/', '_'. */
export function normaliseLabel(name: string): string {
  return name.replace(/[\s\-/_]+/g, '').toUpperCase();
}

/** Everything from the first `$$` on is a comment (JCAMP-DX 4.24 section 4.2). */
export function stripComment(line: string): string {
  const i = line.indexOf('$$');
  return i < 0 ? line : line.slice(0, i);
}

/** Records whose value is a data table read by this module. */
export const DATA_TABLE_LABELS = ['XYDATA', 'XYPOINTS', 'PEAKTABLE'] as const;
export type DataTableLabel = (typeof DATA_TABLE_LABELS)[number];

export const isDataTableLabel = (norm: string): norm is DataTableLabel =>
  (DATA_TABLE_LABELS as readonly string[]).includes(norm);

/**
 * Records that belong to forms this reader refuses, with the reason. They are refused rather than
 * skipped: a file whose only data is an NTUPLES table would otherwise read as "no data", or worse,
 * its pages as a plain spectrum.
 */
export const UNSUPPORTED_LABELS: Readonly<Record<string, string>> = {
  NTUPLES: 'NTUPLES (nD/NMR/MS) data are not supported',
  DATATABLE: '##DATA TABLE belongs to NTUPLES (nD/NMR/MS) data, which are not supported',
  PAGE: '##PAGE belongs to NTUPLES (nD/NMR/MS) data, which are not supported',
  RADATA: '##RADATA (interferogram, R++(A..A)) data are not supported',
};

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A header number (FIRSTX=4.001963E+02, YFACTOR=.0005162); fails naming the label and line. */
export function parseHeaderNumber(value: string, label: string, line: number): number {
  const t = value.trim();
  const n = DECIMAL.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(n)) throw invalid(line, `##${label}="${clip(value)}" is not a number`);
  return n;
}

/** A whole-number header (NPOINTS, BLOCKS): 14106 or 14106.0, at least `min`. */
export function parseHeaderCount(value: string, label: string, line: number, min: number): number {
  const n = parseHeaderNumber(value, label, line);
  if (!Number.isSafeInteger(n) || n < min) throw invalid(line, `##${label}=${clip(value)} is not a whole number of at least ${min}`);
  return n;
}

/** Shortens a value quoted in an error message (values can be whole data tables). */
export function clip(s: string, max = 60): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max)}...`;
}

/**
 * The variable list of a data table, e.g. "(X++(Y..Y))" from "##XYDATA= (X++(Y..Y))  ", compared
 * without blanks and case. Returns the list and whatever follows it on the line.
 */
export function splitVariableList(value: string): { list: string; rest: string } {
  const v = value.trim();
  if (!v.startsWith('(')) return { list: '', rest: v };
  let depth = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return { list: v.slice(0, i + 1).replace(/\s+/g, '').toUpperCase(), rest: v.slice(i + 1).trim() };
  }
  return { list: '', rest: v };
}
