/**
 * Modbus simulator benchmark: N concurrent loopback clients keep D FC 4 reads (25 registers, the RPM's
 * live block) in flight against the RPM simulator's lean server for a few seconds, then one lockstep client
 * (one request at a time, like a real poller) for reference. Not a test: it asserts nothing.
 *
 *   node dist/bench/modbus-server.bench.js            (after npm run build)
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { BorderlinkError } from '../src/errors.js';
import { startRpmSimulator } from '../simulators/rpm/rpm-simulator.js';

export interface ModbusServerBenchOptions {
  /** concurrent connections (default 8) */
  clients?: number;
  /** requests in flight per connection (default 16) */
  pipelineDepth?: number;
  /** pipelined phase length (default 5000 ms) */
  durationMs?: number;
  /** lockstep phase length (default 2000 ms; 0 skips it) */
  lockstepMs?: number;
}

export interface ModbusServerBenchResult {
  /** pipelined phase: replies per second, all clients together */
  requestsPerSecond: number;
  requests: number;
  clients: number;
  pipelineDepth: number;
  durationMs: number;
  /** one client, one request at a time */
  lockstepRequestsPerSecond: number;
}

/** FC 4, unit 1, address 0, 25 registers, with the given transaction id. */
function readRequest(transactionId: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(transactionId, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(6, 4);
  b[6] = 1;
  b[7] = 4;
  b.writeUInt16BE(0, 8);
  b.writeUInt16BE(25, 10);
  return b;
}

/** One connection keeping `depth` requests in flight until `until`; resolves to the replies it counted. */
function runClient(port: number, depth: number, until: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let nextTid = 0;
    let expectTid = 0;
    let replies = 0;
    let inFlight = 0;
    let pending: Buffer | undefined;
    let stopping = false;
    const sendMore = (): void => {
      const batch: Buffer[] = [];
      while (inFlight < depth && !stopping) {
        batch.push(readRequest(nextTid));
        nextTid = (nextTid + 1) & 0xffff;
        inFlight++;
      }
      if (batch.length > 0) socket.write(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch));
    };
    socket.on('connect', sendMore);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      let off = 0;
      while (buf.length - off >= 7) {
        const len = buf.readUInt16BE(off + 4);
        if (buf.length - off < 6 + len) break;
        if (buf.readUInt16BE(off) !== expectTid || buf[off + 7] !== 4) {
          socket.destroy();
          reject(new BorderlinkError('BL_ERR_MODBUS_MALFORMED_REPLY', `bad reply: tid ${buf.readUInt16BE(off)} (expected ${expectTid}), fc ${buf[off + 7]}`));
          return;
        }
        expectTid = (expectTid + 1) & 0xffff;
        off += 6 + len;
        replies++;
        inFlight--;
      }
      pending = off < buf.length ? buf.subarray(off) : undefined;
      if (Date.now() >= until) stopping = true;
      if (stopping && inFlight === 0) {
        socket.end();
        resolve(replies);
        return;
      }
      sendMore();
    });
  });
}

export async function benchModbusServer(opts: ModbusServerBenchOptions = {}): Promise<ModbusServerBenchResult> {
  const clients = opts.clients ?? 8;
  const depth = opts.pipelineDepth ?? 16;
  const durationMs = opts.durationMs ?? 5000;
  const lockstepMs = opts.lockstepMs ?? 2000;
  const sim = await startRpmSimulator({ scenario: 'demo', realtime: false, startTimeMs: Date.UTC(2025, 0, 1) });
  try {
    sim.step(10_000);
    const t0 = performance.now();
    const counts = await Promise.all(Array.from({ length: clients }, () => runClient(sim.port, depth, Date.now() + durationMs)));
    const elapsed = (performance.now() - t0) / 1000;
    const requests = counts.reduce((a, b) => a + b, 0);
    let lockstep = 0;
    if (lockstepMs > 0) {
      const t1 = performance.now();
      const n = await runClient(sim.port, 1, Date.now() + lockstepMs);
      lockstep = n / ((performance.now() - t1) / 1000);
    }
    return {
      requestsPerSecond: Math.round(requests / elapsed),
      requests,
      clients,
      pipelineDepth: depth,
      durationMs: Math.round(elapsed * 1000),
      lockstepRequestsPerSecond: Math.round(lockstep),
    };
  } finally {
    await sim.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchModbusServer().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
