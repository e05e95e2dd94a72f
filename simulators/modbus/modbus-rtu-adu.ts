/**
 * Modbus RTU framing for the simulated slaves, pure: cut requests out of the received bytes and
 * wrap replies with a CRC. The PDU work is modbus-pdu.ts's, reused through its TCP ADU encoders:
 * an RTU ADU is the MBAP ADU minus its first 6 bytes (transaction, protocol, length) plus a CRC.
 * The CRC is the gateway's own (src/connectors/modbus-rtu-frame.ts); published test vectors pin it.
 */
import { crc16Modbus, hasValidCrc, withCrc } from '../../src/connectors/modbus-rtu-frame.js';
import {
  encodeExceptionAdu, encodeReplyAdu, malformAdu, type MalformedShape, type ModbusRequest, type ModbusResponse,
} from './modbus-pdu.js';

export { crc16Modbus, hasValidCrc, withCrc };

/** How a `malformed` RTU fault breaks a reply; every shape but 'crc' keeps the CRC valid. */
export type RtuMalformedShape =
  | Exclude<MalformedShape, 'transaction-id'>
  /** the CRC's low byte is flipped */
  | 'crc'
  /** the reply claims to come from another unit (unit id + 1) */
  | 'unit-id';

/** Cut the front of the receive buffer: a request frame, or why there is none yet. */
export type RtuRequestCut =
  | { kind: 'frame'; unitId: number; pdu: Buffer; length: number }
  | { kind: 'bad-crc'; length: number }
  /** the frame is not all in yet */
  | { kind: 'more' }
  /** a function code whose request length is not known here: only silence can end the frame */
  | { kind: 'unknown' };

/** Request ADU length by function code (Modbus over Serial Line: fixed for FC 1-6, byte count for 15/16). */
function requestLength(bytes: Buffer): number | 'more' | 'unknown' {
  if (bytes.length < 2) return 'more';
  const fc = bytes[1] ?? 0;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return bytes.length < 7 ? 'more' : 9 + (bytes[6] ?? 0);
  return 'unknown';
}

export function cutRtuRequest(bytes: Buffer): RtuRequestCut {
  const need = requestLength(bytes);
  if (need === 'more' || need === 'unknown') return { kind: need };
  if (bytes.length < need) return { kind: 'more' };
  return frameOf(bytes.subarray(0, need));
}

/** A whole frame (length known or ended by silence): its unit id and PDU, if the CRC holds. */
export function frameOf(frame: Buffer): RtuRequestCut {
  if (frame.length < 4 || !hasValidCrc(frame)) return { kind: 'bad-crc', length: frame.length };
  return { kind: 'frame', unitId: frame[0] ?? 0, pdu: Buffer.from(frame.subarray(1, frame.length - 2)), length: frame.length };
}

/** MBAP ADU (unit id at byte 6) -> RTU ADU with CRC. */
export function rtuFromMbapAdu(adu: Buffer): Buffer {
  return withCrc(adu.subarray(6));
}

/** The RTU reply to a request, or undefined when the handler answers nothing. */
export function encodeRtuReply(request: ModbusRequest, response: ModbusResponse): Buffer | undefined {
  const adu = encodeReplyAdu(0, request, response);
  return adu === undefined ? undefined : rtuFromMbapAdu(adu);
}

export function encodeRtuException(unitId: number, functionCode: number, code: number): Buffer {
  return rtuFromMbapAdu(encodeExceptionAdu(0, unitId, functionCode, code));
}

/** Break a well-formed RTU reply in the given way (returns a new buffer). */
export function malformRtu(frame: Buffer, shape: RtuMalformedShape): Buffer {
  switch (shape) {
    case 'crc': {
      const out = Buffer.from(frame);
      const i = out.length - 2;
      out[i] = (out[i] ?? 0) ^ 0xff;
      return out;
    }
    case 'unit-id': {
      const body = Buffer.from(frame.subarray(0, frame.length - 2));
      body[0] = ((body[0] ?? 0) + 1) & 0xff;
      return withCrc(body);
    }
    default: {
      // reuse the TCP shapes on a pseudo MBAP ADU, then re-wrap with a valid CRC
      const body = frame.subarray(0, frame.length - 2);
      const mbap = Buffer.alloc(6 + body.length);
      mbap.writeUInt16BE(body.length, 4);
      body.copy(mbap, 6);
      return rtuFromMbapAdu(malformAdu(mbap, shape));
    }
  }
}

/** The CRC of a frame body, low byte first, as two bytes (for tests and fixtures). */
export function crcBytes(body: Uint8Array): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(crc16Modbus(body), 0);
  return out;
}
