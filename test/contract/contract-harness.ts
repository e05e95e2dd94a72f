/**
 * The gateway's ingest side for one device, as the daemon builds it: the real connector, the real
 * pipeline (validation included) and the real SQLite outbox in a temp dir. Contract tests drive a
 * simulator and read what became durable.
 */
import { seedIdentify } from '../helpers/golden-runner.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AnyAdapter, Frame } from '../../src/adapter/types.js';
import type { Sink } from '../../src/connectors/types.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { createArtifactStore } from '../../src/artifacts/artifact-store.js';
import { createConnectorFactory } from '../../src/connectors/connector-factory.js';
import type { DeviceConnection } from '../../src/config/types.js';
import { createUuidV7 } from '../../src/ids.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';
import type { OutboxRow, QuarantineRecord } from '../../src/outbox/types.js';
import { createPipeline } from '../../src/pipeline/pipeline.js';
import { createEventValidator } from '../../src/schema/validator.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { opcuaSettings } from '../helpers/opcua.js';
import { waitFor } from '../helpers/wait-for.js';

export interface DeviceAddress {
  host: string;
  port: number;
  unitId: number;
}

/** Where the harness finds the device: a TCP address (Modbus TCP, TCP stream), a watched folder, a polled URL, or an OPC UA server. */
export type HarnessTarget = DeviceAddress | { folder: string } | { url: string } | { opcua: { endpointUrl: string; serverCertificate?: Buffer } };

export interface Harness {
  rows: OutboxRow[];
  events(): DetectionEvent[];
  quarantine(): QuarantineRecord[];
  waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  outbox: SqliteOutbox;
  stop(): Promise<void>;
}

export async function startHarness(opts: {
  adapter: AnyAdapter;
  address: HarnessTarget;
  deviceId?: string;
  pollIntervalMs?: number;
  timeoutMs?: number;
  clock?: Clock;
}): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-contract-'));
  const clock = opts.clock ?? systemClock;
  const logger = silentLogger();
  const outbox = openSqliteOutbox({ path: path.join(dir, 'outbox.sqlite'), clock, logger });
  const rows: OutboxRow[] = [];
  const pipeline = createPipeline({
    gatewayId: 'contract-gw',
    outbox,
    validator: createEventValidator(),
    newEventId: createUuidV7(clock),
    clock,
    logger,
    metrics: createMetrics({ defaultMetrics: false }),
    onDurable: (r) => rows.push(...r),
    artifacts: createArtifactStore({ dir: path.join(dir, 'artifacts'), maxBytes: 64 * 1024 * 1024, logger, clock }),
    ...(opts.adapter.deviceClass === 'spectrometer' ? { identify: seedIdentify() } : {}),
  });
  const deviceId = opts.deviceId ?? 'contract-device';
  const sink = pipeline.forDevice({ id: deviceId, siteId: 'BGSOF', laneId: '1' }, opts.adapter, {});
  const target = opts.address;
  const connection: DeviceConnection = 'folder' in target ? { folder: target.folder, unitId: 1 } : 'url' in target ? { url: target.url, unitId: 1 }
    : 'opcua' in target ? { opcua: opcuaSettings(path.join(dir, 'pki')), unitId: 1 } : { host: target.host, port: target.port, unitId: target.unitId };
  // for streams, timeoutMs is how long silence lasts before the link is called degraded
  const plan = opts.adapter.acquisition;
  const adapter: AnyAdapter = plan.kind === 'stream' && opts.timeoutMs !== undefined ? { ...opts.adapter, acquisition: { ...plan, idleTimeoutMs: opts.timeoutMs } } : opts.adapter;
  const built = createConnectorFactory({ logger, clock }).build(
    { id: deviceId, adapter: opts.adapter.id, enabled: true, options: {}, connection, pollIntervalMs: opts.pollIntervalMs ?? 100, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) },
    adapter,
    sink as Sink<Frame>,
    'opcua' in target ? { host: '', port: 0, opcua: target.opcua } : 'folder' in target || 'url' in target ? undefined : { host: target.host, port: target.port },
  );
  const connector = built.connector;
  if (!connector) throw new Error(`no connector for adapter ${opts.adapter.id}`);
  await connector.start();
  return {
    rows,
    outbox,
    events: () => rows.map((r) => r.event),
    quarantine: () => outbox.quarantine({ limit: 1000 }).items,
    waitFor: (probe, what, timeoutMs) => waitFor(probe, what, timeoutMs),
    async stop() {
      await connector.stop();
      await pipeline.drain();
      await outbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Link-state events come from the connector, not the adapter; golden comparisons leave them out. */
export function isLinkStatus(e: DetectionEvent): boolean {
  return e.eventType === 'status' && e.raw?.format === 'link-status';
}
