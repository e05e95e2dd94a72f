/**
 * X-ray scanners that publish their scans over OPC UA (the address space is in scan-values.ts and
 * README.md). The connector (src/connectors/opcua.ts) monitors the nodes of the plan below and
 * subscribes to the scanner's ScanCompleted events; this codec turns its frames into events:
 *
 * The codec reads only what a frame lists as changed (so a value it refuses is quarantined once),
 * and the scanner must write a scan's LastScan fields before its ScanSequence, which commits them.
 *
 *   Scanner.State changes                    status (ready/scanning online, fault degraded +
 *                                            fault raised/cleared, maintenance), on change only
 *   LastScan.ScanSequence changes            the LastScan snapshot -> a result
 *   ScanCompletedEventType event             its fields -> a result (the whole scan in one
 *                                            notification, so never a torn read)
 *   OperatorDecision.Sequence changes        an operator-decision linked by the scan id
 *   OperatorDecisionEventType event          the same (the verdict key de-duplicates the two)
 *   Manufacturer, Model, ..., AlgorithmName  source.device and source.algorithm (the device's
 *                                            options fill what the scanner does not publish)
 *
 * A scan arrives twice when both the event and the data change are seen, and again after every
 * reconnection (the connector re-reads every node): the reducer state remembers the scan ids
 * and verdicts already emitted (src/dicos/scanner-memory.ts), so each is emitted once.
 * Images are referenced where the scanner serves them (ImageRefs uri, sha256, bytes); the gateway
 * does not fetch them over OPC UA.
 */
import { defineAdapter, fail, ok, type DecodeFailure, type EventDraft, type OpcUaFrame, type OpcUaPlan, type Result } from '../../src/adapter/types.js';
import { isoTime } from '../../src/clock.js';
import { normaliseReport } from '../../src/dicos/normalise-report.js';
import {
  asScannerMemory, initialScannerMemory, isScannerState, scannerStateDrafts, type ScannerMemory,
} from '../../src/dicos/scanner-memory.js';
import type { JsonValue, Quality } from '../../src/schema/detection-event.js';
import {
  OPERATOR_FIELDS, operatorReportOf, SCAN_FIELDS, scanReportOf, sequenceOf, type OperatorFields, type ScanFields, type ScannerIdentity,
} from './scan-values.js';

export const NAMESPACE = 'urn:borderlink:sim:xray';
const ns = (name: string): string => `{${NAMESPACE}}${name}`;
const FORMAT = 'opcua-dicos';

/** What the scanner says about itself (Scanner children): device and ATR identity. */
const IDENTITY_NODES = ['Manufacturer', 'Model', 'SerialNumber', 'SoftwareVersion', 'AlgorithmName', 'AlgorithmVersion'] as const;

/** Monitored node names (frame value keys) -> browse paths from the Objects folder. */
export const NODE_PATHS: Readonly<Record<string, string>> = {
  State: `${ns('Scanner')}/${ns('State')}`,
  ...Object.fromEntries(IDENTITY_NODES.map((f) => [f, `${ns('Scanner')}/${ns(f)}`])),
  ...Object.fromEntries(SCAN_FIELDS.map((f) => [`LastScan.${f}`, `${ns('Scanner')}/${ns('LastScan')}/${ns(f)}`])),
  ...Object.fromEntries(OPERATOR_FIELDS.map((f) => [`OperatorDecision.${f}`, `${ns('Scanner')}/${ns('OperatorDecision')}/${ns(f)}`])),
};

const acquisition: OpcUaPlan = {
  kind: 'opcua',
  nodes: Object.entries(NODE_PATHS).map(([name, browsePath]) => ({ name, browsePath, samplingIntervalMs: 0, queueSize: 10 })),
  events: {
    notifier: ns('Scanner'),
    // ScanCompletedEventType and OperatorDecisionEventType fields (ScanId is in both)
    fields: ['EventType', 'Time', 'Message', ...SCAN_FIELDS.map(ns), ...['Decision', 'OperatorId', 'DecisionTime', 'Sequence'].map(ns)],
  },
  publishingIntervalMs: 500,
  keepAliveCount: 10,
};

export interface XrayOpcUaOptions {
  /** the ATR (automatic threat recognition) the scanner runs, when its nodes do not say */
  algorithm?: { name: string; version?: string };
  device?: { manufacturer?: string; model?: string; serial?: string; softwareVersion?: string };
}

