/**
 * Formats the tagged line dialect (adapters/rpm-line-protocol/README.md) the way the device writes
 * it: fixed-width, zero-padded fields, CRLF added by the transport. Written apart from the
 * adapter's decoder on purpose, so a test that decodes these lines checks the two against each other.
 */

export const LINE_END = '\r\n';

const int6 = (n: number): string => String(Math.max(0, Math.round(n))).padStart(6, '0');
const dec = (n: number, decimals: number, width: number): string => (Number.isFinite(n) ? Math.max(0, n).toFixed(decimals).padStart(width, '0') : 'NaN');

export type BackgroundTag = 'GB' | 'GH' | 'GL';

/** GB/GH/GL: gamma background per channel, whole cps. NaN (a corrupt reading) is written as is. */
export function gammaBackgroundLine(tag: BackgroundTag, cps: readonly number[]): string {
  return [tag, ...cps.map((c) => (Number.isFinite(c) ? int6(c) : 'NaN'))].join(',');
}

/** NB/NH: neutron background per channel, cps with 2 decimals. */
export function neutronBackgroundLine(tag: 'NB' | 'NH', cps: readonly number[]): string {
  return [tag, ...cps.map((c) => dec(c, 2, 6))].join(',');
}

/** GS/GA/NS/NA: counts per channel in one sample period. */
export function sampleLine(tag: 'GS' | 'GA' | 'NS' | 'NA', counts: readonly number[]): string {
  return [tag, ...counts.map(int6)].join(',');
}

/** GX: end of occupancy, with the device's occupancy counter and its neutron background (sum, cps). */
export function occupancyEndLine(occupancyCount: number, neutronBackgroundCps: number): string {
  return `GX,${int6(occupancyCount)},${dec(neutronBackgroundCps, 2, 6)}`;
}

/** SP: vehicle speed, km/h with one decimal. */
export function speedLine(kmh: number): string {
  return `SP,${dec(kmh, 1, 5)}`;
}

export function tamperLine(tripped: boolean): string {
  return tripped ? 'TT' : 'TC';
}

export function gammaSetupLine(s: { nSigma: number; highCps: number; lowCps: number; samplePeriodMs: number }): string {
  return `SG,${dec(s.nSigma, 1, 4)},${int6(s.highCps)},${int6(s.lowCps)},${int6(s.samplePeriodMs)}`;
}

export function neutronSetupLine(s: { nSigma: number; highCps: number }): string {
  return `SN,${dec(s.nSigma, 1, 4)},${dec(s.highCps, 2, 6)}`;
}
