/**
 * `borderlink inspect FILE.jdx`: what the gateway reads from a JCAMP-DX file, as JSON. The
 * integrator's check that a vendor's spectra decode (and decode to what the vendor meant)
 * before a device is connected.
 */
import { readFileSync } from 'node:fs';
import { parseJcamp, type JcampSpectrum } from './jcamp/index.js';

export interface JcampBlockSummary {
  title: string;
  jcampVersion?: string;
  dataType?: string;
  form: JcampSpectrum['form'];
  encodings: string[];
  xUnits?: string;
  yUnits?: string;
  npoints: number;
  firstX: number;
  lastX: number;
  minY: number;
  maxY: number;
  observedAt?: string;
  casRegistryNo?: string;
  origin?: string;
  spectrometer?: string;
  privateLabels: Record<string, string>;
  warnings: string[];
  y?: number[];
}

export type JcampInspection =
  | { ok: true; file: string; blocks: JcampBlockSummary[]; linkBlocks: number }
  | { ok: false; file: string; code: string; message: string; line?: number };

/** True when the content looks like JCAMP-DX: the first non-blank line is a `##` label. */
export function looksLikeJcamp(data: Buffer): boolean {
  const head = data.subarray(0, 1024).toString('latin1').replace(/^\uFEFF/, '').trimStart();
  return head.startsWith('##');
}

export function summariseSpectrum(s: JcampSpectrum, full: boolean): JcampBlockSummary {
  let minY = Infinity;
  let maxY = -Infinity;
  for (const v of s.y) {
    if (v < minY) minY = v;
    if (v > maxY) maxY = v;
  }
  const out: JcampBlockSummary = {
    title: s.title,
    ...(s.jcampVersion !== undefined ? { jcampVersion: s.jcampVersion } : {}),
    ...(s.dataType !== undefined ? { dataType: s.dataType } : {}),
    form: s.form,
    encodings: [...s.encodings],
    ...(s.xUnits !== undefined ? { xUnits: s.xUnits } : {}),
    ...(s.yUnits !== undefined ? { yUnits: s.yUnits } : {}),
    npoints: s.npoints,
    firstX: s.firstX,
    lastX: s.lastX,
    minY,
    maxY,
    ...(s.observedAt !== undefined ? { observedAt: s.observedAt } : {}),
    ...(s.casRegistryNo !== undefined ? { casRegistryNo: s.casRegistryNo } : {}),
    ...(s.origin !== undefined ? { origin: s.origin } : {}),
    ...(s.spectrometer !== undefined ? { spectrometer: s.spectrometer } : {}),
    privateLabels: s.privateLabels,
    warnings: s.warnings,
  };
  if (full) out.y = Array.from(s.y);
  return out;
}

export function inspectJcampFile(file: string, opts: { full?: boolean } = {}): JcampInspection {
  const data = readFileSync(file);
  const r = parseJcamp(data);
  if (!r.ok) return { ok: false, file, code: r.error.code, message: r.error.message, ...(r.error.line !== undefined ? { line: r.error.line } : {}) };
  return { ok: true, file, blocks: r.value.blocks.map((b) => summariseSpectrum(b, opts.full === true)), linkBlocks: r.value.linkBlocks };
}
