/**
 * TCP-socket connector: the gateway connects as a client to a device, or to a serial-to-Ethernet
 * converter, that streams the same bytes it would send down an RS-232 line. Framing,
 * backpressure (socket.pause: the kernel stops reading, the peer's window closes), status and
 * reconnects are shared with the serial connector (stream-connector.ts); only the socket is here.
 *
 * A connection that hangs without closing is caught twice: TCP keepalive lets the kernel notice
 * a dead peer, and the idle timeout (plan.idleTimeoutMs) closes and reopens a link that stays
 * silent, since a live peer that stopped talking looks healthy to TCP.
 */
import net from 'node:net';
import type { StreamFrame, StreamPlan } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import { BorderlinkError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BackoffOptions } from './backoff.js';
import { createStreamConnector, type StreamLink, type StreamLinkHandlers } from './stream-connector.js';
import type { Connector, Sink } from './types.js';

export interface TcpSocketConnectorOptions {
  deviceId: string;
  host: string;
  port: number;
  plan: StreamPlan;
  sink: Sink<StreamFrame>;
  logger: Logger;
  clock: Clock;
  /** reconnect delays (defaults: base 500 ms, cap 30 s, full jitter) */
  backoff?: BackoffOptions;
  /** uniform [0, 1) source for the jitter; Math.random by default */
  random?: () => number;
  /** TCP connect timeout, ms (default 5000) */
  connectTimeoutMs?: number;
  /** longest stop() waits, ms (default 2000) */
  stopTimeoutMs?: number;
  /** backpressure bounds: queued frames / bytes at which the socket is paused (defaults 1000 / 1 MiB) */
  maxQueuedFrames?: number;
  maxQueuedBytes?: number;
}

export const DEFAULT_TCP_CONNECT_TIMEOUT_MS = 5_000;
/** first keepalive probe after this much silence on the socket */
const KEEPALIVE_DELAY_MS = 10_000;

function validate(o: TcpSocketConnectorOptions): void {
  const where = { deviceId: o.deviceId };
  if (typeof o.host !== 'string' || o.host.length === 0) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', 'tcp-socket host must be a non-empty string', { detail: where });
  }
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', 'tcp-socket port must be 1..65535', { detail: { ...where, port: o.port } });
  }
  const t = o.connectTimeoutMs;
  if (t !== undefined && (!Number.isFinite(t) || t <= 0)) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', 'tcp-socket connectTimeoutMs must be a positive number', {
      detail: { ...where, connectTimeoutMs: t },
    });
  }
}

/** Connects once; resolves with the link or with why it failed. Never rejects. */
function connectSocket(
  host: string, port: number, timeoutMs: number, handlers: StreamLinkHandlers, signal: AbortSignal,
): Promise<StreamLink | string> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.createConnection({ host, port });
    const link: StreamLink = {
      pause: () => {
        socket.pause();
      },
      resume: () => {
        socket.resume();
      },
      close: () => {
        socket.destroy();
        return Promise.resolve();
      },
    };
    const settle = (failure: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (failure === null) {
        resolve(link);
      } else {
        socket.destroy();
        resolve(failure);
      }
    };
    const onAbort = (): void => settle('stopped');
    const timer = setTimeout(() => settle(`connect timeout after ${timeoutMs} ms`), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
      settle(null);
    });
    socket.on('data', (chunk: Buffer) => handlers.data(chunk));
    // Both stay attached for the socket's life: a late 'error' must never be unhandled.
    socket.on('error', (e: Error) => {
      if (settled) handlers.lost(e.message);
      else settle(e.message);
    });
    socket.on('close', () => {
      if (settled) handlers.lost('connection closed');
      else settle('connection closed');
    });
    if (signal.aborted) settle('stopped');
  });
}

export function createTcpSocketConnector(opts: TcpSocketConnectorOptions): Connector {
  validate(opts);
  const { host, port } = opts;
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_TCP_CONNECT_TIMEOUT_MS;
  return createStreamConnector({
    deviceId: opts.deviceId,
    transport: 'tcp-socket',
    endpoint: `${host}:${port}`,
    plan: opts.plan,
    sink: opts.sink,
    logger: opts.logger,
    clock: opts.clock,
    backoff: opts.backoff,
    random: opts.random,
    stopTimeoutMs: opts.stopTimeoutMs,
    reconnectOnIdle: true,
    maxQueuedFrames: opts.maxQueuedFrames,
    maxQueuedBytes: opts.maxQueuedBytes,
    open: (handlers, signal) => connectSocket(host, port, connectTimeoutMs, handlers, signal),
  });
}
