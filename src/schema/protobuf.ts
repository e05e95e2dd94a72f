/**
 * DetectionEvent v1 <-> protobuf (schemas/detection-event/v1/detection_event.proto), loaded at
 * runtime with protobufjs. The conversion walks the proto's reflection instead of naming fields,
 * so a field added to the .proto (and, by the parity test, to the JSON Schema) travels without a
 * code change. The rules it relies on are the ones the parity test enforces:
 *  - JSON property camelCase == proto field snake_case (protobufjs camelCases on load);
 *  - enums: "kebab-value" <-> <ENUM_PREFIX>_KEBAB_VALUE, zero = UNSPECIFIED (never valid);
 *  - times <-> google.protobuf.Timestamp (ms kept), free maps <-> google.protobuf.Struct;
 *  - optional JSON scalars are proto3 `optional`; a required scalar absent on the wire is its zero;
 *  - a message with one repeated scalar field (Point) is a bare JSON array.
 * Empty arrays and maps do not survive protobuf (it cannot tell them from absent ones): decode
 * leaves them out. encode() expects a valid event (run the validator first); decode() checks the
 * wire structure, not the contract.
 */
import protobuf from 'protobufjs';
import { BorderlinkError, isBorderlinkError } from '../errors.js';
import { eventProtoPath } from './contract-files.js';
import type { DetectionEvent } from './detection-event.js';
import { jsonEnumValue } from './proto-naming.js';
import {
  isPlainObject, setOwn, structFromWire, structToWire, timestampFromWire, timestampToWire, type PlainObject,
} from './protobuf-well-known.js';

/** Payload content types (MQTT 5 content-type property, HTTP Content-Type / Accept). */
export const CONTENT_TYPE = {
  json: 'application/json',
  protobuf: 'application/x-protobuf',
} as const;
export type EventContentType = (typeof CONTENT_TYPE)[keyof typeof CONTENT_TYPE];

/** MQTT 5 user property naming the contract of a payload: schema=borderlink.detection-event.v1 */
export const SCHEMA_USER_PROPERTY = { name: 'schema', value: 'borderlink.detection-event.v1' } as const;

/** Fully qualified name of the event message in the .proto. */
export const EVENT_PROTO_MESSAGE = 'borderlink.detection_event.v1.DetectionEvent';

export interface EventProtobufCodec {
  /** @throws BorderlinkError BL_ERR_EVENT_ENCODE when the event does not fit the .proto */
  encode(e: DetectionEvent): Uint8Array;
  /** @throws BorderlinkError BL_ERR_EVENT_DECODE when the bytes are not a well-formed event */
  decode(b: Uint8Array): DetectionEvent;
}

const TIMESTAMP = '.google.protobuf.Timestamp';
const STRUCT = '.google.protobuf.Struct';

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number, enums: Number, bytes: Array, defaults: false, arrays: false, objects: false, oneofs: false,
};

interface EnumNames {
  name: string;
  toWire: Map<string, number>;
  fromWire: Map<number, string>;
}

/** How one proto field converts, worked out once per codec from the reflection. */
type ValuePlan =
  | { kind: 'scalar'; protoType: string }
  | { kind: 'enum'; names: EnumNames }
  | { kind: 'timestamp' }
  | { kind: 'struct' }
  | { kind: 'tuple'; field: string; protoType: string }
  | { kind: 'message'; message: MessagePlan };

interface FieldPlan {
  name: string;
  shape: 'single' | 'repeated' | 'map';
  /** proto3 scalar without `optional`: absent on the wire means its zero value */
  implicit: boolean;
  value: ValuePlan;
}

interface MessagePlan {
  name: string;
  fields: FieldPlan[];
  byName: Map<string, FieldPlan>;
}

/** Loads the .proto (synchronously, once per codec) and builds the codec. */
export function createProtobufCodec(protoPath: string = eventProtoPath()): EventProtobufCodec {
  const type = loadEventType(protoPath);
  const plan = planMessage(type, new Map());
  return {
    encode(e: DetectionEvent): Uint8Array {
      try {
        return type.encode(type.fromObject(messageToWire(e, plan, 'event'))).finish();
      } catch (cause) {
        if (isBorderlinkError(cause)) throw cause;
        throw new BorderlinkError('BL_ERR_EVENT_ENCODE', `cannot encode event as protobuf: ${messageOf(cause)}`, { cause });
      }
    },
    decode(b: Uint8Array): DetectionEvent {
      try {
        const plain = type.toObject(type.decode(b), TO_OBJECT);
        return messageFromWire(plain, plan, 'event') as unknown as DetectionEvent;
      } catch (cause) {
        if (isBorderlinkError(cause)) throw cause;
        throw new BorderlinkError('BL_ERR_EVENT_DECODE', `not a protobuf detection event: ${messageOf(cause)}`, { cause });
      }
    },
  };
}

