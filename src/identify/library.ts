/**
 * The shared reference library: library.yaml plus JCAMP-DX spectra, loaded once and
 * preprocessed onto the common axis so matching is one dot product per entry.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument } from 'yaml';
import { fail, ok, type IdentificationHit, type Result } from '../adapter/types.js';
import type { ErrorCode } from '../errors.js';
import { parseJcamp } from '../jcamp/index.js';
import { packageRoot } from '../package-root.js';
import { axisPoints, preprocess, type CommonAxis } from './preprocess.js';

export type LibraryCategory = IdentificationHit['category'];

export interface LibraryEntry {
  id: string;
  name: string;
  cas?: string;
  category: LibraryCategory;
  file: string;
  technique?: 'ftir' | 'raman';
  synthetic?: boolean;
  notes?: string;
}

export interface Thresholds {
  match: number;
  margin: number;
  minSnr: number;
  minCoverage: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { match: 70, margin: 2, minSnr: 12, minCoverage: 0.6 };

export interface LoadedEntry extends LibraryEntry {
  /** preprocessed (baseline removed, mean-centred, unit length) on the common axis */
  vector: Float64Array;
  /** the absorbance-like spectrum on the common axis, baseline removed (for simulators) */
  corrected: Float64Array;
}

export interface ReferenceLibrary {
  name: string;
  version: string;
  dir: string;
  axis: CommonAxis;
  grid: Float64Array;
  thresholds: Thresholds;
  entries: LoadedEntry[];
}

export interface LibraryError {
  code: ErrorCode;
  message: string;
}

export const DEFAULT_LIBRARY_DIR = (): string => path.join(packageRoot(), 'library');

/** True when the CAS number's check digit is right: sum of digits times their position from the right. */
export function casValid(cas: string): boolean {
  const m = /^(\d{2,7})-(\d{2})-(\d)$/.exec(cas);
  if (!m) return false;
  const digits = (m[1]! + m[2]!).split('').reverse();
  const sum = digits.reduce((s, d, i) => s + Number(d) * (i + 1), 0);
  return sum % 10 === Number(m[3]);
}

let validator: ReturnType<Ajv2020['compile']> | undefined;
function schemaValidator(): ReturnType<Ajv2020['compile']> {
  if (!validator) {
    const schema = JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', 'library', 'library.schema.json'), 'utf8')) as object;
    validator = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  }
  return validator;
}

interface LibraryFile {
  name: string;
  version: string;
  axis: CommonAxis;
  thresholds?: Partial<Thresholds>;
  entries: LibraryEntry[];
}

/**
 * Reads and checks library.yaml and every spectrum it names. Every problem is listed (with the
 * YAML line where one is known), not just the first: an integrator fixing a library fixes it once.
 */
export function loadLibrary(dir: string): Result<ReferenceLibrary, LibraryError> {
  const index = path.join(dir, 'library.yaml');
  let text: string;
  try {
    text = readFileSync(index, 'utf8');
  } catch (e) {
    return fail({ code: 'BL_ERR_LIBRARY_INVALID', message: `${index}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    return fail({ code: 'BL_ERR_LIBRARY_INVALID', message: `${index}: not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}` });
  }
  const data = doc.toJS() as unknown;
  const lineOf = (ptr: string): string => {
    const keys = ptr.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const node = doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? ` (line ${lc.linePos(node.range[0]).line})` : '';
  };
  const validate = schemaValidator();
  const problems: string[] = [];
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const where = e.instancePath || '/';
      const extra = e.keyword === 'enum' ? `: one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : e.keyword === 'additionalProperties' ? `: ${(e.params as { additionalProperty: string }).additionalProperty}` : '';
      problems.push(`${where}${lineOf(e.instancePath)}: ${e.message ?? 'invalid'}${extra}`);
    }
    return fail({ code: 'BL_ERR_LIBRARY_INVALID', message: `${index}: ${problems.join('; ')}` });
  }
  const lib = data as LibraryFile;
  if (!(lib.axis.to > lib.axis.from)) problems.push(`/axis${lineOf('/axis')}: "to" must be above "from"`);
  const seen = new Set<string>();
  const grid = axisPoints(lib.axis);
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...lib.thresholds };
  const entries: LoadedEntry[] = [];
  lib.entries.forEach((e, i) => {
    const at = `/entries/${i}`;
    if (seen.has(e.id)) problems.push(`${at}/id${lineOf(`${at}/id`)}: duplicate id "${e.id}"`);
    seen.add(e.id);
    if (e.cas !== undefined && !casValid(e.cas)) problems.push(`${at}/cas${lineOf(`${at}/cas`)}: CAS number ${e.cas} has a wrong check digit`);
    const file = path.resolve(dir, e.file);
    if (path.relative(dir, file).startsWith('..')) {
      problems.push(`${at}/file${lineOf(`${at}/file`)}: ${e.file} is outside the library folder`);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      problems.push(`${at}/file${lineOf(`${at}/file`)}: cannot read ${e.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return;
    }
    const parsed = parseJcamp(bytes);
    if (!parsed.ok) {
      problems.push(`${at}/file${lineOf(`${at}/file`)}: ${e.file}: ${parsed.error.code}: ${parsed.error.message}`);
      return;
    }
    const block = parsed.value.blocks[0];
    if (!block || parsed.value.blocks.length !== 1) {
      problems.push(`${at}/file${lineOf(`${at}/file`)}: ${e.file} must hold exactly one spectrum (found ${parsed.value.blocks.length})`);
      return;
    }
    const p = preprocess({ x: block.x, y: block.y, ...(block.xUnits ? { xUnits: block.xUnits } : {}), ...(block.yUnits ? { yUnits: block.yUnits } : {}) }, grid);
    if (!p.vector || p.covered < grid.length * 0.9) {
      problems.push(`${at}/file${lineOf(`${at}/file`)}: ${e.file} covers ${p.covered} of ${grid.length} points of the common axis (${lib.axis.from}-${lib.axis.to} ${lib.axis.units}); a reference must cover at least 90 %`);
      return;
    }
    entries.push({ ...e, vector: p.vector, corrected: p.corrected });
  });
  if (problems.length > 0) return fail({ code: 'BL_ERR_LIBRARY_INVALID', message: `${index}: ${problems.join('; ')}` });
  return ok({ name: lib.name, version: lib.version, dir, axis: lib.axis, grid, thresholds, entries });
}
