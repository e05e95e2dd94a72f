/**
 * Spectrum preprocessing for identification: onto the library's common axis, smoothed, baseline
 * removed, mean-centred and scaled to unit length, so that the Pearson correlation of two spectra
 * is the dot product of their vectors.
 *
 * Baseline: an iterative modified polynomial fit (Lieber & Mahadevan-Jansen, 2003). Fit a
 * polynomial, clip the spectrum to the fit wherever the spectrum is above it, refit; after a few
 * rounds the polynomial follows the floor under the bands. It removes a sloping baseline and a
 * broad fluorescence-like hump without needing peak positions, and unlike a rolling minimum it
 * does not eat broad bands narrower than its window; unlike asymmetric least squares it has no
 * smoothness and asymmetry parameters to tune to the band widths (gas-phase lines and solid-state
 * bands differ by an order of magnitude). Degree 5 suits a 3,000 1/cm range.
 */

export interface CommonAxis {
  from: number;
  to: number;
  step: number;
  units: string;
}

export function axisPoints(axis: CommonAxis): Float64Array {
  const n = Math.floor((axis.to - axis.from) / axis.step + 1e-9) + 1;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i += 1) x[i] = axis.from + i * axis.step;
  return x;
}

/**
 * (x, y) onto `grid`: where the data are denser than the grid, the mean of the points within half
 * a grid step (a box filter, so narrow lines are not aliased into noise); elsewhere linear
 * interpolation. x may run either way. Grid points outside the data are NaN; `covered` counts
 * the others.
 */
export function resample(x: ArrayLike<number>, y: ArrayLike<number>, grid: Float64Array): { y: Float64Array; covered: number } {
  const n = Math.min(x.length, y.length);
  const out = new Float64Array(grid.length).fill(Number.NaN);
  if (n < 2 || grid.length === 0) return { y: out, covered: 0 };
  const asc = (x[n - 1] as number) >= (x[0] as number);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    xs[i] = asc ? (x[i] as number) : (x[n - 1 - i] as number);
    ys[i] = asc ? (y[i] as number) : (y[n - 1 - i] as number);
  }
  const half = grid.length > 1 ? Math.abs((grid[1] as number) - (grid[0] as number)) / 2 : 0;
  let lo = 0;
  let covered = 0;
  for (let g = 0; g < grid.length; g += 1) {
    const gx = grid[g] as number;
    if (gx < xs[0]! || gx > xs[n - 1]!) continue;
    while (lo < n - 1 && xs[lo]! < gx - half) lo += 1;
    let sum = 0;
    let count = 0;
    for (let k = lo; k < n && xs[k]! <= gx + half; k += 1) {
      if (Number.isFinite(ys[k]!)) {
        sum += ys[k]!;
        count += 1;
      }
    }
    let v: number;
    if (count >= 2) {
      v = sum / count;
    } else {
      let j = Math.max(0, lo - 1);
      while (j < n - 2 && xs[j + 1]! < gx) j += 1;
      const x0 = xs[j]!;
      const x1 = xs[j + 1]!;
      const t = x1 === x0 ? 0 : (gx - x0) / (x1 - x0);
      v = ys[j]! + t * (ys[j + 1]! - ys[j]!);
    }
    if (Number.isFinite(v)) {
      out[g] = v;
      covered += 1;
    }
  }
  return { y: out, covered };
}

/**
 * Savitzky-Golay smoothing (quadratic, 2·half+1 points): a least-squares parabola through each
 * window, which averages noise down while keeping band positions and most of the band height
 * (a moving average would flatten narrow bands more). Points within `half` of an end or of a
 * gap keep their value. Applied to the query and the references alike, so the correlation
 * compares like with like; at 7 points on the seed's 4 1/cm axis it took the share of SNR-10
 * measurements judged a right match from about 71 % to 87 % (docs/identification.md).
 */
export function smooth(y: Float64Array, half = 3): Float64Array {
  const out = y.slice();
  if (half < 1) return out;
  const m = half;
  const norm = ((2 * m + 1) * (4 * m * m + 4 * m - 3)) / 3;
  const w = Array.from({ length: 2 * m + 1 }, (_, k) => (3 * m * m + 3 * m - 1 - 5 * (k - m) ** 2) / norm);
  for (let i = m; i < y.length - m; i += 1) {
    let s = 0;
    let finite = true;
    for (let j = -m; j <= m && finite; j += 1) {
      const v = y[i + j]!;
      if (Number.isFinite(v)) s += w[j + m]! * v;
      else finite = false;
    }
    if (finite) out[i] = s;
  }
  return out;
}

