/**
 * Event drafts made from the line state: the occupancy result, background measurements, faults
 * and the device's own setup status. Times are the gateway's (lines carry no device clock).
 */
import type { EventDraft } from '../../src/adapter/types.js';
import { isoTime } from '../../src/clock.js';
import type { Category, Finding, JsonValue, Measurement, OutcomeState } from '../../src/schema/detection-event.js';
import { GAMMA_CHANNELS, NEUTRON_CHANNELS } from './line-messages.js';
import { finishCategory } from './occupancy.js';
import { samplePeriodMs, WINDOW_MS, type CategoryAcc, type LineState, type Occupancy, type Settings } from './line-state.js';

export const RAW_FORMAT = 'rpm-line';

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** How an occupancy came to an end. */
export type OccupancyEnd =
  | { kind: 'complete'; occupancy: Occupancy | null; occupancyCount: number; neutronBackgroundCps: number; missed: number }
  /** closed by a line a device sends only while the lane is empty, before its GX came */
  | { kind: 'incomplete'; occupancy: Occupancy; closedBy: string };

type AlgorithmSource = NonNullable<EventDraft['source']>;

/** source.algorithm from the setup lines, when the device has sent any. */
export function algorithmSource(settings: Settings): AlgorithmSource | undefined {
  const entries = Object.entries(settings).filter((e): e is [string, number] => e[1] !== null);
  if (entries.length === 0) return undefined;
  const values: { [key: string]: JsonValue } = Object.fromEntries(entries);
  return { algorithm: { name: 'n-sigma', settings: values } };
}

export function resultDraft(s: LineState, end: OccupancyEnd, now: number): EventDraft {
  const algorithm = algorithmSource(s.settings);
  const occ = end.occupancy;
  if (occ === null || (occ.gamma.samples === 0 && occ.neutron.samples === 0)) {
    // no sample line at all: the gateway joined at the very end, or the lines were lost
    const endedAt = end.kind === 'complete' || occ === null ? now : occ.lastAt;
    const extensions: { [key: string]: JsonValue } = { ...completeExtensions(end), gammaSamples: 0, neutronSamples: 0 };
    if (end.kind === 'incomplete') extensions.incomplete = `no GX before ${end.closedBy}`;
    return {
      eventType: 'result',
      observedAt: isoTime(endedAt),
      endedAt: isoTime(endedAt),
      quality: 'uncertain',
      ...(end.kind === 'complete' ? { subject: { inspectionId: `occ-${end.occupancyCount}` } } : {}),
      outcome: { state: 'indeterminate', decisionBy: 'machine', vendorState: end.kind === 'complete' ? 'GX' : 'SP' },
      raw: { format: RAW_FORMAT, ...completeIds(end), extensions },
      ...(algorithm ? { source: algorithm } : {}),
    };
  }
  const period = samplePeriodMs(s);
  const gamma = finishCategory(occ.gamma, s.gammaBackgroundCps, period);
  const neutron = finishCategory(occ.neutron, s.neutronBackgroundCps, period);
  const durationMs = Math.max(gamma.samples, neutron.samples) * period;
  const speedKmh = occ.speedReports > 0 ? round(occ.speedSumKmh / occ.speedReports, 1) : undefined;

  const categories: Category[] = [];
  if (gamma.alarm) categories.push('gamma');
  if (neutron.alarm) categories.push('neutron');
  const state: OutcomeState = categories.length > 0 ? 'alarm' : end.kind === 'complete' ? 'clear' : 'aborted';
  const vendorState = [tagOf(gamma, 'GA', 'GS'), tagOf(neutron, 'NA', 'NS')].filter((t) => t !== '').join('+');
  const missingBackground = (gamma.samples > 0 && s.gammaBackgroundCps === null) || (neutron.samples > 0 && s.neutronBackgroundCps === null);

  const findings: Finding[] = [];
  if (gamma.alarm) findings.push(finding('gamma', GAMMA_CHANNELS, gamma.maxSigma));
  if (neutron.alarm) findings.push(finding('neutron', NEUTRON_CHANNELS, neutron.maxSigma));

  const measure = { period, speedKmh };
  const measurements = [
    ...categoryMeasurements('gamma', GAMMA_CHANNELS, gamma, s.gammaBackgroundCps, s.settings.gammaNSigma, measure),
    ...categoryMeasurements('neutron', NEUTRON_CHANNELS, neutron, s.neutronBackgroundCps, s.settings.neutronNSigma, measure),
  ];

  const extensions: { [key: string]: JsonValue } = {
    ...completeExtensions(end),
    gammaSamples: gamma.samples,
    neutronSamples: neutron.samples,
    receivedSpanMs: (end.kind === 'complete' ? now : occ.lastAt) - occ.firstAt,
  };
  if (gamma.maxSigma !== null) extensions.maxGammaSigma = round(gamma.maxSigma, 2);
  if (neutron.maxSigma !== null) extensions.maxNeutronSigma = round(neutron.maxSigma, 2);
  if (end.kind === 'incomplete') extensions.incomplete = `no GX before ${end.closedBy}`;

  // an incomplete occupancy ended, as far as the gateway can tell, with its last line
  const endedAt = end.kind === 'complete' ? now : occ.lastAt;
  return {
    eventType: 'result',
    observedAt: isoTime(endedAt - durationMs),
    endedAt: isoTime(endedAt),
    quality: end.kind === 'incomplete' || missingBackground ? 'uncertain' : 'good',
    ...(end.kind === 'complete' ? { subject: { inspectionId: `occ-${end.occupancyCount}` } } : {}),
    outcome: {
      state,
      ...(categories.length > 0 ? { categories } : {}),
      decisionBy: 'machine',
      vendorState,
      ...(state === 'aborted' && end.kind === 'incomplete' ? { abortReason: `no end of occupancy (GX) before ${end.closedBy}` } : {}),
    },
    ...(findings.length > 0 ? { findings } : {}),
    ...(measurements.length > 0 ? { measurements } : {}),
    raw: { format: RAW_FORMAT, ...completeIds(end), extensions },
    ...(algorithm ? { source: algorithm } : {}),
  };
}

