/**
 * A real broker for tests. In order of preference:
 *   1. the system Mosquitto binary (CI installs it; .ci/run refuses to run without it),
 *   2. Mosquitto in a container via testcontainers, where a Docker engine answers,
 *   3. the embedded aedes broker, only where neither exists (never in CI: CI=true fails instead).
 * Each broker listens on a free loopback port in a temp dir and can be stopped and started again
 * on the same port (outage tests).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:net';

export type BrokerKind = 'mosquitto' | 'testcontainers' | 'embedded';

export interface TestBroker {
  kind: BrokerKind;
  url: string;
  port: number;
  /** stops the broker (the port stays reserved for start()) */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops for good and removes the temp dir */
  close(): Promise<void>;
}

export function findMosquitto(): string | undefined {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/opt/homebrew/sbin/mosquitto']) {
    if (existsSync(p)) return p;
  }
  const r = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port }, () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`broker did not listen on ${port} within ${timeoutMs} ms`);
}

export interface MosquittoOptions {
  persistence?: boolean;
  /** replaces the default anonymous plain listener: lines for the listener on `port` (TLS, auth) */
  listener?: (port: number, dir: string) => string[];
  /** called with the broker's temp dir before it starts (write certificates, password files) */
  prepare?: (dir: string) => void;
  scheme?: 'mqtt' | 'mqtts';
  /**
   * Queue limits as Mosquitto ships them (max_queued_messages 1000 by default) instead of the
   * production settings: for tests that show what a dropping broker does to a slow subscriber.
   */
  maxQueuedMessages?: number;
}

export async function startMosquitto(bin: string, opts: MosquittoOptions = {}): Promise<TestBroker> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  opts.prepare?.(dir);
  writeFileSync(
    conf,
    [
      ...(opts.listener ? opts.listener(port, dir) : [`listener ${port} 127.0.0.1`, 'allow_anonymous true']),
      // What production needs too (docs): never drop QoS 1 messages queued for a slow or
      // offline persistent subscriber, keep sessions across broker restarts.
      `max_queued_messages ${opts.maxQueuedMessages ?? 0}`,
      'max_inflight_messages 0',
      `persistence ${opts.persistence === true ? 'true' : 'false'}`,
      `persistence_location ${dir}/`,
      'log_dest none',
      // as root, Mosquitto would switch to the 'mosquitto' user, which cannot read this private
      // temp dir (certificates, persistence); stay the user that started it
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(bin, ['-c', conf], { stdio: 'ignore' });
    await waitForPort(port, 10_000);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    });
  };
  try {
    await start();
  } catch (e) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    kind: 'mosquitto',
    url: `${opts.scheme ?? 'mqtt'}://127.0.0.1:${port}`,
    port,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function dockerAnswers(): boolean {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 && r.stdout.trim().length > 0;
}

async function startContainer(): Promise<TestBroker> {
  const { GenericContainer } = await import('testcontainers');
  const port = await freePort();
  type Started = Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>;
  let container: Started | undefined;
  const start = async (): Promise<void> => {
    container = await new GenericContainer('eclipse-mosquitto:2')
      .withCommand(['mosquitto', '-c', '/mosquitto-no-auth.conf'])
      .withExposedPorts({ container: 1883, host: port })
      .start();
  };
  const stop = async (): Promise<void> => {
    await container?.stop();
    container = undefined;
  };
  await start();
  return { kind: 'testcontainers', url: `mqtt://127.0.0.1:${port}`, port, start, stop, close: stop };
}

async function startAedes(): Promise<TestBroker> {
  const { startEmbeddedBroker } = await import('../../src/publish/embedded-broker.js');
  const { silentLogger } = await import('../../src/log.js');
  const port = await freePort();
  let b: Awaited<ReturnType<typeof startEmbeddedBroker>> | undefined;
  const start = async (): Promise<void> => {
    b = await startEmbeddedBroker({ host: '127.0.0.1', port, users: [], logger: silentLogger() });
  };
  const stop = async (): Promise<void> => {
    await b?.close();
    b = undefined;
  };
  await start();
  return { kind: 'embedded', url: `mqtt://127.0.0.1:${port}`, port, start, stop, close: stop };
}

/** Starts the best broker this machine has; in CI only a real Mosquitto is acceptable. */
export async function startTestBroker(opts: { persistence?: boolean } = {}): Promise<TestBroker> {
  const bin = findMosquitto();
  if (bin) return startMosquitto(bin, { persistence: opts.persistence ?? false });
  if (process.env.CI === 'true') {
    throw new Error('CI needs Mosquitto (apt-get install mosquitto): the end-to-end tests must run against a real broker');
  }
  if (dockerAnswers()) return startContainer();
  process.stderr.write('[broker] neither mosquitto nor a Docker engine here: using the embedded aedes broker (install mosquitto for the real test)\n');
  return startAedes();
}
