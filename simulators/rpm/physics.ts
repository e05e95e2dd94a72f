/**
 * Gamma/neutron portal physics, per the register map's "Alarm physics": Poisson counts every 200 ms,
 * vehicles that shadow the gamma background, sources with a bell-shaped response as they pass,
 * and the n-sigma alarm over 1 s windows against a background estimated only while the portal is empty.
 *
 * Pure and deterministic: all randomness comes from one seeded stream, time only from step(dtMs).
 */
import { BorderlinkError } from '../../src/errors.js';
import { encodeRegisterImage, createRegisterImage, type RpmRegisterImage } from './register-image.js';
import {
  GAMMA_PANELS,
  NEUTRON_PANELS,
  SAMPLE_PERIOD_MS,
  WINDOW_SAMPLES,
  type OccupancySummary,
  type RpmDeviceState,
  type RpmHappening,
  type VehicleSpec,
} from './rpm-model.js';
import { SeededRandom } from './seeded-random.js';
import { checkVehicle, sourceCps, wander, type Transit } from './vehicle-transit.js';

export interface RpmPhysicsOptions {
  seed: number;
  /** device clock at elapsed 0, epoch ms */
  startTimeMs: number;
  /** alarm threshold n (default 4.0) */
  nSigma?: number;
  /** true background per gamma panel, cps (default: drawn in 800-1500) */
  gammaBackgroundCps?: readonly number[];
  /** true background per neutron panel, cps (default: drawn in 2-4) */
  neutronBackgroundCps?: readonly number[];
  /** time constant of the background estimate (default 30 s) */
  backgroundTimeConstantMs?: number;
  /** per panel limits for the background status bits */
  limits?: { gammaHighCps?: number; gammaLowCps?: number; neutronHighCps?: number };
  serialNumber?: number;
  /** high byte major, low byte minor (default 0x0203) */
  firmware?: number;
  /** called when an occupancy ends and its summary is latched */
  onOccupancyEnd?: (summary: OccupancySummary) => void;
}

/** gap the light curtain must see between two vehicles */
const MIN_GAP_MS = 1000;
const MAX_QUEUED_VEHICLES = 20;
const ALARM_LAMP_HOLD_MS = 10_000;
/** upper panels see cargo-level sources a little less than lower ones (G1, G2, G3, G4) */
const GAMMA_PANEL_HEIGHT = [0.9, 1.1, 0.9, 1.1] as const;
const GAMMA_PANEL_SIDE = [-1, -1, 1, 1] as const;
const NEUTRON_PANEL_SIDE = [-1, 1] as const;

export class RpmPhysics {
  private readonly rng: SeededRandom;
  private readonly startTimeMs: number;
  private readonly onOccupancyEnd: ((s: OccupancySummary) => void) | undefined;
  private readonly alpha: number;
  private readonly limits: { gammaHighCps: number; gammaLowCps: number; neutronHighCps: number };
  private readonly image: RpmRegisterImage = createRegisterImage();

  private samples = 0;
  /** elapsed ms not yet turned into a sample */
  private carryMs = 0;
  private readonly trueGamma: number[];
  private readonly trueNeutron: number[];
  private gammaFactor = 1;
  private neutronFactor = 1;
  private readonly bgGamma: number[];
  private readonly bgNeutron: number[];
  /** ring of the last WINDOW_SAMPLES samples' counts, per panel */
  private readonly ringGamma: number[][] = [];
  private readonly ringNeutron: number[][] = [];
  private ringHead = 0;
  private ringFill = 0;
  private lastGammaCounts: number[] = new Array<number>(GAMMA_PANELS).fill(0);

