/**
 * OPC UA profiles (src/adapter/declarative/opcua-profile.ts): the plan a profile compiles to, the
 * problems it reports (with paths, all at once), and decode + the emit reducer on OPC UA frames.
 * The shipped profile's golden cases run in golden-cases.test.ts; the real connector and
 * simulator in test/e2e/opcua-profile.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileOpcUaProfileTyped, profileProblems } from '../../../../src/adapter/declarative/compile-profile.js';
import { loadProfile, parseProfile } from '../../../../src/adapter/declarative/load-profile.js';
import type { OpcUaProfileAdapter, OpcUaRecord } from '../../../../src/adapter/declarative/opcua-profile.js';
import { createProfileShapeCheck } from '../../../../src/adapter/declarative/profile-shape.js';
import type { Profile } from '../../../../src/adapter/declarative/profile-types.js';
import type { CodecContext, EventDraft, OpcUaFrame } from '../../../../src/adapter/types.js';
import { isBorderlinkError } from '../../../../src/errors.js';
import type { JsonValue } from '../../../../src/schema/detection-event.js';
import { packageRoot } from '../../../../src/package-root.js';

const ROOT = packageRoot();
const SHIPPED = path.join(ROOT, 'adapters', 'xray-opcua-profile', 'profile.yaml');
const EVENTS = path.join(ROOT, 'test', 'fixtures', 'opcua-profile', 'xray-sim-events.profile.yaml');
const NS = 'urn:borderlink:sim:xray';
const shape = createProfileShapeCheck();

const base = (over: Partial<Profile> & Pick<Profile, 'fields' | 'emit'>): Profile => ({
  id: 'opcua-test', version: '1.0.0', deviceClass: 'xray-scanner', technique: 'transmission', vendor: 'V', model: 'M',
  transport: 'opcua', acquisition: {}, ...over,
});

const ctx = (now: number): CodecContext<unknown> => ({ device: { id: 'd', siteId: 'XXTST' }, options: {}, now });

const dataChange = (receivedAt: number, values: { [k: string]: JsonValue }, changed: string[], quality: OpcUaFrame['quality'] = 'good'): OpcUaFrame =>
  ({ transport: 'opcua', receivedAt, source: 'data-change', values, changed, quality });
const eventFrame = (receivedAt: number, values: { [k: string]: JsonValue }, event: { [k: string]: JsonValue }): OpcUaFrame =>
  ({ transport: 'opcua', receivedAt, source: 'event', values, changed: [], event, quality: 'good' });

/** Runs frames through decode and the reducer, as the pipeline does; stops at the first failure. */
function run(adapter: OpcUaProfileAdapter, frames: OpcUaFrame[]): { drafts: EventDraft[]; failure?: { code: string; message: string; frame: number } } {
  let state = adapter.initialState();
  const drafts: EventDraft[] = [];
  for (const [i, f] of frames.entries()) {
    const d = adapter.decode(f, ctx(f.receivedAt));
    if (!d.ok) return { drafts, failure: { ...d.error, frame: i } };
    for (const r of d.value) {
      const n = adapter.normalise(r, state, ctx(f.receivedAt));
      if (!n.ok) return { drafts, failure: { ...n.error, frame: i } };
      state = n.value.state;
      drafts.push(...n.value.drafts);
    }
  }
  return { drafts };
}

function problemsOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (e) {
    if (isBorderlinkError(e)) return (e.detail?.problems as Array<{ path: string; message: string }>).map(({ path: p, message }) => ({ path: p, message }));
    throw e;
  }
  throw new Error('expected a BL_ERR_PROFILE_INVALID');
}

