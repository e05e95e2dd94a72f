/**
 * Golden inputs of adapters/xray-opcua-profile, generated rather than hand-typed: OPC UA frames as
 * the connector hands them over (the snapshot of every monitored item plus the names that
 * changed), with values from the OPC UA scanner simulator's own scan results (scenarios.ts) in the
 * JSON shapes of src/connectors/opcua-values.ts (DateTime as RFC 3339, OPC UA's null date as null).
 * Frame keys are the profile's monitored-item names, found from the compiled plan by the OPC UA
 * browse name each item ends with, so a renamed field cannot leave the inputs stale.
 */
import type { JsonValue } from '../../src/schema/detection-event.js';
import type { OpcUaFrame, OpcUaPlan } from '../../src/adapter/types.js';
import { makeScan, type ScanResult, type ScanScenarioName } from '../../simulators/opcua-scanner/scenarios.js';

/** The simulator's Scanner identity (xray-opcua-simulator.ts). */
const IDENTITY: { [browseName: string]: JsonValue } = {
  Manufacturer: 'BorderLink Simulated Imaging', Model: 'XR-SIM 6040', SerialNumber: 'XRSIM-0001', SoftwareVersion: '1.0.0',
  AlgorithmName: 'SIM-ATR', AlgorithmVersion: '2.3',
};

/** LastScan variables before any scan (address-space.ts `empty`, as the connector reads them). */
const EMPTY_SCAN: { [browseName: string]: JsonValue } = {
  ScanId: '', ConveyanceType: '', ConveyanceId: '', ConveyanceIdConfidence: 0, AlarmDecision: '', AbortFlag: false, AbortReason: '',
  ThreatObjects: '', ImageRefs: '', ScanTime: null, ScanSequence: 0,
};

function scanValues(s: ScanResult): { [browseName: string]: JsonValue } {
  return {
    ScanId: s.scanId, ConveyanceType: s.conveyanceType, ConveyanceId: s.conveyanceId, ConveyanceIdConfidence: s.conveyanceIdConfidence,
    AlarmDecision: s.alarmDecision, AbortFlag: s.abortFlag, AbortReason: s.abortReason, ThreatObjects: JSON.stringify(s.threatObjects),
    ImageRefs: JSON.stringify(s.imageRefs), ScanTime: new Date(s.scanTime).toISOString(), ScanSequence: s.scanSequence,
  };
}

/** The OPC UA browse name a plan node ends with: `.../{uri}State` or `nsu=...;s=Scanner.LastScan.ScanId`. */
function browseNameOf(node: OpcUaPlan['nodes'][number]): string {
  if (node.browsePath !== undefined) return node.browsePath.split('/').pop()?.replace(/^\{[^}]*\}/, '') ?? '';
  return node.nodeId?.split('.').pop() ?? '';
}

/** One step of a scenario: what the scanner does, then the frame the connector would push. */
export type XrayStep =
  | { at: number; snapshot: true; quality?: OpcUaFrame['quality'] }
  | { at: number; state: string }
  | { at: number; scan: ScanScenarioName; sequence: number; quality?: OpcUaFrame['quality']; edit?: (v: { [browseName: string]: JsonValue }) => void };

const T0 = 1_795_430_000_000;

/** A case: what the scanner shows when the gateway starts, then the steps. */
export interface XrayScenario {
  start?: { state?: string; scan?: { scenario: ScanScenarioName; sequence: number } };
  steps: XrayStep[];
}

