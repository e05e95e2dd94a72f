/**
 * Modbus RTU multi-drop: one owner per RS-485 line, one Connector per unit id on it.
 *
 * RS-485 is half duplex, so the bus runs ONE loop that puts one request on the line at a time and
 * picks, each time the line is free, the unit whose poll is due earliest. Every unit keeps its own
 * poll grid (start + k * interval), timeout, retries and link status, so one unit's trouble costs
 * the others only the bus time it really takes:
 *  - a timed-out request is retried (`retries`, default 1) as that unit's next turn, due now,
 *    so units already overdue go first;
 *  - once its retries are spent the unit is offline and only probed, one request per probe,
 *    probes at least max(pollIntervalMs, 4 x timeoutMs) apart plus its own full-jitter backoff:
 *    a dead unit takes at most a quarter of the line, less as its backoff grows;
 *  - a unit whose sink is slow is skipped until its push resolves (backpressure per unit).
 *
 * Framing is our own (modbus-rtu-frame.ts, modbus-rtu-line.ts), not modbus-serial's RTU client:
 * that client has one timeout per client, owns and opens the port itself, and its buffered RTU
 * port silently discards bytes that do not start with the expected unit id and function, so a
 * reply from the wrong unit or line noise would turn into a timeout with nothing to quarantine.
 * The read subset of RTU is ~100 lines; owning it gives per-unit timeouts, raw-byte capture of
 * every bad reply, resync by silence and port reopening with no library internals.
 *
 * The port opens when the first unit starts and closes when the last one stops. If it fails or
 * closes (USB adapter unplugged), every unit reports offline and the bus reopens it with backoff.
 * One bus per serial path: the composition root must not create two for the same line.
 */
