/**
 * Identification figures: accuracy of the gateway's HQI identification on simulated measurements
 * of every library substance across noise levels, and the time to match one spectrum against a
 * 1,000-entry library (the seed entries repeated with perturbations).
 */
import { loadLibrary, DEFAULT_LIBRARY_DIR, type LoadedEntry, type ReferenceLibrary } from '../src/identify/library.js';
import { identify } from '../src/identify/match.js';
import { unitVector } from '../src/identify/preprocess.js';
import { simulateMeasurement } from '../src/identify/simulate.js';
import { SeededRandom } from '../simulators/rpm/seeded-random.js';

export const ACCURACY_SNRS = [100, 30, 10, 5, 2, 1] as const;

export interface AccuracyRow {
  id: string;
  name: string;
  /** per SNR: correct top-1 count out of `trials` */
  correct: number[];
}

export interface AccuracyTable {
  trials: number;
  snrs: readonly number[];
  rows: AccuracyRow[];
  /** per SNR, over all substances */
  overall: number[];
}

export function loadSeedLibrary(): ReferenceLibrary {
  const r = loadLibrary(DEFAULT_LIBRARY_DIR());
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/**
 * Top-1 accuracy: each substance measured `trials` times per SNR with fluorescence, baseline
 * drift and a calibration shift drawn per trial.
 */
export function accuracyTable(lib: ReferenceLibrary, trials = 5, snrs: readonly number[] = ACCURACY_SNRS): AccuracyTable {
  const rows: AccuracyRow[] = [];
  const rnd = new SeededRandom(2026);
  for (const e of lib.entries) {
    const correct = snrs.map((snr) => {
      let ok = 0;
      for (let t = 0; t < trials; t += 1) {
        const s = simulateMeasurement(lib, { components: [{ id: e.id, weight: 1 }] }, {
          snr, seed: rnd.uint32(), fluorescence: rnd.range(0, 3), baselineDrift: rnd.range(-1, 1), shift: rnd.range(-2, 2), scale: rnd.range(0.5, 5),
        });
        const r = identify(lib, s, { mixtures: false });
        if (r.hits[0]?.entryId === e.id) ok += 1;
      }
      return ok;
    });
    rows.push({ id: e.id, name: e.name, correct });
  }
  const overall = snrs.map((_, k) => rows.reduce((s, r) => s + (r.correct[k] ?? 0), 0) / (rows.length * trials));
  return { trials, snrs, rows, overall };
}

export function formatAccuracy(t: AccuracyTable): string {
  const head = `| substance | ${t.snrs.map((s) => `SNR ${s}`).join(' | ')} |`;
  const sep = `|---|${t.snrs.map(() => '---').join('|')}|`;
  const rows = t.rows.map((r) => `| ${r.name} | ${r.correct.map((c) => `${c}/${t.trials}`).join(' | ')} |`);
  const all = `| **all** | ${t.overall.map((o) => `${(o * 100).toFixed(1)} %`).join(' | ')} |`;
  return [head, sep, ...rows, all].join('\n');
}

/** The seed entries repeated with perturbations (noise, shift, scale) up to `size` entries. */
export function perturbedLibrary(lib: ReferenceLibrary, size: number): ReferenceLibrary {
  const rnd = new SeededRandom(7);
  const entries: LoadedEntry[] = [];
  for (let k = 0; entries.length < size; k += 1) {
    const e = lib.entries[k % lib.entries.length] as LoadedEntry;
    const shiftPts = rnd.int(-2, 2);
    const y = new Float64Array(e.corrected.length);
    for (let i = 0; i < y.length; i += 1) {
      const v = e.corrected[Math.min(y.length - 1, Math.max(0, i + shiftPts))] ?? 0;
      y[i] = (Number.isFinite(v) ? v : 0) * rnd.range(0.98, 1.02) + rnd.normal() * 0.002;
    }
    const vector = unitVector(y);
    if (vector) entries.push({ ...e, id: `${e.id}~${k}`, vector, corrected: y });
  }
  return { ...lib, entries };
}

export interface IdentifyBench {
  entries: number;
  points: number;
  p50Ms: number;
  p99Ms: number;
  loadMs: number;
}

export function benchIdentify(queries = 60): IdentifyBench {
  const t0 = performance.now();
  const seed = loadSeedLibrary();
  const loadMs = performance.now() - t0;
  const big = perturbedLibrary(seed, 1000);
  const rnd = new SeededRandom(99);
  const times: number[] = [];
  for (let q = 0; q < queries; q += 1) {
    const e = seed.entries[q % seed.entries.length] as LoadedEntry;
    const s = simulateMeasurement(seed, { components: [{ id: e.id, weight: 1 }] }, { snr: 30, seed: rnd.uint32(), fluorescence: 1, baselineDrift: 0.5 });
    const t = performance.now();
    identify(big, s);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const pick = (p: number) => Math.round((times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0) * 100) / 100;
  return { entries: big.entries.length, points: seed.grid.length, p50Ms: pick(0.5), p99Ms: pick(0.99), loadMs: Math.round(loadMs) };
}
