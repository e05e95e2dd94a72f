/**
 * The edges of identification: unit conversion (micrometres, transmittance), more library.yaml
 * mistakes, pure noise, 50/50 mixtures, the verdict helper on its own, minHqi, the score objects
 * and the determinism of the measurement model.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJcamp } from '../../../src/jcamp/index.js';
import { DEFAULT_LIBRARY_DIR, DEFAULT_THRESHOLDS, loadLibrary, type ReferenceLibrary } from '../../../src/identify/library.js';
import { explainVerdict, identify, verdict, type VerdictInput } from '../../../src/identify/match.js';
import { toAbsorbance, toWavenumbers } from '../../../src/identify/preprocess.js';
import { DEFAULT_DEVICE_AXIS, simulateMeasurement } from '../../../src/identify/simulate.js';
import { SeededRandom } from '../../../simulators/rpm/seeded-random.js';

let lib: ReferenceLibrary;
let dir: string;
beforeAll(() => {
  const r = loadLibrary(DEFAULT_LIBRARY_DIR());
  if (!r.ok) throw new Error(r.error.message);
  lib = r.value;
  dir = mkdtempSync(path.join(os.tmpdir(), 'bl-ident-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A library spectrum as a transmittance (%) spectrum on an even micrometre axis, 2.7-16 um. */
function asMicrometreTransmittance(id: string): { x: Float64Array; y: Float64Array; x0: number; x1: number } {
  const s = simulateMeasurement(lib, { components: [{ id, weight: 0.8 }] }, { snr: Infinity, seed: 1 }, { from: 600, to: 3750, step: 1 });
  const x0 = 2.7;
  const x1 = 16;
  const n = Math.round((x1 - x0) / 0.002) + 1;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    x[i] = x0 + i * 0.002;
    const k = Math.min(s.x.length - 1, Math.max(0, Math.round(1e4 / x[i]! - 600)));
    y[i] = 100 * 10 ** -(s.y[k] ?? 0);
  }
  return { x, y, x0, x1 };
}

describe('units', () => {
  it('converts micrometres and nanometres to 1/cm and transmittance (fraction or %) to absorbance', () => {
    expect(Array.from(toWavenumbers([2.5, 10], 'MICROMETERS'))).toEqual([4000, 1000]);
    expect(Array.from(toWavenumbers([1000], 'NANOMETERS'))).toEqual([10000]);
    expect(Array.from(toWavenumbers([1000], '1/CM'))).toEqual([1000]);
    const frac = toAbsorbance([1, 0.1, 0.01], 'TRANSMITTANCE');
    const pct = toAbsorbance([100, 10, 1], '% TRANSMITTANCE');
    for (const [i, a] of [0, 1, 2].entries()) {
      expect(frac[i]).toBeCloseTo(a, 9);
      expect(pct[i]).toBeCloseTo(a, 9);
    }
    expect(Array.from(toAbsorbance([0.5], 'ABSORBANCE'))).toEqual([0.5]);
  });

  it('identifies a query in micrometres and % transmittance against the 1/cm absorbance library', () => {
    const s = asMicrometreTransmittance('tnt');
    const r = identify(lib, { x: s.x, y: s.y, xUnits: 'MICROMETERS', yUnits: 'TRANSMITTANCE' });
    expect(r.hits[0]?.entryId).toBe('tnt');
    expect(r.verdict).toBe('match');
    expect(r.hits[0]?.hqi).toBeGreaterThan(95);
  });

  it('loads a reference written in micrometres and transmittance onto the same vector as its 1/cm original', () => {
    const s = asMicrometreTransmittance('petn');
    const libDir = path.join(dir, 'um-lib');
    cpSync(path.join(DEFAULT_LIBRARY_DIR(), 'spectra', 'synthetic'), path.join(libDir, 'synthetic'), { recursive: true });
    writeFileSync(path.join(libDir, 'petn-um.jdx'), writeJcamp({ title: 'PETN in micrometres', dataType: 'INFRARED SPECTRUM', xUnits: 'MICROMETERS', yUnits: 'TRANSMITTANCE', x0: s.x0, x1: s.x1, y: s.y }));
    writeFileSync(path.join(libDir, 'library.yaml'), [
      'name: um', 'version: "1"', 'axis: { from: 650, to: 3700, step: 4, units: 1/cm }', 'entries:',
      '  - { id: petn, name: PETN, cas: 78-11-5, category: explosive, file: synthetic/petn.jdx }',
      '  - { id: petn-um, name: PETN (micrometres), category: explosive, file: petn-um.jdx }',
    ].join('\n'));
    const r = loadLibrary(libDir);
    if (!r.ok) throw new Error(r.error.message);
    const [a, b] = r.value.entries;
    let dot = 0;
    for (let i = 0; i < a!.vector.length; i += 1) dot += a!.vector[i]! * b!.vector[i]!;
    expect(dot * dot * 100).toBeGreaterThan(97);
  });
});

