/**
 * Southbound faults against real loopback sockets (issue 6, item 5): a reconnect storm of many
 * unreachable Modbus TCP devices, links that hang without closing, slow replies, flapping.
 *
 * Assertions are bounds on counts (connection attempts, sockets, statuses), never on speed: a
 * slower machine makes fewer attempts, so it can only pass more easily. Rates of healthy devices
 * are checked as "at least half of nominal", with a window far longer than the poll interval.
 *
 * Long variant: BL_STORM_DEVICES (default 1000) and BL_STORM_SECONDS (measured window, default 6).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModbusPollPlan } from '../../src/adapter/types.js';
import { createModbusTcpConnector, type ModbusTcpConnectorOptions } from '../../src/connectors/modbus-tcp.js';
import type { Connector } from '../../src/connectors/types.js';
import { silentLogger } from '../../src/log.js';
import { startModbusTcpServer, type ModbusTcpServer } from '../../simulators/modbus/lean-tcp-server.js';
import { fixedImageHandler } from '../../bench/modbus-scale-server.js';
import { freePort, hasDuplicateStatus, recordingSink, waitUntil, type RecordingSink } from '../unit/connectors/modbus-fakes.js';

const clock = { now: (): number => Date.now() };
const STORM_DEVICES = Number(process.env.BL_STORM_DEVICES ?? 1000);
const STORM_SECONDS = Number(process.env.BL_STORM_SECONDS ?? 6);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function plan(over: Partial<ModbusPollPlan> = {}): ModbusPollPlan {
  return { kind: 'modbus-poll', pollIntervalMs: 100, timeoutMs: 500, reads: [{ table: 'input', address: 0, count: 10 }], ...over };
}

function connector(port: number, rec: RecordingSink, over: Partial<ModbusTcpConnectorOptions> = {}): Connector {
  const c = createModbusTcpConnector({
    deviceId: `dev-${port}-${Math.random().toString(36).slice(2, 8)}`,
    host: '127.0.0.1',
    port,
    unitId: 1,
    plan: plan(),
    sink: rec.sink,
    logger: silentLogger(),
    clock,
    backoff: { baseMs: 100, capMs: 1_000 },
    ...over,
  });
  cleanups.push(() => c.stop());
  return c;
}

async function leanServer(): Promise<ModbusTcpServer> {
  const s = await startModbusTcpServer({ handler: fixedImageHandler, maxConnections: 5_000 });
  cleanups.push(() => s.close());
  return s;
}

/**
 * A listener that accepts every connection and never sends a byte (a hung device). It reads and
 * discards, so it sees the gateway close a connection (a socket that never reads never sees EOF).
 */
async function blackHoleServer(): Promise<{ port: number; accepted(): number; open(): number }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted += 1;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.resume();
  });
  server.maxConnections = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { port: addr.port, accepted: () => accepted, open: () => sockets.size };
}

/**
 * Full jitter: delay = uniform(0, min(cap, base * 2^n)); once at the cap a device waits cap / 2
 * on average, so N devices make at most 2N / cap attempts per second (fewer: an attempt also
 * takes time). The assertions allow 1.5x that over the window and 2x in any one second.
 */
function stormBound(devices: number, capMs: number): { perSecondMean: number; perSecondMax: number } {
  const expected = (2 * devices) / (capMs / 1000);
  return { perSecondMean: expected * 1.5, perSecondMax: expected * 2 };
}

function perSecond(times: readonly number[], from: number, to: number): number[] {
  const buckets = new Array<number>(Math.max(1, Math.round((to - from) / 1000))).fill(0);
  for (const t of times) {
    if (t < from || t >= to) continue;
    const i = Math.floor((t - from) / 1000);
    buckets[i] = (buckets[i] ?? 0) + 1;
  }
  return buckets;
}

