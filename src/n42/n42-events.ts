/**
 * N42Document to DetectionEvent v1 drafts (the mapping table is in adapters/n42-document/README.md).
 *
 * Breakdown: each inspection (normally the whole document: one portal occupancy, one handheld
 * identification) is one `result` event; its background feeds backgroundRateCps rather than
 * events of its own, because a portal repeats the same background in every occupancy file. A
 * document with no foreground data and no analysis (background only) gives one `measurement`
 * event per background measurement. Every event references the whole document as an `n42`
 * artifact when the pipeline has stored it.
 */
import type { ArtifactRef, DecodeFailure, EventDraft, Result } from '../adapter/types.js';
import { fail, ok } from '../adapter/types.js';
import { isoTime } from '../clock.js';
import type { Category, Finding, JsonValue, Quality } from '../schema/detection-event.js';
import { summariseBackground, summariseInspection, type SummaryResult } from './detector-summary.js';
import type { N42Analysis, N42Document, N42DoseRate, N42Measurement } from './document.js';
import { inspectionsOf, type Inspection } from './inspections.js';
import { maxOf, minOf } from './simple-types.js';
import { chooseSpectrum, DEFAULT_MAX_INLINE_CHANNELS, type SpectrumChoice } from './spectrum-choice.js';

type N42Group = N42Document['groups'][number];

export interface N42EventContext {
  /** gateway clock (ms): observedAt when the document carries no time at all */
  now: number;
  artifact?: ArtifactRef;
}

export interface N42EventOptions {
  /** longest spectrum kept inline in `spectrum`; default 1024 */
  maxInlineChannels?: number;
}

