/**
 * Framer -> sink, with backpressure: the part the serial and TCP-socket connectors share.
 *
 * Bytes arrive as events ('data') that cannot be awaited, while sink.push resolves only once a
 * frame's events are durable. The pump puts the two together: every chunk is framed at once,
 * its outputs wait in a bounded queue, and one drain loop hands them to the sink strictly one at
 * a time (one push or reject in flight, stream order kept). When the queue reaches its bound the
 * byte source is paused, which for a socket or a serial port means the kernel stops reading and
 * the device (or the TCP peer's send buffer) feels it; it resumes once the queue is half empty.
 * The bound is soft by at most one chunk's outputs: a chunk already read is framed, not dropped.
 *
 * Garbage from the framer is rejected to the sink (quarantine) as BL_ERR_STREAM_GARBAGE, in order
 * with the frames around it. A run of garbage records already queued back to back (no frame
 * between them) goes out as one reject of up to maxCoalescedGarbageBytes, its message saying how
 * many records it joins: a line flooding noise would otherwise make one quarantine row per
 * framer record (per maxLength bytes, 256 for a typical STX framing), thousands of rows a second
 * that bury the few that matter and cost a commit each. Every byte is still kept, in order; only
 * the row count shrinks. The queue fills while a reject is being stored, so the slower the sink,
 * the bigger the runs: rows per second are bounded by the sink's own pace, bytes by the bound.
 *
 * A push whose outcome is `failed` (the outbox could not write; nothing durable) is retried, the
 * same frame, after a growing delay (100 ms doubling to 5 s), until it is stored or the connector
 * gives up at stop. Unlike a Modbus poll, stream bytes cannot be read again; holding the frame
 * keeps the queue full, so the device is paused rather than its data lost.
 */
import type { Framing, StreamFrame } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import { BorderlinkError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { createFramer, type FramerOutput } from './stream-framer.js';
import type { Sink } from './types.js';

/** What the pump can ask of a byte source. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

export interface StreamPumpOptions {
  transport: StreamFrame['transport'];
  framing: Framing;
  sink: Sink<StreamFrame>;
  clock: Clock;
  logger: Logger;
  /** queued frames at which the source is paused (default 1000) */
  maxQueuedFrames?: number;
  /** queued bytes at which the source is paused (default 1 MiB) */
  maxQueuedBytes?: number;
  /** told when the pump pauses (true) or resumes (false) the source: idle detection must not count a pause */
  onFlowChange?: (paused: boolean) => void;
  /** most bytes of back-to-back garbage joined into one reject (default 64 KiB) */
  maxCoalescedGarbageBytes?: number;
  /** delays between retries of a push that failed: first, and the largest (defaults 100 / 5000 ms) */
  retryBaseMs?: number;
  retryCapMs?: number;
}

export interface StreamPump {
  /** The source whose bytes come next; it is paused at once if the queue is full. Null: none. */
  attach(flow: FlowControl | null): void;
  /** Bytes from the attached source, in order. */
  write(chunk: Buffer): void;
  /** The stream ended (link lost or closed): a partial frame held by the framer goes to quarantine. */
  endOfStream(): void;
  /** Resolves once everything queued so far has been handed to the sink, or after `timeoutMs`; true if drained. */
  drained(timeoutMs: number): Promise<boolean>;
  /** Gives up on what is still queued (after a stop timeout); returns how many outputs were abandoned. */
  abandon(): number;
  /** true while the pump holds the source paused */
  readonly paused: boolean;
  /** outputs waiting for the sink (not counting the one in flight) */
  readonly queued: number;
}

export const DEFAULT_MAX_QUEUED_FRAMES = 1_000;
export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
export const DEFAULT_MAX_COALESCED_GARBAGE_BYTES = 64 * 1024;
export const DEFAULT_PUSH_RETRY_BASE_MS = 100;
export const DEFAULT_PUSH_RETRY_CAP_MS = 5_000;

interface Queued {
  output: FramerOutput;
  receivedAt: number;
}

