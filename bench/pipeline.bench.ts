/**
 * The issue's pipeline figures, in one run, on one broker (Mosquitto where installed):
 *
 *   throughput  frames -> decode (RPM profile) -> normalise -> validate (ajv) -> SQLite outbox
 *               (WAL, durable commit, group commit) -> relay -> MQTT QoS 1 -> broker -> subscriber,
 *               `devices` devices pushing as fast as the pipeline takes their frames;
 *               events/s = events received by the subscriber / (first push .. last receipt)
 *   bare        mqtt.js publisher -> broker -> subscriber with exactly the messages the subscriber
 *               received in the throughput phase (same topics' shape, same payloads, QoS 1, same
 *               in-flight window); ratio = throughput / bare
 *   latency     the same pipeline paced at `pacedEventsPerSecond` (default 2,000 events/s: each
 *               frame yields a measurement and a result, so 1,000 frames/s spread over the
 *               devices) for `pacedSeconds`; per event, frame push -> subscriber receipt, p50/p99
 *
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
import { openSqliteOutbox } from '../src/outbox/sqlite-outbox.js';
import { packageRoot } from '../src/package-root.js';
import { createPipeline } from '../src/pipeline/pipeline.js';
import { createEventValidator } from '../src/schema/validator.js';
import { startTestBroker, type TestBroker } from '../test/helpers/broker.js';
import { occupancyFrames } from './rpm-frames.js';
import { connectedRelay } from './relay-rig.js';

export interface PipelineBenchResult {
  broker: string;
  devices: number;
  /** events the subscriber received in the throughput phase (measurements and results) */
  events: number;
  /** mean payload size, bytes */
  payloadBytes: number;
  bare: { messagesPerSecond: number; seconds: number };
  pipeline: { eventsPerSecond: number; seconds: number };
  ratio: number;
  paced: {
    offeredEventsPerSecond: number;
    achievedEventsPerSecond: number;
    events: number;
    seconds: number;
    p50LatencyMs: number;
    p99LatencyMs: number;
    maxLatencyMs: number;
  };
}

