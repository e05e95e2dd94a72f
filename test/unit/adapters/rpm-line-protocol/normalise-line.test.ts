import path from 'node:path';
import { describe, expect, it } from 'vitest';
import adapter from '../../../../adapters/rpm-line-protocol/adapter.js';
import type { LineState } from '../../../../adapters/rpm-line-protocol/line-state.js';
import type { CodecContext, EventDraft } from '../../../../src/adapter/types.js';
import { loadAdapters } from '../../../../src/adapter/registry.js';
import { packageRoot } from '../../../../src/package-root.js';
import { createEventValidator } from '../../../../src/schema/validator.js';
import { buildEnvelope } from '../../../../src/pipeline/envelope.js';
import type { LineOptions } from '../../../../adapters/rpm-line-protocol/line-state.js';

const T0 = 1_795_428_000_000;
const DEVICE = { id: 'lane-1', siteId: 'XXTST' };

interface Run {
  drafts: EventDraft[];
  state: LineState;
}

/** Feeds lines (with their arrival times) through decode + normalise, as the pipeline does. */
function feed(lines: ReadonlyArray<[number, string]>, opts: { state?: LineState; options?: LineOptions; roundTripState?: boolean } = {}): Run {
  let state = opts.state ?? adapter.initialState();
  const drafts: EventDraft[] = [];
  for (const [t, line] of lines) {
    const ctx: CodecContext<LineOptions> = { device: DEVICE, options: opts.options ?? {}, now: T0 + t };
    const d = adapter.decode({ transport: 'serial', receivedAt: T0 + t, data: Buffer.from(line, 'latin1') }, ctx);
    if (!d.ok) throw new Error(`${line}: ${d.error.code}`);
    for (const r of d.value) {
      const n = adapter.normalise(r, state, ctx);
      if (!n.ok) throw new Error(`${line}: ${n.error.code}`);
      state = opts.roundTripState === true ? (JSON.parse(JSON.stringify(n.value.state)) as LineState) : n.value.state;
      drafts.push(...n.value.drafts);
    }
  }
  return { drafts, state };
}

const SETUP: Array<[number, string]> = [
  [0, 'SG,04.0,002500,000400,000200'],
  [0, 'SN,04.0,008.00'],
  [0, 'NB,004.00,004.00'],
  [0, 'GB,001000,001000,001000,001000'],
];
const samples = (from: number, n: number, gamma: string, neutron: string, gammaTag = 'GS', neutronTag = 'NS'): Array<[number, string]> =>
  Array.from({ length: n }, (_, i): Array<[number, string]> => [
    [from + 200 * (i + 1), `${gammaTag},${gamma}`],
    [from + 200 * (i + 1), `${neutronTag},${neutron}`],
  ]).flat();

const results = (r: Run): EventDraft[] => r.drafts.filter((d) => d.eventType === 'result');

