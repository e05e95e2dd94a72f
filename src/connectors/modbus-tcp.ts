/**
 * Modbus TCP connector: one device, one socket, one poll loop (modbus-serial does the framing).
 *
 * The loop is strictly sequential (connect, read, read, ..., push, sleep), so a device holds at
 * most one timer and one request in flight, and a slow sink slows the device's polling instead
 * of queueing frames. Nothing is shared between connectors: one device's failure cannot stall
 * another's.
 *
 * The connector opens the TCP socket itself and hands it to modbus-serial (`linkTCP`, the
 * library's public "existing socket" API). Owning the socket gives us, through plain Node APIs:
 * a connect timeout, prompt notice of a closed link, a hard close on stop(), and the raw bytes
 * as they arrived (a 'data' listener of our own), which quarantine needs when a reply is
 * malformed. The library's own request timeout is left unset: ours settles each read.
 *
 * Relied on from modbus-serial 8 beyond its typings: `linkTCP` wraps an already-open socket
 * without connecting it again and takes replies from its 'data' events; with `setTimeout` never
 * called the client starts no timers of its own. Error and result shapes: see modbus-reply.ts.
 * The raw-byte capture uses no library internals, so a library change cannot break it.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import modbusSerial from 'modbus-serial';
import type { ModbusBlock, ModbusFrame, ModbusPollPlan, ModbusRead } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import { BorderlinkError, describeError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { createBackoff, type BackoffOptions } from './backoff.js';
import {
  classifyReply, exceptionErrorCode, isBitTable, MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, type ReadOutcome,
} from './modbus-reply.js';
import { nextPollAt } from './poll-cadence.js';
import { createLinkStatusReporter } from './link-status.js';
import type { Connector, LinkStatus, Sink } from './types.js';

/** modbus-serial is CommonJS; its typings expose the client class as the module's `default`. */
const ModbusClient = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusClient>;

