/**
 * Test doubles for the Modbus TCP connector: a recording sink and a tiny raw Modbus TCP server
 * whose every reply is decided by the test, so faults (exceptions, lies in the byte count or
 * the MBAP length, silence, dropped links) can be injected byte for byte.
 */
import net from 'node:net';
import type { ModbusFrame } from '../../../src/adapter/types.js';
import type { LinkStatus, RejectedInput, Sink } from '../../../src/connectors/types.js';

export interface RecordingSink {
  sink: Sink<ModbusFrame>;
  frames: ModbusFrame[];
  statuses: LinkStatus[];
  rejects: RejectedInput[];
  /** most pushes in flight at once: backpressure means this stays 1 */
  maxInFlight(): number;
}

export function recordingSink(opts: { pushDelayMs?: number } = {}): RecordingSink {
  const frames: ModbusFrame[] = [];
  const statuses: LinkStatus[] = [];
  const rejects: RejectedInput[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sink: Sink<ModbusFrame> = {
    async push(frame) {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (opts.pushDelayMs !== undefined) await new Promise((r) => setTimeout(r, opts.pushDelayMs));
      frames.push(frame);
      inFlight -= 1;
      return { status: 'accepted', eventIds: [] };
    },
    status(status) {
      statuses.push(status);
    },
    async reject(input) {
      rejects.push(input);
    },
  };
  return { sink, frames, statuses, rejects, maxInFlight: () => maxInFlight };
}

/** Polls a condition; throws with `what` if it does not hold within `timeoutMs`. */
export async function waitUntil(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface ModbusRequest {
  tid: number;
  unitId: number;
  fc: number;
  address: number;
  count: number;
}

/** The full ADU (MBAP + PDU) to send back, or null to stay silent. */
export type Responder = (req: ModbusRequest) => Buffer | null;

/** MBAP header + PDU; `mbapLength` overrides the length field (to lie about it). */
export function adu(tid: number, unitId: number, pdu: Buffer, mbapLength = pdu.length + 1): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt16BE(tid, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(mbapLength, 4);
  head.writeUInt8(unitId, 6);
  return Buffer.concat([head, pdu]);
}

export function registerPdu(fc: number, values: readonly number[]): Buffer {
  const pdu = Buffer.alloc(2 + values.length * 2);
  pdu.writeUInt8(fc, 0);
  pdu.writeUInt8(values.length * 2, 1);
  values.forEach((v, i) => pdu.writeUInt16BE(v, 2 + i * 2));
  return pdu;
}

export function bitPdu(fc: number, bits: readonly boolean[]): Buffer {
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return Buffer.concat([Buffer.from([fc, bytes.length]), bytes]);
}

export function exceptionAdu(req: ModbusRequest, exceptionCode: number): Buffer {
  return adu(req.tid, req.unitId, Buffer.from([req.fc | 0x80, exceptionCode]));
}

/** Register n holds n * 10 (holding) or 1000 + n (input); bit n is set when n % 3 === 0. */
export function healthyReply(req: ModbusRequest): Buffer {
  const idx = Array.from({ length: req.count }, (_, i) => req.address + i);
  switch (req.fc) {
    case 1:
    case 2:
      return adu(req.tid, req.unitId, bitPdu(req.fc, idx.map((n) => n % 3 === 0)));
    case 3:
      return adu(req.tid, req.unitId, registerPdu(3, idx.map((n) => n * 10)));
    case 4:
      return adu(req.tid, req.unitId, registerPdu(4, idx.map((n) => 1000 + n)));
    default:
      return exceptionAdu(req, 1);
  }
}

export interface RawModbusServer {
  readonly port: number;
  readonly requests: ModbusRequest[];
  /** connections accepted so far */
  connections(): number;
  /** connections currently open */
  openConnections(): number;
  respond: Responder;
  close(): Promise<void>;
}

export async function startRawModbusServer(respond: Responder, port = 0): Promise<RawModbusServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const requests: ModbusRequest[] = [];
  const server = net.createServer((sock) => {
    accepted += 1;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const len = buf.readUInt16BE(4);
        const req: ModbusRequest = {
          tid: buf.readUInt16BE(0),
          unitId: buf.readUInt8(6),
          fc: buf.readUInt8(7),
          address: buf.readUInt16BE(8),
          count: buf.readUInt16BE(10),
        };
        buf = buf.subarray(6 + len);
        requests.push(req);
        const reply = handle.respond(req);
        if (reply !== null) sock.write(reply);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const handle: RawModbusServer = {
    port: address.port,
    requests,
    connections: () => accepted,
    openConnections: () => sockets.size,
    respond,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  return handle;
}

/** A port that was free a moment ago (for servers that cannot listen on port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** No two consecutive reports carry the same state and code. */
export function hasDuplicateStatus(statuses: readonly LinkStatus[]): boolean {
  return statuses.some((s, i) => i > 0 && statuses[i - 1]?.state === s.state && statuses[i - 1]?.code === s.code);
}
