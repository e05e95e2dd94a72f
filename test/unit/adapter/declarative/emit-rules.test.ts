import { describe, expect, it } from 'vitest';
import { compileProfileTyped, type ProfileAdapter } from '../../../../src/adapter/declarative/compile-profile.js';
import { createProfileShapeCheck } from '../../../../src/adapter/declarative/profile-shape.js';
import { readProfileState, type ProfileState } from '../../../../src/adapter/declarative/emit-rules.js';
import type { EmitRuleSpec, FieldValues } from '../../../../src/adapter/declarative/profile-types.js';
import type { DecodeFailure, EventDraft } from '../../../../src/adapter/types.js';
import type { JsonValue } from '../../../../src/schema/detection-event.js';
import { testProfile } from '../../../helpers/profile-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
const DEVICE = { id: 'd1', siteId: 'XXTST' };

/** Full values for the test fields, with overrides. */
const v = (o: Partial<{ flag: boolean; other: boolean; count: number; rate: number; label: string; coil: boolean }> = {}): FieldValues =>
  ({ flag: false, other: false, count: 0, rate: 0, label: '0x0000', coil: false, ...o });

const shapeCheck = createProfileShapeCheck();

function adapterOf(...rules: EmitRuleSpec[]): ProfileAdapter {
  return compileProfileTyped(testProfile(rules), shapeCheck);
}

interface Step { drafts: EventDraft[]; state: ProfileState; same: boolean }

/** Feeds polls through normalise, threading the state; returns what each poll produced. */
function run(adapter: ProfileAdapter, polls: readonly (readonly [offsetMs: number, values: FieldValues])[], start: ProfileState = adapter.initialState()): Step[] {
  let state = start;
  return polls.map(([offset, values]) => {
    const r = adapter.normalise({ values }, state, { device: DEVICE, options: {}, now: T0 + offset });
    if (!r.ok) throw new Error(`normalise failed: ${r.error.code} ${r.error.message}`);
    const same = r.value.state === state;
    state = r.value.state;
    return { drafts: r.value.drafts, state, same };
  });
}

const fired = (steps: Step[]): number[] => steps.map((s) => s.drafts.length);

const faultRule = (when: EmitRuleSpec['when'], active?: string | boolean): EmitRuleSpec => ({
  id: 'f', eventType: 'fault', when, fault: { code: 'x', ...(active === undefined ? {} : { active }) },
});

