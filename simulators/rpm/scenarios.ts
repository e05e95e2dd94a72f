/**
 * Named RPM scenarios as data: a timed script of happenings plus a random traffic plan, each with a default
 * seed so a name alone replays the same run. Documented in simulators/README.md (keep the two in step).
 */
import type { ModbusFaultPlan } from '../modbus/lean-tcp-server.js';
import type { RadiationSource, RpmHappening, VehicleSpec } from './rpm-model.js';

export const SCENARIO_NAMES = [
  'quiet',
  'idle',
  'demo',
  'gamma-alarm',
  'neutron-alarm',
  'dual-alarm',
  'tamper',
  'faults',
  'background',
  'malformed',
  'silent',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Range {
  min: number;
  max: number;
}

/** A vehicle in a script: whatever is left out is drawn from the scenario's traffic ranges. */
export type VehicleRequest = Partial<Omit<VehicleSpec, 'sources'>> & { sources?: readonly RadiationSource[] };

export type ScenarioHappening =
  | ({ kind: 'vehicle' } & VehicleRequest)
  | Exclude<RpmHappening, { kind: 'vehicle' }>
  /** replace the Modbus server's fault plan (transport faults, not device physics) */
  | { kind: 'server-faults'; plan: ModbusFaultPlan };

export interface ScriptEntry {
  /** ms after start (or after the start of the current repetition) */
  atMs: number;
  happening: ScenarioHappening;
}

/** One choice of cargo for a vehicle that carries something; peakCps is jittered x0.8-1.25 per vehicle. */
export interface CargoChoice {
  weight: number;
  sources: readonly RadiationSource[];
}

export interface TrafficPlan {
  firstArrivalMs: Range;
  /** front-to-front time between arrivals; a vehicle that finds the portal busy waits */
  intervalMs: Range;
  speedKmh: Range;
  lengthM: Range;
  shadow: Range;
  /** in each block of this many consecutive vehicles exactly one carries cargo from the mix (0: none ever) */
  cargoEvery: number;
  cargoMix: readonly CargoChoice[];
}

export interface ScenarioDefinition {
  name: ScenarioName;
  summary: string;
  defaultSeed: number;
  traffic?: TrafficPlan;
  script: readonly ScriptEntry[];
  /** the script starts over every this many ms (absent: it runs once) */
  repeatEveryMs?: number;
}

/** ranges used when a scenario has no traffic plan but a script asks for a vehicle */
export const DEFAULT_VEHICLE_RANGES = {
  speedKmh: { min: 3, max: 15 },
  lengthM: { min: 4, max: 14 },
  shadow: { min: 0.1, max: 0.25 },
} as const satisfies Pick<TrafficPlan, 'speedKmh' | 'lengthM' | 'shadow'>;

/** Strengths chosen to alarm reliably at n = 4 even at 15 km/h behind 25 % shadowing (see README). */
export const SOURCES = {
  cs137: { category: 'gamma', nuclide: 'Cs-137', peakCps: 1500, spreadM: 0.8 },
  co60: { category: 'gamma', nuclide: 'Co-60', peakCps: 2500, spreadM: 0.8 },
  i131: { category: 'gamma', nuclide: 'I-131', peakCps: 1200, spreadM: 1.0 },
  norm: { category: 'gamma', nuclide: 'NORM', peakCps: 800, spreadM: 3.0 },
  cf252: { category: 'neutron', nuclide: 'Cf-252', peakCps: 50, spreadM: 0.8 },
  ambe: { category: 'neutron', nuclide: 'AmBe', peakCps: 45, spreadM: 0.8 },
  pu239: { category: 'neutron', nuclide: 'Pu-239', peakCps: 40, spreadM: 0.8 },
} as const satisfies Record<string, RadiationSource>;

const DEMO_MIX: readonly CargoChoice[] = [
  { weight: 3, sources: [SOURCES.cs137] },
  { weight: 2, sources: [SOURCES.co60] },
  { weight: 2, sources: [SOURCES.norm] },
  { weight: 1, sources: [SOURCES.i131] },
  { weight: 2, sources: [SOURCES.cf252] },
  { weight: 1, sources: [SOURCES.ambe] },
  { weight: 1, sources: [SOURCES.cs137, SOURCES.pu239] },
];
const GAMMA_MIX: readonly CargoChoice[] = [
  { weight: 2, sources: [SOURCES.cs137] },
  { weight: 1, sources: [SOURCES.co60] },
];
const NEUTRON_MIX: readonly CargoChoice[] = [
  { weight: 2, sources: [SOURCES.cf252] },
  { weight: 1, sources: [SOURCES.ambe] },
];
const DUAL_MIX: readonly CargoChoice[] = [
  { weight: 1, sources: [SOURCES.cs137, SOURCES.cf252] },
  { weight: 1, sources: [SOURCES.co60, SOURCES.pu239] },
];

function traffic(first: Range, interval: Range, cargoEvery: number, cargoMix: readonly CargoChoice[]): TrafficPlan {
  return { firstArrivalMs: first, intervalMs: interval, ...DEFAULT_VEHICLE_RANGES, cargoEvery, cargoMix };
}

const FAST_START: Range = { min: 1000, max: 2000 };
/** alarm scenarios keep transits short (at most ~7 s) so the first event comes quickly */
function alarmTraffic(mix: readonly CargoChoice[]): TrafficPlan {
  return { ...traffic(FAST_START, { min: 8000, max: 12_000 }, 1, mix), speedKmh: { min: 5, max: 15 }, lengthM: { min: 4, max: 10 } };
}
const DEMO_TRAFFIC = traffic({ min: 6000, max: 8000 }, { min: 6000, max: 10_000 }, 3, DEMO_MIX);
/** a short clean car at 1.5 s: the demo's first event (a clear) lands about 3 s after start */
const DEMO_FIRST_CAR: ScriptEntry = { atMs: 1500, happening: { kind: 'vehicle', speedKmh: 12, lengthM: 4.5, shadow: 0.15, sources: [] } };
const CLEAN_TRAFFIC = traffic({ min: 1000, max: 2000 }, { min: 10_000, max: 15_000 }, 0, []);

export const SCENARIOS: Readonly<Record<ScenarioName, ScenarioDefinition>> = {
  quiet: {
    name: 'quiet',
    summary: 'Background only: clean vehicles every 15-30 s, no sources, no faults (false alarms only, see README).',
    // its first 30 min are alarm-free; other seeds see ~0.9 % neutron false alarms per occupancy (README)
    defaultSeed: 1002,
    traffic: traffic({ min: 2000, max: 4000 }, { min: 15_000, max: 30_000 }, 0, []),
    script: [],
  },
  idle: {
    name: 'idle',
    summary: 'No traffic at all: live background values only, no occupancy ever.',
    defaultSeed: 1001,
    script: [],
  },
  demo: {
    name: 'demo',
    summary: 'A clean car at 1.5 s, then a vehicle every 6-10 s; one in each three carries a gamma and/or neutron source.',
    defaultSeed: 1003,
    traffic: DEMO_TRAFFIC,
    script: [DEMO_FIRST_CAR],
  },
  'gamma-alarm': {
    name: 'gamma-alarm',
    summary: 'Every vehicle (first at 1-2 s, then every 8-12 s, transits of at most ~7 s) carries a Cs-137 or Co-60 source.',
    defaultSeed: 1004,
    traffic: alarmTraffic(GAMMA_MIX),
    script: [],
  },
  'neutron-alarm': {
    name: 'neutron-alarm',
    summary: 'Every vehicle (first at 1-2 s, then every 8-12 s, transits of at most ~7 s) carries a Cf-252 or AmBe neutron source.',
    defaultSeed: 1005,
    traffic: alarmTraffic(NEUTRON_MIX),
    script: [],
  },
  'dual-alarm': {
    name: 'dual-alarm',
    summary: 'Every vehicle (first at 1-2 s, then every 8-12 s, transits of at most ~7 s) carries a gamma and a neutron source.',
    defaultSeed: 1006,
    traffic: alarmTraffic(DUAL_MIX),
    script: [],
  },
  tamper: {
    name: 'tamper',
    summary: 'Clean traffic; the cabinet door opens at 3 s and closes at 13 s, every 30 s.',
    defaultSeed: 1007,
    traffic: CLEAN_TRAFFIC,
    script: [
      { atMs: 3000, happening: { kind: 'tamper', open: true } },
      { atMs: 13_000, happening: { kind: 'tamper', open: false } },
    ],
    repeatEveryMs: 30_000,
  },
  faults: {
    name: 'faults',
    summary: 'Clean traffic; gamma panel G2 dead 3-15 s, neutron panel N1 dead 20-32 s, every 40 s.',
    defaultSeed: 1008,
    traffic: CLEAN_TRAFFIC,
    script: [
      { atMs: 3000, happening: { kind: 'detector-fault', category: 'gamma', panel: 1, active: true } },
      { atMs: 15_000, happening: { kind: 'detector-fault', category: 'gamma', panel: 1, active: false } },
      { atMs: 20_000, happening: { kind: 'detector-fault', category: 'neutron', panel: 0, active: true } },
      { atMs: 32_000, happening: { kind: 'detector-fault', category: 'neutron', panel: 0, active: false } },
    ],
    repeatEveryMs: 40_000,
  },
  background: {
    name: 'background',
    summary: 'Sparse clean traffic; gamma background x3 (5-95 s), x0.25 (125-215 s), neutron x5 (245-335 s), every 380 s.',
    defaultSeed: 1009,
    traffic: traffic({ min: 2000, max: 4000 }, { min: 20_000, max: 30_000 }, 0, []),
    script: [
      { atMs: 5000, happening: { kind: 'background', category: 'gamma', factor: 3 } },
      { atMs: 95_000, happening: { kind: 'background', category: 'gamma', factor: 1 } },
      { atMs: 125_000, happening: { kind: 'background', category: 'gamma', factor: 0.25 } },
      { atMs: 215_000, happening: { kind: 'background', category: 'gamma', factor: 1 } },
      { atMs: 245_000, happening: { kind: 'background', category: 'neutron', factor: 5 } },
      { atMs: 335_000, happening: { kind: 'background', category: 'neutron', factor: 1 } },
    ],
    repeatEveryMs: 380_000,
  },
  malformed: {
    name: 'malformed',
    summary:
      'Demo traffic; every 7th FC 4 reply is malformed (wrong byte count 0-20 s and 40-60 s, truncated PDU 20-40 s), and the float registers read NaN at 5-8 s and 30-33 s, every 60 s.',
    defaultSeed: 1010,
    traffic: DEMO_TRAFFIC,
    script: [
      { atMs: 0, happening: { kind: 'server-faults', plan: { mode: { kind: 'malformed', shape: 'byte-count' }, every: 7, functionCodes: [4] } } },
      { atMs: 5000, happening: { kind: 'float-corruption', active: true } },
      { atMs: 8000, happening: { kind: 'float-corruption', active: false } },
      { atMs: 20_000, happening: { kind: 'server-faults', plan: { mode: { kind: 'malformed', shape: 'truncated' }, every: 7, functionCodes: [4] } } },
      { atMs: 30_000, happening: { kind: 'float-corruption', active: true } },
      { atMs: 33_000, happening: { kind: 'float-corruption', active: false } },
      { atMs: 40_000, happening: { kind: 'server-faults', plan: { mode: { kind: 'malformed', shape: 'byte-count' }, every: 7, functionCodes: [4] } } },
    ],
    repeatEveryMs: 60_000,
  },
  silent: {
    name: 'silent',
    summary: 'Accepts connections and never answers (the device model still runs behind the silence).',
    defaultSeed: 1011,
    traffic: DEMO_TRAFFIC,
    script: [{ atMs: 0, happening: { kind: 'server-faults', plan: { mode: { kind: 'silent' } } } }],
  },
};

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}
