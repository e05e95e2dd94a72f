/**
 * ThreatReport -> DetectionEvent v1 draft, pure. The mapping (adapters/cargo-scanner-http/README.md
 * has it as a table):
 *
 *   scanId                         subject.inspectionId
 *   conveyances[]                  subject.conveyances (ISO 6346 check digit verified; plates compacted;
 *                                  confidence -> readConfidence)
 *   documents[]                    subject.documents (MRN and AWB check digits verified)
 *   alarmDecision                  outcome.state ALARM alarm, CLEAR clear, UNKNOWN indeterminate;
 *                                  kept verbatim in outcome.vendorState
 *   abortFlag ABORT, abortReason   outcome.state aborted, outcome.abortReason
 *   tdrType MACHINE / OPERATOR     eventType result, decisionBy machine / eventType operator-decision,
 *                                  decisionBy operator, source.operatorId
 *   scanTime, scanEndTime          observedAt, endedAt (operator decisions: observedAt = decision time)
 *   alarmDecisionTime              decidedAt
 *   algorithm                      source.algorithm (DICOS Threat Detection Algorithm and Version)
 *   device                         source.device vendor, model, serial, firmware
 *   threatObjects[]                findings kind threat-object: codes.dicosCategory verbatim, category
 *                                  mapped (DICOS_CATEGORY_MAP), identified (assessment), score
 *                                  dicos-probability 0..1, region with artifactRef
 *   images[] / uploaded images     artifacts (kind by image kind or media type)
 *   the report itself              artifacts kind raw (stored by the pipeline)
 *   abortFlag, tdrType, assessment flags, extensions    raw.extensions;  nativeIds  raw.nativeIds
 *
 * An image the gateway did not store is referenced where the scanner serves it, when the scanner
 * states its uri, sha256 and size; otherwise it cannot be an artifact (the schema needs all three)
 * and stays listed in raw.extensions.unresolvedImages, and the regions on it carry their
 * coordinates without an artifactRef. The event's quality is not lowered for it: the verdict is
 * the scanner's whole, only the picture is elsewhere.
 */
import type { ArtifactRef, DecodeFailure, EventDraft, Result } from '../adapter/types.js';
import { fail, ok } from '../adapter/types.js';
import { isoTime } from '../clock.js';
import type {
  Artifact, ArtifactKind, Category, Conveyance, DocumentRef, Finding, JsonValue, OutcomeState, Region,
} from '../schema/detection-event.js';
import { checkAwb, checkContainerNumber, checkMrn, compactId } from './check-digits.js';
import type { AssessmentFlag, ImageKind, ImageRef, ThreatObject, ThreatReport } from './threat-report.js';

/**
 * DICOS Threat Category -> our category. PHARMACEUTICAL is read as contraband, not narcotic: an
 * X-ray ATR sees tablets and vials, not what is in them; most pharmaceuticals stopped at a border
 * are counterfeit or undeclared medicines, and calling them narcotics would invent a finding.
 * dicosCategory keeps the scanner's word for consumers that want it. PI (prohibited item) is weapon,
 * as DICOS uses it for guns, knives and their parts. Unknown vendor terms read as other.
 */
export const DICOS_CATEGORY_MAP: Readonly<Record<string, Category>> = {
  EXPLOSIVE: 'explosive',
  PI: 'weapon',
  CONTRABAND: 'contraband',
  PHARMACEUTICAL: 'contraband',
  ANOMALY: 'anomaly',
  LAPTOP: 'other',
  OTHER: 'other',
};

export function dicosCategory(term: string): Category {
  return DICOS_CATEGORY_MAP[term] ?? 'other';
}

/** An image the gateway stored (an upload, or a picture it fetched from the scanner). */
export interface StoredImage {
  /** the name threat objects use for it (multipart field name or file name, or the report's images[].id) */
  id: string;
  /** other names it answers to (the file name of an upload) */
  aliases?: string[];
  sha256: string;
  bytes: number;
  mediaType: string;
  /** where the gateway serves it (/v1/artifacts/{sha256}) */
  uri: string;
  kind?: ImageKind;
}

export interface ReportEventContext {
  /** raw.format, e.g. "dicos-tdr-json" or "opcua" */
  format: string;
  /** the raw report as stored by the pipeline (documents), referenced as a raw artifact */
  artifact?: ArtifactRef;
  /** images the gateway holds for this report */
  stored?: readonly StoredImage[];
}

