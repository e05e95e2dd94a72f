/**
 * JSON profiles (transport http-poll or http-push): a vendor whose JSON is documented needs no
 * code. The compiled adapter is a document adapter: a polled page, a webhook delivery, a body
 * posted to /v1/ingest or a .json file all arrive as document frames.
 *
 *   decode     body -> JSON -> the results (json.items for a polled page, json.pushItems for a
 *              pushed body) -> one record per result with its id, sorted by id. A body that is
 *              not JSON, results that are not where the profile says, or a result without a
 *              usable id fail the whole body (BL_ERR_VENDOR_JSON): the cursor does not move.
 *   normalise  a reducer over { v, rules, cursor, recent }: a polled result at or below the
 *              cursor, or any result among the recent ids, is dropped (a page polled again after a
 *              crash, a webhook retried with other bytes); otherwise its fields are extracted (a
 *              missing or mistyped field fails that result only, BL_ERR_VENDOR_JSON), the emit
 *              rules run, a spectrometer's spectrum goes to the gateway's identification, and a
 *              polled result moves the cursor. Pushed results never move the cursor, so a device
 *              that is both pushed to and polled (webhook for latency, polling to fill gaps) cannot
 *              skip a result the webhook lost.
 *
 * The state's `cursor` is what the HTTP polling connector sends as the since-id; the outbox
 * commits it with the events, so it advances only with durable events.
 */
import type { JsonValue } from '../../schema/detection-event.js';
import { identificationFindings } from '../../identify/findings.js';
import {
  defineAdapter, fail, ok, type AdapterDefinition, type CodecContext, type DecodeFailure, type DocumentFrame,
  type DocumentPlan, type EventDraft, type Result,
} from '../types.js';
import { compileEmitRules, type ListItemKinds } from './emit-compile.js';
import type { CompiledRule } from './emit-program.js';
import { readProfileState, runEmitRules, type ProfileState } from './emit-rules.js';
import { compileJsonFields, extractJsonFields, jsonFieldKinds, type JsonField } from './json-fields.js';
import { parseJsonPath, selectJson, type JsonPath } from './json-path.js';
import { compileSpectrum, readSpectrum, type CompiledSpectrum } from './json-spectrum.js';
import { pointer, type ProblemList } from './profile-problems.js';
import { OPCUA_ACQUISITION_KEYS, profileIdentity, type JsonFieldSpec, type Profile } from './profile-types.js';

/** One result of a body, as decode hands it to normalise. */
export interface JsonRecord {
  id: number | string;
  /** poll: from a polled page (moves the cursor); push: from a pushed body or a file */
  via: 'poll' | 'push';
  result: JsonValue;
}

/** The reducer state: the emit rules' memory, the cursor and the last ids seen. */
export type JsonProfileState = ProfileState & { cursor?: number | string; recent?: (number | string)[] };

export type JsonProfileAdapter = AdapterDefinition<DocumentFrame, JsonRecord, unknown, JsonProfileState>;

export const DEFAULT_PAGE_LIMIT = 100;
export const DEFAULT_JSON_MAX_BYTES = 8 * 1024 * 1024;
/** ids remembered for push dedup (and poll dedup of pushed results) */
export const RECENT_IDS = 256;
/** a body holding more results than this is refused whole */
export const MAX_RESULTS_PER_BODY = 10_000;

interface JsonParts {
  fields: JsonField[];
  rules: CompiledRule[];
  items: JsonPath;
  pushItems: JsonPath;
  id: JsonPath;
  idType: 'number' | 'string';
  spectrum?: CompiledSpectrum;
  plan: DocumentPlan;
}

function jsonPath(problems: ProblemList, at: readonly string[], source: string): JsonPath {
  const p = parseJsonPath(source);
  if (!p.ok) {
    problems.add(pointer(...at), p.message);
    return { source, segments: [], many: false };
  }
  return p.path;
}