import { performance } from 'node:perf_hooks';
import type { ModbusFrame, ModbusRead } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import { BorderlinkError, describeError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { createBackoff, type BackoffOptions } from './backoff.js';
import { exceptionErrorCode } from './modbus-reply.js';
import {
  charTimeMs, defaultInterFrameMs, encodeReadRequest, expectedReplyBytes, parseReadReply, replyFrameLength, type RtuCharFormat,
} from './modbus-rtu-frame.js';
import { createRtuLine, type RtuLine } from './modbus-rtu-line.js';
import { validateRtuBusOptions, validateRtuUnitOptions } from './modbus-rtu-options.js';
import {
  createRtuUnit, describeRead, endPoll, goOffline, notifyIdle, pickDue, reportStatus, startPoll, type RtuUnit, type RtuUnitSpec,
} from './modbus-rtu-unit.js';
import { openSerialRtuPort, type OpenRtuPort, type RtuPortOptions } from './rtu-serial-port.js';
import type { Connector, LinkStatus } from './types.js';

export interface ModbusRtuBusOptions {
  /** serial device, e.g. /dev/ttyUSB0 */
  path: string;
  baudRate: number;
  /** default 'even', the Modbus serial line default */
  parity?: 'none' | 'even' | 'odd';
  /** RTU is 8-bit binary: 8 is the only valid value */
  dataBits?: 8;
  /** default 1 */
  stopBits?: 1 | 2;
  logger: Logger;
  clock: Clock;
  /** injectable port (tests); the real serial port by default */
  openPort?: OpenRtuPort;
  /** silence that ends a frame, ms; at least 3.5 character times (default: that, and >= 1.75 ms above 19 200 baud) */
  interFrameMs?: number;
  /** port reopen delays (defaults: base 500 ms, cap 30 s, full jitter) */
  backoff?: BackoffOptions;
  /** uniform [0, 1) source for every jitter on this bus; Math.random by default */
  random?: () => number;
  /** longest a unit's stop() waits, ms (default 2000) */
  stopTimeoutMs?: number;
}

/** deviceId, unitId (1..247), plan, sink, retries? (default 1), offlineBackoff? (see RtuUnitSpec) */
export type ModbusRtuUnitOptions = RtuUnitSpec;

export interface ModbusRtuBus {
  readonly path: string;
  /** One unit id on this line; throws BL_ERR_CONFIG_INVALID for a bad or duplicate unit id or plan. */
  connector(opts: ModbusRtuUnitOptions): Connector;
  /** Stops every unit and closes the port; final. */
  close(): Promise<void>;
}

export { DEFAULT_OFFLINE_BACKOFF, DEFAULT_RTU_RETRIES, PROBE_GAP_TIMEOUTS } from './modbus-rtu-unit.js';
export const DEFAULT_RTU_STOP_TIMEOUT_MS = 2_000;
/** Longest a resync waits for silence on a jabbering line. */
const RESYNC_MAX_WAIT_MS = 1_000;

function hexPreview(b: Buffer): string {
  return b.subarray(0, 64).toString('hex');
}

export function createModbusRtuBus(opts: ModbusRtuBusOptions): ModbusRtuBus {
  validateRtuBusOptions(opts);
  const { path, clock } = opts;
  const format: RtuCharFormat = { baudRate: opts.baudRate, dataBits: 8, parity: opts.parity ?? 'even', stopBits: opts.stopBits ?? 1 };
  const portOptions: RtuPortOptions = { path, baudRate: opts.baudRate, parity: format.parity, dataBits: 8, stopBits: opts.stopBits ?? 1 };
  const interFrameMs = opts.interFrameMs ?? defaultInterFrameMs(format);
  const charMs = charTimeMs(format);
  /** silence that ends a resync: a few frame gaps, and past a USB adapter's latency timer */
  const resyncSilenceMs = Math.max(4 * interFrameMs, 20);
  const openPort = opts.openPort ?? openSerialRtuPort;
  const random = opts.random ?? Math.random;
  const portBackoff = createBackoff(opts.backoff, random);
  const stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_RTU_STOP_TIMEOUT_MS;
  const log = opts.logger.child({ connector: 'modbus-rtu', path });

  const units = new Map<number, RtuUnit>();
  let line: RtuLine | null = null;
  let loop: Promise<void> | null = null;
  let sleeper: (() => void) | null = null;
  /** the unit whose request is on the line */
  let current: RtuUnit | null = null;
  /** the unit asked last: unsolicited bytes are most likely its late reply */
  let lastAsked: RtuUnit | null = null;
  let closed = false;

  const activeUnits = (): RtuUnit[] => [...units.values()].filter((u) => u.phase === 'active');

  function wake(): void {
    sleeper?.();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (sleeper === done) sleeper = null;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
      sleeper = done;
    });
  }

  /** A sink call runs beside the bus: the unit waits for it, the line does not. */
  function track(u: RtuUnit, call: () => Promise<unknown>, what: string): void {
    u.inFlight += 1;
    void Promise.resolve()
      .then(call)
      .catch((e: unknown) => u.log.error({ err: describeError(e) }, `${what} failed`))
      .finally(() => {
        u.inFlight -= 1;
        notifyIdle(u);
        wake();
      });
  }

  function rejectInput(u: RtuUnit, raw: Buffer, code: ErrorCode, message: string, loud: boolean): void {
    if (loud) u.log.warn({ code, bytes: raw.length, detail: message }, 'modbus reply rejected');
    else u.log.debug({ code, bytes: raw.length, detail: message }, 'modbus reply rejected');
    const receivedAt = clock.now();
    track(u, () => u.sink.reject({ raw, code, message, receivedAt }), 'sink.reject');
  }

  async function malformed(u: RtuUnit, l: RtuLine, r: ModbusRead, why: string, bytes: Buffer): Promise<void> {
    const trailing = await l.resync(resyncSilenceMs, RESYNC_MAX_WAIT_MS);
    const raw = trailing.length === 0 ? bytes : Buffer.concat([bytes, trailing]);
    const message = `${describeRead(r)}: ${why}`;
    endPoll(u, performance.now());
    const changed = reportStatus(u, { state: 'degraded', code: 'BL_ERR_MODBUS_MALFORMED_REPLY', detail: message });
    rejectInput(u, raw, 'BL_ERR_MODBUS_MALFORMED_REPLY', message, changed);
  }

  /** Bytes nobody asked for (a late reply, noise): wait for silence, then quarantine them. */
  async function quarantineUnsolicited(l: RtuLine): Promise<void> {
    const raw = await l.resync(resyncSilenceMs, RESYNC_MAX_WAIT_MS);
    if (raw.length === 0) return;
    const target = lastAsked;
    const message = `unsolicited bytes on the line${target === null ? '' : ` after a request to unit ${target.unitId}`}`;
    if (target === null || target.phase !== 'active') {
      log.warn({ code: 'BL_ERR_MODBUS_MALFORMED_REPLY', bytes: raw.length, hex: hexPreview(raw) }, 'unsolicited bytes on the serial line');
      return;
    }
    // no status change: the unit's state is decided by its own requests
    rejectInput(target, raw, 'BL_ERR_MODBUS_MALFORMED_REPLY', message, true);
  }

  /**
   * After a timeout, a short silence before the next request: a reply that is only a little late
   * is then charged to the unit that sent it, not taken for the next unit's reply.
   */
  async function catchLateReply(u: RtuUnit, l: RtuLine, r: ModbusRead): Promise<void> {
    const late = await l.resync(resyncSilenceMs, RESYNC_MAX_WAIT_MS);
    if (late.length === 0) return;
    rejectInput(u, late, 'BL_ERR_MODBUS_MALFORMED_REPLY', `${describeRead(r)}: reply arrived after the ${u.plan.timeoutMs} ms timeout`, true);
  }

  /** One turn of a unit: its remaining reads, back to back, until one fails or the poll is complete. */
  async function turn(u: RtuUnit, l: RtuLine): Promise<void> {
    const probing = u.offline;
    if (probing && u.blocks.length === 0) u.grid = performance.now();
    while (u.blocks.length < u.plan.reads.length) {
      if (l.unsolicitedBytes() > 0) await quarantineUnsolicited(l);
      if (u.phase !== 'active' || l.lost !== null) return;
      const r = u.plan.reads[u.blocks.length] as ModbusRead;
      const request = encodeReadRequest(u.unitId, r);
      // the timeout counts from the request's first byte, so add the time both frames take on the wire
      const budget = u.plan.timeoutMs + charMs * (request.length + expectedReplyBytes(r));
      current = u;
      lastAsked = u;
      const o = await l.exchange(request, budget, replyFrameLength);
      current = null;
      switch (o.kind) {
        case 'aborted': {
          // stopped mid-request: its reply may still come; let it pass before the next request
          const late = await l.resync(resyncSilenceMs, RESYNC_MAX_WAIT_MS);
          if (late.length > 0) u.log.debug({ bytes: late.length }, 'reply to a stopped unit discarded');
          return;
        }
        case 'closed':
          u.blocks = [];
          u.failures = 0;
          if (o.bytes.length > 0) rejectInput(u, o.bytes, 'BL_ERR_MODBUS_MALFORMED_REPLY', `${describeRead(r)}: port lost mid-reply (${o.message})`, true);
          return; // the loop reopens the port
        case 'timeout':
          if (o.bytes.length > 0) {
            await malformed(u, l, r, `incomplete reply within ${u.plan.timeoutMs} ms`, o.bytes);
            return;
          }
          u.failures += 1;
          await catchLateReply(u, l, r);
          if (u.phase !== 'active' || l.lost !== null) return; // the loop reports a lost port for every unit
          if (!probing && u.failures <= u.retries) {
            u.log.debug({ attempt: u.failures, read: describeRead(r) }, 'modbus request timed out, retrying');
            u.dueAt = performance.now();
            return;
          }
          goOffline(u, performance.now());
          return;
        case 'frame': {
          portBackoff.reset();
          const p = parseReadReply(u.unitId, r, o.bytes);
          if (p.kind === 'data') {
            u.blocks.push({ table: r.table, address: r.address, count: r.count, data: p.data });
            u.failures = 0;
            continue;
          }
          if (p.kind === 'malformed') {
            await malformed(u, l, r, p.message, o.bytes);
            return;
          }
          // The unit is there and answering; the request is what is wrong. Keep polling.
          const code = exceptionErrorCode(p.exceptionCode);
          const message = `${describeRead(r)}: ${p.message}`;
          endPoll(u, performance.now());
          const changed = reportStatus(u, { state: 'degraded', code, detail: message });
          rejectInput(u, o.bytes, code, message, changed);
          return;
        }
      }
    }
    const frame: ModbusFrame = { transport: 'modbus-rtu', unitId: u.unitId, receivedAt: clock.now(), blocks: u.blocks };
    endPoll(u, performance.now());
    reportStatus(u, { state: 'online', detail: 'polling' });
    track(u, async () => {
      const outcome = await u.sink.push(frame);
      // a poll is not input to keep: the next poll brings fresh registers, so only say so
      if (outcome.status === 'failed') u.log.warn({ code: outcome.reason?.code, detail: outcome.reason?.message }, 'modbus frame not stored');
    }, 'sink.push');
  }

  function reportAll(status: LinkStatus): void {
    for (const u of activeUnits()) {
      u.blocks = [];
      u.failures = 0;
      reportStatus(u, status);
    }
  }

  async function openLine(): Promise<boolean> {
    const l = createRtuLine(interFrameMs);
    const events = {
      data: (chunk: Buffer) => l.events.data(chunk),
      lost: (reason: string) => {
        l.events.lost(reason);
        wake();
      },
    };
    try {
      const port = await openPort(portOptions, events);
      l.attach(port);
    } catch (e) {
      const message = describeError(e).message;
      log.debug({ err: message }, 'serial port open failed');
      reportAll({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: message });
      return false;
    }
    if (closed || activeUnits().length === 0) {
      await l.close();
      return false;
    }
    line = l;
    log.info({ baudRate: format.baudRate, parity: format.parity, stopBits: format.stopBits, interFrameMs }, 'serial port opened');
    const now = performance.now();
    for (const u of activeUnits()) startPoll(u, now);
    return true;
  }

  async function dropLine(l: RtuLine, reason: string): Promise<void> {
    line = null;
    await l.close();
    log.warn({ code: 'BL_ERR_CONNECT_FAILED', detail: reason }, 'serial port lost');
    reportAll({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: `serial port ${path} lost: ${reason}` });
  }

  async function run(): Promise<void> {
    while (!closed && activeUnits().length > 0) {
      try {
        if (line !== null && line.lost !== null) {
          await dropLine(line, line.lost);
          await sleep(portBackoff.next());
          continue;
        }
        if (line === null) {
          if (!(await openLine())) {
            const delay = portBackoff.next();
            log.debug({ delayMs: delay, attempt: portBackoff.attempt }, 'serial port reopen scheduled');
            await sleep(delay);
          }
          continue;
        }
        const u = pickDue(units.values());
        if (u === null) {
          await sleep(Infinity);
          continue;
        }
        const wait = u.dueAt - performance.now();
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        u.turning = true;
        try {
          await turn(u, line);
        } finally {
          u.turning = false;
          notifyIdle(u);
        }
      } catch (e) {
        // a bug, not a device problem: keep the line alive but never spin
        log.error({ err: describeError(e) }, 'modbus rtu bus loop failed');
        await sleep(portBackoff.next());
      }
    }
    const l = line;
    line = null;
    if (l !== null) {
      await l.close();
      log.info('serial port closed');
    }
  }

  function ensureLoop(): void {
    if (loop !== null || closed) return;
    loop = run().finally(() => {
      loop = null;
      if (!closed && activeUnits().length > 0) ensureLoop();
    });
  }

  async function within(p: Promise<unknown>, what: Record<string, unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const finished = await new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), stopTimeoutMs);
      void p.then(() => resolve(true), () => resolve(true));
    });
    clearTimeout(timer);
    if (!finished) log.warn({ code: 'BL_ERR_SHUTDOWN_TIMEOUT', timeoutMs: stopTimeoutMs, ...what }, 'modbus rtu unit did not stop in time');
  }

  async function stopUnit(u: RtuUnit): Promise<void> {
    if (u.phase === 'stopped') return;
    u.phase = 'stopped';
    if (current === u) line?.abort();
    wake();
    const idle = new Promise<void>((resolve) => {
      u.idleWaiters.push(resolve);
      notifyIdle(u);
    });
    await within(idle, { deviceId: u.deviceId, unitId: u.unitId });
    if (units.get(u.unitId) === u) units.delete(u.unitId);
    // the last unit out closes the port: wait for that too, so nothing outlives stop()
    if (activeUnits().length === 0 && loop !== null) await within(loop, { deviceId: u.deviceId, unitId: u.unitId });
  }

  return {
    path,
    connector(unitOpts: ModbusRtuUnitOptions): Connector {
      validateRtuUnitOptions(unitOpts, path);
      if (closed) throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `modbus rtu bus ${path} is closed`, { detail: { path } });
      const taken = units.get(unitOpts.unitId);
      if (taken !== undefined) {
        throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `unit id ${unitOpts.unitId} is already polled on ${path} (device ${taken.deviceId})`, {
          detail: { path, unitId: unitOpts.unitId, deviceId: unitOpts.deviceId, otherDeviceId: taken.deviceId },
        });
      }
      const u = createRtuUnit(unitOpts, log, random);
      units.set(u.unitId, u);
      return {
        deviceId: u.deviceId,
        start(): Promise<void> {
          if (u.phase !== 'created' || closed) return Promise.resolve();
          u.phase = 'active';
          startPoll(u, performance.now());
          ensureLoop();
          wake();
          return Promise.resolve();
        },
        /** Final: a stopped unit does not start again (its unit id is free for a new connector). */
        stop: () => stopUnit(u),
      };
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.all([...units.values()].map((u) => stopUnit(u)));
      wake();
      if (loop !== null) await within(loop, {});
    },
  };
}
