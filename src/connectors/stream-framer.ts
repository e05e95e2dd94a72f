/**
 * Cuts a byte stream into frames, incrementally: bytes arrive in arbitrary chunks (a serial read
 * returns whatever the UART had, TCP coalesces and splits at will), and the same bytes must give
 * the same outputs however they were split. Pure: no I/O, no timers, no clock.
 *
 * What a frame holds, per framing:
 *   delimiter      the message without its delimiter (the delimiter is framing, not content);
 *                  an empty message (two delimiters in a row, a blank line) is no frame
 *   fixed-length   the whole frame
 *   length-prefix  the whole frame, prefix included: codecs verify checksums that usually cover
 *                  the header and the length field, so they need them
 * Output buffers are copies: they never alias the chunks pushed in.
 *
 * Bytes that cannot be framed are never silently dropped: they come out, in stream order, as
 * `garbage` records (the connector quarantines them). Memory stays bounded: the framer holds at
 * most about maxLength bytes (2 x maxLength for length-prefix: skipped bytes plus a partial
 * frame) between pushes, and no record is longer than maxLength, so an endless flood without a
 * delimiter becomes a steady series of bounded garbage records, not a growing buffer.
 *   delimiter      a message longer than maxLength is garbage up to the next delimiter, where the
 *                  framer is in step again
 *   length-prefix  a length field that gives a frame over maxLength (or under its own header)
 *                  cannot be trusted: one byte is skipped and the next position is tried, until a
 *                  plausible prefix is found. With `start` (an STX) and `end` (an ETX) set, a
 *                  position must also begin with the start byte and the frame end with the end
 *                  byte, which makes resynchronisation quick; a plausible-but-wrong length can still
 *                  yield a bad frame: the codec's checksum catches that.
 *   fixed-length   every byte belongs to some frame; nothing is garbage until the stream ends
 * flush() hands back what is held (a partial frame when the link dropped) as garbage.
 *
 * The delimiter string is taken byte per character (latin1), so "\r\n", "\x03" or "\xff" mean
 * exactly those bytes whatever the source encoding.
 */
import type { Framing } from '../adapter/types.js';
import { BorderlinkError } from '../errors.js';

export type FramerOutput =
  | { kind: 'frame'; data: Buffer }
  | { kind: 'garbage'; data: Buffer; reason: string };

export interface Framer {
  /** Takes the next chunk of the stream; returns the frames and garbage it completes, in order. */
  push(chunk: Buffer): FramerOutput[];
  /** The stream ended (link lost, stop): whatever is held comes back as garbage; the framer starts fresh. */
  flush(): FramerOutput[];
  /** Forgets what is held, unreported. For a stream known to start clean; connectors use flush(). */
  reset(): void;
  /** bytes held back waiting for the rest of a frame */
  readonly pending: number;
}

/** Largest frame any framing may be configured for: a stream message, not a document. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const REASON_INCOMPLETE = 'incomplete frame when the stream ended';

/** An append-only byte buffer with a consumed front; appends and compaction are amortised O(1) per byte. */
interface Accumulator {
  append(chunk: Buffer): void;
  /** the unconsumed bytes (a view, valid until the next append) */
  view(): Buffer;
  consume(n: number): void;
  clear(): void;
  readonly length: number;
}

/** A buffer this large that has been emptied is released rather than kept for reuse. */
const RETAIN_CAPACITY = 64 * 1024;

