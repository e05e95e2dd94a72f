/**
 * Plain data of the RPM model: what happens to the portal (happenings), what it carries (sources),
 * and what the device knows (state and occupancy summaries). Shared by physics, scenarios and the register map.
 */

export const GAMMA_PANELS = 4;
export const NEUTRON_PANELS = 2;
export const SAMPLE_PERIOD_MS = 200;
/** a 1 s alarm window is the last 5 samples */
export const WINDOW_SAMPLES = 5;

export type RadiationCategory = 'gamma' | 'neutron';

/** Labels only: a PVT gross counter cannot tell nuclides apart; they document what a scenario means. */
export type GammaNuclide = 'Cs-137' | 'Co-60' | 'Ba-133' | 'Am-241' | 'I-131' | 'Ra-226' | 'NORM';
export type NeutronNuclide = 'Cf-252' | 'AmBe' | 'Pu-239';

interface SourceGeometry {
  /** extra count rate (cps) one panel sees with the source at the detector plane on the portal centre line */
  peakCps: number;
  /** where the source sits along the vehicle: 0 front bumper, 1 rear (default 0.5) */
  position?: number;
  /** spatial spread (1 sigma, m) of the bell-shaped response: ~1 for a point source, several m for bulk cargo */
  spreadM?: number;
  /** -1 against the left pillar (G1, G2, N1), +1 against the right (G3, G4, N2); default 0 */
  lateral?: number;
}

export type RadiationSource =
  | (SourceGeometry & { category: 'gamma'; nuclide: GammaNuclide })
  | (SourceGeometry & { category: 'neutron'; nuclide: NeutronNuclide });

export interface VehicleSpec {
  /** nominal speed, km/h (a real driver wanders about +-10 % around it) */
  speedKmh: number;
  lengthM: number;
  /** fraction (0.10-0.25) of the gamma background the vehicle body blocks while in the portal */
  shadow: number;
  sources: readonly RadiationSource[];
}

/** Something that happens to the device, now. */
export type RpmHappening =
  | { kind: 'vehicle'; vehicle: VehicleSpec }
  /** electronics cabinet door (tamper switch) */
  | { kind: 'tamper'; open: boolean }
  /** a panel goes dead (no counts) and the device flags a detector fault; panel is 0-based */
  | { kind: 'detector-fault'; category: RadiationCategory; panel: number; active: boolean }
  /** the true background of every panel of a category is multiplied by factor (1 = normal) */
  | { kind: 'background'; category: RadiationCategory; factor: number }
  | { kind: 'maintenance'; active: boolean }
  /** the float registers read NaN while active (a firmware bug the gateway must quarantine) */
  | { kind: 'float-corruption'; active: boolean };

export interface OccupancySummary {
  /** value of occupancyCount once this occupancy is latched */
  occupancyNumber: number;
  gammaAlarm: boolean;
  neutronAlarm: boolean;
  /** device clock, epoch ms */
  startTimeMs: number;
  endTimeMs: number;
  durationMs: number;
  /** max 1 s rolling rate per panel, cps */
  maxGammaCps: number[];
  maxNeutronCps: number[];
  /** max (F-B)/sqrt(B) over the occupancy's 1 s windows; 0 if no window could be evaluated */
  maxGammaSigma: number;
  maxNeutronSigma: number;
  meanSpeedKmh: number;
  /** what the vehicle carried (ground truth, for tests and logs; not in the registers) */
  sources: readonly RadiationSource[];
}

/** Everything the register image is made from; a snapshot after the last completed sample. */
export interface RpmDeviceState {
  /** device clock, epoch ms, at the end of the last sample */
  timeMs: number;
  /** samples taken since start (the register wraps it) */
  sampleCount: number;
  occupied: boolean;
  /** alarm flags of the occupancy in progress */
  gammaAlarm: boolean;
  neutronAlarm: boolean;
  tamper: boolean;
  gammaFault: boolean;
  neutronFault: boolean;
  gammaHighBackground: boolean;
  gammaLowBackground: boolean;
  neutronHighBackground: boolean;
  /** last 200 ms sample, per panel (counts x 5) */
  gammaRateCps: number[];
  /** last 1 s rolling, per panel */
  neutronRateCps: number[];
  gammaBackgroundCps: number[];
  neutronBackgroundCps: number[];
  speedKmh: number;
  occupancyCount: number;
  lastOccupancy: OccupancySummary | undefined;
  nSigma: number;
  samplePeriodMs: number;
  firmware: number;
  serialNumber: number;
  alarmLamp: boolean;
  maintenance: boolean;
  floatCorruption: boolean;
}
