/**
 * OPC UA values of an X-ray scanner -> the scanner's threat report (src/dicos), pure.
 *
 * The address space (simulators/opcua-scanner, namespace urn:borderlink:sim:xray):
 *
 *   Scanner                 State (String: ready | scanning | fault | maintenance), Manufacturer,
 *                           Model, SerialNumber, SoftwareVersion, AlgorithmName, AlgorithmVersion
 *     LastScan              ScanId, ConveyanceType, ConveyanceId, ConveyanceIdConfidence,
 *                           AlarmDecision, AbortFlag (Boolean), AbortReason, ThreatObjects (String:
 *                           JSON array), ImageRefs (String: JSON array), ScanTime (DateTime),
 *                           ScanSequence (UInt32, written last: it commits the scan)
 *     OperatorDecision      ScanId, Decision, OperatorId, Time, Sequence
 *   ScanCompletedEventType      the LastScan fields, as event fields
 *   OperatorDecisionEventType   ScanId, Decision, OperatorId, DecisionTime, Sequence
 *
 * ThreatObjects: [{id, category, assessment, probability, base: [x, y], extent: [w, h], name?, image?}]
 * ImageRefs:     [{uri, sha256?, mediaType, bytes?, id?, kind?}]
 * ConveyanceType names the conveyance (container, truck, bag...). Without it, ConveyanceId is read
 * as an ISO 6346 container number when it has that shape (4 letters, the 4th U, J or Z, then 7
 * digits: a bad check digit still reads as a container, flagged invalid), otherwise as a vehicle
 * plate. ConveyanceIdConfidence is 0..1, or a percentage when above 1.
 */
import { fail, ok, type DecodeFailure, type Result } from '../../src/adapter/types.js';
import { compactId } from '../../src/dicos/check-digits.js';
import { normaliseTime } from '../../src/dicos/report-events.js';
import { checkThreatReport } from '../../src/dicos/threat-report-schema.js';
import type { ReportConveyance, ThreatReport } from '../../src/dicos/threat-report.js';
import type { ConveyanceType, JsonValue } from '../../src/schema/detection-event.js';

/** The fields of one scan, by their OPC UA browse name (LastScan children, or event fields). */
export const SCAN_FIELDS = [
  'ScanId', 'ConveyanceType', 'ConveyanceId', 'ConveyanceIdConfidence', 'AlarmDecision', 'AbortFlag', 'AbortReason',
  'ThreatObjects', 'ImageRefs', 'ScanTime', 'ScanSequence',
] as const;
export const OPERATOR_FIELDS = ['ScanId', 'Decision', 'OperatorId', 'Time', 'Sequence'] as const;

export type ScanFields = { [K in (typeof SCAN_FIELDS)[number]]?: JsonValue };
export type OperatorFields = { [K in (typeof OPERATOR_FIELDS)[number]]?: JsonValue };

/** What the device says about its analysis and itself (adapter options; OPC UA nodes where present). */
export interface ScannerIdentity {
  algorithm?: { name: string; version?: string };
  device?: ThreatReport['device'];
}

const CONTAINER_SHAPE = /^[A-Z]{3}[UJZ][0-9]{7}$/;

function invalid(message: string, detail?: { [key: string]: JsonValue }): { ok: false; error: DecodeFailure } {
  return fail(detail === undefined ? { code: 'BL_ERR_DICOS_REPORT_INVALID', message } : { code: 'BL_ERR_DICOS_REPORT_INVALID', message, detail });
}

const text = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined);

/** A sequence counter as a number (UInt32 arrives as a number; Int64 may arrive as a decimal string). */
export function sequenceOf(v: JsonValue | undefined): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function parseJsonArray(v: JsonValue | undefined, name: string): Result<JsonValue[], DecodeFailure> {
  if (v === undefined || v === null || v === '') return ok([]);
  if (Array.isArray(v)) return ok(v);
  if (typeof v !== 'string') return invalid(`${name} must be a JSON array in a String`, { field: name });
  try {
    const parsed = JSON.parse(v) as unknown;
    if (!Array.isArray(parsed)) return invalid(`${name} is JSON but not an array`, { field: name });
    return ok(parsed as JsonValue[]);
  } catch (e) {
    return invalid(`${name} is not JSON: ${(e as Error).message}`, { field: name });
  }
}

const CONVEYANCE_TYPES: readonly ConveyanceType[] = ['container', 'truck', 'trailer', 'car', 'bus', 'wagon', 'uld', 'parcel', 'bag', 'person'];

function conveyanceOf(id: string, type: JsonValue | undefined, confidence: JsonValue | undefined): ReportConveyance {
  const named = typeof type === 'string' ? type.trim().toLowerCase() : '';
  const c: ReportConveyance = (CONVEYANCE_TYPES as readonly string[]).includes(named)
    ? { type: named as ConveyanceType, id }
    : CONTAINER_SHAPE.test(compactId(id)) ? { type: 'container', id, scheme: 'iso6346' } : { type: 'truck', id, scheme: 'plate' };
  if (typeof confidence === 'number' && Number.isFinite(confidence) && confidence >= 0) {
    const v = confidence > 1 ? confidence / 100 : confidence;
    c.confidence = Math.min(1, Math.round(v * 10000) / 10000);
  }
  return c;
}

