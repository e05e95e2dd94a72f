/**
 * Helpers for the OPC UA connector tests: a recording sink, the acquisition plan of the X-ray
 * simulator (the shape a profile for it would have), client settings, and a polling wait.
 */
import type { OpcUaFrame, OpcUaPlan } from '../../src/adapter/types.js';
import type { OpcUaConnection } from '../../src/config/types.js';
import type { LinkStatus, Sink } from '../../src/connectors/types.js';

export const XRAY_NS = 'urn:borderlink:sim:xray';

export interface RecordingOpcUaSink {
  sink: Sink<OpcUaFrame>;
  frames: OpcUaFrame[];
  statuses: LinkStatus[];
  events(): OpcUaFrame[];
  dataChanges(): OpcUaFrame[];
  lastStatus(): LinkStatus | undefined;
}

export function recordingOpcUaSink(): RecordingOpcUaSink {
  const frames: OpcUaFrame[] = [];
  const statuses: LinkStatus[] = [];
  return {
    frames,
    statuses,
    sink: {
      push(frame) {
        frames.push(frame);
        return Promise.resolve({ status: 'accepted', eventIds: [] });
      },
      status(s) {
        statuses.push(s);
      },
      reject() {
        return Promise.resolve();
      },
    },
    events: () => frames.filter((f) => f.source === 'event'),
    dataChanges: () => frames.filter((f) => f.source === 'data-change'),
    lastStatus: () => statuses[statuses.length - 1],
  };
}

/** Resolves once `pred` holds (polled every 25 ms); rejects with `what` after `timeoutMs`. */
export async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const id = (path: string): string => `nsu=${XRAY_NS};s=${path}`;
const bp = (...names: string[]): string => names.map((n) => `{${XRAY_NS}}${n}`).join('/');

/** Every LastScan field by node id, the scanner state by browse path, ScanCompleted events at the Server object. */
export function xrayPlan(over: Partial<OpcUaPlan> = {}): OpcUaPlan {
  const lastScan = ['ScanId', 'ConveyanceType', 'ConveyanceId', 'ConveyanceIdConfidence', 'AlarmDecision', 'AbortFlag', 'AbortReason', 'ThreatObjects', 'ImageRefs', 'ScanTime', 'ScanSequence'];
  return {
    kind: 'opcua',
    nodes: [
      { name: 'state', browsePath: bp('Scanner', 'State'), samplingIntervalMs: 0, queueSize: 5 },
      ...lastScan.map((n) => ({ name: n.charAt(0).toLowerCase() + n.slice(1), nodeId: id(`Scanner.LastScan.${n}`), samplingIntervalMs: 0, queueSize: 1 })),
      { name: 'operatorDecision', nodeId: id('Scanner.OperatorDecision.Decision'), samplingIntervalMs: 0, queueSize: 1 },
    ],
    events: {
      notifier: 'i=2253',
      fields: ['EventId', 'EventType', 'Time', 'Message', 'Severity', `{${XRAY_NS}}ScanId`, `{${XRAY_NS}}ScanSequence`, `{${XRAY_NS}}AlarmDecision`, `{${XRAY_NS}}ThreatObjects`, `{${XRAY_NS}}Decision`],
    },
    publishingIntervalMs: 100,
    keepAliveCount: 5,
    ...over,
  };
}

export function opcuaSettings(pkiDir: string, over: Partial<OpcUaConnection> = {}): OpcUaConnection {
  return {
    security: { policy: 'Basic256Sha256', mode: 'SignAndEncrypt', allowInsecure: false },
    identity: { type: 'anonymous' },
    trustUnknownServer: false,
    pkiDir,
    ...over,
  };
}

/** Event frames of ScanCompletedEventType (the ones that carry a ScanSequence). */
export function scanSequences(frames: readonly OpcUaFrame[]): number[] {
  return frames.filter((f) => f.source === 'event' && typeof f.event?.ScanSequence === 'number').map((f) => f.event?.ScanSequence as number);
}
