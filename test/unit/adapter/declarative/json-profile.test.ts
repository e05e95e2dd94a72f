/**
 * JSON profiles (transport http-poll / http-push): compile errors, decode of pages and pushed
 * bodies, the cursor/recent reducer, list findings with each, optional fields, and the gateway's
 * identification of an embedded spectrum. The sync-station profile in test/fixtures/json-profile
 * is the worked example.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileJsonProfileTyped, compileProfile } from '../../../../src/adapter/declarative/compile-profile.js';
import type { JsonProfileAdapter, JsonProfileState } from '../../../../src/adapter/declarative/json-profile.js';
import { loadProfile, parseProfile } from '../../../../src/adapter/declarative/load-profile.js';
import { createProfileShapeCheck } from '../../../../src/adapter/declarative/profile-shape.js';
import type { EmitRuleSpec, JsonFieldSpec, Profile } from '../../../../src/adapter/declarative/profile-types.js';
import type { CodecContext, DocumentFrame, EventDraft } from '../../../../src/adapter/types.js';
import { isBorderlinkError } from '../../../../src/errors.js';
import { DEFAULT_LIBRARY_DIR, loadLibrary } from '../../../../src/identify/library.js';
import { simulateMeasurement } from '../../../../src/identify/simulate.js';
import { writeJcamp } from '../../../../src/jcamp/index.js';
import { packageRoot } from '../../../../src/package-root.js';
import { buildEnvelope } from '../../../../src/pipeline/envelope.js';
import type { JsonValue } from '../../../../src/schema/detection-event.js';
import { createEventValidator } from '../../../../src/schema/validator.js';
import { GOLDEN_DEVICE, seedIdentify } from '../../../helpers/golden-runner.js';

const shapeCheck = createProfileShapeCheck();
const SYNC = path.join(packageRoot(), 'test', 'fixtures', 'json-profile', 'spectro-sync-station.profile.yaml');
const NOW = Date.parse('2026-12-04T10:05:00Z');

function jsonProfile(fields: { [name: string]: JsonFieldSpec }, emit: EmitRuleSpec[], extra: Partial<Profile> = {}): Profile {
  return {
    id: 'json-test', version: '0.1.0', deviceClass: 'spectrometer', technique: 'raman', vendor: 'T', model: 'T-1',
    transport: 'http-poll', acquisition: { pollIntervalMs: 1000, timeoutMs: 500 },
    json: { items: '$.results', id: '$.id' },
    fields, emit, ...extra,
  };
}

const RESULT_RULE: EmitRuleSpec = {
  id: 'r', eventType: 'result', when: { always: true }, outcome: { alarms: [{ flag: 'alarm', category: 'narcotic' }] },
};

function problemsOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (e) {
    if (isBorderlinkError(e) && e.code === 'BL_ERR_PROFILE_INVALID') return (e.detail as { problems: Array<{ path: string; message: string }> }).problems.map(({ path: p, message }) => ({ path: p, message }));
    throw e;
  }
  throw new Error('the profile compiled');
}

function frame(body: unknown, transport: DocumentFrame['transport'] = 'http-poll', receivedAt = NOW): DocumentFrame {
  return { transport, receivedAt, name: 'page', mediaType: 'application/json', data: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

/** decode + normalise as the pipeline does, state threaded through; stops at the first failure. */
function run(adapter: JsonProfileAdapter, frames: DocumentFrame[], start?: JsonProfileState, identify = false): { drafts: EventDraft[]; state: JsonProfileState; failure?: { code: string; message: string } } {
  let state = start ?? adapter.initialState();
  const drafts: EventDraft[] = [];
  for (const f of frames) {
    const ctx: CodecContext<unknown> = { device: GOLDEN_DEVICE, options: {}, now: f.receivedAt, ...(identify ? { identify: seedIdentify() } : {}) };
    const d = adapter.decode(f, ctx);
    if (!d.ok) return { drafts, state, failure: d.error };
    for (const r of d.value) {
      const n = adapter.normalise(r, state, ctx);
      if (!n.ok) return { drafts, state, failure: n.error };
      state = n.value.state;
      drafts.push(...n.value.drafts);
    }
  }
  return { drafts, state };
}

