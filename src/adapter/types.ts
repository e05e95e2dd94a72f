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
  ArtifactKind, DeviceClass, DetectionEvent, JsonValue,
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

/** One framed message from a byte stream (serial line or TCP socket), framing bytes stripped. */
export interface StreamFrame {
  transport: 'serial' | 'tcp-socket';
  /** gateway clock, ms since the epoch, when the frame's last byte arrived */
  receivedAt: number;
  data: Buffer;
}

/** A whole document: a file from a watched folder, or a body posted to the REST ingest API. */
export interface DocumentFrame {
  /** http-poll: a page a polling connector fetched from a vendor's API */
  transport: 'folder' | 'http-push' | 'http-poll';
  receivedAt: number;
  /** file name (folder) or a request id (http-push); for messages, never trusted as a path */
  name: string;
  mediaType?: string;
  data: Buffer;
}

/**
 * One OPC UA notification (src/connectors/opcua.ts): a data change of monitored variables, or one
 * event. Values are already JSON-safe (Int64 as a number when exact, else a decimal string;
 * DateTime as RFC 3339; ByteString as base64; LocalizedText as its text; NodeId as text, with
 * `nsu=<namespace URI>;` instead of a server-specific index), so a codec never meets a
 * node-opcua type and quarantine can keep the frame as JSON.
 */
export interface OpcUaFrame {
  transport: 'opcua';
  receivedAt: number;
  /** 'data-change': the current snapshot of every monitored item (after a change); 'event': one OPC UA event */
  source: 'data-change' | 'event';
  /** monitored values by the name the config/profile gives each node: JSON-safe (numbers, strings, booleans, ISO dates, arrays) */
  values: { [name: string]: JsonValue };
  /**
   * data-change: the names whose value (or quality) changed. The snapshot pushed after each
   * (re)connection lists what differs from the last frame pushed (everything, the first time).
   * event: empty.
   */
  changed: string[];
  /** for events: the selected event fields by name */
  event?: { [name: string]: JsonValue };
  /** server timestamps / status of the changed items, for quality */
  quality: 'good' | 'uncertain' | 'bad';
}

/** The union grows as connectors are added; every member carries `transport`. */
export type Frame = ModbusFrame | StreamFrame | DocumentFrame | OpcUaFrame;

/** Raw bytes of a frame, as kept in quarantine. */
export function frameBytes(frame: Frame): Buffer {
  switch (frame.transport) {
    case 'modbus-tcp':
    case 'modbus-rtu':
      return Buffer.concat(frame.blocks.map((b) => b.data));
    case 'opcua':
      return Buffer.from(JSON.stringify({ source: frame.source, values: frame.values, changed: frame.changed, quality: frame.quality, ...(frame.event ? { event: frame.event } : {}) }), 'utf8');
    default:
      return frame.data;
  }
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
  /** configured overrides of the adapter's class and technique */
  deviceClass?: DeviceClass;
  technique?: string;
  laneId?: string;
  vendor?: string;
  model?: string;
  serial?: string;
  firmware?: string;
}

/** A stored, content-addressed copy of bulk data (the raw document of a result, an image...). */
export interface ArtifactRef {
  sha256: string;
  bytes: number;
  mediaType: string;
  /** served at GET /v1/artifacts/{sha256} */
  uri: string;
}

/** A spectrum handed to the gateway's identification: x ascending or descending, same length as y. */
export interface SpectrumInput {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  xUnits?: string;
  yUnits?: string;
}

export interface IdentificationHit {
  entryId: string;
  name: string;
  cas?: string;
  category: 'narcotic' | 'explosive' | 'precursor' | 'chemical' | 'environmental' | 'benign' | 'other';
  /** correlation hit quality index, r² × 100 */
  hqi: number;
}

/** The gateway's vendor-neutral identification of one spectrum against the shared reference library. */
export interface GatewayIdentification {
  library: { name: string; version: string };
  verdict: 'match' | 'no-match' | 'low-signal';
  /** ranked, best first */
  hits: IdentificationHit[];
  /** a two-component explanation, when it beats the best single hit clearly */
  mixture?: { hqi: number; components: Array<Omit<IdentificationHit, 'hqi'> & { fraction: number }> };
}

export interface CodecContext<O> {
  device: DeviceIdentity;
  options: O;
  /** gateway clock for this frame (ms since the epoch); codecs never read the clock themselves */
  now: number;
  /**
   * For document frames: the frame's bytes, already stored as an artifact by the pipeline before
   * decode, so a pure codec can reference the raw document in the events it makes.
   */
  artifact?: ArtifactRef;
  /**
   * The gateway's own identification against the configured reference library (absent when no
   * library is configured). Deterministic for a given library, so codecs that call it stay pure.
   */
  identify?: (spectrum: SpectrumInput) => GatewayIdentification;
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
  /**
   * Bulk data the event carries (an embedded JCAMP-DX spectrum, an image): the pipeline stores
   * each as a content-addressed artifact and appends its reference to `artifacts`. A codec stays
   * pure: it hands over bytes, never writes them. An attachment that cannot be stored sends the
   * frame to quarantine rather than publishing an event with a dangling reference.
   */
  attachments?: Attachment[];
};