  private transit: Transit | undefined;
  private readonly queue: Array<{ arriveMs: number; spec: VehicleSpec }> = [];
  private lastExitMs = Number.NEGATIVE_INFINITY;
  private alarmLampUntilMs = Number.NEGATIVE_INFINITY;
  private readonly gammaDead: boolean[] = new Array<boolean>(GAMMA_PANELS).fill(false);
  private readonly neutronDead: boolean[] = new Array<boolean>(NEUTRON_PANELS).fill(false);
  private tamper = false;
  private maintenance = false;
  private floatCorruption = false;
  private nSigma: number;
  private readonly serialNumber: number;
  private readonly firmware: number;
  private occupancyCount = 0;
  private lastOccupancy: OccupancySummary | undefined;

  constructor(opts: RpmPhysicsOptions) {
    this.rng = new SeededRandom(opts.seed);
    this.startTimeMs = opts.startTimeMs;
    this.onOccupancyEnd = opts.onOccupancyEnd;
    this.nSigma = opts.nSigma ?? 4.0;
    this.serialNumber = (opts.serialNumber ?? 240117) >>> 0;
    this.firmware = (opts.firmware ?? 0x0203) & 0xffff;
    this.alpha = SAMPLE_PERIOD_MS / (opts.backgroundTimeConstantMs ?? 30_000);
    this.limits = {
      gammaHighCps: opts.limits?.gammaHighCps ?? 2500,
      gammaLowCps: opts.limits?.gammaLowCps ?? 400,
      neutronHighCps: opts.limits?.neutronHighCps ?? 8,
    };
    this.trueGamma = panelRates(opts.gammaBackgroundCps, GAMMA_PANELS, () => this.rng.range(800, 1500));
    this.trueNeutron = panelRates(opts.neutronBackgroundCps, NEUTRON_PANELS, () => this.rng.range(2, 4));
    // a device that has been running: its estimate starts at the true background
    this.bgGamma = [...this.trueGamma];
    this.bgNeutron = [...this.trueNeutron];
    for (let i = 0; i < WINDOW_SAMPLES; i++) {
      this.ringGamma.push(new Array<number>(GAMMA_PANELS).fill(0));
      this.ringNeutron.push(new Array<number>(NEUTRON_PANELS).fill(0));
    }
    this.refreshImage();
  }

  /** ms simulated since start (including a part-sample not yet taken) */
  elapsedMs(): number {
    return this.samples * SAMPLE_PERIOD_MS + this.carryMs;
  }

  /** device clock, epoch ms */
  now(): number {
    return this.startTimeMs + this.elapsedMs();
  }

  /** Advance the model; a sample is taken each time 200 ms have accumulated. */
  step(dtMs: number): void {
    if (!(dtMs >= 0) || !Number.isFinite(dtMs)) throw new BorderlinkError('BL_ERR_SIMULATOR', `step needs a finite dtMs >= 0, got ${dtMs}`);
    this.carryMs += dtMs;
    while (this.carryMs >= SAMPLE_PERIOD_MS) {
      this.carryMs -= SAMPLE_PERIOD_MS;
      this.sample();
    }
  }

  /** Apply a happening at the current instant. Vehicles queue if the portal is busy. */
  apply(h: RpmHappening): void {
    switch (h.kind) {
      case 'vehicle':
        checkVehicle(h.vehicle);
        if (this.queue.length >= MAX_QUEUED_VEHICLES) this.queue.shift();
        this.queue.push({ arriveMs: this.elapsedMs(), spec: h.vehicle });
        return;
      case 'tamper':
        this.tamper = h.open;
        break;
      case 'detector-fault': {
        const dead = h.category === 'gamma' ? this.gammaDead : this.neutronDead;
        if (!Number.isInteger(h.panel) || h.panel < 0 || h.panel >= dead.length) {
          throw new BorderlinkError('BL_ERR_SIMULATOR', `no ${h.category} panel ${h.panel} (0-based, ${dead.length} panels)`);
        }
        dead[h.panel] = h.active;
        break;
      }
      case 'background':
        if (!(h.factor >= 0) || !Number.isFinite(h.factor)) throw new BorderlinkError('BL_ERR_SIMULATOR', `background factor must be finite and >= 0, got ${h.factor}`);
        if (h.category === 'gamma') this.gammaFactor = h.factor;
        else this.neutronFactor = h.factor;
        return; // the estimate follows over time; nothing visible changes now
      case 'maintenance':
        this.maintenance = h.active;
        break;
      case 'float-corruption':
        this.floatCorruption = h.active;
        break;
    }
    this.refreshImage();
  }

