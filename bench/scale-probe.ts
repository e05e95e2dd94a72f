/**
 * Measuring helpers shared by the modbus-scale bench and the soak script: a fixed-bucket latency
 * histogram (constant memory however many samples, so the measurement does not inflate the RSS
 * it reports), process CPU over a window, and the device-side server in a child process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BorderlinkError } from '../src/errors.js';

/** Lateness histogram: 0.1 ms buckets up to `maxMs`; later samples land in the last bucket. */
export interface LatenessHistogram {
  record(ms: number): void;
  readonly count: number;
  /** the q-quantile (0..1), ms, to bucket resolution */
  quantile(q: number): number;
  readonly maxMs: number;
  reset(): void;
}

export function latenessHistogram(maxMs = 10_000): LatenessHistogram {
  const buckets = new Uint32Array(Math.ceil(maxMs * 10) + 1);
  let count = 0;
  let max = 0;
  return {
    record(ms) {
      const v = ms > 0 ? ms : 0;
      const i = Math.min(buckets.length - 1, Math.floor(v * 10));
      buckets[i] = (buckets[i] ?? 0) + 1;
      count += 1;
      if (v > max) max = v;
    },
    get count() {
      return count;
    },
    quantile(q) {
      if (count === 0) return 0;
      const want = Math.ceil(q * count);
      let seen = 0;
      for (let i = 0; i < buckets.length; i++) {
        seen += buckets[i] ?? 0;
        if (seen >= want) return (i + 1) / 10;
      }
      return maxMs;
    },
    get maxMs() {
      return max;
    },
    reset() {
      buckets.fill(0);
      count = 0;
      max = 0;
    },
  };
}

/** CPU of this process over a window, as % of one core (200 % = both cores of this machine). */
export function cpuWindow(): () => number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    const elapsedUs = (performance.now() - t0) * 1000;
    return elapsedUs > 0 ? ((c.user + c.system) / elapsedUs) * 100 : 0;
  };
}

export const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

export interface DeviceServerProcess {
  readonly port: number;
  readonly child: ChildProcess;
  close(): Promise<void>;
}

/** Forks bench/modbus-scale-server (compiled, next to this file) and waits for its port. */
export function startDeviceServerProcess(): Promise<DeviceServerProcess> {
  const script = fileURLToPath(new URL('./modbus-scale-server.js', import.meta.url));
  const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => reject(new BorderlinkError('BL_ERR_SIMULATOR', `modbus scale server: ${why}`));
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code) => fail(`exited with ${String(code)} before listening`));
    child.once('message', (m: unknown) => {
      const port = typeof m === 'object' && m !== null && 'port' in m && typeof m.port === 'number' ? m.port : 0;
      if (port <= 0) {
        fail('sent no port');
        return;
      }
      resolve({
        port,
        child,
        async close() {
          if (child.exitCode === null && child.signalCode === null) {
            if (child.connected) child.disconnect();
            const t = setTimeout(() => child.kill('SIGKILL'), 3_000);
            await exited;
            clearTimeout(t);
          }
        },
      });
    });
  });
}
