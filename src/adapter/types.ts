/**
 * The adapter SDK: what an integrator writes (or what compile-profile produces from profile.yaml).
 *
 * Deviation from ARCHITECTURE.md, on purpose: `normalise` is a reducer. It takes the device's
 * adapter state and returns the next one along with the drafts. Occupancy assembly, edge
 * detection (fault raised / cleared) and throttling all need memory of earlier frames; keeping
 * that memory as an explicit, JSON-serialisable value keeps the codec pure and lets the outbox
 * commit the new state in the same transaction as the events it produced, so a crash can
 * neither emit an occupancy twice nor forget one.
 */
import type { ErrorCode } from '../errors.js';
import type {
  DeviceClass, DetectionEvent, JsonValue,
} from '../schema/detection-event.js';

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const fail = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

export type TransportKind =
  | 'modbus-tcp' | 'modbus-rtu' | 'serial' | 'tcp-socket' | 'opcua' | 'http-poll' | 'http-push' | 'folder';

export type ModbusTable = 'holding' | 'input' | 'coil' | 'discrete';

/** One Modbus read as it came off the wire. */
export interface ModbusBlock {
  table: ModbusTable;
  address: number;
  /** registers for holding/input, bits for coil/discrete */
  count: number;
  /** The reply's data bytes: registers big-endian, 2 bytes each; bits packed LSB first. */
  data: Buffer;
}

export interface ModbusFrame {
  transport: 'modbus-tcp' | 'modbus-rtu';
  unitId: number;
  /** gateway clock, ms since the epoch, when the last block of this poll arrived */
  receivedAt: number;
  blocks: ModbusBlock[];
}

/** The union grows as connectors are added; every member carries `transport`. */
export type Frame = ModbusFrame;

/** Raw bytes of a frame, as kept in quarantine. */
export function frameBytes(frame: Frame): Buffer {
  return Buffer.concat(frame.blocks.map((b) => b.data));
}

export interface DecodeFailure {
  code: ErrorCode;
  message: string;
  detail?: { [key: string]: JsonValue };
}

/** What the gateway knows about a device from its configuration. */
export interface DeviceIdentity {
  id: string;
  siteId: string;
  laneId?: string;
  vendor?: string;
  model?: string;
  serial?: string;
  firmware?: string;
}

export interface CodecContext<O> {
  device: DeviceIdentity;
  options: O;
  /** gateway clock for this frame (ms since the epoch); codecs never read the clock themselves */
  now: number;
}

/**
 * An event as an adapter produces it. The pipeline adds the envelope: eventId, schemaVersion,
 * receivedAt, sequence, and the parts of `source` that come from configuration and the adapter.
 * `source` here may carry what the device itself reports (model, firmware, algorithm...).
 */
export type EventDraft = Omit<DetectionEvent, 'eventId' | 'schemaVersion' | 'receivedAt' | 'sequence' | 'source'> & {
  source?: {
    device?: Partial<Omit<DetectionEvent['source']['device'], 'id' | 'class'>>;
    algorithm?: DetectionEvent['source']['algorithm'];
    operatorId?: string;
  };
};

export interface ModbusRead {
  table: ModbusTable;
  address: number;
  count: number;
}

export interface ModbusPollPlan {
  kind: 'modbus-poll';
  pollIntervalMs: number;
  timeoutMs: number;
  /** Adjacent and overlapping fields already merged: one entry is one request. */
  reads: ModbusRead[];
}

export type AcquisitionPlan = ModbusPollPlan;

export interface AdapterDefinition<F extends Frame, R, O, S extends JsonValue> {
  /** stable forever: it is stamped on every event */
  id: string;
  /** semver */
  version: string;
  deviceClass: DeviceClass;
  technique?: string;
  vendor?: string;
  model?: string;
  transport: F['transport'];
  /** JSON Schema for per-device `options`, checked at config load */
  optionsSchema: { [key: string]: JsonValue };
  acquisition: AcquisitionPlan;
  initialState(): S;
  decode(frame: F, ctx: CodecContext<O>): Result<R[], DecodeFailure>;
  normalise(record: R, state: S, ctx: CodecContext<O>): Result<{ drafts: EventDraft[]; state: S }, DecodeFailure>;
}

/** The erased form the runtime holds in its registry. */
export type AnyAdapter = AdapterDefinition<Frame, unknown, unknown, JsonValue>;

export const defineAdapter = <F extends Frame, R, O, S extends JsonValue>(
  d: AdapterDefinition<F, R, O, S>,
): AdapterDefinition<F, R, O, S> => d;