  /** nSigma as written to holding register 100 */
  setNSigma(n: number): void {
    this.nSigma = n;
    this.refreshImage();
  }

  /** The live register image the server answers from (updated in place; do not mutate). */
  registers(): RpmRegisterImage {
    return this.image;
  }

  occupancyTotal(): number {
    return this.occupancyCount;
  }

  /** true while a vehicle is in the portal or waiting to enter */
  busy(): boolean {
    return this.transit !== undefined || this.queue.length > 0;
  }

  state(): RpmDeviceState {
    const t = this.transit;
    const win = this.windowSums();
    const k = Math.max(1, this.ringFill) * (SAMPLE_PERIOD_MS / 1000);
    return {
      timeMs: this.startTimeMs + this.samples * SAMPLE_PERIOD_MS,
      sampleCount: this.samples,
      occupied: t !== undefined,
      gammaAlarm: t?.gammaAlarm ?? false,
      neutronAlarm: t?.neutronAlarm ?? false,
      tamper: this.tamper,
      gammaFault: this.gammaDead.some(Boolean),
      neutronFault: this.neutronDead.some(Boolean),
      gammaHighBackground: this.bgGamma.some((b, i) => !this.gammaDead[i] && b > this.limits.gammaHighCps),
      gammaLowBackground: this.bgGamma.some((b, i) => !this.gammaDead[i] && b < this.limits.gammaLowCps),
      neutronHighBackground: this.bgNeutron.some((b, i) => !this.neutronDead[i] && b > this.limits.neutronHighCps),
      gammaRateCps: this.lastGammaCounts.map((c) => (c * 1000) / SAMPLE_PERIOD_MS),
      neutronRateCps: win.neutron.map((c) => c / k),
      gammaBackgroundCps: [...this.bgGamma],
      neutronBackgroundCps: [...this.bgNeutron],
      speedKmh: t?.speedKmh ?? 0,
      occupancyCount: this.occupancyCount,
      lastOccupancy: this.lastOccupancy,
      nSigma: this.nSigma,
      samplePeriodMs: SAMPLE_PERIOD_MS,
      firmware: this.firmware,
      serialNumber: this.serialNumber,
      alarmLamp: (t !== undefined && (t.gammaAlarm || t.neutronAlarm)) || this.elapsedSampled() < this.alarmLampUntilMs,
      maintenance: this.maintenance,
      floatCorruption: this.floatCorruption,
    };
  }

  private elapsedSampled(): number {
    return this.samples * SAMPLE_PERIOD_MS;
  }

  private refreshImage(): void {
    encodeRegisterImage(this.state(), this.image);
  }

