/**
 * Identification figures: accuracy of the gateway's HQI identification on simulated measurements
 * of every library substance across noise levels, and the time to match one spectrum against a
 * 1,000-entry library (the seed entries repeated with perturbations).
 */
import { loadLibrary, DEFAULT_LIBRARY_DIR, type LoadedEntry, type ReferenceLibrary } from '../src/identify/library.js';
import { identify, verdict, type IdentifyDetail } from '../src/identify/match.js';
import { removeBaseline, smooth, unitVector } from '../src/identify/preprocess.js';
import { randomBands, simulateMeasurement } from '../src/identify/simulate.js';
import { SeededRandom } from '../simulators/rpm/seeded-random.js';

export const ACCURACY_SNRS = [100, 30, 10, 5, 2, 1] as const;

export interface AccuracyRow {
  id: string;
  name: string;
  /** per SNR: correct top-1 count out of `trials` */
  correct: number[];
}

/** What the verdicts said, per SNR, over every substance and trial. */
export interface VerdictCounts {
  /** 'match' naming the substance measured (top hit, or a mixture component) */
  correctMatch: number;
  /** 'match' naming something else: the error that matters */
  wrongMatch: number;
  noMatch: number;
  lowSignal: number;
}

export interface AccuracyTable {
  trials: number;
  snrs: readonly number[];
  rows: AccuracyRow[];
  /** per SNR, over all substances */
  overall: number[];
  /** per SNR, over all substances */
  verdicts: VerdictCounts[];
  /** substances in no library (random bands, SNR 30): how often each verdict came */
  unknowns: { trials: number } & VerdictCounts;
}