/** Compiles the JSON parts of a profile that passed the schema; problems are collected. */
export function compileJsonParts(profile: Profile, problems: ProblemList): JsonParts {
  const json = profile.json;
  if (json === undefined) problems.add('', `a ${profile.transport} profile needs a json section (items, id, cursor)`);
  const a = profile.acquisition;
  for (const k of ['gapTolerance', 'maxPerRead'] as const) {
    if (a[k] !== undefined) problems.add(pointer('acquisition', k), `is for Modbus profiles, not ${profile.transport}`);
  }
  for (const k of OPCUA_ACQUISITION_KEYS) {
    if (a[k] !== undefined) problems.add(pointer('acquisition', k), `is for OPC UA profiles, not ${profile.transport}`);
  }
  if (profile.opcua !== undefined) problems.add(pointer('opcua'), `is for OPC UA profiles, not ${profile.transport}`);
  const specs = profile.fields as { [name: string]: JsonFieldSpec };
  const fields = compileJsonFields(specs, problems);
  const { kinds, items } = jsonFieldKinds(specs, fields);
  const rules = compileEmitRules(profile.emit, kinds, problems, items as ListItemKinds);
  const itemsPath = jsonPath(problems, ['json', 'items'], json?.items ?? '$');
  const pushItems = jsonPath(problems, ['json', 'pushItems'], json?.pushItems ?? '$');
  const id = jsonPath(problems, ['json', 'id'], json?.id ?? '$.id');
  if (id.many) problems.add(pointer('json', 'id'), `${id.source} selects many values ([*]): an id is one value`);
  const spectrum = json?.spectrum === undefined ? undefined : compileSpectrum(json.spectrum, problems);
  if (spectrum !== undefined && profile.deviceClass !== 'spectrometer') {
    problems.add(pointer('json', 'spectrum'), `is for spectrometers (deviceClass is ${profile.deviceClass})`);
  }
  const plan: DocumentPlan = {
    kind: 'document',
    mediaTypes: ['application/json'],
    extensions: ['.json'],
    maxBytes: a.maxBytes ?? DEFAULT_JSON_MAX_BYTES,
    artifactMediaType: 'application/json',
    poll: {
      // the schema requires both for JSON profiles; the fallbacks only satisfy the optional type
      pollIntervalMs: a.pollIntervalMs ?? 2000,
      timeoutMs: a.timeoutMs ?? 5000,
      limit: a.limit ?? DEFAULT_PAGE_LIMIT,
      cursorParam: json?.cursor?.param ?? 'since_id',
      limitParam: json?.cursor?.limitParam ?? 'limit',
    },
  };
  return {
    fields, rules, items: itemsPath, pushItems, id, idType: json?.cursor?.type ?? 'number', plan,
    ...(spectrum === undefined ? {} : { spectrum }),
  };
}

const invalid = (message: string, detail?: { [k: string]: JsonValue }): Result<never, DecodeFailure> =>
  fail({ code: 'BL_ERR_VENDOR_JSON', message, ...(detail ? { detail } : {}) });

