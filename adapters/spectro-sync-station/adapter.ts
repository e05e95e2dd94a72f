/**
 * spectro-sync-station: a spectrometer docking/sync station that exposes its results over REST
 * (polled with a since-id cursor) or POSTs each result to the gateway (a signed webhook). The
 * JSON dialect is in README.md.
 */
import { defineAdapter, fail, ok, type DecodeFailure, type DocumentFrame, type EventDraft, type Result } from '../../src/adapter/types.js';
import { identificationFindings } from '../../src/identify/findings.js';
import type { Category, Finding } from '../../src/schema/detection-event.js';

interface SyncHit { name: string; cas?: string; score: number; fraction?: number }
interface SyncResult {
  id: number;
  sampleId: string;
  timestamp: string;
  operator?: string;
  instrument?: { serial?: string; model?: string; firmware?: string };
  technique: 'raman' | 'ftir';
  verdict: 'ALARM' | 'CLEAR' | 'INCONCLUSIVE';
  threatClass?: string;
  library?: { name: string; version?: string };
  hits: SyncHit[];
  spectrum?: { firstX: number; lastX: number; xUnits: string; yUnits: string; y: number[] };
}
interface SyncRecord { via: 'poll' | 'push'; result: SyncResult }
interface SyncState { [k: string]: number | number[]; cursor: number; recent: number[] }

const VERDICTS = new Set(['ALARM', 'CLEAR', 'INCONCLUSIVE']);
const CLASSES: Record<string, Category> = { narcotic: 'narcotic', explosive: 'explosive', precursor: 'precursor', chemical: 'chemical', environmental: 'environmental' };
const MAX_RESULTS = 1000;
const MAX_POINTS = 65536;
export const SYNC_SCORE_METHOD = 'syncstation-confidence';

const bad = (message: string): Result<never, DecodeFailure> => fail({ code: 'BL_ERR_VENDOR_JSON', message });
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks one result object field by field; the message names the first bad field. */
function readResult(v: unknown, at: string): Result<SyncResult, DecodeFailure> {
  if (!isObj(v)) return bad(`${at} is not an object`);
  if (!Number.isSafeInteger(v.id) || (v.id as number) < 1) return bad(`${at}.id must be a positive integer`);
  if (!str(v.sampleId)) return bad(`${at}.sampleId must be a non-empty string`);
  if (!str(v.timestamp) || Number.isNaN(Date.parse(v.timestamp)) || !/[zZ]|[+-]\d\d:\d\d$/.test(v.timestamp)) return bad(`${at}.timestamp must be an ISO 8601 time with an offset`);
  if (v.technique !== 'raman' && v.technique !== 'ftir') return bad(`${at}.technique must be raman or ftir`);
  if (typeof v.verdict !== 'string' || !VERDICTS.has(v.verdict)) return bad(`${at}.verdict must be ALARM, CLEAR or INCONCLUSIVE`);
  if (v.threatClass !== undefined && !str(v.threatClass)) return bad(`${at}.threatClass must be a string`);
  if (!Array.isArray(v.hits) || v.hits.length > 50) return bad(`${at}.hits must be a list of at most 50`);
  const hits: SyncHit[] = [];
  for (const [i, h] of v.hits.entries()) {
    if (!isObj(h) || !str(h.name) || !num(h.score) || h.score < 0 || h.score > 1) return bad(`${at}.hits[${i}] needs a name and a score in 0..1`);
    if (h.cas !== undefined && (typeof h.cas !== 'string' || !/^\d{2,7}-\d{2}-\d$/.test(h.cas))) return bad(`${at}.hits[${i}].cas is not a CAS number`);
    if (h.fraction !== undefined && (!num(h.fraction) || h.fraction < 0 || h.fraction > 1)) return bad(`${at}.hits[${i}].fraction must be in 0..1`);
    hits.push({ name: h.name, score: h.score, ...(typeof h.cas === 'string' ? { cas: h.cas } : {}), ...(num(h.fraction) ? { fraction: h.fraction } : {}) });
  }
  let spectrum: SyncResult['spectrum'];
  if (v.spectrum !== undefined) {
    const s = v.spectrum;
    if (!isObj(s) || !num(s.firstX) || !num(s.lastX) || !str(s.xUnits) || !str(s.yUnits) || !Array.isArray(s.y) || s.y.length < 2 || s.y.length > MAX_POINTS || !s.y.every(num)) {
      return bad(`${at}.spectrum needs firstX, lastX, xUnits, yUnits and y (2..${MAX_POINTS} numbers)`);
    }
    spectrum = { firstX: s.firstX, lastX: s.lastX, xUnits: s.xUnits, yUnits: s.yUnits, y: s.y as number[] };
  }
  const inst = isObj(v.instrument) ? v.instrument : undefined;
  const lib = isObj(v.library) && str(v.library.name) ? { name: v.library.name, ...(str(v.library.version) ? { version: v.library.version } : {}) } : undefined;
  return ok({
    id: v.id as number, sampleId: v.sampleId, timestamp: v.timestamp, technique: v.technique, verdict: v.verdict as SyncResult['verdict'], hits,
    ...(str(v.operator) ? { operator: v.operator } : {}), ...(typeof v.threatClass === 'string' ? { threatClass: v.threatClass } : {}),
    ...(inst ? { instrument: { ...(str(inst.serial) ? { serial: inst.serial } : {}), ...(str(inst.model) ? { model: inst.model } : {}), ...(str(inst.firmware) ? { firmware: inst.firmware } : {}) } } : {}),
    ...(lib ? { library: lib } : {}), ...(spectrum ? { spectrum } : {}),
  });
}

