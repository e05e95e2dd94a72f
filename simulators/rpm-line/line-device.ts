/**
 * The RPM as a line-protocol device: the shared RpmPhysics and ScenarioPlayer (simulators/rpm),
 * observed after every 200 ms sample and written out as tagged lines:
 *   while occupied   GS|GA then NS|NA per sample, SP after 1 s and every 2 s, GX at the end
 *   while empty      NB|NH then GB|GH|GL every 5 s
 *   any time         TT / TC on a tamper change
 *   setup            SG, SN (and the current background when the lane is empty) to each new
 *                    listener, and SG, SN to everyone every 60 s
 * Transport faults of a scenario (written for the Modbus server) map onto lines: see README.md.
 * No I/O: lines go to a callback with the device time they were written at.
 */
import { BorderlinkError } from '../../src/errors.js';
import type { MalformedShape, ModbusFaultPlan } from '../modbus/lean-tcp-server.js';
import { RpmPhysics } from '../rpm/physics.js';
import { SAMPLE_PERIOD_MS, type OccupancySummary, type RpmDeviceState } from '../rpm/rpm-model.js';
import { ScenarioPlayer } from '../rpm/scenario-player.js';
import type { ScenarioDefinition, ScenarioHappening } from '../rpm/scenarios.js';
import {
  gammaBackgroundLine, gammaSetupLine, neutronBackgroundLine, neutronSetupLine, occupancyEndLine, sampleLine, speedLine, tamperLine,
} from './line-encoder.js';
import { SampleCounts } from './sample-counts.js';

export const BACKGROUND_EVERY_SAMPLES = 25;
export const SETUP_EVERY_SAMPLES = 300;
const SPEED_FIRST_SAMPLE = 5;
const SPEED_EVERY_SAMPLES = 10;
/** the physics' background status limits, stated here so SG/SN can report them */
export const BACKGROUND_LIMITS = { gammaHighCps: 2500, gammaLowCps: 400, neutronHighCps: 8 } as const;

export interface RpmLineDeviceOptions {
  scenario: ScenarioDefinition;
  seed: number;
  /** device clock at start, epoch ms */
  startTimeMs: number;
  /** alarm threshold n (default 4.0) */
  nSigma?: number;
  /** every line written (no CRLF), with the device time it was written at */
  onLine: (line: string, atMs: number) => void;
  onOccupancy?: (summary: OccupancySummary) => void;
  /** a scenario asked for the connections to drop */
  onDisconnect?: () => void;
}

export class RpmLineDevice {
  private readonly physics: RpmPhysics;
  private readonly player: ScenarioPlayer;
  private readonly counts = new SampleCounts();
  private readonly onLine: (line: string, atMs: number) => void;
  private readonly onDisconnect: (() => void) | undefined;
  private readonly nSigma: number;
  private carryMs = 0;
  private ended: OccupancySummary | undefined;
  private occupancySamples = 0;
  private speedReported = false;
  private tamper = false;
  private faults: ModbusFaultPlan = {};
  private linesSeen = 0;

  constructor(opts: RpmLineDeviceOptions) {
    this.onLine = opts.onLine;
    this.onDisconnect = opts.onDisconnect;
    this.nSigma = opts.nSigma ?? 4.0;
    this.physics = new RpmPhysics({
      seed: opts.seed,
      startTimeMs: opts.startTimeMs,
      nSigma: this.nSigma,
      limits: BACKGROUND_LIMITS,
      onOccupancyEnd: (s) => {
        this.ended = s;
        opts.onOccupancy?.(s);
      },
    });
    this.player = new ScenarioPlayer({
      scenario: opts.scenario,
      physics: this.physics,
      seed: opts.seed,
      onServerFaults: (plan) => {
        this.faults = plan;
        this.linesSeen = 0;
        if (plan.mode?.kind === 'disconnect') this.onDisconnect?.();
      },
    });
  }

  /** device clock, epoch ms */
  now(): number {
    return this.physics.now();
  }

  state(): RpmDeviceState {
    return this.physics.state();
  }

  occupancyCount(): number {
    return this.physics.occupancyTotal();
  }

  /** Advance by ms of device time, one whole sample at a time (a remainder waits for the next step). */
  step(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new BorderlinkError('BL_ERR_SIMULATOR', `step needs a finite ms >= 0, got ${ms}`);
    this.carryMs += ms;
    while (this.carryMs >= SAMPLE_PERIOD_MS) {
      this.carryMs -= SAMPLE_PERIOD_MS;
      this.sampleOnce();
    }
  }

