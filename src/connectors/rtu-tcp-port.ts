/**
 * Modbus RTU over TCP: RTU frames (unit id, PDU, CRC) carried unchanged over a TCP connection, as
 * serial device servers ("RS-485 to Ethernet" converters in transparent mode) do. The bus treats
 * it as one more serial line: same half-duplex scheduling, timeouts, CRC checks and quarantine.
 * A serial path of the form tcp://host:port selects it.
 */
import net from 'node:net';
import { BorderlinkError } from '../errors.js';
import type { OpenRtuPort } from './rtu-serial-port.js';

const TCP_PATH = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/;

/** host and port of a tcp://host:port line, or undefined for a device path */
export function rtuTcpAddress(path: string): { host: string; port: number } | undefined {
  const m = TCP_PATH.exec(path);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

export function openTcpRtuPort(connectTimeoutMs = 5000): OpenRtuPort {
  return (opts, events) =>
    new Promise((resolve, reject) => {
      const address = rtuTcpAddress(opts.path);
      if (!address) {
        reject(new BorderlinkError('BL_ERR_CONNECT_FAILED', `not an RTU-over-TCP address: ${opts.path} (expected tcp://host:port)`));
        return;
      }
      const socket = net.connect({ host: address.host, port: address.port });
      socket.setNoDelay(true);
      let open = false;
      let closing = false;
      let lost = false;
      const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        open = true;
        resolve({
          write(data) {
            if (!closing && !lost) socket.write(data);
          },
          close() {
            closing = true;
            return new Promise<void>((done) => {
              if (socket.destroyed) return done();
              socket.once('close', () => done());
              socket.destroy();
            });
          },
        });
      });
      socket.on('data', (chunk: Buffer) => events.data(chunk));
      socket.on('error', (e) => {
        clearTimeout(timer);
        if (!open) reject(new BorderlinkError('BL_ERR_CONNECT_FAILED', `cannot connect to ${opts.path}: ${e.message}`, { cause: e }));
      });
      socket.on('close', () => {
        if (open && !closing && !lost) {
          lost = true;
          events.lost('connection closed');
        }
      });
    });
}
