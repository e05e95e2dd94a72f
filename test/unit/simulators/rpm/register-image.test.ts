import { describe, expect, it } from 'vitest';
import { createRegisterImage, encodeRegisterImage, INPUT, writeF32Cdab, writeU32Abcd } from '../../../../simulators/rpm/register-image.js';
import type { RpmDeviceState } from '../../../../simulators/rpm/rpm-model.js';

/** Decode words the way the register map says a client must. */
const bytes = (words: Uint16Array, at: number, n: number): Buffer => {
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) b.writeUInt16BE(words[at + i] ?? 0, i * 2);
  return b;
};
const u32abcd = (w: Uint16Array, at: number): number => bytes(w, at, 2).readUInt32BE(0);
const f32cdab = (w: Uint16Array, at: number): number => {
  const b = bytes(w, at, 2);
  return Buffer.from([b[2] ?? 0, b[3] ?? 0, b[0] ?? 0, b[1] ?? 0]).readFloatBE(0);
};
const i16 = (w: Uint16Array, at: number): number => bytes(w, at, 1).readInt16BE(0);

function state(over: Partial<RpmDeviceState> = {}): RpmDeviceState {
  return {
    timeMs: Date.UTC(2025, 5, 1, 12, 0, 0, 400),
    sampleCount: 70_000,
    occupied: true,
    gammaAlarm: true,
    neutronAlarm: false,
    tamper: true,
    gammaFault: false,
    neutronFault: true,
    gammaHighBackground: false,
    gammaLowBackground: true,
    neutronHighBackground: true,
    gammaRateCps: [1000, 70_000, 0, 1235],
    neutronRateCps: [2.346, 700],
    gammaBackgroundCps: [1234.5, 800.25, 0, 1500],
    neutronBackgroundCps: [3.125, 2],
    speedKmh: 8.46,
    occupancyCount: 65_537,
    lastOccupancy: {
      occupancyNumber: 65_537,
      gammaAlarm: false,
      neutronAlarm: true,
      startTimeMs: Date.UTC(2025, 5, 1, 11, 59, 55, 0),
      endTimeMs: Date.UTC(2025, 5, 1, 11, 59, 59, 987),
      durationMs: 4987,
      maxGammaCps: [1100, 1200, 100_000, 1300],
      maxNeutronCps: [12.5, 3],
      maxGammaSigma: -3.456,
      maxNeutronSigma: 400,
      meanSpeedKmh: 11.04,
      sources: [],
    },
    nSigma: 4,
    samplePeriodMs: 200,
    firmware: 0x0203,
    serialNumber: 0x12345678,
    alarmLamp: true,
    maintenance: false,
    floatCorruption: false,
    ...over,
  };
}

describe('RPM register image encoding (REGISTER-MAP.md)', () => {
  it('word orders: uint32 ABCD is high word first, float32 CDAB is low word first', () => {
    const w = new Uint16Array(4);
    writeU32Abcd(w, 0, 0x12345678);
    writeF32Cdab(w, 2, 1234.5); // IEEE 754: 0x449A5000
    expect([...w]).toEqual([0x1234, 0x5678, 0x5000, 0x449a]);
  });

  it('encodes the live block', () => {
    const img = createRegisterImage();
    encodeRegisterImage(state(), img);
    const w = img.input;
    expect(w[INPUT.status]).toBe(0b1_1010_1011); // occupied, gamma alarm, tamper, neutron fault, gamma low bg, neutron high bg
    expect(w[INPUT.sampleCounter]).toBe(70_000 - 65_536);
    expect([0, 1, 2, 3].map((p) => u32abcd(w, INPUT.gammaRate + 2 * p))).toEqual([1000, 70_000, 0, 1235]);
    expect([w[INPUT.neutronRate], w[INPUT.neutronRate + 1]]).toEqual([235, 65_535]); // 0.01 cps, clamped
    expect([0, 1, 2, 3].map((p) => f32cdab(w, INPUT.gammaBackground + 2 * p))).toEqual([1234.5, 800.25, 0, 1500]);
    expect([0, 1].map((p) => f32cdab(w, INPUT.neutronBackground + 2 * p))).toEqual([3.125, 2]);
    expect(i16(w, INPUT.speed)).toBe(85);
  });

  it('encodes the latched occupancy summary, clamping what does not fit', () => {
    const img = createRegisterImage();
    encodeRegisterImage(state(), img);
    const w = img.input;
    expect(u32abcd(w, INPUT.occupancyCount)).toBe(65_537);
    expect(w[INPUT.lastFlags]).toBe(0b10);
    expect(u32abcd(w, INPUT.lastDurationMs)).toBe(4987);
    expect([0, 1, 2, 3].map((p) => u32abcd(w, INPUT.lastMaxGamma + 2 * p))).toEqual([1100, 1200, 100_000, 1300]);
    expect([w[INPUT.lastMaxNeutron], w[INPUT.lastMaxNeutron + 1]]).toEqual([1250, 300]);
    expect(i16(w, INPUT.lastMaxGammaSigma)).toBe(-346);
    expect(i16(w, INPUT.lastMaxNeutronSigma)).toBe(32_767);
    expect(i16(w, INPUT.lastSpeed)).toBe(110);
    expect(u32abcd(w, INPUT.lastEndEpochS)).toBe(Math.floor(Date.UTC(2025, 5, 1, 11, 59, 59) / 1000));
    expect(w[INPUT.lastEndMillis]).toBe(987);
  });

  it('encodes configuration, coils and discrete inputs', () => {
    const img = createRegisterImage();
    encodeRegisterImage(state({ nSigma: 4.5, maintenance: true }), img);
    expect([...img.holding]).toEqual([45, 200, 0x0203, 0x1234, 0x5678]);
    expect([...img.coils]).toEqual([1, 1]);
    expect([...img.discrete]).toEqual([1, 1]);
  });

  it('speed reads 0 when unoccupied; float corruption reads NaN (0x7FC00000 as CDAB)', () => {
    const img = createRegisterImage();
    encodeRegisterImage(state({ occupied: false, floatCorruption: true }), img);
    expect(img.input[INPUT.speed]).toBe(0);
    expect([img.input[INPUT.gammaBackground], img.input[INPUT.gammaBackground + 1]]).toEqual([0x0000, 0x7fc0]);
    for (let p = 0; p < 6; p++) expect(Number.isNaN(f32cdab(img.input, INPUT.gammaBackground + 2 * p))).toBe(true);
  });
});