function planMessage(t: protobuf.Type, seen: Map<protobuf.Type, MessagePlan>): MessagePlan {
  const known = seen.get(t);
  if (known !== undefined) return known;
  const plan: MessagePlan = { name: t.name, fields: [], byName: new Map() };
  seen.set(t, plan);
  for (const field of t.fieldsArray) {
    const rt = field.resolvedType;
    const fieldPlan: FieldPlan = {
      name: field.name,
      shape: field.map ? 'map' : field.repeated ? 'repeated' : 'single',
      implicit: !field.repeated && !field.map && field.partOf === null && !(rt instanceof protobuf.Type),
      value: planValue(field, seen),
    };
    plan.fields.push(fieldPlan);
    plan.byName.set(field.name, fieldPlan);
  }
  return plan;
}

function planValue(field: protobuf.Field, seen: Map<protobuf.Type, MessagePlan>): ValuePlan {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) return { kind: 'enum', names: enumNames(rt) };
  if (rt instanceof protobuf.Type) {
    if (rt.fullName === TIMESTAMP) return { kind: 'timestamp' };
    if (rt.fullName === STRUCT) return { kind: 'struct' };
    const tuple = tupleField(rt);
    if (tuple !== undefined) return { kind: 'tuple', field: tuple.name, protoType: tuple.type };
    return { kind: 'message', message: planMessage(rt, seen) };
  }
  return { kind: 'scalar', protoType: field.type };
}

function enumNames(e: protobuf.Enum): EnumNames {
  const names: EnumNames = { name: e.name, toWire: new Map(), fromWire: new Map() };
  for (const [protoName, id] of Object.entries(e.values)) {
    const json = jsonEnumValue(e.name, protoName);
    if (json === undefined) continue;
    names.toWire.set(json, id);
    names.fromWire.set(id, json);
  }
  return names;
}

function messageToWire(v: unknown, plan: MessagePlan, path: string): PlainObject {
  if (!isPlainObject(v)) throw new Error(`${path}: object expected for ${plan.name}`);
  const out: PlainObject = {};
  for (const key of Object.keys(v)) {
    const value = v[key];
    if (value === undefined) continue;
    const field = plan.byName.get(key);
    if (field === undefined) throw new Error(`${path}.${key}: ${plan.name} has no such field`);
    const at = `${path}.${key}`;
    if (field.shape === 'map') {
      if (!isPlainObject(value)) throw new Error(`${at}: object expected`);
      const map: PlainObject = {};
      for (const [k, x] of Object.entries(value)) setOwn(map, k, valueToWire(x, field.value, `${at}.${k}`));
      out[key] = map;
    } else if (field.shape === 'repeated') {
      if (!Array.isArray(value)) throw new Error(`${at}: array expected`);
      out[key] = value.map((x: unknown, i) => valueToWire(x, field.value, `${at}[${i}]`));
    } else {
      out[key] = valueToWire(value, field.value, at);
    }
  }
  return out;
}

function valueToWire(v: unknown, plan: ValuePlan, path: string): unknown {
  switch (plan.kind) {
    case 'scalar':
      return scalarToWire(v, plan.protoType, path);
    case 'enum': {
      const id = typeof v === 'string' ? plan.names.toWire.get(v) : undefined;
      if (id === undefined) throw new Error(`${path}: ${JSON.stringify(v)} is not a ${plan.names.name}`);
      return id;
    }
    case 'timestamp':
      return timestampToWire(v, path);
    case 'struct':
      return structToWire(v, path);
    case 'tuple':
      if (!Array.isArray(v)) throw new Error(`${path}: array expected`);
      return { [plan.field]: v.map((x: unknown, i) => scalarToWire(x, plan.protoType, `${path}[${i}]`)) };
    case 'message':
      return messageToWire(v, plan.message, path);
  }
}

function messageFromWire(v: unknown, plan: MessagePlan, path: string): PlainObject {
  if (!isPlainObject(v)) throw new Error(`${path}: ${plan.name} expected`);
  const out: PlainObject = {};
  for (const field of plan.fields) {
    const value = v[field.name];
    if (value === undefined || value === null) {
      if (field.implicit) out[field.name] = zeroValue(field, `${path}.${field.name}`);
      continue;
    }
    if (field.shape === 'map') {
      if (!isPlainObject(value)) throw new Error(`${path}.${field.name}: map expected`);
      const entries = Object.entries(value);
      if (entries.length === 0) continue;
      const map: PlainObject = {};
      for (const [k, x] of entries) setOwn(map, k, valueFromWire(x, field.value, `${path}.${field.name}.${k}`));
      out[field.name] = map;
    } else if (field.shape === 'repeated') {
      if (!Array.isArray(value)) throw new Error(`${path}.${field.name}: list expected`);
      if (value.length === 0) continue;
      out[field.name] = value.map((x: unknown, i) => valueFromWire(x, field.value, `${path}.${field.name}[${i}]`));
    } else {
      out[field.name] = valueFromWire(value, field.value, `${path}.${field.name}`);
    }
  }
  return out;
}

