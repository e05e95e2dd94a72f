/**
 * decode -> normalise -> validate -> outbox, per device, behind the Sink a connector is handed.
 * Failures go sideways into quarantine with the raw bytes; nothing is thrown upstream and nothing
 * is dropped silently. A device's frames are processed strictly one after another (its adapter
 * state is a reducer), devices run side by side and meet in the outbox's group commit.
 */
import type { Logger } from 'pino';
import { frameBytes, type AnyAdapter, type CodecContext, type DecodeFailure, type DeviceIdentity, type EventDraft, type Frame } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import { isoTime } from '../clock.js';
import { BorderlinkError, describeError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { AppendBatch, Outbox, OutboxRow, QuarantineInput, UnsequencedEvent } from '../outbox/types.js';
import type { ArtifactStore } from '../artifacts/types.js';
import type { LinkStatus, PushOutcome, RejectedInput, Sink } from '../connectors/types.js';
import type { JsonValue, Sharing } from '../schema/detection-event.js';
import { buildEnvelope } from './envelope.js';

export interface EventValidatorLike {
  validate(e: unknown): { ok: true } | { ok: false; errors: string[] };
}

export interface PipelineDeps {
  gatewayId: string;
  outbox: Outbox;
  validator: EventValidatorLike;
  newEventId: () => string;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  /** called after events are durable (relay wake-up, SSE fan-out) */
  onDurable: (rows: readonly OutboxRow[]) => void;
  /** where document frames are kept before decode (required for document adapters) */
  artifacts?: ArtifactStore;
  /** the gateway's identification against the reference library, handed to codecs (spectrometers) */
  identify?: CodecContext<unknown>['identify'];
  /** the event's `sharing` label (multi-agency policies), set before validation and the commit */
  label?: (event: UnsequencedEvent) => Sharing | undefined;
}

export interface DevicePipeline extends Sink<Frame> {
  /** resolves when every push and status accepted so far is durable */
  drain(): Promise<void>;
  /**
   * An event the gateway itself makes for this device (an operator's decision posted over REST):
   * enveloped, labelled, validated and committed in the device's order, like a decoded frame.
   */
  record(draft: EventDraft): Promise<PushOutcome>;
}

export interface Pipeline {
  forDevice(device: DeviceIdentity, adapter: AnyAdapter, options: unknown): DevicePipeline;
  drain(): Promise<void>;
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const devices: DevicePipeline[] = [];
  return {
    forDevice(device, adapter, options) {
      const p = createDevicePipeline(deps, device, adapter, options);
      devices.push(p);
      return p;
    },
    async drain() {
      await Promise.all(devices.map((d) => d.drain()));
    },
  };
}

/**
 * Transports whose frames cannot wait when the outbox is full: stream bytes (serial, TCP) and
 * OPC UA notifications are not sent again, so past the cap such a frame is quarantined with its
 * raw bytes (BL_ERR_OUTBOX_FULL) instead of being refused. Everything else can wait: a Modbus
 * poll is skipped (the device keeps its registers), an HTTP poll backs off, a folder keeps the
 * file, an HTTP client gets 503 + Retry-After.
 */
const CANNOT_WAIT: ReadonlySet<Frame['transport']> = new Set<Frame['transport']>(['serial', 'tcp-socket', 'opcua']);

const isFull = (e: unknown): e is BorderlinkError => e instanceof BorderlinkError && e.code === 'BL_ERR_OUTBOX_FULL';

function createDevicePipeline(deps: PipelineDeps, device: DeviceIdentity, adapter: AnyAdapter, options: unknown): DevicePipeline {
  const { outbox, logger, metrics } = deps;
  const log = logger.child({ device: device.id, adapter: adapter.id });
  let state: JsonValue = outbox.loadState(device.id) ?? adapter.initialState();
  let chain: Promise<void> = Promise.resolve();
  let linkState: LinkStatus['state'] | undefined;
  /** BL_ERR_OUTBOX_FULL is logged once per run of refusals, not per frame */
  let fullLogged = false;

  const quarantineRecord = (raw: Buffer, f: DecodeFailure, receivedAt: number): QuarantineInput => ({
    deviceId: device.id,
    adapterId: adapter.id,
    adapterVersion: adapter.version,
    code: f.code,
    message: f.message,
    raw,
    receivedAt: isoTime(receivedAt),
    ...(f.detail ? { detail: f.detail } : {}),
  });

  const commit = async (batch: AppendBatch, startedAt: number): Promise<{ duplicate: boolean }> => {
    try {
      const result = await outbox.append(batch);
      metrics.ingestLatency.observe((deps.clock.now() - startedAt) / 1000);
      if (result.duplicate === true) return { duplicate: true };
      for (const e of result.events) metrics.eventsPersisted.inc({ device: device.id, event_type: e.eventType });
      for (const q of batch.quarantine ?? []) metrics.quarantined.inc({ device: device.id, code: q.code });
      if (result.rows.length > 0) deps.onDurable(result.rows);
      return { duplicate: false };
    } catch (e) {
      // The outbox could not write: the frame is not durable. Say so loudly (the cap once per
      // episode: it is announced by the outbox itself); the connector carries on and the next poll
      // brings fresh data (nothing was acknowledged to the device).
      if (!isFull(e)) log.error({ err: describeError(e) }, 'outbox append failed');
      else if (!fullLogged) {
        fullLogged = true;
        log.warn({ code: e.code }, 'outbox full: this device is held back or quarantined');
      }
      throw e;
    }
  };

  /**
   * The outbox refused a frame's events at its cap. A frame that can wait is refused (`failed`, the
   * connector retries or skips); one that cannot is quarantined whole, raw bytes kept, on the
   * quarantine's own budget; the adapter state does not move, as for any frame not stored.
   */
  const whenFull = async (frame: Frame, raw: Buffer, refused: BorderlinkError, events: number): Promise<PushOutcome> => {
    const reason = { code: 'BL_ERR_OUTBOX_FULL' as const, message: refused.message };
    if (!CANNOT_WAIT.has(frame.transport)) return { status: 'failed', eventIds: [], reason };
    const record = quarantineRecord(raw, {
      code: 'BL_ERR_OUTBOX_FULL',
      message: `outbox at its size cap: frame of ${events} event(s) kept raw in quarantine`,
      detail: { events, transport: frame.transport },
    }, frame.receivedAt);
    try {
      await commit({ deviceId: device.id, events: [], quarantine: [record] }, frame.receivedAt);
    } catch (e) {
      // the quarantine budget is spent too: the connector must hold the frame (a stream pauses)
      return { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_FULL', message: describeError(e).message } };
    }
    return { status: 'quarantined', eventIds: [], reason };
  };

  const envelope = (draft: EventDraft, receivedAt: number): UnsequencedEvent => {
    const event = buildEnvelope({ draft, device, adapter, gatewayId: deps.gatewayId, eventId: deps.newEventId(), receivedAt });
    const sharing = deps.label?.(event);
    return sharing === undefined ? event : { ...event, sharing };
  };

  const validate = (e: UnsequencedEvent): string[] => {
    const r = deps.validator.validate({ ...e, sequence: 1 });
    return r.ok ? [] : r.errors;
  };

  /** Document frames are kept as artifacts before decode, so events can reference the raw input. */
  const storeDocument = async (frame: Frame): Promise<CodecContext<unknown>['artifact'] | DecodeFailure> => {
    if (frame.transport !== 'folder' && frame.transport !== 'http-push' && frame.transport !== 'http-poll') return undefined;
    const plan = adapter.acquisition;
    if (!deps.artifacts || plan.kind !== 'document') return undefined;
    try {
      return await deps.artifacts.put(frame.data, frame.mediaType ?? plan.artifactMediaType);
    } catch (e) {
      const d = describeError(e);
      return { code: d.code === 'BL_ERR_ARTIFACT_TOO_LARGE' ? 'BL_ERR_ARTIFACT_TOO_LARGE' : 'BL_ERR_ARTIFACT_WRITE', message: d.message };
    }
  };

  /** Stores a draft's attachments as artifacts and swaps them for references. */
  const storeAttachments = async (draft: EventDraft): Promise<EventDraft | DecodeFailure> => {
    const { attachments, ...rest } = draft;
    if (!attachments || attachments.length === 0) return rest;
    if (!deps.artifacts) return { code: 'BL_ERR_ARTIFACT_WRITE', message: 'the event carries attachments but no artifact store is configured' };
    const refs = [...(rest.artifacts ?? [])];
    for (const a of attachments) {
      try {
        const r = await deps.artifacts.put(a.data, a.mediaType);
        if (!refs.some((x) => x.sha256 === r.sha256)) refs.push({ kind: a.kind, mediaType: r.mediaType, uri: r.uri, sha256: r.sha256, bytes: r.bytes });
      } catch (e) {
        const d = describeError(e);
        return { code: d.code === 'BL_ERR_ARTIFACT_TOO_LARGE' ? 'BL_ERR_ARTIFACT_TOO_LARGE' : 'BL_ERR_ARTIFACT_WRITE', message: d.message };
      }
    }
    return { ...rest, artifacts: refs };
  };

  const processFrame = async (frame: Frame): Promise<PushOutcome> => {
    metrics.framesReceived.inc({ device: device.id });
    const raw = frameBytes(frame);
    const quarantine: QuarantineInput[] = [];
    const events: UnsequencedEvent[] = [];
    let next = state;
    const stored = await storeDocument(frame);
    const ctx: CodecContext<unknown> = { device, options, now: frame.receivedAt };
    if (deps.identify) ctx.identify = deps.identify;
    if (stored && 'sha256' in stored) ctx.artifact = stored;
    const decoded = stored && 'code' in stored ? { ok: false as const, error: stored } : guard(() => adapter.decode(frame, ctx));
    if (!decoded.ok) {
      quarantine.push(quarantineRecord(raw, decoded.error, frame.receivedAt));
    } else {
      for (const record of decoded.value) {
        const n = guard(() => adapter.normalise(record, next, ctx));
        if (!n.ok) {
          quarantine.push(quarantineRecord(raw, n.error, frame.receivedAt));
          continue;
        }
        const drafts: EventDraft[] = [];
        let attachFailure: DecodeFailure | undefined;
        for (const d of n.value.drafts) {
          const stored = await storeAttachments(d);
          if ('code' in stored) { attachFailure = stored; break; }
          drafts.push(stored);
        }
        if (attachFailure) {
          quarantine.push(quarantineRecord(raw, attachFailure, frame.receivedAt));
          continue;
        }
        next = n.value.state;
        for (const draft of drafts) {
          const event = envelope(draft, frame.receivedAt);
          const errors = validate(event);
          if (errors.length > 0) {
            quarantine.push(quarantineRecord(raw, { code: 'BL_ERR_SCHEMA_VIOLATION', message: `event does not satisfy detection-event v1: ${errors.slice(0, 5).join('; ')}`, detail: { errors: errors.slice(0, 20), eventType: draft.eventType } }, frame.receivedAt));
          } else {
            events.push(event);
          }
        }
      }
    }
    for (const q of quarantine) log.warn({ code: q.code, reason: q.message, bytes: q.raw.length }, 'input quarantined');
    const first = quarantine[0];
    const reason = first ? { code: first.code, message: first.message } : undefined;
    const eventIds = events.map((e) => e.eventId);
    if (events.length === 0 && quarantine.length === 0 && next === state) return { status: 'accepted', eventIds };
    const documentKey = ctx.artifact ? `sha256:${ctx.artifact.sha256}` : undefined;
    let duplicate: boolean;
    try {
      ({ duplicate } = await commit({ deviceId: device.id, events, state: next, quarantine, ...(documentKey ? { documentKey } : {}) }, frame.receivedAt));
    } catch (e) {
      if (isFull(e)) return whenFull(frame, raw, e, events.length);
      const d = describeError(e);
      return { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: d.message } };
    }
    fullLogged = false;
    if (duplicate) return { status: 'duplicate', eventIds: [] };
    state = next;
    if (events.length === 0 && reason) return { status: 'quarantined', eventIds, reason };
    return reason ? { status: 'accepted', eventIds, reason } : { status: 'accepted', eventIds };
  };

  const processStatus = async (s: LinkStatus): Promise<void> => {
    if (s.state === linkState) return;
    linkState = s.state;
    metrics.setDeviceState(device.id, s.state);
    const now = deps.clock.now();
    const draft: EventDraft = {
      eventType: 'status',
      observedAt: isoTime(now),
      quality: 'good',
      status: { state: s.state, since: isoTime(now), ...(s.detail ? { detail: s.detail } : {}) },
      // marks link-state events (made by the gateway) apart from status the device itself reports
      raw: { format: 'link-status', ...(s.code ? { extensions: { code: s.code } } : {}) },
    };
    const event = envelope(draft, now);
    const errors = validate(event);
    if (errors.length > 0) {
      log.error({ errors }, 'status event failed validation');
      return;
    }
    // essential: written past the disk cap, so consumers learn why a device went quiet
    await commit({ deviceId: device.id, events: [event], essential: true }, now);
  };

  const processReject = async (r: RejectedInput): Promise<void> => {
    await commit({ deviceId: device.id, events: [], quarantine: [quarantineRecord(r.raw, { code: r.code, message: r.message }, r.receivedAt)] }, r.receivedAt);
    log.warn({ code: r.code, reason: r.message, bytes: r.raw.length }, 'input quarantined');
  };

  /** Serialises work per device; a failed step is logged and does not poison the chain. */
  const enqueue = (work: () => Promise<void>): Promise<void> => {
    const run = chain.then(work);
    chain = run.catch(() => undefined);
    return run.catch(() => undefined);
  };

  return {
    push: (frame) => {
      let outcome: PushOutcome = { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_ADAPTER_THREW', message: 'frame was not processed' } };
      return enqueue(async () => {
        outcome = await processFrame(frame);
      }).then(() => outcome);
    },
    reject: (input) => enqueue(() => processReject(input)),
    status: (s) => {
      void enqueue(() => processStatus(s));
    },
    drain: () => chain,
    committedState: () => state,
    record: (draft) => {
      let outcome: PushOutcome = { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: 'event was not recorded' } };
      return enqueue(async () => {
        const now = deps.clock.now();
        const event = envelope(draft, now);
        const errors = validate(event);
        if (errors.length > 0) {
          outcome = { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_SCHEMA_VIOLATION', message: `event does not satisfy detection-event v1: ${errors.slice(0, 5).join('; ')}` } };
          return;
        }
        try {
          await commit({ deviceId: device.id, events: [event] }, now);
          outcome = { status: 'accepted', eventIds: [event.eventId] };
        } catch (e) {
          outcome = { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: describeError(e).message } };
        }
      }).then(() => outcome);
    },
  };
}

/** Adapters must return failures, not throw; if one throws anyway, it becomes a coded failure. */
function guard<T>(fn: () => { ok: true; value: T } | { ok: false; error: DecodeFailure }): { ok: true; value: T } | { ok: false; error: DecodeFailure } {
  try {
    return fn();
  } catch (e) {
    return { ok: false, error: { code: 'BL_ERR_ADAPTER_THREW', message: `adapter threw: ${describeError(e).message}` } };
  }
}
