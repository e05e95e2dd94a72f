/**
 * A JSON result's spectrum, for spectrometer profiles: numbers at JSON paths (y with firstX and
 * lastX, or with x) or an embedded JCAMP-DX text (read with src/jcamp). The compiled profile
 * hands it to the gateway's identification (ctx.identify) and keeps a small evenly spaced copy
 * inline in the event; an embedded JCAMP-DX also travels as an artifact.
 */
import type { JsonValue, Spectrum } from '../../schema/detection-event.js';
import { parseJcamp } from '../../jcamp/index.js';
import { fail, ok, type Attachment, type DecodeFailure, type Result, type SpectrumInput } from '../types.js';
import { parseJsonPath, selectJson, type JsonPath } from './json-path.js';
import { pointer, type ProblemList } from './profile-problems.js';
import type { JsonSpectrumSpec } from './profile-types.js';

export interface CompiledSpectrum {
  y?: JsonPath;
  x?: JsonPath;
  firstX?: JsonPath;
  lastX?: JsonPath;
  xUnits?: JsonPath;
  yUnits?: JsonPath;
  jcamp?: JsonPath;
}

/** at most this many points are kept inline in an event */
export const INLINE_POINTS = 256;
/** a spectrum of more points than this is refused (a page of them would not fit in memory twice) */
const MAX_POINTS = 65_536;

export function compileSpectrum(spec: JsonSpectrumSpec, problems: ProblemList): CompiledSpectrum {
  const out: CompiledSpectrum = {};
  for (const key of ['y', 'x', 'firstX', 'lastX', 'xUnits', 'yUnits', 'jcamp'] as const) {
    const source = spec[key];
    if (source === undefined) continue;
    const p = parseJsonPath(source);
    if (!p.ok) problems.add(pointer('json', 'spectrum', key), p.message);
    else if (p.path.many) problems.add(pointer('json', 'spectrum', key), `${source} selects many values ([*]): give the path of the array itself`);
    else out[key] = p.path;
  }
  if (spec.y === undefined && spec.jcamp === undefined) problems.add(pointer('json', 'spectrum'), 'needs y (numbers) or jcamp (an embedded JCAMP-DX text), or both');
  if (spec.y !== undefined && spec.x === undefined && (spec.firstX === undefined || spec.lastX === undefined)) {
    problems.add(pointer('json', 'spectrum'), 'y needs its x axis: x (numbers), or firstX and lastX (evenly spaced)');
  }
  if (spec.x !== undefined && (spec.firstX !== undefined || spec.lastX !== undefined)) problems.add(pointer('json', 'spectrum', 'x'), 'give x, or firstX and lastX, not both');
  return out;
}

/** A spectrum read from a result, with what the event carries of it. */
export interface ResultSpectrum {
  input: SpectrumInput;
  inline: Spectrum;
  attachment?: Attachment;
}

function bad(id: string, message: string): Result<never, DecodeFailure> {
  return fail({ code: 'BL_ERR_VENDOR_JSON', message: `result ${id}: spectrum ${message}`, detail: { resultId: id } });
}

function numbers(v: JsonValue | undefined): number[] | undefined {
  if (!Array.isArray(v) || v.length > MAX_POINTS) return undefined;
  const out: number[] = [];
  for (const n of v) {
    if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
    out.push(n);
  }
  return out;
}

