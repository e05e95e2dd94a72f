/**
 * The outbox: the gateway's one durable queue, and the event store the read side queries.
 * Any implementation must pass test/contract/outbox-contract.ts.
 */
import type { ErrorCode } from '../errors.js';
import type {
  DetectionEvent, DeviceClass, DeviceState, EventType, JsonValue, OutcomeState,
} from '../schema/detection-event.js';

/** An event ready to store, all but its per-device sequence, which the outbox assigns. */
export type UnsequencedEvent = Omit<DetectionEvent, 'sequence'>;

export interface QuarantineInput {
  deviceId: string;
  adapterId: string;
  adapterVersion: string;
  code: ErrorCode;
  message: string;
  raw: Buffer;
  receivedAt: string;
  detail?: { [key: string]: JsonValue };
}

export interface QuarantineRecord extends QuarantineInput {
  id: number;
}

/** One device's contribution to one transaction. */
export interface AppendBatch {
  deviceId: string;
  events: UnsequencedEvent[];
  /** the adapter state after these events; committed atomically with them */
  state?: JsonValue;
  quarantine?: QuarantineInput[];
  /**
   * An idempotency key for a whole input document (e.g. "sha256:<hex>"): if a batch with the same
   * deviceId and documentKey was committed before, this batch is dropped and `duplicate` is true.
   * Makes folder and HTTP ingest exactly-once across crashes and re-deliveries.
   */
  documentKey?: string;
  /**
   * Past the disk cap (outbox.maxBytes) appends of events are refused with BL_ERR_OUTBOX_FULL;
   * an essential batch is written anyway. Only for the gateway's own link-status events: one
   * per change of a device's link, and what tells consumers why that device's data stopped.
   */
  essential?: boolean;
}

export interface AppendResult {
  /** true when documentKey was already committed: nothing was written */
  duplicate?: boolean;
  events: DetectionEvent[];
  /** the stored rows of those events, in order (their ids drive SSE and the relay) */
  rows: OutboxRow[];
}

export interface OutboxRow {
  /** global insertion order; ordering by it keeps every device's order */
  id: number;
  event: DetectionEvent;
  /** the serialised JSON as stored (publish it as is) */
  json: string;
  createdAtMs: number;
}

export interface EventQuery {
  siteId?: string;
  deviceId?: string;
  deviceClass?: DeviceClass;
  eventType?: EventType;
  outcomeState?: OutcomeState;
  /** RFC 3339; compared with observedAt */
  since?: string;
  until?: string;
  /** only events of `deviceId` with sequence > afterSequence */
  afterSequence?: number;
  /** opaque cursor from a previous page */
  cursor?: string;
  limit: number;
}

export interface EventPage {
  events: DetectionEvent[];
  nextCursor?: string;
}

export interface DeviceRecord {
  id: string;
  deviceClass?: DeviceClass;
  siteId?: string;
  lastSequence: number;
  status?: { state: DeviceState; detail?: string; since: string };
  lastEvent?: DetectionEvent;
  counters: { events: number; quarantined: number };
}

export interface OutboxStats {
  /** events not yet acknowledged by the broker */
  depth: number;
  /** age in seconds of the oldest unacknowledged event, 0 when empty */
  oldestAgeSeconds: number;
}

export interface Outbox {
  /** Appends several devices' batches; resolves when they are durable (one fsync for many). */
  append(batch: AppendBatch): Promise<AppendResult>;
  /** The committed adapter state of a device, or undefined. */
  loadState(deviceId: string): JsonValue | undefined;
  /** The next unacknowledged rows after `afterId`, oldest first. */
  lease(afterId: number, limit: number): OutboxRow[];
  /** Marks rows as acknowledged by the broker. */
  ack(ids: readonly number[]): void;
  /**
   * Hands every row to `listener` once it is durable, in row-id order, synchronously at that
   * moment (the relay publishes from memory instead of reading the rows back). Returns an
   * unsubscribe function. Optional: a relay without it leases everything from the store.
   */
  subscribe?(listener: (rows: readonly OutboxRow[]) => void): () => void;
  stats(nowMs: number): OutboxStats;
  /** Events whose insertion id is greater than `afterId` (for SSE resume), oldest first. */
  eventsAfter(afterId: number, limit: number): OutboxRow[];
  /** The insertion id of an event, for SSE ids. */
  rowIdOf(eventId: string): number | undefined;
  query(q: EventQuery): EventPage;
  get(eventId: string): DetectionEvent | undefined;
  /** The events that list this artifact in event.artifacts, newest first, at most `limit` (agency artifact checks). */
  eventsWithArtifact(sha256: string, limit: number): DetectionEvent[];
  devices(): DeviceRecord[];
  device(id: string): DeviceRecord | undefined;
  quarantine(q: { deviceId?: string; cursor?: string; limit: number }): { items: QuarantineRecord[]; nextCursor?: string };
  integrityCheck(): string;
  close(): Promise<void>;
}
