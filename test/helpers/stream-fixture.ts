/**
 * Golden inputs for stream adapters (serial line, TCP socket): one entry per frame, as the framer
 * hands it over (delimiter stripped). `line` is readable text (latin1, one byte per character);
 * `hex` is for bytes no text shows well (control characters, binary framings).
 */
import type { StreamFrame } from '../../src/adapter/types.js';

export type StreamFrameFixture =
  | { receivedAt: number; line: string }
  | { receivedAt: number; hex: string };

export function toStreamFrame(f: StreamFrameFixture, transport: StreamFrame['transport']): StreamFrame {
  return {
    transport,
    receivedAt: f.receivedAt,
    data: 'line' in f ? Buffer.from(f.line, 'latin1') : Buffer.from(f.hex, 'hex'),
  };
}
