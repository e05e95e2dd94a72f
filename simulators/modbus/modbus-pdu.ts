/**
 * Modbus application protocol: request PDU parsing and reply PDU/ADU encoding, pure and allocation-light.
 * Kept apart from the socket code so framing rules can be tested byte for byte.
 */

export type ModbusExceptionCode = 1 | 2 | 3 | 4 | 5 | 6 | 8 | 10 | 11;

export const MODBUS_EXCEPTION = {
  illegalFunction: 1,
  illegalDataAddress: 2,
  illegalDataValue: 3,
  serverDeviceFailure: 4,
  gatewayTargetFailed: 11,
} as const satisfies Record<string, ModbusExceptionCode>;

/** Protocol limits (Modbus Application Protocol v1.1b3, section 6). */
export const MODBUS_LIMITS = {
  maxReadRegisters: 125,
  maxReadBits: 2000,
  maxWriteRegisters: 123,
  maxWriteBits: 1968,
  /** MBAP length field: unit id + PDU, at most 1 + 253 */
  maxMbapLength: 254,
} as const;

export type ModbusReadFunction = 1 | 2 | 3 | 4;

export type ModbusRequest =
  | { functionCode: ModbusReadFunction; unitId: number; address: number; count: number }
  | { functionCode: 5; unitId: number; address: number; value: boolean }
  | { functionCode: 6; unitId: number; address: number; value: number }
  | { functionCode: 15; unitId: number; address: number; values: boolean[] }
  | { functionCode: 16; unitId: number; address: number; values: number[] };

/** What a handler answers. Errors are data: an exception reply, never a throw. */
export type ModbusResponse =
  /** FC 3/4: exactly `count` 16-bit words */
  | { kind: 'registers'; values: ArrayLike<number> }
  /** FC 1/2: exactly `count` bits (truthy = 1) */
  | { kind: 'bits'; values: ArrayLike<boolean | number> }
  /** FC 5/6/15/16 done: the server sends the standard echo */
  | { kind: 'written' }
  | { kind: 'exception'; code: ModbusExceptionCode }
  /** send nothing (e.g. a unit id nobody answers for) */
  | { kind: 'ignore' };

export type ParsedPdu =
  | { ok: true; request: ModbusRequest }
  | { ok: false; functionCode: number; exception: ModbusExceptionCode };

/** Parse one request PDU (function code first). Validation order follows the spec's state diagrams. */
export function parseRequestPdu(unitId: number, pdu: Buffer): ParsedPdu {
  const fc = pdu[0] ?? 0;
  const bad = (exception: ModbusExceptionCode): ParsedPdu => ({ ok: false, functionCode: fc, exception });
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      if (pdu.length !== 5) return bad(3);
      const address = pdu.readUInt16BE(1);
      const count = pdu.readUInt16BE(3);
      const max = fc <= 2 ? MODBUS_LIMITS.maxReadBits : MODBUS_LIMITS.maxReadRegisters;
      if (count < 1 || count > max) return bad(3);
      if (address + count > 0x10000) return bad(2);
      return { ok: true, request: { functionCode: fc, unitId, address, count } };
    }
    case 5: {
      if (pdu.length !== 5) return bad(3);
      const raw = pdu.readUInt16BE(3);
      if (raw !== 0xff00 && raw !== 0x0000) return bad(3);
      return { ok: true, request: { functionCode: 5, unitId, address: pdu.readUInt16BE(1), value: raw === 0xff00 } };
    }
    case 6: {
      if (pdu.length !== 5) return bad(3);
      return { ok: true, request: { functionCode: 6, unitId, address: pdu.readUInt16BE(1), value: pdu.readUInt16BE(3) } };
    }
    case 15: {
      if (pdu.length < 6) return bad(3);
      const address = pdu.readUInt16BE(1);
      const count = pdu.readUInt16BE(3);
      const byteCount = pdu[5] ?? 0;
      if (count < 1 || count > MODBUS_LIMITS.maxWriteBits) return bad(3);
      if (byteCount !== Math.ceil(count / 8) || pdu.length !== 6 + byteCount) return bad(3);
      if (address + count > 0x10000) return bad(2);
      const values: boolean[] = new Array<boolean>(count);
      for (let i = 0; i < count; i++) values[i] = (((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1) === 1;
      return { ok: true, request: { functionCode: 15, unitId, address, values } };
    }
    case 16: {
      if (pdu.length < 6) return bad(3);
      const address = pdu.readUInt16BE(1);
      const count = pdu.readUInt16BE(3);
      const byteCount = pdu[5] ?? 0;
      if (count < 1 || count > MODBUS_LIMITS.maxWriteRegisters) return bad(3);
      if (byteCount !== count * 2 || pdu.length !== 6 + byteCount) return bad(3);
      if (address + count > 0x10000) return bad(2);
      const values: number[] = new Array<number>(count);
      for (let i = 0; i < count; i++) values[i] = pdu.readUInt16BE(6 + i * 2);
      return { ok: true, request: { functionCode: 16, unitId, address, values } };
    }
    default:
      return bad(1);
  }
}