function tagOf(acc: CategoryAcc, alarm: string, normal: string): string {
  if (acc.samples === 0) return '';
  return acc.alarm ? alarm : normal;
}

function completeIds(end: OccupancyEnd): { nativeIds?: { [key: string]: string } } {
  return end.kind === 'complete' ? { nativeIds: { occupancyCount: String(end.occupancyCount) } } : {};
}

function completeExtensions(end: OccupancyEnd): { [key: string]: JsonValue } {
  if (end.kind !== 'complete') return {};
  return {
    neutronBackgroundCps: end.neutronBackgroundCps,
    ...(end.missed > 0 ? { occupanciesMissed: end.missed } : {}),
  };
}

function finding(category: 'gamma' | 'neutron', detectors: readonly string[], maxSigma: number | null): Finding {
  return {
    kind: 'count-exceedance',
    name: `${category} gross counts`,
    category,
    ...(maxSigma === null ? {} : { score: { value: round(maxSigma, 2), higherIsBetter: true, method: 'n-sigma' } }),
    detectors: [...detectors],
  };
}

function categoryMeasurements(
  category: 'gamma' | 'neutron',
  ids: readonly string[],
  acc: CategoryAcc,
  backgroundCps: readonly number[] | null,
  nSigma: number | null,
  m: { period: number; speedKmh: number | undefined },
): Measurement[] {
  if (acc.samples === 0) return [];
  const windowS = WINDOW_MS / 1000;
  return ids.map((detectorId, ch): Measurement => {
    const bg = backgroundCps?.[ch];
    const sigma = acc.maxChannelSigma[ch] ?? null;
    const rate = acc.maxRateCps[ch];
    return {
      detectorId,
      category,
      realTimeS: round((acc.samples * m.period) / 1000, 3),
      grossCounts: acc.grossCounts[ch] ?? 0,
      ...(acc.windows > 0 && rate !== undefined ? { countRateCps: round(rate, 2) } : {}),
      ...(bg === undefined ? {} : { backgroundRateCps: round(bg, 2) }),
      ...(sigma === null ? {} : { sigma: round(sigma, 2) }),
      // B + n sqrt(B) over one 1 s window, as a rate
      ...(bg === undefined || nSigma === null ? {} : { thresholdCps: round(bg + (nSigma * Math.sqrt(bg * windowS)) / windowS, 2) }),
      occupied: true,
      ...(m.speedKmh === undefined ? {} : { speedKmh: m.speedKmh }),
    };
  });
}

