import { describe, expect, it } from 'vitest';
import { compileFields } from '../../../../src/adapter/declarative/compile-fields.js';
import { problemList } from '../../../../src/adapter/declarative/profile-problems.js';
import type { FieldValues, ModbusFieldSpec } from '../../../../src/adapter/declarative/profile-types.js';
import { applyLinear, decodeFields, shortestFloat32 } from '../../../../src/adapter/declarative/register-decode.js';
import type { DecodeFailure, ModbusBlock, Result } from '../../../../src/adapter/types.js';
import { bitImage, registerImage, type BitImage, type RegisterImage } from '../../../helpers/modbus-image.js';

function decode(fields: { [name: string]: ModbusFieldSpec }, blocks: ModbusBlock[]): Result<FieldValues, DecodeFailure> {
  const problems = problemList();
  const compiled = compileFields(fields, problems);
  expect(problems.items).toEqual([]);
  return decodeFields(blocks, compiled);
}

const regs = (table: 'holding' | 'input', address: number, count: number, img: RegisterImage): ModbusBlock =>
  ({ table, address, count, data: img.read(address, count) });
const bits = (table: 'coil' | 'discrete', address: number, count: number, img: BitImage): ModbusBlock =>
  ({ table, address, count, data: img.read(address, count) });

function values(r: Result<FieldValues, DecodeFailure>): FieldValues {
  if (!r.ok) throw new Error(`decode failed: ${r.error.code} ${r.error.message}`);
  return r.value;
}

function failure(r: Result<FieldValues, DecodeFailure>): DecodeFailure {
  if (r.ok) throw new Error('decode should have failed');
  return r.error;
}

describe('decodeFields: register types and word order', () => {
  const img = registerImage()
    .setInt16(10, -1234)
    .setUint16(11, 65000)
    .setInt32(12, -123456789, 'big')
    .setInt32(14, -123456789, 'little')
    .setUint32(16, 4000000000, 'big')
    .setUint32(18, 4000000000, 'little')
    .setFloat32(20, 1012.34, 'big')
    .setFloat32(22, -0.125, 'little');

  it('reads every type in both word orders', () => {
    const v = values(decode({
      i16: { table: 'holding', address: 10, type: 'int16' },
      u16: { table: 'holding', address: 11, type: 'uint16' },
      i32be: { table: 'holding', address: 12, type: 'int32' },
      i32le: { table: 'holding', address: 14, type: 'int32', wordOrder: 'little' },
      u32be: { table: 'holding', address: 16, type: 'uint32', wordOrder: 'big' },
      u32le: { table: 'holding', address: 18, type: 'uint32', wordOrder: 'little' },
      f32be: { table: 'holding', address: 20, type: 'float32' },
      f32le: { table: 'holding', address: 22, type: 'float32', wordOrder: 'little' },
    }, [regs('holding', 10, 14, img)]));
    expect(v).toEqual({ i16: -1234, u16: 65000, i32be: -123456789, i32le: -123456789, u32be: 4000000000, u32le: 4000000000, f32be: 1012.34, f32le: -0.125 });
  });

  it('word order is what it says: ABCD vs CDAB on the wire', () => {
    const wire = registerImage().setUint16(0, 0x0001).setUint16(1, 0x0002);
    const v = values(decode({
      big: { table: 'input', address: 0, type: 'uint32', wordOrder: 'big' },
      little: { table: 'input', address: 0, type: 'uint32', wordOrder: 'little' },
    }, [regs('input', 0, 2, wire)]));
    expect(v).toEqual({ big: 0x00010002, little: 0x00020001 });
  });

  it('reads a field at its offset inside a larger block', () => {
    const v = values(decode({ x: { table: 'input', address: 23, type: 'int16' } }, [regs('input', 20, 5, registerImage().setInt16(23, -7))]));
    expect(v).toEqual({ x: -7 });
  });

  it('float32 comes back as the shortest decimal that is the same float32', () => {
    expect(shortestFloat32(Math.fround(1012.34))).toBe(1012.34);
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(16777217))).toBe(16777216);
    expect(Math.fround(shortestFloat32(Math.fround(3.4e38)))).toBe(Math.fround(3.4e38));
  });
});

describe('decodeFields: bits', () => {
  it('reads bits of a register, LSB = bit 0', () => {
    const img = registerImage().setUint16(0, 0b1000_0001_0000_1010);
    const v = values(decode({
      b0: { table: 'input', address: 0, bit: 0 },
      b1: { table: 'input', address: 0, bit: 1, type: 'bool' },
      b3: { table: 'input', address: 0, bit: 3 },
      b8: { table: 'input', address: 0, bit: 8 },
      b15: { table: 'input', address: 0, bit: 15 },
    }, [regs('input', 0, 1, img)]));
    expect(v).toEqual({ b0: false, b1: true, b3: true, b8: true, b15: true });
  });

  it('reads coils and discrete inputs packed LSB first, across bytes', () => {
    const coils = bitImage().set(0, true).set(9, true);
    const discretes = bitImage().set(1, true);
    const v = values(decode({
      c0: { table: 'coil', address: 0 },
      c1: { table: 'coil', address: 1 },
      c9: { table: 'coil', address: 9, type: 'bool' },
      d1: { table: 'discrete', address: 1 },
    }, [bits('coil', 0, 10, coils), bits('discrete', 0, 2, discretes)]));
    expect(v).toEqual({ c0: true, c1: false, c9: true, d1: true });
    expect(coils.read(0, 10).toString('hex')).toBe('0102');
  });
});

