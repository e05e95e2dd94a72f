/**
 * Per-detector counts of an inspection or a background measurement, as DetectionEvent
 * `measurements[]` entries. Portal occupancies arrive as many short slices (0.1-0.2 s
 * RadMeasurements flagged by OccupancyIndicator) and often also as DerivedData sums; the device's
 * own sums win for totals, and the slices give the peak 1 s window rate (the alarm statistic).
 */
import { isoTime } from '../clock.js';
import type { Measurement } from '../schema/detection-event.js';
import type { N42Document, N42Measurement } from './document.js';
import type { Inspection } from './inspections.js';
import { minOf, roundTo } from './simple-types.js';

/** Length of the window the peak count rate is taken over, as in portal alarm logic. */
export const PEAK_WINDOW_S = 1;

interface Counted {
  counts: number;
  liveTimeS?: number;
}

/** Detector key for data that names no detector: the only detector of the document, else "unassigned". */
export function detectorKey(doc: N42Document, ref: string | undefined): string {
  if (ref !== undefined) return ref;
  return doc.detectors.length === 1 ? (doc.detectors[0]?.id as string) : 'unassigned';
}

/** Counts of one detector in one measurement: its GrossCounts, else the sum of its spectrum. */
export function countsFor(doc: N42Document, m: N42Measurement, detectorId: string): Counted | undefined {
  const gross = m.grossCounts.filter((g) => detectorKey(doc, g.detectorId) === detectorId);
  if (gross.length > 0) {
    const out: Counted = { counts: roundTo(gross.reduce((a, g) => a + g.counts, 0), 6) };
    if (gross.every((g) => g.liveTimeS !== undefined)) out.liveTimeS = roundTo(gross.reduce((a, g) => a + (g.liveTimeS ?? 0), 0), 6);
    return out;
  }
  const spectra = m.spectra.filter((s) => detectorKey(doc, s.detectorId) === detectorId && s.channels.length > 0);
  if (spectra.length === 0) return undefined;
  const out: Counted = { counts: roundTo(spectra.reduce((a, s) => a + s.channels.reduce((x, y) => x + y, 0), 0), 6) };
  if (spectra.every((s) => s.liveTimeS !== undefined)) out.liveTimeS = roundTo(spectra.reduce((a, s) => a + (s.liveTimeS ?? 0), 0), 6);
  return out;
}

/** Every detector id with data, document order: declared detectors first, then any others seen. */
function detectorIds(doc: N42Document, measurements: readonly N42Measurement[]): string[] {
  const ids = doc.detectors.map((d) => d.id);
  for (const m of measurements) {
    for (const ref of [...m.grossCounts.map((g) => g.detectorId), ...m.spectra.map((s) => s.detectorId)]) {
      const k = detectorKey(doc, ref);
      if (!ids.includes(k)) ids.push(k);
    }
  }
  return ids;
}

/** gamma or neutron: the declared category, else gamma for a detector with a spectrum; undefined otherwise. */
function categoryOf(doc: N42Document, measurements: readonly N42Measurement[], id: string): 'gamma' | 'neutron' | undefined {
  const c = doc.detectors.find((d) => d.id === id)?.category;
  if (c === 'gamma' || c === 'neutron') return c;
  if (c !== undefined) return undefined;
  return measurements.some((m) => m.spectra.some((s) => detectorKey(doc, s.detectorId) === id)) ? 'gamma' : undefined;
}

/** Highest count rate over any run of consecutive slices lasting at least `windowS`; the mean when all are shorter. */
export function peakWindowRate(samples: ReadonlyArray<{ counts: number; durationS: number }>, windowS: number): number | undefined {
  let best: number | undefined;
  let sum = 0;
  let dur = 0;
  let start = 0;
  for (const s of samples) {
    sum += s.counts;
    dur += s.durationS;
    while (start < samples.length && dur - (samples[start]?.durationS ?? 0) >= windowS - 1e-9) {
      sum -= samples[start]?.counts ?? 0;
      dur -= samples[start]?.durationS ?? 0;
      start++;
    }
    if (dur >= windowS - 1e-9 && dur > 0) best = Math.max(best ?? 0, sum / dur);
  }
  if (best !== undefined) return best;
  const total = samples.reduce((a, s) => a + s.durationS, 0);
  return total > 0 ? samples.reduce((a, s) => a + s.counts, 0) / total : undefined;
}

/** The latest background rate of a detector in the document, counts per second. */
function backgroundRate(doc: N42Document, id: string): number | undefined {
  const backgrounds = [...doc.measurements, ...doc.derived].filter((m) => m.classCode === 'background');
  for (let i = backgrounds.length - 1; i >= 0; i--) {
    const m = backgrounds[i] as N42Measurement;
    const c = countsFor(doc, m, id);
    const t = c?.liveTimeS ?? m.realTimeS;
    if (c !== undefined && t !== undefined && t > 0) return roundTo(c.counts / t, 3);
  }
  return undefined;
}