  inject(h: ScenarioHappening): void {
    this.player.inject(h);
  }

  /** What a listener gets when it connects: setup, then the background if the lane is empty. */
  greetingLines(): string[] {
    if (this.faults.mode?.kind === 'silent') return [];
    const s = this.physics.state();
    return [...this.setupLines(s), ...(s.occupied ? [] : this.backgroundLines(s))];
  }

  private sampleOnce(): void {
    const before = this.physics.state().sampleCount;
    this.player.step(SAMPLE_PERIOD_MS);
    // float sums of sub-steps can leave the physics a hair short of its next sample
    while (this.physics.state().sampleCount === before) this.player.step(0.001);
    const s = this.physics.state();
    const { gamma, neutron } = this.counts.observe(s);
    const at = s.timeMs;
    const end = this.ended;
    this.ended = undefined;

    if (s.tamper !== this.tamper) {
      this.tamper = s.tamper;
      this.write(tamperLine(s.tamper), at);
    }
    if (s.occupied || end !== undefined) {
      this.occupancySamples++;
      this.write(sampleLine((end?.gammaAlarm ?? s.gammaAlarm) ? 'GA' : 'GS', gamma), at);
      this.write(sampleLine((end?.neutronAlarm ?? s.neutronAlarm) ? 'NA' : 'NS', neutron), at);
      const n = this.occupancySamples;
      if (end === undefined && n >= SPEED_FIRST_SAMPLE && (n - SPEED_FIRST_SAMPLE) % SPEED_EVERY_SAMPLES === 0) {
        this.write(speedLine(s.speedKmh), at);
        this.speedReported = true;
      }
      if (end !== undefined) {
        if (!this.speedReported) this.write(speedLine(end.meanSpeedKmh), at);
        this.write(occupancyEndLine(end.occupancyNumber, sum(s.neutronBackgroundCps)), at);
        this.occupancySamples = 0;
        this.speedReported = false;
      }
    } else if (s.sampleCount % BACKGROUND_EVERY_SAMPLES === 0) {
      for (const line of this.backgroundLines(s)) this.write(line, at);
    }
    if (s.sampleCount % SETUP_EVERY_SAMPLES === 0) for (const line of this.setupLines(s)) this.write(line, at);
  }

  private setupLines(s: RpmDeviceState): string[] {
    return [
      gammaSetupLine({ nSigma: s.nSigma, highCps: BACKGROUND_LIMITS.gammaHighCps, lowCps: BACKGROUND_LIMITS.gammaLowCps, samplePeriodMs: s.samplePeriodMs }),
      neutronSetupLine({ nSigma: s.nSigma, highCps: BACKGROUND_LIMITS.neutronHighCps }),
    ];
  }

  /** NB before GB, as fielded portals send them; a corrupt reading (float-corruption) reads NaN. */
  private backgroundLines(s: RpmDeviceState): string[] {
    const gamma = s.floatCorruption ? s.gammaBackgroundCps.map(() => Number.NaN) : s.gammaBackgroundCps;
    const gammaTag = s.gammaHighBackground ? 'GH' : s.gammaLowBackground ? 'GL' : 'GB';
    return [neutronBackgroundLine(s.neutronHighBackground ? 'NH' : 'NB', s.neutronBackgroundCps), gammaBackgroundLine(gammaTag, gamma)];
  }

  private write(line: string, at: number): void {
    const mode = this.faults.mode;
    if (mode?.kind === 'silent') return;
    if (mode?.kind === 'malformed') {
      this.linesSeen++;
      if (this.linesSeen % Math.max(1, this.faults.every ?? 1) === 0) {
        this.onLine(malformLine(line, mode.shape ?? 'byte-count'), at);
        return;
      }
    }
    this.onLine(line, at);
  }
}

/** The Modbus malformed shapes, as the line-protocol faults closest to them (see README.md). */
export function malformLine(line: string, shape: MalformedShape): string {
  const fields = line.split(',');
  switch (shape) {
    case 'byte-count':
      return `${line},000000`;
    case 'truncated':
      return fields.length > 1 ? fields.slice(0, -1).join(',') : `${line},000000`;
    case 'function-code':
      return ['XQ', ...fields.slice(1)].join(',');
    case 'transaction-id':
      return fields.length > 1 ? [fields[0], `x${(fields[1] ?? '').slice(1)}`, ...fields.slice(2)].join(',') : `${line},x`;
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