  /** One 200 ms sample covering elapsed [s0, s1). */
  private sample(): void {
    const s0 = this.samples * SAMPLE_PERIOD_MS;
    const s1 = s0 + SAMPLE_PERIOD_MS;
    this.admitVehicle(s1);
    const t = this.transit;

    // vehicle motion within this sample
    let occupiedMs = 0;
    let exitMs: number | undefined;
    let midPositionM = 0;
    if (t !== undefined) {
      if (t.enterMs < s0) t.speedKmh = wander(this.rng, t.speedKmh, t.spec.speedKmh);
      const from = Math.max(s0, t.enterMs);
      const mps = t.speedKmh / 3.6;
      const travel = (mps * (s1 - from)) / 1000;
      if (t.positionM + travel >= t.spec.lengthM) {
        exitMs = from + ((t.spec.lengthM - t.positionM) / mps) * 1000;
        occupiedMs = exitMs - from;
      } else {
        occupiedMs = s1 - from;
      }
      midPositionM = t.positionM + (mps * occupiedMs) / 2000;
      t.positionM = Math.min(t.spec.lengthM, t.positionM + (mps * occupiedMs) / 1000);
    }
    const occupied = occupiedMs / SAMPLE_PERIOD_MS;
    const dt = SAMPLE_PERIOD_MS / 1000;

    // counts
    const slot = this.ringHead;
    const gRow = this.ringGamma[slot] ?? [];
    const nRow = this.ringNeutron[slot] ?? [];
    for (let p = 0; p < GAMMA_PANELS; p++) {
      if (this.gammaDead[p]) {
        gRow[p] = 0;
        continue;
      }
      let cps = (this.trueGamma[p] ?? 0) * this.gammaFactor;
      if (t !== undefined) {
        cps *= 1 - t.spec.shadow * occupied;
        cps += occupied * sourceCps(t.spec, 'gamma', midPositionM, GAMMA_PANEL_SIDE[p] ?? 0) * (GAMMA_PANEL_HEIGHT[p] ?? 1);
      }
      gRow[p] = this.rng.poisson(cps * dt);
    }
    for (let p = 0; p < NEUTRON_PANELS; p++) {
      if (this.neutronDead[p]) {
        nRow[p] = 0;
        continue;
      }
      let cps = (this.trueNeutron[p] ?? 0) * this.neutronFactor;
      if (t !== undefined) cps += occupied * sourceCps(t.spec, 'neutron', midPositionM, NEUTRON_PANEL_SIDE[p] ?? 0);
      nRow[p] = this.rng.poisson(cps * dt);
    }
    this.lastGammaCounts = [...gRow];
    this.ringHead = (this.ringHead + 1) % WINDOW_SAMPLES;
    this.ringFill = Math.min(WINDOW_SAMPLES, this.ringFill + 1);
    this.samples++;

    if (t !== undefined) {
      this.evaluateWindow(t);
    } else {
      // the background estimate learns only from an empty portal
      for (let p = 0; p < GAMMA_PANELS; p++) if (!this.gammaDead[p]) this.bgGamma[p] = (this.bgGamma[p] ?? 0) + this.alpha * ((gRow[p] ?? 0) / dt - (this.bgGamma[p] ?? 0));
      for (let p = 0; p < NEUTRON_PANELS; p++) if (!this.neutronDead[p]) this.bgNeutron[p] = (this.bgNeutron[p] ?? 0) + this.alpha * ((nRow[p] ?? 0) / dt - (this.bgNeutron[p] ?? 0));
    }
    if (t !== undefined && exitMs !== undefined) this.endOccupancy(t, exitMs);
    this.refreshImage();
  }

  private admitVehicle(s1: number): void {
    if (this.transit !== undefined) return;
    const next = this.queue[0];
    if (next === undefined) return;
    const enterMs = Math.max(next.arriveMs, this.lastExitMs + MIN_GAP_MS);
    if (enterMs >= s1) return;
    this.queue.shift();
    this.transit = {
      spec: next.spec,
      enterMs,
      positionM: 0,
      speedKmh: next.spec.speedKmh,
      gammaAlarm: false,
      neutronAlarm: false,
      maxGammaCps: new Array<number>(GAMMA_PANELS).fill(0),
      maxNeutronCps: new Array<number>(NEUTRON_PANELS).fill(0),
      maxGammaSigma: undefined,
      maxNeutronSigma: undefined,
    };
  }

  private windowSums(): { gamma: number[]; neutron: number[] } {
    const gamma = new Array<number>(GAMMA_PANELS).fill(0);
    const neutron = new Array<number>(NEUTRON_PANELS).fill(0);
    for (let i = 0; i < this.ringFill; i++) {
      const idx = (this.ringHead - 1 - i + WINDOW_SAMPLES) % WINDOW_SAMPLES;
      const g = this.ringGamma[idx] ?? [];
      const n = this.ringNeutron[idx] ?? [];
      for (let p = 0; p < GAMMA_PANELS; p++) gamma[p] = (gamma[p] ?? 0) + (g[p] ?? 0);
      for (let p = 0; p < NEUTRON_PANELS; p++) neutron[p] = (neutron[p] ?? 0) + (n[p] ?? 0);
    }
    return { gamma, neutron };
  }

