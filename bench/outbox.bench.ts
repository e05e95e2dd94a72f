/**
 * Outbox benchmark: group-committed append throughput with many devices appending at once, then
 * the relay's lease+ack loop, then what it costs to read the queue depth. Runs in a temp dir on
 * the real filesystem (fsync included: WAL, synchronous=FULL). Not a test: it asserts nothing.
 *
 *   node dist/bench/outbox.bench.js            (after npm run build)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { systemClock } from '../src/clock.js';
import { createUuidV7 } from '../src/ids.js';
import { silentLogger } from '../src/log.js';
import { openSqliteOutbox } from '../src/outbox/sqlite-outbox.js';
import type { UnsequencedEvent } from '../src/outbox/types.js';
import type { Measurement } from '../src/schema/detection-event.js';

export interface OutboxBenchOptions {
  /** total events appended (default 100 000) */
  events?: number;
  /** devices appending concurrently, each awaiting its previous append (default 50) */
  devices?: number;
  /** events per append call (default 1: one frame, one event) */
  eventsPerAppend?: number;
  batchMaxEvents?: number;
  /** rows per lease in the lease+ack loop (default 500) */
  leaseBatch?: number;
  /** where the temp dir goes (default os.tmpdir()) */
  baseDir?: string;
}

export interface OutboxBenchResult {
  events: number;
  devices: number;
  eventsPerAppend: number;
  /** mean JSON size of one stored event */
  eventBytes: number;
  appendSeconds: number;
  eventsPerSecond: number;
  commits: number;
  meanEventsPerCommit: number;
  /** lease(afterId, leaseBatch) + ack(ids) until the queue is empty */
  leaseAckSeconds: number;
  leaseAckEventsPerSecond: number;
  /** COUNT(*) over the unacked partial index with every event unacked, mean of 20 runs */
  depthCountMs: number;
  /** stats() (in-memory depth + one index probe), mean of 1000 calls */
  statsMs: number;
  /** one newest-first page of 100 events of one device, mean of 200 queries */
  queryPageMs: number;
  dbBytes: number;
}

/** A radiation portal monitor result of the usual size (~1.5 KB of JSON). */
export function benchEvent(deviceId: string, nextId: () => string, n: number): UnsequencedEvent {
  const at = new Date(Date.UTC(2026, 10, 23, 10, 0, 0) + n * 1000).toISOString();
  const gamma: Measurement = {
    detectorId: 'g', category: 'gamma', realTimeS: 8.5, liveTimeS: 8.41, countRateCps: 2523.53,
    backgroundRateCps: 2401.2, sigma: 2.48, thresholdCps: 2597.2, occupied: true, speedKmh: 7.4,
  };
  return {
    eventId: nextId(),
    schemaVersion: '1.0',
    eventType: 'result',
    observedAt: at,
    endedAt: at,
    receivedAt: at,
    quality: 'good',
    source: {
      gatewayId: 'gw-bench-01',
      siteId: 'BGSOF',
      laneId: `lane-${n % 8}`,
      device: {
        id: deviceId, class: 'radiation-portal-monitor', technique: 'gamma-neutron',
        vendor: 'Acme Detection', model: 'RPM-9000', serial: `SN-${deviceId}`, firmware: '4.2.1',
      },
      adapter: { id: 'rpm-modbus-generic', version: '1.0.0' },
      algorithm: { name: 'n-sigma', version: '2.1', settings: { nSigma: 4, backgroundWindowS: 60 } },
    },
    subject: {
      inspectionId: `occ-${deviceId}-${n}`,
      conveyances: [
        { type: 'truck', id: 'CA1234AB', scheme: 'plate', readConfidence: 0.97 },
      ],
      documents: [{ type: 'mrn', id: '24BG001234567890A1', valid: true }],
    },
    outcome: { state: n % 50 === 0 ? 'alarm' : 'clear', categories: n % 50 === 0 ? ['gamma'] : [], decisionBy: 'machine', vendorState: 'NORMAL' },
    measurements: [
      { ...gamma, detectorId: 'g1', grossCounts: 21450 + (n % 97) },
      { ...gamma, detectorId: 'g2', grossCounts: 21398 + (n % 89) },
      { detectorId: 'n1', category: 'neutron', realTimeS: 8.5, grossCounts: 12, countRateCps: 1.41, backgroundRateCps: 1.2, occupied: true },
    ],
    raw: { format: 'modbus-registers', nativeIds: { occupancyId: String(n) }, extensions: { vendorFlags: 0, lane: n % 8, tamper: false } },
    sharing: { classification: 'internal', agencies: ['customs', 'border-police'] },
  };
}

