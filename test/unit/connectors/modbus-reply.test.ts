import { describe, expect, it } from 'vitest';
import {
  classifyReply, exceptionErrorCode, expectedByteCount, packBits,
} from '../../../src/connectors/modbus-reply.js';
import type { ModbusRead } from '../../../src/adapter/types.js';

const holding: ModbusRead = { table: 'holding', address: 0, count: 2 };
const coils: ModbusRead = { table: 'coil', address: 0, count: 10 };

describe('classifyReply', () => {
  it('accepts the data bytes of a correct reply', () => {
    const data = Buffer.from([0, 1, 0, 2]);
    expect(classifyReply(holding, null, { data: [1, 2], buffer: data })).toEqual({ kind: 'data', data });
  });

  it('rejects a reply whose byte count does not match the request', () => {
    const o = classifyReply(holding, null, { data: [1], buffer: Buffer.from([0, 1]) });
    expect(o.kind).toBe('malformed');
  });

  it('maps a Modbus exception (modbusCode) and picks the illegal-address code for exception 2', () => {
    const err = Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 });
    expect(classifyReply(holding, err, undefined)).toMatchObject({ kind: 'exception', exceptionCode: 2 });
    expect(exceptionErrorCode(2)).toBe('BL_ERR_MODBUS_ILLEGAL_ADDRESS');
    expect(exceptionErrorCode(4)).toBe('BL_ERR_MODBUS_EXCEPTION');
  });

  it('classes length/CRC/unknown errors as malformed and a closed port as closed', () => {
    expect(classifyReply(holding, new Error('Data length error, expected 9 got 7'), undefined).kind).toBe('malformed');
    expect(classifyReply(holding, new RangeError('out of range'), undefined).kind).toBe('malformed');
    expect(classifyReply(holding, { name: 'PortNotOpenError', message: 'Port Not Open' }, undefined).kind).toBe('closed');
    expect(classifyReply(holding, { name: 'TransactionTimedOutError', errno: 'ETIMEDOUT' }, undefined).kind).toBe('timeout');
  });

  it('rebuilds bytes from values if the library ever stops handing out a buffer', () => {
    expect(classifyReply(holding, null, { data: [0x0102, 0xfffe] }))
      .toEqual({ kind: 'data', data: Buffer.from([1, 2, 0xff, 0xfe]) });
    const bits = [true, false, false, true, false, false, true, false, false, true];
    expect(classifyReply(coils, null, { data: [...bits, false, false, false, false, false, false] }))
      .toEqual({ kind: 'data', data: Buffer.from([0x49, 0x02]) });
    expect(classifyReply(holding, null, {}).kind).toBe('malformed');
  });

  it('packs bits LSB first and sizes bit reads by ceil(count / 8)', () => {
    expect(packBits([true, true, false, false, false, false, false, false, true], 9)).toEqual(Buffer.from([0x03, 0x01]));
    expect(expectedByteCount(coils)).toBe(2);
    expect(expectedByteCount(holding)).toBe(4);
  });
});
