/**
 * The simulated handheld's OWN identification, deliberately not the gateway's: correlation of
 * first derivatives (a common vendor choice: insensitive to baseline without fitting one), mapped
 * to a 0-1000 "match quality", its own thresholds, its own substance names and threat classes.
 * So device and gateway usually agree and sometimes do not, as real vendors and a neutral
 * reference do.
 */
import type { LoadedEntry, ReferenceLibrary } from '../../src/identify/library.js';
import { resample, signalToNoise, removeBaseline } from '../../src/identify/preprocess.js';
import type { HsxHit, HsxResult } from '../../adapters/handheld-spectrometer-serial/hsx-message.js';

/** The vendor's names for some substances (its library is not the gateway's). */
const VENDOR_NAMES: Record<string, string> = {
  'cocaine-hcl': 'Cocaine HCl', heroin: 'Heroin', 'methamphetamine-hcl': 'Methamphetamine HCl', 'mdma-hcl': 'MDMA',
  tnt: 'TNT', rdx: 'RDX (Hexogen)', petn: 'PETN', 'ammonium-nitrate': 'Ammonium Nitrate', acetone: 'Acetone', '2-butanone': 'MEK',
};
const VENDOR_CLASS: Record<string, string | undefined> = {
  narcotic: 'Narcotics', explosive: 'Explosives', precursor: 'Precursors', chemical: 'Chemicals', environmental: 'Environmental', benign: undefined, other: undefined,
};

export const MATCH_QUALITY_THRESHOLD = 850;
const MIXTURE_THRESHOLD = 850;
const LOW_SIGNAL_SNR = 12;

/** First derivative of a 5-point moving average (the smoothing keeps noise from dominating it). */
function derivative(raw: Float64Array): Float64Array {
  const v = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) {
    let s = 0;
    let n = 0;
    for (let k = Math.max(0, i - 2); k <= Math.min(raw.length - 1, i + 2); k += 1) if (Number.isFinite(raw[k]!)) { s += raw[k]!; n += 1; }
    v[i] = n > 0 ? s / n : 0;
  }
  const d = new Float64Array(v.length);
  for (let i = 1; i < v.length; i += 1) d[i] = v[i]! - v[i - 1]!;
  let mean = 0;
  for (const x of d) mean += x;
  mean /= d.length;
  let ss = 0;
  for (let i = 0; i < d.length; i += 1) {
    d[i] = d[i]! - mean;
    ss += d[i]! * d[i]!;
  }
  const k = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let i = 0; i < d.length; i += 1) d[i] = d[i]! * k;
  return d;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i += 1) s += a[i]! * b[i]!;
  return s;
};

export interface VendorAnalysis {
  verdict: HsxResult['verdict'];
  threatClass?: string;
  hits: HsxHit[];
}

export function createVendorAlgorithm(lib: ReferenceLibrary): (x: ArrayLike<number>, y: ArrayLike<number>) => VendorAnalysis {
  const refs = lib.entries.map((e) => ({ e, d: derivative(e.corrected) }));
  const hitOf = (e: LoadedEntry, rank: number, score: number, fraction?: number): HsxHit => ({
    rank, name: VENDOR_NAMES[e.id] ?? e.name, ...(e.cas ? { cas: e.cas } : {}), score,
    ...(VENDOR_CLASS[e.category] ? { threatClass: VENDOR_CLASS[e.category] as string } : {}), ...(fraction !== undefined ? { fraction } : {}),
  });
  return (x, y) => {
    const r = resample(x, y, lib.grid);
    const corrected = removeBaseline(r.y);
    const q = derivative(corrected);
    const scored = refs.map(({ e, d }) => ({ e, d, s: Math.round(1000 * Math.max(0, dot(q, d))) })).sort((a, b) => b.s - a.s);
    const top = scored.slice(0, 3);
    if (signalToNoise(corrected) < LOW_SIGNAL_SNR) return { verdict: 'LOW SIGNAL', hits: [] };
    const best = top[0];
    if (!best) return { verdict: 'NO MATCH', hits: [] };
    if (best.s >= MATCH_QUALITY_THRESHOLD) {
      const cls = VENDOR_CLASS[best.e.category];
      return { verdict: cls && best.e.category !== 'benign' ? 'THREAT' : 'MATCH', ...(cls ? { threatClass: cls } : {}), hits: top.map((t, i) => hitOf(t.e, i + 1, t.s)) };
    }
    // two-component analysis on derivatives, among the six best
    let mix: { i: number; j: number; a: number; b: number; fit: number } | undefined;
    const cands = scored.slice(0, 6);
    for (let i = 0; i < cands.length; i += 1) {
      for (let j = i + 1; j < cands.length; j += 1) {
        const u = cands[i]!.d;
        const w = cands[j]!.d;
        const uw = dot(u, w);
        const qu = dot(q, u);
        const qw = dot(q, w);
        const det = 1 - uw * uw;
        if (det < 1e-9) continue;
        const a = (qu - qw * uw) / det;
        const b = (qw - qu * uw) / det;
        if (a <= 0 || b <= 0) continue;
        const fit = a * qu + b * qw;
        if (!mix || fit > mix.fit) mix = { i, j, a, b, fit };
      }
    }
    if (mix && mix.fit * 1000 >= MIXTURE_THRESHOLD) {
      const fa = Math.round((mix.a / (mix.a + mix.b)) * 100) / 100;
      const ea = cands[mix.i]!.e;
      const eb = cands[mix.j]!.e;
      const threat = [ea, eb].find((e) => e.category !== 'benign' && VENDOR_CLASS[e.category]);
      return {
        verdict: 'MIXTURE', ...(threat ? { threatClass: VENDOR_CLASS[threat.category] as string } : {}),
        hits: [hitOf(ea, 1, Math.round(mix.fit * 1000), fa), hitOf(eb, 2, Math.round(mix.fit * 1000), Math.round((1 - fa) * 100) / 100)],
      };
    }
    return { verdict: 'NO MATCH', hits: top.map((t, i) => hitOf(t.e, i + 1, t.s)) };
  };
}
