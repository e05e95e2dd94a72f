/**
 * One report through the scanner reducer: de-duplicated by scan (results) or by verdict
 * (operator decisions), then mapped. Shared by the X-ray adapters (HTTP upload, folder, OPC UA).
 */
import { ok, type ArtifactRef, type DecodeFailure, type EventDraft, type Result } from '../adapter/types.js';
import type { DecodedReport } from './decode-report.js';
import { normaliseTime, reportToDraft } from './report-events.js';
import { hasSeen, operatorKey, remember, resultKey, type ScannerMemory } from './scanner-memory.js';
import type { ThreatReport } from './threat-report.js';

/** The de-duplication key of a report. */
export function reportKey(report: ThreatReport): string {
  if (report.tdrType !== 'OPERATOR') return resultKey(report.scanId);
  const at = normaliseTime(report.alarmDecisionTime) ?? normaliseTime(report.scanTime) ?? report.scanTime;
  return operatorKey(report.scanId, report.operatorId ?? '', at, report.alarmDecision);
}

export function normaliseReport(
  decoded: DecodedReport,
  memory: ScannerMemory,
  artifact: ArtifactRef | undefined,
): Result<{ drafts: EventDraft[]; state: ScannerMemory }, DecodeFailure> {
  const key = reportKey(decoded.report);
  if (hasSeen(memory, key)) return ok({ drafts: [], state: memory });
  const draft = reportToDraft(decoded.report, { format: decoded.format, stored: decoded.stored, ...(artifact ? { artifact } : {}) });
  if (!draft.ok) return draft;
  return ok({ drafts: [draft.value], state: remember(memory, key) });
}
