import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModbusRead } from '../../../src/adapter/types.js';
import {
  charTimeMs, crc16Modbus, defaultInterFrameMs, encodeReadRequest, expectedReplyBytes, hasValidCrc, minInterFrameMs,
  parseReadReply, replyFrameLength, withCrc,
} from '../../../src/connectors/modbus-rtu-frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const holding2: ModbusRead = { table: 'holding', address: 0, count: 2 };

describe('CRC-16/Modbus', () => {
  it('matches the published check value and the spec examples', () => {
    // CRC catalogue (reveng) CRC-16/MODBUS: check("123456789") = 0x4B37
    expect(crc16Modbus(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
    // Modbus over Serial Line v1.02 / common reference frames, CRC low byte first
    expect(withCrc(hex('01 03 00 00 00 0A'))).toEqual(hex('01 03 00 00 00 0A C5 CD'));
    expect(withCrc(hex('11 03 00 6B 00 03'))).toEqual(hex('11 03 00 6B 00 03 76 87'));
  });

  it('accepts every frame it wraps and rejects any single-byte corruption', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 254 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (body, at, flip) => {
      const frame = withCrc(body);
      expect(hasValidCrc(frame)).toBe(true);
      const bad = Buffer.from(frame);
      const i = at % bad.length;
      bad[i] = (bad[i] ?? 0) ^ flip;
      expect(hasValidCrc(bad)).toBe(false);
    }));
  });
});

describe('RTU request and reply framing', () => {
  it('encodes a read as unit, function, address, count and CRC', () => {
    expect(encodeReadRequest(1, { table: 'holding', address: 0, count: 10 })).toEqual(hex('01 03 00 00 00 0A C5 CD'));
    expect(encodeReadRequest(0x11, { table: 'holding', address: 0x6b, count: 3 })).toEqual(hex('11 03 00 6B 00 03 76 87'));
    expect(encodeReadRequest(2, { table: 'coil', address: 1, count: 1 })[1]).toBe(1);
    expect(encodeReadRequest(2, { table: 'discrete', address: 1, count: 1 })[1]).toBe(2);
    expect(encodeReadRequest(2, { table: 'input', address: 30, count: 21 }).subarray(1, 6)).toEqual(hex('04 00 1E 00 15'));
  });

  it('knows a reply length from its header', () => {
    expect(replyFrameLength(hex(''))).toBe('more');
    expect(replyFrameLength(hex('01'))).toBe('more');
    expect(replyFrameLength(hex('01 03'))).toBe('more');
    expect(replyFrameLength(hex('01 03 04'))).toBe(9);
    expect(replyFrameLength(hex('01 83'))).toBe(5);
    expect(replyFrameLength(hex('01 10'))).toBe('unknown');
    expect(expectedReplyBytes(holding2)).toBe(9);
    expect(expectedReplyBytes({ table: 'coil', address: 0, count: 10 })).toBe(7);
  });

  it('parses a good reply into its data bytes', () => {
    expect(parseReadReply(1, holding2, withCrc(hex('01 03 04 00 0A 01 02')))).toEqual({ kind: 'data', data: hex('00 0A 01 02') });
    expect(parseReadReply(9, { table: 'coil', address: 0, count: 10 }, withCrc(hex('09 01 02 CD 01')))).toEqual({ kind: 'data', data: hex('CD 01') });
  });

  it('turns an exception reply into its code', () => {
    expect(parseReadReply(1, holding2, withCrc(hex('01 83 02')))).toMatchObject({ kind: 'exception', exceptionCode: 2 });
  });

  it.each([
    ['a bad CRC', hex('01 03 04 00 0A 01 02 00 00'), /CRC mismatch/],
    ['another unit', withCrc(hex('02 03 04 00 0A 01 02')), /reply from unit 2 to a request for unit 1/],
    ['another function', withCrc(hex('01 04 04 00 0A 01 02')), /function 0x04 to a request with function 0x03/],
    ['a wrong byte count', withCrc(hex('01 03 02 00 0A')), /byte count 2, expected 4/],
    ['a length that disagrees with the byte count', withCrc(hex('01 03 04 00 0A 01 02 FF')), /its byte count says 9/],
    ['a short frame', hex('01 03 04'), /shorter than any RTU reply/],
    ['a long exception', withCrc(hex('01 83 02 00')), /exception reply of 6 bytes/],
  ])('rejects %s as malformed', (_what, frame, message) => {
    const r = parseReadReply(1, holding2, frame);
    expect(r.kind).toBe('malformed');
    expect(r.kind === 'malformed' ? r.message : '').toMatch(message);
  });

  it('checks the CRC before trusting the unit id', () => {
    const r = parseReadReply(1, holding2, hex('02 03 04 00 0A 01 02 00 00'));
    expect(r).toEqual({ kind: 'malformed', message: 'CRC mismatch' });
  });
});

describe('RTU character timing', () => {
  it('counts start, data, parity and stop bits', () => {
    expect(charTimeMs({ baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 1 })).toBeCloseTo(11_000 / 9600, 9);
    expect(charTimeMs({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 2 })).toBeCloseTo(11_000 / 9600, 9);
    expect(charTimeMs({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 })).toBeCloseTo(10_000 / 9600, 9);
  });

  it('uses 3.5 characters, and 1.75 ms above 19200 baud', () => {
    const slow = { baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 1 } as const;
    expect(defaultInterFrameMs(slow)).toBeCloseTo(3.5 * 11_000 / 9600, 9);
    const fast = { ...slow, baudRate: 115_200 };
    expect(minInterFrameMs(fast)).toBeCloseTo(3.5 * 11_000 / 115_200, 9);
    expect(defaultInterFrameMs(fast)).toBe(1.75);
  });
});
