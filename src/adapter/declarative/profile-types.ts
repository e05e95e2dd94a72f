/**
 * The TypeScript view of a declarative profile (schemas/profile/profile.schema.json). The schema
 * is the source of truth; these types describe a profile that has passed it.
 *
 * Value slots in emit rules use one reference syntax, `${fieldName}`:
 *   - text slots are templates: "occ-${occupancyCount}" (write `$$` for a literal `$`);
 *   - number and boolean slots hold a constant or exactly one reference, "${gammaRate1}",
 *     which keeps the field's type;
 *   - slots that can only name a field (triggers, flags, timing) take the bare field name.
 */
import type {
  Category, DecisionBy, DeviceClass, DeviceState, FindingKind, JsonValue, Quality,
} from '../../schema/detection-event.js';
import type { ModbusTable } from '../types.js';

/** A decoded field value: numbers, bits, and numbers rendered by a `format`. */
export type FieldValue = number | boolean | string;

/** Decoded values of one poll, by field name. */
export type FieldValues = { readonly [field: string]: FieldValue };

/** JSON profiles: each list field's elements, their values keyed `list.item`. */
export type ListValues = { readonly [list: string]: readonly FieldValues[] };

export type RegisterType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
export type FieldType = RegisterType | 'bool';
export type WordOrder = 'big' | 'little';
/** The closed set of renderings of an integer as text. */
export type ValueFormat = 'decimal' | 'hex' | 'major.minor';

export const REGISTER_TYPES: readonly RegisterType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32'];
export const VALUE_FORMATS: readonly ValueFormat[] = ['decimal', 'hex', 'major.minor'];

/** A value read from a Modbus table. Registers need `type` (or `bit`); coils and discretes are bool. */
export interface ModbusFieldSpec {
  table: ModbusTable;
  address: number;
  type?: FieldType;
  /** for int32, uint32, float32: big = high word first (ABCD), little = low word first (CDAB) */
  wordOrder?: WordOrder;
  /** a single bit (0 = least significant) of a holding or input register; the value is a bool */
  bit?: number;
  scale?: number;
  offset?: number;
  unit?: string;
  /** [min, max] inclusive, checked after scale and offset; a value outside fails the frame */
  range?: [number, number];
  format?: ValueFormat;
  description?: string;
}

export type ProfileTransport = 'modbus-tcp' | 'modbus-rtu' | 'http-poll' | 'http-push' | 'opcua';

export const JSON_TRANSPORTS: readonly ProfileTransport[] = ['http-poll', 'http-push'];

/** The JSON types a field may read; `timestamp` becomes Unix seconds, `list` a list of element records. */
export type JsonFieldType = 'number' | 'integer' | 'string' | 'boolean' | 'timestamp' | 'list';

/** A value at a JSON path of one result (or, inside a list's `items`, of one list element). */
export interface JsonFieldSpec {
  path: string;
  type: JsonFieldType;
  /** default true: a result without the value (absent or null) fails with BL_ERR_VENDOR_JSON */
  required?: boolean;
  /** an optional field's value when the result has none */
  default?: FieldValue;
  /**
   * boolean: true when the JSON value is one of these (any JSON scalar), false otherwise, absent
   * included. With a [*] path: true when any of the selected values is one of these.
   */
  trueWhen?: (string | number | boolean)[];
  /** number, integer: [min, max] inclusive (after scale and offset); a value outside fails the result */
  range?: [number, number];
  /** string: the only values allowed; any other fails the result (a vocabulary the device must keep to) */
  enum?: string[];
  /** number: value = raw * scale + offset, rounded to 12 significant digits, as Modbus fields */
  scale?: number;
  offset?: number;
  /** list: the fields of each element, paths relative to the element ($ is the element itself) */
  items?: { [name: string]: JsonFieldSpec };
  unit?: string;
  description?: string;
}

/** Where a result's spectrum is: numbers (y with firstX/lastX, or x) or an embedded JCAMP-DX text. */
export interface JsonSpectrumSpec {
  y?: string;
  x?: string;
  firstX?: string;
  lastX?: string;
  xUnits?: string;
  yUnits?: string;
  jcamp?: string;
}

