/**
 * The shared reference library: library.yaml plus JCAMP-DX spectra, loaded once and
 * preprocessed onto the common axis so matching is one dot product per entry.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument } from 'yaml';
import { fail, ok, type IdentificationHit, type Result } from '../adapter/types.js';
import type { ErrorCode } from '../errors.js';
import { parseJcamp } from '../jcamp/index.js';
import { displayPath } from '../json-pointer.js';
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

export const DEFAULT_THRESHOLDS: Thresholds = { match: 85, margin: 2, minSnr: 12, minCoverage: 0.6 };

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

/** 20,000 points is 0.16 1/cm over the mid-infrared: finer than any handheld resolves. */
export const MAX_AXIS_POINTS = 20_000;

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
    validator = new Ajv2020({ allErrors: true, strict: true, verbose: true }).compile(schema);
  }
  return validator;
}

/** " (line 17)" for a JSON Pointer into library.yaml (its nearest existing parent), or "" */
type Locate = (pointer: string) => string;

/** One schema failure in words, phrased as src/config phrases configuration problems. */
function describeSchemaError(e: ErrorObject, locate: Locate): string {
  const at = (ptr: string) => `${displayPath(ptr)}${locate(ptr)}`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      return `${at(`${e.instancePath}/${prop}`)}: unknown key "${prop}"`;
    }
    case 'required':
      return `${at(e.instancePath)}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${at(e.instancePath)}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at(e.instancePath)}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    case 'pattern':
      if (e.instancePath.endsWith('/cas')) return `${at(e.instancePath)}: ${JSON.stringify(e.data)} is not a CAS Registry Number (digits-NN-N, e.g. 67-64-1)`;
      return `${at(e.instancePath)}: ${JSON.stringify(e.data)} does not match ${(e.params as { pattern: string }).pattern}`;
    case 'type': {
      const type = (e.params as { type: string }).type;
      // YAML reads an undashed CAS number or a version like 2026.12 as a number
      return `${at(e.instancePath)}: must be a ${type}${type === 'string' && typeof e.data === 'number' ? ` (quote it: "${String(e.data)}"${e.instancePath.endsWith('/cas') ? ', and write a CAS number with its dashes' : ''})` : ''}`;
    }
    default:
      return `${at(e.instancePath)}: ${e.message ?? 'is invalid'}`;
  }
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
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `line ${lc.linePos(e.pos[0]).line}: ${e.message.split('\n')[0] ?? e.code}`);
    return fail({ code: 'BL_ERR_LIBRARY_INVALID', message: listProblems(index, problems, 'is not valid YAML') });
  }
  const data = doc.toJS() as unknown;
  const locate: Locate = (ptr) => {
    const keys = ptr.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    // the node itself, or its nearest parent that exists (a missing key is reported at its map)
    for (let n = keys.length; n >= 0; n -= 1) {
      const node = (n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true)) as { range?: [number, number, number] } | null | undefined;
      if (node?.range) return ` (line ${lc.linePos(node.range[0]).line})`;
    }
    return '';
  };
  const validate = schemaValidator();
  const problems: string[] = [];
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const msg = describeSchemaError(e, locate);
      if (!problems.includes(msg)) problems.push(msg);
    }
    return fail({ code: 'BL_ERR_LIBRARY_INVALID', message: listProblems(index, problems) });
  }
  const lib = data as LibraryFile;
  const points = Math.floor((lib.axis.to - lib.axis.from) / lib.axis.step + 1e-9) + 1;
  if (!(lib.axis.to > lib.axis.from)) problems.push(`axis${locate('/axis')}: "to" must be above "from"`);
  else if (points > MAX_AXIS_POINTS) problems.push(`axis${locate('/axis')}: ${points} points; at most ${MAX_AXIS_POINTS} (a coarser step: matching cost grows with the points)`);
  if (problems.length > 0) return fail({ code: 'BL_ERR_LIBRARY_INVALID', message: listProblems(index, problems) });
  const seen = new Set<string>();
  const grid = axisPoints(lib.axis);
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...lib.thresholds };
  const entries: LoadedEntry[] = [];
  lib.entries.forEach((e, i) => {
    const at = `/entries/${i}`;
    const where = (key: string) => `${displayPath(`${at}/${key}`)}${locate(`${at}/${key}`)}`;
    if (seen.has(e.id)) problems.push(`${where('id')}: duplicate id "${e.id}"`);
    seen.add(e.id);
    if (e.cas !== undefined && !casValid(e.cas)) problems.push(`${where('cas')}: CAS number ${e.cas} has a wrong check digit`);
    const file = path.resolve(dir, e.file);
    const rel = path.relative(dir, file);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      problems.push(`${where('file')}: ${e.file} is outside the library folder`);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      problems.push(`${where('file')}: cannot read ${e.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return;
    }
    const parsed = parseJcamp(bytes);
    if (!parsed.ok) {
      problems.push(`${where('file')}: ${e.file}: ${parsed.error.code}: ${parsed.error.message}`);
      return;
    }
    const block = parsed.value.blocks[0];
    if (!block || parsed.value.blocks.length !== 1) {
      problems.push(`${where('file')}: ${e.file} must hold exactly one spectrum (found ${parsed.value.blocks.length})`);
      return;
    }
    if (e.cas !== undefined && block.casRegistryNo !== undefined && block.casRegistryNo.trim() !== e.cas) {
      problems.push(`${where('cas')}: ${e.cas} differs from the ##CAS REGISTRY NO ${block.casRegistryNo.trim()} in ${e.file}`);
    }
    const p = preprocess({ x: block.x, y: block.y, ...(block.xUnits ? { xUnits: block.xUnits } : {}), ...(block.yUnits ? { yUnits: block.yUnits } : {}) }, grid);
    if (!p.vector || p.covered < grid.length * 0.9) {
      problems.push(`${where('file')}: ${e.file} covers ${p.covered} of ${grid.length} points of the common axis (${lib.axis.from}-${lib.axis.to} ${lib.axis.units}); a reference must cover at least 90 %`);
      return;
    }
    entries.push({ ...e, vector: p.vector, corrected: p.corrected });
  });
  if (problems.length > 0) return fail({ code: 'BL_ERR_LIBRARY_INVALID', message: listProblems(index, problems) });
  return ok({ name: lib.name, version: lib.version, dir, axis: lib.axis, grid, thresholds, entries });
}

/** "FILE: 2 problems:\n  - ...\n  - ...", the shape of every configuration error. */
function listProblems(file: string, problems: readonly string[], what = `${problems.length} problem${problems.length === 1 ? '' : 's'}`): string {
  return `${file}: ${what}:\n  - ${problems.join('\n  - ')}`;
}
