/**
 * DetectionEvent v1: the TypeScript view of schemas/detection-event/v1/detection-event.schema.json.
 * The JSON Schema is the source of truth; a test checks that the worked examples satisfy both.
 * Times are RFC 3339 UTC strings with milliseconds ("2026-11-23T10:15:30.123Z").
 */

/** 1.1 added Finding.origin and Finding.reference and the environmental and benign categories. */
export const SCHEMA_VERSION = '1.1';

export type DeviceClass = 'radiation-portal-monitor' | 'spectrometer' | 'xray-scanner';
export const DEVICE_CLASSES: readonly DeviceClass[] = ['radiation-portal-monitor', 'spectrometer', 'xray-scanner'];

export type EventType = 'result' | 'measurement' | 'operator-decision' | 'status' | 'fault';
export const EVENT_TYPES: readonly EventType[] = ['result', 'measurement', 'operator-decision', 'status', 'fault'];

export type Quality = 'good' | 'uncertain' | 'bad';
export type OutcomeState = 'clear' | 'alarm' | 'indeterminate' | 'aborted';
export const OUTCOME_STATES: readonly OutcomeState[] = ['clear', 'alarm', 'indeterminate', 'aborted'];
export type Category =
  | 'gamma' | 'neutron' | 'isotope' | 'narcotic' | 'explosive' | 'precursor' | 'chemical'
  | 'contraband' | 'weapon' | 'anomaly' | 'other' | 'environmental' | 'benign';
export type DecisionBy = 'machine' | 'operator' | 'aggregate';
export type ConveyanceType =
  | 'container' | 'truck' | 'trailer' | 'car' | 'bus' | 'wagon' | 'uld' | 'parcel' | 'bag' | 'person';
export type DocumentType = 'mrn' | 'awb' | 'bol' | 'ucr';
export type FindingKind = 'nuclide' | 'substance' | 'threat-object' | 'count-exceedance';
export type ArtifactKind = 'n42' | 'jcamp-dx' | 'dicos-tdr' | 'dicos-ct' | 'dicos-dx' | 'uff' | 'image' | 'raw';
export type DeviceState = 'online' | 'offline' | 'degraded' | 'maintenance';
export type Classification = 'public' | 'internal' | 'restricted';

/** A JSON value kept verbatim (algorithm settings, vendor extensions). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface DeviceRef {
  id: string;
  class: DeviceClass;
  technique?: string;
  vendor?: string;
  model?: string;
  serial?: string;
  firmware?: string;
}

export interface Source {
  gatewayId: string;
  siteId: string;
  laneId?: string;
  device: DeviceRef;
  adapter: { id: string; version: string };
  algorithm?: { name: string; version?: string; settings?: { [key: string]: JsonValue } };
  operatorId?: string;
}

export interface Conveyance {
  type: ConveyanceType;
  id?: string;
  scheme?: string;
  checkDigitValid?: boolean;
  readConfidence?: number;
}

export interface DocumentRef {
  type: DocumentType;
  id: string;
  valid?: boolean;
}

export interface Subject {
  inspectionId?: string;
  conveyances?: Conveyance[];
  documents?: DocumentRef[];
}

export interface Outcome {
  state: OutcomeState;
  categories?: Category[];
  decisionBy?: DecisionBy;
  vendorState?: string;
  abortReason?: string;
}

export interface Score {
  value: number;
  min?: number;
  max?: number;
  higherIsBetter: boolean;
  method: string;
}

export interface Region {
  frame: 'image' | 'volume';
  base?: number[];
  extent?: number[];
  polygon?: number[][];
  artifactRef?: string;
}

export interface Finding {
  kind: FindingKind;
  name?: string;
  codes?: { cas?: string; nuclide?: string; dicosCategory?: string };
  category?: Category;
  identified?: boolean;
  score?: Score;
  mixtureFraction?: number;
  activity?: { value: number; uncertainty?: number; unit: string };
  detectors?: string[];
  region?: Region;
  /** since 1.1: 'device' (absent means device) or 'gateway' (the gateway's own identification) */
  origin?: 'device' | 'gateway';
  /** since 1.1: the reference-library entry a substance finding matched */
  reference?: { library: string; version?: string; entryId: string };
}

export interface Measurement {
  detectorId: string;
  category: 'gamma' | 'neutron';
  startedAt?: string;
  realTimeS?: number;
  liveTimeS?: number;
  grossCounts?: number;
  countRateCps?: number;
  backgroundRateCps?: number;
  sigma?: number;
  thresholdCps?: number;
  occupied?: boolean;
  speedKmh?: number;
}

export interface Spectrum {
  xUnits: string;
  yUnits: string;
  firstX: number;
  lastX: number;
  npoints: number;
  y: number[];
}

export interface Artifact {
  kind: ArtifactKind;
  mediaType: string;
  uri: string;
  sha256: string;
  bytes: number;
}

export interface DeviceStatus {
  state: DeviceState;
  detail?: string;
  since?: string;
}

/**
 * Additive to EVENT-MODEL.md (allowed within v1): a fault event says which fault, whether it is
 * raised or cleared, and how bad it is, so consumers need not parse free text.
 */
export interface Fault {
  code: string;
  active: boolean;
  severity?: 'info' | 'warning' | 'critical';
  detail?: string;
}

export interface Raw {
  format?: string;
  nativeIds?: { [key: string]: string };
  extensions?: { [key: string]: JsonValue };
}

export interface Sharing {
  classification: Classification;
  agencies?: string[];
}

export interface DetectionEvent {
  eventId: string;
  schemaVersion: string;
  eventType: EventType;
  observedAt: string;
  endedAt?: string;
  decidedAt?: string;
  receivedAt: string;
  sequence: number;
  quality: Quality;
  source: Source;
  subject?: Subject;
  outcome?: Outcome;
  findings?: Finding[];
  measurements?: Measurement[];
  spectrum?: Spectrum;
  artifacts?: Artifact[];
  status?: DeviceStatus;
  fault?: Fault;
  raw?: Raw;
  sharing?: Sharing;
}
