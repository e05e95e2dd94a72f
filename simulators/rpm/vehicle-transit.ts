/**
 * A vehicle on its way through the portal: where its sources are relative to the detector plane,
 * how its driver's speed wanders, and what makes a vehicle impossible.
 */
import { BorderlinkError } from '../../src/errors.js';
import type { RadiationCategory, VehicleSpec } from './rpm-model.js';
import type { SeededRandom } from './seeded-random.js';

/** A vehicle in the portal and what its occupancy has seen so far. */
export interface Transit {
  spec: VehicleSpec;
  /** elapsed ms at which the front broke the beam */
  enterMs: number;
  /** how far the front is past the beam, m */
  positionM: number;
  speedKmh: number;
  gammaAlarm: boolean;
  neutronAlarm: boolean;
  maxGammaCps: number[];
  maxNeutronCps: number[];
  maxGammaSigma: number | undefined;
  maxNeutronSigma: number | undefined;
}

/** Added cps one panel sees from the vehicle's sources of a category, the front being frontM past the beam. */
export function sourceCps(spec: VehicleSpec, category: RadiationCategory, frontM: number, side: number): number {
  let cps = 0;
  for (const s of spec.sources) {
    if (s.category !== category) continue;
    const x = frontM - (s.position ?? 0.5) * spec.lengthM;
    const spread = s.spreadM ?? 1;
    const lateralGain = 1 + 0.6 * side * (s.lateral ?? 0);
    cps += s.peakCps * lateralGain * Math.exp((-x * x) / (2 * spread * spread));
  }
  return cps;
}

/** A driver's speed wanders a little around the nominal, never outside +-15 % of it. */
export function wander(rng: SeededRandom, current: number, nominal: number): number {
  const next = current * (1 + 0.01 * rng.normal());
  return Math.min(nominal * 1.15, Math.max(nominal * 0.85, next));
}

export function checkVehicle(v: VehicleSpec): void {
  const bad = (what: string): never => {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `invalid vehicle: ${what}`, { detail: { vehicle: v } });
  };
  if (!(v.speedKmh >= 1 && v.speedKmh <= 40)) bad(`speedKmh ${v.speedKmh} outside 1-40`);
  if (!(v.lengthM >= 2 && v.lengthM <= 30)) bad(`lengthM ${v.lengthM} outside 2-30`);
  if (!(v.shadow >= 0 && v.shadow < 1)) bad(`shadow ${v.shadow} outside 0-1`);
  for (const s of v.sources) {
    if (!(s.peakCps >= 0) || !Number.isFinite(s.peakCps)) bad(`source peakCps ${s.peakCps}`);
    if (s.spreadM !== undefined && !(s.spreadM > 0)) bad(`source spreadM ${s.spreadM}`);
  }
}