const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Where the gateway serves a stored artifact (the layout of src/artifacts/artifact-store.ts). */
export function artifactUriOf(sha256: string): string {
  return `/v1/artifacts/${sha256}`;
}

function invalid(message: string, detail?: { [key: string]: JsonValue }): { ok: false; error: DecodeFailure } {
  return fail(detail === undefined ? { code: 'BL_ERR_DICOS_REPORT_INVALID', message } : { code: 'BL_ERR_DICOS_REPORT_INVALID', message, detail });
}

/** RFC 3339 (any offset) -> the event schema's UTC millisecond spelling; undefined when unreadable. */
export function normaliseTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // a zone is required: a scanner's local time without one cannot be placed
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS) return undefined;
  return isoTime(ms);
}

function outcomeState(report: ThreatReport): OutcomeState {
  if (report.abortFlag === 'ABORT') return 'aborted';
  switch (report.alarmDecision) {
    case 'ALARM': return 'alarm';
    case 'CLEAR': return 'clear';
    default: return 'indeterminate';
  }
}

function identified(flag: AssessmentFlag | undefined): boolean | undefined {
  if (flag === 'HIGH_THREAT' || flag === 'THREAT') return true;
  if (flag === 'NO_THREAT') return false;
  return undefined;
}

function artifactKind(kind: ImageKind | undefined, mediaType: string): ArtifactKind {
  switch (kind) {
    case 'dx': return 'dicos-dx';
    case 'ct': return 'dicos-ct';
    case 'tdr': return 'dicos-tdr';
    case 'image': return 'image';
    default: return mediaType.toLowerCase() === 'application/dicom' ? 'dicos-dx' : mediaType.toLowerCase().startsWith('image/') ? 'image' : 'raw';
  }
}

/** Which conveyance scheme applies when the scanner names none. */
function defaultScheme(type: Conveyance['type']): string | undefined {
  if (type === 'container') return 'iso6346';
  if (type === 'truck' || type === 'trailer' || type === 'car' || type === 'bus') return 'plate';
  return undefined;
}

export function mapConveyance(c: { type: Conveyance['type']; id: string; scheme?: string; confidence?: number }): Conveyance {
  const scheme = c.scheme ?? defaultScheme(c.type);
  const out: Conveyance = { type: c.type };
  if (scheme === 'iso6346') {
    const checked = checkContainerNumber(c.id);
    out.id = checked.id;
    out.scheme = scheme;
    out.checkDigitValid = checked.checkDigitValid;
  } else {
    out.id = scheme === 'plate' ? compactId(c.id) : c.id;
    if (scheme !== undefined) out.scheme = scheme;
  }
  if (c.confidence !== undefined) out.readConfidence = c.confidence;
  return out;
}

function mapDocument(d: { type: DocumentRef['type']; id: string }): DocumentRef {
  if (d.type === 'mrn') {
    const c = checkMrn(d.id);
    return { type: 'mrn', id: c.id, valid: c.checkDigitValid };
  }
  if (d.type === 'awb') {
    const c = checkAwb(d.id);
    return { type: 'awb', id: c.id, valid: c.checkDigitValid };
  }
  return { type: d.type, id: d.id.trim() };
}

interface ResolvedImage {
  ids: string[];
  artifact?: Artifact;
  ref: ImageRef;
}

/** The report's images joined with what the gateway stored: one entry per distinct image. */
function resolveImages(report: ThreatReport, stored: readonly StoredImage[]): ResolvedImage[] {
  const out: ResolvedImage[] = [];
  const used = new Set<StoredImage>();
  (report.images ?? []).forEach((img, i) => {
    const id = img.id ?? String(i);
    const sha = img.sha256?.toLowerCase();
    const s = stored.find((x) => !used.has(x) && (x.id === id || (x.aliases ?? []).includes(id) || (sha !== undefined && x.sha256 === sha)));
    if (s !== undefined) {
      used.add(s);
      out.push({ ids: [id, s.id, ...(s.aliases ?? [])], ref: img, artifact: { kind: artifactKind(img.kind ?? s.kind, s.mediaType), mediaType: s.mediaType, uri: s.uri, sha256: s.sha256, bytes: s.bytes } });
    } else if (img.uri !== undefined && sha !== undefined && img.bytes !== undefined) {
      out.push({ ids: [id], ref: img, artifact: { kind: artifactKind(img.kind, img.mediaType), mediaType: img.mediaType, uri: img.uri, sha256: sha, bytes: img.bytes } });
    } else {
      out.push({ ids: [id], ref: img });
    }
  });
  // uploads the report does not list are still the scan's images
  for (const s of stored) {
    if (used.has(s)) continue;
    out.push({
      ids: [s.id, ...(s.aliases ?? [])],
      ref: { id: s.id, mediaType: s.mediaType, sha256: s.sha256, bytes: s.bytes, uri: s.uri, ...(s.kind ? { kind: s.kind } : {}) },
      artifact: { kind: artifactKind(s.kind, s.mediaType), mediaType: s.mediaType, uri: s.uri, sha256: s.sha256, bytes: s.bytes },
    });
  }
  return out;
}

