/**
 * What the simulated X-ray scanner decides, per scan, as plain data (pure and deterministic: a
 * scan's content depends only on its scenario and its ScanSequence, so a restarted simulator that
 * continues the sequence continues the same story).
 *
 * Field values use DICOS's own code words (Alarm Decision ALARM/CLEAR/UNKNOWN, Threat Category,
 * Assessment Flag), as src/dicos/threat-report.ts does, so a profile maps them one to one.
 */

export type ScanScenarioName = 'clear-bag' | 'alarm-two-threats' | 'aborted' | 'operator-override';
export const SCAN_SCENARIOS: readonly ScanScenarioName[] = ['clear-bag', 'alarm-two-threats', 'aborted', 'operator-override'];

/** `cycle` runs the four scan scenarios in turn (by ScanSequence); `idle` scans only when told. */
export type XrayScenario = ScanScenarioName | 'cycle' | 'idle';
export const XRAY_SCENARIOS: readonly XrayScenario[] = ['cycle', 'idle', ...SCAN_SCENARIOS];

export const SCENARIO_SUMMARIES: Readonly<Record<XrayScenario, string>> = {
  cycle: 'every scan in turn: clear-bag, alarm-two-threats, aborted, operator-override (by ScanSequence)',
  idle: 'no scans on its own (tests drive scans with sim.scan())',
  'clear-bag': 'a checked bag, nothing found: CLEAR, no threat object',
  'alarm-two-threats': 'a container: ALARM with two threat objects (EXPLOSIVE high threat, CONTRABAND threat), two images',
  aborted: 'a truck stops in the tunnel: AbortFlag true, AbortReason set, AlarmDecision UNKNOWN',
  'operator-override': 'a container: the machine says ALARM (one ANOMALY), then an operator clears it (OperatorDecision CLEAR)',
};

export function isXrayScenario(s: string): s is XrayScenario {
  return (XRAY_SCENARIOS as readonly string[]).includes(s);
}

export type ThreatCategory = 'EXPLOSIVE' | 'PI' | 'CONTRABAND' | 'ANOMALY' | 'LAPTOP' | 'OTHER' | 'PHARMACEUTICAL';
export type Assessment = 'HIGH_THREAT' | 'THREAT' | 'NO_THREAT' | 'UNKNOWN';

export interface SimThreatObject {
  id: string;
  category: ThreatCategory;
  assessment: Assessment;
  /** 0..1 */
  probability: number;
  /** pixel corner [x, y] on the first image */
  base: [number, number];
  /** [width, height] in pixels */
  extent: [number, number];
}

export interface SimImageRef {
  uri: string;
  sha256?: string;
  mediaType: string;
}

export interface ScanResult {
  scenario: ScanScenarioName;
  scanSequence: number;
  scanId: string;
  conveyanceType: 'bag' | 'container' | 'truck';
  conveyanceId: string;
  /** OCR confidence, 0..1 */
  conveyanceIdConfidence: number;
  alarmDecision: 'ALARM' | 'CLEAR' | 'UNKNOWN';
  abortFlag: boolean;
  abortReason: string;
  threatObjects: SimThreatObject[];
  imageRefs: SimImageRef[];
  /** ms since the epoch */
  scanTime: number;
}

export interface OperatorDecision {
  scanId: string;
  decision: 'ALARM' | 'CLEAR' | 'UNKNOWN';
  operatorId: string;
  /** ms since the epoch */
  time: number;
  sequence: number;
}

/** ISO 6346 check digit (letters 10..38 skipping multiples of 11, weights 2^i, mod 11 mod 10). */
export function iso6346CheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    const c = body.charCodeAt(i);
    let v: number;
    if (c >= 48 && c <= 57) v = c - 48;
    else {
      v = 10;
      for (let x = 65; x < c; x += 1) {
        v += 1;
        if (v % 11 === 0) v += 1;
      }
    }
    sum += v * 2 ** i;
  }
  return (sum % 11) % 10;
}

const OWNERS = ['MSCU', 'MAEU', 'CMAU', 'HLXU', 'TGHU'] as const;

