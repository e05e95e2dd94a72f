import { describe, expect, it } from 'vitest';
import { RpmPhysics, type RpmPhysicsOptions } from '../../../../simulators/rpm/physics.js';
import { INPUT } from '../../../../simulators/rpm/register-image.js';
import type { OccupancySummary, VehicleSpec } from '../../../../simulators/rpm/rpm-model.js';
import { logGamma, SeededRandom } from '../../../../simulators/rpm/seeded-random.js';

const START = Date.UTC(2025, 0, 15, 8, 0, 0, 123);

function physics(over: Partial<RpmPhysicsOptions> = {}): { p: RpmPhysics; ended: OccupancySummary[] } {
  const ended: OccupancySummary[] = [];
  const p = new RpmPhysics({ seed: 42, startTimeMs: START, onOccupancyEnd: (s) => ended.push(s), ...over });
  return { p, ended };
}

const car: VehicleSpec = { speedKmh: 10, lengthM: 5, shadow: 0.2, sources: [] };
const bit = (p: RpmPhysics, n: number): boolean => (((p.registers().input[INPUT.status] ?? 0) >> n) & 1) === 1;

describe('seeded randomness', () => {
  it('replays the same stream for a seed and differs across seeds', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const c = new SeededRandom(8);
    const xs = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uint32())).not.toEqual(xs);
  });

  it('draws Poisson variates with the right mean and variance in both regimes', () => {
    const r = new SeededRandom(1);
    for (const mean of [0.6, 4, 200, 5000]) {
      const n = 20_000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const k = r.poisson(mean);
        s += k;
        s2 += k * k;
      }
      const m = s / n;
      const v = s2 / n - m * m;
      expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(mean / n));
      expect(v / mean).toBeGreaterThan(0.95);
      expect(v / mean).toBeLessThan(1.05);
    }
  });

  it('logGamma matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 10);
    expect(logGamma(11)).toBeCloseTo(Math.log(3_628_800), 9);
  });
});