function syncResult(id: number, over: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  return {
    id, sampleId: `S-${String(id).padStart(5, '0')}`, timestamp: '2026-12-04T10:00:00.250Z', operator: 'officer-117',
    instrument: { serial: 'SS-0042', model: 'Sync Station', firmware: '2.4.1' }, technique: 'raman',
    verdict: 'CLEAR', library: { name: 'SyncLib', version: '2026.1' }, hits: [], ...over,
  };
}

describe('JSON profiles: compile errors', () => {
  it('reports every problem at once with its path and a clear message', () => {
    const p = jsonProfile({
      id: { path: '$.id', type: 'integer' },
      bad: { path: 'id', type: 'number' },
      many: { path: '$.hits[*].name', type: 'string' },
      alarm: { path: '$.verdict', type: 'boolean', trueWhen: ['ALARM'], required: true },
      wrongDefault: { path: '$.x', type: 'number', required: false, default: 'zero' },
      keys: { path: '$.y', type: 'string', range: [0, 1] },
      hits: { path: '$.hits', type: 'list' },
      tags: { path: '$.tags', type: 'list', items: { v: { path: '$', type: 'string' } } },
      nested: { path: '$.n', type: 'list', items: { inner: { path: '$.i', type: 'list', items: { v: { path: '$', type: 'number' } } } } },
      score: { path: '$.s', type: 'number' },
      label: { path: '$.l', type: 'string' },
    }, [
      { ...RESULT_RULE, findings: [{ kind: 'substance', name: '${tags.v}' }] },
      { id: 'e', eventType: 'result', when: { always: true }, outcome: { alarms: [{ flag: 'label', category: 'narcotic' }] }, findings: [{ each: 'score', kind: 'substance' }] },
      { id: 'f', eventType: 'result', when: { always: true }, outcome: { alarms: [{ flag: 'alarm', category: 'narcotic' }] }, subject: { inspectionId: '${hits}' } },
    ], { acquisition: { pollIntervalMs: 1000, timeoutMs: 500, gapTolerance: { registers: 2 } }, json: { items: '$.results[', id: '$.ids[*]' } });
    const problems = problemsOf(() => compileJsonProfileTyped(p, shapeCheck));
    expect(problems).toEqual(expect.arrayContaining([
      { path: '/acquisition/gapTolerance', message: 'is for Modbus profiles, not http-poll' },
      { path: '/fields/bad/path', message: expect.stringContaining('"id" is not a JSON path: it must start with $') },
      { path: '/fields/many/path', message: '$.hits[*].name selects many values ([*]): only a list field may use it' },
      { path: '/fields/alarm/required', message: expect.stringContaining('does not apply with trueWhen') },
      { path: '/fields/wrongDefault/default', message: 'is text, but a number field needs a number' },
      { path: '/fields/keys/range', message: 'is not allowed for a string field' },
      { path: '/fields/hits', message: expect.stringContaining('a list field needs items') },
      { path: '/fields/nested/items/inner/type', message: 'a list element cannot hold a list (lists do not nest)' },
      { path: '/emit/0/findings/0/name', message: expect.stringContaining('names no field: "tags.v" (a field of list "tags" elements: only a finding with each: tags can name it)') },
      { path: '/emit/1/outcome/alarms/0/flag', message: 'field "label" is text, needs a bool' },
      { path: '/emit/1/findings/0/each', message: 'field "score" is a number, needs a list (a JSON field of type list)' },
      { path: '/emit/2/subject/inspectionId', message: expect.stringContaining('field "hits" is a list') },
      { path: '/json/items', message: expect.stringContaining('is not a JSON path') },
      { path: '/json/id', message: '$.ids[*] selects many values ([*]): an id is one value' },
    ]));
  });

  it('refuses Modbus fields in a JSON profile and JSON fields or a json section in a Modbus one', () => {
    const json = jsonProfile({ alarm: { path: '$.a', type: 'boolean' } }, [RESULT_RULE]);
    const withModbus = { ...json, fields: { ...json.fields, reg: { table: 'input', address: 0, type: 'uint16' } } } as Profile;
    expect(problemsOf(() => compileProfile(withModbus, shapeCheck))).toEqual(expect.arrayContaining([
      { path: '/fields/reg', message: 'is a Modbus field (table, address): a JSON profile reads fields by path' },
    ]));
    const modbus = { ...json, transport: 'modbus-tcp', acquisition: { pollIntervalMs: 1000, timeoutMs: 500, limit: 5 } } as Profile;
    expect(problemsOf(() => compileProfile(modbus, shapeCheck))).toEqual(expect.arrayContaining([
      { path: '/json', message: 'is for http-poll and http-push profiles, not modbus-tcp' },
      { path: '/acquisition/limit', message: 'is for http-poll and http-push profiles, not modbus-tcp' },
      { path: '/fields/alarm', message: 'is a JSON field (path): a modbus-tcp profile reads Modbus fields (table, address)' },
    ]));
  });

  it('needs a json section for HTTP transports (schema), reported with its YAML line', () => {
    const text = 'id: x\nversion: 1.0.0\ndeviceClass: spectrometer\ntechnique: raman\nvendor: V\nmodel: M\ntransport: http-push\n'
      + 'acquisition: { pollIntervalMs: 1000, timeoutMs: 500 }\nfields:\n  a: { path: $.a, type: boolean, trueWhen: [1] }\n'
      + 'emit:\n  - { id: r, eventType: result, when: { always: true }, outcome: { alarms: [{ flag: a, category: other }] } }\n';
    try {
      parseProfile(text, 'inline', shapeCheck);
      throw new Error('parsed');
    } catch (e) {
      expect(isBorderlinkError(e) && e.message).toContain("must have required property 'json'");
    }
  });

  it('checks spectrum paths and refuses a spectrum on a device that is not a spectrometer', () => {
    const p = jsonProfile({ alarm: { path: '$.a', type: 'boolean' } }, [RESULT_RULE], {
      deviceClass: 'xray-scanner',
      json: { items: '$', id: '$.id', spectrum: { y: '$.y' } },
    });
    expect(problemsOf(() => compileJsonProfileTyped(p, shapeCheck))).toEqual([
      { path: '/json/spectrum', message: 'y needs its x axis: x (numbers), or firstX and lastX (evenly spaced)' },
      { path: '/json/spectrum', message: 'is for spectrometers (deviceClass is xray-scanner)' },
    ]);
  });
});

