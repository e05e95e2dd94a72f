/**
 * A lean Modbus TCP server on the `net` module with its own MBAP framing. modbus-serial's ServerTCP
 * answers a few hundred requests per second; this one answers pipelined requests from many connections
 * in one pass per TCP chunk, so simulators never limit the gateway's measured throughput.
 *
 * It also breaks on purpose: runtime-switchable faults (silent, malformed, exception, disconnect,
 * delay) let gateway tests exercise every failure path against a real socket.
 */
import net from 'node:net';
import { BorderlinkError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import {
  encodeExceptionAdu,
  encodeReplyAdu,
  malformAdu,
  MODBUS_LIMITS,
  parseRequestPdu,
  type MalformedShape,
  type ModbusExceptionCode,
  type ModbusRequest,
  type ModbusResponse,
} from './modbus-pdu.js';

export type { MalformedShape, ModbusExceptionCode, ModbusRequest, ModbusResponse } from './modbus-pdu.js';
export { MODBUS_EXCEPTION, MODBUS_LIMITS } from './modbus-pdu.js';

/** Answers one request; synchronous so a pipelined chunk is served in one pass. */
export type ModbusRequestHandler = (request: ModbusRequest) => ModbusResponse;

export type ModbusFaultMode =
  /** read the request, never answer */
  | { kind: 'silent' }
  /** answer with a broken reply (default shape: 'byte-count') */
  | { kind: 'malformed'; shape?: MalformedShape }
  /** answer the given exception code instead of data */
  | { kind: 'exception'; code: ModbusExceptionCode }
  /** drop the connection on the request */
  | { kind: 'disconnect' };

export interface ModbusFaultPlan {
  /** absent: answer normally */
  mode?: ModbusFaultMode;
  /** the mode hits every nth eligible request, counted server-wide (default 1 = every request) */
  every?: number;
  /** only requests with these function codes are eligible (default: all) */
  functionCodes?: readonly number[];
  /** hold every reply this long (order per connection is kept) */
  delayMs?: number;
}

export interface ModbusTcpServerOptions {
  /** default 127.0.0.1: binding beyond loopback is the caller's explicit choice */
  host?: string;
  /** default 0 (ephemeral) */
  port?: number;
  handler: ModbusRequestHandler;
  faults?: ModbusFaultPlan;
  /** default 256 */
  maxConnections?: number;
  logger?: Logger;
}

export interface ModbusTcpServer {
  readonly host: string;
  readonly port: number;
  /** open client connections */
  connections(): number;
  /** requests parsed since start (answered or not) */
  requestCount(): number;
  setFaults(plan: ModbusFaultPlan): void;
  faults(): ModbusFaultPlan;
  /** drop every open connection now (an injected disconnect); the listener stays up */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Route by unit id: unknown unit ids get exception 11 (gateway target failed) or, if asked, silence. */
export function routeByUnitId(
  handlers: ReadonlyMap<number, ModbusRequestHandler>,
  unknownUnit: 'exception' | 'ignore' = 'exception',
): ModbusRequestHandler {
  const unknown: ModbusResponse = unknownUnit === 'ignore' ? { kind: 'ignore' } : { kind: 'exception', code: 11 };
  return (request) => {
    const h = handlers.get(request.unitId);
    return h === undefined ? unknown : h(request);
  };
}

interface Connection {
  socket: net.Socket;
  pending: Buffer | undefined;
  /** delayed replies, in send order */
  queue: Array<{ due: number; data: Buffer | undefined; close: boolean }>;
  timer: NodeJS.Timeout | undefined;
}

type Verdict = { kind: 'none' } | { kind: 'silent' } | { kind: 'disconnect' } | { kind: 'malformed'; shape: MalformedShape } | { kind: 'exception'; code: ModbusExceptionCode };

export async function startModbusTcpServer(opts: ModbusTcpServerOptions): Promise<ModbusTcpServer> {
  const host = opts.host ?? '127.0.0.1';
  const handler = opts.handler;
  const logger = opts.logger;
  const conns = new Set<Connection>();
  let plan: ModbusFaultPlan = normalisePlan(opts.faults ?? {});
  let eligibleSeen = 0;
  let requests = 0;
  let closing = false;

  const verdictFor = (functionCode: number): Verdict => {
    const mode = plan.mode;
    if (mode === undefined) return { kind: 'none' };
    if (plan.functionCodes !== undefined && !plan.functionCodes.includes(functionCode)) return { kind: 'none' };
    eligibleSeen++;
    if (eligibleSeen % (plan.every ?? 1) !== 0) return { kind: 'none' };
    if (mode.kind === 'malformed') return { kind: 'malformed', shape: mode.shape ?? 'byte-count' };
    return mode;
  };

  const flushQueue = (c: Connection): void => {
    c.timer = undefined;
    const now = Date.now();
    while (c.queue.length > 0 && (c.queue[0]?.due ?? 0) <= now) {
      const item = c.queue.shift();
      if (item === undefined) break;
      if (item.data !== undefined && !c.socket.destroyed) write(c, item.data);
      if (item.close) c.socket.destroy();
    }
    const head = c.queue[0];
    if (head !== undefined) c.timer = setTimeout(() => flushQueue(c), Math.max(0, head.due - now));
  };

  /** A client that pipelines without reading gets no more reads until its replies drain. */
  const write = (c: Connection, data: Buffer): void => {
    if (!c.socket.write(data)) c.socket.pause();
  };

  const send = (c: Connection, data: Buffer | undefined, close: boolean): void => {
    const delay = plan.delayMs ?? 0;
    if (delay <= 0 && c.queue.length === 0) {
      if (data !== undefined) write(c, data);
      if (close) c.socket.destroy();
      return;
    }
    c.queue.push({ due: Date.now() + delay, data, close });
    if (c.timer === undefined) c.timer = setTimeout(() => flushQueue(c), Math.max(0, delay));
  };

  const answer = (transactionId: number, unitId: number, pdu: Buffer): { data?: Buffer; close?: true } => {
    requests++;
    const parsed = parseRequestPdu(unitId, pdu);
    const verdict = verdictFor(parsed.ok ? parsed.request.functionCode : parsed.functionCode);
    if (verdict.kind === 'silent') return {};
    if (verdict.kind === 'disconnect') return { close: true };
    const fc = parsed.ok ? parsed.request.functionCode : parsed.functionCode;
    if (verdict.kind === 'exception') return { data: encodeExceptionAdu(transactionId, unitId, fc, verdict.code) };
    let adu: Buffer | undefined;
    if (!parsed.ok) {
      adu = encodeExceptionAdu(transactionId, unitId, parsed.functionCode, parsed.exception);
    } else {
      let response: ModbusResponse;
      try {
        response = handler(parsed.request);
      } catch (e) {
        logger?.warn({ err: e, functionCode: fc }, 'modbus simulator handler threw');
        response = { kind: 'exception', code: 4 };
      }
      adu = encodeReplyAdu(transactionId, parsed.request, response);
    }
    if (adu === undefined) return {};
    return { data: verdict.kind === 'malformed' ? malformAdu(adu, verdict.shape) : adu };
  };

  const onData = (c: Connection, chunk: Buffer): void => {
    let buf = c.pending === undefined ? chunk : Buffer.concat([c.pending, chunk]);
    let off = 0;
    let out: Buffer[] | undefined;
    let close = false;
    while (buf.length - off >= 7) {
      const length = buf.readUInt16BE(off + 4);
      if (length < 2 || length > MODBUS_LIMITS.maxMbapLength) {
        // the stream has lost sync: there is no safe way to find the next frame
        logger?.debug({ length }, 'modbus simulator dropped a connection with a bad MBAP length');
        c.socket.destroy();
        return;
      }
      if (buf.length - off < 6 + length) break;
      const transactionId = buf.readUInt16BE(off);
      const protocolId = buf.readUInt16BE(off + 2);
      const unitId = buf[off + 6] ?? 0;
      const pdu = buf.subarray(off + 7, off + 6 + length);
      off += 6 + length;
      if (protocolId !== 0) continue; // not Modbus: discarded, as the spec says
      const r = answer(transactionId, unitId, pdu);
      if (r.data !== undefined) (out ??= []).push(r.data);
      if (r.close) {
        close = true;
        break;
      }
    }
    c.pending = off < buf.length && !close ? Buffer.from(buf.subarray(off)) : undefined;
    if (out !== undefined || close) {
      const data = out === undefined ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
      send(c, data, close);
    }
  };

  const server = net.createServer({ noDelay: true }, (socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    const c: Connection = { socket, pending: undefined, queue: [], timer: undefined };
    conns.add(c);
    socket.on('data', (chunk: Buffer) => onData(c, chunk));
    socket.on('drain', () => socket.resume());
    socket.on('error', () => undefined); // resets are normal for a device simulator; 'close' follows
    socket.on('close', () => {
      if (c.timer !== undefined) clearTimeout(c.timer);
      conns.delete(c);
    });
  });
  server.maxConnections = opts.maxConnections ?? 256;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => {
      reject(new BorderlinkError('BL_ERR_SIMULATOR', `Modbus simulator could not listen on ${host}:${opts.port ?? 0}: ${e.message}`, { cause: e, detail: { host, port: opts.port ?? 0 } }));
    };
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => logger?.warn({ err: e }, 'modbus simulator listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  const destroyAll = (): void => {
    for (const c of conns) {
      if (c.timer !== undefined) clearTimeout(c.timer);
      c.queue.length = 0;
      c.socket.destroy();
    }
  };

  return {
    host,
    port,
    connections: () => conns.size,
    requestCount: () => requests,
    setFaults(next) {
      plan = normalisePlan(next);
      eligibleSeen = 0;
    },
    faults: () => plan,
    dropConnections: destroyAll,
    close() {
      if (closing) return Promise.resolve();
      closing = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        destroyAll();
      });
    },
  };
}

function normalisePlan(p: ModbusFaultPlan): ModbusFaultPlan {
  const every = p.every ?? 1;
  if (!Number.isInteger(every) || every < 1) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `fault plan "every" must be a positive integer, got ${String(p.every)}`);
  }
  const delay = p.delayMs ?? 0;
  if (!(delay >= 0) || !Number.isFinite(delay)) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `fault plan "delayMs" must be a finite number >= 0, got ${String(p.delayMs)}`);
  }
  return Object.freeze({ ...p, every, delayMs: delay, functionCodes: p.functionCodes === undefined ? undefined : [...p.functionCodes] });
}