export async function benchOutbox(opts: OutboxBenchOptions = {}): Promise<OutboxBenchResult> {
  const total = opts.events ?? 100_000;
  const deviceCount = opts.devices ?? 50;
  const perAppend = opts.eventsPerAppend ?? 1;
  const leaseBatch = opts.leaseBatch ?? 500;
  const dir = fs.mkdtempSync(path.join(opts.baseDir ?? os.tmpdir(), 'bl-bench-outbox-'));
  const file = path.join(dir, 'outbox.db');
  const nextId = createUuidV7(systemClock);
  const outbox = openSqliteOutbox({
    path: file, clock: systemClock, logger: silentLogger(),
    ...(opts.batchMaxEvents === undefined ? {} : { batchMaxEvents: opts.batchMaxEvents }),
  });
  try {
    const appendsPerDevice = Math.ceil(total / deviceCount / perAppend);
    let bytes = 0;
    let stored = 0;
    const device = async (d: number): Promise<void> => {
      const id = `rpm-${String(d).padStart(3, '0')}`;
      for (let i = 0; i < appendsPerDevice; i++) {
        const events = Array.from({ length: perAppend }, (_, k) => benchEvent(id, nextId, i * perAppend + k));
        const r = await outbox.append({ deviceId: id, events, state: { occupancy: i, phase: 'idle' } });
        for (const row of r.rows) bytes += row.json.length;
        stored += r.rows.length;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: deviceCount }, (_, d) => device(d)));
    const appendSeconds = (performance.now() - t0) / 1000;
    const { commits } = outbox.writeCounters();

    const side = new Database(file, { readonly: true });
    const count = side.prepare('SELECT COUNT(*) FROM events WHERE acked_at_ms IS NULL').pluck();
    count.get();
    let t1 = performance.now();
    for (let i = 0; i < 20; i++) count.get();
    const depthCountMs = (performance.now() - t1) / 20;
    side.close();

    t1 = performance.now();
    for (let i = 0; i < 1000; i++) outbox.stats(Date.now());
    const statsMs = (performance.now() - t1) / 1000;

    t1 = performance.now();
    for (let i = 0; i < 200; i++) outbox.query({ deviceId: `rpm-${String(i % deviceCount).padStart(3, '0')}`, limit: 100 });
    const queryPageMs = (performance.now() - t1) / 200;

    const t2 = performance.now();
    let after = 0;
    let acked = 0;
    for (;;) {
      const rows = outbox.lease(after, leaseBatch);
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      outbox.ack(rows.map((r) => r.id));
      acked += rows.length;
      after = last.id;
    }
    const leaseAckSeconds = (performance.now() - t2) / 1000;
    await outbox.close();
    const dbBytes = fs.statSync(file).size;

    return {
      events: stored,
      devices: deviceCount,
      eventsPerAppend: perAppend,
      eventBytes: Math.round(bytes / stored),
      appendSeconds: round(appendSeconds),
      eventsPerSecond: Math.round(stored / appendSeconds),
      commits,
      meanEventsPerCommit: round(stored / commits),
      leaseAckSeconds: round(leaseAckSeconds),
      leaseAckEventsPerSecond: Math.round(acked / leaseAckSeconds),
      depthCountMs: round(depthCountMs),
      statsMs: round(statsMs),
      queryPageMs: round(queryPageMs),
      dbBytes,
    };
  } finally {
    await outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchOutbox().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
