/**
 * Runs a golden case through an adapter exactly as the pipeline does (decode, then normalise
 * each record with the state carried from frame to frame), stopping at the first failure.
 */
import type { AnyAdapter, CodecContext, DeviceIdentity, EventDraft, Frame, OpcUaFrame } from '../../src/adapter/types.js';
import type { JsonValue } from '../../src/schema/detection-event.js';
import { toModbusFrame, type FrameFixture } from './modbus-image.js';
import { toStreamFrame, type StreamFrameFixture } from './stream-fixture.js';
import { documentArtifact, toDocumentFrame, type DocumentFrameFixture } from './document-fixture.js';
import { createHash } from 'node:crypto';
import { DEFAULT_LIBRARY_DIR, loadLibrary, type ReferenceLibrary } from '../../src/identify/library.js';
import { identify } from '../../src/identify/match.js';

let seedLibrary: ReferenceLibrary | undefined;
/** The gateway's identification against the seed library, as the daemon hands it to spectrometer codecs. */
export function seedIdentify(): NonNullable<CodecContext<unknown>['identify']> {
  if (!seedLibrary) {
    const r = loadLibrary(DEFAULT_LIBRARY_DIR());
    if (!r.ok) throw new Error(r.error.message);
    seedLibrary = r.value;
  }
  const lib = seedLibrary;
  return (s) => identify(lib, s);
}

/** As the pipeline does: attachments become artifact references (content-addressed). */
export function withAttachmentsStored(d: EventDraft): EventDraft {
  const { attachments, ...rest } = d;
  if (!attachments || attachments.length === 0) return rest;
  const refs = [...(rest.artifacts ?? [])];
  for (const a of attachments) {
    const sha256 = createHash('sha256').update(a.data).digest('hex');
    if (!refs.some((r) => r.sha256 === sha256)) refs.push({ kind: a.kind, mediaType: a.mediaType, uri: `/v1/artifacts/${sha256}`, sha256, bytes: a.data.length });
  }
  return { ...rest, artifacts: refs };
}

/** One frame of a golden input.json: a Modbus poll, a framed message of a byte stream, a document file, or an OPC UA frame as is (it is JSON). */
export type GoldenFrameFixture = FrameFixture | StreamFrameFixture | DocumentFrameFixture | OpcUaFrame;

/** The fixture as the frame the adapter's transport delivers. */
export function toGoldenFrame(adapter: AnyAdapter, fixture: GoldenFrameFixture, caseDir?: string): Frame {
  const t = adapter.transport;
  if (t === 'folder' || t === 'http-push' || t === 'http-poll') return toDocumentFrame(fixture as DocumentFrameFixture, t, caseDir);
  if (t === 'serial' || t === 'tcp-socket') return toStreamFrame(fixture as StreamFrameFixture, t);
  if (t === 'opcua') return { ...(fixture as OpcUaFrame), transport: 'opcua' };
  return toModbusFrame(fixture as FrameFixture, t as 'modbus-tcp' | 'modbus-rtu');
}

export const GOLDEN_DEVICE: DeviceIdentity = { id: 'golden-device', siteId: 'XXGLD' };

export interface GoldenFailure {
  code: string;
  /** index of the frame that failed */
  frame: number;
  message: string;
  detail?: { [key: string]: JsonValue };
}

export interface GoldenRun {
  drafts: EventDraft[];
  failure?: GoldenFailure;
  state: JsonValue;
}

/** `caseDir` resolves document fixtures (document adapters only). */
export function runGoldenCase(adapter: AnyAdapter, frames: readonly GoldenFrameFixture[], options: unknown = {}, caseDir?: string): GoldenRun {
  let state = adapter.initialState();
  const drafts: EventDraft[] = [];
  for (const [i, fixture] of frames.entries()) {
    const frame = toGoldenFrame(adapter, fixture, caseDir);
    const ctx: CodecContext<unknown> = { device: GOLDEN_DEVICE, options, now: frame.receivedAt };
    if (adapter.deviceClass === 'spectrometer') ctx.identify = seedIdentify();
    // as the pipeline does: a document is stored as an artifact before decode
    if (frame.transport === 'folder' || frame.transport === 'http-push' || frame.transport === 'http-poll') ctx.artifact = documentArtifact(frame, adapter.acquisition);
    const decoded = adapter.decode(frame, ctx);
    if (!decoded.ok) return { drafts, state, failure: { ...decoded.error, frame: i } };
    for (const record of decoded.value) {
      const n = adapter.normalise(record, state, ctx);
      if (!n.ok) return { drafts, state, failure: { ...n.error, frame: i } };
      state = n.value.state;
      drafts.push(...n.value.drafts.map(withAttachmentsStored));
    }
  }
  return { drafts, state };
}
