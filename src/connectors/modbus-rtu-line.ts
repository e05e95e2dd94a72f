/**
 * One open RS-485 line as the Modbus master sees it: one exchange at a time (half duplex), every
 * received byte kept so a bad reply can be quarantined as it arrived.
 *
 * A reply ends when its own header says it is complete AND the line then stays silent for the
 * inter-frame time. Length first, because USB adapters deliver bytes in bursts (latency timers of
 * ~16 ms) that a silence-only framer would cut mid-frame; silence after, so a reply that is
 * longer than its header says is caught as malformed instead of leaking into the next exchange.
 * A header that names no read function can only be framed by silence.
 */
import { MAX_RTU_ADU_BYTES } from './modbus-rtu-frame.js';
import type { RtuPort, RtuPortEvents } from './rtu-serial-port.js';

/** What an exchange returns; `bytes` is everything received for it (capped), for quarantine. */
export type LineOutcome =
  | { kind: 'frame'; bytes: Buffer }
  | { kind: 'timeout'; bytes: Buffer }
  | { kind: 'closed'; message: string; bytes: Buffer }
  | { kind: 'aborted'; bytes: Buffer };

/** Reply length as its header says: see replyFrameLength in modbus-rtu-frame.ts. */
export type FrameLength = (bytes: Buffer) => number | 'more' | 'unknown';

export interface RtuLine {
  /** The callbacks to open the port with; bytes before attach() are kept as unsolicited. */
  readonly events: RtuPortEvents;
  attach(port: RtuPort): void;
  /** why the port was lost, once it has been */
  readonly lost: string | null;
  /** bytes received outside any exchange and not yet taken */
  unsolicitedBytes(): number;
  /** Writes a request and waits for its reply; never rejects. */
  exchange(request: Buffer, timeoutMs: number, frameLength: FrameLength): Promise<LineOutcome>;
  /** Waits until the line has been silent for `silenceMs` (at most `maxWaitMs`); resolves with what arrived, including unsolicited bytes. */
  resync(silenceMs: number, maxWaitMs: number): Promise<Buffer>;
  /** Ends the exchange in flight now (outcome 'aborted'). */
  abort(): void;
  close(): Promise<void>;
}

/** Past this, bytes are dropped from the capture (a jabbering line must not grow memory). */
const MAX_CAPTURE_BYTES = 8_192;

export function createRtuLine(interFrameMs: number): RtuLine {
  const rx: Buffer[] = [];
  let rxBytes = 0;
  let port: RtuPort | null = null;
  let lost: string | null = null;
  /** the waiter in progress (exchange or resync), told of every chunk and of a loss */
  let onChunk: (() => void) | null = null;
  let onLost: (() => void) | null = null;
  let abortExchange: (() => void) | null = null;

  function peek(): Buffer {
    return rx.length === 1 ? (rx[0] as Buffer) : Buffer.concat(rx);
  }

  function take(): Buffer {
    const all = peek();
    rx.length = 0;
    rxBytes = 0;
    return all;
  }

  const events: RtuPortEvents = {
    data(chunk) {
      if (rxBytes < MAX_CAPTURE_BYTES) {
        const room = MAX_CAPTURE_BYTES - rxBytes;
        const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
        rx.push(kept);
        rxBytes += kept.length;
      }
      onChunk?.();
    },
    lost(reason) {
      if (lost !== null) return;
      lost = reason;
      onLost?.();
    },
  };

  return {
    events,
    attach(p) {
      port = p;
    },
    get lost() {
      return lost;
    },
    unsolicitedBytes: () => (onChunk === null ? rxBytes : 0),

    exchange(request, timeoutMs, frameLength) {
      if (lost !== null || port === null) return Promise.resolve({ kind: 'closed', message: lost ?? 'port not open', bytes: take() });
      const p = port;
      return new Promise<LineOutcome>((resolve) => {
        let silence: NodeJS.Timeout | undefined;
        /** the header's length is in (or cannot be known): the frame ends at the next silence */
        let complete = false;
        const finish = (outcome: LineOutcome): void => {
          clearTimeout(deadline);
          clearTimeout(silence);
          onChunk = null;
          onLost = null;
          abortExchange = null;
          resolve(outcome);
        };
        const check = (): void => {
          if (rxBytes >= MAX_RTU_ADU_BYTES) {
            finish({ kind: 'frame', bytes: take() });
            return;
          }
          const bytes = peek();
          const need = frameLength(bytes);
          complete = need === 'unknown' || (need !== 'more' && bytes.length >= need);
          clearTimeout(silence);
          if (complete) silence = setTimeout(() => finish({ kind: 'frame', bytes: take() }), interFrameMs);
        };
        const deadline = setTimeout(() => {
          // a complete frame still waiting out its trailing silence is a reply, not a timeout
          const bytes = take();
          finish(complete ? { kind: 'frame', bytes } : { kind: 'timeout', bytes });
        }, timeoutMs);
        onChunk = check;
        onLost = () => finish({ kind: 'closed', message: lost ?? 'port lost', bytes: take() });
        abortExchange = () => finish({ kind: 'aborted', bytes: take() });
        if (rxBytes > 0) check();
        p.write(request);
      });
    },

    resync(silenceMs, maxWaitMs) {
      if (lost !== null) return Promise.resolve(take());
      return new Promise<Buffer>((resolve) => {
        const done = (): void => {
          clearTimeout(silence);
          clearTimeout(cap);
          onChunk = null;
          onLost = null;
          resolve(take());
        };
        let silence = setTimeout(done, silenceMs);
        const cap = setTimeout(done, maxWaitMs);
        onChunk = () => {
          clearTimeout(silence);
          silence = setTimeout(done, silenceMs);
        };
        onLost = done;
      });
    },

    abort() {
      abortExchange?.();
    },

    async close() {
      lost ??= 'closed';
      onLost?.();
      const p = port;
      port = null;
      rx.length = 0;
      rxBytes = 0;
      if (p !== null) await p.close();
    },
  };
}
