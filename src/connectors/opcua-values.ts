/**
 * OPC UA values to JSON, without node-opcua (pure; the shapes are node-opcua's Variant, DataValue
 * and StatusCode, typed structurally). A codec must never see a library type, and quarantine keeps
 * frames as JSON, so every value is turned into numbers, strings, booleans, null and arrays here:
 *
 *   Int64 / UInt64        number when exactly representable, else a decimal string
 *   Float / Double        number; NaN and the infinities as the strings "NaN", "Infinity", "-Infinity"
 *   DateTime              RFC 3339 UTC (OPC UA's null date, 1601-01-01, and invalid dates: null)
 *   ByteString            base64
 *   LocalizedText         its text
 *   QualifiedName         `Name` (namespace 0) or `{uri}Name`
 *   NodeId                `i=2041`, or `nsu=<uri>;i=1000` outside namespace 0 (the index is the server's)
 *   StatusCode            its name (`Good`, `BadNodeIdUnknown` ...)
 *   ExtensionObject       its JSON form, made JSON-safe the same way
 *
 * Built-in type ids are those of OPC UA Part 6 (5.1.2), fixed by the standard.
 */
import type { JsonValue } from '../schema/detection-event.js';

export interface VariantLike {
  dataType: number;
  /** 0 scalar, 1 array, 2 matrix */
  arrayType?: number;
  value: unknown;
}

export interface StatusCodeLike {
  value: number;
  name?: string;
}

export interface DataValueLike {
  value: VariantLike;
  statusCode: StatusCodeLike;
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}

export type Quality = 'good' | 'uncertain' | 'bad';

const T = {
  Null: 0, Boolean: 1, SByte: 2, Byte: 3, Int16: 4, UInt16: 5, Int32: 6, UInt32: 7, Int64: 8, UInt64: 9, Float: 10, Double: 11,
  String: 12, DateTime: 13, Guid: 14, ByteString: 15, XmlElement: 16, NodeId: 17, ExpandedNodeId: 18, StatusCode: 19,
  QualifiedName: 20, LocalizedText: 21, ExtensionObject: 22, DataValue: 23, Variant: 24, DiagnosticInfo: 25,
} as const;

/** OPC UA's DateTime zero (1601-01-01T00:00:00Z) in ms since 1970: what a null date decodes to. */
const OPCUA_DATE_ZERO_MS = -11644473600000;

/** Status code severity: the top two bits. */
export function qualityOf(status: StatusCodeLike | undefined): Quality {
  if (status === undefined) return 'good';
  const severity = (status.value >>> 30) & 0x3;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

const RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

export function worstQuality(qs: Iterable<Quality>): Quality {
  let worst: Quality = 'good';
  for (const q of qs) if (RANK[q] > RANK[worst]) worst = q;
  return worst;
}

function finite(n: number): JsonValue {
  if (Number.isFinite(n)) return n;
  return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
}

function int64(v: unknown, signed: boolean): JsonValue {
  let big: bigint;
  if (typeof v === 'bigint') big = v;
  else if (typeof v === 'number') big = BigInt(Math.trunc(v));
  else if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') {
    // node-opcua: [high, low] as 32-bit words
    big = (BigInt(v[0] >>> 0) << 32n) | BigInt(v[1] >>> 0);
  } else return null;
  big = signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}

function date(v: unknown): JsonValue {
  if (!(v instanceof Date)) return null;
  const ms = v.getTime();
  if (!Number.isFinite(ms) || ms <= OPCUA_DATE_ZERO_MS) return null;
  return v.toISOString();
}

/** `ns=3;s=x` -> `nsu=<uri>;s=x` when the server's NamespaceArray knows index 3. */
export function nodeIdToText(v: unknown, namespaceArray: readonly string[]): JsonValue {
  if (v === null || v === undefined) return null;
  const text = String(v);
  const m = /^ns=(\d+);(.*)$/s.exec(text);
  if (!m) return text;
  const uri = namespaceArray[Number(m[1])];
  return uri === undefined ? text : `nsu=${uri};${m[2] as string}`;
}

