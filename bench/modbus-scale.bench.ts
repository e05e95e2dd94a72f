/**
 * Modbus scale: 10, 100 and 1,000 Modbus TCP connectors, each polling one 25-register block at
 * 5 Hz (200 ms), against a lean server in a child process (so the devices' CPU is not the
 * gateway's). Measures, after a warm-up, the achieved polls per second per device, how late each
 * poll starts against its grid point (p50 / p99 / max), this process's CPU and RSS, and the event
 * loop delay. The sink counts frames and returns at once: this is the connectors' cost (sockets,
 * timers, modbus-serial), not the pipeline's (see the pipeline bench for that). Not a test.
 *
 *   npm run bench -- modbus-scale
 *   node dist/bench/modbus-scale.bench.js --devices 10,100,1000 --seconds 20
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { ModbusFrame } from '../src/adapter/types.js';
import { createModbusTcpConnector } from '../src/connectors/modbus-tcp.js';
import type { Connector, Sink } from '../src/connectors/types.js';
import { systemClock } from '../src/clock.js';
import { silentLogger } from '../src/log.js';
import { cpuWindow, latenessHistogram, mib, startDeviceServerProcess } from './scale-probe.js';

export interface ModbusScaleOptions {
  /** device counts, one run each, in this order (default 10, 100, 1000) */
  devices?: readonly number[];
  /** measured window per run, s (default 15) */
  seconds?: number;
  /** warm-up before the window, s (default 3): every device connected and polling */
  warmupSeconds?: number;
  /** poll interval, ms (default 200 = 5 Hz) */
  pollIntervalMs?: number;
}

export interface ModbusScaleRow {
  devices: number;
  pollIntervalMs: number;
  /** achieved polls per second per device, mean over devices (5.00 at 5 Hz) */
  pollsPerDevice: number;
  /** all devices together */
  pollsPerSecond: number;
  /** poll start minus its grid point, ms */
  p50LateMs: number;
  p99LateMs: number;
  maxLateMs: number;
  /** process CPU over the window, % of one core */
  cpuPercent: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** event loop delay p99 over the window, ms */
  loopDelayP99Ms: number;
  /** devices that were not online at the end of the window */
  notOnline: number;
  seconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runOnce(port: number, n: number, seconds: number, warmupSeconds: number, pollIntervalMs: number): Promise<ModbusScaleRow> {
  const late = latenessHistogram();
  let frames = 0;
  let measuring = false;
  const online = new Set<string>();
  const connectors: Connector[] = [];
  const logger = silentLogger();
  for (let i = 0; i < n; i++) {
    const deviceId = `scale-${i}`;
    const sink: Sink<ModbusFrame> = {
      push: () => {
        if (measuring) frames += 1;
        return Promise.resolve({ status: 'accepted', eventIds: [] });
      },
      status: (s) => {
        if (s.state === 'online') online.add(deviceId);
        else online.delete(deviceId);
      },
      reject: () => Promise.resolve(),
    };
    connectors.push(createModbusTcpConnector({
      deviceId,
      host: '127.0.0.1',
      port,
      unitId: (i % 247) + 1,
      plan: { kind: 'modbus-poll', pollIntervalMs, timeoutMs: 1000, reads: [{ table: 'input', address: 0, count: 25 }] },
      sink,
      logger,
      clock: systemClock,
      onPollStart: (ms) => {
        if (measuring) late.record(ms);
      },
    }));
  }
  for (const c of connectors) await c.start();
  await sleep(warmupSeconds * 1000);

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  measuring = true;
  const cpu = cpuWindow();
  const t0 = performance.now();
  let rss = 0;
  let heap = 0;
  const until = t0 + seconds * 1000;
  while (performance.now() < until) {
    await sleep(Math.min(1000, until - performance.now()));
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpuPercent = cpu();
  loop.disable();
  const notOnline = n - online.size;
  await Promise.all(connectors.map((c) => c.stop()));
  return {
    devices: n,
    pollIntervalMs,
    pollsPerDevice: Math.round((frames / elapsed / n) * 100) / 100,
    pollsPerSecond: Math.round(frames / elapsed),
    p50LateMs: late.quantile(0.5),
    p99LateMs: late.quantile(0.99),
    maxLateMs: Math.round(late.maxMs * 10) / 10,
    cpuPercent: Math.round(cpuPercent),
    rssMiB: mib(rss),
    heapUsedMiB: mib(heap),
    loopDelayP99Ms: Math.round((loop.percentile(99) / 1e6) * 10) / 10,
    notOnline,
    seconds: Math.round(elapsed * 10) / 10,
  };
}

export async function benchModbusScale(opts: ModbusScaleOptions = {}): Promise<ModbusScaleRow[]> {
  const counts = opts.devices ?? [10, 100, 1000];
  const seconds = opts.seconds ?? 15;
  const warmup = opts.warmupSeconds ?? 3;
  const interval = opts.pollIntervalMs ?? 200;
  const server = await startDeviceServerProcess();
  try {
    const rows: ModbusScaleRow[] = [];
    for (const n of counts) rows.push(await runOnce(server.port, n, seconds, warmup, interval));
    return rows;
  } finally {
    await server.close();
  }
}

export function formatScaleTable(rows: readonly ModbusScaleRow[]): string {
  const head = '| devices | polls/s per device (target) | polls/s total | late p50 / p99 / max (ms) | CPU % of one core | RSS MiB | heap MiB | loop delay p99 (ms) | not online |';
  const sep = '|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map((r) =>
    `| ${r.devices} | ${r.pollsPerDevice.toFixed(2)} (${(1000 / r.pollIntervalMs).toFixed(2)}) | ${r.pollsPerSecond} | ${r.p50LateMs} / ${r.p99LateMs} / ${r.maxLateMs} | ${r.cpuPercent} | ${r.rssMiB} | ${r.heapUsedMiB} | ${r.loopDelayP99Ms} | ${r.notOnline} |`);
  return [head, sep, ...lines].join('\n');
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `--devices 10,100,1000 --seconds 15` (or BL_SCALE_DEVICES / BL_SCALE_SECONDS for npm run bench). */
export function scaleOptionsFrom(args: readonly string[], env: NodeJS.ProcessEnv): ModbusScaleOptions {
  const devices = argValue(args, '--devices') ?? env.BL_SCALE_DEVICES;
  const seconds = argValue(args, '--seconds') ?? env.BL_SCALE_SECONDS;
  const o: ModbusScaleOptions = {};
  if (devices !== undefined) o.devices = devices.split(',').map(Number).filter((x) => Number.isInteger(x) && x > 0);
  if (seconds !== undefined && Number(seconds) > 0) o.seconds = Number(seconds);
  return o;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchModbusScale(scaleOptionsFrom(process.argv.slice(2), process.env)).then(
    (rows) => console.log(formatScaleTable(rows)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
