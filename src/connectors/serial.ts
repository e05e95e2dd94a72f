/**
 * Serial connector (RS-232 / RS-485 / USB-serial): one port, read-only, framed by the adapter's
 * Framing. Framing, backpressure (the port stream is paused: the driver stops reading and the
 * UART / USB buffers fill), status and reopening are shared with the TCP-socket connector
 * (stream-connector.ts); only the port is here.
 *
 * A USB-serial adapter that is unplugged makes serialport close the port with a
 * DisconnectedError; the connector reports offline and reopens by path with backoff until the
 * device node is back. A serial line has no connection to re-establish, so silence only makes
 * the link degraded; the port stays open.
 *
 * `openPort` is injectable so tests can hand in serialport's SerialPortMock, or a fake.
 */
import { SerialPort } from 'serialport';
import type { StreamFrame, StreamPlan } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import { BorderlinkError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BackoffOptions } from './backoff.js';
import { createStreamConnector, type StreamLink, type StreamLinkHandlers } from './stream-connector.js';
import type { Connector, Sink } from './types.js';

export type SerialDataBits = 5 | 6 | 7 | 8;
export type SerialParity = 'none' | 'even' | 'odd' | 'mark' | 'space';
export type SerialStopBits = 1 | 1.5 | 2;

/** What the connector passes to `openPort`: the port is opened later, by the connector. */
export interface SerialPortSettings {
  path: string;
  baudRate: number;
  dataBits: SerialDataBits;
  parity: SerialParity;
  stopBits: SerialStopBits;
}

/** The part of serialport's SerialPort the connector uses. */
export interface SerialPortLike {
  readonly isOpen: boolean;
  open(callback: (err: Error | null) => void): void;
  close(callback: (err: Error | null) => void): void;
  pause(): unknown;
  resume(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: (err?: Error | null) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface SerialConnectorOptions {
  deviceId: string;
  /** "/dev/ttyUSB0", "/dev/serial/by-id/...", "COM3" */
  path: string;
  baudRate: number;
  dataBits?: SerialDataBits;
  parity?: SerialParity;
  stopBits?: SerialStopBits;
  plan: StreamPlan;
  sink: Sink<StreamFrame>;
  logger: Logger;
  clock: Clock;
  /** reopen delays (defaults: base 500 ms, cap 30 s, full jitter) */
  backoff?: BackoffOptions;
  /** uniform [0, 1) source for the jitter; Math.random by default */
  random?: () => number;
  /** longest stop() waits, ms (default 2000) */
  stopTimeoutMs?: number;
  /** backpressure bounds: queued frames / bytes at which the port is paused (defaults 1000 / 1 MiB) */
  maxQueuedFrames?: number;
  maxQueuedBytes?: number;
  /** makes an unopened port; default: serialport's SerialPort with autoOpen false */
  openPort?: (settings: SerialPortSettings) => SerialPortLike;
}

const DATA_BITS: readonly number[] = [5, 6, 7, 8];
const PARITIES: readonly string[] = ['none', 'even', 'odd', 'mark', 'space'];
const STOP_BITS: readonly number[] = [1, 1.5, 2];

function configError(message: string, detail: Record<string, unknown>): BorderlinkError {
  return new BorderlinkError('BL_ERR_CONFIG_INVALID', message, { detail });
}

function validate(s: SerialPortSettings, deviceId: string): void {
  if (typeof s.path !== 'string' || s.path.length === 0) throw configError('serial path must be a non-empty string', { deviceId });
  if (!Number.isInteger(s.baudRate) || s.baudRate <= 0) {
    throw configError('serial baudRate must be a positive integer', { deviceId, baudRate: s.baudRate });
  }
  if (!DATA_BITS.includes(s.dataBits)) throw configError('serial dataBits must be 5, 6, 7 or 8', { deviceId, dataBits: s.dataBits });
  if (!PARITIES.includes(s.parity)) throw configError(`serial parity must be one of ${PARITIES.join(', ')}`, { deviceId, parity: s.parity });
  if (!STOP_BITS.includes(s.stopBits)) throw configError('serial stopBits must be 1, 1.5 or 2', { deviceId, stopBits: s.stopBits });
}

/** The real port; serialport 13 reads through libuv, so a closed port frees its file descriptor. */
export function openSerialPort(settings: SerialPortSettings): SerialPortLike {
  return new SerialPort({ ...settings, autoOpen: false });
}

function closePort(port: SerialPortLike): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      port.close(() => resolve()); // an error here means it was closing or closed already
    } catch {
      resolve();
    }
  });
}

/** Opens the port once; resolves with the link or with why it failed. Never rejects. */
function openLink(
  make: (s: SerialPortSettings) => SerialPortLike, settings: SerialPortSettings, handlers: StreamLinkHandlers, signal: AbortSignal,
): Promise<StreamLink | string> {
  return new Promise((resolve) => {
    let port: SerialPortLike;
    try {
      port = make(settings);
    } catch (e) {
      resolve(describeError(e).message);
      return;
    }
    const link: StreamLink = {
      pause: () => {
        port.pause();
      },
      resume: () => {
        port.resume();
      },
      close: () => closePort(port),
    };
    // Attached for the port's life: a late 'error' must never be unhandled. A read error makes
    // serialport close the port (DisconnectedError), so 'close' carries the unplug.
    port.on('error', (e: Error) => handlers.lost(e.message));
    port.on('close', (e?: Error | null) => handlers.lost(e ? e.message : 'port closed'));
    port.on('data', (chunk: Buffer) => handlers.data(chunk));
    port.open((err) => {
      if (err !== null && err !== undefined) {
        resolve(err.message);
      } else if (signal.aborted) {
        void closePort(port).then(() => resolve('stopped'));
      } else {
        resolve(link);
      }
    });
  });
}

export function createSerialConnector(opts: SerialConnectorOptions): Connector {
  const settings: SerialPortSettings = {
    path: opts.path,
    baudRate: opts.baudRate,
    dataBits: opts.dataBits ?? 8,
    parity: opts.parity ?? 'none',
    stopBits: opts.stopBits ?? 1,
  };
  validate(settings, opts.deviceId);
  const make = opts.openPort ?? openSerialPort;
  return createStreamConnector({
    deviceId: opts.deviceId,
    transport: 'serial',
    endpoint: settings.path,
    plan: opts.plan,
    sink: opts.sink,
    logger: opts.logger,
    clock: opts.clock,
    backoff: opts.backoff,
    random: opts.random,
    stopTimeoutMs: opts.stopTimeoutMs,
    reconnectOnIdle: false,
    maxQueuedFrames: opts.maxQueuedFrames,
    maxQueuedBytes: opts.maxQueuedBytes,
    open: (handlers, signal) => openLink(make, settings, handlers, signal),
  });
}
