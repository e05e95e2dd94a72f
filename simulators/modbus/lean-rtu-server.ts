/**
 * A lean Modbus RTU slave line: several unit ids behind one serial port (in tests, one end of a
 * socat pty pair), each answered by its own ModbusRequestHandler, the same type the lean TCP
 * server uses. Unit ids not on the line stay silent, as on a real RS-485 bus; broadcasts (unit 0)
 * are executed and never answered; a request with a bad CRC is ignored, as a slave must.
 *
 * Faults are per unit and switchable at runtime: a unit goes silent, answers with a bad CRC or
 * another malformed shape, answers an exception, or answers late. If the port is lost (the pty
 * pair went away) the server reopens the same path until it is closed.
 */
import { BorderlinkError, describeError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { openSerialRtuPort, type OpenRtuPort, type RtuPort, type RtuPortEvents } from '../../src/connectors/rtu-serial-port.js';
import type { ModbusRequestHandler } from './lean-tcp-server.js';
import { parseRequestPdu, type ModbusExceptionCode, type ModbusResponse } from './modbus-pdu.js';
import {
  cutRtuRequest, encodeRtuException, encodeRtuReply, frameOf, malformRtu, type RtuMalformedShape,
} from './modbus-rtu-adu.js';

export type { RtuMalformedShape } from './modbus-rtu-adu.js';

export type RtuFaultMode =
  /** read the request, never answer */
  | { kind: 'silent' }
  /** answer with a broken reply (default shape: 'crc') */
  | { kind: 'malformed'; shape?: RtuMalformedShape }
  /** answer the given exception code instead of data */
  | { kind: 'exception'; code: ModbusExceptionCode };

export interface RtuUnitFaultPlan {
  /** absent: answer normally */
  mode?: RtuFaultMode;
  /** the mode hits every nth eligible request of this unit (default 1 = every request) */
  every?: number;
  /** only requests with these function codes are eligible (default: all) */
  functionCodes?: readonly number[];
  /** hold this unit's replies this long */
  delayMs?: number;
}

export interface ModbusRtuServerOptions {
  path: string;
  /** default 19200 (meaningless on a pty, but set on the port) */
  baudRate?: number;
  /** default 'even', the Modbus serial line default */
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** the unit ids on the line and who answers each */
  units: ReadonlyMap<number, ModbusRequestHandler>;
  /** silence after which a partial request is dropped, ms (default 20) */
  frameGapMs?: number;
  /** delay between attempts to reopen a lost port, ms (default 200) */
  reopenMs?: number;
  openPort?: OpenRtuPort;
  logger?: Logger;
}

export interface ModbusRtuServer {
  readonly path: string;
  readonly unitIds: readonly number[];
  /** well-framed requests seen since start, all units (answered or not) */
  requestCount(): number;
  requestCountFor(unitId: number): number;
  /** requests dropped for a bad CRC or a partial frame */
  droppedFrames(): number;
  setUnitFaults(unitId: number, plan: RtuUnitFaultPlan): void;
  unitFaults(unitId: number): RtuUnitFaultPlan;
  /** the port is open now (false while it is being reopened) */
  isOpen(): boolean;
  close(): Promise<void>;
}

interface UnitState {
  handler: ModbusRequestHandler;
  plan: RtuUnitFaultPlan;
  eligibleSeen: number;
  requests: number;
}

type Verdict = { kind: 'none' } | RtuFaultMode;

function normalisePlan(p: RtuUnitFaultPlan): RtuUnitFaultPlan {
  const every = p.every ?? 1;
  if (!Number.isInteger(every) || every < 1) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `fault plan "every" must be a positive integer, got ${String(p.every)}`);
  }
  const delayMs = p.delayMs ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `fault plan "delayMs" must be a finite number >= 0, got ${String(p.delayMs)}`);
  }
  return Object.freeze({ ...p, every, delayMs, functionCodes: p.functionCodes === undefined ? undefined : [...p.functionCodes] });
}

