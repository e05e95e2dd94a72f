/**
 * The device side of Modbus RTU over TCP: a listening "serial device server". Bytes from any
 * connected client reach the RTU slave as if read from its serial line; what the slave writes goes
 * to every connected client. The line never "closes": clients come and go.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { OpenRtuPort } from '../../src/connectors/rtu-serial-port.js';

export interface RtuTcpListener {
  readonly host: string;
  readonly port: number;
  /** the "serial port" to hand to the RTU slave */
  openPort: OpenRtuPort;
  close(): Promise<void>;
}

export async function listenRtuOverTcp(opts: { host?: string; port?: number }): Promise<RtuTcpListener> {
  const clients = new Set<net.Socket>();
  let onData: ((chunk: Buffer) => void) | undefined;
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    clients.add(socket);
    socket.on('data', (chunk: Buffer) => onData?.(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => clients.delete(socket));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    openPort: async (_o, events) => {
      onData = (chunk) => events.data(chunk);
      return {
        write(data) {
          for (const c of clients) c.write(data);
        },
        async close() {
          onData = undefined;
        },
      };
    },
    async close() {
      onData = undefined;
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