function containerNumber(seq: number): string {
  const owner = OWNERS[seq % OWNERS.length] as string;
  const serial = String((seq * 7919) % 1_000_000).padStart(6, '0');
  const body = `${owner}${serial}`;
  return `${body}${iso6346CheckDigit(body)}`;
}

/** A 10-digit IATA bag tag (license plate): leading 0, airline 3 digits, serial 6. */
function bagTag(seq: number): string {
  return `0125${String((seq * 104_729) % 1_000_000).padStart(6, '0')}`;
}

function plate(seq: number): string {
  const letters = 'ABCEHKMOPTX';
  const a = letters[seq % letters.length] as string;
  const b = letters[(seq * 3) % letters.length] as string;
  return `CB${String(1000 + (seq % 9000)).padStart(4, '0')}${a}${b}`;
}

function pseudoSha256(text: string): string {
  // deterministic stand-in digest (the images are not served): 64 hex characters
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; round < 8; round += 1) {
    for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i) ^ round, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

export function scanIdOf(seq: number): string {
  return `XR-${String(seq).padStart(8, '0')}`;
}

/** The scan scenario a scenario setting gives for this ScanSequence. */
export function scenarioFor(setting: XrayScenario, seq: number): ScanScenarioName {
  if (setting === 'cycle' || setting === 'idle') return SCAN_SCENARIOS[(seq - 1) % SCAN_SCENARIOS.length] as ScanScenarioName;
  return setting;
}

export function makeScan(scenario: ScanScenarioName, seq: number, now: number): ScanResult {
  const scanId = scanIdOf(seq);
  const images = (views: string[], withDigest: boolean): SimImageRef[] =>
    views.map((v, i) => ({
      uri: `https://scanner.sim.invalid/images/${scanId}/${v}.dcs`,
      mediaType: 'application/dicom',
      ...(withDigest || i === 0 ? { sha256: pseudoSha256(`${scanId}/${v}`) } : {}),
    }));
  const base = { scanSequence: seq, scanId, scanTime: now, abortFlag: false, abortReason: '' };
  switch (scenario) {
    case 'clear-bag':
      return {
        ...base, scenario, conveyanceType: 'bag', conveyanceId: bagTag(seq), conveyanceIdConfidence: 0.99,
        alarmDecision: 'CLEAR', threatObjects: [], imageRefs: images(['top'], true),
      };
    case 'alarm-two-threats':
      return {
        ...base, scenario, conveyanceType: 'container', conveyanceId: containerNumber(seq), conveyanceIdConfidence: 0.93,
        alarmDecision: 'ALARM',
        threatObjects: [
          { id: 'PTO-1', category: 'EXPLOSIVE', assessment: 'HIGH_THREAT', probability: 0.91, base: [412, 188], extent: [96, 64] },
          { id: 'PTO-2', category: 'CONTRABAND', assessment: 'THREAT', probability: 0.64, base: [1020, 300], extent: [220, 140] },
        ],
        imageRefs: images(['top', 'side'], false),
      };
    case 'aborted':
      return {
        ...base, scenario, conveyanceType: 'truck', conveyanceId: plate(seq), conveyanceIdConfidence: 0.58,
        alarmDecision: 'UNKNOWN', abortFlag: true, abortReason: 'conveyance stopped in the tunnel; scan incomplete', threatObjects: [], imageRefs: [],
      };
    case 'operator-override':
      return {
        ...base, scenario, conveyanceType: 'container', conveyanceId: containerNumber(seq), conveyanceIdConfidence: 0.88,
        alarmDecision: 'ALARM',
        threatObjects: [{ id: 'PTO-1', category: 'ANOMALY', assessment: 'THREAT', probability: 0.55, base: [640, 410], extent: [180, 90] }],
        imageRefs: images(['top'], true),
      };
  }
}

/** The operator's verdict a scan gets, if any: only operator-override scans are reviewed here. */
export function operatorDecisionFor(scan: ScanResult, sequence: number, now: number): OperatorDecision | undefined {
  if (scan.scenario !== 'operator-override') return undefined;
  return { scanId: scan.scanId, decision: 'CLEAR', operatorId: 'OP-0042', time: now, sequence };
}
