/**
 * Turns what modbus-serial hands back for one read (an error or a result) into a typed outcome.
 * Pure, so every failure class can be tested without a socket.
 *
 * What this relies on from modbus-serial 8 (index.js `_onReceive`, `_readFC2`, `_readFC3or4`):
 *  - an exception reply is an Error with a numeric `modbusCode` (the exception code);
 *  - a closed port is reported as `PortNotOpenError` (name) / "Port Not Open" (message);
 *  - its own request timeout (unused here) is `errno: 'ETIMEDOUT'`;
 *  - every other error (length, CRC, unit id, function code, a RangeError while parsing a
 *    reply whose byte count lies) means the reply was malformed;
 *  - a result carries `buffer`, the reply's data bytes sliced by the reply's byte-count field.
 * The library does not check the byte-count field against the request, so the length of
 * `buffer` is checked here. If a future version drops `buffer`, the bytes are rebuilt from
 * `data`; anything unrecognised is classed as malformed, which reconnects: the safe side.
 */
import type { ErrorCode } from '../errors.js';
import type { ModbusRead } from '../adapter/types.js';

export type ReadOutcome =
  | { kind: 'data'; data: Buffer }
  | { kind: 'exception'; exceptionCode: number; message: string }
  | { kind: 'malformed'; message: string }
  | { kind: 'timeout' }
  | { kind: 'closed'; message: string };

/** Largest counts one request may carry (Modbus application protocol v1.1b3, FC1-4). */
export const MAX_BITS_PER_READ = 2000;
export const MAX_REGISTERS_PER_READ = 125;

export function isBitTable(read: ModbusRead): boolean {
  return read.table === 'coil' || read.table === 'discrete';
}

/** Data bytes a correct reply to `read` carries. */
export function expectedByteCount(read: ModbusRead): number {
  return isBitTable(read) ? Math.ceil(read.count / 8) : read.count * 2;
}

/** Exception 2 (illegal data address) gets its own code: it means the profile is wrong, not the device. */
export function exceptionErrorCode(exceptionCode: number): ErrorCode {
  return exceptionCode === 2 ? 'BL_ERR_MODBUS_ILLEGAL_ADDRESS' : 'BL_ERR_MODBUS_EXCEPTION';
}

/** Bits LSB first, as on the wire; used only when the library gives booleans without bytes. */
export function packBits(bits: readonly boolean[], count: number): Buffer {
  const out = Buffer.alloc(Math.ceil(count / 8));
  for (let i = 0; i < count && i < bits.length; i += 1) {
    if (bits[i] === true) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  }
  return out;
}

function registersToBytes(values: readonly unknown[]): Buffer | null {
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) return null;
    out.writeUInt16BE(v, i * 2);
  }
  return out;
}

function field(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
}

function errorMessage(err: unknown): string {
  const m = field(err, 'message');
  return typeof m === 'string' && m.length > 0 ? m : String(err);
}

/** The data bytes of a successful reply, however the library chose to hand them over. */
function replyBytes(read: ModbusRead, result: unknown): Buffer | null {
  const buffer = field(result, 'buffer');
  if (Buffer.isBuffer(buffer)) return buffer;
  const data = field(result, 'data');
  if (!Array.isArray(data)) return null;
  if (isBitTable(read)) {
    return data.every((b) => typeof b === 'boolean') ? packBits(data as boolean[], read.count) : null;
  }
  return registersToBytes(data);
}

export function classifyReply(read: ModbusRead, err: unknown, result: unknown): ReadOutcome {
  if (err !== null && err !== undefined) {
    const modbusCode = field(err, 'modbusCode');
    if (typeof modbusCode === 'number') {
      return { kind: 'exception', exceptionCode: modbusCode, message: errorMessage(err) };
    }
    if (field(err, 'name') === 'PortNotOpenError' || errorMessage(err) === 'Port Not Open') {
      return { kind: 'closed', message: 'port not open' };
    }
    if (field(err, 'errno') === 'ETIMEDOUT') return { kind: 'timeout' };
    return { kind: 'malformed', message: errorMessage(err) };
  }
  const bytes = replyBytes(read, result);
  if (bytes === null) return { kind: 'malformed', message: 'reply carries no data bytes' };
  const expected = expectedByteCount(read);
  if (bytes.length !== expected) {
    return { kind: 'malformed', message: `reply carries ${bytes.length} data bytes, expected ${expected}` };
  }
  return { kind: 'data', data: bytes };
}