describe('decodeFields: scale, offset, format', () => {
  it('applies value = raw * scale + offset without binary noise', () => {
    const img = registerImage().setUint16(0, 3).setUint16(1, 1234).setInt16(2, -400).setUint16(3, 40);
    const v = values(decode({
      tenth: { table: 'input', address: 0, type: 'uint16', scale: 0.1 },
      hundredth: { table: 'input', address: 1, type: 'uint16', scale: 0.01 },
      celsius: { table: 'input', address: 2, type: 'int16', scale: 0.1, offset: 5 },
      n: { table: 'input', address: 3, type: 'uint16', scale: 0.1 },
    }, [regs('input', 0, 4, img)]));
    expect(v).toEqual({ tenth: 0.3, hundredth: 12.34, celsius: -35, n: 4 });
    expect(applyLinear(7, undefined, undefined)).toBe(7);
    expect(applyLinear(-0, 1, 0)).toBe(0);
  });

  it('renders major.minor, hex and decimal as text', () => {
    const img = registerImage().setUint16(0, 0x0203).setUint16(1, 0x00af).setUint32(2, 40117).setUint32(4, 0xdeadbeef);
    const v = values(decode({
      firmware: { table: 'holding', address: 0, type: 'uint16', format: 'major.minor' },
      flags: { table: 'holding', address: 1, type: 'uint16', format: 'hex' },
      serial: { table: 'holding', address: 2, type: 'uint32', format: 'decimal' },
      word: { table: 'holding', address: 4, type: 'uint32', format: 'hex' },
    }, [regs('holding', 0, 6, img)]));
    expect(v).toEqual({ firmware: '2.3', flags: '0x00af', serial: '40117', word: '0xdeadbeef' });
  });
});

describe('decodeFields: failures', () => {
  it('enforces range inclusively after scaling, with detail', () => {
    const ok = decode({ ms: { table: 'input', address: 0, type: 'uint16', range: [0, 999] } }, [regs('input', 0, 1, registerImage().setUint16(0, 999))]);
    expect(values(ok)).toEqual({ ms: 999 });
    const f = failure(decode({ ms: { table: 'input', address: 0, type: 'uint16', range: [0, 999] } }, [regs('input', 0, 1, registerImage().setUint16(0, 1000))]));
    expect(f.code).toBe('BL_ERR_DECODE_VALUE_OUT_OF_RANGE');
    expect(f.detail).toMatchObject({ field: 'ms', table: 'input', address: 0, value: 1000, min: 0, max: 999 });
    const scaled = failure(decode({ s: { table: 'input', address: 0, type: 'int16', scale: 0.1, range: [0, 300] } }, [regs('input', 0, 1, registerImage().setInt16(0, -5))]));
    expect(scaled.detail).toMatchObject({ field: 's', value: -0.5 });
  });

  it.each([
    ['NaN', Number.NaN, 'NaN'],
    ['+Infinity', Number.POSITIVE_INFINITY, 'Infinity'],
    ['-Infinity', Number.NEGATIVE_INFINITY, '-Infinity'],
  ])('refuses a float32 %s', (_label, value, text) => {
    const img = registerImage().setFloat32(12, value, 'little');
    const f = failure(decode({ bg: { table: 'input', address: 12, type: 'float32', wordOrder: 'little', range: [0, 1e6] } }, [regs('input', 12, 2, img)]));
    expect(f.code).toBe('BL_ERR_DECODE_NOT_A_NUMBER');
    expect(f.detail).toMatchObject({ field: 'bg', table: 'input', address: 12, value: text });
  });

  it('reports a field no block holds as a short frame', () => {
    const f = failure(decode({ a: { table: 'input', address: 0, type: 'uint16' }, b: { table: 'input', address: 30, type: 'uint32' } }, [regs('input', 0, 1, registerImage())]));
    expect(f.code).toBe('BL_ERR_DECODE_SHORT_FRAME');
    expect(f.detail).toEqual({ field: 'b', table: 'input', address: 30, count: 2 });
  });

  it('does not take a register from another table', () => {
    const f = failure(decode({ a: { table: 'holding', address: 0, type: 'uint16' } }, [regs('input', 0, 1, registerImage())]));
    expect(f.code).toBe('BL_ERR_DECODE_SHORT_FRAME');
  });

  it('reports a 32-bit field cut by the end of its block as a short frame', () => {
    const f = failure(decode({ a: { table: 'input', address: 4, type: 'uint32' } }, [regs('input', 0, 5, registerImage())]));
    expect(f.code).toBe('BL_ERR_DECODE_SHORT_FRAME');
  });

  it('reports a block with fewer bytes than its count as a short frame', () => {
    const block: ModbusBlock = { table: 'input', address: 0, count: 4, data: Buffer.alloc(6) };
    const f = failure(decode({ a: { table: 'input', address: 0, type: 'uint16' } }, [block]));
    expect(f.code).toBe('BL_ERR_DECODE_SHORT_FRAME');
    expect(f.detail).toEqual({ table: 'input', address: 0, count: 4, bytes: 6, expectedBytes: 8 });
    const coils: ModbusBlock = { table: 'coil', address: 0, count: 9, data: Buffer.alloc(1) };
    expect(failure(decode({ c: { table: 'coil', address: 0 } }, [coils])).detail).toMatchObject({ expectedBytes: 2 });
  });
});