/** Solves the small symmetric system A c = b in place (Gaussian elimination with pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let c = 0; c < n; c += 1) {
    let p = c;
    for (let r = c + 1; r < n; r += 1) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    [b[c], b[p]] = [b[p]!, b[c]!];
    const d = a[c]![c]!;
    if (Math.abs(d) < 1e-300) return new Array<number>(n).fill(0);
    for (let r = c + 1; r < n; r += 1) {
      const f = a[r]![c]! / d;
      for (let k = c; k < n; k += 1) a[r]![k]! -= f * a[c]![k]!;
      b[r]! -= f * b[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r -= 1) {
    let s = b[r]!;
    for (let k = r + 1; k < n; k += 1) s -= a[r]![k]! * x[k]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

/**
 * Least-squares polynomial fits (Legendre basis on [-1, 1] for conditioning) over the points of
 * `mask`, for many y on the same points: the basis and the normal matrix are built once, so each
 * fit is two passes over the data. The baseline loop refits 30 times and a match fits twice.
 */
function polyFitter(n: number, mask: Uint8Array, degree: number): (y: Float64Array) => Float64Array {
  const m = degree + 1;
  const phi = new Float64Array(n * m);
  for (let i = 0; i < n; i += 1) {
    const t = n === 1 ? 0 : (2 * i) / (n - 1) - 1;
    const o = i * m;
    phi[o] = 1;
    if (m > 1) phi[o + 1] = t;
    for (let k = 2; k < m; k += 1) phi[o + k] = ((2 * k - 1) * t * phi[o + k - 1]! - (k - 1) * phi[o + k - 2]!) / k;
  }
  const ata = new Float64Array(m * m);
  for (let i = 0; i < n; i += 1) {
    if (!mask[i]) continue;
    const o = i * m;
    for (let r = 0; r < m; r += 1) for (let c = 0; c < m; c += 1) ata[r * m + c]! += phi[o + r]! * phi[o + c]!;
  }
  return (y) => {
    const atb = new Array<number>(m).fill(0);
    for (let i = 0; i < n; i += 1) {
      if (!mask[i]) continue;
      const o = i * m;
      for (let r = 0; r < m; r += 1) atb[r]! += phi[o + r]! * y[i]!;
    }
    const a = Array.from({ length: m }, (_, r) => Array.from(ata.subarray(r * m, r * m + m)));
    const coef = solve(a, atb);
    const fit = new Float64Array(n);
    for (let i = 0; i < n; i += 1) {
      const o = i * m;
      let v = 0;
      for (let k = 0; k < m; k += 1) v += coef[k]! * phi[o + k]!;
      fit[i] = v;
    }
    return fit;
  };
}

/**
 * Baseline-corrected copy of y (NaN points are ignored and stay NaN): the iterative modified
 * polynomial fit described at the top of this file.
 */
export function removeBaseline(y: Float64Array, opts: { degree?: number; iterations?: number } = {}): Float64Array {
  const degree = opts.degree ?? 5;
  const iterations = opts.iterations ?? 30;
  const mask = new Uint8Array(y.length);
  const work = new Float64Array(y.length);
  let count = 0;
  for (let i = 0; i < y.length; i += 1) {
    const v = y[i]!;
    if (Number.isFinite(v)) {
      mask[i] = 1;
      work[i] = v;
      count += 1;
    }
  }
  if (count <= degree + 1) return y.slice();
  const polyFit = polyFitter(y.length, mask, degree);
  let fit = polyFit(work);
  for (let it = 0; it < iterations; it += 1) {
    let changed = 0;
    for (let i = 0; i < work.length; i += 1) {
      if (mask[i] && work[i]! > fit[i]!) {
        work[i] = fit[i]!;
        changed += 1;
      }
    }
    fit = polyFit(work);
    if (changed === 0) break;
  }
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i += 1) out[i] = mask[i] ? y[i]! - fit[i]! : Number.NaN;
  return out;
}

/** Mean-centred, unit-length copy over the finite points (others 0); undefined when flat. */
export function unitVector(y: Float64Array): Float64Array | undefined {
  let n = 0;
  let sum = 0;
  for (const v of y) if (Number.isFinite(v)) { sum += v; n += 1; }
  if (n < 3) return undefined;
  const mean = sum / n;
  const out = new Float64Array(y.length);
  let ss = 0;
  for (let i = 0; i < y.length; i += 1) {
    const v = y[i]!;
    if (Number.isFinite(v)) {
      out[i] = v - mean;
      ss += out[i]! * out[i]!;
    }
  }
  if (!(ss > 0)) return undefined;
  const k = 1 / Math.sqrt(ss);
  for (let i = 0; i < out.length; i += 1) out[i]! *= k;
  return out;
}

