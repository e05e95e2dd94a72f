/**
 * Vendor-neutral identification: the correlation hit quality index of a spectrum against every
 * library entry, a ranked hit list, an optional two-component mixture, and a verdict.
 *
 * HQI = r² × 100, r the Pearson correlation of the preprocessed spectra over the common axis
 * (the usual correlation HQI of spectral search software, e.g. ASTM E2617's correlation metric).
 * Anti-correlated spectra (r < 0) score 0, not r²: a spectrum shaped like the inverse of a
 * reference is not a match. It does not depend on intensity scale or offset, so spectra from
 * different instruments and exposures are compared on one footing.
 */
import type { GatewayIdentification, IdentificationHit, SpectrumInput } from '../adapter/types.js';
import type { LoadedEntry, ReferenceLibrary } from './library.js';
import { preprocess } from './preprocess.js';

export interface IdentifyOptions {
  /** hits returned (default 5) */
  top?: number;
  /** look for a two-component mixture (default true) */
  mixtures?: boolean;
}

export interface IdentifyDetail extends GatewayIdentification {
  /** estimated signal-to-noise of the spectrum after baseline removal */
  snr: number;
  /** share of the library axis the spectrum covers, 0..1 */
  coverage: number;
  /** why the verdict is what it is, for people */
  reason: string;
}

const hitOf = (e: LoadedEntry, hqi: number): IdentificationHit => ({
  entryId: e.id, name: e.name, ...(e.cas ? { cas: e.cas } : {}), category: e.category, hqi,
});

/** Pearson r of q (already unit, centred over its finite points) and an entry, over q's points. */
function correlation(q: Float64Array, mask: Uint8Array | undefined, e: Float64Array): number {
  if (!mask) {
    let s = 0;
    for (let i = 0; i < q.length; i += 1) s += q[i]! * e[i]!;
    return s;
  }
  let n = 0;
  let se = 0;
  for (let i = 0; i < q.length; i += 1) if (mask[i]) { se += e[i]!; n += 1; }
  const me = se / n;
  let sqe = 0;
  let see = 0;
  for (let i = 0; i < q.length; i += 1) {
    if (!mask[i]) continue;
    const d = e[i]! - me;
    sqe += q[i]! * d;
    see += d * d;
  }
  return see > 0 ? sqe / Math.sqrt(see) : 0;
}

const sameSubstance = (a: LoadedEntry, b: LoadedEntry) => a.id === b.id || (a.cas !== undefined && a.cas === b.cas) || a.name.toLowerCase() === b.name.toLowerCase();

export function identify(lib: ReferenceLibrary, s: SpectrumInput, opts: IdentifyOptions = {}): IdentifyDetail {
  const top = opts.top ?? 5;
  const library = { name: lib.name, version: lib.version };
  const p = preprocess(s, lib.grid);
  const coverage = p.covered / lib.grid.length;
  const base = { library, snr: Math.round(p.snr * 10) / 10, coverage: Math.round(coverage * 1000) / 1000 };
  if (!p.vector || coverage < lib.thresholds.minCoverage) {
    return { ...base, verdict: 'no-match', hits: [], reason: coverage >= lib.thresholds.minCoverage ? 'the spectrum is flat on the library axis' : `the spectrum covers ${Math.round(coverage * 100)} % of the library axis (${lib.axis.from}-${lib.axis.to} ${lib.axis.units}); at least ${Math.round(lib.thresholds.minCoverage * 100)} % is needed` };
  }
  const q = p.vector;
  let mask: Uint8Array | undefined;
  if (p.covered < lib.grid.length) {
    mask = new Uint8Array(q.length);
    for (let i = 0; i < q.length; i += 1) mask[i] = Number.isFinite(p.corrected[i]!) ? 1 : 0;
  }
  const scored = lib.entries.map((e) => {
    const r = correlation(q, mask, e.vector);
    return { e, r, hqi: r > 0 ? r * r * 100 : 0 };
  });
  scored.sort((a, b) => b.hqi - a.hqi);
  const hits = scored.slice(0, top).map((x) => hitOf(x.e, Math.round(x.hqi * 10) / 10));
  const best = scored[0];
  if (!best) return { ...base, verdict: 'no-match', hits: [], reason: 'the library is empty' };

  let mixture: GatewayIdentification['mixture'];
  if (opts.mixtures !== false) mixture = bestMixture(q, mask, scored.slice(0, 8), best.hqi, lib);

  if (p.snr < lib.thresholds.minSnr) {
    return { ...base, verdict: 'low-signal', hits, reason: `signal-to-noise ${base.snr} is below ${lib.thresholds.minSnr}` };
  }
  if (mixture) return { ...base, verdict: 'match', hits, mixture, reason: `a mixture of ${mixture.components.map((c) => c.name).join(' and ')} explains the spectrum (HQI ${mixture.hqi}) better than any single entry (HQI ${hits[0]?.hqi})` };
  const runnerUp = scored.find((x) => !sameSubstance(x.e, best.e));
  const lead = best.hqi - (runnerUp?.hqi ?? 0);
  if (best.hqi >= lib.thresholds.match && lead >= lib.thresholds.margin) {
    return { ...base, verdict: 'match', hits, reason: `top hit HQI ${hits[0]?.hqi} >= ${lib.thresholds.match}, ${Math.round(lead * 10) / 10} ahead of the next substance` };
  }
  return { ...base, verdict: 'no-match', hits, reason: best.hqi < lib.thresholds.match ? `top hit HQI ${hits[0]?.hqi} is below ${lib.thresholds.match}` : `top hits are within ${lib.thresholds.margin} HQI of each other: ambiguous` };
}

