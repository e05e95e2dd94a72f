/**
 * The generic RPM register map (adapters/rpm-modbus-generic/REGISTER-MAP.md) as an encoder: a
 * device snapshot in engineering units -> register and bit images. Used to generate the golden
 * inputs of the rpm-modbus-generic profile.
 */
import { deviceImages, type DeviceImages } from './modbus-image.js';

export interface RpmStatus {
  occupied: boolean;
  gammaAlarm: boolean;
  neutronAlarm: boolean;
  tamper: boolean;
  gammaDetectorFault: boolean;
  neutronDetectorFault: boolean;
  gammaHighBackground: boolean;
  gammaLowBackground: boolean;
  neutronHighBackground: boolean;
}

export interface RpmOccupancySummary {
  count: number;
  gammaAlarm: boolean;
  neutronAlarm: boolean;
  durationMs: number;
  maxGamma: readonly [number, number, number, number];
  maxNeutron: readonly [number, number];
  maxGammaSigma: number;
  maxNeutronSigma: number;
  speedKmh: number;
  endEpochS: number;
  endMillis: number;
}

export interface RpmSnapshot {
  status: RpmStatus;
  sampleCounter: number;
  gammaRate: readonly [number, number, number, number];
  neutronRate: readonly [number, number];
  gammaBackground: readonly [number, number, number, number];
  neutronBackground: readonly [number, number];
  speedKmh: number;
  last: RpmOccupancySummary;
  nSigma: number;
  samplePeriodMs: number;
  firmware: readonly [major: number, minor: number];
  serialNumber: number;
  alarmLamp: boolean;
  maintenanceMode: boolean;
}

const STATUS_BITS: readonly (keyof RpmStatus)[] = [
  'occupied', 'gammaAlarm', 'neutronAlarm', 'tamper', 'gammaDetectorFault', 'neutronDetectorFault',
  'gammaHighBackground', 'gammaLowBackground', 'neutronHighBackground',
];

/** A quiet lane: no occupancy yet, backgrounds in the usual ranges. */
export function quietRpm(): RpmSnapshot {
  return {
    status: {
      occupied: false, gammaAlarm: false, neutronAlarm: false, tamper: false, gammaDetectorFault: false,
      neutronDetectorFault: false, gammaHighBackground: false, gammaLowBackground: false, neutronHighBackground: false,
    },
    sampleCounter: 100,
    gammaRate: [1010, 1185, 940, 1320],
    neutronRate: [2.5, 3.1],
    gammaBackground: [1012.5, 1180.25, 951.75, 1310],
    neutronBackground: [2.75, 3.0],
    speedKmh: 0,
    last: {
      count: 0, gammaAlarm: false, neutronAlarm: false, durationMs: 0, maxGamma: [0, 0, 0, 0], maxNeutron: [0, 0],
      maxGammaSigma: 0, maxNeutronSigma: 0, speedKmh: 0, endEpochS: 0, endMillis: 0,
    },
    nSigma: 4,
    samplePeriodMs: 200,
    firmware: [2, 3],
    serialNumber: 40117,
    alarmLamp: false,
    maintenanceMode: false,
  };
}

const scaled = (v: number, scale: number): number => Math.round(v / scale);

export function rpmImages(s: RpmSnapshot): DeviceImages {
  const img = deviceImages();
  const { input, holding } = img;
  STATUS_BITS.forEach((k, bit) => input.setBit(0, bit, s.status[k]));
  input.setUint16(1, s.sampleCounter & 0xffff);
  s.gammaRate.forEach((v, i) => input.setUint32(2 + 2 * i, v, 'big'));
  s.neutronRate.forEach((v, i) => input.setUint16(10 + i, scaled(v, 0.01)));
  s.gammaBackground.forEach((v, i) => input.setFloat32(12 + 2 * i, v, 'little'));
  s.neutronBackground.forEach((v, i) => input.setFloat32(20 + 2 * i, v, 'little'));
  input.setInt16(24, scaled(s.speedKmh, 0.1));

  const l = s.last;
  input.setUint32(30, l.count, 'big');
  input.setBit(32, 0, l.gammaAlarm).setBit(32, 1, l.neutronAlarm);
  input.setUint32(33, l.durationMs, 'big');
  l.maxGamma.forEach((v, i) => input.setUint32(35 + 2 * i, v, 'big'));
  l.maxNeutron.forEach((v, i) => input.setUint16(43 + i, scaled(v, 0.01)));
  input.setInt16(45, scaled(l.maxGammaSigma, 0.01));
  input.setInt16(46, scaled(l.maxNeutronSigma, 0.01));
  input.setInt16(47, scaled(l.speedKmh, 0.1));
  input.setUint32(48, l.endEpochS, 'big');
  input.setUint16(50, l.endMillis);

  holding.setUint16(100, scaled(s.nSigma, 0.1));
  holding.setUint16(101, s.samplePeriodMs);
  holding.setUint16(102, (s.firmware[0] << 8) | s.firmware[1]);
  holding.setUint32(103, s.serialNumber, 'big');

  img.discrete.set(0, s.status.tamper).set(1, s.status.occupied);
  img.coil.set(0, s.alarmLamp).set(1, s.maintenanceMode);
  return img;
}