describe('triggers', () => {
  it('changed: the first observation only sets the baseline; then fires on each difference', () => {
    const a = adapterOf(faultRule({ changed: 'count' }, true));
    const steps = run(a, [[0, v({ count: 5 })], [1, v({ count: 5 })], [2, v({ count: 6 })], [3, v({ count: 6 })], [4, v({ count: 2 })]]);
    expect(fired(steps)).toEqual([0, 0, 1, 0, 1]);
  });

  it('returns the very same state object when nothing changed (lets the pipeline skip a commit)', () => {
    const a = adapterOf(faultRule({ changed: 'count' }, true));
    const steps = run(a, [[0, v({ count: 5 })], [1, v({ count: 5 })], [2, v({ count: 6 })]]);
    expect(steps.map((s) => s.same)).toEqual([false, true, false]);
  });

  it('changed with a baseline: a first observation that differs from it fires', () => {
    const a = adapterOf(faultRule({ changed: 'flag', baseline: false }, '${flag}'));
    expect(fired(run(a, [[0, v({ flag: true })], [1, v({ flag: true })], [2, v({ flag: false })]]))).toEqual([1, 0, 1]);
    expect(fired(run(a, [[0, v({ flag: false })], [1, v({ flag: true })]]))).toEqual([0, 1]);
  });

  it('increased: fires on a rise, a fall (counter reset) only moves the baseline', () => {
    const a = adapterOf(faultRule({ increased: 'count' }, true));
    const steps = run(a, [[0, v({ count: 41 })], [1, v({ count: 42 })], [2, v({ count: 0 })], [3, v({ count: 0 })], [4, v({ count: 1 })]]);
    expect(fired(steps)).toEqual([0, 1, 0, 0, 1]);
  });

  it('rising and falling fire on their edge only, with active defaulting from the edge', () => {
    const a = adapterOf(
      { id: 'up', eventType: 'fault', when: { rising: 'flag' }, fault: { code: 'up' } },
      { id: 'down', eventType: 'fault', when: { falling: 'flag' }, fault: { code: 'down' } },
    );
    const steps = run(a, [[0, v({ flag: true })], [1, v({ flag: false })], [2, v({ flag: true })], [3, v({ flag: true })]]);
    expect(steps.map((s) => s.drafts.map((d) => `${d.fault?.code}:${String(d.fault?.active)}`))).toEqual([[], ['down:false'], ['up:true'], []]);
  });

  it('every: fires on the first poll, then at most once per period', () => {
    const a = adapterOf({ id: 'm', eventType: 'measurement', when: { every: 10 }, measurements: [{ detectorId: 'G1', category: 'gamma' }] });
    const steps = run(a, [[0, v()], [5000, v()], [9999, v()], [10000, v()], [15000, v()], [20500, v()]]);
    expect(fired(steps)).toEqual([1, 0, 0, 1, 0, 1]);
  });

  it('every: fires again at once if the gateway clock stepped backwards', () => {
    const a = adapterOf({ id: 'm', eventType: 'measurement', when: { every: 10 }, measurements: [{ detectorId: 'G1', category: 'gamma' }] });
    expect(fired(run(a, [[60000, v()], [1000, v()], [2000, v()]]))).toEqual([1, 1, 0]);
  });

  it('while / unless gate every, and do not queue up a missed emission', () => {
    const a = adapterOf({ id: 'm', eventType: 'measurement', when: { every: 10, while: 'flag', unless: 'other' }, measurements: [{ detectorId: 'G1', category: 'gamma' }] });
    const steps = run(a, [
      [0, v({ flag: false })], [1000, v({ flag: true })], [5000, v({ flag: true, other: true })],
      [11000, v({ flag: true, other: true })], [12000, v({ flag: true })], [13000, v({ flag: true })],
    ]);
    expect(fired(steps)).toEqual([0, 1, 0, 0, 1, 0]);
  });

  it('a gated edge still moves its baseline: the change is not emitted later', () => {
    const a = adapterOf(faultRule({ changed: 'count', unless: 'coil' }, true));
    const steps = run(a, [[0, v({ count: 1 })], [1, v({ count: 2, coil: true })], [2, v({ count: 2 })], [3, v({ count: 3 })]]);
    expect(fired(steps)).toEqual([0, 0, 0, 1]);
  });

  it('evaluates rules in profile order', () => {
    const a = adapterOf(
      { id: 'b', eventType: 'fault', when: { rising: 'flag' }, fault: { code: 'second-rule' } },
      { id: 'a', eventType: 'status', when: { rising: 'flag' }, status: { state: 'degraded' } },
    );
    const [, step] = run(a, [[0, v()], [1, v({ flag: true })]]);
    expect(step?.drafts.map((d) => d.eventType)).toEqual(['fault', 'status']);
  });
});