function createAccumulator(): Accumulator {
  let buf = Buffer.alloc(0);
  let start = 0;
  let end = 0;
  return {
    append(chunk) {
      if (chunk.length === 0) return;
      if (end + chunk.length > buf.length) {
        const live = end - start;
        // Compact in place only while that leaves half the buffer free: each compaction is then
        // paid for by at least as many appended bytes.
        if (live + chunk.length <= buf.length / 2) {
          buf.copyWithin(0, start, end);
        } else {
          const next = Buffer.allocUnsafe(Math.max(buf.length * 2, (live + chunk.length) * 2, 256));
          buf.copy(next, 0, start, end);
          buf = next;
        }
        start = 0;
        end = live;
      }
      chunk.copy(buf, end);
      end += chunk.length;
    },
    view() {
      return buf.subarray(start, end);
    },
    consume(n) {
      start += n;
      if (start >= end) {
        start = 0;
        end = 0;
        if (buf.length > RETAIN_CAPACITY) buf = Buffer.alloc(0);
      }
    },
    clear() {
      start = 0;
      end = 0;
      if (buf.length > RETAIN_CAPACITY) buf = Buffer.alloc(0);
    },
    get length() {
      return end - start;
    },
  };
}

function configError(message: string, framing: Framing): BorderlinkError {
  return new BorderlinkError('BL_ERR_CONFIG_INVALID', message, { detail: { framing } });
}

