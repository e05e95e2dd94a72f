/**
 * HSX-1 framing (README.md): STX | LEN (u16 big-endian, payload bytes) | PAYLOAD | CRC (u16
 * big-endian, CRC-16/CCITT-FALSE over LEN and PAYLOAD) | ETX. Pure; shared by the adapter and
 * the simulator.
 */
import { fail, ok, type DecodeFailure, type Result } from '../../src/adapter/types.js';

export const STX = 0x02;
export const ETX = 0x03;
/** STX + LEN + CRC + ETX */
export const FRAME_OVERHEAD = 6;
export const MAX_PAYLOAD = 0xffff;

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor. check("123456789") = 0x29B1. */
export function crc16(data: Uint8Array): number {
  let crc = 0xffff;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export function encodeFrame(payload: Buffer): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`HSX-1 payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = Buffer.alloc(payload.length + FRAME_OVERHEAD);
  out[0] = STX;
  out.writeUInt16BE(payload.length, 1);
  payload.copy(out, 3);
  out.writeUInt16BE(crc16(out.subarray(1, 3 + payload.length)), 3 + payload.length);
  out[out.length - 1] = ETX;
  return out;
}

/** The payload of one whole frame (as the length-prefix framer hands it over), CRC checked. */
export function decodeFrame(frame: Buffer): Result<Buffer, DecodeFailure> {
  if (frame.length < FRAME_OVERHEAD) return fail({ code: 'BL_ERR_DECODE_SHORT_FRAME', message: `HSX-1 frame of ${frame.length} bytes is shorter than its ${FRAME_OVERHEAD}-byte envelope` });
  if (frame[0] !== STX || frame[frame.length - 1] !== ETX) return fail({ code: 'BL_ERR_SPECTRO_MESSAGE', message: 'HSX-1 frame does not start with STX and end with ETX' });
  const len = frame.readUInt16BE(1);
  if (len !== frame.length - FRAME_OVERHEAD) {
    return fail({ code: 'BL_ERR_DECODE_SHORT_FRAME', message: `HSX-1 length field says ${len} payload bytes, the frame holds ${frame.length - FRAME_OVERHEAD} (truncated frame?)` });
  }
  const want = frame.readUInt16BE(3 + len);
  const got = crc16(frame.subarray(1, 3 + len));
  if (want !== got) {
    return fail({ code: 'BL_ERR_FRAME_CHECKSUM', message: `HSX-1 CRC mismatch: frame says 0x${want.toString(16).padStart(4, '0')}, payload gives 0x${got.toString(16).padStart(4, '0')}`, detail: { expected: want, computed: got } });
  }
  return ok(frame.subarray(3, 3 + len));
}