describe('state', () => {
  const a = adapterOf(faultRule({ changed: 'count' }, true));

  it('is plain JSON that survives a round trip (as the outbox stores it)', () => {
    const [first] = run(a, [[0, v({ count: 3 })]]);
    const stored = JSON.parse(JSON.stringify(first?.state)) as ProfileState;
    expect(stored).toEqual({ v: 1, rules: { f: { kind: 'edge', field: 'count', last: 3 } } });
    expect(fired(run(a, [[1, v({ count: 3 })], [2, v({ count: 4 })]], stored))).toEqual([0, 1]);
  });

  it('forgets unusable memory instead of failing (damaged store, older profile)', () => {
    const garbage: JsonValue[] = [null, 7, 'x', [], { v: 2, rules: {} }, { v: 1, rules: [] }];
    for (const g of garbage) expect(readProfileState(g)).toEqual({ v: 1, rules: {} });
    const mixed = readProfileState({ v: 1, rules: { f: { kind: 'edge', field: 'count', last: 1 }, g: { kind: 'every', emittedAt: 'soon' } } });
    expect(mixed).toEqual({ v: 1, rules: { f: { kind: 'edge', field: 'count', last: 1 } } });
  });

  it('re-baselines a rule whose field changed since the state was written', () => {
    const old: ProfileState = { v: 1, rules: { f: { kind: 'edge', field: 'rate', last: 99 } } };
    expect(fired(run(a, [[0, v({ count: 5 })], [1, v({ count: 6 })]], old))).toEqual([0, 1]);
  });
});