describe('library.yaml mistakes are named with their place and line', () => {
  const load = (name: string, yaml: string) => {
    const d = path.join(dir, name);
    cpSync(path.join(DEFAULT_LIBRARY_DIR(), 'spectra', 'synthetic'), path.join(d, 'synthetic'), { recursive: true });
    writeFileSync(path.join(d, 'library.yaml'), yaml);
    const r = loadLibrary(d);
    expect(r.ok).toBe(false);
    return r.ok ? '' : `${r.error.code}: ${r.error.message}`;
  };

  it('missing keys, unknown keys, a malformed CAS and a bad axis', () => {
    const m = load('keys', [
      'name: t', 'version: "1"', 'axis: { from: 600, to: 3750, step: 4, units: um }', 'entries:',
      '  - { id: tnt, name: TNT, cas: 118967, category: explosive, file: synthetic/tnt.jdx, colour: red }',
      '  - { id: rdx, cas: 1218-24, category: explosive, file: synthetic/rdx.jdx }',
    ].join('\n'));
    expect(m).toMatch(/^BL_ERR_LIBRARY_INVALID: .*library\.yaml: 5 problems:/);
    expect(m).toMatch(/axis\.units \(line 3\): must be "1\/cm"/);
    expect(m).toMatch(/entries\[0\]\.cas \(line 5\): must be a string \(quote it: "118967", and write a CAS number with its dashes\)/);
    expect(m).toMatch(/entries\[1\]\.cas \(line 6\): "1218-24" is not a CAS Registry Number/);
    expect(m).toMatch(/entries\[0\]\.colour \(line 5\): unknown key "colour"/);
    expect(m).toMatch(/entries\[1\] \(line 6\): missing required key "name"/);
  });

  it('YAML syntax errors and duplicate keys with their line; an axis too fine', () => {
    expect(load('syntax', 'name: t\nversion: "1"\nentries: [\n')).toMatch(/is not valid YAML:\n {2}- line \d+/);
    expect(load('dupkey', 'name: t\nname: u\n')).toMatch(/is not valid YAML:\n {2}- line 2: .*[Uu]nique/);
    expect(load('fine', ['name: t', 'version: "1"', 'axis: { from: 600, to: 3750, step: 0.01, units: 1/cm }', 'entries:',
      '  - { id: tnt, name: TNT, category: explosive, file: synthetic/tnt.jdx }'].join('\n'))).toMatch(/axis \(line 3\): 315001 points; at most 20000/);
  });
});

describe('noise and mixtures', () => {
  it('pure noise, with or without offset and broad background, is never a match', () => {
    const x = Float64Array.from({ length: 1526 }, (_, i) => 650 + 2 * i);
    for (let seed = 1; seed <= 12; seed += 1) {
      const rnd = new SeededRandom(seed);
      const offset = seed % 3 === 0 ? 5 : 0;
      const hump = seed % 2 === 0 ? 20 : 0;
      const y = x.map((v) => offset + hump * Math.exp(-0.5 * ((v - 2000) / 900) ** 2) + rnd.normal());
      const r = identify(lib, { x, y });
      expect(['no-match', 'low-signal'], `seed ${seed}: ${r.verdict} ${r.reason}`).toContain(r.verdict);
      expect(r.mixture).toBeUndefined();
    }
  });

  it('a 50/50 mixture finds both components, each with a real share', () => {
    const pairs = [['cocaine-hcl', 'mdma-hcl'], ['tnt', 'petn'], ['acetone', 'toluene'], ['methamphetamine-hcl', 'ammonium-nitrate'], ['heroin', 'water']] as const;
    for (const [k, [a, b]] of pairs.entries()) {
      const s = simulateMeasurement(lib, { components: [{ id: a, weight: 0.5 }, { id: b, weight: 0.5 }] }, { snr: 100, seed: 20 + k, fluorescence: 1, baselineDrift: 0.3 });
      const r = identify(lib, s);
      expect(r.verdict, `${a}+${b}: ${r.reason}`).toBe('match');
      expect(r.mixture?.components.map((c) => c.entryId).sort()).toEqual([a, b].sort());
      for (const c of r.mixture?.components ?? []) expect(c.fraction).toBeGreaterThan(0.2);
      expect(r.mixture?.score).toEqual({ value: r.mixture?.hqi, min: 0, max: 100, higherIsBetter: true, method: 'hqi-correlation' });
    }
  });

  it('a pure substance is not reported as a mixture', () => {
    for (const id of ['acetone', 'rdx', 'ethanol']) {
      const r = identify(lib, simulateMeasurement(lib, { components: [{ id, weight: 1 }] }, { snr: 100, seed: 5 }));
      expect(r.mixture, id).toBeUndefined();
      expect(r.hits[0]?.entryId).toBe(id);
    }
  });
});