export function createStreamPump(opts: StreamPumpOptions): StreamPump {
  const { transport, sink, clock } = opts;
  const log = opts.logger;
  const framer = createFramer(opts.framing);
  const maxFrames = opts.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
  const maxBytes = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  const retryBaseMs = opts.retryBaseMs ?? DEFAULT_PUSH_RETRY_BASE_MS;
  const retryCapMs = opts.retryCapMs ?? DEFAULT_PUSH_RETRY_CAP_MS;
  const maxCoalesced = opts.maxCoalescedGarbageBytes ?? DEFAULT_MAX_COALESCED_GARBAGE_BYTES;
  for (const [name, v] of [['maxQueuedFrames', maxFrames], ['maxQueuedBytes', maxBytes],
    ['retryBaseMs', retryBaseMs], ['retryCapMs', retryCapMs], ['maxCoalescedGarbageBytes', maxCoalesced]] as const) {
    if (!Number.isFinite(v) || v <= 0) {
      throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `stream ${name} must be a positive number`, { detail: { [name]: v } });
    }
  }

  const queue: Array<Queued | undefined> = [];
  /** index of the next output to send: shifting a long array item by item is O(n) each */
  let head = 0;
  let queuedBytes = 0;
  let flow: FlowControl | null = null;
  let paused = false;
  let draining = false;
  let abandoned = false;
  /** in a run of garbage: only its first record is logged at warn */
  let inGarbage = false;
  const waiters = new Set<() => void>();
  /** cuts a retry delay short (abandon) */
  let wakeRetry: (() => void) | null = null;

  const queuedCount = (): number => queue.length - head;

  function setPaused(next: boolean): void {
    if (paused === next) return;
    paused = next;
    if (flow !== null) {
      try {
        if (next) flow.pause();
        else flow.resume();
      } catch (e) {
        log.error({ err: describeError(e) }, 'stream flow control failed');
      }
    }
    opts.onFlowChange?.(next);
  }

  function checkFlow(): void {
    const n = queuedCount();
    if (!paused && (n >= maxFrames || queuedBytes >= maxBytes)) setPaused(true);
    else if (paused && n <= maxFrames / 2 && queuedBytes <= maxBytes / 2) setPaused(false);
  }

  function enqueue(outputs: FramerOutput[], receivedAt: number): void {
    if (outputs.length === 0 || abandoned) return;
    for (const output of outputs) {
      queue.push({ output, receivedAt });
      queuedBytes += output.data.length;
    }
    checkFlow();
    if (!draining) void drain();
  }

  function retryDelay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (wakeRetry === wake) wakeRetry = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakeRetry = wake;
    });
  }

  /** Pushes one frame until it is stored (any outcome but `failed`) or the pump is abandoned. */
  async function pushFrame(frame: StreamFrame): Promise<void> {
    for (let attempt = 0; !abandoned; attempt += 1) {
      const outcome = await sink.push(frame);
      if (outcome.status !== 'failed') {
        if (attempt > 0) log.info({ attempts: attempt + 1 }, 'stream frame stored after retries');
        return;
      }
      const fields = { code: outcome.reason?.code, detail: outcome.reason?.message, attempt: attempt + 1, queued: queuedCount() };
      if (attempt === 0) log.warn(fields, 'stream frame not stored, retrying');
      else log.debug(fields, 'stream frame not stored, retrying');
      await retryDelay(Math.min(retryCapMs, retryBaseMs * 2 ** Math.min(attempt, 30)));
    }
    log.error({ code: 'BL_ERR_SHUTDOWN_TIMEOUT', bytes: frame.data.length }, 'stream frame abandoned unstored at stop');
  }

  async function send(item: Queued): Promise<void> {
    const { output, receivedAt } = item;
    if (output.kind === 'frame') {
      inGarbage = false;
      await pushFrame({ transport, receivedAt, data: output.data });
      return;
    }
    const fields = { code: 'BL_ERR_STREAM_GARBAGE', bytes: output.data.length, detail: output.reason };
    if (inGarbage) log.debug(fields, 'stream bytes rejected');
    else log.warn(fields, 'stream bytes rejected');
    inGarbage = true;
    await sink.reject({ raw: output.data, code: 'BL_ERR_STREAM_GARBAGE', message: output.reason, receivedAt });
  }

  /** Takes the next queued output off the queue (the frame is let go once sent). */
  function takeNext(): Queued | undefined {
    const item = queue[head];
    if (item === undefined) return undefined;
    queue[head] = undefined;
    head += 1;
    queuedBytes -= item.output.data.length;
    return item;
  }

  /** `first` (garbage) joined with the garbage queued right behind it, up to maxCoalesced bytes. */
  function coalesceGarbage(first: Queued): Queued {
    const parts: Buffer[] = [first.output.data];
    let bytes = first.output.data.length;
    for (let next = queue[head]; next !== undefined && next.output.kind === 'garbage'
      && bytes + next.output.data.length <= maxCoalesced; next = queue[head]) {
      takeNext();
      parts.push(next.output.data);
      bytes += next.output.data.length;
    }
    if (parts.length === 1 || first.output.kind !== 'garbage') return first;
    const reason = `${first.output.reason} (${parts.length} runs of unframed bytes joined, ${bytes} bytes)`;
    return { output: { kind: 'garbage', data: Buffer.concat(parts, bytes), reason }, receivedAt: first.receivedAt };
  }

  async function drain(): Promise<void> {
    draining = true;
    while (head < queue.length) {
      const first = takeNext();
      if (first === undefined) break;
      const item = first.output.kind === 'garbage' ? coalesceGarbage(first) : first;
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      try {
        await send(item);
      } catch (e) {
        log.error({ err: describeError(e) }, 'stream sink failed');
      }
      checkFlow();
    }
    queue.length = 0;
    head = 0;
    draining = false;
    for (const w of [...waiters]) w();
  }

  return {
    attach(next) {
      flow = next;
      if (flow !== null && paused) {
        try {
          flow.pause();
        } catch (e) {
          log.error({ err: describeError(e) }, 'stream flow control failed');
        }
      }
    },
    write(chunk) {
      if (abandoned) return;
      enqueue(framer.push(chunk), clock.now());
    },
    endOfStream() {
      if (abandoned) {
        framer.reset();
        return;
      }
      enqueue(framer.flush(), clock.now());
    },
    drained(timeoutMs) {
      if (!draining && queuedCount() === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean): void => {
          clearTimeout(timer);
          waiters.delete(onDrained);
          resolve(ok);
        };
        const onDrained = (): void => done(true);
        const timer = setTimeout(() => done(false), Math.max(0, timeoutMs));
        waiters.add(onDrained);
      });
    },
    abandon() {
      abandoned = true;
      wakeRetry?.();
      const n = queuedCount();
      queue.length = 0;
      head = 0;
      queuedBytes = 0;
      framer.reset();
      return n;
    },
    get paused() {
      return paused;
    },
    get queued() {
      return queuedCount();
    },
  };
}