describe('reconnect storm', () => {
  const capMs = 2_000;
  const backoff = { baseMs: 100, capMs };
  /** the ceiling reaches the cap after log2(cap / base) + 1 attempts: warm up well past it */
  const warmupMs = 4_000;

  it(`${STORM_DEVICES} devices on a port that refuses: attempts per second stay under the backoff bound, heap flat`, async () => {
    const port = await freePort(); // nothing listens: every connect is refused at once
    const attempts: number[] = [];
    const real = net.createConnection.bind(net);
    vi.spyOn(net, 'createConnection').mockImplementation(((...args: Parameters<typeof net.createConnection>) => {
      attempts.push(performance.now());
      return real(...args);
    }) as typeof net.createConnection);
    const recs: RecordingSink[] = [];
    for (let i = 0; i < STORM_DEVICES; i++) {
      const rec = recordingSink();
      recs.push(rec);
      await connector(port, rec, { backoff }).start();
    }
    await sleep(warmupMs);
    const from = performance.now();
    const heapStart = process.memoryUsage().heapUsed;
    let heapMax = heapStart;
    const to = from + STORM_SECONDS * 1000;
    while (performance.now() < to) {
      await sleep(500);
      heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
    }
    const buckets = perSecond(attempts, from, to);
    const mean = buckets.reduce((a, b) => a + b, 0) / buckets.length;
    const bound = stormBound(STORM_DEVICES, capMs);
    console.log(`reconnect storm (refused): ${STORM_DEVICES} devices, cap ${capMs} ms: attempts/s ${buckets.join(' ')} (mean ${mean.toFixed(0)}, bound ${bound.perSecondMean.toFixed(0)}); heap ${(heapStart / 2 ** 20).toFixed(1)} -> max ${(heapMax / 2 ** 20).toFixed(1)} MiB`);
    expect(mean).toBeLessThan(bound.perSecondMean);
    expect(Math.max(...buckets)).toBeLessThan(bound.perSecondMax);
    expect(heapMax - heapStart).toBeLessThan(64 * 2 ** 20);
    // one offline report per device, not one per attempt
    for (const rec of recs) {
      expect(rec.statuses.map((s) => [s.state, s.code])).toEqual([['offline', 'BL_ERR_CONNECT_FAILED']]);
    }
  }, 60_000);

  it(`${STORM_DEVICES} devices on a listener that accepts and never answers: bounded reconnects, no socket pile-up`, async () => {
    const hole = await blackHoleServer();
    const recs: RecordingSink[] = [];
    for (let i = 0; i < STORM_DEVICES; i++) {
      const rec = recordingSink();
      recs.push(rec);
      await connector(hole.port, rec, { backoff, plan: plan({ timeoutMs: 300 }) }).start();
    }
    await sleep(warmupMs);
    const acceptedAtStart = hole.accepted();
    const from = performance.now();
    let maxOpen = 0;
    const to = from + STORM_SECONDS * 1000;
    while (performance.now() < to) {
      await sleep(100);
      maxOpen = Math.max(maxOpen, hole.open());
    }
    const mean = (hole.accepted() - acceptedAtStart) / ((performance.now() - from) / 1000);
    const bound = stormBound(STORM_DEVICES, capMs);
    console.log(`reconnect storm (silent listener): ${STORM_DEVICES} devices: ${mean.toFixed(0)} connections/s (bound ${bound.perSecondMean.toFixed(0)}), at most ${maxOpen} open at once`);
    expect(mean).toBeLessThan(bound.perSecondMean);
    // a device holds at most one socket; the server may see a closed one a moment late
    expect(maxOpen).toBeLessThanOrEqual(STORM_DEVICES + 10);
    for (const rec of recs) {
      expect(rec.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_MODBUS_TIMEOUT' });
      expect(hasDuplicateStatus(rec.statuses)).toBe(false);
      expect(rec.frames).toEqual([]);
    }
  }, 60_000);
});

describe('hanging links, slow replies, flapping', () => {
  /** Healthy devices polled at 100 ms must get at least half their nominal polls over `ms`. */
  const atLeastHalf = (ms: number, intervalMs = 100): number => Math.floor(ms / intervalMs / 2);

  it('a device that accepts and never replies, and one that stops replying mid-stream, go offline and reconnect; the others keep their rate', async () => {
    const healthy = await leanServer();
    const hole = await blackHoleServer();
    const stalling = await leanServer();
    const good = Array.from({ length: 5 }, () => recordingSink());
    for (const rec of good) await connector(healthy.port, rec).start();
    const recHole = recordingSink();
    await connector(hole.port, recHole).start();
    const recStall = recordingSink();
    await connector(stalling.port, recStall).start();

    await waitUntil(() => recStall.frames.length >= 5, 'the stalling device to poll first');
    const before = good.map((r) => r.frames.length);
    const t0 = performance.now();
    stalling.setFaults({ mode: { kind: 'silent' } }); // the link stays up; replies stop
    await waitUntil(() => recStall.statuses.at(-1)?.state === 'offline', 'the stalled device offline', 10_000);
    await waitUntil(() => stalling.connections() >= 1 && stalling.requestCount() > 0 && hole.accepted() >= 3, 'reconnects to both', 10_000);
    const connectsBefore = hole.accepted();
    await sleep(1_500);
    expect(hole.accepted()).toBeGreaterThan(connectsBefore - 1); // still retrying, with backoff
    const elapsed = performance.now() - t0;

    for (const [i, rec] of good.entries()) {
      expect(rec.frames.length - (before[i] ?? 0)).toBeGreaterThanOrEqual(atLeastHalf(elapsed));
      expect(rec.statuses.map((s) => s.state)).toEqual(['online']);
    }
    expect(recHole.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_MODBUS_TIMEOUT' });
    expect(recHole.frames).toEqual([]);
    expect(recStall.statuses.map((s) => [s.state, s.code])).toEqual([['online', undefined], ['offline', 'BL_ERR_MODBUS_TIMEOUT']]);

    // replies resume: the stalled device is back online on a fresh connection
    const framesBefore = recStall.frames.length;
    stalling.setFaults({});
    await waitUntil(() => recStall.frames.length > framesBefore, 'frames again after the stall', 10_000);
    expect(recStall.statuses.at(-1)?.state).toBe('online');
    expect(hasDuplicateStatus(recStall.statuses)).toBe(false);
    expect(stalling.connections()).toBe(1);
  }, 30_000);

  it('slow replies (80 % of the timeout) never time out: the device stays online at the rate the device allows', async () => {
    const slow = await leanServer();
    slow.setFaults({ delayMs: 400 }); // timeout 500
    const rec = recordingSink();
    await connector(slow.port, rec).start();
    await waitUntil(() => rec.frames.length >= 8, '8 slow frames', 15_000);
    expect(rec.statuses.map((s) => s.state)).toEqual(['online']);
    expect(rec.rejects).toEqual([]);
    expect(slow.connections()).toBe(1);
    // one request in flight at a time: no pile-up of requests behind the slow replies
    expect(slow.requestCount()).toBeLessThanOrEqual(rec.frames.length + 1);
  }, 30_000);

  it('a server that drops every connection each second: offline / online in turn, no socket or status pile-up, heap flat', async () => {
    const flappy = await leanServer();
    const rec = recordingSink();
    await connector(flappy.port, rec).start();
    await waitUntil(() => rec.frames.length >= 1, 'first frame');
    const heapStart = process.memoryUsage().heapUsed;
    let maxConns = 0;
    const flaps = 6;
    for (let i = 0; i < flaps; i++) {
      for (let t = 0; t < 10; t++) {
        await sleep(100);
        maxConns = Math.max(maxConns, flappy.connections());
      }
      flappy.dropConnections();
    }
    await waitUntil(() => rec.statuses.at(-1)?.state === 'online', 'online after the last flap', 10_000);
    const trail = rec.statuses.map((s) => s.state);
    const offlines = trail.filter((s) => s === 'offline').length;
    expect(offlines).toBeGreaterThanOrEqual(flaps - 1); // a drop during the reconnect sleep may merge with the next
    expect(offlines).toBeLessThanOrEqual(flaps);
    expect(hasDuplicateStatus(rec.statuses)).toBe(false);
    expect(rec.statuses.filter((s) => s.state === 'offline').every((s) => s.code === 'BL_ERR_CONNECT_FAILED')).toBe(true);
    expect(maxConns).toBeLessThanOrEqual(1);
    expect(rec.rejects).toEqual([]);
    expect(process.memoryUsage().heapUsed - heapStart).toBeLessThan(32 * 2 ** 20);
  }, 30_000);
});
