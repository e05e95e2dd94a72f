/**
 * Vendor-neutral identification: the correlation hit quality index of a spectrum against every
 * library entry, a ranked hit list, an optional two-component mixture, and a verdict.
 *
 * HQI = r² × 100, r the Pearson correlation of the preprocessed spectra over the common axis
 * (the correlation search metric of common spectral library software). r² is the share of the
 * query's variance the reference explains, so the scale reads as a percentage and punishes weak
 * correlation harder than r does (r = 0.9 is HQI 81). Anti-correlated spectra (r < 0) score 0,
 * not r²: a spectrum shaped like the inverse of a reference is not a match. It does not depend
 * on intensity scale or offset, so spectra from different instruments and exposures are compared
 * on one footing.
 */
import type { GatewayIdentification, IdentificationHit, SpectrumInput } from '../adapter/types.js';
import type { Score } from '../schema/detection-event.js';
import { hqiScore } from './findings.js';
import type { LoadedEntry, ReferenceLibrary, Thresholds } from './library.js';
import { preprocess } from './preprocess.js';

export interface IdentifyOptions {
  /** hits returned (default 5) */
  top?: number;
  /** hits below this HQI are left out of the list (default 0: the top N whatever their score) */
  minHqi?: number;
  /** look for a two-component mixture (default true) */
  mixtures?: boolean;
}

export type Verdict = GatewayIdentification['verdict'];

/** A ranked hit with its score described on the common scale (`hqi` is `score.value`). */
export interface IdentifyHit extends IdentificationHit {
  score: Score;
}

export interface IdentifyMixture {
  hqi: number;
  score: Score;
  components: Array<Omit<IdentificationHit, 'hqi'> & { fraction: number }>;
}

export interface IdentifyDetail extends GatewayIdentification {
  hits: IdentifyHit[];
  mixture?: IdentifyMixture;
  /** estimated signal-to-noise of the spectrum after baseline removal (peak over noise sigma) */
  snr: number;
  /** share of the library axis the spectrum covers, 0..1 */
  coverage: number;
  /**
   * HQI points the top hit leads the best entry of a different substance by (over the whole
   * library, not only the hits returned); 0 when nothing was scored
   */
  lead: number;
  /** why the verdict is what it is, for people */
  reason: string;
}

/** What a verdict is decided on: everything is in an identify() result. */
export type VerdictInput = Pick<IdentifyDetail, 'hits' | 'snr' | 'coverage' | 'lead'> & { mixture?: Pick<IdentifyMixture, 'hqi' | 'components'> };

const round1 = (v: number) => Math.round(v * 10) / 10;

const hitOf = (e: LoadedEntry, hqi: number): IdentifyHit => ({
  entryId: e.id, name: e.name, ...(e.cas ? { cas: e.cas } : {}), category: e.category, hqi: round1(hqi), score: hqiScore(hqi),
});

/**
 * The verdict on an identification and why, from its figures alone, so a caller can re-judge a
 * result against other thresholds (a stricter site, a different library) without matching again:
 *
 *   no-match    coverage below `minCoverage`, nothing scored (flat spectrum, empty library), or
 *               the top HQI below `match`, or the top hit not `margin` ahead of the next substance
 *   low-signal  signal-to-noise below `minSnr`: whatever the hits say, the spectrum is too weak
 *               to be trusted (checked before the scores, as a noise spectrum can score anything)
 *   match       a qualifying mixture, or the top HQI at least `match` and `margin` ahead
 */
