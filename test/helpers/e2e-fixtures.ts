/**
 * Building blocks for end-to-end tests: a temp config for the real daemon, an MQTT subscriber
 * that records what it sees, and a REST client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { startDaemon, type Daemon } from './daemon.js';
import { waitFor } from './wait-for.js';

export interface TempDir {
  path: string;
  remove(): void;
}

export function tempDir(prefix = 'bl-e2e-'): TempDir {
  const p = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { path: p, remove: () => rmSync(p, { recursive: true, force: true }) };
}

/** Two simulated RPM lanes, REST on an ephemeral port, the given broker (or embedded on port 0). */
export function rpmConfig(opts: { dataDir: string; mqttUrl?: string; scenario?: string; extra?: Record<string, unknown>; mqtt?: Record<string, unknown> }): Record<string, unknown> {
  const scenario = opts.scenario ?? 'demo';
  return {
    gateway: { id: 'bl-e2e-gw', siteId: 'BGSOF', dataDir: opts.dataDir, logLevel: 'info', shutdownTimeoutMs: 4000 },
    mqtt: { ...(opts.mqttUrl ? { url: opts.mqttUrl } : { embedded: { host: '127.0.0.1', port: 0 } }), ...opts.mqtt },
    http: { host: '127.0.0.1', port: 0 },
    simulators: [
      { id: 'sim-1', kind: 'rpm', scenario, seed: 101 },
      { id: 'sim-2', kind: 'rpm', scenario, seed: 202 },
    ],
    devices: [
      { id: 'rpm-lane1', adapter: 'rpm-modbus-generic', laneId: '1', connection: { simulator: 'sim-1' }, pollIntervalMs: 200 },
      { id: 'rpm-lane2', adapter: 'rpm-modbus-generic', laneId: '2', connection: { simulator: 'sim-2' }, pollIntervalMs: 200 },
    ],
    ...opts.extra,
  };
}

export function writeConfig(dir: string, config: Record<string, unknown>, name = 'config.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify(config));
  return file;
}

export interface StartedDaemon {
  daemon: Daemon;
  rest: string;
  mqttUrl: string;
}

/** Starts the daemon and waits for its "gateway started" line, which names its addresses. */
export async function startGatewayDaemon(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<StartedDaemon> {
  const daemon = startDaemon(['start', '--config', configFile], { env });
  let started: Record<string, unknown>;
  try {
    started = await daemon.waitForLog((l) => l.msg === 'gateway started', 20_000);
  } catch (e) {
    // a daemon that never said it started must not outlive the test
    daemon.child.kill('SIGKILL');
    throw e;
  }
  return { daemon, rest: started.rest as string, mqttUrl: started.mqtt as string };
}

export interface Recorder {
  client: mqtt.MqttClient;
  messages: Array<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }>;
  events(): DetectionEvent[];
  waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function recordMqtt(url: string, opts: { topic?: string; clientId?: string; clean?: boolean; protocolVersion?: 4 | 5 } = {}): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, {
    clientId: opts.clientId ?? `bl-test-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
    clean: opts.clean ?? true,
    protocolVersion: opts.protocolVersion ?? 4,
    reconnectPeriod: 200,
  });
  const messages: Recorder['messages'] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, packet }));
  await client.subscribeAsync(opts.topic ?? 'borderlink/#', { qos: 1 });
  return {
    client,
    messages,
    events: () =>
      messages
        .filter((m) => !m.topic.includes('/gateway/'))
        .map((m) => JSON.parse(m.payload.toString()) as DetectionEvent),
    waitFor: (probe, what, timeoutMs = 15_000) => waitFor(probe, what, timeoutMs),
    close: () => client.endAsync(true),
  };
}

export { waitFor };

export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** Every stored event of a device, ascending by sequence, through the gap-recovery API. */
export async function allEventsOf(rest: string, deviceId: string): Promise<DetectionEvent[]> {
  const out: DetectionEvent[] = [];
  let cursor: string | undefined;
  do {
    const q = new URLSearchParams({ device: deviceId, afterSequence: '0', limit: '500' });
    if (cursor) q.set('cursor', cursor);
    const { status, body } = await getJson<{ items: DetectionEvent[]; nextCursor?: string }>(`${rest}/v1/events?${q.toString()}`);
    if (status !== 200) throw new Error(`GET /v1/events answered ${status}`);
    out.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return out;
}
