/**
 * Plays a scenario against the physics: advances the model exactly to each scripted or traffic instant,
 * applies the happening there, and hands transport faults to whoever owns the server. Deterministic:
 * the traffic stream is seeded apart from the physics' counting noise.
 */
import type { ModbusFaultPlan } from '../modbus/lean-tcp-server.js';
import type { RpmPhysics } from './physics.js';
import type { RadiationSource, VehicleSpec } from './rpm-model.js';
import { DEFAULT_VEHICLE_RANGES, type Range, type ScenarioDefinition, type ScenarioHappening } from './scenarios.js';
import { SeededRandom } from './seeded-random.js';

export interface ScenarioPlayerOptions {
  scenario: ScenarioDefinition;
  physics: RpmPhysics;
  seed: number;
  /** server-faults happenings go here (the player owns no socket) */
  onServerFaults?: (plan: ModbusFaultPlan) => void;
}

export class ScenarioPlayer {
  private readonly scenario: ScenarioDefinition;
  private readonly physics: RpmPhysics;
  private readonly rng: SeededRandom;
  private readonly onServerFaults: ((plan: ModbusFaultPlan) => void) | undefined;
  private readonly script: ScenarioDefinition['script'];
  private scriptIndex = 0;
  private scriptOffsetMs = 0;
  private nextArrivalMs: number | undefined;
  private vehiclesInBlock = 0;
  private cargoSlot = 0;

  constructor(opts: ScenarioPlayerOptions) {
    this.scenario = opts.scenario;
    this.physics = opts.physics;
    this.rng = new SeededRandom(opts.seed ^ 0x5ce7a110);
    this.onServerFaults = opts.onServerFaults;
    this.script = [...opts.scenario.script].sort((a, b) => a.atMs - b.atMs);
    const traffic = opts.scenario.traffic;
    if (traffic !== undefined) {
      this.nextArrivalMs = this.draw(traffic.firstArrivalMs);
      this.cargoSlot = traffic.cargoEvery > 0 ? this.rng.int(0, traffic.cargoEvery - 1) : -1;
    }
    this.fireDue(this.physics.elapsedMs());
  }

  /** Advance by dtMs, applying every happening at its own instant. */
  step(dtMs: number): void {
    const target = this.physics.elapsedMs() + dtMs;
    for (;;) {
      const due = this.nextDue();
      if (due === undefined || due > target) break;
      this.physics.step(Math.max(0, due - this.physics.elapsedMs()));
      this.fireDue(due);
    }
    this.physics.step(Math.max(0, target - this.physics.elapsedMs()));
  }

  /** Apply a happening now; vehicle fields left out are drawn from the scenario's ranges. */
  inject(h: ScenarioHappening): void {
    switch (h.kind) {
      case 'server-faults':
        this.onServerFaults?.(h.plan);
        return;
      case 'vehicle':
        this.physics.apply({ kind: 'vehicle', vehicle: this.vehicle(h.sources ?? [], h) });
        return;
      default:
        this.physics.apply(h);
    }
  }

  private nextDue(): number | undefined {
    const entry = this.script[this.scriptIndex];
    const scriptDue = entry === undefined ? undefined : this.scriptOffsetMs + entry.atMs;
    if (scriptDue === undefined) return this.nextArrivalMs;
    if (this.nextArrivalMs === undefined) return scriptDue;
    return Math.min(scriptDue, this.nextArrivalMs);
  }

  private fireDue(now: number): void {
    for (;;) {
      const entry = this.script[this.scriptIndex];
      if (entry !== undefined && this.scriptOffsetMs + entry.atMs <= now) {
        this.inject(entry.happening);
        this.scriptIndex++;
        if (this.scriptIndex >= this.script.length && this.scenario.repeatEveryMs !== undefined) {
          this.scriptIndex = 0;
          this.scriptOffsetMs += this.scenario.repeatEveryMs;
        }
        continue;
      }
      if (this.nextArrivalMs !== undefined && this.nextArrivalMs <= now) {
        this.arrival();
        continue;
      }
      return;
    }
  }

  /** A traffic vehicle: one in each block of cargoEvery carries cargo, at a random place in the block. */
  private arrival(): void {
    const traffic = this.scenario.traffic;
    if (traffic === undefined || this.nextArrivalMs === undefined) return;
    let sources: readonly RadiationSource[] = [];
    if (traffic.cargoEvery > 0 && traffic.cargoMix.length > 0) {
      if (this.vehiclesInBlock === this.cargoSlot) {
        const choice = traffic.cargoMix[this.rng.weighted(traffic.cargoMix.map((c) => c.weight))];
        sources = (choice?.sources ?? []).map((s) => this.placed(s));
      }
      this.vehiclesInBlock++;
      if (this.vehiclesInBlock >= traffic.cargoEvery) {
        this.vehiclesInBlock = 0;
        this.cargoSlot = this.rng.int(0, traffic.cargoEvery - 1);
      }
    }
    this.physics.apply({ kind: 'vehicle', vehicle: this.vehicle(sources, {}) });
    this.nextArrivalMs += this.draw(traffic.intervalMs);
  }

  /** A cargo source with its strength jittered and, unless fixed, its place in the vehicle drawn. */
  private placed(s: RadiationSource): RadiationSource {
    return {
      ...s,
      peakCps: s.peakCps * this.rng.range(0.8, 1.25),
      position: s.position ?? this.rng.range(0.25, 0.75),
      lateral: s.lateral ?? this.rng.range(-0.8, 0.8),
    };
  }

  private vehicle(sources: readonly RadiationSource[], req: Partial<Omit<VehicleSpec, 'sources'>>): VehicleSpec {
    const ranges = this.scenario.traffic ?? DEFAULT_VEHICLE_RANGES;
    return {
      speedKmh: req.speedKmh ?? this.draw(ranges.speedKmh),
      lengthM: req.lengthM ?? this.draw(ranges.lengthM),
      shadow: req.shadow ?? this.draw(ranges.shadow),
      sources,
    };
  }

  private draw(r: Range): number {
    return this.rng.range(r.min, r.max);
  }
}
