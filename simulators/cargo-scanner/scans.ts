/**
 * The cargo scanner's scans, as data: a seeded factory makes one scan per call, of a named kind,
 * with its threat report (src/dicos ThreatReport) and its rendered PNG image. Deterministic for
 * a seed and a clock, so a test can replay a run.
 *
 *   clear              CLEAR, no threat objects
 *   alarm              ALARM with two threat objects (CONTRABAND HIGH_THREAT, ANOMALY THREAT)
 *   aborted            Abort Flag ABORT (vehicle stopped in the tunnel), no image
 *   operator-override  ALARM by the machine (one PI object), then the operator's CLEAR verdict
 *                      on the same scan id 90 s later: two reports
 */
import { createHash } from 'node:crypto';
import { iso6346CheckDigit } from '../../src/dicos/check-digits.js';
import type { ThreatObject, ThreatReport } from '../../src/dicos/threat-report.js';
import { SeededRandom } from '../rpm/seeded-random.js';
import { renderScanImage, type Rect } from './png.js';

export type ScanKind = 'clear' | 'alarm' | 'aborted' | 'operator-override';
export const SCAN_KINDS: readonly ScanKind[] = ['clear', 'alarm', 'aborted', 'operator-override'];

/** Named scenarios: one kind each, or `demo`, which cycles through all of them. */
export const SCENARIO_NAMES = ['demo', ...SCAN_KINDS] as const;
export type CargoScenario = (typeof SCENARIO_NAMES)[number];

export function isCargoScenario(s: string): s is CargoScenario {
  return (SCENARIO_NAMES as readonly string[]).includes(s);
}

/** The kinds a scenario plays, in a loop. */
export function scenarioKinds(s: CargoScenario): readonly ScanKind[] {
  return s === 'demo' ? ['clear', 'alarm', 'clear', 'aborted', 'operator-override'] : [s];
}

export interface SimImage {
  /** how the report's threat objects name it; the multipart field name of the upload */
  id: string;
  filename: string;
  mediaType: string;
  data: Buffer;
  sha256: string;
}

/** One report the scanner sends (a scan's machine result, or an operator's verdict on it). */
export interface SimReport {
  /** the scanner's own counter of reports, from 1 */
  sequence: number;
  report: ThreatReport;
  images: SimImage[];
}

export const IMAGE_WIDTH = 640;
export const IMAGE_HEIGHT = 240;
const DEVICE = { manufacturer: 'BorderLink Simulated Scanners', model: 'CX-Sim 640', serial: 'CXS-0001', softwareVersion: '2.3.0' };
const ALGORITHM = { name: 'CX-Sim ATR', version: '1.4', settings: { sensitivity: 'standard' } };
const OWNERS = ['CSQ', 'MSK', 'TGH', 'HLX', 'BLK'];
const PLATE_LETTERS = 'ABCEHKMOPTX';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface ScanFactoryOptions {
  seed?: number;
  /** scanner serial, reported in every report */
  serial?: string;
  /** ids are `${prefix}-${sequence}` (default SIM) */
  idPrefix?: string;
}

export interface ScanFactory {
  /** Reports for one scan of `kind` that began at `atMs` (two for operator-override). */
  next(kind: ScanKind, atMs: number): SimReport[];
}

export function createScanFactory(opts: ScanFactoryOptions = {}): ScanFactory {
  const rng = new SeededRandom(opts.seed ?? 6346);
  const prefix = opts.idPrefix ?? 'SIM';
  let scanNumber = 0;
  let sequence = 0;

  const container = (): string => {
    const owner = OWNERS[rng.int(0, OWNERS.length - 1)] as string;
    const body = `${owner}U${String(rng.int(0, 999_999)).padStart(6, '0')}`;
    return `${body}${iso6346CheckDigit(body) ?? 0}`;
  };
  const plate = (): string => {
    const l = (): string => PLATE_LETTERS.charAt(rng.int(0, PLATE_LETTERS.length - 1));
    return `${l()}${l()}${String(rng.int(1000, 9999))}${l()}${l()}`;
  };
  const image = (scanId: string, threats: readonly Rect[]): SimImage => {
    // a handful of load shades: identical loads give identical images, as real scans of empty
    // containers nearly do; the gateway stores such images once
    const data = renderScanImage(IMAGE_WIDTH, IMAGE_HEIGHT, threats, [140, 150, 160][rng.int(0, 2)]);
    return { id: 'top', filename: `${scanId}-top.png`, mediaType: 'image/png', data, sha256: createHash('sha256').update(data).digest('hex') };
  };

  return {
    next(kind, atMs) {
      scanNumber += 1;
      const scanId = `${prefix}-${String(scanNumber).padStart(6, '0')}`;
      const base: ThreatReport = {
        scanId,
        scanTime: iso(atMs),
        scanEndTime: iso(atMs + 12_000),
        alarmDecision: 'CLEAR',
        alarmDecisionTime: iso(atMs + 15_000),
        abortFlag: 'SUCCESS',
        device: { ...DEVICE, ...(opts.serial ? { serial: opts.serial } : {}) },
        algorithm: ALGORITHM,
        conveyances: [
          { type: 'container', id: container(), confidence: Math.round(rng.range(0.85, 0.99) * 100) / 100 },
          { type: 'truck', id: plate(), confidence: Math.round(rng.range(0.9, 0.99) * 100) / 100 },
        ],
      };
      const withImage = (report: ThreatReport, threats: ThreatObject[]): SimReport => {
        const img = image(scanId, threats.map((t) => ({ base: t.base as [number, number], extent: t.extent as [number, number] })));
        sequence += 1;
        return { sequence, report: { ...report, threatObjects: threats, images: [{ id: img.id, mediaType: img.mediaType, kind: 'image' }] }, images: [img] };
      };
      switch (kind) {
        case 'clear':
          return [withImage(base, [])];
        case 'alarm':
          return [withImage({ ...base, alarmDecision: 'ALARM' }, [
            { id: '1', name: 'dense organic block', category: 'CONTRABAND', assessment: 'HIGH_THREAT', probability: 0.87, image: 'top', base: [140, 70], extent: [120, 60] },
            { id: '2', name: 'irregular void in load', category: 'ANOMALY', assessment: 'THREAT', probability: 0.62, image: 'top', base: [420, 110], extent: [60, 50] },
          ])];
        case 'aborted': {
          sequence += 1;
          const { scanEndTime: _end, alarmDecisionTime: _t, ...rest } = base;
          void _end;
          void _t;
          return [{ sequence, report: { ...rest, alarmDecision: 'UNKNOWN', abortFlag: 'ABORT', abortReason: 'VEHICLE_STOPPED_IN_TUNNEL' }, images: [] }];
        }
        case 'operator-override': {
          const machine = withImage({ ...base, alarmDecision: 'ALARM' }, [
            { id: '1', name: 'elongated metallic object', category: 'PI', assessment: 'THREAT', probability: 0.58, image: 'top', base: [300, 90], extent: [140, 24] },
          ]);
          sequence += 1;
          const operator: SimReport = {
            sequence,
            report: {
              scanId,
              tdrType: 'OPERATOR',
              operatorId: `op-${String(rng.int(100, 199))}`,
              scanTime: iso(atMs),
              alarmDecision: 'CLEAR',
              alarmDecisionTime: iso(atMs + 105_000),
              device: base.device ?? DEVICE,
              extensions: { comment: 'scaffolding tube, matches the declaration' },
            },
            images: [],
          };
          return [machine, operator];
        }
        default: {
          const never: never = kind;
          throw new Error(`unknown scan kind ${String(never)}`);
        }
      }
    },
  };
}
