/**
 * Runs a golden case through an adapter exactly as the pipeline does (decode, then normalise
 * each record with the state carried from frame to frame), stopping at the first failure.
 */
import type { AnyAdapter, CodecContext, DeviceIdentity, EventDraft } from '../../src/adapter/types.js';
import type { JsonValue } from '../../src/schema/detection-event.js';
import { toModbusFrame, type FrameFixture } from './modbus-image.js';

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

export function runGoldenCase(adapter: AnyAdapter, frames: readonly FrameFixture[], options: unknown = {}): GoldenRun {
  let state = adapter.initialState();
  const drafts: EventDraft[] = [];
  for (const [i, fixture] of frames.entries()) {
    const frame = toModbusFrame(fixture, adapter.transport as 'modbus-tcp' | 'modbus-rtu');
    const ctx: CodecContext<unknown> = { device: GOLDEN_DEVICE, options, now: frame.receivedAt };
    const decoded = adapter.decode(frame, ctx);
    if (!decoded.ok) return { drafts, state, failure: { ...decoded.error, frame: i } };
    for (const record of decoded.value) {
      const n = adapter.normalise(record, state, ctx);
      if (!n.ok) return { drafts, state, failure: { ...n.error, frame: i } };
      state = n.value.state;
      drafts.push(...n.value.drafts);
    }
  }
  return { drafts, state };
}
