import { describe, expect, it } from 'vitest';
import {
  cutRtuRequest, encodeRtuException, encodeRtuReply, frameOf, hasValidCrc, malformRtu, withCrc,
} from '../../../../simulators/modbus/modbus-rtu-adu.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RTU request cutting', () => {
  it('cuts a read request (8 bytes) and leaves what follows', () => {
    const req = hex('11 03 00 6B 00 03 76 87');
    expect(cutRtuRequest(Buffer.concat([req, hex('01')]))).toEqual({ kind: 'frame', unitId: 0x11, pdu: hex('03 00 6B 00 03'), length: 8 });
  });

  it('waits for the rest of a partial request', () => {
    expect(cutRtuRequest(hex('11'))).toEqual({ kind: 'more' });
    expect(cutRtuRequest(hex('11 03 00 6B'))).toEqual({ kind: 'more' });
    expect(cutRtuRequest(hex('11 10 00 01 00 01'))).toEqual({ kind: 'more' });
  });

  it('sizes FC 15/16 requests by their byte count', () => {
    const req = withCrc(hex('01 10 00 64 00 01 02 00 28'));
    expect(cutRtuRequest(req)).toMatchObject({ kind: 'frame', unitId: 1, length: 11 });
    expect(cutRtuRequest(req.subarray(0, 10))).toEqual({ kind: 'more' });
  });

  it('flags a bad CRC and an unknown function code', () => {
    expect(cutRtuRequest(hex('11 03 00 6B 00 03 76 88'))).toEqual({ kind: 'bad-crc', length: 8 });
    expect(cutRtuRequest(withCrc(hex('01 2B 0E 01 00')))).toEqual({ kind: 'unknown' });
    expect(frameOf(withCrc(hex('01 2B 0E 01 00')))).toMatchObject({ kind: 'frame', unitId: 1, pdu: hex('2B 0E 01 00') });
  });
});

describe('RTU replies', () => {
  it('encodes the spec example reply (FC 3, registers 108-110 = 555, 0, 100)', () => {
    const reply = encodeRtuReply({ functionCode: 3, unitId: 0x11, address: 0x6b, count: 3 }, { kind: 'registers', values: [0x022b, 0, 0x64] });
    expect(reply?.subarray(0, 9)).toEqual(hex('11 03 06 02 2B 00 00 00 64'));
    expect(reply !== undefined && hasValidCrc(reply)).toBe(true);
  });

  it('encodes bits, exceptions and nothing for ignore', () => {
    expect(encodeRtuReply({ functionCode: 1, unitId: 2, address: 0, count: 10 }, { kind: 'bits', values: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0] })?.subarray(0, 5))
      .toEqual(hex('02 01 02 55 01'));
    expect(encodeRtuException(2, 4, 2)).toEqual(withCrc(hex('02 84 02')));
    expect(encodeRtuReply({ functionCode: 4, unitId: 2, address: 0, count: 1 }, { kind: 'ignore' })).toBeUndefined();
  });

  it('breaks replies in each malformed shape, keeping the CRC valid unless the shape is the CRC', () => {
    const good = withCrc(hex('05 04 04 00 01 00 02'));
    const crc = malformRtu(good, 'crc');
    expect(crc.subarray(0, 7)).toEqual(good.subarray(0, 7));
    expect(hasValidCrc(crc)).toBe(false);
    expect(malformRtu(good, 'unit-id')).toEqual(withCrc(hex('06 04 04 00 01 00 02')));
    expect(malformRtu(good, 'function-code')).toEqual(withCrc(hex('05 03 04 00 01 00 02')));
    expect(malformRtu(good, 'byte-count')).toEqual(withCrc(hex('05 04 06 00 01 00 02')));
    expect(malformRtu(good, 'truncated')).toEqual(withCrc(hex('05 04 04 00 01')));
  });
});