function decodeBody(frame: DocumentFrame): Result<SyncRecord[], DecodeFailure> {
  let body: unknown;
  try {
    body = JSON.parse(frame.data.toString('utf8'));
  } catch (e) {
    return bad(`the body is not JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  if (frame.transport === 'http-poll') {
    if (!isObj(body) || !Array.isArray(body.results)) return bad('a results page must be an object with a "results" list');
    if (body.results.length > MAX_RESULTS) return bad(`a page holds ${body.results.length} results; at most ${MAX_RESULTS}`);
    const out: SyncRecord[] = [];
    for (const [i, r] of body.results.entries()) {
      const res = readResult(r, `results[${i}]`);
      if (!res.ok) return res;
      out.push({ via: 'poll', result: res.value });
    }
    return ok(out);
  }
  const res = readResult(body, 'result');
  return res.ok ? ok([{ via: 'push', result: res.value }]) : res;
}

function draftOf(r: SyncResult, identify: ((s: { x: number[]; y: number[]; xUnits?: string; yUnits?: string }) => import('../../src/adapter/types.js').GatewayIdentification) | undefined): EventDraft {
  const category = r.threatClass ? (CLASSES[r.threatClass.toLowerCase()] ?? 'other') : undefined;
  const state = r.verdict === 'ALARM' ? 'alarm' : r.verdict === 'INCONCLUSIVE' ? 'indeterminate' : 'clear';
  const device: Finding[] = r.hits.map((h, i) => ({
    kind: 'substance', name: h.name, ...(h.cas ? { codes: { cas: h.cas } } : {}), identified: r.verdict === 'ALARM' && (i === 0 || h.fraction !== undefined),
    ...(i === 0 && category ? { category } : {}), score: { value: h.score, min: 0, max: 1, higherIsBetter: true, method: SYNC_SCORE_METHOD },
    ...(h.fraction !== undefined ? { mixtureFraction: h.fraction } : {}), origin: 'device',
  }));
  let gateway: Finding[] = [];
  if (identify && r.spectrum) {
    const n = r.spectrum.y.length;
    const x = Array.from({ length: n }, (_, i) => r.spectrum!.firstX + ((r.spectrum!.lastX - r.spectrum!.firstX) * i) / (n - 1));
    gateway = identificationFindings(identify({ x, y: r.spectrum.y, xUnits: r.spectrum.xUnits, yUnits: r.spectrum.yUnits }));
  }
  return {
    eventType: 'result',
    observedAt: new Date(Date.parse(r.timestamp)).toISOString(),
    quality: 'good',
    source: {
      device: { technique: r.technique, ...(r.instrument?.serial ? { serial: r.instrument.serial } : {}), ...(r.instrument?.model ? { model: r.instrument.model } : {}), ...(r.instrument?.firmware ? { firmware: r.instrument.firmware } : {}) },
      ...(r.library ? { algorithm: { name: r.library.name, ...(r.library.version ? { version: r.library.version } : {}) } } : {}),
      ...(r.operator ? { operatorId: r.operator } : {}),
    },
    subject: { inspectionId: r.sampleId },
    outcome: { state, categories: state === 'alarm' && category ? [category] : [], decisionBy: 'machine', vendorState: r.threatClass ? `${r.verdict}: ${r.threatClass}` : r.verdict },
    findings: [...device, ...gateway],
    raw: { format: 'syncstation-json-1', nativeIds: { vendorResultId: String(r.id), sampleId: r.sampleId } },
  };
}

export default defineAdapter<DocumentFrame, SyncRecord, Record<string, never>, SyncState>({
  id: 'spectro-sync-station',
  version: '1.0.0',
  deviceClass: 'spectrometer',
  technique: 'raman',
  transport: 'http-poll',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  acquisition: { kind: 'document', mediaTypes: ['application/json'], extensions: ['.json'], maxBytes: 8 * 1024 * 1024, artifactMediaType: 'application/json' },
  initialState: () => ({ cursor: 0, recent: [] }),
  decode: (frame) => decodeBody(frame),
  normalise(record, state, ctx) {
    const r = record.result;
    // polled: the cursor drops what is already committed; pushed: the document key and the signature memory do
    if (record.via === 'poll' && r.id <= state.cursor) return ok({ drafts: [], state });
    if (record.via === 'push' && state.recent.includes(r.id)) return ok({ drafts: [], state });
    const next: SyncState = { cursor: record.via === 'poll' ? Math.max(state.cursor, r.id) : state.cursor, recent: [...state.recent, r.id].slice(-256) };
    return ok({ drafts: [draftOf(r, ctx.identify)], state: next });
  },
});