const text = (p: JsonPath | undefined, result: JsonValue): string | undefined => {
  if (p === undefined) return undefined;
  const v = selectJson(p, result);
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/**
 * The result's spectrum: undefined when it carries none (no value at the y or jcamp path), a
 * failure when what is there is not a spectrum. An embedded JCAMP-DX wins over numbers.
 */
export function readSpectrum(spec: CompiledSpectrum, result: JsonValue, id: string): Result<ResultSpectrum | undefined, DecodeFailure> {
  const jcamp = spec.jcamp === undefined ? undefined : selectJson(spec.jcamp, result);
  if (jcamp !== undefined && jcamp !== null) {
    if (typeof jcamp !== 'string') return bad(id, `at ${spec.jcamp?.source ?? ''} is not a JCAMP-DX text`);
    const doc = parseJcamp(jcamp);
    if (!doc.ok) return fail({ code: doc.error.code, message: `result ${id}: embedded JCAMP-DX: ${doc.error.message}`, detail: { resultId: id } });
    const block = doc.value.blocks[0];
    if (block === undefined || block.npoints < 2) return bad(id, 'embedded JCAMP-DX holds no spectrum');
    const x = Array.from(block.x);
    const y = Array.from(block.y);
    const xUnits = block.xUnits ?? text(spec.xUnits, result);
    const yUnits = block.yUnits ?? text(spec.yUnits, result);
    return ok({
      input: { x, y, ...(xUnits ? { xUnits } : {}), ...(yUnits ? { yUnits } : {}) },
      inline: inlineSpectrum(x, y, xUnits, yUnits),
      attachment: { kind: 'jcamp-dx', mediaType: 'chemical/x-jcamp-dx', data: Buffer.from(jcamp, 'utf8') },
    });
  }
  const rawY = spec.y === undefined ? undefined : selectJson(spec.y, result);
  if (rawY === undefined || rawY === null) return ok(undefined);
  const y = numbers(rawY);
  if (y === undefined || y.length < 2) return bad(id, `y (${spec.y?.source ?? ''}) must be 2-${MAX_POINTS} finite numbers`);
  let x: number[];
  if (spec.x !== undefined) {
    const xs = numbers(selectJson(spec.x, result));
    if (xs === undefined || xs.length !== y.length) return bad(id, `x (${spec.x.source}) must be as many finite numbers as y (${y.length})`);
    x = xs;
  } else {
    const first = spec.firstX === undefined ? undefined : selectJson(spec.firstX, result);
    const last = spec.lastX === undefined ? undefined : selectJson(spec.lastX, result);
    if (typeof first !== 'number' || typeof last !== 'number' || !Number.isFinite(first) || !Number.isFinite(last) || first === last) {
      return bad(id, 'needs numbers firstX and lastX that differ');
    }
    x = y.map((_, i) => first + ((last - first) * i) / (y.length - 1));
  }
  const xUnits = text(spec.xUnits, result);
  const yUnits = text(spec.yUnits, result);
  return ok({ input: { x, y, ...(xUnits ? { xUnits } : {}), ...(yUnits ? { yUnits } : {}) }, inline: inlineSpectrum(x, y, xUnits, yUnits) });
}

/**
 * At most INLINE_POINTS evenly spaced points from firstX to lastX, linearly interpolated (x may
 * run either way). The full spectrum stays in the raw document's artifact.
 */
export function inlineSpectrum(x: readonly number[], y: readonly number[], xUnits: string | undefined, yUnits: string | undefined): Spectrum {
  const count = y.length;
  const n = Math.min(INLINE_POINTS, count);
  const firstX = x[0] as number;
  const lastX = x[count - 1] as number;
  const asc = lastX >= firstX;
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < n; i += 1) {
    const at = n === 1 ? firstX : firstX + ((lastX - firstX) * i) / (n - 1);
    while (j < count - 2 && (asc ? (x[j + 1] as number) < at : (x[j + 1] as number) > at)) j += 1;
    const x0 = x[j] as number;
    const x1 = x[Math.min(j + 1, count - 1)] as number;
    const t = x1 === x0 ? 0 : Math.min(1, Math.max(0, (at - x0) / (x1 - x0)));
    const y0 = y[j] as number;
    const y1 = y[Math.min(j + 1, count - 1)] as number;
    out.push(Math.round((y0 + t * (y1 - y0)) * 1e6) / 1e6);
  }
  return { xUnits: xUnits ?? 'unknown', yUnits: yUnits ?? 'arbitrary', firstX, lastX, npoints: n, y: out };
}