function abortOf(v: JsonValue | undefined): 'ABORT' | 'SUCCESS' | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || (typeof v === 'string' && v.toUpperCase() === 'ABORT')) return 'ABORT';
  if (v === false || (typeof v === 'string' && v.toUpperCase() === 'SUCCESS')) return 'SUCCESS';
  return undefined;
}

/** Threat objects as the scanner writes them: ids may be numbers. */
function threatObjectsOf(list: JsonValue[]): JsonValue[] {
  return list.map((t) => {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) return t;
    const o = { ...t };
    if (typeof o.id === 'number') o.id = String(o.id);
    if (typeof o.category === 'string') o.category = o.category.toUpperCase();
    return o;
  });
}

/** One scan's fields -> a MACHINE threat report, checked against the threat-report schema. */
export function scanReportOf(f: ScanFields, who: ScannerIdentity): Result<ThreatReport, DecodeFailure> {
  const scanId = text(f.ScanId);
  if (scanId === undefined) return invalid('the scan has no ScanId', { field: 'ScanId' });
  const scanTime = typeof f.ScanTime === 'string' ? normaliseTime(f.ScanTime) : undefined;
  if (scanTime === undefined) return invalid(`scan ${scanId}: ScanTime ${JSON.stringify(f.ScanTime ?? null)} is not a time`, { field: 'ScanTime' });
  const decision = typeof f.AlarmDecision === 'string' ? f.AlarmDecision.trim().toUpperCase() : undefined;
  const threats = parseJsonArray(f.ThreatObjects, 'ThreatObjects');
  if (!threats.ok) return threats;
  const images = parseJsonArray(f.ImageRefs, 'ImageRefs');
  if (!images.ok) return images;
  const candidate: { [k: string]: unknown } = { scanId, scanTime, alarmDecision: decision };
  const abort = abortOf(f.AbortFlag);
  if (f.AbortFlag !== undefined && f.AbortFlag !== null && f.AbortFlag !== '' && abort === undefined) {
    return invalid(`scan ${scanId}: AbortFlag ${JSON.stringify(f.AbortFlag)} is neither a Boolean nor ABORT/SUCCESS`, { field: 'AbortFlag' });
  }
  if (abort !== undefined) candidate.abortFlag = abort;
  const reason = text(f.AbortReason);
  if (reason !== undefined && abort === 'ABORT') candidate.abortReason = reason;
  const conveyance = text(f.ConveyanceId);
  if (conveyance !== undefined) candidate.conveyances = [conveyanceOf(conveyance, f.ConveyanceType, f.ConveyanceIdConfidence)];
  if (threats.value.length > 0) candidate.threatObjects = threatObjectsOf(threats.value);
  if (images.value.length > 0) candidate.images = images.value;
  if (who.algorithm) candidate.algorithm = who.algorithm;
  if (who.device && Object.keys(who.device).length > 0) candidate.device = who.device;
  const sequence = sequenceOf(f.ScanSequence);
  if (sequence !== undefined) candidate.nativeIds = { scanSequence: String(sequence) };
  const checked = checkThreatReport(candidate);
  if (!checked.ok) return invalid(`scan ${scanId} does not make a valid threat report: ${checked.errors.slice(0, 5).join('; ')}`, { errors: checked.errors.slice(0, 20) });
  return ok(checked.value);
}

/** The operator's verdict -> an OPERATOR threat report. */
export function operatorReportOf(f: OperatorFields, who: ScannerIdentity): Result<ThreatReport, DecodeFailure> {
  const scanId = text(f.ScanId);
  if (scanId === undefined) return invalid('the operator decision has no ScanId', { field: 'ScanId' });
  const operatorId = text(f.OperatorId);
  if (operatorId === undefined) return invalid(`operator decision on ${scanId} names no OperatorId`, { field: 'OperatorId' });
  const time = typeof f.Time === 'string' ? normaliseTime(f.Time) : undefined;
  if (time === undefined) return invalid(`operator decision on ${scanId}: Time ${JSON.stringify(f.Time ?? null)} is not a time`, { field: 'Time' });
  const decision = typeof f.Decision === 'string' ? f.Decision.trim().toUpperCase() : undefined;
  const candidate: { [k: string]: unknown } = {
    scanId, tdrType: 'OPERATOR', operatorId, scanTime: time, alarmDecision: decision, alarmDecisionTime: time,
  };
  if (who.device && Object.keys(who.device).length > 0) candidate.device = who.device;
  const sequence = sequenceOf(f.Sequence);
  if (sequence !== undefined) candidate.nativeIds = { decisionSequence: String(sequence) };
  const checked = checkThreatReport(candidate);
  if (!checked.ok) return invalid(`operator decision on ${scanId} is not valid: ${checked.errors.slice(0, 5).join('; ')}`, { errors: checked.errors.slice(0, 20) });
  return ok(checked.value);
}