function qualifiedName(v: unknown, namespaceArray: readonly string[]): JsonValue {
  if (v === null || typeof v !== 'object') return null;
  const q = v as { namespaceIndex?: unknown; name?: unknown };
  if (typeof q.name !== 'string') return null;
  const ns = typeof q.namespaceIndex === 'number' ? q.namespaceIndex : 0;
  if (ns === 0) return q.name;
  const uri = namespaceArray[ns];
  return uri === undefined ? `${ns}:${q.name}` : `{${uri}}${q.name}`;
}

/** Anything (an ExtensionObject's JSON, say) made JSON-safe; depth-limited against cycles. */
export function jsonSafe(v: unknown, depth = 0): JsonValue {
  if (depth > 16) return null;
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return finite(v);
    case 'bigint':
      return int64(v, v < 0n);
    case 'object': {
      if (v instanceof Date) return date(v);
      if (Buffer.isBuffer(v)) return v.toString('base64');
      if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => finite(Number(x)));
      if (Array.isArray(v)) return v.map((x) => jsonSafe(x, depth + 1));
      const withJson = v as { toJSON?: () => unknown };
      if (typeof withJson.toJSON === 'function' && depth === 0) return jsonSafe(withJson.toJSON(), depth + 1);
      const out: { [k: string]: JsonValue } = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (typeof x === 'function' || k.startsWith('_')) continue;
        out[k] = jsonSafe(x, depth + 1);
      }
      return out;
    }
    default:
      return null;
  }
}

function scalar(dataType: number, v: unknown, namespaceArray: readonly string[]): JsonValue {
  if (v === null || v === undefined) return null;
  switch (dataType) {
    case T.Null:
      return null;
    case T.Boolean:
      return Boolean(v);
    case T.SByte: case T.Byte: case T.Int16: case T.UInt16: case T.Int32: case T.UInt32: case T.Float: case T.Double:
      return typeof v === 'number' ? finite(v) : null;
    case T.Int64:
      return int64(v, true);
    case T.UInt64:
      return int64(v, false);
    case T.String: case T.XmlElement: case T.Guid:
      return String(v);
    case T.DateTime:
      return date(v);
    case T.ByteString:
      return Buffer.isBuffer(v) ? v.toString('base64') : null;
    case T.NodeId: case T.ExpandedNodeId:
      return nodeIdToText(v, namespaceArray);
    case T.StatusCode: {
      const s = v as StatusCodeLike;
      return typeof s.name === 'string' ? s.name : typeof s.value === 'number' ? s.value : null;
    }
    case T.QualifiedName:
      return qualifiedName(v, namespaceArray);
    case T.LocalizedText: {
      const t = (v as { text?: unknown }).text;
      return typeof t === 'string' ? t : null;
    }
    case T.Variant:
      return variantToJson(v as VariantLike, namespaceArray);
    case T.DataValue:
      return variantToJson((v as DataValueLike).value, namespaceArray);
    default:
      return jsonSafe(v);
  }
}

export function variantToJson(variant: VariantLike | null | undefined, namespaceArray: readonly string[]): JsonValue {
  if (variant === null || variant === undefined) return null;
  const { dataType, value } = variant;
  if ((variant.arrayType ?? 0) !== 0) {
    if (value === null || value === undefined) return [];
    const items: unknown[] = Array.isArray(value) ? value : ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<number>) : [];
    return items.map((x) => scalar(dataType, x, namespaceArray));
  }
  return scalar(dataType, value, namespaceArray);
}

function ms(d: Date | null | undefined): number | undefined {
  if (!(d instanceof Date)) return undefined;
  const t = d.getTime();
  return Number.isFinite(t) && t > OPCUA_DATE_ZERO_MS ? t : undefined;
}

/**
 * A monitored value: bad status reads as null, whatever the server put next to it. `at` is the
 * source timestamp (else the server's), used only to order the values of one notification.
 */
export function dataValueToJson(dv: DataValueLike, namespaceArray: readonly string[]): { value: JsonValue; quality: Quality; at?: number } {
  const quality = qualityOf(dv.statusCode);
  const at = ms(dv.sourceTimestamp) ?? ms(dv.serverTimestamp);
  return { value: quality === 'bad' ? null : variantToJson(dv.value, namespaceArray), quality, ...(at === undefined ? {} : { at }) };
}
