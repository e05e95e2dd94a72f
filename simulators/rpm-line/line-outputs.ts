/**
 * Where the line simulator's bytes go: a TCP listener (every connected client gets the stream) or
 * a path (a file, or one end of a pseudo-terminal pair made by socat). Like a real RS-232 device
 * without flow control, neither ever blocks the device: a listener that does not read loses
 * whole lines once its buffer is full, and the loss is logged.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import net from 'node:net';
import { BorderlinkError, describeError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';

/** bytes a slow listener may have queued before lines are dropped for it */
export const MAX_BUFFERED_BYTES = 64 * 1024;

export interface LineOutput {
  /** writes bytes already framed (CRLF included) */
  write(bytes: Buffer): void;
  /** retry what a full pseudo-terminal refused earlier */
  flush(): void;
  /** listeners currently attached (tcp: open connections; path: 1) */
  listeners(): number;
  /** tcp: drop every connection (an injected disconnect); path: nothing */
  drop(): void;
  close(): Promise<void>;
}

export async function startTcpOutput(opts: {
  host: string;
  port: number;
  /** bytes a new connection gets first (setup, current background) */
  greeting: () => Buffer;
  logger?: Logger;
  /** how log lines name the device (default "rpm-line simulator") */
  label?: string;
}): Promise<LineOutput & { host: string; port: number }> {
  const label = opts.label ?? 'rpm-line simulator';
  const sockets = new Set<net.Socket>();
  const lagging = new WeakSet<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', (e) => opts.logger?.debug({ err: describeError(e) }, `${label} client error`));
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // the device ignores what a client sends
    socket.write(opts.greeting());
    opts.logger?.info({ clients: sockets.size }, `${label} client connected`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new BorderlinkError('BL_ERR_SIMULATOR', `${label} cannot listen on ${opts.host}:${opts.port}: ${describeError(e).message}`, { cause: e })));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  return {
    host: opts.host,
    port,
    write(bytes) {
      for (const s of sockets) {
        if (s.writableLength > MAX_BUFFERED_BYTES) {
          if (!lagging.has(s)) opts.logger?.warn({ buffered: s.writableLength }, `${label} client not reading: dropping data`);
          lagging.add(s);
          continue;
        }
        lagging.delete(s);
        s.write(bytes);
      }
    },
    flush() {},
    listeners: () => sockets.size,
    drop() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Opens the path non-blocking (and never as a controlling terminal): a pseudo-terminal nobody
 * reads fills up, and a blocking write would then stall the simulator and its close().
 */
export function openPathOutput(opts: { path: string; logger?: Logger; label?: string }): LineOutput {
  const label = opts.label ?? 'rpm-line simulator';
  let fd: number;
  try {
    fd = openSync(opts.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY, 0o644);
  } catch (e) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `${label} cannot open ${opts.path}: ${describeError(e).message}`, { cause: e });
  }
  let pending = Buffer.alloc(0);
  let dropping = false;
  let closed = false;
  const flush = (): void => {
    while (pending.length > 0 && !closed) {
      let n: number;
      try {
        n = writeSync(fd, pending);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return;
        opts.logger?.warn({ err: describeError(e), path: opts.path }, `${label} write failed: dropping buffered data`);
        pending = Buffer.alloc(0);
        return;
      }
      pending = pending.subarray(n);
    }
  };
  return {
    write(bytes) {
      if (closed) return;
      if (pending.length + bytes.length > MAX_BUFFERED_BYTES) {
        if (!dropping) opts.logger?.warn({ path: opts.path, buffered: pending.length }, `${label} output not read: dropping data`);
        dropping = true;
        flush();
        return;
      }
      dropping = false;
      pending = pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([pending, bytes]);
      flush();
    },
    flush,
    listeners: () => (closed ? 0 : 1),
    drop() {},
    async close() {
      if (closed) return;
      flush();
      closed = true;
      closeSync(fd);
    },
  };
}