function isIntIn(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

/** Pushes `data` as garbage records of at most `max` bytes each. */
function pushGarbage(out: FramerOutput[], data: Buffer, max: number, reason: string): void {
  for (let i = 0; i < data.length; i += max) {
    out.push({ kind: 'garbage', data: Buffer.from(data.subarray(i, Math.min(i + max, data.length))), reason });
  }
}

function flushAll(acc: Accumulator, max: number): FramerOutput[] {
  const out: FramerOutput[] = [];
  pushGarbage(out, acc.view(), max, REASON_INCOMPLETE);
  acc.clear();
  return out;
}

function delimiterFramer(framing: Extract<Framing, { kind: 'delimiter' }>): Framer {
  const { delimiter, maxLength } = framing;
  if (typeof delimiter !== 'string' || delimiter.length === 0 || [...delimiter].some((c) => c.charCodeAt(0) > 0xff)) {
    throw configError('delimiter framing needs a non-empty delimiter of byte characters (\\x00-\\xff)', framing);
  }
  if (!isIntIn(maxLength, 1, MAX_FRAME_BYTES)) {
    throw configError(`delimiter framing maxLength must be 1..${MAX_FRAME_BYTES}`, framing);
  }
  const delim = Buffer.from(delimiter, 'latin1');
  const dlen = delim.length;
  const overlong = `message longer than maxLength ${maxLength} bytes, discarded up to the next delimiter`;
  const acc = createAccumulator();
  /** where the next delimiter search starts: bytes before it are known to hold no delimiter start */
  let scanFrom = 0;
  /** inside a message already reported as over-long */
  let discarding = false;

  return {
    push(chunk) {
      acc.append(chunk);
      const out: FramerOutput[] = [];
      for (;;) {
        const view = acc.view();
        const idx = view.indexOf(delim, scanFrom);
        if (idx === -1) {
          scanFrom = Math.max(0, view.length - dlen + 1);
          // No delimiter starts at or before maxLength: the message is over-long for sure.
          if (view.length < maxLength + dlen) break;
          pushGarbage(out, view.subarray(0, maxLength), maxLength, overlong);
          acc.consume(maxLength);
          scanFrom = Math.max(0, scanFrom - maxLength);
          discarding = true;
          continue;
        }
        const message = view.subarray(0, idx);
        if (discarding || idx > maxLength) pushGarbage(out, message, maxLength, overlong);
        else if (idx > 0) out.push({ kind: 'frame', data: Buffer.from(message) });
        acc.consume(idx + dlen);
        scanFrom = 0;
        discarding = false;
      }
      return out;
    },
    flush() {
      const out: FramerOutput[] = [];
      // the tail of an over-long message keeps that reason; anything else is a cut-off message
      pushGarbage(out, acc.view(), maxLength, discarding ? overlong : REASON_INCOMPLETE);
      acc.clear();
      scanFrom = 0;
      discarding = false;
      return out;
    },
    reset() {
      acc.clear();
      scanFrom = 0;
      discarding = false;
    },
    get pending() {
      return acc.length;
    },
  };
}

function fixedLengthFramer(framing: Extract<Framing, { kind: 'fixed-length' }>): Framer {
  const { length } = framing;
  if (!isIntIn(length, 1, MAX_FRAME_BYTES)) {
    throw configError(`fixed-length framing length must be 1..${MAX_FRAME_BYTES}`, framing);
  }
  const acc = createAccumulator();
  return {
    push(chunk) {
      acc.append(chunk);
      const out: FramerOutput[] = [];
      while (acc.length >= length) {
        out.push({ kind: 'frame', data: Buffer.from(acc.view().subarray(0, length)) });
        acc.consume(length);
      }
      return out;
    },
    flush: () => flushAll(acc, length),
    reset: () => acc.clear(),
    get pending() {
      return acc.length;
    },
  };
}

function readLength(view: Buffer, at: number, bytes: 1 | 2 | 4): number {
  switch (bytes) {
    case 1: return view.readUInt8(at);
    case 2: return view.readUInt16BE(at);
    case 4: return view.readUInt32BE(at);
  }
}

function lengthPrefixFramer(framing: Extract<Framing, { kind: 'length-prefix' }>): Framer {
  const { lengthBytes, offset, adjust, maxLength, start, end } = framing;
  if (start !== undefined && !isIntIn(start, 0, 255)) throw configError('length-prefix framing start must be a byte (0..255)', framing);
  if (end !== undefined && !isIntIn(end, 0, 255)) throw configError('length-prefix framing end must be a byte (0..255)', framing);
  if (lengthBytes !== 1 && lengthBytes !== 2 && lengthBytes !== 4) {
    throw configError('length-prefix framing lengthBytes must be 1, 2 or 4', framing);
  }
  if (!isIntIn(offset, 0, 1024)) throw configError('length-prefix framing offset must be 0..1024', framing);
  if (!isIntIn(adjust, -MAX_FRAME_BYTES, MAX_FRAME_BYTES)) {
    throw configError('length-prefix framing adjust must be an integer', framing);
  }
  const header = offset + lengthBytes;
  if (!isIntIn(maxLength, header, MAX_FRAME_BYTES)) {
    throw configError(`length-prefix framing maxLength (whole frame) must be ${header}..${MAX_FRAME_BYTES}`, framing);
  }
  const skipped = `bytes skipped to find a plausible length field (frame 1..${maxLength} bytes)`;
  const acc = createAccumulator();
  /** bytes skipped and not yet reported, kept in order; reported before the next frame */
  const junk = createAccumulator();

  const reportJunk = (out: FramerOutput[]): void => {
    if (junk.length === 0) return;
    pushGarbage(out, junk.view(), maxLength, skipped);
    junk.clear();
  };

  return {
    push(chunk) {
      acc.append(chunk);
      const out: FramerOutput[] = [];
      while (acc.length >= header) {
        const view = acc.view();
        const total = header + readLength(view, offset, lengthBytes) + adjust;
        const badStart = start !== undefined && view[0] !== start;
        if (badStart || total < header || total > maxLength || (end !== undefined && view.length >= total && view[total - 1] !== end)) {
          junk.append(view.subarray(0, 1));
          acc.consume(1);
          if (junk.length >= maxLength) reportJunk(out);
          continue;
        }
        if (view.length < total) break;
        reportJunk(out);
        out.push({ kind: 'frame', data: Buffer.from(view.subarray(0, total)) });
        acc.consume(total);
      }
      return out;
    },
    flush() {
      const out: FramerOutput[] = [];
      reportJunk(out);
      out.push(...flushAll(acc, maxLength));
      return out;
    },
    reset() {
      acc.clear();
      junk.clear();
    },
    get pending() {
      return acc.length + junk.length;
    },
  };
}

/** Throws BL_ERR_CONFIG_INVALID when the framing is out of range: check it at config load. */
export function createFramer(framing: Framing): Framer {
  switch (framing.kind) {
    case 'delimiter': return delimiterFramer(framing);
    case 'fixed-length': return fixedLengthFramer(framing);
    case 'length-prefix': return lengthPrefixFramer(framing);
  }
}
