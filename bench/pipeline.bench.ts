/**
 * Whole-pipeline throughput against the bare pipe, in one run, on the same broker:
 *
 *   bare:     mqtt.js publisher -> broker -> subscriber (QoS 1, same payloads, same in-flight window)
 *   pipeline: frames -> decode (RPM profile) -> normalise -> validate (ajv) -> SQLite outbox
 *             (WAL, synchronous=FULL, group commit) -> relay -> MQTT QoS 1 -> broker -> subscriber
 *
 * Both count what the subscriber receives; events/s = events / (first push .. last receipt).
 * Prints figures only; nothing here passes or fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { loadAdapters } from '../src/adapter/registry.js';
import type { AnyAdapter, ModbusFrame } from '../src/adapter/types.js';
import { systemClock } from '../src/clock.js';
import { createUuidV7 } from '../src/ids.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { createRelay } from '../src/outbox/relay.js';
import { openSqliteOutbox } from '../src/outbox/sqlite-outbox.js';
import type { OutboxRow } from '../src/outbox/types.js';
import { packageRoot } from '../src/package-root.js';
import { createPipeline } from '../src/pipeline/pipeline.js';
import { createMqttPublisher, jsonEncoder } from '../src/publish/mqtt-publisher.js';
import { createEventValidator } from '../src/schema/validator.js';
import { startTestBroker, type TestBroker } from '../test/helpers/broker.js';
import { occupancyFrames } from './rpm-frames.js';

export interface PipelineBenchResult {
  broker: string;
  devices: number;
  events: number;
  payloadBytes: number;
  bare: { messagesPerSecond: number; seconds: number };
  pipeline: { eventsPerSecond: number; seconds: number; p50LatencyMs: number; p99LatencyMs: number };
  ratio: number;
}

const WINDOW = 1000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function subscriber(url: string, topic: string): Promise<mqtt.MqttClient> {
  const sub = await mqtt.connectAsync(url, { clientId: `bench-sub-${process.pid}-${Math.random().toString(16).slice(2)}`, clean: true, protocolVersion: 4 });
  await sub.subscribeAsync(topic, { qos: 1 });
  return sub;
}

async function bare(url: string, payloads: readonly { topic: string; json: string }[]): Promise<{ messagesPerSecond: number; seconds: number }> {
  const sub = await subscriber(url, 'bench/bare/#');
  const pub = await mqtt.connectAsync(url, { clientId: `bench-pub-${process.pid}`, clean: true, protocolVersion: 4, queueQoSZero: false });
  let received = 0;
  const done = new Promise<void>((resolve) => {
    sub.on('message', () => {
      received += 1;
      if (received === payloads.length) resolve();
    });
  });
  const t0 = performance.now();
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (inFlight < WINDOW && next < payloads.length) {
        const p = payloads[next++] as { topic: string; json: string };
        inFlight += 1;
        pub.publish(`bench/bare/${p.topic}`, p.json, { qos: 1 }, (err) => {
          if (err) return reject(err);
          inFlight -= 1;
          if (next === payloads.length && inFlight === 0) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await pub.endAsync();
  await sub.endAsync();
  return { messagesPerSecond: Math.round(payloads.length / seconds), seconds: Math.round(seconds * 1000) / 1000 };
}

export async function benchPipeline(opts: { devices?: number; eventsPerDevice?: number } = {}): Promise<PipelineBenchResult> {
  const devices = opts.devices ?? 50;
  const perDevice = opts.eventsPerDevice ?? 400;
  const total = devices * perDevice;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-bench-pipeline-'));
  const logger = silentLogger();
  const broker: TestBroker = await startTestBroker();
  const adapters = await loadAdapters(path.join(packageRoot(), 'adapters'));
  const adapter = adapters.get('rpm-modbus-generic') as AnyAdapter;
  const frames: ModbusFrame[][] = [];
  for (let d = 0; d < devices; d++) frames.push(occupancyFrames(perDevice, 1_800_000_000_000 + d, adapter.acquisition.kind === 'modbus-poll' ? adapter.acquisition.reads : undefined));

  const outbox = openSqliteOutbox({ path: path.join(dir, 'outbox.sqlite'), clock: systemClock, logger });
  const metrics = createMetrics({ defaultMetrics: false });
  const sub = await subscriber(broker.url, 'borderlink/#');
  const publisher = createMqttPublisher({
    url: broker.url,
    mqtt: { protocolVersion: 4, keepaliveSeconds: 30 },
    gatewayId: 'bench-gw',
    siteId: 'BGSOF',
    version: 'bench',
    encoder: jsonEncoder,
    logger,
    now: () => Date.now(),
  });
  await new Promise<void>((resolve) => publisher.onConnectionChange((c) => c && resolve()));
  const relay = createRelay({ outbox, publisher, window: WINDOW, logger, metrics, now: () => Date.now() });
  relay.start();
  const stored: OutboxRow[] = [];
  const pipeline = createPipeline({
    gatewayId: 'bench-gw',
    outbox,
    validator: createEventValidator(),
    newEventId: createUuidV7(systemClock),
    clock: systemClock,
    logger,
    metrics,
    onDurable: (rows) => {
      relay.notify();
      if (stored.length < 1) stored.push(...rows);
    },
  });

  const pushedAt = new Map<string, number>();
  const latencies: number[] = [];
  let results = 0;
  const done = new Promise<void>((resolve) => {
    sub.on('message', (topic, payload) => {
      if (!topic.endsWith('/result')) return;
      const e = JSON.parse(payload.toString()) as { source: { device: { id: string } }; subject?: { inspectionId?: string } };
      const t = pushedAt.get(`${e.source.device.id}/${e.subject?.inspectionId ?? ''}`);
      if (t !== undefined) latencies.push(performance.now() - t);
      results += 1;
      if (results === total - devices) resolve();
    });
  });

  const t0 = performance.now();
  await Promise.all(
    frames.map(async (list, d) => {
      const sink = pipeline.forDevice({ id: `bench-rpm-${d}`, siteId: 'BGSOF', laneId: String(d) }, adapter, {});
      // the first frame sets the baseline (no result); each later frame completes one occupancy
      for (let i = 0; i < list.length; i++) {
        if (i > 0) pushedAt.set(`bench-rpm-${d}/occ-${i}`, performance.now());
        await sink.push(list[i] as ModbusFrame);
      }
    }),
  );
  await done;
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);

  const sample = stored[0];
  const payloads = Array.from({ length: total }, (_, i) => ({ topic: `d${i % devices}`, json: sample ? sample.json : '{}' }));
  const bareResult = await bare(broker.url, payloads);

  await relay.stop(2000);
  await publisher.stop(1000);
  await sub.endAsync();
  await outbox.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
  const eventsPerSecond = Math.round((total - devices) / seconds);
  return {
    broker: broker.kind,
    devices,
    events: total - devices,
    payloadBytes: sample ? Buffer.byteLength(sample.json) : 0,
    bare: bareResult,
    pipeline: {
      eventsPerSecond,
      seconds: Math.round(seconds * 1000) / 1000,
      p50LatencyMs: Math.round(percentile(latencies, 50) * 100) / 100,
      p99LatencyMs: Math.round(percentile(latencies, 99) * 100) / 100,
    },
    ratio: Math.round((eventsPerSecond / bareResult.messagesPerSecond) * 1000) / 1000,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchPipeline().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