/** MBAP header (7 bytes) followed by `pduLength` bytes of PDU; the caller fills the PDU. */
function allocAdu(transactionId: number, unitId: number, pduLength: number): Buffer {
  const buf = Buffer.allocUnsafe(7 + pduLength);
  buf.writeUInt16BE(transactionId, 0);
  buf.writeUInt16BE(0, 2);
  buf.writeUInt16BE(pduLength + 1, 4);
  buf[6] = unitId;
  return buf;
}

export function encodeExceptionAdu(transactionId: number, unitId: number, functionCode: number, code: number): Buffer {
  const buf = allocAdu(transactionId, unitId, 2);
  buf[7] = (functionCode | 0x80) & 0xff;
  buf[8] = code;
  return buf;
}

/**
 * Encode the reply ADU for a request and its handler's response. A response that does not fit the request
 * (wrong kind or length) becomes exception 4: the handler is broken, the client must not get garbage.
 */
export function encodeReplyAdu(transactionId: number, request: ModbusRequest, response: ModbusResponse): Buffer | undefined {
  const { unitId, functionCode } = request;
  if (response.kind === 'ignore') return undefined;
  if (response.kind === 'exception') return encodeExceptionAdu(transactionId, unitId, functionCode, response.code);
  switch (request.functionCode) {
    case 3:
    case 4: {
      const n = request.count;
      if (response.kind !== 'registers' || response.values.length !== n) return encodeExceptionAdu(transactionId, unitId, functionCode, 4);
      const buf = allocAdu(transactionId, unitId, 2 + n * 2);
      buf[7] = functionCode;
      buf[8] = n * 2;
      const values = response.values;
      for (let i = 0; i < n; i++) buf.writeUInt16BE((values[i] ?? 0) & 0xffff, 9 + i * 2);
      return buf;
    }
    case 1:
    case 2: {
      const n = request.count;
      if (response.kind !== 'bits' || response.values.length !== n) return encodeExceptionAdu(transactionId, unitId, functionCode, 4);
      const byteCount = Math.ceil(n / 8);
      const buf = allocAdu(transactionId, unitId, 2 + byteCount);
      buf[7] = functionCode;
      buf[8] = byteCount;
      buf.fill(0, 9);
      const values = response.values;
      for (let i = 0; i < n; i++) if (values[i]) buf[9 + (i >> 3)] = (buf[9 + (i >> 3)] ?? 0) | (1 << (i & 7));
      return buf;
    }
    case 5:
    case 6: {
      if (response.kind !== 'written') return encodeExceptionAdu(transactionId, unitId, functionCode, 4);
      const buf = allocAdu(transactionId, unitId, 5);
      buf[7] = functionCode;
      buf.writeUInt16BE(request.address, 8);
      const raw = request.functionCode === 5 ? (request.value ? 0xff00 : 0) : request.value;
      buf.writeUInt16BE(raw, 10);
      return buf;
    }
    case 15:
    case 16: {
      if (response.kind !== 'written') return encodeExceptionAdu(transactionId, unitId, functionCode, 4);
      const buf = allocAdu(transactionId, unitId, 5);
      buf[7] = functionCode;
      buf.writeUInt16BE(request.address, 8);
      buf.writeUInt16BE(request.values.length, 10);
      return buf;
    }
  }
}

/** How a `malformed` fault breaks a reply. */
export type MalformedShape =
  /** the byte-count field claims 2 more bytes than the PDU carries (MBAP length stays consistent) */
  | 'byte-count'
  /** the PDU loses its last 2 bytes; the MBAP length matches the short PDU */
  | 'truncated'
  /** the function code is changed to one the client did not ask for */
  | 'function-code'
  /** the transaction id does not match the request's */
  | 'transaction-id';

/** Break a well-formed reply ADU in the given way (returns a new buffer). */
export function malformAdu(adu: Buffer, shape: MalformedShape): Buffer {
  const out = Buffer.from(adu);
  const fc = out[7] ?? 0;
  switch (shape) {
    case 'byte-count':
      if (fc >= 1 && fc <= 4) {
        out[8] = ((out[8] ?? 0) + 2) & 0xff;
        return out;
      }
      return malformAdu(adu, 'truncated');
    case 'truncated': {
      const cut = Math.min(2, out.length - 8);
      const short = out.subarray(0, out.length - cut);
      short.writeUInt16BE(short.length - 6, 4);
      return short;
    }
    case 'function-code':
      out[7] = fc === 4 ? 3 : 4;
      return out;
    case 'transaction-id':
      out.writeUInt16BE(((out.readUInt16BE(0) + 0x8000) & 0xffff), 0);
      return out;
  }
}
