import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Framing, StreamPlan } from '../../../src/adapter/types.js';
import type { Connector } from '../../../src/connectors/types.js';
import { createTcpSocketConnector, type TcpSocketConnectorOptions } from '../../../src/connectors/tcp-socket.js';
import { isBorderlinkError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { statusTrail, streamSink, waitUntil, type StreamRecordingSink } from './stream-fakes.js';

const clock = { now: (): number => Date.now() };
const lineFraming: Framing = { kind: 'delimiter', delimiter: '\r\n', maxLength: 64 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A device (or serial-to-Ethernet converter) the gateway connects to; `onConnect` decides what it sends. */
interface DeviceServer {
  readonly port: number;
  readonly sockets: net.Socket[];
  connections(): number;
  /** the most recent connection */
  latest(): net.Socket;
  close(): Promise<void>;
}

async function deviceServer(onConnect: (s: net.Socket) => void = () => undefined, port = 0): Promise<DeviceServer> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => undefined);
    sockets.push(s);
    onConnect(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  let closed = false;
  const d: DeviceServer = {
    port: address.port,
    sockets,
    connections: () => sockets.length,
    latest: () => {
      const s = sockets.at(-1);
      if (s === undefined) throw new Error('no connection yet');
      return s;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanups.push(() => d.close());
  return d;
}

function plan(over: Partial<StreamPlan> = {}): StreamPlan {
  return { kind: 'stream', framing: lineFraming, idleTimeoutMs: 0, ...over };
}

function connector(port: number, rec: StreamRecordingSink, over: Partial<TcpSocketConnectorOptions> = {}): Connector {
  const c = createTcpSocketConnector({
    deviceId: `tcp-${port}`,
    host: '127.0.0.1',
    port,
    plan: plan(),
    sink: rec.sink,
    logger: silentLogger(),
    clock,
    backoff: { baseMs: 20, capMs: 100 },
    ...over,
  });
  cleanups.push(() => c.stop());
  return c;
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('tcp-socket connector', () => {
  it('frames lines from the socket, however the bytes are split', async () => {
    const server = await deviceServer((s) => {
      void (async () => {
        for (const piece of ['GB,000123,000456,000789,001011\r', '\nGS,1', '2,34,56,78\r\nSP,', '01.2\r\n']) {
          s.write(piece);
          await tick(5);
        }
      })();
    });
    const rec = streamSink();
    const c = connector(server.port, rec);
    const before = Date.now();
    await c.start();
    await waitUntil(() => rec.frames().length === 3, '3 frames');
    expect(rec.texts()).toEqual(['GB,000123,000456,000789,001011', 'GS,12,34,56,78', 'SP,01.2']);
    for (const f of rec.frames()) {
      expect(f.transport).toBe('tcp-socket');
      expect(f.receivedAt).toBeGreaterThanOrEqual(before);
    }
    expect(statusTrail(rec.statuses())).toEqual(['online']);
    expect(rec.statuses()[0]?.detail).toBe(`connected to 127.0.0.1:${server.port}`);
  });

  it('quarantines an over-long line and a line cut off by a closed connection, and keeps the good ones', async () => {
    const long = 'X'.repeat(100);
    const server = await deviceServer((s) => {
      if (s === server.sockets[0]) s.end(`ok1\r\n${long}\r\nok2\r\nhalf-a-li`);
    });
    const rec = streamSink();
    const c = connector(server.port, rec);
    await c.start();
    await waitUntil(() => rec.rejects().length === 2 && rec.frames().length === 2, 'frames and rejects');
    expect(rec.texts()).toEqual(['ok1', 'ok2']);
    const rejects = rec.rejects();
    expect(rejects.every((r) => r.code === 'BL_ERR_STREAM_GARBAGE')).toBe(true);
    // the over-long line's framer records (maxLength each) are joined into one quarantine row
    expect(rejects[0]?.raw.toString()).toBe(long);
    expect(rejects[1]).toMatchObject({ raw: Buffer.from('half-a-li'), message: 'incomplete frame when the stream ended' });
    await waitUntil(() => statusTrail(rec.statuses()).includes('offline:BL_ERR_CONNECT_FAILED'), 'offline');
  });

  it('reports offline while the device is down and reconnects when it is back on the same port', async () => {
    let n = 0;
    const greet = (s: net.Socket): void => {
      n += 1;
      s.write(`hello ${n}\r\n`);
    };
    const first = await deviceServer(greet);
    const port = first.port;
    const rec = streamSink();
    const c = connector(port, rec);
    await c.start();
    await waitUntil(() => rec.texts().includes('hello 1'), 'first greeting');
    await first.close();
    await waitUntil(() => statusTrail(rec.statuses()).at(-1) === 'offline:BL_ERR_CONNECT_FAILED', 'offline');
    await tick(150); // a few refused reconnects: reported once (statuses are deduplicated)
    await deviceServer(greet, port);
    await waitUntil(() => rec.texts().includes('hello 2'), 'greeting after restart');
    expect(statusTrail(rec.statuses())).toEqual(['online', 'offline:BL_ERR_CONNECT_FAILED', 'online']);
  });

  it('a silent connection is degraded, then dropped and reopened; it stays degraded until bytes flow again', async () => {
    const server = await deviceServer((s) => {
      if (server.connections() === 1) s.write('first\r\n');
      if (server.connections() === 3) s.write('back\r\n');
      // connection 2 hangs: accepted, never a byte, never closed
    });
    const rec = streamSink();
    const c = connector(server.port, rec, { plan: plan({ idleTimeoutMs: 400 }) });
    await c.start();
    await waitUntil(() => rec.texts().includes('back'), 'data on the third connection', 10_000);
    expect(server.connections()).toBe(3);
    // each silent connection was closed by the gateway, not the device
    await waitUntil(() => server.sockets.slice(0, 2).every((s) => s.destroyed || s.readableEnded), 'old links closed');
    expect(statusTrail(rec.statuses())).toEqual(['online', 'degraded:BL_ERR_DEVICE_UNRESPONSIVE', 'online']);
    expect(rec.statuses()[1]?.detail).toBe('no byte for 400 ms');
  });

  it('time spent paused for backpressure is not silence', async () => {
    const server = await deviceServer((s) => {
      if (server.connections() === 1) s.write(Array.from({ length: 10 }, (_, i) => `m${i}\r\n`).join(''));
    });
    const rec = streamSink();
    rec.close();
    const c = connector(server.port, rec, { plan: plan({ idleTimeoutMs: 200 }), maxQueuedFrames: 2 });
    await c.start();
    await waitUntil(() => rec.maxInFlight() === 1, 'a push in flight');
    await tick(600); // three idle timeouts while the pump holds the socket paused
    expect(statusTrail(rec.statuses())).toEqual(['online']);
    expect(server.connections()).toBe(1);
    rec.open();
    await waitUntil(() => rec.frames().length === 10, 'all frames');
    // once resumed, the device's real silence is noticed
    await waitUntil(() => statusTrail(rec.statuses()).includes('degraded:BL_ERR_DEVICE_UNRESPONSIVE'), 'degraded');
  });

  it('reports offline when nothing listens, with the reason', async () => {
    const probe = await deviceServer();
    const port = probe.port;
    await probe.close();
    const rec = streamSink();
    const c = connector(port, rec);
    await c.start();
    await waitUntil(() => rec.statuses().length > 0, 'a status');
    expect(rec.statuses()[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED' });
    expect(rec.statuses()[0]?.detail).toMatch(new RegExp(`^open 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`));
  });

  it('applies backpressure: a held sink has one push in flight and the device sees its writes back up', async () => {
    const frameBytes = 1024;
    const perBatch = 64;
    let batches = 0;
    let sawFull = false;
    let drains = 0;
    const server = await deviceServer((s) => {
      s.on('drain', () => {
        drains += 1;
      });
      void (async () => {
        // write until the socket says stop; cap it so a connector that never pauses fails, not hangs
        while (!s.destroyed && batches < 4_000) {
          const batch = Buffer.concat(Array.from({ length: perBatch }, (_, i) =>
            Buffer.from(`${String(batches * perBatch + i).padStart(8, '0')},${'p'.repeat(frameBytes - 11)}\r\n`)));
          batches += 1;
          if (!s.write(batch)) {
            sawFull = true;
            return;
          }
          await tick(1);
        }
      })();
    });
    const rec = streamSink();
    rec.close();
    const c = connector(server.port, rec, {
      plan: plan({ framing: { kind: 'delimiter', delimiter: '\r\n', maxLength: 2048 } }),
      maxQueuedFrames: 16,
    });
    await c.start();
    await waitUntil(() => sawFull || batches >= 4_000, 'the device to fill its socket', 20_000);
    expect(sawFull).toBe(true);
    // while the sink holds, the gateway does not read: the device's data stays queued on its side
    await tick(300);
    expect(drains).toBe(0);
    expect(server.latest().writableLength).toBeGreaterThan(0);
    expect(rec.frames().length).toBe(0);
    expect(rec.maxInFlight()).toBe(1);

    rec.open();
    const total = batches * perBatch;
    await waitUntil(() => rec.frames().length === total, `all ${total} frames`, 20_000);
    expect(drains).toBeGreaterThan(0);
    expect(rec.maxInFlight()).toBe(1);
    const seq = rec.frames().map((f) => Number(f.data.subarray(0, 8).toString()));
    expect(seq).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(rec.rejects()).toEqual([]);
  });

  it('stop closes the link promptly and a stopped connector stays stopped', async () => {
    const server = await deviceServer((s) => s.write('x\r\n'));
    const rec = streamSink();
    const c = connector(server.port, rec);
    await c.start();
    await waitUntil(() => rec.frames().length === 1, 'a frame');
    await c.stop();
    await waitUntil(() => server.latest().destroyed || server.latest().readableEnded, 'server sees the close');
    await c.start();
    await tick(100);
    expect(server.connections()).toBe(1);
  });

  it('stop resolves within its timeout when the sink never answers, giving up the queued frames', async () => {
    const server = await deviceServer((s) => s.write('a\r\nb\r\nc\r\n'));
    const rec = streamSink();
    rec.close();
    const c = connector(server.port, rec, { stopTimeoutMs: 100 });
    await c.start();
    await waitUntil(() => rec.maxInFlight() === 1, 'a push in flight');
    await c.stop(); // would hang the test if stop waited for the sink
    await waitUntil(() => server.latest().destroyed || server.latest().readableEnded, 'server sees the close');
    rec.open();
    await tick(20);
    expect(rec.texts()).toEqual(['a']); // the frame in flight completes; the queued ones were abandoned, and logged
  });

  it('refuses a bad configuration with BL_ERR_CONFIG_INVALID', () => {
    const rec = streamSink();
    const bad: Array<Partial<TcpSocketConnectorOptions>> = [
      { port: 0 },
      { host: '' },
      { connectTimeoutMs: 0 },
      { plan: plan({ idleTimeoutMs: -1 }) },
      { plan: plan({ framing: { kind: 'fixed-length', length: 0 } }) },
    ];
    for (const over of bad) {
      let thrown: unknown;
      try {
        createTcpSocketConnector({
          deviceId: 'd', host: '127.0.0.1', port: 1, plan: plan(), sink: rec.sink, logger: silentLogger(), clock, ...over,
        });
      } catch (e) {
        thrown = e;
      }
      expect(isBorderlinkError(thrown) && thrown.code === 'BL_ERR_CONFIG_INVALID', JSON.stringify(over)).toBe(true);
    }
  });
});
