/**
 * Occupancy assembly, one sample line at a time: running gross counts, and the portal's n-sigma
 * statistic over 1 s windows against the last background the device reported,
 *   F = counts in the window, B = background cps x window seconds, sigma = (F - B) / sqrt(B),
 * per channel and over the sum of a category's channels (the figure the alarm is judged on).
 * Every function returns a new value; the inputs are never mutated (the reducer's old state must
 * survive a failure later in the same frame).
 */
import { emptyCategory, windowSamples, type CategoryAcc, type Occupancy } from './line-state.js';

export function openOccupancy(at: number, gammaChannels: number, neutronChannels: number): Occupancy {
  return { firstAt: at, lastAt: at, gamma: emptyCategory(gammaChannels), neutron: emptyCategory(neutronChannels), speedSumKmh: 0, speedReports: 0 };
}

/** Adds one sample line; evaluates the window once it holds a full second of samples. */
export function addSample(acc: CategoryAcc, counts: readonly number[], alarm: boolean, backgroundCps: readonly number[] | null, periodMs: number): CategoryAcc {
  const size = windowSamples(periodMs);
  const next: CategoryAcc = {
    ...acc,
    samples: acc.samples + 1,
    alarm: acc.alarm || alarm,
    ring: [...acc.ring, [...counts]].slice(-size),
    grossCounts: acc.grossCounts.map((c, i) => c + (counts[i] ?? 0)),
  };
  return next.ring.length === size ? evaluateWindow(next, backgroundCps, periodMs) : next;
}

/**
 * At the end of an occupancy too short to fill one window, its samples make the one window
 * evaluated (so a short transit still gets rates and a sigma).
 */
export function finishCategory(acc: CategoryAcc, backgroundCps: readonly number[] | null, periodMs: number): CategoryAcc {
  return acc.windows === 0 && acc.ring.length > 0 ? evaluateWindow(acc, backgroundCps, periodMs) : acc;
}

function evaluateWindow(acc: CategoryAcc, backgroundCps: readonly number[] | null, periodMs: number): CategoryAcc {
  const seconds = (acc.ring.length * periodMs) / 1000;
  const f = acc.grossCounts.map((_, ch) => acc.ring.reduce((sum, row) => sum + (row[ch] ?? 0), 0));
  const b = backgroundCps === null ? null : f.map((_, ch) => (backgroundCps[ch] ?? 0) * seconds);
  const channelSigma = f.map((fc, ch) => sigma(fc, b?.[ch]));
  const total = b === null ? null : sigma(sum(f), sum(b));
  return {
    ...acc,
    windows: acc.windows + 1,
    maxRateCps: acc.maxRateCps.map((m, ch) => Math.max(m, (f[ch] ?? 0) / seconds)),
    maxChannelSigma: acc.maxChannelSigma.map((m, ch) => maxOf(m, channelSigma[ch] ?? null)),
    maxSigma: maxOf(acc.maxSigma, total),
  };
}

function sigma(f: number, b: number | undefined): number | null {
  return b === undefined || !(b > 0) ? null : (f - b) / Math.sqrt(b);
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
