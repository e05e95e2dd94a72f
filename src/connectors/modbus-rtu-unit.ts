/**
 * One unit id on a Modbus RTU bus: its poll in progress, its schedule and its link status. The
 * scheduling rules live here so they read in one place:
 *  - a healthy unit polls on its own grid (start + k * pollIntervalMs, missed ticks skipped);
 *  - a unit that answered anything (data, an exception, garbage) goes back on its grid;
 *  - an offline unit is probed at least max(pollIntervalMs, PROBE_GAP_TIMEOUTS x timeoutMs)
 *    apart, plus its own full-jitter backoff, so a dead unit costs the line at most
 *    1 / PROBE_GAP_TIMEOUTS of its time;
 *  - the bus serves the unit due earliest; a unit whose sink call is pending is not due.
 */
import type { ModbusBlock, ModbusFrame, ModbusPollPlan, ModbusRead } from '../adapter/types.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { createBackoff, type Backoff, type BackoffOptions } from './backoff.js';
import { nextPollAt } from './poll-cadence.js';
import type { LinkStatus, Sink } from './types.js';

export const DEFAULT_RTU_RETRIES = 1;
export const DEFAULT_OFFLINE_BACKOFF: Readonly<Required<BackoffOptions>> = { baseMs: 1_000, capMs: 30_000 };
/** An offline unit's probes are at least this many of its timeouts apart. */
export const PROBE_GAP_TIMEOUTS = 4;

/** What a connector on the bus is made from (the bus's ModbusRtuUnitOptions). */
export interface RtuUnitSpec {
  deviceId: string;
  /** 1..247 (0 is broadcast, which never answers) */
  unitId: number;
  plan: ModbusPollPlan;
  sink: Sink<ModbusFrame>;
  /** extra attempts after a timed-out request before the unit is offline (default 1) */
  retries?: number;
  /** spacing of probes while offline, added to the minimum gap (defaults: base 1 s, cap 30 s, full jitter) */
  offlineBackoff?: BackoffOptions;
}

export interface RtuUnit {
  readonly unitId: number;
  readonly deviceId: string;
  readonly plan: ModbusPollPlan;
  readonly sink: Sink<ModbusFrame>;
  readonly retries: number;
  readonly log: Logger;
  readonly probe: Backoff;
  phase: 'created' | 'active' | 'stopped';
  /** probing instead of polling */
  offline: boolean;
  /** grid point of the current poll (performance.now() ms) */
  grid: number;
  dueAt: number;
  /** blocks of the poll in progress (a retry continues it) */
  blocks: ModbusBlock[];
  /** timeouts of the current request */
  failures: number;
  /** a turn of this unit is running on the bus */
  turning: boolean;
  /** sink calls not yet resolved */
  inFlight: number;
  lastStatus: LinkStatus | null;
  idleWaiters: Array<() => void>;
}

export function createRtuUnit(spec: RtuUnitSpec, log: Logger, random: () => number): RtuUnit {
  return {
    unitId: spec.unitId,
    deviceId: spec.deviceId,
    plan: spec.plan,
    sink: spec.sink,
    retries: spec.retries ?? DEFAULT_RTU_RETRIES,
    log: log.child({ deviceId: spec.deviceId, unitId: spec.unitId }),
    probe: createBackoff(spec.offlineBackoff ?? DEFAULT_OFFLINE_BACKOFF, random),
    phase: 'created',
    offline: false,
    grid: 0,
    dueAt: 0,
    blocks: [],
    failures: 0,
    turning: false,
    inFlight: 0,
    lastStatus: null,
    idleWaiters: [],
  };
}

export function describeRead(r: ModbusRead): string {
  return `${r.table} ${r.address}+${r.count}`;
}

/** Reports a status if its state or code differs from the unit's last one; true when it did. */
export function reportStatus(u: RtuUnit, status: LinkStatus): boolean {
  if (u.phase === 'stopped') return false;
  const last = u.lastStatus;
  if (last !== null && last.state === status.state && last.code === status.code) return false;
  u.lastStatus = status;
  u.log.info({ state: status.state, code: status.code, detail: status.detail }, 'device link status changed');
  try {
    u.sink.status(status);
  } catch (e) {
    u.log.error({ err: describeError(e) }, 'sink.status threw');
  }
  return true;
}

/** Wakes stop() waiters once the unit has no turn running and no sink call pending. */
export function notifyIdle(u: RtuUnit): void {
  if (u.turning || u.inFlight > 0) return;
  for (const w of u.idleWaiters.splice(0)) w();
}

/** A fresh poll now: at start and whenever the port (re)opens. */
export function startPoll(u: RtuUnit, now: number): void {
  u.offline = false;
  u.blocks = [];
  u.failures = 0;
  u.grid = now;
  u.dueAt = now;
}

/** The unit answered (data, an exception or garbage): back on its grid, probing over. */
export function endPoll(u: RtuUnit, now: number): void {
  u.blocks = [];
  u.failures = 0;
  u.offline = false;
  u.probe.reset();
  u.grid = nextPollAt(u.grid, u.plan.pollIntervalMs, now);
  u.dueAt = u.grid;
}

/** Retries spent: offline, next probe after the minimum gap plus the unit's jittered backoff. */
export function goOffline(u: RtuUnit, now: number): void {
  u.blocks = [];
  u.failures = 0;
  u.offline = true;
  reportStatus(u, { state: 'offline', code: 'BL_ERR_MODBUS_TIMEOUT', detail: `no reply within ${u.plan.timeoutMs} ms` });
  const gap = Math.max(u.plan.pollIntervalMs, PROBE_GAP_TIMEOUTS * u.plan.timeoutMs);
  const delay = gap + u.probe.next();
  u.log.debug({ delayMs: delay, attempt: u.probe.attempt }, 'modbus unit probe scheduled');
  u.dueAt = now + delay;
}

/** The active unit due earliest whose last frame is durable, or null. */
export function pickDue(units: Iterable<RtuUnit>): RtuUnit | null {
  let best: RtuUnit | null = null;
  for (const u of units) {
    if (u.phase !== 'active' || u.inFlight > 0) continue;
    if (best === null || u.dueAt < best.dueAt) best = u;
  }
  return best;
}
