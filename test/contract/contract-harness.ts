/**
 * The gateway's ingest side for one device, as the daemon builds it: the real connector, the real
 * pipeline (validation included) and the real SQLite outbox in a temp dir. Contract tests drive a
 * simulator and read what became durable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AnyAdapter, ModbusFrame } from '../../src/adapter/types.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { createModbusTcpConnector } from '../../src/connectors/modbus-tcp.js';
import type { Connector, Sink } from '../../src/connectors/types.js';
import { createUuidV7 } from '../../src/ids.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';
import type { OutboxRow, QuarantineRecord } from '../../src/outbox/types.js';
import { createPipeline } from '../../src/pipeline/pipeline.js';
import { createEventValidator } from '../../src/schema/validator.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';

export interface DeviceAddress {
  host: string;
  port: number;
  unitId: number;
}

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
  address: DeviceAddress;
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
  });
  const deviceId = opts.deviceId ?? 'contract-device';
  const sink = pipeline.forDevice({ id: deviceId, siteId: 'BGSOF', laneId: '1' }, opts.adapter, {});
  const plan = opts.adapter.acquisition;
  if (plan.kind !== 'modbus-poll') throw new Error(`the contract harness cannot run ${plan.kind} adapters yet`);
  let connector: Connector;
  switch (opts.adapter.transport) {
    case 'modbus-tcp':
      connector = createModbusTcpConnector({
        deviceId,
        host: opts.address.host,
        port: opts.address.port,
        unitId: opts.address.unitId,
        plan: { ...plan, pollIntervalMs: opts.pollIntervalMs ?? 100, timeoutMs: opts.timeoutMs ?? plan.timeoutMs },
        sink: sink as Sink<ModbusFrame>,
        logger,
        clock,
        backoff: { baseMs: 50, capMs: 500 },
      });
      break;
    default:
      throw new Error(`the contract harness has no connector for transport ${opts.adapter.transport} yet`);
  }
  await connector.start();
  return {
    rows,
    outbox,
    events: () => rows.map((r) => r.event),
    quarantine: () => outbox.quarantine({ limit: 1000 }).items,
    async waitFor(probe, what, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = probe();
        if (v !== undefined && v !== false) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
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