type Record_ =
  | { kind: 'state'; state: string; observedAt: string }
  | { kind: 'scan'; fields: ScanFields; sequence: number | undefined; quality: Quality; who: ScannerIdentity }
  | { kind: 'scan-event'; fields: ScanFields; quality: Quality; who: ScannerIdentity }
  | { kind: 'operator'; fields: OperatorFields; sequence: number | undefined; quality: Quality; who: ScannerIdentity };

const text = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Device and ATR identity from the Scanner nodes, where the scanner publishes them. */
function reportedIdentity(values: OpcUaFrame['values']): ScannerIdentity {
  const who: ScannerIdentity = {};
  const name = text(values.AlgorithmName);
  const version = text(values.AlgorithmVersion);
  if (name !== undefined) who.algorithm = { name, ...(version !== undefined ? { version } : {}) };
  const device: NonNullable<ScannerIdentity['device']> = {};
  const manufacturer = text(values.Manufacturer);
  const model = text(values.Model);
  const serial = text(values.SerialNumber);
  const softwareVersion = text(values.SoftwareVersion);
  if (manufacturer !== undefined) device.manufacturer = manufacturer;
  if (model !== undefined) device.model = model;
  if (serial !== undefined) device.serial = serial;
  if (softwareVersion !== undefined) device.softwareVersion = softwareVersion;
  if (Object.keys(device).length > 0) who.device = device;
  return who;
}

/** Which of the notifier's events this is, by its EventType node id (or, without one, by its fields). */
function eventKind(ev: { [name: string]: JsonValue }): 'scan' | 'operator' | undefined {
  const type = typeof ev.EventType === 'string' ? ev.EventType : '';
  if (type.endsWith('ScanCompletedEventType')) return 'scan';
  if (type.endsWith('OperatorDecisionEventType')) return 'operator';
  if (type !== '' && !type.startsWith('nsu=urn:borderlink:sim:xray')) return undefined;
  if (text(ev.ScanId) === undefined) return undefined;
  if (ev.ScanTime !== undefined && ev.ScanTime !== null) return 'scan';
  if (ev.Decision !== undefined && ev.Decision !== null) return 'operator';
  return undefined;
}

