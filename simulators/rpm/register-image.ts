/**
 * The RPM's Modbus register image, encoded exactly per adapters/rpm-modbus-generic/REGISTER-MAP.md:
 * uint32 ABCD (high word first), float32 CDAB (low word first), int16 two's complement, scaled integers
 * rounded and clamped to their type. Pure: state in, words out.
 */
import type { RpmDeviceState } from './rpm-model.js';

/** Readable blocks per table, inclusive 0-based protocol addresses; anything else is exception 2. */
export const RPM_BLOCKS = {
  input: [
    { first: 0, last: 24 },
    { first: 30, last: 50 },
  ],
  holding: [{ first: 100, last: 104 }],
  coils: [{ first: 0, last: 1 }],
  discrete: [{ first: 0, last: 1 }],
} as const;

export const INPUT = {
  status: 0,
  sampleCounter: 1,
  gammaRate: 2,
  neutronRate: 10,
  gammaBackground: 12,
  neutronBackground: 20,
  speed: 24,
  occupancyCount: 30,
  lastFlags: 32,
  lastDurationMs: 33,
  lastMaxGamma: 35,
  lastMaxNeutron: 43,
  lastMaxGammaSigma: 45,
  lastMaxNeutronSigma: 46,
  lastSpeed: 47,
  lastEndEpochS: 48,
  lastEndMillis: 50,
} as const;

export const HOLDING_BASE = 100;
export const HOLDING = { nSigma: 100, samplePeriodMs: 101, firmware: 102, serialNumber: 103 } as const;
export const COIL = { alarmLamp: 0, maintenanceMode: 1 } as const;
export const DISCRETE = { cabinetDoorOpen: 0, occupancyBeam: 1 } as const;

export const STATUS_BIT = {
  occupied: 0,
  gammaAlarm: 1,
  neutronAlarm: 2,
  tamper: 3,
  gammaFault: 4,
  neutronFault: 5,
  gammaHighBackground: 6,
  gammaLowBackground: 7,
  neutronHighBackground: 8,
} as const;

export const LAST_FLAG_BIT = { gammaAlarm: 0, neutronAlarm: 1 } as const;

export interface RpmRegisterImage {
  /** input registers 0..50 (25..29 exist here but are not served) */
  input: Uint16Array;
  /** holding registers 100..104, index 0 = address 100 */
  holding: Uint16Array;
  coils: Uint8Array;
  discrete: Uint8Array;
}

export function createRegisterImage(): RpmRegisterImage {
  return { input: new Uint16Array(51), holding: new Uint16Array(5), coils: new Uint8Array(2), discrete: new Uint8Array(2) };
}

const clamp = (v: number, lo: number, hi: number): number => (Number.isNaN(v) ? lo : Math.min(hi, Math.max(lo, v)));

export function u16(v: number): number {
  return clamp(Math.round(v), 0, 0xffff);
}

export function i16(v: number): number {
  return clamp(Math.round(v), -0x8000, 0x7fff) & 0xffff;
}

/** uint32, ABCD: high word at the lower address */
export function writeU32Abcd(words: Uint16Array, at: number, v: number): void {
  const n = clamp(Math.round(v), 0, 0xffffffff);
  words[at] = Math.floor(n / 0x10000);
  words[at + 1] = n % 0x10000;
}

/** float32, CDAB: the IEEE 754 big-endian bytes A B C D go out as word CD then word AB */
export function writeF32Cdab(words: Uint16Array, at: number, v: number): void {
  const b = Buffer.allocUnsafe(4);
  b.writeFloatBE(v, 0);
  words[at] = b.readUInt16BE(2);
  words[at + 1] = b.readUInt16BE(0);
}

function bit(on: boolean, n: number): number {
  return on ? 1 << n : 0;
}

/** Write the whole image from a state snapshot (in place, so the server never sees a half-built copy). */
export function encodeRegisterImage(s: RpmDeviceState, image: RpmRegisterImage): void {
  const w = image.input;
  w[INPUT.status] =
    bit(s.occupied, STATUS_BIT.occupied) |
    bit(s.gammaAlarm, STATUS_BIT.gammaAlarm) |
    bit(s.neutronAlarm, STATUS_BIT.neutronAlarm) |
    bit(s.tamper, STATUS_BIT.tamper) |
    bit(s.gammaFault, STATUS_BIT.gammaFault) |
    bit(s.neutronFault, STATUS_BIT.neutronFault) |
    bit(s.gammaHighBackground, STATUS_BIT.gammaHighBackground) |
    bit(s.gammaLowBackground, STATUS_BIT.gammaLowBackground) |
    bit(s.neutronHighBackground, STATUS_BIT.neutronHighBackground);
  w[INPUT.sampleCounter] = s.sampleCount % 0x10000;
  s.gammaRateCps.forEach((cps, p) => writeU32Abcd(w, INPUT.gammaRate + 2 * p, cps));
  s.neutronRateCps.forEach((cps, p) => (w[INPUT.neutronRate + p] = u16(cps * 100)));
  s.gammaBackgroundCps.forEach((cps, p) => writeF32Cdab(w, INPUT.gammaBackground + 2 * p, s.floatCorruption ? Number.NaN : cps));
  s.neutronBackgroundCps.forEach((cps, p) => writeF32Cdab(w, INPUT.neutronBackground + 2 * p, s.floatCorruption ? Number.NaN : cps));
  w[INPUT.speed] = s.occupied ? i16(s.speedKmh * 10) : 0;

  writeU32Abcd(w, INPUT.occupancyCount, s.occupancyCount);
  const last = s.lastOccupancy;
  if (last !== undefined) {
    w[INPUT.lastFlags] = bit(last.gammaAlarm, LAST_FLAG_BIT.gammaAlarm) | bit(last.neutronAlarm, LAST_FLAG_BIT.neutronAlarm);
    writeU32Abcd(w, INPUT.lastDurationMs, last.durationMs);
    last.maxGammaCps.forEach((cps, p) => writeU32Abcd(w, INPUT.lastMaxGamma + 2 * p, cps));
    last.maxNeutronCps.forEach((cps, p) => (w[INPUT.lastMaxNeutron + p] = u16(cps * 100)));
    w[INPUT.lastMaxGammaSigma] = i16(last.maxGammaSigma * 100);
    w[INPUT.lastMaxNeutronSigma] = i16(last.maxNeutronSigma * 100);
    w[INPUT.lastSpeed] = i16(last.meanSpeedKmh * 10);
    const endMs = Math.round(last.endTimeMs);
    writeU32Abcd(w, INPUT.lastEndEpochS, Math.floor(endMs / 1000));
    w[INPUT.lastEndMillis] = ((endMs % 1000) + 1000) % 1000;
  }

  const h = image.holding;
  h[HOLDING.nSigma - HOLDING_BASE] = u16(s.nSigma * 10);
  h[HOLDING.samplePeriodMs - HOLDING_BASE] = u16(s.samplePeriodMs);
  h[HOLDING.firmware - HOLDING_BASE] = s.firmware & 0xffff;
  writeU32Abcd(h, HOLDING.serialNumber - HOLDING_BASE, s.serialNumber);

  image.coils[COIL.alarmLamp] = s.alarmLamp ? 1 : 0;
  image.coils[COIL.maintenanceMode] = s.maintenance ? 1 : 0;
  image.discrete[DISCRETE.cabinetDoorOpen] = s.tamper ? 1 : 0;
  image.discrete[DISCRETE.occupancyBeam] = s.occupied ? 1 : 0;
}