/** Scenarios by case folder name. */
export function xrayProfileScenarios(): Map<string, XrayScenario> {
  return new Map<string, XrayScenario>([
    ['clear-then-alarm', { steps: [
      { at: T0, snapshot: true },
      { at: T0 + 1_000, state: 'scanning' },
      { at: T0 + 1_300, scan: 'clear-bag', sequence: 1 },
      { at: T0 + 1_301, state: 'ready' },
      { at: T0 + 5_000, state: 'scanning' },
      { at: T0 + 5_300, scan: 'alarm-two-threats', sequence: 2 },
      { at: T0 + 5_301, state: 'ready' },
    ] }],
    ['aborted-scan', { steps: [
      { at: T0, snapshot: true },
      { at: T0 + 2_000, scan: 'aborted', sequence: 1 },
    ] }],
    ['alarm-without-categories', { steps: [
      { at: T0, snapshot: true },
      // an ALARM whose threat objects name no DICOS category the profile knows
      { at: T0 + 2_000, scan: 'operator-override', sequence: 1, edit: (v) => {
        v.ThreatObjects = JSON.stringify([{ id: 'PTO-9', category: 'FIREARM', assessment: 'THREAT', probability: 0.7, base: [1, 2], extent: [3, 4] }]);
      } },
    ] }],
    ['fault-raised-and-cleared', { steps: [
      { at: T0, snapshot: true },
      { at: T0 + 1_000, state: 'fault' },
      { at: T0 + 9_000, state: 'ready' },
      { at: T0 + 12_000, state: 'maintenance' },
      { at: T0 + 15_000, state: 'ready' },
    ] }],
    ['restart-mid-shift-then-gap-scan', {
      // the gateway starts while the scanner already shows scan 7: the first snapshot is a baseline
      start: { scan: { scenario: 'clear-bag', sequence: 7 } },
      steps: [
        { at: T0, snapshot: true },
        // link lost and back: the snapshot re-read shows nothing new
        { at: T0 + 4_000, snapshot: true },
        // a scan made while the link was down is the LastScan of the next snapshot: one result
        { at: T0 + 9_000, scan: 'alarm-two-threats', sequence: 8 },
      ],
    }],
    ['uncertain-quality', { steps: [
      { at: T0, snapshot: true },
      { at: T0 + 2_000, scan: 'clear-bag', sequence: 1, quality: 'uncertain' },
    ] }],
    ['unknown-scanner-state', { steps: [
      { at: T0, snapshot: true },
      { at: T0 + 1_000, state: 'warming-up' },
    ] }],
    ['threat-objects-not-json', { steps: [
      { at: T0, snapshot: true },
      { at: T0 + 2_000, scan: 'alarm-two-threats', sequence: 1, edit: (v) => { v.ThreatObjects = '[{"id": "PTO-1", '; } },
    ] }],
  ]);
}

/** The frames a scenario makes, keyed as the profile's plan names its monitored items. */
export function xrayProfileInputs(plan: OpcUaPlan, scenario: XrayScenario): OpcUaFrame[] {
  const names = plan.nodes.map((n) => ({ name: n.name, browseName: browseNameOf(n) }));
  const device: { [browseName: string]: JsonValue } = {
    State: scenario.start?.state ?? 'ready', ...IDENTITY,
    ...(scenario.start?.scan ? scanValues(makeScan(scenario.start.scan.scenario, scenario.start.scan.sequence, T0 - 600_000)) : EMPTY_SCAN),
  };
  const shown = new Map<string, JsonValue>();
  const frames: OpcUaFrame[] = [];
  // `changed`: what differs from the last frame pushed (a reconnection's snapshot too; the first one: everything)
  const push = (at: number, quality: OpcUaFrame['quality']): void => {
    const values: { [name: string]: JsonValue } = {};
    const changed: string[] = [];
    for (const { name, browseName } of names) {
      const v = device[browseName] ?? null;
      values[name] = v;
      const before = shown.get(name);
      if (before === undefined || JSON.stringify(before) !== JSON.stringify(v)) changed.push(name);
      shown.set(name, v);
    }
    frames.push({ transport: 'opcua', receivedAt: at, source: 'data-change', values, changed, quality });
  };
  for (const step of scenario.steps) {
    if ('snapshot' in step) push(step.at, step.quality ?? 'good');
    else if ('state' in step) {
      device.State = step.state;
      push(step.at, 'good');
    } else {
      const v = scanValues(makeScan(step.scan, step.sequence, step.at - 50));
      step.edit?.(v);
      Object.assign(device, v);
      push(step.at, step.quality ?? 'good');
    }
  }
  return frames;
}
