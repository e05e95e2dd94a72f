/**
 * Soak (issue 6, item 7): the whole gateway in this process (outbox, embedded broker, relay, REST,
 * connectors) with N simulated radiation portal monitors polled over Modbus TCP through the
 * rpm-modbus-generic profile. The simulators run in a child process (bench/soak-devices.ts).
 * Every --sample-s seconds it prints RSS, heapUsed, external memory, the event loop delay (p99 and
 * max over the interval, perf_hooks.monitorEventLoopDelay), frames / events so far and the
 * outbox depth; at the end, the growth: the mean of the first minute against the last minute.
 * A script, not a test: it passes or fails nothing.
 *
 *   npm run build && node dist/bench/soak.js --minutes 10 --devices 500
 *   options: --poll-ms 500 (the profile's own interval), --sample-s 10, --keep (keep the data dir)
 *   node --expose-gc dist/bench/soak.js ...   also samples the live heap after a full GC: the
 *   honest leak figure, since heapUsed between GCs mostly says when V8 last collected.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { systemClock } from '../src/clock.js';
import { parseConfig } from '../src/config/load-config.js';
import { BorderlinkError } from '../src/errors.js';
import { createGateway } from '../src/gateway.js';
import type { Counter } from 'prom-client';
import { cpuWindow, mib } from './scale-probe.js';

export interface SoakOptions {
  minutes: number;
  devices: number;
  pollMs: number;
  sampleSeconds: number;
  keep: boolean;
}

export interface SoakSample {
  /** seconds since the gateway started */
  t: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** heapUsed right after a full GC (the live set), when run with node --expose-gc; else null */
  heapLiveMiB: number | null;
  externalMiB: number;
  loopP99Ms: number;
  loopMaxMs: number;
  cpuPercent: number;
  frames: number;
  events: number;
  published: number;
  outboxDepth: number;
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export function soakOptionsFrom(args: readonly string[]): SoakOptions {
  const num = (name: string, dflt: number): number => {
    const v = argValue(args, name);
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new BorderlinkError('BL_ERR_USAGE', `${name} must be a positive number, got ${String(v)}`);
    return n;
  };
  return {
    minutes: num('--minutes', 10),
    devices: Math.round(num('--devices', 500)),
    pollMs: num('--poll-ms', 500),
    sampleSeconds: num('--sample-s', 10),
    keep: args.includes('--keep'),
  };
}

async function counterTotal(c: Counter<string>): Promise<number> {
  return (await c.get()).values.reduce((a, v) => a + v.value, 0);
}

function startDevices(n: number): Promise<{ ports: number[]; close(): Promise<void> }> {
  const script = fileURLToPath(new URL('./soak-devices.js', import.meta.url));
  const child = fork(script, ['--devices', String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new BorderlinkError('BL_ERR_SIMULATOR', `soak devices exited with ${String(code)} before listening`)));
    child.once('message', (m: unknown) => {
      const ports = typeof m === 'object' && m !== null && 'ports' in m && Array.isArray(m.ports) ? m.ports.filter((p): p is number => typeof p === 'number') : [];
      if (ports.length !== n) {
        reject(new BorderlinkError('BL_ERR_SIMULATOR', `soak devices sent ${ports.length} ports, expected ${n}`));
        return;
      }
      resolve({
        ports,
        async close() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          if (child.connected) child.disconnect();
          const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(t);
        },
      });
    });
  });
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const r1 = (x: number): number => Math.round(x * 10) / 10;