export function explainVerdict(r: VerdictInput, t: Thresholds): { verdict: Verdict; reason: string } {
  if (r.coverage < t.minCoverage) {
    return { verdict: 'no-match', reason: `the spectrum covers ${Math.round(r.coverage * 100)} % of the library axis; at least ${Math.round(t.minCoverage * 100)} % is needed` };
  }
  const top = r.hits[0];
  if (!top) return { verdict: 'no-match', reason: 'nothing scored: the spectrum is flat on the library axis, the library is empty, or no hit reaches the minimum HQI asked for' };
  if (r.snr < t.minSnr) return { verdict: 'low-signal', reason: `signal-to-noise ${r.snr} is below ${t.minSnr}` };
  if (r.mixture && r.mixture.hqi >= t.match) {
    return { verdict: 'match', reason: `a mixture of ${r.mixture.components.map((c) => c.name).join(' and ')} explains the spectrum (HQI ${r.mixture.hqi}) better than any single entry (HQI ${top.hqi})` };
  }
  if (top.hqi < t.match) return { verdict: 'no-match', reason: `top hit HQI ${top.hqi} is below ${t.match}` };
  if (r.lead < t.margin) return { verdict: 'no-match', reason: `the top hit leads the next substance by ${r.lead} HQI, less than ${t.margin}: ambiguous` };
  return { verdict: 'match', reason: `top hit HQI ${top.hqi} >= ${t.match}, ${r.lead} ahead of the next substance` };
}

/** 'match', 'no-match' or 'low-signal' for an identification under `thresholds` (see explainVerdict). */
export function verdict(r: VerdictInput, thresholds: Thresholds): Verdict {
  return explainVerdict(r, thresholds).verdict;
}

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

/**
 * Identifies one spectrum against the library: preprocess it as the references were, score every
 * entry (one dot product each: the library vectors are precomputed), rank, look for a mixture,
 * judge. Never throws: a spectrum that cannot be judged comes back as no-match with the reason.
 */
export function identify(lib: ReferenceLibrary, s: SpectrumInput, opts: IdentifyOptions = {}): IdentifyDetail {
  const top = opts.top ?? 5;
  const minHqi = opts.minHqi ?? 0;
  const library = { name: lib.name, version: lib.version };
  const p = preprocess(s, lib.grid);
  const coverage = p.covered / lib.grid.length;
  const base = { library, snr: round1(p.snr), coverage: Math.round(coverage * 1000) / 1000 };
  const judged = (r: Omit<IdentifyDetail, 'verdict' | 'reason'>): IdentifyDetail => {
    const v = explainVerdict(r, lib.thresholds);
    const reason = v.verdict === 'no-match' && r.coverage < lib.thresholds.minCoverage ? `${v.reason} (library axis ${lib.axis.from}-${lib.axis.to} ${lib.axis.units})` : v.reason;
    return { ...r, verdict: v.verdict, reason };
  };
  if (!p.vector || coverage < lib.thresholds.minCoverage) return judged({ ...base, hits: [], lead: 0 });
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
  const best = scored[0];
  if (!best) return judged({ ...base, hits: [], lead: 0 });
  const hits = scored.filter((x) => x.hqi >= minHqi).slice(0, top).map((x) => hitOf(x.e, x.hqi));
  const runnerUp = scored.find((x) => !sameSubstance(x.e, best.e));
  const lead = round1(best.hqi - (runnerUp?.hqi ?? 0));
  const mixture = opts.mixtures !== false ? bestMixture(q, mask, scored.slice(0, 8), best.hqi, lib) : undefined;
  return judged({ ...base, hits, lead, ...(mixture ? { mixture } : {}) });
}

/**
 * Best non-negative two-component least-squares fit of q among the leading candidates. Returned
 * only when it explains the spectrum clearly better than the best single entry and both
 * components carry a real share. Fractions are shares of the normalised signal, not of mass.
 */
function bestMixture(q: Float64Array, mask: Uint8Array | undefined, cands: Array<{ e: LoadedEntry; hqi: number }>, bestSingle: number, lib: ReferenceLibrary): IdentifyMixture | undefined {
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
  return { hqi: round1(hqi), score: hqiScore(hqi), components: [comp(best.i, fa), comp(best.j, 1 - fa)].sort((x, y) => y.fraction - x.fraction) };
}