describe('RPM physics', () => {
  it('is deterministic for a seed, whatever the step sizes', () => {
    const run = (steps: number[]): number[] => {
      const { p } = physics();
      for (const s of steps) {
        p.step(s);
        if (p.elapsedMs() >= 1000 && p.occupancyTotal() === 0 && !p.busy()) p.apply({ kind: 'vehicle', vehicle: { ...car, sources: [{ category: 'gamma', nuclide: 'Cs-137', peakCps: 1500 }] } });
      }
      return [...p.registers().input, ...p.registers().holding];
    };
    const coarse = run([1000, 29_000]);
    expect(run([1000, ...new Array<number>(290).fill(100)])).toEqual(coarse);
    expect(run([1000, 7, 13_993, 15_000])).toEqual(coarse);
    const { p: other } = physics({ seed: 43 });
    other.step(30_000);
    expect([...other.registers().input]).not.toEqual(coarse.slice(0, 51));
  });

  it('counts Poisson background near the true rates and takes a sample every 200 ms', () => {
    const { p } = physics({ gammaBackgroundCps: [1000, 1000, 1000, 1000], neutronBackgroundCps: [3, 3] });
    p.step(60_000);
    const s = p.state();
    expect(s.sampleCount).toBe(300);
    expect(s.timeMs).toBe(START + 60_000);
    for (const b of s.gammaBackgroundCps) expect(Math.abs(b - 1000)).toBeLessThan(60);
    for (const b of s.neutronBackgroundCps) expect(Math.abs(b - 3)).toBeLessThan(2);
    for (const r of s.gammaRateCps) expect(r % 5).toBe(0);
    expect(s.occupied).toBe(false);
    expect(p.registers().input[INPUT.sampleCounter]).toBe(300);
  });

  it('draws background rates within 800-1500 (gamma) and 2-4 (neutron) cps when not given', () => {
    for (let seed = 0; seed < 20; seed++) {
      const s = new RpmPhysics({ seed, startTimeMs: 0 }).state();
      for (const b of s.gammaBackgroundCps) expect(b >= 800 && b <= 1500).toBe(true);
      for (const b of s.neutronBackgroundCps) expect(b >= 2 && b <= 4).toBe(true);
    }
  });

  it('wraps the sample counter at 65535', () => {
    const { p } = physics();
    p.step(65_535 * 200);
    expect(p.registers().input[INPUT.sampleCounter]).toBe(65_535);
    p.step(200);
    expect(p.registers().input[INPUT.sampleCounter]).toBe(0);
  });

  it('a vehicle occupies the portal for length/speed, with speed shown, then latches a summary', () => {
    const { p, ended } = physics();
    p.step(1000);
    p.apply({ kind: 'vehicle', vehicle: car });
    p.step(400);
    expect(bit(p, 0)).toBe(true);
    expect(p.registers().discrete[1]).toBe(1);
    const speed = p.registers().input[INPUT.speed] ?? 0;
    expect(speed).toBeGreaterThanOrEqual(85);
    expect(speed).toBeLessThanOrEqual(115);
    p.step(5000);
    expect(bit(p, 0)).toBe(false);
    expect(p.registers().input[INPUT.speed]).toBe(0);
    expect(ended).toHaveLength(1);
    const s = ended[0] as OccupancySummary;
    // 5 m at 10 km/h +-15 %: 1.57-2.12 s
    expect(s.durationMs).toBeGreaterThan(1560);
    expect(s.durationMs).toBeLessThan(2120);
    expect(s.startTimeMs).toBe(START + 1000);
    expect(s.endTimeMs).toBe(s.startTimeMs + s.durationMs);
    expect(s.meanSpeedKmh).toBeCloseTo((5 / (s.durationMs / 1000)) * 3.6, 6);
    expect(s.gammaAlarm || s.neutronAlarm).toBe(false);
    const w = p.registers().input;
    expect((w[INPUT.occupancyCount] ?? 0) * 65_536 + (w[INPUT.occupancyCount + 1] ?? 0)).toBe(1);
    expect((w[INPUT.lastEndEpochS] ?? 0) * 65_536 + (w[INPUT.lastEndEpochS + 1] ?? 0)).toBe(Math.floor(s.endTimeMs / 1000));
    expect(w[INPUT.lastEndMillis]).toBe(s.endTimeMs % 1000);
    expect(w[INPUT.lastDurationMs + 1]).toBe(s.durationMs);
  });

  it('a clean vehicle shadows the gamma background (negative sigma on average)', () => {
    const { p, ended } = physics();
    for (let i = 0; i < 20; i++) {
      p.apply({ kind: 'vehicle', vehicle: { ...car, lengthM: 10, shadow: 0.2 } });
      p.step(15_000);
    }
    expect(ended).toHaveLength(20);
    const mean = ended.reduce((a, s) => a + s.maxGammaSigma, 0) / ended.length;
    expect(mean).toBeLessThan(0);
    expect(ended.every((s) => !s.gammaAlarm)).toBe(true);
  });

  it('a gamma source raises the counts with a bell as it passes and alarms above n sigma', () => {
    const { p, ended } = physics();
    p.step(2000);
    p.apply({ kind: 'vehicle', vehicle: { speedKmh: 5, lengthM: 10, shadow: 0.2, sources: [{ category: 'gamma', nuclide: 'Cs-137', peakCps: 1500, position: 0.5 }] } });
    const totals: number[] = [];
    let sawAlarmBit = false;
    for (let i = 0; i < 60; i++) {
      p.step(200);
      totals.push(p.state().gammaRateCps.reduce((a, b) => a + b, 0));
      sawAlarmBit ||= bit(p, 1);
    }
    expect(sawAlarmBit).toBe(true);
    const s = ended[0] as OccupancySummary;
    expect(s.gammaAlarm).toBe(true);
    expect(s.neutronAlarm).toBe(false);
    expect(s.maxGammaSigma).toBeGreaterThan(4);
    // peak near the middle of the ~7.2 s transit (source at 5 m of 10 m), quiet at both ends
    const peakAt = totals.indexOf(Math.max(...totals));
    expect(peakAt).toBeGreaterThan(12);
    expect(peakAt).toBeLessThan(24);
    expect(Math.max(...totals)).toBeGreaterThan(2 * (totals[1] ?? 0));
    expect(bit(p, 1)).toBe(false); // cleared with the occupancy
    expect(p.registers().input[INPUT.lastFlags]).toBe(1);
    expect(p.registers().coils[0]).toBe(1); // lamp held 10 s after
    p.step(10_200);
    expect(p.registers().coils[0]).toBe(0);
  });

  it('a neutron source alarms the neutron channel only', () => {
    const { p, ended } = physics();
    p.apply({ kind: 'vehicle', vehicle: { ...car, sources: [{ category: 'neutron', nuclide: 'Cf-252', peakCps: 50 }] } });
    p.step(5000);
    const s = ended[0] as OccupancySummary;
    expect(s.neutronAlarm).toBe(true);
    expect(s.gammaAlarm).toBe(false);
    expect(s.maxNeutronSigma).toBeGreaterThan(4);
    expect(Math.max(...s.maxNeutronCps)).toBeGreaterThan(10);
    expect(p.registers().input[INPUT.lastFlags]).toBe(2);
  });

  it('vehicles that arrive while the portal is busy wait their turn', () => {
    const { p, ended } = physics();
    p.apply({ kind: 'vehicle', vehicle: car });
    p.apply({ kind: 'vehicle', vehicle: car });
    p.apply({ kind: 'vehicle', vehicle: car });
    p.step(20_000);
    expect(ended.map((s) => s.occupancyNumber)).toEqual([1, 2, 3]);
    for (let i = 1; i < ended.length; i++) expect((ended[i]?.startTimeMs ?? 0) - (ended[i - 1]?.endTimeMs ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('tamper, maintenance and float corruption show at once', () => {
    const { p } = physics();
    p.apply({ kind: 'tamper', open: true });
    expect(bit(p, 3)).toBe(true);
    expect(p.registers().discrete[0]).toBe(1);
    p.apply({ kind: 'maintenance', active: true });
    expect(p.registers().coils[1]).toBe(1);
    p.apply({ kind: 'float-corruption', active: true });
    expect(p.registers().input[INPUT.gammaBackground + 1]).toBe(0x7fc0);
    p.apply({ kind: 'tamper', open: false });
    p.apply({ kind: 'float-corruption', active: false });
    expect(bit(p, 3)).toBe(false);
    expect(p.registers().input[INPUT.gammaBackground + 1]).not.toBe(0x7fc0);
  });

  it('a detector fault flags the category and silences the panel until cleared', () => {
    const { p } = physics();
    p.apply({ kind: 'detector-fault', category: 'gamma', panel: 2, active: true });
    p.step(1000);
    expect(bit(p, 4)).toBe(true);
    expect(p.state().gammaRateCps[2]).toBe(0);
    p.apply({ kind: 'detector-fault', category: 'neutron', panel: 1, active: true });
    expect(bit(p, 5)).toBe(true);
    p.apply({ kind: 'detector-fault', category: 'gamma', panel: 2, active: false });
    p.apply({ kind: 'detector-fault', category: 'neutron', panel: 1, active: false });
    p.step(1000);
    expect(bit(p, 4) || bit(p, 5)).toBe(false);
    expect(p.state().gammaRateCps[2]).toBeGreaterThan(0);
    expect(() => p.apply({ kind: 'detector-fault', category: 'gamma', panel: 4, active: true })).toThrow(expect.objectContaining({ code: 'BL_ERR_SIMULATOR' }));
  });

  it('high and low background flags follow the estimate, which learns only while unoccupied', () => {
    const { p } = physics({ gammaBackgroundCps: [1000, 1000, 1000, 1000], neutronBackgroundCps: [3, 3] });
    p.apply({ kind: 'background', category: 'gamma', factor: 3 });
    p.step(60_000);
    expect(bit(p, 6)).toBe(true);
    p.apply({ kind: 'background', category: 'gamma', factor: 0.25 });
    p.step(120_000);
    expect(bit(p, 6)).toBe(false);
    expect(bit(p, 7)).toBe(true);
    p.apply({ kind: 'background', category: 'neutron', factor: 5 });
    p.step(90_000);
    expect(bit(p, 8)).toBe(true);
    // while a long, slow vehicle sits in the portal the estimate is frozen
    p.apply({ kind: 'background', category: 'gamma', factor: 1 });
    p.apply({ kind: 'vehicle', vehicle: { speedKmh: 1, lengthM: 30, shadow: 0.1, sources: [] } });
    p.step(400);
    const frozen = p.state().gammaBackgroundCps;
    p.step(60_000);
    expect(p.state().occupied).toBe(true);
    expect(p.state().gammaBackgroundCps).toEqual(frozen);
  });

  it('nSigma is configurable and shown in holding register 100', () => {
    const { p } = physics({ nSigma: 5.5 });
    expect(p.registers().holding[0]).toBe(55);
    p.setNSigma(3);
    expect(p.registers().holding[0]).toBe(30);
  });

  it('rejects impossible vehicles and steps with coded errors', () => {
    const { p } = physics();
    expect(() => p.apply({ kind: 'vehicle', vehicle: { ...car, speedKmh: 0 } })).toThrow(expect.objectContaining({ code: 'BL_ERR_SIMULATOR' }));
    expect(() => p.step(-1)).toThrow(expect.objectContaining({ code: 'BL_ERR_SIMULATOR' }));
  });
});