/** How results are found in a JSON body and told apart. */
export interface JsonSection {
  /** where the results are in a polled page: an array (many) or an object (one); $ for a body that is one result */
  items: string;
  /** the same for a pushed body (webhook, REST ingest, file); default $ (the body is one result) */
  pushItems?: string;
  /** the result's id, relative to the result; ids order results and carry the cursor */
  id: string;
  cursor?: {
    /** the query parameter of the since-id cursor (default since_id) */
    param?: string;
    /** the page-size parameter (default limit) */
    limitParam?: string;
    /** number: ids compare as numbers; string: as text (ULIDs, zero-padded ids). Default number */
    type?: 'number' | 'string';
  };
  spectrum?: JsonSpectrumSpec;
}

/**
 * A value an OPC UA profile reads: a monitored node (nodeId or browsePath) or a field of the
 * events the profile subscribes to (event), then, as in a JSON profile, a path into that value
 * (default $, the value itself) and a type. Fields naming the same node share one monitored item.
 */
export interface OpcUaFieldSpec extends Omit<JsonFieldSpec, 'path' | 'items'> {
  nodeId?: string;
  /** browse names from the Objects folder, `/`-separated: `Name`, `2:Name`, `{uri}Name` or `{alias}Name` */
  browsePath?: string;
  /** an event field by browse name (`Message`, `{alias}ScanId`); present only on event frames */
  event?: string;
  /** where the field is inside the value (default $); with parse: json, inside the parsed text */
  path?: string;
  /** json: the value is JSON text (a String node holding an array or object), parsed before path applies */
  parse?: 'json';
  /** list: the fields of each element (paths relative to the element) */
  items?: { [name: string]: JsonFieldSpec };
  /** per monitored item, overriding acquisition.samplingIntervalMs / queueSize */
  samplingIntervalMs?: number;
  queueSize?: number;
}

/** The OPC UA section: namespace aliases and the events a profile subscribes to. */
export interface OpcUaSection {
  /** alias -> namespace URI; `{alias}Name` in browse paths, notifiers and event fields */
  namespaces?: { [alias: string]: string };
  events?: {
    /** the notifier: a node id (`i=2253`, the Server object) or a browse path */
    notifier: string;
    /** event types to read (node ids, namespace by URI: `nsu=<uri>;s=...` or namespace 0); other events are ignored */
    types?: string[];
  };
}

/** acquisition keys only an OPC UA profile may have */
export const OPCUA_ACQUISITION_KEYS = ['publishingIntervalMs', 'keepAliveCount', 'samplingIntervalMs', 'queueSize'] as const;

export interface ProfileAcquisition {
  /** Modbus and JSON profiles (required there) */
  pollIntervalMs?: number;
  timeoutMs?: number;
  /** opcua: the subscription's publishing interval (default 500) and keep-alive count (default 10) */
  publishingIntervalMs?: number;
  keepAliveCount?: number;
  /** opcua: defaults of every monitored item (0: every change as written; default 10) */
  samplingIntervalMs?: number;
  queueSize?: number;
  /** unused addresses a merged read may span (registers / bits); 0 merges only adjacent ones */
  gapTolerance?: { registers?: number; bits?: number };
  /** cap per request, at most the protocol's 125 registers / 2000 bits */
  maxPerRead?: { registers?: number; bits?: number };
  /** http-poll: results asked for per page (default 100) */
  limit?: number;
  /** JSON profiles: largest body accepted, bytes (default 8 MiB) */
  maxBytes?: number;
}

/** Constant text or a template with `${field}` references. */
export type TextSpec = string;
/** A number constant or "${field}" naming a numeric field. */
export type NumberSpec = number | string;
/** A boolean constant or "${field}" naming a bool field. */
export type BoolSpec = boolean | string;
/** A JSON scalar constant, a "${field}" reference (typed), or a text template. */
export type ScalarSpec = string | number | boolean | null;

export interface TriggerSpec {
  changed?: string;
  increased?: string;
  rising?: string;
  falling?: string;
  /** seconds */
  every?: number;
  /** bool field that must be true for the rule to fire */
  while?: string;
  /** bool field that must be false for the rule to fire */
  unless?: string;
  /** value assumed before the first observation; without it the first observation only sets the baseline */
  baseline?: FieldValue;
  /** fires on every poll (Modbus) or every new result (JSON) */
  always?: true;
}

export interface TimingSpec {
  endEpochSeconds: string;
  endMillis?: string;
  durationMs?: string;
}

