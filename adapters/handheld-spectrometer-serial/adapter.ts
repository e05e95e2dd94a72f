/**
 * handheld-spectrometer-serial: a handheld Raman or FTIR identifier docked over RS-232 or USB-CDC
 * (or a serial device server over TCP), speaking the HSX-1 framed protocol (README.md).
 */
import { defineAdapter, type StreamFrame } from '../../src/adapter/types.js';
import { decodeFrame, ETX, FRAME_OVERHEAD, MAX_PAYLOAD, STX } from './hsx-frame.js';
import { parseMessage, type HsxMessage } from './hsx-message.js';
import { initialHsxState, normaliseHsx, type HsxOptions, type HsxState } from './normalise-hsx.js';

export default defineAdapter<StreamFrame, HsxMessage, HsxOptions, HsxState>({
  id: 'handheld-spectrometer-serial',
  version: '1.0.0',
  deviceClass: 'spectrometer',
  technique: 'raman',
  transport: 'serial',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { batteryLowPercent: { type: 'integer', minimum: 0, maximum: 95 } },
  },
  acquisition: {
    kind: 'stream',
    // STX | LEN u16 | payload | CRC u16 | ETX: 3 bytes follow the payload the length counts
    framing: { kind: 'length-prefix', lengthBytes: 2, offset: 1, adjust: 3, maxLength: MAX_PAYLOAD + FRAME_OVERHEAD, start: STX, end: ETX },
    // the device sends a heartbeat every 5 s while docked
    idleTimeoutMs: 20_000,
  },
  initialState: initialHsxState,
  decode(frame) {
    const payload = decodeFrame(frame.data);
    if (!payload.ok) return payload;
    const m = parseMessage(payload.value);
    return m.ok ? { ok: true, value: [m.value] } : m;
  },
  normalise: normaliseHsx,
});
