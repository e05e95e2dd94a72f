/**
 * Modbus RTU framing for the read functions (FC 1-4), pure: CRC-16/Modbus, request encoding, how
 * long a reply will be once its header is in, and the checks a whole reply must pass.
 *
 * An RTU ADU is: unit id (1 byte), PDU (function code + data), CRC-16/Modbus (2 bytes, low byte
 * first). Modbus over Serial Line v1.02, sections 2.5.1 and 6.2.2.
 */
import type { ModbusRead } from '../adapter/types.js';
import { expectedByteCount, type ReadOutcome } from './modbus-reply.js';

/** Largest RTU ADU: unit id + 253-byte PDU + CRC. */
export const MAX_RTU_ADU_BYTES = 256;
/** An exception reply: unit id, function | 0x80, exception code, CRC. */
export const RTU_EXCEPTION_BYTES = 5;

const CRC_TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i += 1) {
    let c = i;
    for (let k = 0; k < 8; k += 1) c = (c & 1) !== 0 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** CRC-16/Modbus (poly 0xA001 reflected, init 0xFFFF) of `bytes[start, end)`. */
export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i += 1) crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  return crc;
}

/** `body` followed by its CRC, low byte first (a new buffer). */
export function withCrc(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(body.length + 2);
  out.set(body, 0);
  out.writeUInt16LE(crc16Modbus(body), body.length);
  return out;
}

/** True when the last two bytes are the CRC of the rest. */
export function hasValidCrc(frame: Uint8Array): boolean {
  if (frame.length < 3) return false;
  const crc = crc16Modbus(frame, 0, frame.length - 2);
  return (frame[frame.length - 2] ?? -1) === (crc & 0xff) && (frame[frame.length - 1] ?? -1) === crc >>> 8;
}

export function readFunctionCode(read: ModbusRead): 1 | 2 | 3 | 4 {
  switch (read.table) {
    case 'coil': return 1;
    case 'discrete': return 2;
    case 'holding': return 3;
    case 'input': return 4;
  }
}

/** The 8-byte request ADU for one read. */
export function encodeReadRequest(unitId: number, read: ModbusRead): Buffer {
  const body = Buffer.allocUnsafe(6);
  body[0] = unitId;
  body[1] = readFunctionCode(read);
  body.writeUInt16BE(read.address, 2);
  body.writeUInt16BE(read.count, 4);
  return withCrc(body);
}

/** Length of the correct reply ADU to `read`: unit id, function, byte count, data, CRC. */
export function expectedReplyBytes(read: ModbusRead): number {
  return 5 + expectedByteCount(read);
}

/**
 * How long the reply whose first bytes are `bytes` will be, as its own header says:
 * 'more' until the header is in; 'unknown' when the function code is not a read or an
 * exception (the frame can then only end on silence).
 */
export function replyFrameLength(bytes: Uint8Array): number | 'more' | 'unknown' {
  if (bytes.length < 2) return 'more';
  const fc = bytes[1] ?? 0;
  if ((fc & 0x80) !== 0) return RTU_EXCEPTION_BYTES;
  if (fc < 1 || fc > 4) return 'unknown';
  if (bytes.length < 3) return 'more';
  return 5 + (bytes[2] ?? 0);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/**
 * Checks a whole reply ADU against the request it answers. The CRC comes first: a frame that
 * fails it says nothing trustworthy about its unit id or function.
 */
export function parseReadReply(unitId: number, read: ModbusRead, frame: Uint8Array): Exclude<ReadOutcome, { kind: 'timeout' } | { kind: 'closed' }> {
  const fc = readFunctionCode(read);
  if (frame.length < RTU_EXCEPTION_BYTES) {
    return { kind: 'malformed', message: `reply of ${frame.length} bytes is shorter than any RTU reply` };
  }
  if (!hasValidCrc(frame)) return { kind: 'malformed', message: 'CRC mismatch' };
  const gotUnit = frame[0] ?? 0;
  if (gotUnit !== unitId) return { kind: 'malformed', message: `reply from unit ${gotUnit} to a request for unit ${unitId}` };
  const gotFc = frame[1] ?? 0;
  if (gotFc === (fc | 0x80)) {
    if (frame.length !== RTU_EXCEPTION_BYTES) {
      return { kind: 'malformed', message: `exception reply of ${frame.length} bytes, expected ${RTU_EXCEPTION_BYTES}` };
    }
    const exceptionCode = frame[2] ?? 0;
    return { kind: 'exception', exceptionCode, message: `Modbus exception ${exceptionCode}` };
  }
  if (gotFc !== fc) return { kind: 'malformed', message: `reply with function ${hex(gotFc)} to a request with function ${hex(fc)}` };
  const byteCount = frame[2] ?? 0;
  const expected = expectedByteCount(read);
  if (byteCount !== expected) return { kind: 'malformed', message: `reply byte count ${byteCount}, expected ${expected}` };
  if (frame.length !== 5 + byteCount) {
    return { kind: 'malformed', message: `reply of ${frame.length} bytes, its byte count says ${5 + byteCount}` };
  }
  return { kind: 'data', data: Buffer.from(frame.subarray(3, 3 + byteCount)) };
}

/** Line settings that decide how long one character takes on the wire. */
export interface RtuCharFormat {
  baudRate: number;
  dataBits: number;
  parity: 'none' | 'even' | 'odd';
  stopBits: number;
}

/** One character on the wire, ms: start bit + data bits + parity bit + stop bits. */
export function charTimeMs(f: RtuCharFormat): number {
  return ((1 + f.dataBits + (f.parity === 'none' ? 0 : 1) + f.stopBits) * 1000) / f.baudRate;
}

/** 3.5 character times: the least silence that ends an RTU frame, so the smallest interFrameMs allowed. */
export function minInterFrameMs(f: RtuCharFormat): number {
  return 3.5 * charTimeMs(f);
}

/**
 * The inter-frame silence used unless configured: 3.5 character times, but at least 1.75 ms
 * above 19 200 baud, as the spec recommends (Modbus over Serial Line v1.02, 2.5.1.1), since
 * shorter gaps are below what UARTs and timers resolve.
 */
export function defaultInterFrameMs(f: RtuCharFormat): number {
  const t35 = minInterFrameMs(f);
  return f.baudRate > 19_200 ? Math.max(t35, 1.75) : t35;
}
