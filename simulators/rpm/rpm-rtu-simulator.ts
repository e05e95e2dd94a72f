/**
 * Several RPM units on one Modbus RTU line (RS-485 multi-drop): each unit id is its own portal
 * (physics + scenario player + register handler, seeded apart), all behind one lean RTU server.
 * The register map and handler are the TCP simulator's, so the rpm-modbus-generic profile reads
 * identical frames over either transport.
 *
 * A scenario's transport faults (server-faults happenings, written for the TCP server) apply to
 * the unit whose scenario raised them: silent and disconnect -> silent, malformed -> the same
 * shape (transaction-id, which RTU lacks, becomes a bad CRC), exception -> exception.
 */
import type { Clock } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import type { OpenRtuPort } from '../../src/connectors/rtu-serial-port.js';
import { BorderlinkError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { startModbusRtuServer, type ModbusRtuServer, type RtuFaultMode, type RtuUnitFaultPlan } from '../modbus/lean-rtu-server.js';
import type { ModbusFaultPlan, ModbusRequestHandler } from '../modbus/lean-tcp-server.js';
import { RpmPhysics } from './physics.js';
import type { RpmRegisterImage } from './register-image.js';
import { rpmModbusHandler } from './rpm-modbus-handler.js';
import { SAMPLE_PERIOD_MS, type OccupancySummary, type RpmDeviceState } from './rpm-model.js';
import { ScenarioPlayer } from './scenario-player.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS, type ScenarioHappening, type ScenarioName } from './scenarios.js';

export interface RpmRtuSimulatorOptions {
  /** serial path the simulated units answer on (e.g. one end of a socat pty pair) */
  path: string;
  /** unit ids on the line, 1-247, distinct (default [1]) */
  units?: readonly number[];
  /** default 19200 */
  baudRate?: number;
  /** default 'even' */
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** default 'demo'; every unit plays it */
  scenario?: string;
  /** the first unit's seed (default: the scenario's own); unit i gets seed + i */
  seed?: number;
  /** default true: a 200 ms timer advances every unit with the clock */
  realtime?: boolean;
  /** device clock at start, epoch ms (default clock.now()) */
  startTimeMs?: number;
  clock?: Clock;
  nSigma?: number;
  logger?: Logger;
  openPort?: OpenRtuPort;
  onOccupancy?: (unitId: number, summary: OccupancySummary) => void;
}

/** One simulated portal on the line. */
export interface RpmRtuUnit {
  readonly unitId: number;
  readonly seed: number;
  step(ms: number): void;
  now(): number;
  occupancyCount(): number;
  lastOccupancy(): OccupancySummary | undefined;
  state(): RpmDeviceState;
  registers(): RpmRegisterImage;
  inject(h: ScenarioHappening): void;
  /** this unit's transport faults on the line */
  setFaults(plan: RtuUnitFaultPlan): void;
  /** requests addressed to this unit so far */
  requestCount(): number;
}

export interface RpmRtuSimulator {
  readonly path: string;
  readonly scenario: ScenarioName;
  readonly unitIds: readonly number[];
  unit(unitId: number): RpmRtuUnit;
  /** advance every unit by ms of simulated time */
  step(ms: number): void;
  /** the port is open now (false while the pty is gone and being reopened) */
  isOpen(): boolean;
  close(): Promise<void>;
}

/** A TCP fault plan (from a scenario) as the same fault on one RTU unit. */
export function rtuFaultsFromTcp(plan: ModbusFaultPlan): RtuUnitFaultPlan {
  let mode: RtuFaultMode | undefined;
  switch (plan.mode?.kind) {
    case undefined:
      mode = undefined;
      break;
    case 'silent':
    case 'disconnect':
      mode = { kind: 'silent' };
      break;
    case 'exception':
      mode = { kind: 'exception', code: plan.mode.code };
      break;
    case 'malformed': {
      const shape = plan.mode.shape ?? 'byte-count';
      mode = { kind: 'malformed', shape: shape === 'transaction-id' ? 'crc' : shape };
      break;
    }
  }
  return {
    ...(mode === undefined ? {} : { mode }),
    ...(plan.every === undefined ? {} : { every: plan.every }),
    ...(plan.functionCodes === undefined ? {} : { functionCodes: plan.functionCodes }),
    ...(plan.delayMs === undefined ? {} : { delayMs: plan.delayMs }),
  };
}

interface UnitParts {
  unitId: number;
  seed: number;
  physics: RpmPhysics;
  player: ScenarioPlayer;
  handler: ModbusRequestHandler;
}

export async function startRpmRtuSimulator(opts: RpmRtuSimulatorOptions): Promise<RpmRtuSimulator> {
  const scenarioName = opts.scenario ?? 'demo';
  if (!isScenarioName(scenarioName)) {
    throw new BorderlinkError('BL_ERR_USAGE', `unknown RPM scenario "${scenarioName}"; valid: ${SCENARIO_NAMES.join(', ')}`, {
      detail: { scenario: scenarioName, valid: [...SCENARIO_NAMES] },
    });
  }
  const unitIds = [...(opts.units ?? [1])];
  if (unitIds.length === 0 || new Set(unitIds).size !== unitIds.length || unitIds.some((u) => !Number.isInteger(u) || u < 1 || u > 247)) {
    throw new BorderlinkError('BL_ERR_USAGE', `RTU unit ids must be distinct integers 1-247, got ${unitIds.join(',')}`);
  }
  const scenario = SCENARIOS[scenarioName];
  const baseSeed = (opts.seed ?? scenario.defaultSeed) >>> 0;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  const startTimeMs = opts.startTimeMs ?? clock.now();
  /** set once the server is up: faults a scenario raises at time 0 wait for it */
  let server: ModbusRtuServer | undefined;
  const earlyFaults = new Map<number, RtuUnitFaultPlan>();

  const parts: UnitParts[] = unitIds.map((unitId, i) => {
    const seed = (baseSeed + i) >>> 0;
    const physics = new RpmPhysics({
      seed,
      startTimeMs,
      ...(opts.nSigma === undefined ? {} : { nSigma: opts.nSigma }),
      onOccupancyEnd: (s) => {
        logger?.info({ unitId, occupancy: s.occupancyNumber, gammaAlarm: s.gammaAlarm, neutronAlarm: s.neutronAlarm, durationMs: s.durationMs }, 'rpm simulator occupancy ended');
        opts.onOccupancy?.(unitId, s);
      },
    });
    const handler = rpmModbusHandler({
      registers: () => physics.registers(),
      setNSigma: (n) => physics.setNSigma(n),
      setMaintenance: (active) => physics.apply({ kind: 'maintenance', active }),
    });
    const player = new ScenarioPlayer({
      scenario,
      physics,
      seed,
      onServerFaults: (plan) => {
        const rtu = rtuFaultsFromTcp(plan);
        if (server === undefined) earlyFaults.set(unitId, rtu);
        else server.setUnitFaults(unitId, rtu);
        logger?.info({ unitId, faults: rtu }, 'rpm simulator unit faults set');
      },
    });
    return { unitId, seed, physics, player, handler };
  });

  server = await startModbusRtuServer({
    path: opts.path,
    units: new Map(parts.map((p) => [p.unitId, p.handler])),
    ...(opts.baudRate === undefined ? {} : { baudRate: opts.baudRate }),
    ...(opts.parity === undefined ? {} : { parity: opts.parity }),
    ...(opts.stopBits === undefined ? {} : { stopBits: opts.stopBits }),
    ...(opts.openPort === undefined ? {} : { openPort: opts.openPort }),
    ...(logger === undefined ? {} : { logger }),
  });
  const srv = server;
  for (const [unitId, plan] of earlyFaults) srv.setUnitFaults(unitId, plan);

  const stepAll = (ms: number): void => {
    for (const p of parts) p.player.step(ms);
  };
  let timer: NodeJS.Timeout | undefined;
  if (opts.realtime ?? true) {
    const wallStart = clock.now();
    let simulated = 0;
    timer = setInterval(() => {
      const behind = clock.now() - wallStart - simulated;
      if (behind <= 0) return;
      stepAll(behind);
      simulated += behind;
    }, SAMPLE_PERIOD_MS);
    timer.unref();
  }

  const units = new Map<number, RpmRtuUnit>(parts.map((p) => [p.unitId, {
    unitId: p.unitId,
    seed: p.seed,
    step: (ms: number) => p.player.step(ms),
    now: () => p.physics.now(),
    occupancyCount: () => p.physics.occupancyTotal(),
    lastOccupancy: () => p.physics.state().lastOccupancy,
    state: () => p.physics.state(),
    registers: () => p.physics.registers(),
    inject: (h: ScenarioHappening) => p.player.inject(h),
    setFaults: (plan: RtuUnitFaultPlan) => srv.setUnitFaults(p.unitId, plan),
    requestCount: () => srv.requestCountFor(p.unitId),
  }]));

  return {
    path: opts.path,
    scenario: scenarioName,
    unitIds,
    unit(unitId) {
      const u = units.get(unitId);
      if (u === undefined) throw new BorderlinkError('BL_ERR_SIMULATOR', `unit ${unitId} is not on this RTU line`, { detail: { unitId } });
      return u;
    },
    step: stepAll,
    isOpen: () => srv.isOpen(),
    async close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await srv.close();
    },
  };
}