describe('OPC UA profiles: compile', () => {
  it('compiles the shipped scanner profile: one monitored item per node, however many fields read it', async () => {
    const adapter = compileOpcUaProfileTyped(await loadProfile(SHIPPED), shape);
    expect(adapter.transport).toBe('opcua');
    const plan = adapter.acquisition;
    expect(plan.kind).toBe('opcua');
    if (plan.kind !== 'opcua') return;
    expect(plan.publishingIntervalMs).toBe(250);
    expect(plan.events).toBeUndefined();
    // state, operational, faulted and maintenance read one node; the alias is expanded
    const state = plan.nodes.filter((n) => n.browsePath === `{${NS}}Scanner/{${NS}}State`);
    expect(state).toEqual([{ name: 'state', browsePath: `{${NS}}Scanner/{${NS}}State`, samplingIntervalMs: 0, queueSize: 10 }]);
    expect(plan.nodes.filter((n) => n.nodeId?.endsWith('.ThreatObjects'))).toHaveLength(1);
    expect(new Set(plan.nodes.map((n) => n.name)).size).toBe(plan.nodes.length);
    expect(plan.nodes).toHaveLength(15);
  });

  it('compiles an event profile: notifier and event fields expanded, EventType selected for the type filter', async () => {
    const adapter = compileOpcUaProfileTyped(await loadProfile(EVENTS), shape);
    const plan = adapter.acquisition;
    if (plan.kind !== 'opcua') throw new Error('not an OPC UA plan');
    expect(plan.events?.notifier).toBe(`{${NS}}Scanner`);
    expect(plan.events?.fields).toEqual([`{${NS}}ScanId`, `{${NS}}ScanSequence`, `{${NS}}ScanTime`, `{${NS}}AlarmDecision`, 'EventType', 'Message', 'Severity']);
    expect(plan.nodes.map((n) => n.name)).toEqual(['state']);
  });

  it('reports every problem at once, each at its path', () => {
    const p = base({
      acquisition: { pollIntervalMs: 1000, samplingIntervalMs: 0 },
      json: { items: '$', id: '$.id' },
      opcua: { namespaces: { xr: `${NS}` }, events: { notifier: '{xr}Scanner', types: ['ns=2;s=ScanCompletedEventType'] } },
      fields: {
        modbus: { table: 'input', address: 0, type: 'uint16' },
        unknownAlias: { browsePath: '{zz}Scanner/{zz}State', type: 'string' },
        fromObjects: { browsePath: 'Objects/{xr}Scanner', type: 'string' },
        badId: { nodeId: 'ns=2;x=1', type: 'string' },
        q1: { nodeId: 'ns=2;s=A', type: 'number', queueSize: 5 },
        q2: { nodeId: 'ns=2;s=A', type: 'number', queueSize: 6 },
        enumOnNumber: { nodeId: 'ns=2;s=B', type: 'number', enum: ['x'] },
        sampledEvent: { event: '{xr}ScanId', type: 'string', samplingIntervalMs: 5 },
        fine: { browsePath: '{xr}Scanner/{xr}State', type: 'string' },
      },
      emit: [{ id: 's', eventType: 'status', when: { rising: 'fine' }, status: { state: 'online' } }],
    } as unknown as Parameters<typeof base>[0]);
    expect(problemsOf(() => compileOpcUaProfileTyped(p, shape))).toEqual(expect.arrayContaining([
      { path: '/acquisition/pollIntervalMs', message: expect.stringContaining('is not for OPC UA profiles') },
      { path: '/json', message: 'is for http-poll and http-push profiles, not opcua' },
      { path: '/fields/modbus', message: expect.stringContaining('is a Modbus field') },
      { path: '/fields/unknownAlias/browsePath', message: '{zz} is neither a namespace URI nor an alias of opcua.namespaces' },
      { path: '/fields/fromObjects/browsePath', message: expect.stringContaining('leave out "Objects"') },
      { path: '/fields/badId/nodeId', message: expect.stringContaining('is not ns=<index>') },
      { path: '/fields/q2/queueSize', message: 'is 6, but field q1 monitors the same node with 5' },
      { path: '/fields/enumOnNumber/enum', message: 'is not allowed for a number field' },
      { path: '/fields/sampledEvent/samplingIntervalMs', message: 'is for node fields (an event is not sampled)' },
      { path: '/opcua/events/types/0', message: expect.stringContaining('name it by URI') },
      { path: '/emit/0/when/rising', message: 'field "fine" is text, needs a bool' },
    ]));
  });

  it('refuses an event field without opcua.events, and OPC UA keys in a Modbus profile', () => {
    const p = base({
      fields: { msg: { event: 'Message', type: 'string' } },
      emit: [{ id: 's', eventType: 'status', when: { changed: 'msg' }, status: { state: 'online' } }],
    } as unknown as Parameters<typeof base>[0]);
    expect(profileProblems(p)).toContainEqual({ path: '/fields/msg/event', message: 'reads an event field, but opcua.events names no notifier to subscribe to' });
    const m = base({
      transport: 'modbus-tcp',
      acquisition: { pollIntervalMs: 1000, timeoutMs: 500, queueSize: 3 },
      opcua: { namespaces: { a: 'urn:a' } },
      fields: { s: { nodeId: 'ns=1;s=S', type: 'string' } as never },
      emit: [{ id: 's', eventType: 'status', when: { changed: 's' }, status: { state: 'online' } }],
    });
    expect(profileProblems(m)).toEqual(expect.arrayContaining([
      { path: '/opcua', message: 'is for OPC UA profiles, not modbus-tcp' },
      { path: '/acquisition/queueSize', message: 'is for OPC UA profiles, not modbus-tcp' },
      { path: '/fields/s', message: expect.stringContaining('is an OPC UA field') },
    ]));
  });

  it('checks the shape with the schema, with YAML lines: one source per field, acquisition of the transport', () => {
    const text = [
      'id: opcua-test', 'version: 1.0.0', 'deviceClass: xray-scanner', 'technique: t', 'vendor: V', 'model: M', 'transport: opcua',
      'acquisition: { publishingIntervalMs: 5 }',
      'fields:',
      '  both: { nodeId: "ns=1;s=A", browsePath: "1:A", type: string }',
      '  untyped: { nodeId: "ns=1;s=B" }',
      'emit:',
      '  - { id: s, eventType: status, when: { changed: both }, status: { state: online } }',
    ].join('\n');
    const problems = problemsOf(() => parseProfile(text, 'inline.yaml', shape));
    expect(problems).toEqual(expect.arrayContaining([
      { path: '/acquisition/publishingIntervalMs', message: 'must be >= 10' },
      { path: '/fields/both', message: 'needs exactly one of: nodeId, browsePath, event' },
      { path: '/fields/untyped', message: "must have required property 'type'" },
    ]));
    // and a Modbus profile still needs its poll timing
    const modbus = text.replace('transport: opcua', 'transport: modbus-tcp').replace('acquisition: { publishingIntervalMs: 5 }', 'acquisition: {}');
    expect(problemsOf(() => parseProfile(modbus, 'inline.yaml', shape))).toEqual(expect.arrayContaining([
      { path: '/acquisition', message: "must have required property 'pollIntervalMs'" },
    ]));
  });
});