/**
 * Signal-to-noise estimate of a baseline-corrected spectrum: the peak height (of `y`) over the
 * noise (median absolute second difference of `noisy`, scaled to a Gaussian sigma). Second
 * differences cancel bands broader than a few points, so they see the noise and not the
 * spectrum. `noisy` is the spectrum before smoothing when `y` was smoothed: smoothing hides
 * noise from second differences and would overstate the ratio.
 */
export function signalToNoise(y: Float64Array, noisy: Float64Array = y): number {
  const d: number[] = [];
  let max = -Infinity;
  let min = Infinity;
  for (const v of y) {
    if (Number.isFinite(v)) {
      if (v > max) max = v;
      if (v < min) min = v;
    }
  }
  for (let i = 1; i < noisy.length - 1; i += 1) {
    const a = noisy[i - 1]!;
    const b = noisy[i]!;
    const c = noisy[i + 1]!;
    if (Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c)) d.push(Math.abs(a - 2 * b + c));
  }
  if (d.length === 0 || !Number.isFinite(max)) return 0;
  d.sort((p, q) => p - q);
  // |N(0, 6 sigma^2)| median = 0.6745 * sqrt(6) * sigma
  const sigma = d[Math.floor(d.length / 2)]! / (0.6745 * Math.sqrt(6));
  const height = max - Math.min(0, min);
  if (!(sigma > 0)) return height > 0 ? Infinity : 0;
  return height / sigma;
}

/** The y values as absorbance-like (bands up): transmittance is converted, A = -log10(T). */
export function toAbsorbance(y: ArrayLike<number>, yUnits: string | undefined): Float64Array {
  const out = Float64Array.from(y as ArrayLike<number>);
  const u = (yUnits ?? '').toUpperCase();
  if (u.includes('TRANSMITTANCE')) {
    // percent transmittance when values run well above 1
    let max = 0;
    for (const v of out) if (v > max) max = v;
    const scale = max > 1.5 ? 0.01 : 1;
    for (let i = 0; i < out.length; i += 1) out[i] = -Math.log10(Math.min(1, Math.max(1e-4, out[i]! * scale)));
  }
  return out;
}

/** x values in 1/cm: micrometres (MICROMETERS) and nanometres are converted. */
export function toWavenumbers(x: ArrayLike<number>, xUnits: string | undefined): Float64Array {
  const out = Float64Array.from(x as ArrayLike<number>);
  const u = (xUnits ?? '').toUpperCase().replace(/\s/g, '');
  if (u === 'MICROMETERS' || u === 'UM' || u === 'MICRONS') for (let i = 0; i < out.length; i += 1) out[i] = 1e4 / out[i]!;
  else if (u === 'NANOMETERS' || u === 'NM') for (let i = 0; i < out.length; i += 1) out[i] = 1e7 / out[i]!;
  return out;
}

/**
 * The whole chain: units -> common axis -> smoothing -> baseline -> unit vector. The SNR and the
 * `corrected` spectrum (what the simulators measure references from) are taken without the
 * smoothing: smoothing would hide the noise the SNR estimates and blur the references the
 * simulators start from. The second baseline fit costs about a millisecond.
 */
export function preprocess(
  s: { x: ArrayLike<number>; y: ArrayLike<number>; xUnits?: string; yUnits?: string },
  grid: Float64Array,
): { vector: Float64Array | undefined; covered: number; snr: number; corrected: Float64Array } {
  const x = toWavenumbers(s.x, s.xUnits);
  const y = toAbsorbance(s.y, s.yUnits);
  const r = resample(x, y, grid);
  const corrected = removeBaseline(r.y);
  // flat: nothing but rounding left after the baseline (unitVector would blow rounding up to unit length)
  let size = 0;
  let left = 0;
  for (let i = 0; i < r.y.length; i += 1) {
    if (Number.isFinite(r.y[i]!)) size = Math.max(size, Math.abs(r.y[i]!));
    if (Number.isFinite(corrected[i]!)) left = Math.max(left, Math.abs(corrected[i]!));
  }
  const flat = !(left > size * 1e-9);
  return { vector: flat ? undefined : unitVector(removeBaseline(smooth(r.y))), covered: r.covered, snr: flat ? 0 : signalToNoise(corrected), corrected };
}
