/**
 * The RPM simulator: physics + scenario player behind the lean Modbus TCP server, one unit id.
 * realtime: an unref'd timer keeps the model in step with the clock; otherwise tests call step(ms).
 */
import type { Clock } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import { BorderlinkError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { routeByUnitId, startModbusTcpServer, type ModbusFaultPlan, type ModbusTcpServer } from '../modbus/lean-tcp-server.js';
import { RpmPhysics } from './physics.js';
import type { RpmRegisterImage } from './register-image.js';
import { rpmModbusHandler } from './rpm-modbus-handler.js';
import { SAMPLE_PERIOD_MS, type OccupancySummary, type RpmDeviceState } from './rpm-model.js';
import { ScenarioPlayer } from './scenario-player.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS, type ScenarioHappening, type ScenarioName } from './scenarios.js';

export interface RpmSimulatorOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (ephemeral) */
  port?: number;
  /** default 1; other unit ids get exception 11 */
  unitId?: number;
  /** default 'demo' */
  scenario?: string;
  /** default: the scenario's own seed */
  seed?: number;
  /** default true: a 200 ms timer advances the model with the clock */
  realtime?: boolean;
  /** device clock at start, epoch ms (default clock.now()) */
  startTimeMs?: number;
  /** wall clock for realtime stepping (default the system clock) */
  clock?: Clock;
  /** alarm threshold n (default 4.0) */
  nSigma?: number;
  logger?: Logger;
  /** called when an occupancy ends (after its summary is in the registers) */
  onOccupancy?: (summary: OccupancySummary) => void;
}

export interface RpmSimulator {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  readonly scenario: ScenarioName;
  readonly seed: number;
  /** advance the model by ms of simulated time (also allowed in realtime mode) */
  step(ms: number): void;
  /** device clock, epoch ms */
  now(): number;
  occupancyCount(): number;
  lastOccupancy(): OccupancySummary | undefined;
  state(): RpmDeviceState;
  /** the live register image (do not mutate) */
  registers(): RpmRegisterImage;
  /** make something happen now: a vehicle (fields optional), tamper, fault, background, server faults... */
  inject(h: ScenarioHappening): void;
  /** replace the Modbus server's fault plan */
  setFaults(plan: ModbusFaultPlan): void;
  /** open Modbus connections */
  connections(): number;
  /** drop every Modbus connection now (injected disconnect) */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startRpmSimulator(opts: RpmSimulatorOptions = {}): Promise<RpmSimulator> {
  const scenarioName = opts.scenario ?? 'demo';
  if (!isScenarioName(scenarioName)) {
    throw new BorderlinkError('BL_ERR_USAGE', `unknown RPM scenario "${scenarioName}"; valid: ${SCENARIO_NAMES.join(', ')}`, {
      detail: { scenario: scenarioName, valid: [...SCENARIO_NAMES] },
    });
  }
  const unitId = opts.unitId ?? 1;
  if (!Number.isInteger(unitId) || unitId < 0 || unitId > 255) {
    throw new BorderlinkError('BL_ERR_USAGE', `unit id must be an integer 0-255, got ${unitId}`);
  }
  const scenario = SCENARIOS[scenarioName];
  const seed = (opts.seed ?? scenario.defaultSeed) >>> 0;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  const startTimeMs = opts.startTimeMs ?? clock.now();

  const physics = new RpmPhysics({
    seed,
    startTimeMs,
    ...(opts.nSigma === undefined ? {} : { nSigma: opts.nSigma }),
    onOccupancyEnd: (s) => {
      logger?.info(
        { occupancy: s.occupancyNumber, gammaAlarm: s.gammaAlarm, neutronAlarm: s.neutronAlarm, durationMs: s.durationMs, gammaSigma: round2(s.maxGammaSigma), neutronSigma: round2(s.maxNeutronSigma), sources: s.sources.map((x) => x.nuclide) },
        'rpm simulator occupancy ended',
      );
      opts.onOccupancy?.(s);
    },
  });
  const handler = rpmModbusHandler({
    registers: () => physics.registers(),
    setNSigma: (n) => physics.setNSigma(n),
    setMaintenance: (active) => physics.apply({ kind: 'maintenance', active }),
  });
  const server: ModbusTcpServer = await startModbusTcpServer({
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
    handler: routeByUnitId(new Map([[unitId, handler]])),
    ...(logger === undefined ? {} : { logger }),
  });
  const player = new ScenarioPlayer({
    scenario,
    physics,
    seed,
    onServerFaults: (plan) => {
      server.setFaults(plan);
      logger?.info({ faults: plan }, 'rpm simulator server faults set');
    },
  });

  let timer: NodeJS.Timeout | undefined;
  if (opts.realtime ?? true) {
    const wallStart = clock.now();
    let simulated = 0;
    timer = setInterval(() => {
      const behind = clock.now() - wallStart - simulated;
      if (behind <= 0) return;
      player.step(behind);
      simulated += behind;
    }, SAMPLE_PERIOD_MS);
    timer.unref();
  }

  return {
    host: server.host,
    port: server.port,
    unitId,
    scenario: scenarioName,
    seed,
    step: (ms) => player.step(ms),
    now: () => physics.now(),
    occupancyCount: () => physics.occupancyTotal(),
    lastOccupancy: () => physics.state().lastOccupancy,
    state: () => physics.state(),
    registers: () => physics.registers(),
    inject: (h) => player.inject(h),
    setFaults: (plan) => server.setFaults(plan),
    connections: () => server.connections(),
    dropConnections: () => server.dropConnections(),
    async close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await server.close();
    },
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