function regionOf(t: ThreatObject, image: ResolvedImage | undefined): Result<Region | undefined, DecodeFailure> {
  if (t.base === undefined && t.extent === undefined && t.polygon === undefined) {
    return ok(image?.artifact ? { frame: t.frame ?? 'image', artifactRef: image.artifact.sha256 } : undefined);
  }
  const frame = t.frame ?? ((t.base ?? t.extent ?? t.polygon?.[0] ?? []).length === 3 ? 'volume' : 'image');
  const dims = frame === 'volume' ? 3 : 2;
  const wrong = [t.base, t.extent, ...(t.polygon ?? [])].some((p) => p !== undefined && p.length !== dims);
  if (wrong) return invalid(`threat object ${t.id}: ${frame} coordinates need ${dims} numbers each`, { threatObject: t.id, frame });
  if (t.extent?.some((v) => v < 0)) return invalid(`threat object ${t.id}: extent must not be negative`, { threatObject: t.id });
  const region: Region = { frame };
  if (t.base) region.base = [...t.base];
  if (t.extent) region.extent = [...t.extent];
  if (t.polygon) region.polygon = t.polygon.map((p) => [...p]);
  if (image?.artifact) region.artifactRef = image.artifact.sha256;
  return ok(region);
}

/**
 * The event a report makes: a `result` (MACHINE) or an `operator-decision` (OPERATOR). Fails with
 * BL_ERR_DICOS_REPORT_INVALID on what the schema cannot catch: unreadable times, duplicate threat
 * object ids, a threat object on an image the report does not have, coordinates of the wrong size.
 */