describe('OPC UA profiles: decode and emit', () => {
  const scanner = (): OpcUaProfileAdapter => compileOpcUaProfileTyped(base({
    acquisition: { publishingIntervalMs: 100 },
    fields: {
      state: { browsePath: `{${NS}}Scanner/{${NS}}State`, type: 'string', enum: ['ready', 'fault'] },
      faulted: { browsePath: `{${NS}}Scanner/{${NS}}State`, type: 'boolean', trueWhen: ['fault'] },
      seq: { nodeId: `nsu=${NS};s=Seq`, type: 'integer' },
      tempC: { nodeId: `nsu=${NS};s=Temp`, type: 'number', scale: 0.1, offset: -40, range: [-40, 100], required: false },
      tags: { nodeId: `nsu=${NS};s=Tags`, parse: 'json', type: 'list', required: false, items: { n: { path: '$.n', type: 'string' } } },
    },
    emit: [
      { id: 'fault', eventType: 'fault', when: { changed: 'faulted', baseline: false }, fault: { code: 'f', active: '${faulted}' } },
      { id: 'scan', eventType: 'result', when: { increased: 'seq' }, subject: { inspectionId: 'S-${seq} ${tempC}' }, outcome: { alarms: [{ flag: 'faulted', category: 'other' }] },
        findings: [{ each: 'tags', kind: 'threat-object', name: '${tags.n}' }] },
    ],
  }), shape);

  it('reads typed, scaled and parsed values; a refused value fails only the frame where it changed', () => {
    const a = scanner();
    const v = (state: string, seq: number, temp: JsonValue, tags: JsonValue): { [k: string]: JsonValue } => ({ state, seq, tempC: temp, tags });
    const r = run(a, [
      dataChange(1000, v('ready', 4, 600, ''), ['state', 'seq', 'tempC', 'tags']),
      dataChange(2000, v('warming', 4, 600, ''), ['state']),
    ]);
    expect(r.drafts).toEqual([]);
    expect(r.failure?.code).toBe('BL_ERR_OPCUA_VALUE');
    expect(r.failure?.message).toContain(`field state ({${NS}}Scanner/{${NS}}State) is not one of "ready", "fault": "warming"`);
    expect(r.failure?.frame).toBe(1);

    // the same bad state, unchanged, does not block the next scan (it reads as absent)
    let state = a.initialState();
    const drafts: EventDraft[] = [];
    for (const f of [
      dataChange(1000, v('ready', 4, 600, ''), ['state', 'seq', 'tempC', 'tags']),
      dataChange(3000, v('warming', 5, 655, '[{"n":"a"},{"n":"b"}]'), ['seq', 'tempC', 'tags']),
    ]) {
      const d = a.decode(f, ctx(f.receivedAt));
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      for (const rec of d.value as OpcUaRecord[]) {
        const n = a.normalise(rec, state, ctx(f.receivedAt));
        if (!n.ok) throw new Error(n.error.message);
        state = n.value.state;
        drafts.push(...n.value.drafts);
      }
    }
    expect(drafts).toEqual([expect.objectContaining({
      eventType: 'result', subject: { inspectionId: 'S-5 25.5' }, outcome: { state: 'clear', decisionBy: 'machine' },
      findings: [{ kind: 'threat-object', name: 'a' }, { kind: 'threat-object', name: 'b' }],
    })]);
  });

  it('fails JSON text that does not parse, out-of-range values and wrong types, where they changed', () => {
    const a = scanner();
    const first = dataChange(1000, { state: 'ready', seq: 1, tempC: 600, tags: '' }, ['state', 'seq', 'tempC', 'tags']);
    for (const [bad, changed, words] of [
      [{ tags: '[{"n":' }, ['tags'], 'is not JSON text'],
      [{ tempC: 2000 }, ['tempC'], 'is outside its range [-40, 100]: 160'],
      [{ seq: '7' }, ['seq'], 'is not a number'],
      [{ seq: null }, ['seq'], 'is missing'],
    ] as const) {
      const r = run(a, [first, dataChange(2000, { ...first.values, ...bad }, [...changed])]);
      expect(r.failure?.code, JSON.stringify(bad)).toBe('BL_ERR_OPCUA_VALUE');
      expect(r.failure?.message).toContain(words);
    }
  });

  it('lowers the quality of events from an uncertain frame, and fires edges on the first observation only with a baseline', () => {
    const a = scanner();
    const r = run(a, [
      dataChange(1000, { state: 'fault', seq: 1, tempC: null, tags: '' }, ['state', 'seq', 'tempC', 'tags'], 'uncertain'),
      dataChange(2000, { state: 'fault', seq: 2, tempC: null, tags: '' }, ['seq']),
    ]);
    expect(r.failure).toBeUndefined();
    expect(r.drafts.map((d) => [d.eventType, d.quality, d.fault?.active, d.outcome?.state])).toEqual([
      ['fault', 'uncertain', true, undefined],
      ['result', 'good', undefined, 'alarm'],
    ]);
  });

  it('reads events of the listed types only; event fields are absent from data changes', async () => {
    const a = compileOpcUaProfileTyped(await loadProfile(EVENTS), shape);
    const values = { state: 'ready' };
    const scanEvent = {
      EventType: `nsu=${NS};s=ScanCompletedEventType`, [`ScanId`]: 'XR-00000003', ScanSequence: 3, ScanTime: '2026-11-23T10:33:21.500Z',
      AlarmDecision: 'ALARM', Message: 'scan XR-00000003: ALARM', Severity: 800,
    };
    const r = run(a, [
      dataChange(1000, values, ['state']),
      eventFrame(2000, values, { ...scanEvent, EventType: `nsu=${NS};s=OperatorDecisionEventType`, AlarmDecision: 'CLEAR' }),
      dataChange(2500, { state: 'scanning' }, ['state']),
      eventFrame(3000, { state: 'scanning' }, scanEvent),
    ]);
    expect(r.failure).toBeUndefined();
    expect(r.drafts).toEqual([
      expect.objectContaining({ eventType: 'status', status: expect.objectContaining({ state: 'online', detail: 'scanner ready' }) }),
      {
        eventType: 'result', observedAt: '2026-11-23T10:33:21.500Z', quality: 'good', subject: { inspectionId: 'XR-00000003' },
        outcome: { state: 'alarm', categories: ['other'], decisionBy: 'machine', vendorState: 'ALARM' },
        raw: { format: 'opcua-event', nativeIds: { scanSequence: '3' }, extensions: { message: 'scan XR-00000003: ALARM', severity: 800 } },
      },
    ]);
    // a scan event whose verdict is outside the enum is refused (its event is always new)
    const bad = run(a, [eventFrame(3000, values, { ...scanEvent, AlarmDecision: 'MAYBE' })]);
    expect(bad.failure?.code).toBe('BL_ERR_OPCUA_VALUE');
  });

  it('parses the fixture YAML as the loader does (anchors, aliases, merge keys in the shipped profile)', () => {
    const doc = parse(readFileSync(SHIPPED, 'utf8'), { merge: true }) as Profile;
    expect(doc.emit.map((r) => r.id)).toEqual(['online', 'degraded', 'maintenance', 'scanner-fault', 'scan-alarm', 'scan-alarm-uncategorised', 'scan']);
    expect(profileProblems(doc)).toEqual([]);
  });
});