/**
 * Best non-negative two-component least-squares fit of q among the leading candidates. Returned
 * only when it explains the spectrum clearly better than the best single entry and both
 * components carry a real share. Fractions are shares of the normalised signal, not of mass.
 */
function bestMixture(q: Float64Array, mask: Uint8Array | undefined, cands: Array<{ e: LoadedEntry; hqi: number }>, bestSingle: number, lib: ReferenceLibrary): GatewayIdentification['mixture'] {
  // centred candidate vectors over q's points
  const vecs = cands.map((c) => {
    const v = new Float64Array(q.length);
    let n = 0;
    let s = 0;
    for (let i = 0; i < q.length; i += 1) if (!mask || mask[i]) { s += c.e.vector[i]!; n += 1; }
    const m = s / n;
    for (let i = 0; i < q.length; i += 1) v[i] = !mask || mask[i] ? c.e.vector[i]! - m : 0;
    return v;
  });
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i += 1) s += a[i]! * b[i]!;
    return s;
  };
  let best: { i: number; j: number; a: number; b: number; r2: number } | undefined;
  for (let i = 0; i < vecs.length; i += 1) {
    for (let j = i + 1; j < vecs.length; j += 1) {
      if (sameSubstance(cands[i]!.e, cands[j]!.e)) continue;
      const u = vecs[i]!;
      const w = vecs[j]!;
      const uu = dot(u, u);
      const ww = dot(w, w);
      const uw = dot(u, w);
      const qu = dot(q, u);
      const qw = dot(q, w);
      const det = uu * ww - uw * uw;
      if (det <= 1e-12) continue;
      const a = (qu * ww - qw * uw) / det;
      const b = (qw * uu - qu * uw) / det;
      if (a <= 0 || b <= 0) continue;
      // q is unit length and centred: explained share = 1 - |q - a u - b w|^2
      const r2 = a * qu + b * qw;
      if (!best || r2 > best.r2) best = { i, j, a, b, r2 };
    }
  }
  if (!best) return undefined;
  const hqi = best.r2 * 100;
  const fa = best.a / (best.a + best.b);
  if (hqi < lib.thresholds.match || hqi - bestSingle < 5 || fa < 0.15 || fa > 0.85) return undefined;
  const comp = (k: number, fraction: number) => {
    const e = cands[k]!.e;
    return { entryId: e.id, name: e.name, ...(e.cas ? { cas: e.cas } : {}), category: e.category, fraction: Math.round(fraction * 100) / 100 };
  };
  return { hqi: Math.round(hqi * 10) / 10, components: [comp(best.i, fa), comp(best.j, 1 - fa)].sort((x, y) => y.fraction - x.fraction) };
}
