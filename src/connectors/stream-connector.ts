/**
 * The life of a byte-stream link, shared by the serial and TCP-socket connectors: open, pump
 * bytes through the framer into the sink (stream-pump.ts), watch for silence, and on loss reopen
 * with exponential backoff and full jitter. The two transports differ only in `open`.
 *
 * Link status (deduplicated on state + code, as the Modbus connector does):
 *   online    the link opened, or bytes arrive again after a silence
 *   degraded  BL_ERR_DEVICE_UNRESPONSIVE: no byte for plan.idleTimeoutMs (when > 0). Time the
 *             pump holds the source paused for backpressure is not silence.
 *   offline   BL_ERR_CONNECT_FAILED: the link could not be opened, or broke / closed
 * With `reconnectOnIdle` (TCP) a silent link is also closed and reopened: a connection can hang
 * without ever closing (a peer that lost power, a NAT entry gone), and only silence shows it.
 * After such a reconnect the status stays degraded until a byte arrives, so a silent device does
 * not flap between online and degraded; and the backoff is reset only by bytes, not by a
 * connect, so reconnects to a peer that accepts and says nothing slow down exponentially.
 */
import { performance } from 'node:perf_hooks';
import type { StreamFrame, StreamPlan } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import { BorderlinkError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { createBackoff, type BackoffOptions } from './backoff.js';
import { createStreamPump, type FlowControl } from './stream-pump.js';
import { createLinkStatusReporter } from './link-status.js';
import type { Connector, LinkStatus, Sink } from './types.js';

export interface StreamLinkHandlers {
  /** bytes as they arrived */
  data(chunk: Buffer): void;
  /** the link broke or closed; `reason` is for the status detail. Later calls are ignored. */
  lost(reason: string): void;
}

export interface StreamLink extends FlowControl {
  /** Closes the link. Idempotent, never rejects, resolves promptly. */
  close(): Promise<void>;
}

/**
 * Opens one link and wires its events to `handlers`. Resolves with the open link, or with why
 * it could not be opened; never rejects. An abort of `signal` ends a pending open ('stopped').
 */
export type OpenStreamLink = (handlers: StreamLinkHandlers, signal: AbortSignal) => Promise<StreamLink | string>;

export interface StreamConnectorOptions {
  deviceId: string;
  transport: StreamFrame['transport'];
  /** where the link goes, for logs and status details: "/dev/ttyUSB0", "10.0.0.5:4001" */
  endpoint: string;
  plan: StreamPlan;
  sink: Sink<StreamFrame>;
  logger: Logger;
  clock: Clock;
  /** reopen delays (defaults: base 500 ms, cap 30 s, full jitter) */
  backoff?: BackoffOptions;
  /** uniform [0, 1) source for the jitter; Math.random by default */
  random?: () => number;
  /** longest stop() waits for the link to close and the queue to drain, ms (default 2000) */
  stopTimeoutMs?: number;
  /** close and reopen a link that stays silent for plan.idleTimeoutMs */
  reconnectOnIdle: boolean;
  /** backpressure bounds, see stream-pump.ts */
  maxQueuedFrames?: number;
  maxQueuedBytes?: number;
  open: OpenStreamLink;
}

export const DEFAULT_STREAM_STOP_TIMEOUT_MS = 2_000;

type SessionEnd = { kind: 'lost'; reason: string } | { kind: 'idle' } | { kind: 'stopped' };

function configError(message: string, detail: Record<string, unknown>): BorderlinkError {
  return new BorderlinkError('BL_ERR_CONFIG_INVALID', message, { detail });
}

/** Resolves true when `p` settles within `ms`, false otherwise; never rejects. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms));
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}

export function createStreamConnector(opts: StreamConnectorOptions): Connector {
  const { deviceId, transport, endpoint, plan, sink } = opts;
  const idleMs = plan.idleTimeoutMs;
  const stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_STREAM_STOP_TIMEOUT_MS;
  if (!Number.isFinite(idleMs) || idleMs < 0) {
    throw configError('stream idleTimeoutMs must be a number >= 0', { deviceId, idleTimeoutMs: idleMs });
  }
  if (!Number.isFinite(stopTimeoutMs) || stopTimeoutMs <= 0) {
    throw configError('stream stopTimeoutMs must be a positive number', { deviceId, stopTimeoutMs });
  }
  const log = opts.logger.child({ deviceId, connector: transport });
  const backoff = createBackoff(opts.backoff, opts.random);
  /** monotonic time of the last byte, or of the last pause/resume (a paused source is not silent) */
  let lastByteAt = performance.now();
  const pump = createStreamPump({
    transport,
    framing: plan.framing,
    sink,
    clock: opts.clock,
    logger: log,
    maxQueuedFrames: opts.maxQueuedFrames,
    maxQueuedBytes: opts.maxQueuedBytes,
    onFlowChange: () => {
      lastByteAt = performance.now();
    },
  });

  let started = false;
  let stopped = false;
  let loop: Promise<void> | null = null;
  /** ends the current session; null when none is open */
  let endSession: ((end: SessionEnd) => void) | null = null;
  let abortOpen: AbortController | null = null;
  /** wakes the backoff sleep */
  let interrupt: (() => void) | null = null;

  const status = createLinkStatusReporter(sink, log);
  const report = (st: LinkStatus): boolean => (stopped ? false : status.report(st));

  const silentAfterIdle = (): boolean =>
    status.last()?.state === 'degraded' && status.last()?.code === 'BL_ERR_DEVICE_UNRESPONSIVE';

  function sleep(ms: number): Promise<void> {
    if (stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (interrupt === wake) interrupt = null;
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      interrupt = wake;
    });
  }

  async function openLink(handlers: StreamLinkHandlers): Promise<StreamLink | string> {
    const ac = new AbortController();
    abortOpen = ac;
    try {
      return await opts.open(handlers, ac.signal);
    } catch (e) {
      return describeError(e).message;
    } finally {
      abortOpen = null;
    }
  }

  async function session(): Promise<void> {
    let ended = false;
    let finish: (end: SessionEnd) => void = () => undefined;
    const over = new Promise<SessionEnd>((resolve) => {
      finish = (end) => {
        if (ended) return;
        ended = true;
        resolve(end);
      };
    });
    let sawData = false;
    const handlers: StreamLinkHandlers = {
      data(chunk) {
        // Bytes still in flight once a session is over must not be framed with the next one's.
        if (ended || stopped) {
          log.debug({ bytes: chunk.length }, 'stream bytes after the link was closed, ignored');
          return;
        }
        lastByteAt = performance.now();
        if (!sawData) {
          sawData = true;
          backoff.reset();
        }
        if (status.last()?.state !== 'online') report({ state: 'online', detail: 'receiving' });
        pump.write(chunk);
      },
      lost: (reason) => finish({ kind: 'lost', reason }),
    };
    endSession = finish;
    const link = await openLink(handlers);
    if (stopped || typeof link === 'string') {
      endSession = null;
      if (typeof link !== 'string') await settlesWithin(link.close(), stopTimeoutMs);
      else if (!stopped) report({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: `open ${endpoint} failed: ${link}` });
      return;
    }

    pump.attach(link);
    lastByteAt = performance.now();
    // a link that broke while it was being opened is reported once, as offline, below
    if (!ended && !silentAfterIdle()) report({ state: 'online', detail: `connected to ${endpoint}` });

    let idleTimer: NodeJS.Timeout | undefined;
    const checkIdle = (): void => {
      if (ended) return;
      const quiet = performance.now() - lastByteAt;
      if (pump.paused || quiet < idleMs) {
        idleTimer = setTimeout(checkIdle, Math.max(1, idleMs - quiet));
        return;
      }
      report({ state: 'degraded', code: 'BL_ERR_DEVICE_UNRESPONSIVE', detail: `no byte for ${idleMs} ms` });
      if (opts.reconnectOnIdle) finish({ kind: 'idle' });
      else idleTimer = setTimeout(checkIdle, idleMs);
    };
    if (idleMs > 0) idleTimer = setTimeout(checkIdle, idleMs);

    const end = await over;
    clearTimeout(idleTimer);
    endSession = null;
    pump.attach(null);
    await settlesWithin(link.close(), stopTimeoutMs);
    pump.endOfStream();
    if (end.kind === 'lost') {
      report({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: `${endpoint}: ${end.reason}` });
    } else if (end.kind === 'idle') {
      log.warn({ code: 'BL_ERR_DEVICE_UNRESPONSIVE', idleTimeoutMs: idleMs }, 'silent stream link closed, reconnecting');
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      try {
        await session();
      } catch (e) {
        log.error({ err: describeError(e) }, 'stream connector loop failed');
      }
      if (stopped) break;
      const delay = backoff.next();
      log.debug({ delayMs: delay, attempt: backoff.attempt }, 'stream reopen scheduled');
      await sleep(delay);
    }
  }

  return {
    deviceId,
    start(): Promise<void> {
      if (started || stopped) return Promise.resolve();
      started = true;
      loop = run();
      return Promise.resolve();
    },
    /** Final: closes the link, then lets queued frames reach the sink, all within stopTimeoutMs. */
    async stop(): Promise<void> {
      stopped = true;
      abortOpen?.abort();
      endSession?.({ kind: 'stopped' });
      interrupt?.();
      const deadline = performance.now() + stopTimeoutMs;
      const closed = loop === null || (await settlesWithin(loop, stopTimeoutMs));
      const drained = await pump.drained(deadline - performance.now());
      if (!closed || !drained) {
        const abandoned = drained ? 0 : pump.abandon();
        log.warn({ code: 'BL_ERR_SHUTDOWN_TIMEOUT', timeoutMs: stopTimeoutMs, linkClosed: closed, abandoned },
          'stream connector did not stop in time');
      }
    },
  };
}
