/**
 * The adapter's memory of a device, carried from line to line by the normalise reducer and stored
 * by the outbox with the events it produced. Plain JSON, and bounded: an occupancy keeps running
 * totals and maxima plus the last alarm window of samples, never the samples themselves, so one
 * that never ends cannot grow the state.
 */

/** Per-device options (the adapter's optionsSchema). */
export interface LineOptions {
  /** at most one background measurement event per this many ms (default 10 000; 0 = every GB) */
  measurementIntervalMs?: number;
}

export const DEFAULT_MEASUREMENT_INTERVAL_MS = 10_000;
/** used until an SG line says otherwise */
export const DEFAULT_SAMPLE_PERIOD_MS = 200;
/** the alarm window the sigma is computed over */
export const WINDOW_MS = 1000;

export type Settings = {
  gammaNSigma: number | null;
  gammaHighBackgroundCps: number | null;
  gammaLowBackgroundCps: number | null;
  samplePeriodMs: number | null;
  neutronNSigma: number | null;
  neutronHighBackgroundCps: number | null;
};

/** One category's (gamma or neutron) share of an open occupancy. */
export type CategoryAcc = {
  /** sample lines seen */
  samples: number;
  /** any sample line of this category was an alarm line (GA / NA) */
  alarm: boolean;
  /** the last samples, oldest first, at most one alarm window */
  ring: number[][];
  grossCounts: number[];
  /** windows evaluated so far */
  windows: number;
  /** per channel, the highest rate over one window, cps */
  maxRateCps: number[];
  /** per channel, the highest (F - B) / sqrt(B) over one window; null while no background is known */
  maxChannelSigma: Array<number | null>;
  /** the same over the sum of the channels: what the n-sigma alarm is judged on */
  maxSigma: number | null;
};

export type Occupancy = {
  /** gateway time (ms) of the first and the last line of the occupancy */
  firstAt: number;
  lastAt: number;
  gamma: CategoryAcc;
  neutron: CategoryAcc;
  speedSumKmh: number;
  speedReports: number;
};

export type LineState = {
  settings: Settings;
  gammaBackgroundCps: number[] | null;
  neutronBackgroundCps: number[] | null;
  /** gateway time (ms) of the last background measurement event */
  lastMeasurementAt: number | null;
  tamper: boolean;
  gammaHighBackground: boolean;
  gammaLowBackground: boolean;
  neutronHighBackground: boolean;
  lastOccupancyCount: number | null;
  occupancy: Occupancy | null;
};

export function initialLineState(): LineState {
  return {
    settings: {
      gammaNSigma: null,
      gammaHighBackgroundCps: null,
      gammaLowBackgroundCps: null,
      samplePeriodMs: null,
      neutronNSigma: null,
      neutronHighBackgroundCps: null,
    },
    gammaBackgroundCps: null,
    neutronBackgroundCps: null,
    lastMeasurementAt: null,
    tamper: false,
    gammaHighBackground: false,
    gammaLowBackground: false,
    neutronHighBackground: false,
    lastOccupancyCount: null,
    occupancy: null,
  };
}

export function emptyCategory(channels: number): CategoryAcc {
  return {
    samples: 0,
    alarm: false,
    ring: [],
    grossCounts: new Array<number>(channels).fill(0),
    windows: 0,
    maxRateCps: new Array<number>(channels).fill(0),
    maxChannelSigma: new Array<number | null>(channels).fill(null),
    maxSigma: null,
  };
}

export function samplePeriodMs(s: LineState): number {
  return s.settings.samplePeriodMs ?? DEFAULT_SAMPLE_PERIOD_MS;
}

/** Samples in one alarm window: 5 at the usual 200 ms. */
export function windowSamples(periodMs: number): number {
  return Math.max(1, Math.round(WINDOW_MS / periodMs));
}