describe('rpm-line-protocol normalise: occupancy assembly', () => {
  it('turns the samples of one occupancy into one result at GX, with hand-checkable sigma', () => {
    // 10 samples of 300 counts per gamma channel against 1000 cps: a 1 s window holds F = 1500
    // per channel against B = 1000, so sigma = 500 / sqrt(1000) = 15.81; over the sum of the
    // four channels F = 6000, B = 4000: sigma = 2000 / sqrt(4000) = 31.62.
    // Neutron: 2 + 2 counts per sample, 20 per window, B = 8 per window: (20 - 8) / sqrt(8) = 4.24.
    const r = feed([...SETUP, ...samples(1000, 10, '300,300,300,300', '2,2', 'GA', 'NA'), [3000, 'SP,010.0'], [3000, 'SP,012.0'], [3000, 'GX,000017,008.00']]);
    const [result, ...more] = results(r);
    expect(more).toEqual([]);
    expect(result).toMatchObject({
      observedAt: '2026-11-23T10:00:01.000Z',
      endedAt: '2026-11-23T10:00:03.000Z',
      quality: 'good',
      subject: { inspectionId: 'occ-17' },
      outcome: { state: 'alarm', categories: ['gamma', 'neutron'], decisionBy: 'machine', vendorState: 'GA+NA' },
      findings: [
        { kind: 'count-exceedance', category: 'gamma', score: { value: 31.62, higherIsBetter: true, method: 'n-sigma' }, detectors: ['G1', 'G2', 'G3', 'G4'] },
        { kind: 'count-exceedance', category: 'neutron', score: { value: 4.24, higherIsBetter: true, method: 'n-sigma' }, detectors: ['N1', 'N2'] },
      ],
      raw: { format: 'rpm-line', nativeIds: { occupancyCount: '17' }, extensions: { gammaSamples: 10, neutronSamples: 10, maxGammaSigma: 31.62, maxNeutronSigma: 4.24 } },
      source: { algorithm: { name: 'n-sigma', settings: { gammaNSigma: 4, neutronNSigma: 4, samplePeriodMs: 200 } } },
    });
    expect(result?.measurements?.[0]).toEqual({
      detectorId: 'G1', category: 'gamma', realTimeS: 2, grossCounts: 3000, countRateCps: 1500, backgroundRateCps: 1000,
      sigma: 15.81, thresholdCps: 1126.49, occupied: true, speedKmh: 11,
    });
    expect(result?.measurements?.[5]).toMatchObject({ detectorId: 'N2', grossCounts: 20, countRateCps: 10, backgroundRateCps: 4, sigma: 3, thresholdCps: 12 });
    expect(r.state.occupancy).toBeNull();
  });

  it('a clear occupancy has no categories and no findings; the maxima come from the strongest window', () => {
    const g = ['200,200,200,200', '200,200,200,200', '250,200,200,200', '260,200,200,200', '270,200,200,200', '200,200,200,200', '200,200,200,200'];
    const lines: Array<[number, string]> = [...SETUP];
    g.forEach((row, i) => lines.push([1000 + 200 * (i + 1), `GS,${row}`], [1000 + 200 * (i + 1), 'NS,1,0']));
    const [result] = results(feed([...lines, [2500, 'GX,000018,008.00']]));
    expect(result?.outcome).toEqual({ state: 'clear', decisionBy: 'machine', vendorState: 'GS+NS' });
    expect(result?.findings).toBeUndefined();
    // windows of G1: 1120, 1180, 1180 -> 1180 cps; sigma (1180 - 1000) / sqrt(1000) = 5.69
    expect(result?.measurements?.[0]).toMatchObject({ countRateCps: 1180, sigma: 5.69, grossCounts: 1580, realTimeS: 1.4 });
  });

  it('an occupancy shorter than one window gets one window of all its samples at GX', () => {
    const [result] = results(feed([...SETUP, ...samples(1000, 3, '240,240,240,240', '1,1'), [1600, 'GX,000019,008.00']]));
    // 3 samples = 0.6 s: F = 720, B = 600 per channel: rate 1200 cps, sigma 120 / sqrt(600) = 4.9
    expect(result?.measurements?.[0]).toMatchObject({ countRateCps: 1200, sigma: 4.9, realTimeS: 0.6 });
  });

  it('without a background the result is uncertain and carries no sigma, background or threshold', () => {
    const [result] = results(feed([...samples(0, 6, '300,300,300,300', '2,2', 'GA'), [1200, 'GX,000001,008.00']]));
    expect(result?.quality).toBe('uncertain');
    expect(result?.source).toBeUndefined();
    expect(result?.findings).toEqual([{ kind: 'count-exceedance', name: 'gamma gross counts', category: 'gamma', detectors: ['G1', 'G2', 'G3', 'G4'] }]);
    expect(result?.measurements?.[0]).toEqual({ detectorId: 'G1', category: 'gamma', realTimeS: 1.2, grossCounts: 1800, countRateCps: 1500, occupied: true });
  });

  it('a background line closes an occupancy whose GX was lost: alarm stays alarm, clear becomes aborted', () => {
    const r = feed([
      ...SETUP,
      ...samples(1000, 6, '300,300,300,300', '1,1', 'GA'),
      [5000, 'NB,004.00,004.00'],
      [5000, 'GB,001000,001000,001000,001000'],
      ...samples(6000, 4, '200,200,200,200', '1,1'),
      [9000, 'GB,001000,001000,001000,001000'],
    ]);
    const [first, second] = results(r);
    expect(first).toMatchObject({ quality: 'uncertain', outcome: { state: 'alarm', categories: ['gamma'] }, endedAt: '2026-11-23T10:00:02.200Z', raw: { extensions: { incomplete: 'no GX before NB' } } });
    expect(first?.subject).toBeUndefined();
    expect(second).toMatchObject({ quality: 'uncertain', outcome: { state: 'aborted', abortReason: 'no end of occupancy (GX) before GB' } });
  });

  it('a GX with nothing before it is indeterminate; a jump in the counter is reported', () => {
    const r = feed([...SETUP, [500, 'GX,000005,008.00'], ...samples(1000, 5, '200,200,200,200', '1,1'), [2000, 'GX,000009,008.00']]);
    const [first, second] = results(r);
    expect(first).toMatchObject({ quality: 'uncertain', outcome: { state: 'indeterminate', vendorState: 'GX' }, subject: { inspectionId: 'occ-5' } });
    expect(second?.raw?.extensions).toMatchObject({ occupanciesMissed: 3 });
  });

  it('speed lines alone make an indeterminate occupancy, never an empty one', () => {
    const [complete, incomplete] = results(feed([...SETUP, [500, 'SP,010.0'], [700, 'GX,000004,008.00'], [900, 'SP,010.0'], [5000, 'GB,1,1,1,1']]));
    expect(complete).toMatchObject({ outcome: { state: 'indeterminate', vendorState: 'GX' }, subject: { inspectionId: 'occ-4' } });
    expect(incomplete).toMatchObject({ endedAt: '2026-11-23T10:00:00.900Z', outcome: { state: 'indeterminate', vendorState: 'SP' }, raw: { extensions: { incomplete: 'no GX before GB' } } });
  });

  it('a 200 ms sample period from SG sets the window: 100 ms samples give 10-sample windows', () => {
    const r = feed([[0, 'SG,04.0,002500,000400,000100'], [0, 'GB,001000,001000,001000,001000'], ...samples(0, 10, '150,100,100,100', '0,0'), [1200, 'GX,000001,004.00']]);
    const [result] = results(r);
    expect(result?.measurements?.[0]).toMatchObject({ countRateCps: 1500, realTimeS: 1 });
    expect(result?.observedAt).toBe('2026-11-23T10:00:00.200Z');
  });
});