function valueFromWire(v: unknown, plan: ValuePlan, path: string): unknown {
  switch (plan.kind) {
    case 'scalar':
      return scalarFromWire(v, plan.protoType, path);
    case 'enum': {
      const json = typeof v === 'number' ? plan.names.fromWire.get(v) : undefined;
      if (json === undefined) throw new Error(`${path}: ${String(v)} is not a known ${plan.names.name} value`);
      return json;
    }
    case 'timestamp':
      return timestampFromWire(v, path);
    case 'struct':
      return structFromWire(v, path);
    case 'tuple': {
      if (!isPlainObject(v)) throw new Error(`${path}: tuple message expected`);
      const items = v[plan.field] ?? [];
      if (!Array.isArray(items)) throw new Error(`${path}: list expected`);
      return items.map((x: unknown, i) => scalarFromWire(x, plan.protoType, `${path}[${i}]`));
    }
    case 'message':
      return messageFromWire(v, plan.message, path);
  }
}

function zeroValue(field: FieldPlan, path: string): unknown {
  if (field.value.kind === 'enum') throw new Error(`${path}: required ${field.value.names.name} is unspecified`);
  if (field.value.kind !== 'scalar') throw new Error(`${path}: missing`);
  switch (field.value.protoType) {
    case 'string': return '';
    case 'bool': return false;
    case 'bytes': throw new Error(`${path}: bytes fields are not part of the contract`);
    default: return 0;
  }
}

/** Reads and resolves the .proto; the Timestamp and Struct imports come from protobufjs' bundled copies. */
function loadEventType(protoPath: string): protobuf.Type {
  try {
    const root = new protobuf.Root().loadSync(protoPath, { keepCase: false });
    root.resolveAll();
    return root.lookupType(EVENT_PROTO_MESSAGE);
  } catch (cause) {
    throw new BorderlinkError('BL_ERR_SCHEMA_LOAD', `cannot load detection-event proto ${protoPath}: ${messageOf(cause)}`, { cause });
  }
}

/** The single repeated scalar field of a tuple message (Point), which JSON writes as a bare array. */
function tupleField(t: protobuf.Type): protobuf.Field | undefined {
  const [only, ...rest] = t.fieldsArray;
  if (only === undefined || rest.length > 0 || !only.repeated || only.resolvedType !== null) return undefined;
  return only;
}

/** Integer proto types and the range of values each can carry without loss in a JS number. */
const INTEGER_RANGES: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['int32', [-(2 ** 31), 2 ** 31 - 1]], ['sint32', [-(2 ** 31), 2 ** 31 - 1]], ['sfixed32', [-(2 ** 31), 2 ** 31 - 1]],
  ['uint32', [0, 2 ** 32 - 1]], ['fixed32', [0, 2 ** 32 - 1]],
  ['int64', [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]], ['sint64', [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]],
  ['sfixed64', [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]],
  ['uint64', [0, Number.MAX_SAFE_INTEGER]], ['fixed64', [0, Number.MAX_SAFE_INTEGER]],
]);

/** Whether a JSON value fits a proto scalar type exactly (no NaN, no wrapping, no rounding). */
function fitsScalar(v: unknown, protoType: string): boolean {
  switch (protoType) {
    case 'string': return typeof v === 'string';
    case 'bool': return typeof v === 'boolean';
    case 'double': case 'float': return typeof v === 'number' && Number.isFinite(v);
    default: {
      const range = INTEGER_RANGES.get(protoType);
      return range !== undefined && typeof v === 'number' && Number.isInteger(v) && v >= range[0] && v <= range[1];
    }
  }
}

function scalarToWire(v: unknown, protoType: string, path: string): unknown {
  if (!fitsScalar(v, protoType)) throw new Error(`${path}: ${JSON.stringify(v)} does not fit proto ${protoType}`);
  return v;
}

function scalarFromWire(v: unknown, protoType: string, path: string): unknown {
  if (!fitsScalar(v, protoType)) throw new Error(`${path}: ${String(v)} is not a JSON-safe ${protoType}`);
  return v;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
