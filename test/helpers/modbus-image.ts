/**
 * Builds Modbus register and bit images for tests, so golden inputs are generated from values
 * ("gamma background 1012.5 cps, CDAB") rather than hand-typed hex. Registers are big-endian
 * words; 32-bit values go high word first (big) or low word first (little); bits pack LSB first.
 */
import type { ModbusBlock, ModbusFrame, ModbusRead, ModbusTable } from '../../src/adapter/types.js';

export type WordOrder = 'big' | 'little';

export interface RegisterImage {
  setUint16(address: number, value: number): RegisterImage;
  setInt16(address: number, value: number): RegisterImage;
  setUint32(address: number, value: number, order?: WordOrder): RegisterImage;
  setInt32(address: number, value: number, order?: WordOrder): RegisterImage;
  setFloat32(address: number, value: number, order?: WordOrder): RegisterImage;
  /** sets or clears one bit (0 = least significant) of a register, keeping the others */
  setBit(address: number, bit: number, on: boolean): RegisterImage;
  word(address: number): number;
  /** `count` registers from `address`, 2 bytes each, big-endian; unset registers read 0 */
  read(address: number, count: number): Buffer;
}

export function registerImage(): RegisterImage {
  const words = new Map<number, number>();
  const put32 = (address: number, bytes: Buffer, order: WordOrder): void => {
    const hi = bytes.readUInt16BE(0);
    const lo = bytes.readUInt16BE(2);
    words.set(address, order === 'big' ? hi : lo);
    words.set(address + 1, order === 'big' ? lo : hi);
  };
  const img: RegisterImage = {
    setUint16(address, value) {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(value);
      words.set(address, b.readUInt16BE(0));
      return img;
    },
    setInt16(address, value) {
      const b = Buffer.alloc(2);
      b.writeInt16BE(value);
      words.set(address, b.readUInt16BE(0));
      return img;
    },
    setUint32(address, value, order = 'big') {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(value);
      put32(address, b, order);
      return img;
    },
    setInt32(address, value, order = 'big') {
      const b = Buffer.alloc(4);
      b.writeInt32BE(value);
      put32(address, b, order);
      return img;
    },
    setFloat32(address, value, order = 'big') {
      const b = Buffer.alloc(4);
      b.writeFloatBE(value);
      put32(address, b, order);
      return img;
    },
    setBit(address, bit, on) {
      const w = words.get(address) ?? 0;
      words.set(address, on ? w | (1 << bit) : w & ~(1 << bit) & 0xffff);
      return img;
    },
    word: (address) => words.get(address) ?? 0,
    read(address, count) {
      const b = Buffer.alloc(count * 2);
      for (let i = 0; i < count; i++) b.writeUInt16BE(words.get(address + i) ?? 0, i * 2);
      return b;
    },
  };
  return img;
}

export interface BitImage {
  set(address: number, on: boolean): BitImage;
  /** `count` bits from `address`, packed LSB first as in a FC 1/2 reply; unset bits read 0 */
  read(address: number, count: number): Buffer;
}

export function bitImage(): BitImage {
  const bits = new Set<number>();
  const img: BitImage = {
    set(address, on) {
      if (on) bits.add(address);
      else bits.delete(address);
      return img;
    },
    read(address, count) {
      const b = Buffer.alloc(Math.ceil(count / 8));
      for (let i = 0; i < count; i++) {
        if (bits.has(address + i)) b[i >> 3] = (b[i >> 3] ?? 0) | (1 << (i & 7));
      }
      return b;
    },
  };
  return img;
}

export interface DeviceImages {
  holding: RegisterImage;
  input: RegisterImage;
  coil: BitImage;
  discrete: BitImage;
}

export function deviceImages(): DeviceImages {
  return { holding: registerImage(), input: registerImage(), coil: bitImage(), discrete: bitImage() };
}

/** A block as stored in a golden input.json: data as lower-case hex. */
export interface HexBlock {
  table: ModbusTable;
  address: number;
  count: number;
  data: string;
}

/** One poll as stored in a golden input.json. */
export interface FrameFixture {
  receivedAt: number;
  unitId?: number;
  blocks: HexBlock[];
}

/** The blocks a device would answer for a read plan. */
export function blocksFor(reads: readonly ModbusRead[], images: DeviceImages): HexBlock[] {
  return reads.map((r) => ({ ...r, data: images[r.table].read(r.address, r.count).toString('hex') }));
}

export function toModbusFrame(f: FrameFixture, transport: ModbusFrame['transport']): ModbusFrame {
  return {
    transport,
    unitId: f.unitId ?? 1,
    receivedAt: f.receivedAt,
    blocks: f.blocks.map((b): ModbusBlock => ({ table: b.table, address: b.address, count: b.count, data: Buffer.from(b.data, 'hex') })),
  };
}
