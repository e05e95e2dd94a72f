/**
 * The simulated scanner's address space, in its own namespace (urn:borderlink:sim:xray) with
 * string node ids that read like paths, so a profile can name every node by URI and id
 * (`nsu=urn:borderlink:sim:xray;s=Scanner.LastScan.ScanId`) or by browse path
 * (`{urn:borderlink:sim:xray}Scanner/{urn:borderlink:sim:xray}LastScan/...`). README.md lists them.
 */
import {
  DataType, StatusCodes, Variant, type AddressSpace, type Namespace, type UAObject, type UAObjectType, type UAVariable,
} from 'node-opcua';
import type { OperatorDecision, ScanResult } from './scenarios.js';

export const XRAY_NAMESPACE_URI = 'urn:borderlink:sim:xray';

export type ScannerStateName = 'ready' | 'scanning' | 'fault';

type Kind = 'String' | 'Double' | 'Boolean' | 'DateTime' | 'UInt32';

const DT: Record<Kind, DataType> = { String: DataType.String, Double: DataType.Double, Boolean: DataType.Boolean, DateTime: DataType.DateTime, UInt32: DataType.UInt32 };

/** LastScan variables and ScanCompletedEventType fields: browse name, data type, value of a scan. */
const SCAN_FIELDS: ReadonlyArray<{ name: string; kind: Kind; of: (s: ScanResult) => string | number | boolean | Date }> = [
  { name: 'ScanId', kind: 'String', of: (s) => s.scanId },
  { name: 'ConveyanceType', kind: 'String', of: (s) => s.conveyanceType },
  { name: 'ConveyanceId', kind: 'String', of: (s) => s.conveyanceId },
  { name: 'ConveyanceIdConfidence', kind: 'Double', of: (s) => s.conveyanceIdConfidence },
  { name: 'AlarmDecision', kind: 'String', of: (s) => s.alarmDecision },
  { name: 'AbortFlag', kind: 'Boolean', of: (s) => s.abortFlag },
  { name: 'AbortReason', kind: 'String', of: (s) => s.abortReason },
  { name: 'ThreatObjects', kind: 'String', of: (s) => JSON.stringify(s.threatObjects) },
  { name: 'ImageRefs', kind: 'String', of: (s) => JSON.stringify(s.imageRefs) },
  { name: 'ScanTime', kind: 'DateTime', of: (s) => new Date(s.scanTime) },
  // last: a client that waits for ScanSequence to change sees every other field already set
  { name: 'ScanSequence', kind: 'UInt32', of: (s) => s.scanSequence },
];

const DECISION_FIELDS: ReadonlyArray<{ name: string; event: string; kind: Kind; of: (d: OperatorDecision) => string | number | Date }> = [
  { name: 'ScanId', event: 'ScanId', kind: 'String', of: (d) => d.scanId },
  { name: 'Decision', event: 'Decision', kind: 'String', of: (d) => d.decision },
  { name: 'OperatorId', event: 'OperatorId', kind: 'String', of: (d) => d.operatorId },
  { name: 'Time', event: 'DecisionTime', kind: 'DateTime', of: (d) => new Date(d.time) },
  { name: 'Sequence', event: 'Sequence', kind: 'UInt32', of: (d) => d.sequence },
];

export interface DeviceInfo {
  manufacturer: string;
  model: string;
  serialNumber: string;
  softwareVersion: string;
  algorithmName: string;
  algorithmVersion: string;
}

export interface ScannerNodes {
  readonly namespaceIndex: number;
  setState(state: ScannerStateName): void;
  publishScan(scan: ScanResult): void;
  publishDecision(d: OperatorDecision): void;
  /** LastScan / OperatorDecision values without events (after a restart, from memory) */
  restore(scan: ScanResult | null, d: OperatorDecision | null): void;
}

function empty(kind: Kind): string | number | boolean | Date {
  switch (kind) {
    case 'String': return '';
    case 'Double': return 0;
    case 'Boolean': return false;
    case 'DateTime': return new Date(Date.UTC(1601, 0, 1)); // OPC UA's null DateTime
    case 'UInt32': return 0;
  }
}

function variant(kind: Kind, value: string | number | boolean | Date): Variant {
  return new Variant({ dataType: DT[kind], value });
}