export async function startModbusRtuServer(opts: ModbusRtuServerOptions): Promise<ModbusRtuServer> {
  const logger = opts.logger;
  const openPort = opts.openPort ?? openSerialRtuPort;
  const frameGapMs = opts.frameGapMs ?? 20;
  const reopenMs = opts.reopenMs ?? 200;
  const portOptions = { path: opts.path, baudRate: opts.baudRate ?? 19_200, parity: opts.parity ?? 'even', dataBits: 8, stopBits: opts.stopBits ?? 1 } as const;
  const units = new Map<number, UnitState>();
  for (const [id, handler] of opts.units) {
    if (!Number.isInteger(id) || id < 1 || id > 247) throw new BorderlinkError('BL_ERR_SIMULATOR', `RTU unit ids must be 1-247, got ${id}`);
    units.set(id, { handler, plan: normalisePlan({}), eligibleSeen: 0, requests: 0 });
  }
  let port: RtuPort | null = null;
  let pending: Buffer | undefined;
  let gapTimer: NodeJS.Timeout | undefined;
  let reopenTimer: NodeJS.Timeout | undefined;
  const replyTimers = new Set<NodeJS.Timeout>();
  let requests = 0;
  let dropped = 0;
  let closing = false;

  const verdictFor = (u: UnitState, functionCode: number): Verdict => {
    const mode = u.plan.mode;
    if (mode === undefined) return { kind: 'none' };
    if (u.plan.functionCodes !== undefined && !u.plan.functionCodes.includes(functionCode)) return { kind: 'none' };
    u.eligibleSeen += 1;
    return u.eligibleSeen % (u.plan.every ?? 1) === 0 ? mode : { kind: 'none' };
  };

  const send = (u: UnitState, data: Buffer): void => {
    const delay = u.plan.delayMs ?? 0;
    if (delay <= 0) {
      port?.write(data);
      return;
    }
    const t = setTimeout(() => {
      replyTimers.delete(t);
      port?.write(data);
    }, delay);
    replyTimers.add(t);
  };

  const answer = (unitId: number, pdu: Buffer): void => {
    requests += 1;
    const parsed = parseRequestPdu(unitId, pdu);
    if (unitId === 0) {
      // broadcast: every unit executes it, none answers
      if (parsed.ok) for (const u of units.values()) safeHandle(u, parsed.request);
      return;
    }
    const u = units.get(unitId);
    if (u === undefined) return; // nobody at that address
    u.requests += 1;
    const fc = parsed.ok ? parsed.request.functionCode : parsed.functionCode;
    const verdict = verdictFor(u, fc);
    if (verdict.kind === 'silent') return;
    if (verdict.kind === 'exception') {
      send(u, encodeRtuException(unitId, fc, verdict.code));
      return;
    }
    const reply = parsed.ok ? encodeRtuReply(parsed.request, safeHandle(u, parsed.request)) : encodeRtuException(unitId, fc, parsed.exception);
    if (reply === undefined) return;
    send(u, verdict.kind === 'malformed' ? malformRtu(reply, verdict.shape ?? 'crc') : reply);
  };

  function safeHandle(u: UnitState, request: Parameters<ModbusRequestHandler>[0]): ModbusResponse {
    try {
      return u.handler(request);
    } catch (e) {
      logger?.warn({ err: describeError(e), functionCode: request.functionCode }, 'modbus rtu simulator handler threw');
      return { kind: 'exception', code: 4 };
    }
  }

  /** Silence: a frame whose length only silence can end is complete now; anything else partial is dropped. */
  const onGap = (): void => {
    gapTimer = undefined;
    const buf = pending;
    pending = undefined;
    if (buf === undefined) return;
    const cut = cutRtuRequest(buf);
    const whole = cut.kind === 'unknown' ? frameOf(buf) : cut;
    if (whole.kind === 'frame') {
      answer(whole.unitId, whole.pdu);
      return;
    }
    dropped += 1;
    logger?.debug({ bytes: buf.length }, 'modbus rtu simulator dropped a partial or corrupt request');
  };

  const onData = (chunk: Buffer): void => {
    let buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const cut = cutRtuRequest(buf);
      if (cut.kind === 'frame') {
        answer(cut.unitId, cut.pdu);
        buf = buf.subarray(cut.length);
        continue;
      }
      if (cut.kind === 'bad-crc') {
        // the frame cannot be trusted, nor where the next one starts: drop what is buffered
        dropped += 1;
        logger?.debug({ bytes: buf.length }, 'modbus rtu simulator ignored a request with a bad CRC');
        buf = Buffer.alloc(0);
      }
      break;
    }
    pending = buf.length > 0 ? Buffer.from(buf) : undefined;
    clearTimeout(gapTimer);
    gapTimer = pending === undefined ? undefined : setTimeout(onGap, frameGapMs);
  };

  const open = async (): Promise<void> => {
    let lostOnce = false;
    const events: RtuPortEvents = {
      data: onData,
      lost: (reason) => {
        if (lostOnce) return;
        lostOnce = true;
        port = null;
        pending = undefined;
        logger?.info({ path: opts.path, reason }, 'modbus rtu simulator port lost; reopening');
        scheduleReopen();
      },
    };
    const p = await openPort(portOptions, events);
    if (closing || lostOnce) {
      await p.close();
      return;
    }
    port = p;
  };

  const scheduleReopen = (): void => {
    if (closing || reopenTimer !== undefined) return;
    reopenTimer = setTimeout(() => {
      reopenTimer = undefined;
      open().catch(() => scheduleReopen());
    }, reopenMs);
  };

  try {
    await open();
  } catch (e) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `Modbus RTU simulator could not open ${opts.path}: ${describeError(e).message}`, {
      cause: e,
      detail: { path: opts.path },
    });
  }

  const unit = (unitId: number): UnitState => {
    const u = units.get(unitId);
    if (u === undefined) throw new BorderlinkError('BL_ERR_SIMULATOR', `unit ${unitId} is not on this RTU line`, { detail: { unitId } });
    return u;
  };

  return {
    path: opts.path,
    unitIds: [...units.keys()],
    requestCount: () => requests,
    requestCountFor: (unitId) => units.get(unitId)?.requests ?? 0,
    droppedFrames: () => dropped,
    setUnitFaults(unitId, plan) {
      const u = unit(unitId);
      u.plan = normalisePlan(plan);
      u.eligibleSeen = 0;
    },
    unitFaults: (unitId) => unit(unitId).plan,
    isOpen: () => port !== null,
    async close() {
      if (closing) return;
      closing = true;
      clearTimeout(gapTimer);
      clearTimeout(reopenTimer);
      for (const t of replyTimers) clearTimeout(t);
      replyTimers.clear();
      const p = port;
      port = null;
      if (p !== null) await p.close();
    },
  };
}