/** Numbers compare as numbers, strings by UTF-16 code units (ULIDs, zero-padded ids). */
function compareIds(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function decodeBody(parts: JsonParts, frame: DocumentFrame): Result<JsonRecord[], DecodeFailure> {
  let body: JsonValue;
  try {
    const text = frame.data.toString('utf8');
    body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as JsonValue;
  } catch (e) {
    return invalid(`the body is not JSON: ${(e instanceof Error ? e.message : String(e)).slice(0, 160)}`, { transport: frame.transport });
  }
  const via = frame.transport === 'http-poll' ? 'poll' : 'push';
  const where = via === 'poll' ? parts.items : parts.pushItems;
  const found = selectJson(where, body);
  let results: JsonValue[];
  if (Array.isArray(found)) results = found;
  else if (typeof found === 'object' && found !== null) results = [found];
  else {
    return invalid(`no results at ${where.source} of the ${via === 'poll' ? 'polled page' : 'body'} (${found === undefined ? 'nothing there' : `found ${found === null ? 'null' : typeof found}`})`, { path: where.source });
  }
  if (results.length > MAX_RESULTS_PER_BODY) return invalid(`the body holds ${results.length} results; at most ${MAX_RESULTS_PER_BODY}`);
  const records: JsonRecord[] = [];
  for (const [i, result] of results.entries()) {
    const id = selectJson(parts.id, result);
    const usable = parts.idType === 'number' ? typeof id === 'number' && Number.isFinite(id) : typeof id === 'string' && id !== '' && id.length <= 256;
    if (!usable) {
      return invalid(`result ${i} has no usable id at ${parts.id.source} (a ${parts.idType === 'number' ? 'number' : 'non-empty string'} is needed): ${JSON.stringify(id ?? null).slice(0, 80)}`, { index: i, path: parts.id.source });
    }
    records.push({ id: id as number | string, via, result });
  }
  // a page in descending order must not make the cursor drop its older results
  records.sort((a, b) => compareIds(a.id, b.id));
  return ok(records);
}

/** Reads a stored state defensively (older profile, damaged store): unusable parts are forgotten. */
export function readJsonProfileState(state: JsonValue | undefined, idType: 'number' | 'string'): JsonProfileState {
  const rules = readProfileState(state);
  const r = typeof state === 'object' && state !== null && !Array.isArray(state) ? state : {};
  const fits = (v: JsonValue | undefined): v is number | string => (idType === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === 'string');
  const out: JsonProfileState = { v: 1, rules: rules.rules };
  if (fits(r.cursor)) out.cursor = r.cursor;
  if (Array.isArray(r.recent)) out.recent = r.recent.filter(fits).slice(-RECENT_IDS);
  return out;
}

function withIdentification(drafts: EventDraft[], parts: JsonParts, record: JsonRecord, ctx: CodecContext<unknown>, spectrometer: boolean): Result<EventDraft[], DecodeFailure> {
  if (parts.spectrum === undefined || !spectrometer) return ok(drafts);
  const s = readSpectrum(parts.spectrum, record.result, String(record.id));
  if (!s.ok) return s;
  const spectrum = s.value;
  if (spectrum === undefined) return ok(drafts);
  let gateway: ReturnType<typeof identificationFindings> = [];
  if (ctx.identify !== undefined) {
    try {
      gateway = identificationFindings(ctx.identify(spectrum.input));
    } catch {
      gateway = []; // a spectrum the library cannot judge leaves the device's own findings alone
    }
  }
  return ok(drafts.map((d) => {
    if (d.eventType !== 'result') return d;
    const findings = [...(d.findings ?? []), ...gateway];
    return {
      ...d,
      ...(findings.length > 0 ? { findings } : {}),
      spectrum: spectrum.inline,
      ...(spectrum.attachment ? { attachments: [...(d.attachments ?? []), spectrum.attachment] } : {}),
    };
  }));
}

/** The raw body the result came from, as the pipeline stored it, referenced by every event. */
function withRawArtifact(drafts: EventDraft[], ctx: CodecContext<unknown>): EventDraft[] {
  const a = ctx.artifact;
  if (a === undefined) return drafts;
  const ref = { kind: 'raw' as const, mediaType: a.mediaType, uri: a.uri, sha256: a.sha256, bytes: a.bytes };
  return drafts.map((d) => ({ ...d, artifacts: [...(d.artifacts ?? []).filter((x) => x.sha256 !== a.sha256), ref] }));
}

export function buildJsonProfileAdapter(profile: Profile, parts: JsonParts, optionsSchema: { [key: string]: JsonValue }): JsonProfileAdapter {
  const spectrometer = profile.deviceClass === 'spectrometer';
  return defineAdapter<DocumentFrame, JsonRecord, unknown, JsonProfileState>({
    ...profileIdentity(profile),
    transport: profile.transport as DocumentFrame['transport'],
    optionsSchema,
    acquisition: parts.plan,
    initialState: () => ({ v: 1, rules: {} }),
    decode: (frame) => decodeBody(parts, frame),
    normalise(record, stored, ctx) {
      const state = readJsonProfileState(stored, parts.idType);
      const recent = state.recent ?? [];
      const belowCursor = state.cursor !== undefined && compareIds(record.id, state.cursor) <= 0;
      if (record.via === 'poll' && belowCursor) return ok({ drafts: [], state: stored as JsonProfileState });
      if (recent.some((r) => r === record.id)) {
        // pushed before: no second event, but a poll that meets it still moves the cursor past it
        if (record.via === 'push' || belowCursor) return ok({ drafts: [], state: stored as JsonProfileState });
        return ok({ drafts: [], state: { ...state, cursor: record.id } });
      }
      const id = String(record.id);
      const extracted = extractJsonFields(parts.fields, record.result, id);
      if (!extracted.ok) return extracted;
      const ran = runEmitRules(parts.rules, extracted.value.values, { v: 1, rules: state.rules }, ctx.now, extracted.value.lists);
      if (!ran.ok) return fail({ ...ran.error, message: `result ${id}: ${ran.error.message}` });
      const drafts = withIdentification(ran.value.drafts, parts, record, ctx, spectrometer);
      if (!drafts.ok) return drafts;
      const next: JsonProfileState = { v: 1, rules: ran.value.state.rules };
      const cursor = record.via === 'poll' && (state.cursor === undefined || compareIds(record.id, state.cursor) > 0) ? record.id : state.cursor;
      if (cursor !== undefined) next.cursor = cursor;
      next.recent = [...recent, record.id].slice(-RECENT_IDS);
      return ok({ drafts: withRawArtifact(drafts.value, ctx), state: next });
    },
  });
}