export interface PipelineBenchOptions {
  devices?: number;
  /** frames per device in the throughput phase (each yields two events) */
  framesPerDevice?: number;
  pacedEventsPerSecond?: number;
  pacedSeconds?: number;
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

interface Message { topic: string; payload: Buffer }

async function bare(url: string, messages: readonly Message[]): Promise<{ messagesPerSecond: number; seconds: number }> {
  const sub = await subscriber(url, 'bench/bare/#');
  const pub = await mqtt.connectAsync(url, { clientId: `bench-pub-${process.pid}`, clean: true, protocolVersion: 4, queueQoSZero: false });
  let received = 0;
  const done = new Promise<void>((resolve) => {
    sub.on('message', () => {
      received += 1;
      if (received === messages.length) resolve();
    });
  });
  const t0 = performance.now();
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (inFlight < WINDOW && next < messages.length) {
        const m = messages[next++] as Message;
        inFlight += 1;
        pub.publish(`bench/bare/${m.topic}`, m.payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          inFlight -= 1;
          if (next === messages.length && inFlight === 0) resolve();
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
  return { messagesPerSecond: Math.round(messages.length / seconds), seconds: round3(seconds) };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Where an event came from: its device and its frame's receivedAt (both events of a frame share it). */
function frameKey(payload: Buffer): string | undefined {
  const e = JSON.parse(payload.toString()) as { receivedAt?: string; source?: { device?: { id?: string } } };
  return e.source?.device?.id === undefined ? undefined : `${e.source.device.id}|${e.receivedAt ?? ''}`;
}

export async function benchPipeline(opts: PipelineBenchOptions = {}): Promise<PipelineBenchResult> {
  const devices = opts.devices ?? 50;
  const perDevice = opts.framesPerDevice ?? 200;
  const pacedRate = opts.pacedEventsPerSecond ?? 2000;
  const pacedSeconds = opts.pacedSeconds ?? 10;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-bench-pipeline-'));
  const logger = silentLogger();
  const broker: TestBroker = await startTestBroker();
  const adapters = await loadAdapters(path.join(packageRoot(), 'adapters'));
  const adapter = adapters.get('rpm-modbus-generic') as AnyAdapter;
  const reads = adapter.acquisition.kind === 'modbus-poll' ? adapter.acquisition.reads : undefined;

  const outbox = openSqliteOutbox({ path: path.join(dir, 'outbox.sqlite'), clock: systemClock, logger });
  const metrics = createMetrics({ defaultMetrics: false });
  const sub = await subscriber(broker.url, 'borderlink/v1/BGSOF/radiation-portal-monitor/#');
  const { publisher, relay } = await connectedRelay({ brokerUrl: broker.url, outbox, window: WINDOW, logger, metrics });
  relay.start();
  const pipeline = createPipeline({
    gatewayId: 'bench-gw',
    outbox,
    validator: createEventValidator(),
    newEventId: createUuidV7(systemClock),
    clock: systemClock,
    logger,
    metrics,
    onDurable: () => relay.notify(),
  });

  /** what the subscriber does with each message; swapped between phases */
  let onMessage: (topic: string, payload: Buffer) => void = () => undefined;
  sub.on('message', (topic, payload) => onMessage(topic, payload));

  // -- throughput: every device pushes its frames back to back -------------------------------
  const frames: ModbusFrame[][] = [];
  for (let d = 0; d < devices; d++) frames.push(occupancyFrames(perDevice, 1_800_000_000_000 + d * 1000, reads));
  const sinks = frames.map((_, d) => pipeline.forDevice({ id: `bench-rpm-${d}`, siteId: 'BGSOF', laneId: String(d) }, adapter, {}));
  const received: Message[] = [];
  let pushedEvents = 0;
  let lastReceipt = 0;
  let allPushed = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  onMessage = (topic, payload) => {
    received.push({ topic, payload });
    lastReceipt = performance.now();
    if (allPushed && received.length >= pushedEvents) resolveDone();
  };
  const t0 = performance.now();
  await Promise.all(sinks.map(async (sink, d) => {
    for (const f of frames[d] as ModbusFrame[]) pushedEvents += (await sink.push(f)).eventIds.length;
  }));
  allPushed = true;
  if (received.length >= pushedEvents) resolveDone();
  await done;
  const seconds = (lastReceipt - t0) / 1000;
  const eventsPerSecond = Math.round(received.length / seconds);

  // -- latency: the same pipeline paced at pacedRate events/s ---------------------------------
  const framesPerSecond = pacedRate / 2;
  const pacedFrames = Math.round(framesPerSecond * pacedSeconds);
  const perPacedDevice = Math.ceil(pacedFrames / devices);
  const pacedList: ModbusFrame[][] = [];
  for (let d = 0; d < devices; d++) pacedList.push(occupancyFrames(perPacedDevice + 1, 1_900_000_000_000 + d * 1000, reads));
  const pacedSinks = pacedList.map((_, d) => pipeline.forDevice({ id: `paced-rpm-${d}`, siteId: 'BGSOF', laneId: String(d) }, adapter, {}));
  // the first frame of each device only sets its baseline: push it before the clock starts
  await Promise.all(pacedSinks.map((sink, d) => sink.push((pacedList[d] as ModbusFrame[])[0] as ModbusFrame)));
  await new Promise((r) => setTimeout(r, 500));
  const pushedAt = new Map<string, number>();
  const latencies: number[] = [];
  let pacedExpected = 0;
  let pacedDone = false;
  let resolvePaced: () => void = () => undefined;
  const pacedFinished = new Promise<void>((resolve) => {
    resolvePaced = resolve;
  });
  let pacedLast = 0;
  onMessage = (_topic, payload) => {
    const key = frameKey(payload);
    const at = key === undefined ? undefined : pushedAt.get(key);
    if (at === undefined) return;
    pacedLast = performance.now();
    latencies.push(pacedLast - at);
    if (pacedDone && latencies.length >= pacedExpected) resolvePaced();
  };
  const p0 = performance.now();
  let issued = 0;
  const pushes: Promise<unknown>[] = [];
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(pacedFrames, Math.floor(((performance.now() - p0) / 1000) * framesPerSecond));
      for (; issued < due; issued++) {
        const d = issued % devices;
        const i = 1 + Math.floor(issued / devices);
        const frame = (pacedList[d] as ModbusFrame[])[i] as ModbusFrame;
        pushedAt.set(`paced-rpm-${d}|${new Date(frame.receivedAt).toISOString()}`, performance.now());
        pushes.push((pacedSinks[d] as (typeof pacedSinks)[number]).push(frame).then((o) => {
          pacedExpected += o.eventIds.length;
        }));
      }
      if (issued >= pacedFrames) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(pushes);
  pacedDone = true;
  if (latencies.length >= pacedExpected) resolvePaced();
  await pacedFinished;
  const pacedSpan = (pacedLast - p0) / 1000;
  latencies.sort((a, b) => a - b);

  // -- bare: the same messages straight through mqtt.js ----------------------------------------
  const bareResult = await bare(broker.url, received);

  await relay.stop(2000);
  await publisher.stop(1000);
  await sub.endAsync();
  await outbox.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    broker: broker.kind,
    devices,
    events: received.length,
    payloadBytes: Math.round(received.reduce((n, m) => n + m.payload.length, 0) / Math.max(1, received.length)),
    bare: bareResult,
    pipeline: { eventsPerSecond, seconds: round3(seconds) },
    ratio: round3(eventsPerSecond / bareResult.messagesPerSecond),
    paced: {
      offeredEventsPerSecond: pacedRate,
      achievedEventsPerSecond: Math.round(latencies.length / pacedSpan),
      events: latencies.length,
      seconds: round3(pacedSpan),
      p50LatencyMs: round2(percentile(latencies, 50)),
      p99LatencyMs: round2(percentile(latencies, 99)),
      maxLatencyMs: round2(latencies[latencies.length - 1] ?? 0),
    },
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