export function loadSeedLibrary(): ReferenceLibrary {
  const r = loadLibrary(DEFAULT_LIBRARY_DIR());
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const noVerdicts = (): VerdictCounts => ({ correctMatch: 0, wrongMatch: 0, noMatch: 0, lowSignal: 0 });

function count(c: VerdictCounts, r: IdentifyDetail, id: string | undefined): void {
  if (r.verdict === 'low-signal') c.lowSignal += 1;
  else if (r.verdict === 'no-match') c.noMatch += 1;
  else if (id !== undefined && (r.mixture ? r.mixture.components.some((m) => m.entryId === id) : r.hits[0]?.entryId === id)) c.correctMatch += 1;
  else c.wrongMatch += 1;
}

/**
 * Top-1 accuracy and verdicts: each substance measured `trials` times per SNR with fluorescence
 * (a hump up to 3x the peak), baseline drift (up to +-1x the peak), a calibration shift (up to
 * +-2 1/cm) and an intensity scale drawn per trial; then `unknownTrials` substances that are in
 * no library (random bands) at SNR 30. Deterministic: the same table every run.
 */
export function accuracyTable(lib: ReferenceLibrary, trials = 5, snrs: readonly number[] = ACCURACY_SNRS, unknownTrials = 200): AccuracyTable {
  const rows: AccuracyRow[] = [];
  const verdicts = snrs.map(noVerdicts);
  const rnd = new SeededRandom(2026);
  for (const e of lib.entries) {
    const correct = snrs.map((snr, k) => {
      let ok = 0;
      for (let t = 0; t < trials; t += 1) {
        const s = simulateMeasurement(lib, { components: [{ id: e.id, weight: 1 }] }, {
          snr, seed: rnd.uint32(), fluorescence: rnd.range(0, 3), baselineDrift: rnd.range(-1, 1), shift: rnd.range(-2, 2), scale: rnd.range(0.5, 5),
        });
        const r = identify(lib, s);
        if (r.hits[0]?.entryId === e.id) ok += 1;
        count(verdicts[k]!, r, e.id);
      }
      return ok;
    });
    rows.push({ id: e.id, name: e.name, correct });
  }
  const overall = snrs.map((_, k) => rows.reduce((s, r) => s + (r.correct[k] ?? 0), 0) / (rows.length * trials));
  const unknowns = { trials: unknownTrials, ...noVerdicts() };
  for (let k = 0; k < unknownTrials; k += 1) {
    const s = simulateMeasurement(lib, { bands: randomBands(rnd.uint32(), rnd.int(3, 10)) }, { snr: 30, seed: rnd.uint32(), fluorescence: rnd.range(0, 3), baselineDrift: rnd.range(-1, 1) });
    count(unknowns, identify(lib, s), undefined);
  }
  return { trials, snrs, rows, overall, verdicts, unknowns };
}

export function formatAccuracy(t: AccuracyTable): string {
  const head = `| substance | ${t.snrs.map((s) => `SNR ${s}`).join(' | ')} |`;
  const sep = `|---|${t.snrs.map(() => '---').join('|')}|`;
  const rows = t.rows.map((r) => `| ${r.name} | ${r.correct.map((c) => `${c}/${t.trials}`).join(' | ')} |`);
  const all = `| **all** | ${t.overall.map((o) => `${(o * 100).toFixed(1)} %`).join(' | ')} |`;
  const n = t.rows.length * t.trials;
  const pct = (v: number, of: number) => `${((v / of) * 100).toFixed(1)} %`;
  const verdictRow = (label: string, pick: (c: VerdictCounts) => number) => `| ${label} | ${t.verdicts.map((c) => pct(pick(c), n)).join(' | ')} |`;
  const u = t.unknowns;
  return [
    head, sep, ...rows, all,
    '',
    `Verdicts over the same ${n} measurements per SNR:`,
    '',
    `| verdict | ${t.snrs.map((s) => `SNR ${s}`).join(' | ')} |`, sep,
    verdictRow('match, right substance', (c) => c.correctMatch),
    verdictRow('match, wrong substance', (c) => c.wrongMatch),
    verdictRow('no-match', (c) => c.noMatch),
    verdictRow('low-signal', (c) => c.lowSignal),
    '',
    `Substances in no library (${u.trials} random band sets, SNR 30): match ${pct(u.wrongMatch, u.trials)}, no-match ${pct(u.noMatch, u.trials)}, low-signal ${pct(u.lowSignal, u.trials)}`,
  ].join('\n');
}

export interface SweepRow {
  match: number;
  /** per SNR: share of measurements of library substances judged 'match' to the right substance */
  sensitivity: number[];
  /** per SNR: share of measurements of a substance left out of the library judged 'match' (always wrong) */
  leftOutMatch: number[];
}

/**
 * How the `match` threshold trades sensitivity against false matches. Each substance is measured
 * `trials` times per SNR and identified twice: against the whole library (a 'match' to it is
 * right) and against the library without it (any 'match' is wrong: the substance is not there,
 * as a new drug or an unlisted solvent is not). Mixtures on, as the gateway runs.
 */
export function thresholdSweep(lib: ReferenceLibrary, thresholds: readonly number[] = [60, 70, 75, 80, 85, 90], snrs: readonly number[] = [100, 30, 10], trials = 3): { snrs: readonly number[]; trials: number; rows: SweepRow[] } {
  const rows: SweepRow[] = thresholds.map((match) => ({ match, sensitivity: snrs.map(() => 0), leftOutMatch: snrs.map(() => 0) }));
  const rnd = new SeededRandom(31);
  // identify once at the lowest threshold and re-judge at each: the same verdicts as identifying
  // at each threshold (a mixture below a threshold cannot leave a single hit above it)
  const low = { ...lib, thresholds: { ...lib.thresholds, match: Math.min(...thresholds) } };
  snrs.forEach((snr, k) => {
    for (const e of lib.entries) {
      const without = { ...low, entries: lib.entries.filter((x) => x !== e) };
      for (let t = 0; t < trials; t += 1) {
        const s = simulateMeasurement(lib, { components: [{ id: e.id, weight: 1 }] }, {
          snr, seed: rnd.uint32(), fluorescence: rnd.range(0, 3), baselineDrift: rnd.range(-1, 1), shift: rnd.range(-2, 2),
        });
        const full = identify(low, s);
        const left = identify(without, s);
        for (const row of rows) {
          const th = { ...lib.thresholds, match: row.match };
          const v = verdict(full, th);
          if (v === 'match' && (full.mixture ? full.mixture.components.some((m) => m.entryId === e.id) : full.hits[0]?.entryId === e.id)) row.sensitivity[k]! += 1;
          if (verdict(left, th) === 'match') row.leftOutMatch[k]! += 1;
        }
      }
    }
  });
  const n = lib.entries.length * trials;
  for (const row of rows) {
    row.sensitivity = row.sensitivity.map((c) => c / n);
    row.leftOutMatch = row.leftOutMatch.map((c) => c / n);
  }
  return { snrs, trials, rows };
}

export function formatSweep(sw: ReturnType<typeof thresholdSweep>): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  return [
    `| match threshold | ${sw.snrs.map((s) => `right match, SNR ${s}`).join(' | ')} | ${sw.snrs.map((s) => `left-out substance matched, SNR ${s}`).join(' | ')} |`,
    `|---|${sw.snrs.map(() => '---').join('|')}|${sw.snrs.map(() => '---').join('|')}|`,
    ...sw.rows.map((r) => `| ${r.match} | ${r.sensitivity.map(pct).join(' | ')} | ${r.leftOutMatch.map(pct).join(' | ')} |`),
  ].join('\n');
}

