/**
 * A spectrometer's measurement of a library substance, for simulators and tests: the reference
 * band shape plus what real instruments add. Deterministic for a seed.
 *
 *   y(x) = scale · Σ wₖ refₖ(x + shift) + fluorescence(x) + drift(x) + noise
 *
 * fluorescence: a broad Gaussian hump (as fluorescence under a Raman spectrum, or scattering under
 * an ATR-IR one); drift: a linear baseline slope; noise: Gaussian with sigma = peak / snr;
 * shift: a wavenumber calibration error of a few 1/cm. The device's axis differs from the
 * library's on purpose, so identification always resamples.
 */
import { SeededRandom } from '../../simulators/rpm/seeded-random.js';
import type { ReferenceLibrary } from './library.js';

export interface MeasurementModel {
  /** peak signal over noise sigma (Infinity: no noise) */
  snr: number;
  /** fluorescence hump height relative to the peak band (0: none) */
  fluorescence?: number;
  /** baseline slope end to end, relative to the peak band */
  baselineDrift?: number;
  /** wavenumber calibration error, 1/cm */
  shift?: number;
  /** overall intensity (arbitrary units; counts for a Raman device) */
  scale?: number;
  seed: number;
}

export interface DeviceAxis {
  from: number;
  to: number;
  step: number;
}

export const DEFAULT_DEVICE_AXIS: DeviceAxis = { from: 650, to: 3700, step: 2 };

export interface SimulatedSpectrum {
  x: Float64Array;
  y: Float64Array;
  xUnits: '1/cm';
  yUnits: 'ABSORBANCE';
}

function sampleAt(grid: Float64Array, y: Float64Array, x: number): number {
  const step = (grid[1] as number) - (grid[0] as number);
  const t = (x - (grid[0] as number)) / step;
  if (t < 0 || t > grid.length - 1) return 0;
  const i = Math.min(grid.length - 2, Math.floor(t));
  const f = t - i;
  const a = y[i] ?? 0;
  const b = y[i + 1] ?? 0;
  return (Number.isFinite(a) ? a : 0) * (1 - f) + (Number.isFinite(b) ? b : 0) * f;
}

/**
 * Measures `components` (library entry ids with weights; weights are shares of each reference's
 * own peak height) or, with `bands`, a substance that is not in the library.
 */
export function simulateMeasurement(
  lib: ReferenceLibrary,
  what: { components: Array<{ id: string; weight: number }> } | { bands: Array<[number, number, number]> },
  model: MeasurementModel,
  axis: DeviceAxis = DEFAULT_DEVICE_AXIS,
): SimulatedSpectrum {
  const rnd = new SeededRandom(model.seed);
  const n = Math.floor((axis.to - axis.from) / axis.step) + 1;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i += 1) x[i] = axis.from + i * axis.step;
  const clean = new Float64Array(n);
  const shift = model.shift ?? 0;
  if ('components' in what) {
    for (const c of what.components) {
      const e = lib.entries.find((k) => k.id === c.id);
      if (!e) throw new RangeError(`no library entry "${c.id}"`);
      let peak = 0;
      for (const v of e.corrected) if (Number.isFinite(v) && v > peak) peak = v;
      const k = peak > 0 ? c.weight / peak : 0;
      for (let i = 0; i < n; i += 1) clean[i]! += k * Math.max(0, sampleAt(lib.grid, e.corrected, x[i]! + shift));
    }
  } else {
    for (let i = 0; i < n; i += 1) {
      let v = 0;
      for (const [c, a, w] of what.bands) v += (a * w * w) / ((x[i]! + shift - c) ** 2 + w * w);
      clean[i] = v;
    }
  }
  let peak = 0;
  for (const v of clean) if (v > peak) peak = v;
  if (!(peak > 0)) peak = 1;
  const scale = model.scale ?? 1;
  const sigma = Number.isFinite(model.snr) && model.snr > 0 ? peak / model.snr : 0;
  const fl = (model.fluorescence ?? 0) * peak;
  const drift = (model.baselineDrift ?? 0) * peak;
  const centre = axis.from + (axis.to - axis.from) * rnd.range(0.3, 0.7);
  const width = (axis.to - axis.from) * 0.45;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const u = (x[i]! - axis.from) / (axis.to - axis.from);
    const hump = fl * Math.exp(-0.5 * ((x[i]! - centre) / width) ** 2);
    y[i] = scale * (clean[i]! + hump + drift * u + sigma * rnd.normal());
  }
  return { x, y, xUnits: '1/cm', yUnits: 'ABSORBANCE' };
}

/** Random bands for a substance that is in no library ("no match" scenarios). */
export function randomBands(seed: number, count = 7): Array<[number, number, number]> {
  const rnd = new SeededRandom(seed);
  return Array.from({ length: count }, () => [rnd.range(700, 3600), rnd.range(0.2, 1), rnd.range(6, 30)] as [number, number, number]);
}
