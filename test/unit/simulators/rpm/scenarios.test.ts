import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModbusFaultPlan } from '../../../../simulators/modbus/lean-tcp-server.js';
import { RpmPhysics } from '../../../../simulators/rpm/physics.js';
import { INPUT } from '../../../../simulators/rpm/register-image.js';
import type { OccupancySummary } from '../../../../simulators/rpm/rpm-model.js';
import { ScenarioPlayer } from '../../../../simulators/rpm/scenario-player.js';
import { SCENARIO_NAMES, SCENARIOS, type ScenarioName } from '../../../../simulators/rpm/scenarios.js';

const START = Date.UTC(2025, 2, 1);

function play(name: ScenarioName, seed = SCENARIOS[name].defaultSeed): {
  physics: RpmPhysics;
  player: ScenarioPlayer;
  ended: OccupancySummary[];
  faults: ModbusFaultPlan[];
  status: () => number;
} {
  const ended: OccupancySummary[] = [];
  const faults: ModbusFaultPlan[] = [];
  const physics = new RpmPhysics({ seed, startTimeMs: START, onOccupancyEnd: (s) => ended.push(s) });
  const player = new ScenarioPlayer({ scenario: SCENARIOS[name], physics, seed, onServerFaults: (p) => faults.push(p) });
  return { physics, player, ended, faults, status: () => physics.registers().input[INPUT.status] ?? 0 };
}

const alarmed = (s: OccupancySummary): boolean => s.gammaAlarm || s.neutronAlarm;

