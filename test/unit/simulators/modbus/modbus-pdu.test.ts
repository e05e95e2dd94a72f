import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeReplyAdu, malformAdu, parseRequestPdu, type ModbusRequest } from '../../../../simulators/modbus/modbus-pdu.js';

describe('Modbus PDU codec', () => {
  it('parses every valid read request and encodes a reply of the exact size', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3, 4), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 2000 }), (code, address, rawCount) => {
        const count = code <= 2 ? rawCount : 1 + (rawCount % 125);
        const pdu = Buffer.from([code, address >> 8, address & 0xff, count >> 8, count & 0xff]);
        const parsed = parseRequestPdu(3, pdu);
        if (address + count > 0x10000) {
          expect(parsed).toEqual({ ok: false, functionCode: code, exception: 2 });
          return;
        }
        expect(parsed).toEqual({ ok: true, request: { functionCode: code, unitId: 3, address, count } });
        if (!parsed.ok) return;
        const values = new Array<number>(count).fill(1);
        const adu = encodeReplyAdu(0x1234, parsed.request, code <= 2 ? { kind: 'bits', values } : { kind: 'registers', values });
        const dataBytes = code <= 2 ? Math.ceil(count / 8) : count * 2;
        expect(adu?.length).toBe(9 + dataBytes);
        expect(adu?.readUInt16BE(4)).toBe(3 + dataBytes);
        expect(adu?.[8]).toBe(dataBytes);
      }),
    );
  });

  it('packs bits LSB first and pads the last byte with zeros', () => {
    const req: ModbusRequest = { functionCode: 2, unitId: 1, address: 0, count: 10 };
    const adu = encodeReplyAdu(1, req, { kind: 'bits', values: [1, 0, 1, 1, 0, 0, 0, 1, 0, 1] });
    expect([...(adu ?? Buffer.alloc(0)).subarray(7)]).toEqual([2, 2, 0b10001101, 0b00000010]);
  });

  it('echoes write requests as the standard requires', () => {
    const w5 = encodeReplyAdu(9, { functionCode: 5, unitId: 1, address: 3, value: true }, { kind: 'written' });
    expect([...(w5 ?? Buffer.alloc(0)).subarray(7)]).toEqual([5, 0, 3, 0xff, 0]);
    const w16 = encodeReplyAdu(9, { functionCode: 16, unitId: 1, address: 0x100, values: [1, 2, 3] }, { kind: 'written' });
    expect([...(w16 ?? Buffer.alloc(0)).subarray(7)]).toEqual([16, 1, 0, 0, 3]);
  });

  it('parses FC 15 and 16 payloads', () => {
    expect(parseRequestPdu(1, Buffer.from([15, 0, 8, 0, 10, 2, 0b00000101, 0b10]))).toEqual({
      ok: true,
      request: { functionCode: 15, unitId: 1, address: 8, values: [true, false, true, false, false, false, false, false, false, true] },
    });
    expect(parseRequestPdu(1, Buffer.from([16, 0, 1, 0, 2, 4, 0x12, 0x34, 0xab, 0xcd]))).toEqual({
      ok: true,
      request: { functionCode: 16, unitId: 1, address: 1, values: [0x1234, 0xabcd] },
    });
  });

  it('malforms replies in each documented shape', () => {
    const adu = encodeReplyAdu(7, { functionCode: 4, unitId: 1, address: 0, count: 2 }, { kind: 'registers', values: [1, 2] }) ?? Buffer.alloc(0);
    expect(malformAdu(adu, 'byte-count')[8]).toBe(6);
    const cut = malformAdu(adu, 'truncated');
    expect(cut.length).toBe(adu.length - 2);
    expect(cut.readUInt16BE(4)).toBe(cut.length - 6);
    expect(malformAdu(adu, 'function-code')[7]).toBe(3);
    expect(malformAdu(adu, 'transaction-id').readUInt16BE(0)).not.toBe(7);
    // an exception reply has no byte count: byte-count falls back to truncation
    const exc = Buffer.from([0, 1, 0, 0, 0, 3, 1, 0x84, 2]);
    expect(malformAdu(exc, 'byte-count').length).toBe(exc.length - 1);
  });
});