export interface SummaryResult {
  measurements: Measurement[];
  /** detectors left out (alpha, beta, unknown category), for the warnings */
  skipped: string[];
  /** the slices the summaries were made from (occupied ones when the document flags occupancy) */
  slices: N42Measurement[];
}

/** The occupied slices of an inspection: those flagged occupied, all of them when none is flagged. */
export function occupiedSlices(insp: Inspection): { slices: N42Measurement[]; occupied?: boolean } {
  const flagged = insp.foreground.some((m) => m.occupied !== undefined);
  if (!flagged) return { slices: insp.foreground };
  const occupied = insp.foreground.filter((m) => m.occupied === true);
  return occupied.length > 0 ? { slices: occupied, occupied: true } : { slices: insp.foreground, occupied: false };
}

export function summariseInspection(doc: N42Document, insp: Inspection): SummaryResult {
  const { slices, occupied } = occupiedSlices(insp);
  const all = [...slices, ...insp.derived];
  const out: SummaryResult = { measurements: [], skipped: [], slices };
  const speed = all.find((m) => m.speedKmh !== undefined)?.speedKmh;
  for (const id of detectorIds(doc, all)) {
    const fromSlices = slices.flatMap((m) => {
      const c = countsFor(doc, m, id);
      return c === undefined ? [] : [{ m, c }];
    });
    const fromDerived = insp.derived.map((m) => ({ m, c: countsFor(doc, m, id) })).find((x) => x.c !== undefined);
    if (fromSlices.length === 0 && fromDerived === undefined) continue;
    const category = categoryOf(doc, all, id);
    if (category === undefined) {
      out.skipped.push(id);
      continue;
    }
    const entry: Measurement = { detectorId: id, category };
    const starts = fromSlices.flatMap((x) => (x.m.startMs === undefined ? [] : [x.m.startMs]));
    const startMs = fromDerived?.m.startMs ?? minOf(starts);
    if (startMs !== undefined) entry.startedAt = isoTime(startMs);
    const realTimeS = fromDerived !== undefined ? fromDerived.m.realTimeS
      : fromSlices.every((x) => x.m.realTimeS !== undefined) ? roundTo(fromSlices.reduce((a, x) => a + (x.m.realTimeS ?? 0), 0), 6) : undefined;
    if (realTimeS !== undefined) entry.realTimeS = realTimeS;
    const liveTimeS = fromDerived !== undefined ? fromDerived.c?.liveTimeS
      : fromSlices.every((x) => x.c.liveTimeS !== undefined) ? roundTo(fromSlices.reduce((a, x) => a + (x.c.liveTimeS ?? 0), 0), 6) : undefined;
    if (liveTimeS !== undefined) entry.liveTimeS = liveTimeS;
    const grossCounts = fromDerived?.c?.counts ?? roundTo(fromSlices.reduce((a, x) => a + x.c.counts, 0), 6);
    entry.grossCounts = grossCounts;
    let rate: number | undefined;
    if (fromSlices.length > 1 && fromSlices.every((x) => (x.m.realTimeS ?? 0) > 0)) {
      const ordered = [...fromSlices].sort((a, b) => (a.m.startMs ?? 0) - (b.m.startMs ?? 0));
      // windows are real (clock) time, as portal alarm logic counts them
      rate = peakWindowRate(ordered.map((x) => ({ counts: x.c.counts, durationS: x.m.realTimeS as number })), PEAK_WINDOW_S);
    } else {
      const t = liveTimeS ?? realTimeS;
      if (t !== undefined && t > 0) rate = grossCounts / t;
    }
    if (rate !== undefined) entry.countRateCps = roundTo(rate, 3);
    const bg = backgroundRate(doc, id);
    if (bg !== undefined) entry.backgroundRateCps = bg;
    if (occupied !== undefined) entry.occupied = occupied;
    if (speed !== undefined) entry.speedKmh = speed;
    out.measurements.push(entry);
  }
  return out;
}

/** One background measurement as measurement entries (countRate = backgroundRate, not occupied). */
export function summariseBackground(doc: N42Document, m: N42Measurement): SummaryResult {
  const out: SummaryResult = { measurements: [], skipped: [], slices: [m] };
  for (const id of detectorIds(doc, [m])) {
    const c = countsFor(doc, m, id);
    if (c === undefined) continue;
    const category = categoryOf(doc, [m], id);
    if (category === undefined) {
      out.skipped.push(id);
      continue;
    }
    const entry: Measurement = { detectorId: id, category };
    if (m.startMs !== undefined) entry.startedAt = isoTime(m.startMs);
    if (m.realTimeS !== undefined) entry.realTimeS = m.realTimeS;
    if (c.liveTimeS !== undefined) entry.liveTimeS = c.liveTimeS;
    entry.grossCounts = c.counts;
    const t = c.liveTimeS ?? m.realTimeS;
    if (t !== undefined && t > 0) {
      entry.countRateCps = roundTo(c.counts / t, 3);
      entry.backgroundRateCps = entry.countRateCps;
    }
    entry.occupied = m.occupied ?? false;
    out.measurements.push(entry);
  }
  return out;
}
