/**
 * Field specs -> decode instructions, checking what the schema cannot express on its own
 * (which keys make sense together for a table and a type). Every problem is collected.
 */
import type { ModbusRead, ModbusTable } from '../types.js';
import { pointer, type ProblemList } from './profile-problems.js';
import type { ModbusFieldSpec, RegisterType, ValueFormat, WordOrder } from './profile-types.js';

/** What a field's decoded value is, for type-checking the emit rules that reference it. */
export type FieldKind = 'number' | 'bool' | 'text';

interface FieldBase {
  name: string;
  address: number;
}

/** A number (or formatted text) from one or two registers. */
export interface RegisterField extends FieldBase {
  kind: 'register';
  table: 'holding' | 'input';
  type: RegisterType;
  wordOrder: WordOrder;
  scale?: number;
  offset?: number;
  range?: readonly [number, number];
  format?: ValueFormat;
}

/** One bit of a register. */
export interface RegisterBitField extends FieldBase {
  kind: 'register-bit';
  table: 'holding' | 'input';
  bit: number;
}

/** A coil or discrete input. */
export interface BitField extends FieldBase {
  kind: 'bit';
  table: 'coil' | 'discrete';
}

export type DecodeField = RegisterField | RegisterBitField | BitField;

export function fieldWidth(f: DecodeField): number {
  return f.kind === 'register' && (f.type === 'int32' || f.type === 'uint32' || f.type === 'float32') ? 2 : 1;
}

export function fieldKind(f: DecodeField): FieldKind {
  if (f.kind !== 'register') return 'bool';
  return f.format === undefined ? 'number' : 'text';
}

/** The addresses a field occupies, as a read. */
export function fieldSpan(f: DecodeField): ModbusRead {
  return { table: f.table, address: f.address, count: fieldWidth(f) };
}

const isBitTable = (t: ModbusTable): t is 'coil' | 'discrete' => t === 'coil' || t === 'discrete';

export function compileFields(fields: { readonly [name: string]: ModbusFieldSpec }, problems: ProblemList): DecodeField[] {
  const out: DecodeField[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    const f = compileField(name, spec, problems);
    if (f !== undefined) out.push(f);
  }
  return out;
}

function compileField(name: string, spec: ModbusFieldSpec, problems: ProblemList): DecodeField | undefined {
  const at = (key: string): string => pointer('fields', name, key);
  const refuse = (keys: readonly (keyof ModbusFieldSpec)[], why: string): void => {
    for (const k of keys) if (spec[k] !== undefined) problems.add(at(k), `is not allowed ${why}`);
  };
  const before = problems.items.length;

  if (isBitTable(spec.table)) {
    if (spec.type !== undefined && spec.type !== 'bool') problems.add(at('type'), `must be bool (or left out) for a ${spec.table}`);
    refuse(['bit', 'wordOrder', 'scale', 'offset', 'range', 'format'], `for a ${spec.table} (its value is a bool)`);
    return problems.items.length === before ? { kind: 'bit', name, table: spec.table, address: spec.address } : undefined;
  }

  const table = spec.table;
  if (spec.bit !== undefined) {
    if (spec.type !== undefined && spec.type !== 'bool') problems.add(at('type'), 'must be bool (or left out) with bit: a bit field is a bool');
    refuse(['wordOrder', 'scale', 'offset', 'range', 'format'], 'with bit (its value is a bool)');
    return problems.items.length === before ? { kind: 'register-bit', name, table, address: spec.address, bit: spec.bit } : undefined;
  }

  if (spec.type === undefined) {
    problems.add(pointer('fields', name), `needs a type (int16, uint16, int32, uint32, float32) or a bit for a ${table} register`);
    return undefined;
  }
  if (spec.type === 'bool') {
    problems.add(at('type'), 'bool needs a bit (0-15) on a register');
    return undefined;
  }
  const type = spec.type;
  const wide = type === 'int32' || type === 'uint32' || type === 'float32';
  if (!wide && spec.wordOrder !== undefined) problems.add(at('wordOrder'), `is only for 32-bit types, not ${type}`);
  if (wide && spec.address > 65534) problems.add(at('address'), `a ${type} needs two registers: ${spec.address} is the last address`);
  if (spec.range !== undefined && spec.range[0] > spec.range[1]) problems.add(at('range'), `min ${spec.range[0]} is above max ${spec.range[1]}`);
  if (spec.format !== undefined) checkFormat(spec.format, type, spec, at('format'), problems);
  if (problems.items.length !== before) return undefined;

  const field: RegisterField = { kind: 'register', name, table, address: spec.address, type, wordOrder: spec.wordOrder ?? 'big' };
  if (spec.scale !== undefined) field.scale = spec.scale;
  if (spec.offset !== undefined) field.offset = spec.offset;
  if (spec.range !== undefined) field.range = [spec.range[0], spec.range[1]];
  if (spec.format !== undefined) field.format = spec.format;
  return field;
}

function checkFormat(format: ValueFormat, type: RegisterType, spec: ModbusFieldSpec, at: string, problems: ProblemList): void {
  if (format === 'decimal') return;
  if (spec.scale !== undefined || spec.offset !== undefined) {
    problems.add(at, `${format} renders the raw integer: leave out scale and offset`);
  }
  if (format === 'major.minor' && type !== 'uint16') problems.add(at, `major.minor reads the two bytes of a uint16, not of ${type}`);
  if (format === 'hex' && type !== 'uint16' && type !== 'uint32') problems.add(at, `hex is for uint16 and uint32, not ${type}`);
}
