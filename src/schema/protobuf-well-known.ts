/**
 * JSON <-> google.protobuf well-known types, as the plain objects protobufjs' fromObject and
 * toObject speak (camelCase keys, numbers for 64-bit integers and enums).
 * Every function throws a plain Error with a path; the codec turns it into a coded error.
 */
import type { JsonValue } from './detection-event.js';

export type PlainObject = { [key: string]: unknown };

/** Sets an own property even for keys like "__proto__", which plain assignment would not. */
export function setOwn(target: PlainObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 3339 string -> Timestamp, milliseconds kept (finer digits are dropped, as JSON writes ms). */
export function timestampToWire(v: unknown, path: string): { seconds: number; nanos: number } {
  const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw new Error(`${path}: RFC 3339 time expected, got ${JSON.stringify(v)}`);
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Timestamp -> "YYYY-MM-DDTHH:mm:ss.sssZ" (absent members are zero on the wire). */
export function timestampFromWire(v: unknown, path: string): string {
  if (!isPlainObject(v)) throw new Error(`${path}: Timestamp expected`);
  const seconds = v['seconds'] ?? 0;
  const nanos = v['nanos'] ?? 0;
  if (typeof seconds !== 'number' || typeof nanos !== 'number' || !Number.isSafeInteger(seconds)
    || nanos < 0 || nanos > 999_999_999) {
    throw new Error(`${path}: malformed Timestamp`);
  }
  const date = new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
  if (Number.isNaN(date.getTime())) throw new Error(`${path}: Timestamp out of range`);
  return date.toISOString();
}

/** JSON object -> Struct */
export function structToWire(v: unknown, path: string): { fields: PlainObject } {
  if (!isPlainObject(v)) throw new Error(`${path}: object expected`);
  const fields: PlainObject = {};
  for (const [key, value] of Object.entries(v)) {
    if (value !== undefined) setOwn(fields, key, jsonValueToWire(value, `${path}.${key}`));
  }
  return { fields };
}

function jsonValueToWire(v: unknown, path: string): PlainObject {
  if (v === null) return { nullValue: 0 };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${path}: non-finite number is not JSON`);
    return { numberValue: v };
  }
  if (Array.isArray(v)) return { listValue: { values: v.map((x, i) => jsonValueToWire(x, `${path}[${i}]`)) } };
  if (isPlainObject(v)) return { structValue: structToWire(v, path) };
  throw new Error(`${path}: ${typeof v} is not a JSON value`);
}

/** Struct -> JSON object */
export function structFromWire(v: unknown, path: string): { [key: string]: JsonValue } {
  if (!isPlainObject(v)) throw new Error(`${path}: Struct expected`);
  const fields = v['fields'] ?? {};
  if (!isPlainObject(fields)) throw new Error(`${path}: Struct fields expected`);
  const out: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(fields)) setOwn(out, key, jsonValueFromWire(value, `${path}.${key}`));
  return out;
}

function jsonValueFromWire(v: unknown, path: string): JsonValue {
  if (!isPlainObject(v)) throw new Error(`${path}: Value expected`);
  if (v['nullValue'] !== undefined) return null;
  const { numberValue, stringValue, boolValue, structValue, listValue } = v;
  if (typeof numberValue === 'number') {
    if (!Number.isFinite(numberValue)) throw new Error(`${path}: non-finite number is not JSON`);
    return numberValue;
  }
  if (typeof stringValue === 'string') return stringValue;
  if (typeof boolValue === 'boolean') return boolValue;
  if (structValue !== undefined) return structFromWire(structValue, path);
  if (isPlainObject(listValue)) {
    const values = listValue['values'] ?? [];
    if (!Array.isArray(values)) throw new Error(`${path}: ListValue expected`);
    return values.map((x: unknown, i) => jsonValueFromWire(x, `${path}[${i}]`));
  }
  throw new Error(`${path}: Value has no kind set`);
}
