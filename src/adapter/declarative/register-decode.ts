/**
 * Modbus blocks -> typed field values. Pure: a frame either decodes completely or fails with one
 * coded failure naming the field, so a bad frame is quarantined whole rather than half-used.
 *
 * Registers are big-endian 16-bit words (Modbus); 32-bit values take two registers in the
 * field's word order. Bits of coils and discrete inputs are packed LSB first.
 */
import { fail, ok, type DecodeFailure, type ModbusBlock, type Result } from '../types.js';
import type { JsonValue } from '../../schema/detection-event.js';
import { fieldWidth, type DecodeField, type RegisterField } from './compile-fields.js';
import type { FieldValue, FieldValues } from './profile-types.js';

const isBitTable = (t: ModbusBlock['table']): boolean => t === 'coil' || t === 'discrete';

/** Bytes a block's data must hold for its count. */
export function blockBytes(b: Pick<ModbusBlock, 'table' | 'count'>): number {
  return isBitTable(b.table) ? Math.ceil(b.count / 8) : b.count * 2;
}

export function decodeFields(blocks: readonly ModbusBlock[], fields: readonly DecodeField[]): Result<FieldValues, DecodeFailure> {
  for (const b of blocks) {
    const need = blockBytes(b);
    if (b.data.length < need) {
      return fail({
        code: 'BL_ERR_DECODE_SHORT_FRAME',
        message: `${b.table} block at ${b.address} declares ${b.count} ${isBitTable(b.table) ? 'bits' : 'registers'} but holds ${b.data.length} of ${need} bytes`,
        detail: { table: b.table, address: b.address, count: b.count, bytes: b.data.length, expectedBytes: need },
      });
    }
  }
  const entries: [string, FieldValue][] = [];
  for (const f of fields) {
    const r = decodeField(blocks, f);
    if (!r.ok) return r;
    entries.push([f.name, r.value]);
  }
  return ok(Object.fromEntries(entries));
}

function decodeField(blocks: readonly ModbusBlock[], f: DecodeField): Result<FieldValue, DecodeFailure> {
  const width = fieldWidth(f);
  const block = blocks.find((b) => b.table === f.table && b.address <= f.address && f.address + width <= b.address + b.count);
  if (block === undefined) {
    const span = width === 1 ? `${f.address}` : `${f.address}-${f.address + width - 1}`;
    return fail({
      code: 'BL_ERR_DECODE_SHORT_FRAME',
      message: `no ${f.table} block holds address ${span} for field ${f.name}`,
      detail: { field: f.name, table: f.table, address: f.address, count: width },
    });
  }
  const at = f.address - block.address;
  switch (f.kind) {
    case 'bit':
      return ok(readBit(block.data, at));
    case 'register-bit':
      return ok(((block.data.readUInt16BE(at * 2) >> f.bit) & 1) === 1);
    case 'register':
      return decodeRegister(block.data, at * 2, f);
  }
}

function readBit(data: Buffer, index: number): boolean {
  const byte = data[index >> 3] ?? 0;
  return ((byte >> (index & 7)) & 1) === 1;
}

/** The four bytes of a 32-bit value, high word first whatever the device's word order. */
function word32(data: Buffer, byteOffset: number, order: RegisterField['wordOrder']): Buffer {
  const first = data.subarray(byteOffset, byteOffset + 2);
  const second = data.subarray(byteOffset + 2, byteOffset + 4);
  return order === 'big' ? Buffer.concat([first, second]) : Buffer.concat([second, first]);
}

function rawNumber(data: Buffer, byteOffset: number, f: RegisterField): number {
  switch (f.type) {
    case 'int16': return data.readInt16BE(byteOffset);
    case 'uint16': return data.readUInt16BE(byteOffset);
    case 'int32': return word32(data, byteOffset, f.wordOrder).readInt32BE(0);
    case 'uint32': return word32(data, byteOffset, f.wordOrder).readUInt32BE(0);
    case 'float32': return shortestFloat32(word32(data, byteOffset, f.wordOrder).readFloatBE(0));
  }
}

/**
 * The shortest decimal that reads back as the same float32: the number the device meant
 * (1012.34), not its double expansion (1012.3400268554688).
 */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) return candidate;
  }
  return v;
}

/** raw * scale + offset, rounded to 12 significant digits so 3 * 0.1 reads 0.3. */
export function applyLinear(raw: number, scale: number | undefined, offset: number | undefined): number {
  if (scale === undefined && offset === undefined) return raw;
  const v = raw * (scale ?? 1) + (offset ?? 0);
  return v === 0 ? 0 : Number(v.toPrecision(12));
}

function decodeRegister(data: Buffer, byteOffset: number, f: RegisterField): Result<FieldValue, DecodeFailure> {
  const raw = rawNumber(data, byteOffset, f);
  const where: { [k: string]: JsonValue } = {
    field: f.name, table: f.table, address: f.address, type: f.type,
    bytes: data.subarray(byteOffset, byteOffset + fieldWidth(f) * 2).toString('hex'),
  };
  if (!Number.isFinite(raw)) {
    return fail({
      code: 'BL_ERR_DECODE_NOT_A_NUMBER',
      message: `field ${f.name} (${f.table} ${f.address}, ${f.type}) is ${String(raw)}`,
      detail: { ...where, value: String(raw) },
    });
  }
  const value = applyLinear(raw, f.scale, f.offset);
  if (f.range !== undefined && (value < f.range[0] || value > f.range[1])) {
    return fail({
      code: 'BL_ERR_DECODE_VALUE_OUT_OF_RANGE',
      message: `field ${f.name} is ${value}, outside [${f.range[0]}, ${f.range[1]}]`,
      detail: { ...where, value, min: f.range[0], max: f.range[1] },
    });
  }
  return ok(f.format === undefined ? value : formatValue(raw, value, f));
}

function formatValue(raw: number, value: number, f: RegisterField): string {
  switch (f.format) {
    case 'major.minor': return `${(raw >> 8) & 0xff}.${raw & 0xff}`;
    case 'hex': return `0x${raw.toString(16).padStart(f.type === 'uint16' ? 4 : 8, '0')}`;
    case 'decimal':
    case undefined:
      return String(value);
  }
}