describe('event bodies', () => {
  const result: EmitRuleSpec = {
    id: 'r',
    eventType: 'result',
    when: { changed: 'count' },
    timing: { endEpochSeconds: 'count', durationMs: 'rate' },
    subject: { inspectionId: 'occ-${count}-$${literal}-$$' },
    outcome: {
      alarms: [{ flag: 'flag', category: 'gamma' }, { flag: 'other', category: 'neutron' }, { flag: 'coil', category: 'gamma' }],
      indeterminateWhen: ['coil'],
      vendorState: 'flags ${label} ${flag}',
    },
    findings: [
      { when: 'flag', kind: 'count-exceedance', category: 'gamma', score: { value: '${rate}', method: 'n-sigma', higherIsBetter: true, min: 0 }, detectors: ['G${count}'] },
      { when: 'other', kind: 'count-exceedance', category: 'neutron' },
    ],
    measurements: [
      { detectorId: 'G1', category: 'gamma', speedKmh: 12.5, countRateCps: '${rate}', occupied: '${flag}' },
      { when: 'other', detectorId: 'N1', category: 'neutron' },
    ],
    source: {
      algorithm: { name: 'n-sigma', version: 'v${label}', settings: { n: '${rate}', text: 'r=${rate}', fixed: 4, none: null, on: '${flag}' } },
      device: { firmware: '${label}', serial: 'S-${count}' },
    },
    raw: { format: 'modbus', nativeIds: { occ: '${count}' }, extensions: { c: '${count}' } },
  };

  it('builds every part from field references and constants', () => {
    const a = adapterOf(result);
    const [, step] = run(a, [[0, v({ count: 1_800_000_000 })], [1, v({ count: 1_800_000_010, rate: 1500, flag: true, label: '0x00ff' })]]);
    expect(step?.drafts).toEqual([{
      eventType: 'result',
      observedAt: '2027-01-15T08:00:08.500Z',
      endedAt: '2027-01-15T08:00:10.000Z',
      quality: 'good',
      subject: { inspectionId: 'occ-1800000010-${literal}-$' },
      outcome: { state: 'alarm', categories: ['gamma'], decisionBy: 'machine', vendorState: 'flags 0x00ff true' },
      findings: [{ kind: 'count-exceedance', category: 'gamma', score: { value: 1500, min: 0, higherIsBetter: true, method: 'n-sigma' }, detectors: ['G1800000010'] }],
      measurements: [{ detectorId: 'G1', category: 'gamma', countRateCps: 1500, occupied: true, speedKmh: 12.5 }],
      raw: { format: 'modbus', nativeIds: { occ: '1800000010' }, extensions: { c: 1800000010 } },
      source: {
        device: { serial: 'S-1800000010', firmware: '0x00ff' },
        algorithm: { name: 'n-sigma', version: 'v0x00ff', settings: { n: 1500, text: 'r=1500', fixed: 4, none: null, on: true } },
      },
    }]);
  });

  it('outcome: categories once each; indeterminate when only an indeterminate flag is up; else clear', () => {
    const a = adapterOf({ ...result, timing: undefined, findings: undefined, measurements: undefined, source: undefined, raw: undefined });
    const outcomes = run(a, [
      [0, v({ count: 1 })],
      [1, v({ count: 2, flag: true, other: true, coil: true })],
      [2, v({ count: 3, coil: true })],
      [3, v({ count: 4 })],
    ]).flatMap((s) => s.drafts.map((d) => d.outcome));
    expect(outcomes.map((o) => [o?.state, o?.categories])).toEqual([
      ['alarm', ['gamma', 'neutron']], ['alarm', ['gamma']], ['clear', undefined],
    ]);
    const b = adapterOf({ ...result, outcome: { alarms: [{ flag: 'flag', category: 'gamma' }], indeterminateWhen: ['coil'] }, timing: undefined });
    const [, s] = run(b, [[0, v({ count: 1 })], [1, v({ count: 2, coil: true })]]);
    expect(s?.drafts[0]?.outcome).toEqual({ state: 'indeterminate', decisionBy: 'machine' });
  });

  it('without timing, observedAt is the poll time; with only an end, observedAt is the end', () => {
    const a = adapterOf({ id: 'f', eventType: 'fault', when: { rising: 'flag' }, fault: { code: 'x' } });
    const [, s] = run(a, [[0, v()], [1234, v({ flag: true })]]);
    expect(s?.drafts[0]).toEqual({ eventType: 'fault', observedAt: '2026-01-01T00:00:01.234Z', quality: 'good', fault: { code: 'x', active: true } });
    const b = adapterOf({ id: 'f', eventType: 'fault', when: { rising: 'flag' }, timing: { endEpochSeconds: 'count', endMillis: 'rate' }, fault: { code: 'x' } });
    const [, t] = run(b, [[0, v()], [1, v({ flag: true, count: 1_800_000_000, rate: 7 })]]);
    expect(t?.drafts[0]?.observedAt).toBe('2027-01-15T08:00:00.007Z');
    expect(t?.drafts[0]?.endedAt).toBeUndefined();
  });

  it('a time the device clock fields cannot express fails the poll and keeps the state', () => {
    const a = adapterOf({ id: 'f', eventType: 'fault', when: { rising: 'flag' }, timing: { endEpochSeconds: 'count', durationMs: 'rate' }, fault: { code: 'x' } });
    const [first] = run(a, [[0, v()]]);
    const state = first?.state ?? a.initialState();
    const r = a.normalise({ values: v({ flag: true, count: 1, rate: 5000 }) }, state, { device: DEVICE, options: {}, now: T0 });
    expect(r.ok).toBe(false);
    expect((r as { error: DecodeFailure }).error.code).toBe('BL_ERR_PROFILE_EMIT');
  });

  it('status events carry since on edge triggers; fault active follows a bool field', () => {
    const a = adapterOf(
      { id: 's', eventType: 'status', when: { rising: 'coil' }, status: { state: 'maintenance', detail: 'coil ${coil}' } },
      { id: 'f', eventType: 'fault', when: { changed: 'flag' }, quality: 'uncertain', fault: { code: 'c', severity: 'warning', active: '${flag}', detail: 'd' } },
    );
    const [, s, t] = run(a, [[0, v()], [1, v({ coil: true, flag: true })], [2, v({ coil: true, flag: false })]]);
    expect(s?.drafts).toEqual([
      { eventType: 'status', observedAt: '2026-01-01T00:00:00.001Z', quality: 'good', status: { state: 'maintenance', detail: 'coil true', since: '2026-01-01T00:00:00.001Z' } },
      { eventType: 'fault', observedAt: '2026-01-01T00:00:00.001Z', quality: 'uncertain', fault: { code: 'c', active: true, severity: 'warning', detail: 'd' } },
    ]);
    expect(t?.drafts.map((d) => d.fault?.active)).toEqual([false]);
  });
});
