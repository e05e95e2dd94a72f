/**
 * Drain of an outage backlog: `events` events (default 1,000,000, ~1.7 KB of JSON each) are made
 * durable through the outbox API in large appends while no broker exists, as a long outage would
 * leave them; then Mosquitto (where installed), a subscriber, the MQTT publisher and the relay are
 * started and the clock runs from relay.start() until the subscriber holds every event, and on
 * until the outbox has recorded every PUBACK (depth 0).
 *
 *   node dist/bench/drain.bench.js [events]      (after npm run build; or npm run bench -- drain)
 *
 * Needs ~2 GB of free disk in os.tmpdir() at the default size. Prints figures; asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { systemClock } from '../src/clock.js';
import { createUuidV7 } from '../src/ids.js';
import { silentLogger } from '../src/log.js';
import { openSqliteOutbox } from '../src/outbox/sqlite-outbox.js';
import { startTestBroker } from '../test/helpers/broker.js';
import { benchEvent } from './outbox.bench.js';
import { connectedRelay } from './relay-rig.js';

export interface DrainBenchResult {
  broker: string;
  events: number;
  payloadBytes: number;
  dbMiB: number;
  buildSeconds: number;
  /** relay.start() .. the subscriber holds every event */
  seconds: number;
  eventsPerSecond: number;
  /** relay.start() .. outbox depth 0 (every PUBACK recorded) */
  ackedSeconds: number;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export async function benchDrain(opts: { events?: number; devices?: number; window?: number } = {}): Promise<DrainBenchResult> {
  const total = opts.events ?? 1_000_000;
  const devices = opts.devices ?? 100;
  const window = opts.window ?? 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-bench-drain-'));
  const file = path.join(dir, 'outbox.sqlite');
  const logger = silentLogger();
  const nextId = createUuidV7(systemClock);
  // room for the whole backlog: the cap is not what this measures
  const outbox = openSqliteOutbox({ path: file, clock: systemClock, logger, batchMaxEvents: 10_000, capacity: { maxBytes: 64 * 1024 ** 3 } });
  try {
    // -- the backlog, made while no broker exists --------------------------------------------
    const b0 = performance.now();
    const perAppend = 1000;
    let built = 0;
    let bytes = 0;
    let round_ = 0;
    while (built < total) {
      const appends: Promise<unknown>[] = [];
      // ten devices per group commit, 1,000 events each
      for (let k = 0; k < 10 && built < total; k++) {
        const id = `rpm-${String((round_ * 10 + k) % devices).padStart(3, '0')}`;
        const n = Math.min(perAppend, total - built);
        const events = Array.from({ length: n }, (_, i) => benchEvent(id, nextId, built + i));
        built += n;
        appends.push(outbox.append({ deviceId: id, events }).then((r) => {
          for (const row of r.rows) bytes += row.json.length;
        }));
      }
      round_ += 1;
      await Promise.all(appends);
    }
    const buildSeconds = (performance.now() - b0) / 1000;
    const dbMiB = Math.round(outbox.capacity().bytes / 2 ** 20);

    // -- the broker returns -------------------------------------------------------------------
    const broker = await startTestBroker();
    const sub = await mqtt.connectAsync(broker.url, { clientId: `bench-drain-sub-${process.pid}`, clean: true, protocolVersion: 4 });
    await sub.subscribeAsync('borderlink/v1/#', { qos: 1 });
    let received = 0;
    let allReceived = 0;
    const got = new Promise<void>((resolve) => {
      sub.on('message', (topic) => {
        if (topic.includes('/gateway/')) return;
        received += 1;
        if (received === total) {
          allReceived = performance.now();
          resolve();
        }
      });
    });
    const { publisher, relay } = await connectedRelay({ brokerUrl: broker.url, outbox, window, logger });
    const t0 = performance.now();
    relay.start();
    await got;
    const seconds = (allReceived - t0) / 1000;
    while (outbox.stats(Date.now()).depth > 0) await new Promise((r) => setTimeout(r, 20));
    const ackedSeconds = (performance.now() - t0) / 1000;
    await relay.stop(2000);
    await publisher.stop(1000);
    await sub.endAsync();
    await broker.close();
    return {
      broker: broker.kind,
      events: total,
      payloadBytes: Math.round(bytes / total),
      dbMiB,
      buildSeconds: round(buildSeconds),
      seconds: round(seconds),
      eventsPerSecond: Math.round(total / seconds),
      ackedSeconds: round(ackedSeconds),
    };
  } finally {
    await outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  benchDrain(n === undefined ? {} : { events: n }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