describe('rpm-line-protocol normalise: state', () => {
  it('stays bounded for an occupancy that never ends', () => {
    const sizes: number[] = [];
    let state = feed(SETUP).state;
    for (let block = 0; block < 5; block++) {
      state = feed(samples(block * 200_000, 1000, '999999,999999,999999,999999', '999,999', 'GA', 'NA'), { state }).state;
      sizes.push(JSON.stringify(state).length);
    }
    expect(state.occupancy?.gamma.samples).toBe(5000);
    expect(state.occupancy?.gamma.ring).toHaveLength(5);
    expect(Math.max(...sizes)).toBeLessThan(2048);
    // grows by digits of the running totals only
    expect((sizes.at(-1) ?? 0) - (sizes[0] ?? 0)).toBeLessThan(32);
  });

  it('is plain JSON: round-tripping it between every line changes nothing', () => {
    const lines: Array<[number, string]> = [...SETUP, ...samples(1000, 12, '310,290,305,280', '3,2', 'GA', 'NA'), [3600, 'SP,008.5'], [3600, 'GX,000003,008.00'], [5000, 'TT'], [6000, 'GH,2600,2600,2600,2600'], [7000, 'TC']];
    const direct = feed(lines);
    const roundTripped = feed(lines, { roundTripState: true });
    expect(roundTripped.drafts).toEqual(direct.drafts);
    expect(roundTripped.state).toEqual(direct.state);
  });

  it('never mutates the state it is given', () => {
    const before = feed([...SETUP, ...samples(1000, 3, '300,300,300,300', '1,1')]).state;
    const snapshot = structuredClone(before);
    const ctx: CodecContext<LineOptions> = { device: DEVICE, options: {}, now: T0 + 5000 };
    for (const line of ['GS,1,2,3,4', 'NA,1,2', 'SP,5', 'GX,1,2', 'GB,1,2,3,4', 'GH,1,2,3,4', 'NH,1,2', 'TT', 'SG,3,1,1,100', 'SN,3,1']) {
      const d = adapter.decode({ transport: 'serial', receivedAt: ctx.now, data: Buffer.from(line) }, ctx);
      if (!d.ok) throw new Error(line);
      for (const rec of d.value) adapter.normalise(rec, before, ctx);
      expect(before, line).toEqual(snapshot);
    }
  });
});