export interface OutcomeSpec {
  alarms: { flag: string; category: Category }[];
  indeterminateWhen?: string[];
  decisionBy?: DecisionBy;
  vendorState?: TextSpec;
}

export interface MeasurementSpec {
  when?: string;
  detectorId: TextSpec;
  category: 'gamma' | 'neutron';
  realTimeS?: NumberSpec;
  liveTimeS?: NumberSpec;
  grossCounts?: NumberSpec;
  countRateCps?: NumberSpec;
  backgroundRateCps?: NumberSpec;
  sigma?: NumberSpec;
  thresholdCps?: NumberSpec;
  occupied?: BoolSpec;
  speedKmh?: NumberSpec;
}

export const MEASUREMENT_NUMBER_KEYS = [
  'realTimeS', 'liveTimeS', 'grossCounts', 'countRateCps', 'backgroundRateCps', 'sigma', 'thresholdCps', 'speedKmh',
] as const;

export interface ScoreSpec {
  value: NumberSpec;
  method: TextSpec;
  higherIsBetter: boolean;
  min?: NumberSpec;
  max?: NumberSpec;
}

export interface FindingSpec {
  when?: string;
  /** a list field: one finding per element; `${list.item}` names the element's fields */
  each?: string;
  kind: FindingKind;
  name?: TextSpec;
  /** CAS registry number (codes.cas); left out when it renders empty */
  cas?: TextSpec;
  mixtureFraction?: NumberSpec;
  category?: Category;
  identified?: BoolSpec;
  score?: ScoreSpec;
  detectors?: TextSpec[];
}

export interface FaultSpec {
  code: TextSpec;
  severity?: 'info' | 'warning' | 'critical';
  /** defaults: true on a rising trigger, false on a falling one; required otherwise */
  active?: BoolSpec;
  detail?: TextSpec;
}

export interface StatusSpec {
  state: DeviceState;
  detail?: TextSpec;
}

export interface SourceSpec {
  /** the operator the device names; left out when it renders empty */
  operatorId?: TextSpec;
  algorithm?: { name: TextSpec; version?: TextSpec; settings?: { [key: string]: ScalarSpec } };
  device?: { vendor?: TextSpec; model?: TextSpec; serial?: TextSpec; firmware?: TextSpec; technique?: TextSpec };
}

export interface RawSpec {
  format?: TextSpec;
  nativeIds?: { [key: string]: TextSpec };
  extensions?: { [key: string]: ScalarSpec };
}

export type EmitEventType = 'result' | 'measurement' | 'fault' | 'status';

export interface EmitRuleSpec {
  id: string;
  eventType: EmitEventType;
  description?: string;
  when: TriggerSpec;
  quality?: Quality;
  timing?: TimingSpec;
  subject?: { inspectionId?: TextSpec };
  outcome?: OutcomeSpec;
  measurements?: MeasurementSpec[];
  findings?: FindingSpec[];
  fault?: FaultSpec;
  status?: StatusSpec;
  source?: SourceSpec;
  raw?: RawSpec;
}

export interface Profile {
  id: string;
  version: string;
  deviceClass: DeviceClass;
  technique: string;
  vendor: string;
  model: string;
  description?: string;
  transport: ProfileTransport;
  acquisition: ProfileAcquisition;
  optionsSchema?: { [key: string]: JsonValue };
  /** JSON profiles (http-poll, http-push) only */
  json?: JsonSection;
  /** OPC UA profiles only */
  opcua?: OpcUaSection;
  /** Modbus fields for modbus-tcp/modbus-rtu, JSON fields for http-poll/http-push, OPC UA fields for opcua */
  fields: { [name: string]: ModbusFieldSpec | JsonFieldSpec | OpcUaFieldSpec };
  emit: EmitRuleSpec[];
}

/** One thing wrong with a profile, at a JSON Pointer into it ("/emit/2/when"). */
export interface ProfileProblem {
  path: string;
  message: string;
}

/** The adapter identity a profile declares (the same for every transport). */
export function profileIdentity(profile: Profile): Pick<Profile, 'id' | 'version' | 'deviceClass' | 'technique' | 'vendor' | 'model'> {
  return { id: profile.id, version: profile.version, deviceClass: profile.deviceClass, technique: profile.technique, vendor: profile.vendor, model: profile.model };
}