/**
 * The seed entries repeated with perturbations up to `size` entries: a shift of up to 2 axis
 * points, 2 % multiplicative jitter, noise at 1 % of the peak and a sloping baseline, then the
 * loader's own smoothing, baseline removal and normalisation, so each copy is preprocessed as a
 * real one.
 */
export function perturbedLibrary(lib: ReferenceLibrary, size: number): ReferenceLibrary {
  const rnd = new SeededRandom(7);
  const entries: LoadedEntry[] = [];
  for (let k = 0; entries.length < size; k += 1) {
    const e = lib.entries[k % lib.entries.length] as LoadedEntry;
    const shiftPts = rnd.int(-2, 2);
    let peak = 0;
    for (const v of e.corrected) if (Number.isFinite(v) && v > peak) peak = v;
    const slope = rnd.range(-0.3, 0.3) * peak;
    const raw = new Float64Array(e.corrected.length);
    for (let i = 0; i < raw.length; i += 1) {
      const v = e.corrected[Math.min(raw.length - 1, Math.max(0, i + shiftPts))] ?? 0;
      raw[i] = (Number.isFinite(v) ? v : 0) * rnd.range(0.98, 1.02) + rnd.normal() * 0.01 * peak + (slope * i) / raw.length;
    }
    const y = removeBaseline(raw);
    const vector = unitVector(removeBaseline(smooth(raw)));
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

export interface IdentifyBenchFigures extends IdentifyBench {
  queries: number;
  /** per SNR over every seed substance: top-1 accuracy and share of 'match' verdicts naming a wrong substance (0..1) */
  accuracy: Array<{ snr: number; top1: number; wrongMatch: number }>;
  /** share of substances in no library that got a 'match' verdict (0..1) */
  unknownMatch: number;
}

/**
 * The identification figures for `npm run bench`: prints the match time (p50/p99 over the
 * queries, one spectrum against 1,000 entries, preprocessing included), the accuracy and verdict
 * tables and the threshold sweep, and returns the headline figures as numbers.
 */
export async function runIdentifyBench(opts: { queries?: number; trials?: number; print?: (line: string) => void } = {}): Promise<IdentifyBenchFigures> {
  const print = opts.print ?? ((line: string) => console.log(line));
  const queries = opts.queries ?? 60;
  const r = benchIdentify(queries);
  print(`\n== identification: one spectrum against a ${r.entries}-entry library (${r.points} points on the common axis) ==`);
  print(`p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms per match over ${queries} queries (preprocessing and mixture search included); seed library load ${r.loadMs} ms`);
  // let the event loop breathe between the two halves (the bench runner is async)
  await new Promise((resolve) => setImmediate(resolve));
  const t = accuracyTable(loadSeedLibrary(), opts.trials ?? 5);
  print(`\n== identification accuracy: top-1 correct, ${t.trials} simulated measurements per substance and SNR ==`);
  print(formatAccuracy(t));
  await new Promise((resolve) => setImmediate(resolve));
  const sw = thresholdSweep(loadSeedLibrary());
  print(`\n== identification thresholds: 'match' verdicts by match threshold, ${sw.trials} measurements per substance and SNR ==`);
  print(formatSweep(sw));
  const share = (v: number, of: number) => Math.round((v / of) * 1000) / 1000;
  const n = t.rows.length * t.trials;
  return {
    ...r, queries,
    accuracy: t.snrs.map((snr, k) => ({ snr, top1: share((t.overall[k] ?? 0) * n, n), wrongMatch: share(t.verdicts[k]?.wrongMatch ?? 0, n) })),
    unknownMatch: share(t.unknowns.wrongMatch, t.unknowns.trials),
  };
}