/** A background report as a measurement: gamma from this line, neutron from the last NB/NH. */
export function backgroundDraft(s: LineState, tag: string, now: number): EventDraft {
  const measurements: Measurement[] = [];
  for (const [ch, id] of GAMMA_CHANNELS.entries()) {
    const bg = s.gammaBackgroundCps?.[ch];
    if (bg !== undefined) measurements.push({ detectorId: id, category: 'gamma', backgroundRateCps: round(bg, 2), occupied: false });
  }
  for (const [ch, id] of NEUTRON_CHANNELS.entries()) {
    const bg = s.neutronBackgroundCps?.[ch];
    if (bg !== undefined) measurements.push({ detectorId: id, category: 'neutron', backgroundRateCps: round(bg, 2), occupied: false });
  }
  return {
    eventType: 'measurement',
    observedAt: isoTime(now),
    quality: 'good',
    measurements,
    raw: { format: RAW_FORMAT, extensions: { tag } },
  };
}

export type FaultCode = 'tamper' | 'gamma-high-background' | 'gamma-low-background' | 'neutron-high-background';

const FAULT_WORDS: Record<FaultCode, { severity: 'critical' | 'warning'; raised: string; cleared: string }> = {
  tamper: { severity: 'critical', raised: 'tamper switch tripped', cleared: 'tamper switch clear' },
  'gamma-high-background': { severity: 'warning', raised: 'gamma background above the high limit', cleared: 'gamma background no longer above the high limit' },
  'gamma-low-background': { severity: 'warning', raised: 'gamma background below the low limit', cleared: 'gamma background no longer below the low limit' },
  'neutron-high-background': { severity: 'warning', raised: 'neutron background above the high limit', cleared: 'neutron background no longer above the high limit' },
};

export function faultDraft(code: FaultCode, active: boolean, tag: string, now: number, backgroundCps?: readonly number[]): EventDraft {
  const words = FAULT_WORDS[code];
  return {
    eventType: 'fault',
    observedAt: isoTime(now),
    quality: 'good',
    fault: { code, active, severity: words.severity, detail: `${active ? words.raised : words.cleared} (${tag})` },
    raw: { format: RAW_FORMAT, extensions: { tag, ...(backgroundCps ? { backgroundCps: backgroundCps.map((b) => round(b, 2)) } : {}) } },
  };
}

/** The device reported setup values that differ from the last ones known (or the first ones). */
export function setupStatusDraft(s: LineState, tag: 'SG' | 'SN', now: number): EventDraft {
  const st = s.settings;
  const detail =
    tag === 'SG'
      ? `gamma setup (SG): n-sigma ${st.gammaNSigma}, high background ${st.gammaHighBackgroundCps} cps, low background ${st.gammaLowBackgroundCps} cps, sample period ${st.samplePeriodMs} ms`
      : `neutron setup (SN): n-sigma ${st.neutronNSigma}, high background ${st.neutronHighBackgroundCps} cps`;
  const algorithm = algorithmSource(st);
  return {
    eventType: 'status',
    observedAt: isoTime(now),
    quality: 'good',
    status: { state: 'online', detail, since: isoTime(now) },
    raw: { format: RAW_FORMAT, extensions: { tag } },
    ...(algorithm ? { source: algorithm } : {}),
  };
}