function prefixed<K extends string>(values: OpcUaFrame['values'], prefix: string, names: readonly K[]): { [P in K]?: OpcUaFrame['values'][string] } {
  const out: { [P in K]?: OpcUaFrame['values'][string] } = {};
  for (const n of names) {
    const v = values[`${prefix}${n}`];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

function decodeFrame(frame: OpcUaFrame): Result<Record_[], DecodeFailure> {
  const observedAt = isoTime(frame.receivedAt);
  if (frame.source === 'event') {
    const ev = frame.event ?? {};
    // the event carries no identity nodes; the snapshot's values, where the connector adds them, do
    const who = reportedIdentity(frame.values);
    switch (eventKind(ev)) {
      case 'scan':
        return ok([{ kind: 'scan-event', fields: prefixed(ev, '', SCAN_FIELDS), quality: frame.quality, who }]);
      case 'operator': {
        const fields: OperatorFields = { ...prefixed(ev, '', OPERATOR_FIELDS) };
        if (ev.DecisionTime !== undefined) fields.Time = ev.DecisionTime;
        // an operator decision event is not acted on by its sequence: the verdict key de-duplicates it
        return ok([{ kind: 'operator', fields, sequence: undefined, quality: frame.quality, who }]);
      }
      default:
        return ok([]); // other events of the notifier
    }
  }
  const who = reportedIdentity(frame.values);
  // only what changed: a value the codec refuses is quarantined once, not at every notification
  const changed = new Set(frame.changed);
  const out: Record_[] = [];
  const state = frame.values.State;
  if (changed.has('State') && state !== undefined && state !== null) {
    if (typeof state !== 'string') return fail({ code: 'BL_ERR_DICOS_REPORT_INVALID', message: `Scanner.State is ${JSON.stringify(state)}, not a String`, detail: { field: 'State' } });
    out.push({ kind: 'state', state: state.trim().toLowerCase(), observedAt });
  }
  if (changed.has('LastScan.ScanSequence')) {
    out.push({ kind: 'scan', fields: prefixed(frame.values, 'LastScan.', SCAN_FIELDS), sequence: sequenceOf(frame.values['LastScan.ScanSequence']), quality: frame.quality, who });
  }
  if (changed.has('OperatorDecision.Sequence')) {
    out.push({ kind: 'operator', fields: prefixed(frame.values, 'OperatorDecision.', OPERATOR_FIELDS), sequence: sequenceOf(frame.values['OperatorDecision.Sequence']), quality: frame.quality, who });
  }
  return ok(out);
}

const RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
function withQuality(drafts: EventDraft[], q: Quality): EventDraft[] {
  return drafts.map((d) => (RANK[q] > RANK[d.quality] ? { ...d, quality: q } : d));
}

/** What the scanner reports wins; the device's options fill what it does not say. */
function identity(reported: ScannerIdentity, options: XrayOpcUaOptions | undefined): ScannerIdentity {
  const who: ScannerIdentity = {};
  const algorithm = reported.algorithm ?? options?.algorithm;
  if (algorithm) who.algorithm = algorithm;
  const device = { ...(options?.device ?? {}), ...(reported.device ?? {}) };
  if (Object.keys(device).length > 0) who.device = device;
  return who;
}

export default defineAdapter<OpcUaFrame, Record_, XrayOpcUaOptions | undefined, ScannerMemory>({
  id: 'xray-opcua-scanner',
  version: '1.0.0',
  deviceClass: 'xray-scanner',
  technique: 'transmission-dual-energy',
  transport: 'opcua',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      algorithm: {
        type: 'object', additionalProperties: false, required: ['name'],
        properties: { name: { type: 'string', minLength: 1 }, version: { type: 'string' } },
      },
      device: {
        type: 'object', additionalProperties: false,
        properties: { manufacturer: { type: 'string' }, model: { type: 'string' }, serial: { type: 'string' }, softwareVersion: { type: 'string' } },
      },
    },
  },
  acquisition,
  initialState: initialScannerMemory,
  decode: (frame) => decodeFrame(frame),
  normalise(record, state, ctx) {
    const memory = asScannerMemory(state);
    switch (record.kind) {
      case 'state': {
        if (!isScannerState(record.state)) {
          return fail({ code: 'BL_ERR_DICOS_REPORT_INVALID', message: `Scanner.State "${record.state.slice(0, 64)}" is not ready, scanning, fault or maintenance`, detail: { field: 'State' } });
        }
        const r = scannerStateDrafts(memory, record.state, record.observedAt, FORMAT);
        return ok({ drafts: r.drafts, state: r.memory });
      }
      case 'scan': {
        // sequence 0: the scanner has not scanned since it started; a scan seen before (a reconnect,
        // or the event already delivered it) is dropped by normaliseReport
        if (record.sequence === undefined || record.sequence === 0) return ok({ drafts: [], state: memory });
        const moved: ScannerMemory = { ...memory, scanSequence: record.sequence };
        const report = scanReportOf(record.fields, identity(record.who, ctx.options));
        if (!report.ok) return report;
        const n = normaliseReport({ report: report.value, stored: [], format: FORMAT }, moved, undefined);
        return n.ok ? ok({ drafts: withQuality(n.value.drafts, record.quality), state: n.value.state }) : n;
      }
      case 'scan-event': {
        const report = scanReportOf(record.fields, identity(record.who, ctx.options));
        if (!report.ok) return report;
        const n = normaliseReport({ report: report.value, stored: [], format: FORMAT }, memory, undefined);
        return n.ok ? ok({ drafts: withQuality(n.value.drafts, record.quality), state: n.value.state }) : n;
      }
      case 'operator': {
        if (record.sequence === 0 || text(record.fields.ScanId) === undefined) return ok({ drafts: [], state: memory });
        const moved: ScannerMemory = record.sequence === undefined ? memory : { ...memory, operatorSequence: record.sequence };
        const report = operatorReportOf(record.fields, identity(record.who, ctx.options));
        if (!report.ok) return report;
        const n = normaliseReport({ report: report.value, stored: [], format: FORMAT }, moved, undefined);
        return n.ok ? ok({ drafts: withQuality(n.value.drafts, record.quality), state: n.value.state }) : n;
      }
      default: {
        const never: never = record;
        return fail({ code: 'BL_ERR_NORMALISE_FAILED', message: `unknown record ${JSON.stringify(never)}` });
      }
    }
  },
});