export function formatSoak(samples: readonly SoakSample[]): string {
  const head = '| t (s) | RSS MiB | heapUsed MiB | heap after GC MiB | external MiB | loop p99 / max (ms) | CPU % | frames | events | published | outbox depth |';
  const rows = samples.map((s) => `| ${s.t} | ${s.rssMiB} | ${s.heapUsedMiB} | ${s.heapLiveMiB ?? '-'} | ${s.externalMiB} | ${s.loopP99Ms} / ${s.loopMaxMs} | ${s.cpuPercent} | ${s.frames} | ${s.events} | ${s.published} | ${s.outboxDepth} |`);
  return [head, '|---|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

/** First minute against last minute (means of the samples in each). */
export function soakGrowth(samples: readonly SoakSample[]): string {
  if (samples.length < 2) return 'too few samples for a growth figure';
  const end = samples[samples.length - 1]?.t ?? 0;
  const first = samples.filter((s) => s.t <= 60);
  const last = samples.filter((s) => s.t > end - 60);
  const line = (name: string, pick: (s: SoakSample) => number): string => {
    const a = mean(first.map(pick));
    const b = mean(last.map(pick));
    return `${name}: first minute ${r1(a)}, last minute ${r1(b)}, growth ${r1(b - a)} (${a > 0 ? r1(((b - a) / a) * 100) : 0} %)`;
  };
  return [
    line('RSS MiB', (s) => s.rssMiB),
    line('heapUsed MiB', (s) => s.heapUsedMiB),
    ...(samples.every((s) => s.heapLiveMiB !== null) ? [line('heap after GC MiB', (s) => s.heapLiveMiB ?? 0)] : []),
    line('external MiB', (s) => s.externalMiB),
    line('loop delay p99 ms', (s) => s.loopP99Ms),
  ].join('\n');
}

export async function soak(o: SoakOptions, print: (line: string) => void = console.log): Promise<SoakSample[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-soak-'));
  const devices = await startDevices(o.devices);
  const logFile = path.join(dir, 'gateway.log');
  const logger = pino({ level: 'warn' }, pino.destination({ dest: logFile, sync: false }));
  const config = parseConfig(JSON.stringify({
    gateway: { id: 'bl-soak-gw', siteId: 'BGSOF', dataDir: path.join(dir, 'data'), logLevel: 'warn', shutdownTimeoutMs: 10_000 },
    mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
    http: { host: '127.0.0.1', port: 0 },
    devices: devices.ports.map((port, i) => ({
      id: `rpm-soak-${i}`, adapter: 'rpm-modbus-generic', laneId: String(i + 1), pollIntervalMs: o.pollMs, connection: { host: '127.0.0.1', port, unitId: 1 },
    })),
  }), 'soak.json', { env: {} });
  const gateway = await createGateway({ config, logger, clock: systemClock });
  const samples: SoakSample[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  try {
    await gateway.start();
    const t0 = performance.now();
    print(`soak: ${o.devices} RPMs over Modbus TCP every ${o.pollMs} ms, ${o.minutes} min, sample every ${o.sampleSeconds} s; node ${process.version}, ${os.cpus().length} cores; data ${dir}`);
    const until = t0 + o.minutes * 60_000;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let cpu = cpuWindow();
    while (performance.now() < until) {
      await new Promise((r) => setTimeout(r, Math.min(o.sampleSeconds * 1000, until - performance.now())));
      const m = process.memoryUsage();
      let heapLiveMiB: number | null = null;
      if (gc !== undefined) {
        gc();
        heapLiveMiB = mib(process.memoryUsage().heapUsed);
      }
      const s: SoakSample = {
        t: Math.round((performance.now() - t0) / 1000),
        rssMiB: mib(m.rss),
        heapUsedMiB: mib(m.heapUsed),
        heapLiveMiB,
        externalMiB: mib(m.external),
        loopP99Ms: r1(loop.percentile(99) / 1e6),
        loopMaxMs: r1(loop.max / 1e6),
        cpuPercent: Math.round(cpu()),
        frames: await counterTotal(gateway.metrics.framesReceived),
        events: await counterTotal(gateway.metrics.eventsPersisted),
        published: await counterTotal(gateway.metrics.eventsPublished),
        outboxDepth: gateway.outbox.stats(Date.now()).depth,
      };
      loop.reset();
      cpu = cpuWindow();
      samples.push(s);
      print(`t=${s.t}s rss=${s.rssMiB} heap=${s.heapUsedMiB} live=${s.heapLiveMiB ?? '-'} ext=${s.externalMiB} loop p99/max=${s.loopP99Ms}/${s.loopMaxMs} ms cpu=${s.cpuPercent}% frames=${s.frames} events=${s.events} published=${s.published} depth=${s.outboxDepth}`);
    }
    loop.disable();
  } finally {
    await gateway.stop();
    await devices.close();
    logger.flush();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const o = soakOptionsFrom(process.argv.slice(2));
  soak(o).then(
    (samples) => {
      console.log(`\n${formatSoak(samples)}\n\n${soakGrowth(samples)}`);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