export function reportToDraft(report: ThreatReport, ctx: ReportEventContext): Result<EventDraft, DecodeFailure> {
  const scanTime = normaliseTime(report.scanTime);
  if (scanTime === undefined) return invalid(`scanTime "${report.scanTime}" is not an RFC 3339 time with a zone`, { field: 'scanTime' });
  const times: { [k: string]: string | undefined } = {};
  for (const k of ['scanEndTime', 'alarmDecisionTime'] as const) {
    const v = report[k];
    times[k] = normaliseTime(v);
    if (v !== undefined && times[k] === undefined) return invalid(`${k} "${v}" is not an RFC 3339 time with a zone`, { field: k });
  }
  const operator = report.tdrType === 'OPERATOR';
  if (operator && report.operatorId === undefined) return invalid('an OPERATOR report names its operatorId', { field: 'operatorId' });

  const images = resolveImages(report, ctx.stored ?? []);
  const ids = new Set<string>();
  for (const img of images) {
    const own = img.ids[0] as string;
    if (ids.has(own)) return invalid(`two images are named "${own}"`, { image: own });
    ids.add(own);
  }
  const byId = (id: string): ResolvedImage | undefined => images.find((i) => i.ids.includes(id));

  const seenObjects = new Set<string>();
  const findings: Finding[] = [];
  const assessments: JsonValue[] = [];
  for (const t of report.threatObjects ?? []) {
    if (seenObjects.has(t.id)) return invalid(`threat object id "${t.id}" is used twice`, { threatObject: t.id });
    seenObjects.add(t.id);
    let image: ResolvedImage | undefined;
    if (t.image !== undefined) {
      image = byId(t.image);
      if (image === undefined) return invalid(`threat object ${t.id} lies on image "${t.image}", which the report does not carry`, { threatObject: t.id, image: t.image, images: images.map((i) => i.ids[0] as string) });
    } else {
      image = images[0];
    }
    const region = regionOf(t, image);
    if (!region.ok) return region;
    const f: Finding = { kind: 'threat-object' };
    if (t.name !== undefined && t.name !== '') f.name = t.name;
    f.codes = { dicosCategory: t.category };
    f.category = dicosCategory(t.category);
    const idf = identified(t.assessment);
    if (idf !== undefined) f.identified = idf;
    if (t.probability !== undefined) f.score = { value: t.probability, min: 0, max: 1, higherIsBetter: true, method: 'dicos-probability' };
    if (region.value !== undefined) f.region = region.value;
    findings.push(f);
    assessments.push({ id: t.id, assessment: t.assessment ?? 'UNKNOWN' });
  }

  const state = outcomeState(report);
  const categories: Category[] = [];
  if (state !== 'clear') {
    (report.threatObjects ?? []).forEach((t) => {
      const c = dicosCategory(t.category);
      if (t.assessment !== 'NO_THREAT' && !categories.includes(c)) categories.push(c);
    });
  }

  const artifacts: Artifact[] = [];
  for (const img of images) if (img.artifact && !artifacts.some((a) => a.sha256 === img.artifact?.sha256)) artifacts.push(img.artifact);
  if (ctx.artifact) artifacts.push({ kind: 'raw', mediaType: ctx.artifact.mediaType, uri: ctx.artifact.uri, sha256: ctx.artifact.sha256, bytes: ctx.artifact.bytes });
  const unresolved = images.filter((i) => i.artifact === undefined).map((i) => JSON.parse(JSON.stringify(i.ref)) as JsonValue);

  const extensions: { [k: string]: JsonValue } = { ...(report.extensions ?? {}), abortFlag: report.abortFlag ?? 'SUCCESS', tdrType: report.tdrType ?? 'MACHINE' };
  if (assessments.length > 0) extensions.threatObjects = assessments;
  if (unresolved.length > 0) extensions.unresolvedImages = unresolved;

  const subject: NonNullable<EventDraft['subject']> = { inspectionId: report.scanId };
  if (report.conveyances && report.conveyances.length > 0) subject.conveyances = report.conveyances.map(mapConveyance);
  if (report.documents && report.documents.length > 0) subject.documents = report.documents.map(mapDocument);

  const decidedAt = times.alarmDecisionTime ?? (operator ? scanTime : undefined);
  const draft: EventDraft = {
    eventType: operator ? 'operator-decision' : 'result',
    observedAt: operator ? (decidedAt ?? scanTime) : scanTime,
    quality: 'good',
    subject,
    outcome: {
      state,
      ...(categories.length > 0 ? { categories } : {}),
      decisionBy: operator ? 'operator' : 'machine',
      vendorState: report.alarmDecision,
      ...(state === 'aborted' && report.abortReason !== undefined && report.abortReason !== '' ? { abortReason: report.abortReason } : {}),
    },
    raw: {
      format: ctx.format,
      ...(report.nativeIds && Object.keys(report.nativeIds).length > 0 ? { nativeIds: { ...report.nativeIds } } : {}),
      extensions,
    },
  };
  if (!operator && times.scanEndTime !== undefined) draft.endedAt = times.scanEndTime;
  if (decidedAt !== undefined) draft.decidedAt = decidedAt;
  if (findings.length > 0) draft.findings = findings;
  if (artifacts.length > 0) draft.artifacts = artifacts;

  const device: NonNullable<NonNullable<EventDraft['source']>['device']> = {};
  const d = report.device;
  if (d?.manufacturer !== undefined) device.vendor = d.manufacturer;
  if (d?.model !== undefined) device.model = d.model;
  if (d?.serial !== undefined) device.serial = d.serial;
  if (d?.softwareVersion !== undefined) device.firmware = d.softwareVersion;
  const source: NonNullable<EventDraft['source']> = {};
  if (Object.keys(device).length > 0) source.device = device;
  if (report.algorithm) {
    source.algorithm = {
      name: report.algorithm.name,
      ...(report.algorithm.version !== undefined ? { version: report.algorithm.version } : {}),
      ...(report.algorithm.settings !== undefined ? { settings: report.algorithm.settings } : {}),
    };
  }
  if (report.operatorId !== undefined) source.operatorId = report.operatorId;
  if (Object.keys(source).length > 0) draft.source = source;
  return ok(draft);
}