describe('JSON profiles: the sync-station profile', () => {
  const load = async (): Promise<JsonProfileAdapter> => compileJsonProfileTyped(await loadProfile(SYNC, shapeCheck), shapeCheck);

  it('compiles to a document adapter that can be polled', async () => {
    const a = await load();
    expect(a.transport).toBe('http-poll');
    expect(a.acquisition).toEqual({
      kind: 'document', mediaTypes: ['application/json'], extensions: ['.json'], maxBytes: 8388608, artifactMediaType: 'application/json',
      poll: { pollIntervalMs: 2000, timeoutMs: 5000, limit: 100, cursorParam: 'since_id', limitParam: 'limit' },
    });
    expect(a.initialState()).toEqual({ v: 1, rules: {} });
    // the registry's entry point compiles JSON profiles too
    const erased = compileProfile(await loadProfile(SYNC, shapeCheck), shapeCheck);
    expect([erased.transport, erased.acquisition.kind]).toEqual(['http-poll', 'document']);
  });

  it('makes one result per new result of a page, with findings from the hit list', async () => {
    const a = await load();
    const page = { results: [
      syncResult(2, { verdict: 'ALARM', threatClass: 'narcotic', hits: [{ name: 'Cocaine HCl', cas: '53-21-4', score: 0.93 }, { name: 'Lidocaine', score: 0.41 }] }),
      syncResult(1),
      syncResult(3, { verdict: 'INCONCLUSIVE', operator: null, instrument: {}, library: null, hits: [{ name: 'Heroin', score: 0.5, fraction: 0.6 }] }),
    ] };
    const r = run(a, [frame(page)]);
    expect(r.failure).toBeUndefined();
    // ascending by id whatever the page's order
    expect(r.drafts.map((d) => d.subject?.inspectionId)).toEqual(['S-00001', 'S-00002', 'S-00003']);
    expect(r.drafts.map((d) => [d.outcome?.state, d.outcome?.categories])).toEqual([['clear', undefined], ['alarm', ['narcotic']], ['indeterminate', undefined]]);
    const alarm = r.drafts[1] as EventDraft;
    expect(alarm).toMatchObject({
      eventType: 'result',
      observedAt: '2026-12-04T10:00:00.250Z',
      outcome: { vendorState: 'ALARM: narcotic', decisionBy: 'machine' },
      findings: [
        { kind: 'substance', name: 'Cocaine HCl', codes: { cas: '53-21-4' }, score: { value: 0.93, min: 0, max: 1, higherIsBetter: true, method: 'syncstation-confidence' } },
        { kind: 'substance', name: 'Lidocaine', score: { value: 0.41 } },
      ],
      source: { operatorId: 'officer-117', device: { serial: 'SS-0042', model: 'Sync Station', firmware: '2.4.1', technique: 'raman' }, algorithm: { name: 'SyncLib', version: '2026.1' } },
      raw: { format: 'syncstation-json-1', nativeIds: { vendorResultId: '2', sampleId: 'S-00002' } },
    });
    expect(alarm.findings?.[1]).not.toHaveProperty('codes');
    // optional fields absent: their keys are left out, never empty or NaN
    const third = r.drafts[2] as EventDraft;
    expect(third.source).toEqual({ device: { technique: 'raman' } });
    expect(third.findings).toEqual([{ kind: 'substance', name: 'Heroin', mixtureFraction: 0.6, score: { value: 0.5, min: 0, max: 1, higherIsBetter: true, method: 'syncstation-confidence' } }]);
    expect(r.state).toMatchObject({ cursor: 3, recent: [1, 2, 3] });
    // every draft is a valid DetectionEvent once wrapped
    const validator = createEventValidator();
    for (const d of r.drafts) {
      const e = buildEnvelope({ draft: d, device: GOLDEN_DEVICE, adapter: a as never, gatewayId: 'gw', eventId: '0190a5a0-0000-7000-8000-000000000001', receivedAt: NOW });
      expect(validator.validate({ ...e, sequence: 1 })).toEqual({ ok: true });
    }
  });

  it('drops polled results at or below the cursor and any recent id, so a page polled again adds nothing', async () => {
    const a = await load();
    const first = run(a, [frame({ results: [syncResult(1), syncResult(2)] })]);
    const again = run(a, [frame({ results: [syncResult(2), syncResult(1)] }), frame({ results: [syncResult(2), syncResult(3)] })], first.state);
    expect(again.drafts.map((d) => d.subject?.inspectionId)).toEqual(['S-00003']);
    expect(again.state.cursor).toBe(3);
    // a pushed result never moves the cursor; pushed again (other bytes) it is dropped by its id
    const pushed = run(a, [frame(syncResult(9), 'http-push'), frame({ ...syncResult(9), operator: 'someone-else' }, 'http-push')], again.state);
    expect(pushed.drafts.length).toBe(1);
    expect(pushed.state.cursor).toBe(3);
    // polling then finds 4..9: 9 came by webhook, so only 4 is new
    const fill = run(a, [frame({ results: [syncResult(4), syncResult(9)] })], pushed.state);
    expect(fill.drafts.map((d) => d.subject?.inspectionId)).toEqual(['S-00004']);
    expect(fill.state.cursor).toBe(9);
    // a state with nothing new is returned as is, so the pipeline writes nothing
    const n = a.normalise({ id: 2, via: 'poll', result: syncResult(2) }, fill.state, { device: GOLDEN_DEVICE, options: {}, now: NOW });
    expect(n.ok && n.value.state).toBe(fill.state);
  });

  it('fails a body that is not JSON or not shaped like a page, whole, with BL_ERR_VENDOR_JSON', async () => {
    const a = await load();
    const cases: Array<[unknown, DocumentFrame['transport'], string]> = [
      ['<html>502 Bad Gateway</html>', 'http-poll', 'the body is not JSON'],
      [{ items: [] }, 'http-poll', 'no results at $.results of the polled page (nothing there)'],
      [{ results: 'none' }, 'http-poll', 'no results at $.results of the polled page (found string)'],
      [{ results: [syncResult(1), { sampleId: 'x' }] }, 'http-poll', 'result 1 has no usable id at $.id (a number is needed): null'],
      ['"just text"', 'http-push', 'no results at $ of the body (found string)'],
    ];
    for (const [body, transport, message] of cases) {
      const r = run(a, [frame(body, transport)]);
      expect(r.failure?.code).toBe('BL_ERR_VENDOR_JSON');
      expect(r.failure?.message).toContain(message);
      expect(r.drafts).toEqual([]);
    }
  });

  it('fails one result whose field is missing or of the wrong type, naming the result and the field', async () => {
    const a = await load();
    const cases: Array<[Record<string, JsonValue>, string]> = [
      [{ sampleId: null }, 'result 5: field sampleId ($.sampleId) is missing'],
      [{ timestamp: '2026-12-04 10:00' }, 'result 5: field time ($.timestamp) is not a timestamp (RFC 3339 with a zone, or Unix seconds): "2026-12-04 10:00"'],
      [{ hits: [{ name: 'x', score: 1.5 }] }, 'result 5: field hits[0].score ($.score) is outside its range [0, 1]: 1.5'],
      [{ hits: [{ score: 0.5 }] }, 'result 5: field hits[0].name ($.name) is missing'],
      [{ hits: { name: 'x' } }, 'result 5: field hits ($.hits) is not a list: {"name":"x"}'],
      [{ technique: 7 }, 'result 5: field technique ($.technique) is not a string: 7'],
    ];
    for (const [over, message] of cases) {
      const r = run(a, [frame({ results: [syncResult(5, over)] })]);
      expect(r.failure).toEqual(expect.objectContaining({ code: 'BL_ERR_VENDOR_JSON', message }));
    }
  });

  it('identifies a spectrum (numbers or embedded JCAMP-DX) beside the station\'s own findings', async () => {
    const a = await load();
    const lib = loadLibrary(DEFAULT_LIBRARY_DIR());
    if (!lib.ok) throw new Error(lib.error.message);
    const s = simulateMeasurement(lib.value, { components: [{ id: 'cocaine-hcl', weight: 1 }] }, { snr: 200, seed: 3, scale: 1000 });
    const y = Array.from(s.y, (v) => Math.round(v * 1000) / 1000);
    const spectrum = { firstX: s.x[0] as number, lastX: s.x[s.x.length - 1] as number, xUnits: '1/cm', yUnits: 'absorbance', y };
    const jcamp = writeJcamp({ title: 'S-00008', dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE', x0: spectrum.firstX, x1: spectrum.lastX, y: s.y, form: 'DIFDUP', yFactor: 0.001 });
    const hits = [{ name: 'Cocaine HCl', cas: '53-21-4', score: 0.95 }];
    const r = run(a, [frame({ results: [
      syncResult(7, { verdict: 'ALARM', threatClass: 'narcotic', hits, spectrum }),
      syncResult(8, { verdict: 'ALARM', threatClass: 'narcotic', hits, jcamp }),
    ] })], undefined, true);
    expect(r.failure).toBeUndefined();
    for (const d of r.drafts) {
      const device = d.findings?.filter((f) => f.origin !== 'gateway') ?? [];
      const gateway = d.findings?.filter((f) => f.origin === 'gateway') ?? [];
      expect(device.map((f) => f.name)).toEqual(['Cocaine HCl']);
      expect(gateway[0]).toMatchObject({ category: 'narcotic', identified: true, score: { method: 'hqi-correlation', max: 100 }, reference: { library: 'borderlink-seed' } });
      expect(d.spectrum?.npoints).toBe(256);
      expect(d.spectrum?.firstX).toBe(650);
    }
    expect(r.drafts[0]?.attachments).toBeUndefined();
    expect(r.drafts[1]?.attachments).toEqual([expect.objectContaining({ kind: 'jcamp-dx', mediaType: 'chemical/x-jcamp-dx' })]);
    // without the gateway's library the device findings stand alone
    const plain = run(a, [frame({ results: [syncResult(7, { verdict: 'ALARM', threatClass: 'narcotic', hits, spectrum })] })]);
    expect(plain.drafts[0]?.findings?.every((f) => f.origin !== 'gateway')).toBe(true);
    // a broken spectrum fails that result
    const broken = run(a, [frame({ results: [syncResult(9, { spectrum: { ...spectrum, y: [1, 'x'] } })] })], undefined, true);
    expect(broken.failure?.message).toContain('result 9: spectrum y ($.spectrum.y) must be 2-65536 finite numbers');
  });

  it('references the raw body the pipeline stored as an artifact from every event', async () => {
    const a = await load();
    const ctx: CodecContext<unknown> = { device: GOLDEN_DEVICE, options: {}, now: NOW, artifact: { sha256: 'ab'.repeat(32), bytes: 10, mediaType: 'application/json', uri: `/v1/artifacts/${'ab'.repeat(32)}` } };
    const d = a.decode(frame(syncResult(1), 'http-push'), ctx);
    if (!d.ok) throw new Error(d.error.message);
    const n = a.normalise(d.value[0]!, a.initialState(), ctx);
    expect(n.ok && n.value.drafts[0]?.artifacts).toEqual([{ kind: 'raw', mediaType: 'application/json', uri: `/v1/artifacts/${'ab'.repeat(32)}`, sha256: 'ab'.repeat(32), bytes: 10 }]);
  });
});

describe('JSON profiles: fields', () => {
  const fields: { [name: string]: JsonFieldSpec } = {
    alarm: { path: '$.flags.alarm', type: 'boolean' },
    count: { path: "$['the count']", type: 'integer', required: false, default: 0 },
    at: { path: '$.t', type: 'timestamp' },
    names: { path: '$.hits[*].name', type: 'list', items: { value: { path: '$', type: 'string' } } },
  };
  const profile = jsonProfile(fields, [{
    id: 'r', eventType: 'result', when: { always: true, unless: 'alarm' }, timing: { endEpochSeconds: 'at' },
    outcome: { alarms: [{ flag: 'alarm', category: 'other' }], vendorState: 'n=${count}' },
    findings: [{ each: 'names', kind: 'substance', name: '${names.value}' }],
  }], { transport: 'http-push', json: { items: '$', id: '$.id', cursor: { type: 'string' } } });

  it('reads strictly typed values, defaults, Unix-second timestamps and [*] lists; gates with unless', () => {
    const a = compileJsonProfileTyped(profile, shapeCheck);
    const r = run(a, [
      frame({ id: 'b', flags: { alarm: false }, t: 1795428000.5, hits: [{ name: 'x' }, { other: 1 }, { name: 'y' }] }, 'http-push'),
      frame({ id: 'a', flags: { alarm: true }, t: '2026-12-04T10:00:00+01:00', 'the count': 4 }, 'http-push'),
      frame({ id: 'c', flags: { alarm: false }, t: '2026-12-04T10:00:00+01:00', 'the count': 4 }, 'http-push'),
    ]);
    expect(r.failure).toBeUndefined();
    expect(r.drafts.map((d) => [d.observedAt, d.outcome?.vendorState, d.findings?.map((f) => f.name)])).toEqual([
      ['2026-11-23T10:00:00.500Z', 'n=0', ['x', 'y']],
      ['2026-12-04T09:00:00.000Z', 'n=4', undefined],
    ]);
    // string ids; pushed, so no cursor
    expect(r.state).toEqual({ v: 1, rules: {}, recent: ['b', 'a', 'c'] });
    const wrong = run(a, [frame({ id: 'd', flags: { alarm: 'yes' }, t: 0 }, 'http-push')]);
    expect(wrong.failure?.message).toBe('result d: field alarm ($.flags.alarm) is not true or false: "yes"');
    const fraction = compileJsonProfileTyped({ ...profile, fields: { ...fields, count: { path: '$.c', type: 'integer' } } }, shapeCheck);
    expect(run(fraction, [frame({ id: 'e', flags: { alarm: false }, t: 0, c: 1.5 }, 'http-push')]).failure?.message).toBe('result e: field count ($.c) is not an integer: 1.5');
  });
});
