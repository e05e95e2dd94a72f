/**
 * What an X-ray scanner adapter remembers between frames (its reducer state, committed with the
 * events it produced, so a crash can neither emit a scan twice nor forget one):
 *
 *  - the scanner's last reported state, so status and fault events go out only on a change;
 *  - the keys of the last results and operator decisions emitted, so a scan re-read after an
 *    OPC UA reconnect or re-posted by an HTTP retry is not emitted twice (bounded: the oldest
 *    keys are forgotten first; a duplicate that old is no longer a retry);
 *  - the last sequence counters seen (OPC UA ScanSequence, OperatorDecision.Sequence), and the
 *    poll cursor (the highest report sequence committed, read by the http-poll connector).
 *
 * State mapping: ready and scanning are `online` (a scanner busy scanning is working), fault is
 * `degraded` plus a fault event raised (and cleared when the state leaves fault), maintenance is
 * `maintenance`. A change between ready and scanning is no status change and emits nothing.
 */
import type { EventDraft } from '../adapter/types.js';
import type { DeviceState } from '../schema/detection-event.js';
import type { ScannerState } from './threat-report.js';
import { SCANNER_STATES } from './threat-report.js';

/** JSON-serialisable (a type alias, so it is assignable to JsonValue). */
export type ScannerMemory = {
  /** last reported scanner state; null before the first report */
  state: ScannerState | null;
  /** emitted keys, oldest first ("scan:<id>", "op:<id>:<...>") */
  seen: string[];
  /** last OPC UA ScanSequence acted on */
  scanSequence: number | null;
  /** last OPC UA OperatorDecision.Sequence acted on */
  operatorSequence: number | null;
  /** polling: the highest report sequence committed (the http-poll connector's `since`) */
  cursor: number;
};

/** Keys kept for de-duplication: far more than any retry or reconnect window holds. */
export const MAX_SEEN_KEYS = 512;

export const FAULT_CODE = 'scanner-fault';

export function initialScannerMemory(): ScannerMemory {
  return { state: null, seen: [], scanSequence: null, operatorSequence: null, cursor: 0 };
}

/** Reads a committed state back, tolerating older or foreign shapes (they start afresh). */
export function asScannerMemory(value: unknown): ScannerMemory {
  const v = value as Partial<ScannerMemory> | null;
  if (v === null || typeof v !== 'object') return initialScannerMemory();
  return {
    state: typeof v.state === 'string' && (SCANNER_STATES as readonly string[]).includes(v.state) ? v.state : null,
    seen: Array.isArray(v.seen) ? v.seen.filter((k): k is string => typeof k === 'string').slice(-MAX_SEEN_KEYS) : [],
    scanSequence: typeof v.scanSequence === 'number' ? v.scanSequence : null,
    operatorSequence: typeof v.operatorSequence === 'number' ? v.operatorSequence : null,
    cursor: typeof v.cursor === 'number' && Number.isSafeInteger(v.cursor) && v.cursor >= 0 ? v.cursor : 0,
  };
}

export function resultKey(scanId: string): string {
  return `scan:${scanId}`;
}

/** One operator verdict: the same operator deciding the same scan at the same time the same way. */
export function operatorKey(scanId: string, operatorId: string, decidedAt: string, decision: string): string {
  return `op:${scanId}:${operatorId}:${decidedAt}:${decision}`;
}

export function hasSeen(memory: ScannerMemory, key: string): boolean {
  return memory.seen.includes(key);
}

export function remember(memory: ScannerMemory, key: string): ScannerMemory {
  if (memory.seen.includes(key)) return memory;
  const seen = [...memory.seen, key];
  return { ...memory, seen: seen.length > MAX_SEEN_KEYS ? seen.slice(seen.length - MAX_SEEN_KEYS) : seen };
}

export function deviceStateOf(s: ScannerState): DeviceState {
  switch (s) {
    case 'fault': return 'degraded';
    case 'maintenance': return 'maintenance';
    default: return 'online';
  }
}

export function isScannerState(s: unknown): s is ScannerState {
  return typeof s === 'string' && (SCANNER_STATES as readonly string[]).includes(s);
}

/**
 * The status (and fault) drafts for a newly reported state, and the memory after it.
 * @param observedAt RFC 3339 time of the report
 * @param detail what the scanner said about it (a fault text), if anything
 */
export function scannerStateDrafts(memory: ScannerMemory, next: ScannerState, observedAt: string, format: string, detail?: string): { drafts: EventDraft[]; memory: ScannerMemory } {
  const prev = memory.state;
  if (prev === next) return { drafts: [], memory };
  const drafts: EventDraft[] = [];
  const before = prev === null ? undefined : deviceStateOf(prev);
  const after = deviceStateOf(next);
  if (before !== after) {
    drafts.push({
      eventType: 'status',
      observedAt,
      quality: 'good',
      status: { state: after, since: observedAt, detail: detail !== undefined && detail !== '' ? `scanner ${next}: ${detail}` : `scanner ${next}` },
      raw: { format, extensions: { scannerState: next } },
    });
  }
  if (next === 'fault') {
    drafts.push({
      eventType: 'fault',
      observedAt,
      quality: 'good',
      fault: { code: FAULT_CODE, active: true, severity: 'critical', ...(detail !== undefined && detail !== '' ? { detail } : {}) },
      raw: { format, extensions: { scannerState: next } },
    });
  } else if (prev === 'fault') {
    drafts.push({
      eventType: 'fault',
      observedAt,
      quality: 'good',
      fault: { code: FAULT_CODE, active: false, severity: 'critical' },
      raw: { format, extensions: { scannerState: next } },
    });
  }
  return { drafts, memory: { ...memory, state: next } };
}