export interface ModbusTcpConnectorOptions {
  deviceId: string;
  host: string;
  port: number;
  unitId: number;
  plan: ModbusPollPlan;
  sink: Sink<ModbusFrame>;
  logger: Logger;
  clock: Clock;
  /** reconnect delays (defaults: base 500 ms, cap 30 s, full jitter) */
  backoff?: BackoffOptions;
  /** uniform [0, 1) source for the jitter; Math.random by default */
  random?: () => number;
  /** TCP connect timeout, ms (default 5000) */
  connectTimeoutMs?: number;
  /** longest stop() waits for the loop to wind down, ms (default 2000) */
  stopTimeoutMs?: number;
  /**
   * Observes the cadence (benches, soak): called as each poll starts with how late it started
   * against its grid point, ms. Called synchronously on the poll path, so it must be cheap.
   */
  onPollStart?: (lateMs: number) => void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_STOP_TIMEOUT_MS = 2_000;
/** A Modbus TCP ADU is at most 260 bytes; keep a little more, never an unbounded flood. */
const MAX_CAPTURE_BYTES = 8_192;

interface Session {
  readonly socket: net.Socket;
  readonly client: ModbusClient;
  /** bytes received since the last reply we consumed: what quarantine gets when a reply fails */
  readonly raw: Buffer[];
  rawBytes: number;
  /** settles the read in flight; null when none is */
  settle: ((outcome: ReadOutcome) => void) | null;
  /** why the link broke, once it has */
  lost: string | null;
  ended: boolean;
}

function configError(message: string, detail: Record<string, unknown>): BorderlinkError {
  return new BorderlinkError('BL_ERR_CONFIG_INVALID', message, { detail });
}

function isIntIn(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

function validate(o: ModbusTcpConnectorOptions): void {
  const where = { deviceId: o.deviceId };
  if (!isIntIn(o.port, 1, 65535)) throw configError('modbus port must be 1..65535', { ...where, port: o.port });
  if (!isIntIn(o.unitId, 0, 255)) throw configError('modbus unitId must be 0..255', { ...where, unitId: o.unitId });
  const { pollIntervalMs, timeoutMs, reads } = o.plan;
  for (const [name, v] of [['pollIntervalMs', pollIntervalMs], ['timeoutMs', timeoutMs],
    ['connectTimeoutMs', o.connectTimeoutMs ?? 1], ['stopTimeoutMs', o.stopTimeoutMs ?? 1]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw configError(`modbus ${name} must be a positive number`, { ...where, [name]: v });
  }
  if (reads.length === 0) throw configError('modbus poll plan has no reads', where);
  for (const r of reads) {
    const max = isBitTable(r) ? MAX_BITS_PER_READ : MAX_REGISTERS_PER_READ;
    if (!isIntIn(r.address, 0, 65535) || !isIntIn(r.count, 1, max) || r.address + r.count > 65536) {
      throw configError(`modbus read out of range (count 1..${max}, address + count <= 65536)`, { ...where, read: r });
    }
  }
}

function describeRead(r: ModbusRead): string {
  return `${r.table} ${r.address}+${r.count}`;
}

function issueRead(client: ModbusClient, unitId: number, r: ModbusRead, cb: (err: unknown, result?: unknown) => void): void {
  switch (r.table) {
    case 'coil': client.writeFC1(unitId, r.address, r.count, cb); return;
    case 'discrete': client.writeFC2(unitId, r.address, r.count, cb); return;
    case 'holding': client.writeFC3(unitId, r.address, r.count, cb); return;
    case 'input': client.writeFC4(unitId, r.address, r.count, cb); return;
  }
}

export function createModbusTcpConnector(opts: ModbusTcpConnectorOptions): Connector {
  validate(opts);
  const { deviceId, host, port, unitId, plan, sink, clock } = opts;
  const log = opts.logger.child({ deviceId, connector: 'modbus-tcp' });
  const backoff = createBackoff(opts.backoff, opts.random);
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;

  let started = false;
  let stopped = false;
  let loop: Promise<void> | null = null;
  let session: Session | null = null;
  /** wakes what the loop waits on (a connect or a sleep); reads are settled through the session */
  let interrupt: (() => void) | null = null;

  const status = createLinkStatusReporter(sink, log);
  const report = (st: LinkStatus): boolean => (stopped ? false : status.report(st));

  /** `loud`: warn only when the failure is new; a repeat (every poll) is counted by quarantine, not logged. */
  async function rejectInput(raw: Buffer, code: ErrorCode, message: string, loud: boolean): Promise<void> {
    if (loud) log.warn({ code, bytes: raw.length, detail: message }, 'modbus reply rejected');
    else log.debug({ code, bytes: raw.length, detail: message }, 'modbus reply rejected');
    try {
      await sink.reject({ raw, code, message, receivedAt: clock.now() });
    } catch (e) {
      log.error({ err: describeError(e) }, 'sink.reject failed');
    }
  }

  function sleep(ms: number): Promise<void> {
    if (stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (interrupt === wake) interrupt = null;
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      interrupt = wake;
    });
  }

  /** Resolves with the connected socket, or with why it could not connect. Never rejects. */
  function openSocket(): Promise<net.Socket | string> {
    return new Promise((resolve) => {
      let settled = false;
      const socket = net.createConnection({ host, port });
      const finish = (failure: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (interrupt === cancel) interrupt = null;
        socket.off('connect', onConnect);
        if (failure === null) {
          resolve(socket);
        } else {
          socket.destroy();
          resolve(failure);
        }
      };
      const onConnect = (): void => finish(null);
      const cancel = (): void => finish('stopped');
      const timer = setTimeout(() => finish(`connect timeout after ${connectTimeoutMs} ms`), connectTimeoutMs);
      socket.once('connect', onConnect);
      // stays attached for the socket's life: a late 'error' must never be unhandled
      socket.on('error', (e: Error) => finish(e.message));
      interrupt = cancel;
    });
  }

  function loseLink(s: Session, message: string): void {
    if (s.ended || s.lost !== null) return;
    s.lost = message;
    if (s.settle !== null) s.settle({ kind: 'closed', message });
    else if (interrupt !== null) interrupt(); // wake the between-polls sleep: report the loss now
  }

  /** Wraps a connected socket in a modbus-serial client; a string says why that failed. */
  function beginSession(socket: net.Socket): Session | string {
    const client = new ModbusClient();
    const s: Session = { socket, client, raw: [], rawBytes: 0, settle: null, lost: null, ended: false };
    socket.setNoDelay(true);
    // Registered before modbus-serial's own listener, so every chunk is seen here first.
    socket.on('data', (chunk: Buffer) => {
      if (s.rawBytes >= MAX_CAPTURE_BYTES) return;
      s.raw.push(chunk);
      s.rawBytes += chunk.length;
    });
    socket.on('error', (e: Error) => loseLink(s, e.message));
    socket.on('close', () => loseLink(s, 'connection closed'));
    client.on('error', (e: unknown) => loseLink(s, describeError(e).message));
    let linkError: string | null = null;
    try {
      client.linkTCP(socket, { port }, (err: unknown) => {
        if (err !== null && err !== undefined) linkError = describeError(err).message;
      });
    } catch (e) {
      linkError = describeError(e).message;
    }
    if (linkError === null && client.isOpen !== true) linkError = 'modbus client did not open on the socket';
    return linkError ?? s;
  }

  function endSession(s: Session): void {
    s.ended = true;
    if (s.settle !== null) s.settle({ kind: 'closed', message: 'session ended' });
    s.raw.length = 0;
    s.socket.destroy();
  }

  function takeRaw(s: Session): Buffer {
    const raw = s.raw.length === 1 ? (s.raw[0] as Buffer) : Buffer.concat(s.raw);
    s.raw.length = 0;
    s.rawBytes = 0;
    return raw;
  }

  /** One request with its own timeout; resolves with an outcome, never rejects. */
  function read(s: Session, r: ModbusRead): Promise<ReadOutcome> {
    if (s.lost !== null) return Promise.resolve({ kind: 'closed', message: s.lost });
    return new Promise((resolve) => {
      const settle = (outcome: ReadOutcome): void => {
        if (s.settle !== settle) return;
        s.settle = null;
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => settle({ kind: 'timeout' }), plan.timeoutMs);
      s.settle = settle;
      try {
        issueRead(s.client, unitId, r, (err, result) => settle(classifyReply(r, err, result)));
      } catch (e) {
        settle({ kind: 'closed', message: describeError(e).message });
      }
    });
  }

  /** A reply that cannot be trusted (or half a reply): quarantine what arrived, then resync. */
  async function rejectMalformed(s: Session, r: ModbusRead, why: string): Promise<void> {
    const message = `${describeRead(r)}: ${why}`;
    const changed = report({ state: 'degraded', code: 'BL_ERR_MODBUS_MALFORMED_REPLY', detail: message });
    await rejectInput(takeRaw(s), 'BL_ERR_MODBUS_MALFORMED_REPLY', message, changed);
  }

  /** One poll of every read. Resolves true to keep the session, false to reconnect. */
  async function pollOnce(s: Session): Promise<boolean> {
    const blocks: ModbusBlock[] = [];
    for (const r of plan.reads) {
      const o = await read(s, r);
      if (stopped) return false;
      switch (o.kind) {
        case 'data':
          blocks.push({ table: r.table, address: r.address, count: r.count, data: o.data });
          s.raw.length = 0;
          s.rawBytes = 0;
          continue;
        case 'exception': {
          // The device is there and answering; the request is what is wrong. Keep polling.
          backoff.reset();
          const code = exceptionErrorCode(o.exceptionCode);
          const message = `${describeRead(r)}: ${o.message}`;
          const changed = report({ state: 'degraded', code, detail: message });
          await rejectInput(takeRaw(s), code, message, changed);
          return true;
        }
        case 'malformed':
          await rejectMalformed(s, r, o.message);
          return false;
        case 'timeout':
          if (s.rawBytes > 0) {
            await rejectMalformed(s, r, `incomplete or unmatched reply within ${plan.timeoutMs} ms`);
          } else {
            report({ state: 'offline', code: 'BL_ERR_MODBUS_TIMEOUT', detail: `no reply within ${plan.timeoutMs} ms` });
          }
          return false;
        case 'closed':
          if (s.rawBytes > 0) await rejectMalformed(s, r, `link closed mid-reply (${o.message})`);
          report({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: o.message });
          return false;
      }
    }
    const receivedAt = clock.now();
    backoff.reset();
    report({ state: 'online', detail: 'polling' });
    try {
      await sink.push({ transport: 'modbus-tcp', unitId, receivedAt, blocks });
    } catch (e) {
      log.error({ err: describeError(e) }, 'sink.push failed');
    }
    return true;
  }

  async function pollUntilBroken(s: Session): Promise<void> {
    const probe = opts.onPollStart;
    let scheduled = performance.now();
    probe?.(0);
    while (!stopped && (await pollOnce(s)) && !stopped) {
      scheduled = nextPollAt(scheduled, plan.pollIntervalMs, performance.now());
      await sleep(scheduled - performance.now());
      if (probe !== undefined && !stopped && s.lost === null) probe(performance.now() - scheduled);
    }
  }

  async function connectAndPoll(): Promise<void> {
    const socket = await openSocket();
    if (stopped) {
      if (typeof socket !== 'string') socket.destroy();
      return;
    }
    if (typeof socket === 'string') {
      report({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: `connect to ${host}:${port} failed: ${socket}` });
      return;
    }
    const s = beginSession(socket);
    if (typeof s === 'string') {
      socket.destroy();
      report({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: s });
      return;
    }
    session = s;
    try {
      await pollUntilBroken(s);
    } finally {
      session = null;
      endSession(s);
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      try {
        await connectAndPoll();
      } catch (e) {
        log.error({ err: describeError(e) }, 'modbus connector loop failed');
      }
      if (stopped) break;
      const delay = backoff.next();
      log.debug({ delayMs: delay, attempt: backoff.attempt }, 'modbus reconnect scheduled');
      await sleep(delay);
    }
  }

  return {
    deviceId,
    start(): Promise<void> {
      if (started) return Promise.resolve();
      started = true;
      loop = run();
      return Promise.resolve();
    },
    /** Final: a stopped connector does not start again. */
    async stop(): Promise<void> {
      stopped = true;
      const s = session;
      if (s !== null) {
        loseLink(s, 'stopped');
        s.socket.destroy();
      }
      if (interrupt !== null) interrupt();
      if (loop === null) return;
      let timer: NodeJS.Timeout | undefined;
      const finished = await new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), stopTimeoutMs);
        void loop?.then(() => resolve(true), () => resolve(true));
      });
      clearTimeout(timer);
      if (!finished) {
        log.warn({ code: 'BL_ERR_SHUTDOWN_TIMEOUT', timeoutMs: stopTimeoutMs }, 'modbus connector did not stop in time');
      }
    },
  };
}