export interface Attachment {
  kind: ArtifactKind;
  mediaType: string;
  data: Buffer;
}

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

/** How a byte stream is cut into frames; shared by the serial and TCP-socket connectors. */
export type Framing =
  | { kind: 'delimiter'; delimiter: string; maxLength: number }
  | { kind: 'fixed-length'; length: number }
  | {
      kind: 'length-prefix';
      /** bytes of the length field, big-endian */
      lengthBytes: 1 | 2 | 4;
      /** bytes before the length field (e.g. an STX) */
      offset: number;
      /** added to the length field's value to get the bytes that follow the field */
      adjust: number;
      maxLength: number;
      /** first byte of every frame (e.g. 0x02, STX): anything else is skipped as garbage (resync) */
      start?: number;
      /** last byte of every frame (e.g. 0x03, ETX): a frame that does not end with it is not one */
      end?: number;
    };

export interface StreamPlan {
  kind: 'stream';
  framing: Framing;
  /** no byte for this long: the link is reported degraded (0 = never) */
  idleTimeoutMs: number;
}

/**
 * How a document adapter's results are fetched by the HTTP polling connector
 * (src/connectors/http-poll.ts): GET {url}?{cursorParam}={cursor}&{limitParam}={limit}. The
 * cursor is the adapter's own: its reducer state carries it as `state.cursor` (a number or a
 * string, the highest result id committed), so it moves only with durable events and a restart
 * resumes from the outbox.
 */
export interface HttpPollPlan {
  /** default poll period; a device's configuration may override it */
  pollIntervalMs: number;
  /** default timeout of one request, body included; a device's configuration may override it */
  timeoutMs: number;
  /** results asked for per page */
  limit: number;
  /** query parameter of the cursor (since_id, since, after...) */
  cursorParam: string;
  /** query parameter of the page size */
  limitParam: string;
}

export interface DocumentPlan {
  kind: 'document';
  /** set when the device's results can be polled over HTTP (the http-poll connector) */
  poll?: HttpPollPlan;
  /** accepted media types (HTTP) */
  mediaTypes: readonly string[];
  /** accepted file name suffixes (folder), lower case, with the dot */
  extensions: readonly string[];
  maxBytes: number;
  /** media type the raw document is stored under as an artifact */
  artifactMediaType: string;
}

/**
 * What an OPC UA adapter monitors (src/connectors/opcua.ts). Node ids and browse paths are text:
 *   nodeId      `ns=2;s=Scanner.State`, `i=2253`, or with the namespace by URI, which does not
 *               depend on the server's namespace order: `nsu=urn:borderlink:sim:xray;s=Scanner.State`
 *   browsePath  browse names from the Objects folder, separated by `/`; each name is `Name`
 *               (namespace 0), `2:Name` (namespace index) or `{urn:borderlink:sim:xray}Name`
 *               (namespace URI); resolved with TranslateBrowsePathsToNodeIds at every connection
 */
export interface OpcUaPlan {
  kind: 'opcua';
  /** one monitored item each; `name` keys the frame's values; exactly one of nodeId and browsePath */
  nodes: Array<{ name: string; nodeId?: string; browsePath?: string; samplingIntervalMs: number; queueSize: number }>;
  /**
   * Events of one notifier (the Server object `i=2253`, or a device object), with the fields
   * selected by browse name (EventId, EventType, Time, Message, Severity, and custom ones written
   * like a browse path, e.g. `{urn:borderlink:sim:xray}ScanId`). A frame keys each field by its
   * name without the namespace (`ScanId`).
   */
  events?: { notifier: string /* nodeId or browse path */; fields: string[] /* browse names of event fields: EventId, EventType, Time, Message, Severity, and custom ones */ };
  publishingIntervalMs: number;
  keepAliveCount: number;
}

export type AcquisitionPlan = ModbusPollPlan | StreamPlan | DocumentPlan | OpcUaPlan;

export interface AdapterDefinition<F extends Frame, R, O, S extends JsonValue> {
  /** stable forever: it is stamped on every event */
  id: string;
  /** semver */
  version: string;
  deviceClass: DeviceClass;
  technique?: string;
  vendor?: string;
  model?: string;
  /**
   * The transport whose frames the codec reads. Modbus adapters serve 'modbus-tcp' and 'modbus-rtu'
   * alike (the same register frames); document adapters serve 'folder' and 'http-push' alike.
   */
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
