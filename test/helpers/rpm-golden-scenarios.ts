/**
 * The scenarios behind adapters/rpm-modbus-generic/testcases/<case>/input.json. Each is a list of
 * polls (gateway time + device snapshot); the frames are encoded with the register map and the
 * profile's own read plan. test/unit/adapter/rpm-golden-inputs.test.ts keeps the files in step
 * (UPDATE_GOLDEN=1 rewrites them).
 */
import type { ModbusRead } from '../../src/adapter/types.js';
import { blocksFor, type FrameFixture } from './modbus-image.js';
import { quietRpm, rpmImages, type RpmOccupancySummary, type RpmSnapshot, type RpmStatus } from './rpm-image.js';

/** 2026-11-23T10:00:00.000Z, gateway clock of each case's first poll. */
export const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const T0_S = T0 / 1000;

interface Patch {
  status?: Partial<RpmStatus>;
  last?: Partial<RpmOccupancySummary>;
  snapshot?: Partial<Omit<RpmSnapshot, 'status' | 'last'>>;
}

function snap(base: RpmSnapshot, p: Patch): RpmSnapshot {
  return { ...base, ...p.snapshot, status: { ...base.status, ...p.status }, last: { ...base.last, ...p.last } };
}

/** Polls at T0 + offset ms; each patch applies on top of the previous snapshot. */
function polls(steps: readonly (readonly [offsetMs: number, patch: Patch])[]): { at: number; snapshot: RpmSnapshot }[] {
  let current = quietRpm();
  return steps.map(([offset, patch], i) => {
    current = snap(current, { ...patch, snapshot: { sampleCounter: 100 + i * 5, ...patch.snapshot } });
    return { at: T0 + offset, snapshot: current };
  });
}

const occupancy7: Partial<RpmOccupancySummary> = {
  count: 7, durationMs: 3900, maxGamma: [1105, 1290, 1010, 1405], maxNeutron: [3.2, 3.6], maxGammaSigma: 1.12,
  maxNeutronSigma: 0.4, speedKmh: 9.1, endEpochS: T0_S - 60, endMillis: 250,
};

const clearOccupancy8: Partial<RpmOccupancySummary> = {
  count: 8, gammaAlarm: false, neutronAlarm: false, durationMs: 4200, maxGamma: [1150, 1333, 1002, 1398],
  maxNeutron: [3.4, 3.9], maxGammaSigma: 1.25, maxNeutronSigma: 0.61, speedKmh: 8.4, endEpochS: T0_S + 4, endMillis: 800,
};

const alarmOccupancy8: Partial<RpmOccupancySummary> = {
  count: 8, gammaAlarm: true, neutronAlarm: true, durationMs: 6150, maxGamma: [2410, 5180, 3320, 1502],
  maxNeutron: [14.5, 9.75], maxGammaSigma: 9.87, maxNeutronSigma: 6.5, speedKmh: 5.2, endEpochS: T0_S + 6, endMillis: 420,
};

const occupied = (speedKmh: number, gammaRate: RpmSnapshot['gammaRate']): Patch => ({ status: { occupied: true }, snapshot: { speedKmh, gammaRate } });
const leaves: Patch = { status: { occupied: false, gammaAlarm: false, neutronAlarm: false }, snapshot: { speedKmh: 0, gammaRate: [1005, 1190, 948, 1311] } };

/** Every RPM golden case, by folder name. */
export function rpmScenarios(): Map<string, { at: number; snapshot: RpmSnapshot }[]> {
  return new Map([
    ['background-only', polls([
      [0, {}],
      [500, { snapshot: { gammaRate: [1022, 1170, 951, 1302] } }],
      [5000, {}],
      [10000, { snapshot: { gammaRate: [998, 1201, 933, 1333], neutronRate: [2.8, 2.9] } }],
      [15000, {}],
      [20500, { snapshot: { gammaBackground: [1013, 1181.5, 950.25, 1309.75] } }],
    ])],
    ['clear-occupancy', polls([
      [0, { last: occupancy7 }],
      [1000, occupied(8.5, [980, 1102, 870, 1190])],
      [3000, occupied(8.3, [1150, 1333, 1002, 1398])],
      [5000, { ...leaves, last: clearOccupancy8 }],
      [5500, {}],
    ])],
    ['dual-alarm-occupancy', polls([
      [0, { last: occupancy7 }],
      [1000, occupied(5.4, [1600, 2900, 2100, 1290])],
      [3000, { status: { occupied: true, gammaAlarm: true, neutronAlarm: true }, snapshot: { speedKmh: 5.1, gammaRate: [2410, 5180, 3320, 1502], alarmLamp: true } }],
      [7000, { ...leaves, last: alarmOccupancy8 }],
      [7500, {}],
    ])],
    ['tamper-raised-and-cleared', polls([
      [0, {}],
      [1000, { status: { tamper: true } }],
      [2000, {}],
      [3000, { status: { tamper: false } }],
    ])],
    ['detector-fault', polls([
      [0, {}],
      [1000, { status: { gammaDetectorFault: true, gammaLowBackground: true }, snapshot: { gammaRate: [1010, 0, 940, 1320] } }],
      [2000, {}],
      [3000, { status: { gammaDetectorFault: false }, snapshot: { gammaRate: [1010, 1120, 940, 1320] } }],
      [4000, { status: { gammaLowBackground: false } }],
    ])],
    ['fault-active-at-first-poll', polls([
      [0, { status: { tamper: true, neutronHighBackground: true } }],
      [1000, {}],
      [2000, { status: { neutronHighBackground: false } }],
    ])],
    ['maintenance-mode', polls([
      [0, {}],
      [1000, { snapshot: { maintenanceMode: true } }],
      [2000, {}],
      [3000, { snapshot: { maintenanceMode: false } }],
    ])],
    ['restart-baseline', polls([
      [0, { last: { ...alarmOccupancy8, count: 41, endEpochS: T0_S - 30 } }],
      [500, {}],
      [12000, { last: { ...clearOccupancy8, count: 42, endEpochS: T0_S + 11 } }],
    ])],
    ['counter-reset-by-device-restart', polls([
      [0, { last: { ...clearOccupancy8, count: 42 } }],
      [1000, { last: { count: 0, durationMs: 0, maxGamma: [0, 0, 0, 0], maxNeutron: [0, 0], maxGammaSigma: 0, maxNeutronSigma: 0, speedKmh: 0, endEpochS: 0, endMillis: 0 } }],
      [6000, { last: { ...clearOccupancy8, count: 1, endEpochS: T0_S + 5 } }],
    ])],
    ['nan-background', polls([
      [0, {}],
      [1000, { snapshot: { gammaBackground: [1012.5, Number.NaN, 951.75, 1310] } }],
    ])],
    ['out-of-range-millis', polls([
      [0, { last: { ...clearOccupancy8, endMillis: 1500 } }],
    ])],
    ['short-block', polls([
      [0, {}],
    ])],
  ]);
}

/** Frames of a scenario as the profile's read plan would fetch them. The short-block case cuts its last block. */
export function rpmInputs(name: string, steps: readonly { at: number; snapshot: RpmSnapshot }[], reads: readonly ModbusRead[]): FrameFixture[] {
  return steps.map(({ at, snapshot }) => {
    const blocks = blocksFor(reads, rpmImages(snapshot));
    if (name === 'short-block') {
      const last = blocks[blocks.length - 1];
      if (last !== undefined) last.data = last.data.slice(0, last.data.length - 8);
    }
    return { receivedAt: at, blocks };
  });
}