/** Latest instant the event schema can spell (four-digit years). */
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const MEDIA_TYPE = /^[a-zA-Z0-9!#$&^_.+-]+\/[a-zA-Z0-9!#$&^_.+-]+$/;

export function n42ToDrafts(doc: N42Document, ctx: N42EventContext, opts: N42EventOptions = {}): Result<EventDraft[], DecodeFailure> {
  const maxInline = opts.maxInlineChannels ?? DEFAULT_MAX_INLINE_CHANNELS;
  const inspections = inspectionsOf(doc);
  if (inspections.length > 0) return ok(inspections.map((insp) => resultDraft(doc, insp, inspections.length > 1, ctx, maxInline)));
  const drafts: EventDraft[] = [];
  for (const m of [...doc.measurements, ...doc.derived].filter((x) => x.classCode === 'background')) {
    const draft = backgroundDraft(doc, m, ctx, maxInline);
    if (draft !== undefined) drafts.push(draft);
  }
  if (drafts.length > 0) return ok(drafts);
  const classes = [...new Set([...doc.measurements, ...doc.derived].map((m) => m.classRaw ?? m.classCode))];
  return fail({
    code: 'BL_ERR_N42_INVALID',
    message: classes.length === 0
      ? 'the document holds no measurement and no analysis results'
      : `the document holds no foreground or background counts and no analysis results (measurement classes: ${classes.join(', ')})`,
    detail: { measurementClasses: classes },
  });
}

function resultDraft(doc: N42Document, insp: Inspection, several: boolean, ctx: N42EventContext, maxInline: number): EventDraft {
  const warnings = [...doc.warnings];
  const summary = summariseInspection(doc, insp);
  for (const id of summary.skipped) warnings.push(`detector ${id} is neither gamma nor neutron: its counts are left in the document`);
  const times = timesOf(summary.slices.length > 0 ? summary.slices : insp.derived, insp.analyses);
  if (times.observedMs === undefined) warnings.push("the document gives no time: observedAt is the gateway's receive time");
  const alarms = insp.analyses.flatMap((a) => a.alarms);
  const categories: Category[] = [];
  for (const c of alarms.flatMap((a) => a.categories)) if (!categories.includes(c)) categories.push(c);
  const descriptions = [...new Set(alarms.flatMap((a) => (a.description === undefined ? [] : [a.description])))];
  const alarmTimes = alarms.flatMap((a) => (a.atMs === undefined ? [] : [a.atMs]));

  const draft: EventDraft = { eventType: 'result', observedAt: isoTime(times.observedMs ?? ctx.now), quality: 'good' };
  if (times.endedMs !== undefined && times.observedMs !== undefined && times.endedMs >= times.observedMs && times.endedMs <= MAX_TIME_MS) draft.endedAt = isoTime(times.endedMs);
  const decided = minOf(alarmTimes);
  if (decided !== undefined) draft.decidedAt = isoTime(decided);
  const group = doc.groups.find((g) => g.id === insp.groupId);
  const inspectionId = inspectionIdOf(doc, group, several);
  if (inspectionId !== undefined) draft.subject = { inspectionId };
  draft.outcome = alarms.length > 0 ? { state: 'alarm' } : { state: 'clear' };
  if (categories.length > 0) draft.outcome.categories = categories;
  draft.outcome.decisionBy = 'machine';
  const vendorState = descriptions.length > 0 ? descriptions.join('; ') : insp.analyses.find((a) => a.description !== undefined)?.description;
  if (vendorState !== undefined) draft.outcome.vendorState = vendorState;
  const findings = findingsOf(insp.analyses);
  if (findings.length > 0) draft.findings = findings;
  if (summary.measurements.length > 0) draft.measurements = summary.measurements;
  const choice = chooseSpectrum(doc, insp.derived, summary.slices, maxInline);
  if (choice.spectrum !== undefined) draft.spectrum = choice.spectrum;
  const doses = [
    ...dosesOf(summary.slices, 'foreground'), ...dosesOf(insp.derived, 'derived'),
    ...insp.analyses.flatMap((a) => a.doseRates.map((d) => doseJson(d, 'analysis'))),
  ];
  finish(draft, doc, ctx, warnings, {
    ...(group === undefined || doc.version !== '2012' ? {} : { measurementGroup: groupJson(group) }),
    ...(doses.length > 0 ? { doseRates: doses } : {}),
    ...analysisExtensions(insp.analyses),
    ...(choice.note === undefined ? {} : { spectrum: choice.note }),
  }, nativeIdsOf(doc, group), insp.analyses);
  return draft;
}

function backgroundDraft(doc: N42Document, m: N42Measurement, ctx: N42EventContext, maxInline: number): EventDraft | undefined {
  const summary: SummaryResult = summariseBackground(doc, m);
  if (summary.measurements.length === 0) return undefined;
  const warnings = [...doc.warnings];
  for (const id of summary.skipped) warnings.push(`detector ${id} is neither gamma nor neutron: its counts are left in the document`);
  if (m.startMs === undefined) warnings.push("the document gives no time: observedAt is the gateway's receive time");
  const draft: EventDraft = { eventType: 'measurement', observedAt: isoTime(m.startMs ?? ctx.now), quality: 'good' };
  if (m.startMs !== undefined && m.realTimeS !== undefined && m.startMs + m.realTimeS * 1000 <= MAX_TIME_MS) draft.endedAt = isoTime(m.startMs + Math.round(m.realTimeS * 1000));
  draft.measurements = summary.measurements;
  const choice: SpectrumChoice = chooseSpectrum(doc, [], [m], maxInline);
  if (choice.spectrum !== undefined) draft.spectrum = choice.spectrum;
  const doses = dosesOf([m], 'background');
  finish(draft, doc, ctx, warnings, {
    ...(m.id === undefined ? {} : { measurementId: m.id }),
    ...(doses.length > 0 ? { doseRates: doses } : {}),
    ...(choice.note === undefined ? {} : { spectrum: choice.note }),
  }, nativeIdsOf(doc, undefined), []);
  return draft;
}

/** Start of the earliest slice to the end of the latest; analysis or alarm times when no slice has one. */
function timesOf(measurements: readonly N42Measurement[], analyses: readonly N42Analysis[]): { observedMs?: number; endedMs?: number } {
  const observedMs = minOf(measurements.flatMap((m) => (m.startMs === undefined ? [] : [m.startMs])));
  if (observedMs !== undefined) {
    const endedMs = maxOf(measurements.flatMap((m) => (m.startMs === undefined || m.realTimeS === undefined ? [] : [m.startMs + Math.round(m.realTimeS * 1000)])));
    return endedMs === undefined ? { observedMs } : { observedMs, endedMs };
  }
  const other = minOf(analyses.flatMap((a) => [a.startMs, ...a.alarms.map((x) => x.atMs)]).filter((t): t is number => t !== undefined));
  return other === undefined ? {} : { observedMs: other };
}

/** n42DocUUID identifies the occupancy or identification; with several in one document, uuid#group. */
function inspectionIdOf(doc: N42Document, group: N42Group | undefined, several: boolean): string | undefined {
  // a 2006 Measurement carries its own UUID: that is the inspection
  if (doc.version === '2006') return group !== undefined && group.synthetic !== true ? group.id : several ? undefined : doc.uuid;
  if (doc.uuid !== undefined) return several && group !== undefined ? `${doc.uuid}#${group.id}` : doc.uuid;
  return group?.id;
}

/** n42DocUUID (2006: the inspection's Measurement UUID) and, in 2012, the RadMeasurementGroup id. */
function nativeIdsOf(doc: N42Document, group: N42Group | undefined): { [key: string]: string } {
  const ids: { [key: string]: string } = {};
  const uuid = doc.version === '2006' && group !== undefined && group.synthetic !== true ? group.id : doc.uuid;
  if (uuid !== undefined) ids.n42DocUUID = uuid;
  if (doc.version === '2012' && group !== undefined) ids.radMeasurementGroupId = group.id;
  return ids;
}

/** Nuclide notation for codes.nuclide ("Cs137", "137Cs", "Cs-137" all give "Cs-137"); undefined for "HEU", "Unknown"... */
export function nuclideCode(name: string): string | undefined {
  const t = name.trim();
  const a = /^([A-Z][a-z]?)[- ]?(\d{1,3})(m\d?)?$/.exec(t);
  if (a !== null) return `${a[1]}-${a[2]}${a[3] ?? ''}`;
  const b = /^(\d{1,3})(m\d?)?[- ]?([A-Z][a-z]?)$/.exec(t);
  if (b !== null) return `${b[3]}-${b[1]}${b[2] ?? ''}`;
  return undefined;
}

function findingsOf(analyses: readonly N42Analysis[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const alarm of analyses.flatMap((a) => a.alarms)) {
    for (const category of alarm.categories.filter((c): c is 'gamma' | 'neutron' => c === 'gamma' || c === 'neutron')) {
      // one finding per category and detector set: 2006 devices repeat the flag per time slice
      const key = JSON.stringify([category, alarm.detectorIds]);
      if (seen.has(key)) continue;
      seen.add(key);
      const f: Finding = { kind: 'count-exceedance', name: `${category} gross counts above threshold`, category, identified: false };
      if (alarm.detectorIds.length > 0) f.detectors = [...alarm.detectorIds];
      out.push(f);
    }
  }
  for (const n of analyses.flatMap((a) => a.nuclides)) {
    const f: Finding = { kind: 'nuclide', name: n.name };
    const code = nuclideCode(n.name);
    if (code !== undefined) f.codes = { nuclide: code };
    f.category = 'isotope';
    if (n.identified !== undefined) f.identified = n.identified;
    if (n.confidence !== undefined) f.score = { value: n.confidence, min: 0, max: 100, higherIsBetter: true, method: 'n42-confidence' };
    if (n.activity !== undefined) f.activity = { ...n.activity };
    out.push(f);
  }
  return out;
}

function doseJson(d: N42DoseRate, from: string): JsonValue {
  return { ...(d.detectorId === undefined ? {} : { detectorId: d.detectorId }), uSvPerH: d.uSvPerH, kind: d.kind, from };
}

const dosesOf = (ms: readonly N42Measurement[], from: string): JsonValue[] => ms.flatMap((m) => m.doseRates.map((d) => doseJson(d, from)));

function groupJson(group: N42Group): JsonValue {
  return group.description === undefined ? { id: group.id } : { id: group.id, description: group.description };
}

/** What the analyses say that has no field of its own: raw alarm codes, nuclide categories, status, other algorithms. */
function analysisExtensions(analyses: readonly N42Analysis[]): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  const alarms = analyses.flatMap((a) => a.alarms).filter((a) => a.categoryRaw !== undefined || a.detectorIds.length > 0);
  if (alarms.length > 0) {
    out.alarms = alarms.map((a) => ({
      ...(a.categoryRaw === undefined ? {} : { category: a.categoryRaw }),
      ...(a.detectorIds.length === 0 ? {} : { detectors: a.detectorIds }),
      ...(a.description === undefined ? {} : { description: a.description }),
    }));
  }
  const nuclides = analyses.flatMap((a) => a.nuclides).filter((n) => n.categoryDescription !== undefined || n.confidenceText !== undefined);
  if (nuclides.length > 0) {
    out.nuclides = nuclides.map((n) => ({
      name: n.name,
      ...(n.categoryDescription === undefined ? {} : { category: n.categoryDescription }),
      ...(n.confidenceText === undefined ? {} : { confidence: n.confidenceText }),
    }));
  }
  const statuses = analyses.flatMap((a) => (a.statusCode === undefined ? [] : [a.statusCode]));
  if (statuses.length > 0) out.analysisStatus = statuses;
  const named = analyses.filter((a) => a.algorithm?.name !== undefined);
  if (named.length > 1) out.otherAlgorithms = named.slice(1).map((a) => ({ name: a.algorithm?.name ?? '', ...(a.algorithm?.version === undefined ? {} : { version: a.algorithm.version }) }));
  const creator = named[0]?.algorithm?.creator;
  if (creator !== undefined) out.algorithmCreator = creator;
  return out;
}