describe('rpm-line-protocol normalise: measurements, faults, setup', () => {
  it('throttles background measurements to measurementIntervalMs (default 10 s, a line 5 % early counts)', () => {
    const gb = (t: number): Array<[number, string]> => [[t, 'NB,003.00,003.00'], [t, 'GB,001000,001000,001000,001000']];
    const lines = [0, 4990, 9600, 14_990, 19_200, 25_000, 30_000].flatMap(gb);
    const at = (r: Run): string[] => r.drafts.filter((d) => d.eventType === 'measurement').map((d) => d.observedAt.slice(17, 23));
    expect(at(feed(lines))).toEqual(['00.000', '09.600', '19.200', '30.000']);
    expect(at(feed(lines, { options: { measurementIntervalMs: 0 } }))).toHaveLength(7);
    expect(at(feed(lines, { options: { measurementIntervalMs: 60_000 } }))).toEqual(['00.000']);
  });

  it('the measurement carries gamma from its GB and neutron from the last NB', () => {
    const [m] = feed([[0, 'NB,003.25,002.75'], [0, 'GB,001012.5,001180,000951,001310']]).drafts;
    expect(m).toEqual({
      eventType: 'measurement',
      observedAt: '2026-11-23T10:00:00.000Z',
      quality: 'good',
      measurements: [
        { detectorId: 'G1', category: 'gamma', backgroundRateCps: 1012.5, occupied: false },
        { detectorId: 'G2', category: 'gamma', backgroundRateCps: 1180, occupied: false },
        { detectorId: 'G3', category: 'gamma', backgroundRateCps: 951, occupied: false },
        { detectorId: 'G4', category: 'gamma', backgroundRateCps: 1310, occupied: false },
        { detectorId: 'N1', category: 'neutron', backgroundRateCps: 3.25, occupied: false },
        { detectorId: 'N2', category: 'neutron', backgroundRateCps: 2.75, occupied: false },
      ],
      raw: { format: 'rpm-line', extensions: { tag: 'GB' } },
    });
  });

  it('raises and clears faults on their edges only', () => {
    const faults = (lines: Array<[number, string]>): string[] =>
      feed(lines, { options: { measurementIntervalMs: 3_600_000 } }).drafts.filter((d) => d.eventType === 'fault').map((d) => `${d.fault?.code}:${d.fault?.active}`);
    expect(faults([[0, 'TC'], [1, 'TT'], [2, 'TT'], [3, 'TC'], [4, 'TC']])).toEqual(['tamper:true', 'tamper:false']);
    expect(faults([[0, 'GB,1,1,1,1'], [1, 'GH,1,1,1,1'], [2, 'GH,1,1,1,1'], [3, 'GL,1,1,1,1'], [4, 'GB,1,1,1,1']])).toEqual([
      'gamma-high-background:true', 'gamma-high-background:false', 'gamma-low-background:true', 'gamma-low-background:false',
    ]);
    expect(faults([[0, 'NH,9,9'], [1, 'NH,9,9'], [2, 'NB,3,3'], [3, 'NB,3,3']])).toEqual(['neutron-high-background:true', 'neutron-high-background:false']);
  });

  it('reports setup as a status event when it changes, not when it repeats', () => {
    const statuses = feed([[0, 'SG,04.0,002500,000400,000200'], [1, 'SN,04.0,008.00'], [60_000, 'SG,04.0,002500,000400,000200'], [60_000, 'SN,04.0,008.00'], [70_000, 'SG,03.5,002500,000400,000200']])
      .drafts.filter((d) => d.eventType === 'status');
    expect(statuses.map((s) => s.status?.detail)).toEqual([
      'gamma setup (SG): n-sigma 4, high background 2500 cps, low background 400 cps, sample period 200 ms',
      'neutron setup (SN): n-sigma 4, high background 8 cps',
      'gamma setup (SG): n-sigma 3.5, high background 2500 cps, low background 400 cps, sample period 200 ms',
    ]);
    expect(statuses[2]?.source?.algorithm?.settings).toMatchObject({ gammaNSigma: 3.5, neutronNSigma: 4 });
  });

  it('every draft it makes is a valid DetectionEvent v1', () => {
    const validator = createEventValidator();
    const r = feed([...SETUP, ...samples(1000, 8, '300,300,300,300', '2,2', 'GA', 'NA'), [3000, 'SP,010.0'], [3000, 'GX,000017,008.00'], [4000, 'TT'], [5000, 'GH,2600,2600,2600,2600'], [5000, 'NH,9,9'], [9000, 'GX,18,8'], ...samples(9000, 2, '1,1,1,1', '0,0'), [12_000, 'GB,1,1,1,1']]);
    expect(new Set(r.drafts.map((d) => d.eventType))).toEqual(new Set(['status', 'measurement', 'result', 'fault']));
    for (const [i, draft] of r.drafts.entries()) {
      const event = buildEnvelope({ draft, device: DEVICE, adapter, gatewayId: 'gw', eventId: '01890a5d-ac96-774b-bcce-b302099a8057', receivedAt: T0 });
      expect(validator.validate({ ...event, sequence: i + 1 }), `${i}: ${draft.eventType}`).toEqual({ ok: true });
    }
  });
});

describe('rpm-line-protocol adapter definition', () => {
  it('loads through the registry with its stream plan', async () => {
    const all = await loadAdapters(path.join(packageRoot(), 'adapters'));
    const a = all.get('rpm-line-protocol');
    expect(a).toBeDefined();
    expect(a).toMatchObject({
      id: 'rpm-line-protocol', deviceClass: 'radiation-portal-monitor', technique: 'gamma-neutron', transport: 'serial',
      acquisition: { kind: 'stream', framing: { kind: 'delimiter', delimiter: '\n', maxLength: 256 }, idleTimeoutMs: 15_000 },
    });
  });
});