export function buildScannerAddressSpace(addressSpace: AddressSpace, info: DeviceInfo): ScannerNodes {
  const ns: Namespace = addressSpace.registerNamespace(XRAY_NAMESPACE_URI);
  const objects = addressSpace.rootFolder.objects;
  const server = objects.server;

  const scanner: UAObject = ns.addObject({ browseName: 'Scanner', nodeId: 's=Scanner', organizedBy: objects, eventNotifier: 1, notifierOf: server });
  const prop = (parent: UAObject, path: string, name: string, kind: Kind, value: string | number | boolean | Date): UAVariable =>
    // minimumSamplingInterval 0: a client asking for 0 gets every change reported as it is written, not sampled
    ns.addVariable({ componentOf: parent, browseName: name, nodeId: `s=${path}.${name}`, dataType: kind, value: variant(kind, value), minimumSamplingInterval: 0 });

  const state = prop(scanner, 'Scanner', 'State', 'String', 'ready');
  prop(scanner, 'Scanner', 'Manufacturer', 'String', info.manufacturer);
  prop(scanner, 'Scanner', 'Model', 'String', info.model);
  prop(scanner, 'Scanner', 'SerialNumber', 'String', info.serialNumber);
  prop(scanner, 'Scanner', 'SoftwareVersion', 'String', info.softwareVersion);
  prop(scanner, 'Scanner', 'AlgorithmName', 'String', info.algorithmName);
  prop(scanner, 'Scanner', 'AlgorithmVersion', 'String', info.algorithmVersion);

  const lastScan = ns.addObject({ browseName: 'LastScan', nodeId: 's=Scanner.LastScan', componentOf: scanner });
  const scanVars = new Map<string, UAVariable>();
  for (const f of SCAN_FIELDS) scanVars.set(f.name, prop(lastScan, 'Scanner.LastScan', f.name, f.kind, empty(f.kind)));

  const decision = ns.addObject({ browseName: 'OperatorDecision', nodeId: 's=Scanner.OperatorDecision', componentOf: scanner });
  const decisionVars = new Map<string, UAVariable>();
  for (const f of DECISION_FIELDS) decisionVars.set(f.name, prop(decision, 'Scanner.OperatorDecision', f.name, f.kind, empty(f.kind)));

  const eventType = (name: string, fields: ReadonlyArray<{ name: string; kind: Kind }>): UAObjectType => {
    const t = ns.addObjectType({ browseName: name, nodeId: `s=${name}`, subtypeOf: 'BaseEventType', isAbstract: false });
    for (const f of fields) {
      ns.addVariable({ propertyOf: t, browseName: f.name, nodeId: `s=${name}.${f.name}`, dataType: f.kind, modellingRule: 'Mandatory' });
    }
    return t;
  };
  const scanCompleted = eventType('ScanCompletedEventType', SCAN_FIELDS);
  const decided = eventType('OperatorDecisionEventType', DECISION_FIELDS.map((f) => ({ name: f.event, kind: f.kind })));

  const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

  const setScanVars = (scan: ScanResult, at: Date): void => {
    for (const f of SCAN_FIELDS) scanVars.get(f.name)?.setValueFromSource(variant(f.kind, f.of(scan)), StatusCodes.Good, at);
  };
  const setDecisionVars = (d: OperatorDecision, at: Date): void => {
    for (const f of DECISION_FIELDS) decisionVars.get(f.name)?.setValueFromSource(variant(f.kind, f.of(d)), StatusCodes.Good, at);
  };

  return {
    namespaceIndex: ns.index,
    setState(s) {
      state.setValueFromSource(variant('String', s), StatusCodes.Good, new Date());
    },
    publishScan(scan) {
      const at = new Date();
      setScanVars(scan, at);
      const data: Record<string, Variant> = {
        message: new Variant({ dataType: DataType.LocalizedText, value: { text: `scan ${scan.scanId}: ${scan.abortFlag ? 'aborted' : scan.alarmDecision}` } }),
        severity: new Variant({ dataType: DataType.UInt16, value: scan.alarmDecision === 'ALARM' ? 800 : scan.abortFlag ? 500 : 100 }),
      };
      for (const f of SCAN_FIELDS) data[lowerFirst(f.name)] = variant(f.kind, f.of(scan));
      scanner.raiseEvent(scanCompleted.nodeId, data);
    },
    publishDecision(d) {
      setDecisionVars(d, new Date());
      const data: Record<string, Variant> = {
        message: new Variant({ dataType: DataType.LocalizedText, value: { text: `operator ${d.operatorId}: ${d.decision} for ${d.scanId}` } }),
        severity: new Variant({ dataType: DataType.UInt16, value: 300 }),
      };
      for (const f of DECISION_FIELDS) data[lowerFirst(f.event)] = variant(f.kind, f.of(d));
      scanner.raiseEvent(decided.nodeId, data);
    },
    restore(scan, d) {
      if (scan) setScanVars(scan, new Date(scan.scanTime));
      if (d) setDecisionVars(d, new Date(d.time));
    },
  };
}