describe('verdict, minHqi and scores', () => {
  const t = DEFAULT_THRESHOLDS; // match 85, margin 2, minSnr 12, minCoverage 0.6
  const hit = (hqi: number) => ({ entryId: 'x', name: 'X', category: 'benign' as const, hqi, score: { value: hqi, min: 0, max: 100, higherIsBetter: true, method: 'hqi-correlation' } });
  const base: VerdictInput = { hits: [hit(95), hit(60)], snr: 50, coverage: 1, lead: 35 };

  it('judges from the figures alone', () => {
    expect(verdict(base, t)).toBe('match');
    expect(verdict({ ...base, coverage: 0.5 }, t)).toBe('no-match');
    expect(verdict({ ...base, hits: [] }, t)).toBe('no-match');
    expect(verdict({ ...base, snr: 5 }, t)).toBe('low-signal');
    expect(verdict({ ...base, hits: [hit(84.9)] }, t)).toBe('no-match');
    expect(verdict({ ...base, hits: [hit(85)] }, t)).toBe('match');
    expect(explainVerdict({ ...base, lead: 1 }, t)).toEqual({ verdict: 'no-match', reason: 'the top hit leads the next substance by 1 HQI, less than 2: ambiguous' });
    const mixture = { hqi: 90, components: [{ entryId: 'a', name: 'A', category: 'benign' as const, fraction: 0.5 }, { entryId: 'b', name: 'B', category: 'benign' as const, fraction: 0.5 }] };
    expect(verdict({ ...base, hits: [hit(60)], mixture }, t)).toBe('match');
    expect(verdict({ ...base, hits: [hit(60)], mixture }, { ...t, match: 95 })).toBe('no-match');
  });

  it('agrees with identify, and re-judges a result under stricter thresholds', () => {
    const r = identify(lib, simulateMeasurement(lib, { components: [{ id: 'rdx', weight: 1 }] }, { snr: 20, seed: 9, fluorescence: 1 }));
    expect(verdict(r, lib.thresholds)).toBe(r.verdict);
    expect(r.verdict).toBe('match');
    expect(verdict(r, { ...lib.thresholds, match: 100 })).toBe('no-match');
    expect(verdict(r, { ...lib.thresholds, minSnr: 1000 })).toBe('low-signal');
  });

  it('every hit carries its score on the common scale; minHqi and top trim the list', () => {
    const s = simulateMeasurement(lib, { components: [{ id: 'acetone', weight: 1 }] }, { snr: 50, seed: 2 });
    const all = identify(lib, s, { top: 100 });
    expect(all.hits).toHaveLength(lib.entries.length);
    for (const h of all.hits) expect(h.score).toEqual({ value: h.hqi, min: 0, max: 100, higherIsBetter: true, method: 'hqi-correlation' });
    for (let i = 1; i < all.hits.length; i += 1) expect(all.hits[i]!.hqi).toBeLessThanOrEqual(all.hits[i - 1]!.hqi);
    const some = identify(lib, s, { top: 100, minHqi: 30 });
    expect(some.hits.length).toBeGreaterThan(0);
    expect(some.hits.length).toBeLessThan(all.hits.length);
    for (const h of some.hits) expect(h.hqi).toBeGreaterThanOrEqual(30);
    expect(identify(lib, s, { top: 2 }).hits).toHaveLength(2);
    expect(identify(lib, s, { minHqi: 100.1 })).toMatchObject({ verdict: 'no-match', hits: [] });
  });
});

describe('measurement model', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const m = { snr: 20, seed: 42, fluorescence: 1, baselineDrift: 0.5, shift: 1, scale: 2 };
    const a = simulateMeasurement(lib, { components: [{ id: 'toluene', weight: 1 }] }, m);
    const b = simulateMeasurement(lib, { components: [{ id: 'toluene', weight: 1 }] }, m);
    const c = simulateMeasurement(lib, { components: [{ id: 'toluene', weight: 1 }] }, { ...m, seed: 43 });
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(Array.from(a.y)).not.toEqual(Array.from(c.y));
    expect(a.x.length).toBe((DEFAULT_DEVICE_AXIS.to - DEFAULT_DEVICE_AXIS.from) / DEFAULT_DEVICE_AXIS.step + 1);
  });

  it('scale multiplies everything and the noise matches the asked SNR', () => {
    const clean = simulateMeasurement(lib, { components: [{ id: 'water', weight: 1 }] }, { snr: Infinity, seed: 1 });
    const noisy = simulateMeasurement(lib, { components: [{ id: 'water', weight: 1 }] }, { snr: 10, seed: 1, scale: 3 });
    let peak = 0;
    let ss = 0;
    for (let i = 0; i < clean.y.length; i += 1) {
      peak = Math.max(peak, clean.y[i]!);
      ss += (noisy.y[i]! / 3 - clean.y[i]!) ** 2;
    }
    const sigma = Math.sqrt(ss / clean.y.length);
    expect(peak / sigma).toBeGreaterThan(8);
    expect(peak / sigma).toBeLessThan(12);
  });
});