describe('RPM scenarios', () => {
  it('every scenario is defined under its own name and documented in simulators/README.md', () => {
    const readme = fs.readFileSync(new URL('../../../../simulators/README.md', import.meta.url), 'utf8');
    for (const name of SCENARIO_NAMES) {
      expect(SCENARIOS[name].name).toBe(name);
      expect(readme).toContain(`\`${name}\``);
    }
  });

  it('replays the same run for the same seed, and another for another seed', () => {
    const a = play('demo');
    const b = play('demo');
    const c = play('demo', 7);
    for (const r of [a, b, c]) r.player.step(120_000);
    expect(b.ended).toEqual(a.ended);
    expect([...b.physics.registers().input]).toEqual([...a.physics.registers().input]);
    expect(c.ended).not.toEqual(a.ended);
  });

  it('demo: the first vehicle enters within 2 s; alarms and clears both happen within a minute', () => {
    for (const seed of [SCENARIOS.demo.defaultSeed, 1, 2, 3, 4, 5]) {
      const r = play('demo', seed);
      r.player.step(2000);
      expect(r.physics.state().occupied || r.ended.length > 0).toBe(true);
      r.player.step(58_000);
      expect(r.ended.some(alarmed)).toBe(true);
      expect(r.ended.some((s) => !alarmed(s))).toBe(true);
    }
  });

  it('demo: about one vehicle in three carries a source', () => {
    const r = play('demo');
    r.player.step(30 * 60_000);
    const carrying = r.ended.filter((s) => s.sources.length > 0).length;
    expect(carrying / r.ended.length).toBeGreaterThan(0.28);
    expect(carrying / r.ended.length).toBeLessThan(0.39);
  });

  it('dual-alarm: an occupancy with both flags and both sigmas above n, latched in the registers', () => {
    const r = play('dual-alarm');
    while (r.ended.length === 0 && r.physics.elapsedMs() < 60_000) r.player.step(200);
    const first = r.ended[0] as OccupancySummary;
    expect(first.gammaAlarm && first.neutronAlarm).toBe(true);
    expect(first.maxGammaSigma).toBeGreaterThan(4);
    expect(first.maxNeutronSigma).toBeGreaterThan(4);
    const w = r.physics.registers().input;
    expect(w[INPUT.lastFlags]).toBe(3);
    expect((w[INPUT.lastMaxGammaSigma] ?? 0) / 100).toBeCloseTo(first.maxGammaSigma, 1);
    expect((w[INPUT.lastMaxNeutronSigma] ?? 0) / 100).toBeCloseTo(first.maxNeutronSigma, 1);
    r.player.step(10 * 60_000);
    expect(r.ended.every((s) => s.gammaAlarm && s.neutronAlarm)).toBe(true);
  });

  it('gamma-alarm and neutron-alarm: every vehicle alarms its own category', () => {
    const g = play('gamma-alarm');
    const n = play('neutron-alarm');
    g.player.step(5 * 60_000);
    n.player.step(5 * 60_000);
    expect(g.ended.length).toBeGreaterThan(20);
    expect(g.ended.every((s) => s.gammaAlarm)).toBe(true);
    expect(n.ended.length).toBeGreaterThan(20);
    expect(n.ended.every((s) => s.neutronAlarm && !s.gammaAlarm)).toBe(true);
  });

  it('quiet: no alarm over 10 simulated minutes with its seed', () => {
    const r = play('quiet');
    r.player.step(10 * 60_000);
    expect(r.ended.length).toBeGreaterThan(15);
    expect(r.ended.filter(alarmed)).toEqual([]);
  });

  it('quiet: false alarm rate across seeds is what Poisson statistics at n = 4 predict', () => {
    let occupancies = 0;
    let gamma = 0;
    let neutron = 0;
    for (let seed = 0; seed < 20; seed++) {
      const r = play('quiet', seed);
      r.player.step(10 * 60_000);
      occupancies += r.ended.length;
      gamma += r.ended.filter((s) => s.gammaAlarm).length;
      neutron += r.ended.filter((s) => s.neutronAlarm).length;
    }
    expect(occupancies).toBeGreaterThan(400);
    // gamma: shadowing keeps it at zero; neutron: ~25 overlapping windows per occupancy at ~4e-4 each
    expect(gamma).toBe(0);
    expect(neutron / occupancies).toBeLessThan(0.025);
  });

  it('idle: no occupancy ever', () => {
    const r = play('idle');
    r.player.step(5 * 60_000);
    expect(r.ended).toHaveLength(0);
    expect(r.physics.busy()).toBe(false);
  });

  it('tamper: the door opens at 3 s and closes at 13 s, every 30 s', () => {
    const r = play('tamper');
    const door: boolean[] = [];
    for (const t of [2000, 4000, 12_000, 14_000, 32_000, 34_000, 44_000]) {
      r.player.step(t - r.physics.elapsedMs());
      door.push(((r.status() >> 3) & 1) === 1);
    }
    expect(door).toEqual([false, true, true, false, false, true, false]);
  });

  it('faults: G2 dead 3-15 s, N1 dead 20-32 s', () => {
    const r = play('faults');
    const seen: Array<[boolean, boolean]> = [];
    for (const t of [2000, 4000, 16_000, 21_000, 33_000]) {
      r.player.step(t - r.physics.elapsedMs());
      seen.push([((r.status() >> 4) & 1) === 1, ((r.status() >> 5) & 1) === 1]);
    }
    expect(seen).toEqual([[false, false], [true, false], [false, false], [false, true], [false, false]]);
    r.player.step(4000 - 33_000 + 40_000);
    expect(((r.status() >> 4) & 1) === 1).toBe(true);
  });

  it('background: high gamma, low gamma and high neutron background flags each show up', () => {
    const r = play('background');
    const bitsSeen = new Set<number>();
    for (let t = 0; t < 380_000; t += 1000) {
      r.player.step(1000);
      for (const b of [6, 7, 8]) if ((r.status() >> b) & 1) bitsSeen.add(b);
    }
    expect([...bitsSeen].sort()).toEqual([6, 7, 8]);
  });

  it('malformed: sets malformed server faults and NaN floats on schedule', () => {
    const r = play('malformed');
    expect(r.faults[0]).toEqual({ mode: { kind: 'malformed', shape: 'byte-count' }, every: 7, functionCodes: [4] });
    r.player.step(6000);
    expect(r.physics.registers().input[INPUT.gammaBackground + 1]).toBe(0x7fc0);
    r.player.step(3000);
    expect(r.physics.registers().input[INPUT.gammaBackground + 1]).not.toBe(0x7fc0);
    r.player.step(12_000);
    expect(r.faults.at(-1)?.mode).toEqual({ kind: 'malformed', shape: 'truncated' });
    r.player.step(60_000);
    expect(r.faults.length).toBeGreaterThanOrEqual(4);
  });

  it('silent: asks for a silent server from the start', () => {
    const r = play('silent');
    expect(r.faults).toEqual([{ mode: { kind: 'silent' } }]);
  });

  it('inject: a vehicle with only sources given draws the rest from the scenario ranges', () => {
    const r = play('idle');
    r.player.inject({ kind: 'vehicle', sources: [{ category: 'gamma', nuclide: 'Co-60', peakCps: 2500 }] });
    r.player.step(30_000);
    expect(r.ended).toHaveLength(1);
    expect(r.ended[0]?.gammaAlarm).toBe(true);
    expect(r.ended[0]?.meanSpeedKmh).toBeGreaterThan(2.5);
    expect(r.ended[0]?.meanSpeedKmh).toBeLessThan(17.5);
  });
});