/** Technique from the instrument class (open vocabulary). */
function techniqueOf(doc: N42Document): string | undefined {
  const t = (doc.instrument.classCode ?? '').toLowerCase().replace(/[\s_-]/g, '');
  const neutron = doc.detectors.some((d) => d.category === 'neutron');
  if (t.includes('spectroscopic') || t.startsWith('spec') || t.includes('identifier') || t.includes('spectrometer')) return neutron ? 'spectroscopic-gamma-neutron' : 'spectroscopic-gamma';
  if (t.includes('portal')) return neutron ? 'gamma-neutron' : 'gamma';
  return undefined;
}

/** Firmware: the Firmware component, else Software, else the only one. */
function firmwareOf(doc: N42Document): string | undefined {
  const v = doc.instrument.versions;
  return (v.find((x) => /firmware/i.test(x.component)) ?? v.find((x) => /software/i.test(x.component)) ?? (v.length === 1 ? v[0] : undefined))?.version;
}

/** Source, artifacts, raw and quality: the same on every event of the document. */
function finish(
  draft: EventDraft, doc: N42Document, ctx: N42EventContext, warnings: readonly string[],
  specific: { [key: string]: JsonValue }, nativeIds: { [key: string]: string }, analyses: readonly N42Analysis[],
): void {
  const quality: Quality = warnings.length > 0 ? 'uncertain' : 'good';
  draft.quality = quality;
  if (ctx.artifact !== undefined) {
    const declared = ctx.artifact.mediaType.split(';')[0]?.trim() ?? '';
    draft.artifacts = [{ kind: 'n42', mediaType: MEDIA_TYPE.test(declared) ? declared : 'application/xml', uri: ctx.artifact.uri, sha256: ctx.artifact.sha256, bytes: ctx.artifact.bytes }];
  }
  const inst = doc.instrument;
  const extensions: { [key: string]: JsonValue } = {};
  if (inst.lane !== undefined) extensions.laneId = inst.lane;
  if (inst.classCode !== undefined) extensions.instrumentClass = inst.classCode;
  if (inst.versions.length > 0) extensions.instrumentVersions = Object.fromEntries(inst.versions.map((v) => [v.component, v.version]));
  if (doc.createdBy !== undefined) extensions.createdBy = doc.createdBy;
  Object.assign(extensions, specific);
  if (Object.keys(doc.extensions).length > 0) extensions.vendor = doc.extensions;
  if (warnings.length > 0) extensions.warnings = [...warnings];
  draft.raw = { format: `n42-${doc.version}` };
  if (Object.keys(nativeIds).length > 0) draft.raw.nativeIds = nativeIds;
  if (Object.keys(extensions).length > 0) draft.raw.extensions = extensions;
  const device: NonNullable<EventDraft['source']>['device'] = {};
  const technique = techniqueOf(doc);
  if (technique !== undefined) device.technique = technique;
  if (inst.manufacturer !== undefined) device.vendor = inst.manufacturer;
  if (inst.model !== undefined) device.model = inst.model;
  if (inst.serial !== undefined) device.serial = inst.serial;
  const firmware = firmwareOf(doc);
  if (firmware !== undefined) device.firmware = firmware;
  const source: NonNullable<EventDraft['source']> = {};
  if (Object.keys(device).length > 0) source.device = device;
  const alg = analyses.find((a) => a.algorithm?.name !== undefined)?.algorithm;
  if (alg?.name !== undefined) {
    source.algorithm = { name: alg.name };
    if (alg.version !== undefined) source.algorithm.version = alg.version;
    if (Object.keys(alg.settings).length > 0) source.algorithm.settings = { ...alg.settings };
  }
  if (Object.keys(source).length > 0) draft.source = source;
}