  /** The 1 s window ending with this sample: max rates, sigma, alarm. */
  private evaluateWindow(t: Transit): void {
    const win = this.windowSums();
    const seconds = this.ringFill * (SAMPLE_PERIOD_MS / 1000);
    for (let p = 0; p < GAMMA_PANELS; p++) t.maxGammaCps[p] = Math.max(t.maxGammaCps[p] ?? 0, (win.gamma[p] ?? 0) / seconds);
    for (let p = 0; p < NEUTRON_PANELS; p++) t.maxNeutronCps[p] = Math.max(t.maxNeutronCps[p] ?? 0, (win.neutron[p] ?? 0) / seconds);
    const g = this.nSigmaTest(win.gamma, this.bgGamma, this.gammaDead, seconds);
    if (g !== undefined) {
      t.maxGammaSigma = Math.max(t.maxGammaSigma ?? Number.NEGATIVE_INFINITY, g.sigma);
      t.gammaAlarm ||= g.alarm;
    }
    const n = this.nSigmaTest(win.neutron, this.bgNeutron, this.neutronDead, seconds);
    if (n !== undefined) {
      t.maxNeutronSigma = Math.max(t.maxNeutronSigma ?? Number.NEGATIVE_INFINITY, n.sigma);
      t.neutronAlarm ||= n.alarm;
    }
  }

  /** F and B summed over the live panels: alarm when F > B + n*sqrt(B); sigma = (F-B)/sqrt(B). */
  private nSigmaTest(counts: number[], bg: number[], dead: boolean[], seconds: number): { sigma: number; alarm: boolean } | undefined {
    let f = 0;
    let b = 0;
    for (let p = 0; p < counts.length; p++) {
      if (dead[p]) continue;
      f += counts[p] ?? 0;
      b += (bg[p] ?? 0) * seconds;
    }
    if (!(b > 0)) return undefined;
    const root = Math.sqrt(b);
    return { sigma: (f - b) / root, alarm: f > b + this.nSigma * root };
  }

  private endOccupancy(t: Transit, exitMs: number): void {
    const durationMs = Math.round(exitMs - t.enterMs);
    this.occupancyCount++;
    const summary: OccupancySummary = {
      occupancyNumber: this.occupancyCount,
      gammaAlarm: t.gammaAlarm,
      neutronAlarm: t.neutronAlarm,
      startTimeMs: Math.round(this.startTimeMs + t.enterMs),
      endTimeMs: Math.round(this.startTimeMs + exitMs),
      durationMs,
      maxGammaCps: t.maxGammaCps.map(Math.round),
      maxNeutronCps: [...t.maxNeutronCps],
      maxGammaSigma: t.maxGammaSigma ?? 0,
      maxNeutronSigma: t.maxNeutronSigma ?? 0,
      meanSpeedKmh: durationMs > 0 ? (t.spec.lengthM / (durationMs / 1000)) * 3.6 : t.spec.speedKmh,
      sources: t.spec.sources,
    };
    if (t.gammaAlarm || t.neutronAlarm) this.alarmLampUntilMs = exitMs + ALARM_LAMP_HOLD_MS;
    this.lastOccupancy = summary;
    this.lastExitMs = exitMs;
    this.transit = undefined;
    this.onOccupancyEnd?.(summary);
  }
}

function panelRates(given: readonly number[] | undefined, n: number, draw: () => number): number[] {
  if (given === undefined) return Array.from({ length: n }, draw);
  if (given.length !== n || given.some((r) => !(r >= 0) || !Number.isFinite(r))) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `expected ${n} finite background rates >= 0, got ${JSON.stringify(given)}`);
  }
  return [...given];
}
