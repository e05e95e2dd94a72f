import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../../../adapters/rpm-line-protocol/decode-line.js';
import type { LineRecord } from '../../../../adapters/rpm-line-protocol/line-messages.js';
import { SCENARIO_NAMES, SCENARIOS } from '../../../../simulators/rpm/scenarios.js';
import { SAMPLE_PERIOD_MS, WINDOW_SAMPLES, type OccupancySummary } from '../../../../simulators/rpm/rpm-model.js';
import { malformLine, RpmLineDevice } from '../../../../simulators/rpm-line/line-device.js';
import { SampleCounts } from '../../../../simulators/rpm-line/sample-counts.js';
import { RpmPhysics } from '../../../../simulators/rpm/physics.js';
import { captureLines, CAPTURE_START_MS } from '../../../helpers/line-capture.js';

function decodeAll(lines: readonly { line: string }[]): { records: LineRecord[]; failures: string[] } {
  const records: LineRecord[] = [];
  const failures: string[] = [];
  for (const { line } of lines) {
    const r = decodeLine(Buffer.from(line, 'latin1'));
    if (r.ok) records.push(...r.value);
    else failures.push(r.error.code);
  }
  return { records, failures };
}

describe('RpmLineDevice', () => {
  const clean = SCENARIO_NAMES.filter((n) => n !== 'malformed' && n !== 'silent');
  it.each(clean)('every line of scenario %s decodes with the adapter', (scenario) => {
    const lines = captureLines({ scenario, seconds: 120 });
    const { records, failures } = decodeAll(lines);
    expect(failures).toEqual([]);
    expect(records.length).toBeGreaterThan(40);
    expect(lines.every((l) => l.line.length <= 256 && /^[\x20-\x7e]+$/.test(l.line))).toBe(true);
    // backgrounds come in NB/GB pairs, 5 s apart, never while occupied
    const tags = records.map((r) => r.tag);
    expect(tags.slice(0, 4)).toEqual(['SG', 'SN', 'NB', 'GB']);
  });

  it('dual-alarm: GA and NA lines, one GX per occupancy, counter counting up', () => {
    const summaries: OccupancySummary[] = [];
    const lines: string[] = [];
    const device = new RpmLineDevice({ scenario: SCENARIOS['dual-alarm'], seed: 1006, startTimeMs: CAPTURE_START_MS, onLine: (l) => lines.push(l), onOccupancy: (s) => summaries.push(s) });
    device.step(60_000);
    expect(summaries.length).toBeGreaterThanOrEqual(4);
    const gx = lines.filter((l) => l.startsWith('GX,'));
    expect(gx.map((l) => Number(l.split(',')[1]))).toEqual(summaries.map((s) => s.occupancyNumber));
    expect(lines.some((l) => l.startsWith('GA,'))).toBe(true);
    expect(lines.some((l) => l.startsWith('NA,'))).toBe(true);
    // between two GX: sample pairs, at least one SP; no background line inside an occupancy
    let inOccupancy = false;
    let sp = 0;
    for (const l of lines) {
      const tag = l.slice(0, 2);
      if (['GS', 'GA', 'NS', 'NA'].includes(tag)) inOccupancy = true;
      if (tag === 'SP') sp++;
      if (['GB', 'GH', 'GL', 'NB', 'NH'].includes(tag)) expect(inOccupancy, l).toBe(false);
      if (tag === 'GX') {
        expect(sp).toBeGreaterThan(0);
        inOccupancy = false;
        sp = 0;
      }
    }
    // the samples of one occupancy account for its duration
    const perOccupancy = lines.join('\n').split(/GX,[^\n]*/).slice(0, summaries.length);
    for (const [i, chunk] of perOccupancy.entries()) {
      const gammaLines = chunk.split('\n').filter((l) => /^G[SA],/.test(l)).length;
      const s = summaries[i] as OccupancySummary;
      expect(Math.abs(gammaLines * SAMPLE_PERIOD_MS - s.durationMs)).toBeLessThanOrEqual(2 * SAMPLE_PERIOD_MS);
    }
  });

  it('recovers every sample exactly: the last 5 recovered neutron samples always sum to the published window', () => {
    const physics = new RpmPhysics({ seed: 7, startTimeMs: 0, neutronBackgroundCps: [40, 25] });
    const counts = new SampleCounts();
    const history: number[][] = [];
    for (let i = 0; i < 500; i++) {
      if (i === 100) physics.apply({ kind: 'vehicle', vehicle: { speedKmh: 5, lengthM: 10, shadow: 0.2, sources: [{ category: 'neutron', nuclide: 'Cf-252', peakCps: 80 }, { category: 'gamma', nuclide: 'Cs-137', peakCps: 1500 }] } });
      physics.step(SAMPLE_PERIOD_MS);
      const s = physics.state();
      const { gamma, neutron } = counts.observe(s);
      history.push(neutron);
      const last = history.slice(-WINDOW_SAMPLES);
      const k = (last.length * SAMPLE_PERIOD_MS) / 1000;
      for (let p = 0; p < 2; p++) expect(last.reduce((a, r) => a + (r[p] ?? 0), 0)).toBe(Math.round((s.neutronRateCps[p] ?? 0) * k));
      expect(gamma.map((c) => c * 5)).toEqual(s.gammaRateCps);
    }
    expect(() => counts.observe(physics.state())).toThrow(/sample 501 expected/);
  });

  it('tamper: TT when the door opens, TC when it closes', () => {
    const lines = captureLines({ scenario: 'tamper', seconds: 35 });
    expect(lines.filter((l) => l.line === 'TT' || l.line === 'TC').map((l) => `${l.line}@${l.atMs - CAPTURE_START_MS}`)).toEqual(['TT@3000', 'TC@13000', 'TT@33000']);
  });

  it('background: GH replaces GB while the gamma background is high, NH replaces NB', () => {
    const tags = captureLines({ scenario: 'background', seconds: 300 }).map((l) => l.line.slice(0, 2));
    const gh = tags.indexOf('GH');
    expect(gh).toBeGreaterThan(0);
    expect(tags.indexOf('GB', gh)).toBeGreaterThan(gh);
    expect(tags).toContain('NH');
  });

  it('malformed: the Modbus transport faults become broken lines, quarantined with line codes', () => {
    const { failures } = decodeAll(captureLines({ scenario: 'malformed', seconds: 60 }));
    expect(new Set(failures)).toEqual(new Set(['BL_ERR_LINE_FIELDS', 'BL_ERR_LINE_VALUE']));
    expect(malformLine('GS,1,2,3,4', 'byte-count')).toBe('GS,1,2,3,4,000000');
    expect(malformLine('GS,1,2,3,4', 'truncated')).toBe('GS,1,2,3');
    expect(malformLine('NS,1,2', 'function-code')).toBe('XQ,1,2');
    expect(malformLine('NS,12,2', 'transaction-id')).toBe('NS,x2,2');
    expect(malformLine('TT', 'truncated')).toBe('TT,000000');
  });

  it('silent: writes nothing, not even a greeting', () => {
    const lines = captureLines({ scenario: 'silent', seconds: 30 });
    expect(lines).toEqual([]);
  });

  it('steps whole samples only and keeps the remainder', () => {
    const lines: string[] = [];
    const device = new RpmLineDevice({ scenario: SCENARIOS.idle, seed: 1, startTimeMs: 0, onLine: (l) => lines.push(l) });
    for (let i = 0; i < 50; i++) device.step(99.9);
    expect(device.state().sampleCount).toBe(24);
    device.step(20);
    expect(device.state().sampleCount).toBe(25);
    expect(lines).toEqual([expect.stringMatching(/^NB,/), expect.stringMatching(/^GB,/)]);
    expect(() => device.step(-1)).toThrow(/finite ms >= 0/);
  });
});
