/**
 * What a connector sees of the gateway: a sink. It never sees the pipeline, the outbox or MQTT.
 */
import type { ErrorCode } from '../errors.js';
import type { Frame } from '../adapter/types.js';
import type { DeviceState, JsonValue } from '../schema/detection-event.js';

export interface LinkStatus {
  state: Extract<DeviceState, 'online' | 'offline' | 'degraded'>;
  /** short human text: "connected", "timeout after 1000 ms", ... */
  detail?: string;
  code?: ErrorCode;
}

/** Bytes that arrived but could not be made into a frame (malformed reply, bad framing). */
export interface RejectedInput {
  raw: Buffer;
  code: ErrorCode;
  message: string;
  receivedAt: number;
}

/** What became of a pushed frame, once durable. Connectors that need it (folder, HTTP) act on it. */
export interface PushOutcome {
  /**
   * accepted: events (or only new adapter state) committed; quarantined: the frame, or part of it,
   * is in quarantine; duplicate: the same document was committed before (nothing written);
   * failed: the outbox could not write (nothing durable, the input must be kept and retried)
   */
  status: 'accepted' | 'quarantined' | 'duplicate' | 'failed';
  eventIds: string[];
  /** the first failure, for quarantined and failed */
  reason?: { code: ErrorCode; message: string };
}

export interface Sink<F extends Frame = Frame> {
  /** Resolves once the frame's events (or its quarantine record) are durable. Never rejects. */
  push(frame: F): Promise<PushOutcome>;
  /** Link state side channel; the pipeline turns changes into status events. */
  status(status: LinkStatus): void;
  /** Input that failed below the codec: quarantined with its raw bytes. Resolves once durable. */
  reject(input: RejectedInput): Promise<void>;
  /**
   * The device's adapter state as last committed with its events (loaded from the outbox at start).
   * Connectors that resume from a cursor (HTTP polling) read it here, so the cursor advances
   * only with durable events.
   */
  committedState?(): JsonValue;
}

export interface Connector {
  readonly deviceId: string;
  /** Begins acquisition; resolves once started (not when connected). Reconnects on its own. */
  start(): Promise<void>;
  /** Stops acquisition and closes the link; resolves within its timeout. */
  stop(): Promise<void>;
}
