/**
 * rpm-line-protocol: a gamma/neutron radiation portal monitor that streams one tagged CSV line per
 * message over RS-232 or a TCP socket (dialect and mapping in README.md). Hand-written rather than
 * a profile: assembling an occupancy from its 200 ms sample lines needs code.
 */
import { defineAdapter, type StreamFrame } from '../../src/adapter/types.js';
import { decodeLine, MAX_LINE_BYTES } from './decode-line.js';
import type { LineRecord } from './line-messages.js';
import { initialLineState, type LineOptions, type LineState } from './line-state.js';
import { normaliseLine } from './normalise-line.js';

export default defineAdapter<StreamFrame, LineRecord, LineOptions, LineState>({
  id: 'rpm-line-protocol',
  version: '1.0.0',
  deviceClass: 'radiation-portal-monitor',
  technique: 'gamma-neutron',
  // the frames are the same over a serial line and a TCP socket; the gateway accepts either
  transport: 'serial',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      measurementIntervalMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    },
  },
  acquisition: {
    kind: 'stream',
    // LF, not CRLF: lines end in CRLF, but LF alone is accepted too; decode strips the CR
    framing: { kind: 'delimiter', delimiter: '\n', maxLength: MAX_LINE_BYTES },
    idleTimeoutMs: 15_000,
  },
  initialState: initialLineState,
  decode: (frame) => decodeLine(frame.data),
  normalise: normaliseLine,
});
