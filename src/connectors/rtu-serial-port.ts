/**
 * The byte pipe under a Modbus RTU line: open, write, data, lost, close. The bus and the RTU
 * simulator only see this interface, so tests can inject an in-memory line and the real thing is
 * one small serialport wrapper.
 */
import { SerialPort } from 'serialport';
import { BorderlinkError } from '../errors.js';

export interface RtuPortOptions {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 8;
  stopBits: 1 | 2;
}

export interface RtuPortEvents {
  data(chunk: Buffer): void;
  /** the port failed or closed by itself (USB adapter unplugged, pty closed); called at most once */
  lost(reason: string): void;
}

export interface RtuPort {
  /** queues bytes; a write failure is reported through `lost` */
  write(data: Buffer): void;
  /** closes the port; resolves once closed (never rejects). `lost` is not called for it. */
  close(): Promise<void>;
}

/** Opens a port; rejects with a BorderlinkError (BL_ERR_CONNECT_FAILED) when it cannot. */
export type OpenRtuPort = (opts: RtuPortOptions, events: RtuPortEvents) => Promise<RtuPort>;

/** The real port, through serialport (with its exclusive lock, so two processes cannot share a line). */
export const openSerialRtuPort: OpenRtuPort = async (opts, events) => {
  const port = new SerialPort({
    path: opts.path,
    baudRate: opts.baudRate,
    parity: opts.parity,
    dataBits: opts.dataBits,
    stopBits: opts.stopBits,
    autoOpen: false,
    lock: true,
  });
  let closing = false;
  let lostOnce = false;
  const lose = (reason: string): void => {
    if (closing || lostOnce) return;
    lostOnce = true;
    events.lost(reason);
  };
  // attached before open: serialport must never emit an unhandled 'error'
  port.on('error', (e: Error) => lose(e.message));
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (err === null || err === undefined) {
        resolve();
        return;
      }
      reject(new BorderlinkError('BL_ERR_CONNECT_FAILED', `cannot open serial port ${opts.path}: ${err.message}`, {
        cause: err,
        detail: { path: opts.path },
      }));
    });
  });
  port.on('data', (chunk: Buffer) => events.data(chunk));
  port.on('close', (e: Error | null | undefined) => lose(e?.message ?? 'port closed'));
  return {
    write(data) {
      if (closing || lostOnce) return;
      port.write(data, (err: Error | null | undefined) => {
        if (err !== null && err !== undefined) lose(err.message);
      });
    },
    close() {
      closing = true;
      return new Promise<void>((resolve) => {
        if (!port.isOpen) {
          resolve();
          return;
        }
        port.close(() => resolve());
      });
    },
  };
};
