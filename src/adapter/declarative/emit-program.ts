/**
 * Emit rules after compilation: every reference resolved to a field of the right kind, every
 * template parsed. emit-rules.ts runs these; nothing here is evaluated at compile time.
 */
import type {
  Category, DecisionBy, DeviceState, FindingKind, Quality,
} from '../../schema/detection-event.js';
import type { Template } from './template.js';
import type { EmitEventType, FieldValue } from './profile-types.js';

export type NumberSlot = { const: number } | { ref: string };
export type BoolSlot = { const: boolean } | { ref: string };
export type ScalarSlot = { const: string | number | boolean | null } | { ref: string } | { template: Template };

export type EdgeKind = 'changed' | 'increased' | 'rising' | 'falling';

export interface Gate {
  /** bool field that must be true */
  while?: string;
  /** bool field that must be false */
  unless?: string;
}

export type CompiledTrigger =
  | { kind: EdgeKind; field: string; baseline?: FieldValue; gate: Gate }
  | { kind: 'every'; periodMs: number; gate: Gate }
  | { kind: 'always'; gate: Gate };

export interface CompiledTiming {
  endEpochSeconds: string;
  endMillis?: string;
  durationMs?: string;
}

export interface CompiledMeasurement {
  when?: string;
  detectorId: Template;
  category: 'gamma' | 'neutron';
  numbers: readonly (readonly [key: MeasurementNumberKey, slot: NumberSlot])[];
  occupied?: BoolSlot;
}

export type MeasurementNumberKey =
  | 'realTimeS' | 'liveTimeS' | 'grossCounts' | 'countRateCps' | 'backgroundRateCps' | 'sigma' | 'thresholdCps' | 'speedKmh';

export interface CompiledFinding {
  when?: string;
  /** a list field: one finding per element */
  each?: string;
  kind: FindingKind;
  name?: Template;
  cas?: Template;
  mixtureFraction?: NumberSlot;
  category?: Category;
  identified?: BoolSlot;
  score?: { value: NumberSlot; method: Template; higherIsBetter: boolean; min?: NumberSlot; max?: NumberSlot };
  detectors?: readonly Template[];
}

export interface CompiledOutcome {
  alarms: readonly { flag: string; category: Category }[];
  indeterminateWhen: readonly string[];
  decisionBy: DecisionBy;
  vendorState?: Template;
}

export interface CompiledBody {
  inspectionId?: Template;
  outcome?: CompiledOutcome;
  measurements?: readonly CompiledMeasurement[];
  findings?: readonly CompiledFinding[];
  fault?: { code: Template; severity?: 'info' | 'warning' | 'critical'; active: BoolSlot; detail?: Template };
  status?: { state: DeviceState; detail?: Template };
  operatorId?: Template;
  algorithm?: { name: Template; version?: Template; settings?: readonly (readonly [string, ScalarSlot])[] };
  device?: readonly (readonly [DeviceKey, Template])[];
  raw?: {
    format?: Template;
    nativeIds?: readonly (readonly [string, Template])[];
    extensions?: readonly (readonly [string, ScalarSlot])[];
  };
}

export type DeviceKey = 'vendor' | 'model' | 'serial' | 'firmware' | 'technique';

export interface CompiledRule {
  id: string;
  eventType: EmitEventType;
  trigger: CompiledTrigger;
  quality: Quality;
  timing?: CompiledTiming;
  body: CompiledBody;
}
