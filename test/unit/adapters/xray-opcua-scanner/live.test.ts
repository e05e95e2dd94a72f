/**
 * The xray-opcua-scanner adapter against the OPC UA scanner simulator, through the real OPC UA
 * connector, pipeline and SQLite outbox (in process): scans become one result each although both
 * the data change and the ScanCompleted event deliver them, the operator's verdict becomes one
 * operator-decision, and a fault is raised and cleared with the scanner's status.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import xray from '../../../../adapters/xray-opcua-scanner/adapter.js';
import type { AnyAdapter, OpcUaFrame, OpcUaPlan } from '../../../../src/adapter/types.js';
import { systemClock } from '../../../../src/clock.js';
import { createOpcUaConnector } from '../../../../src/connectors/opcua.js';
import type { Connector, Sink } from '../../../../src/connectors/types.js';
import { createUuidV7 } from '../../../../src/ids.js';
import { silentLogger } from '../../../../src/log.js';
import { createMetrics } from '../../../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../../src/outbox/sqlite-outbox.js';
import { createPipeline } from '../../../../src/pipeline/pipeline.js';
import type { DetectionEvent } from '../../../../src/schema/detection-event.js';
import { createEventValidator } from '../../../../src/schema/validator.js';
import { startXrayOpcuaSimulator, type XrayOpcuaSimulator } from '../../../../simulators/opcua-scanner/xray-opcua-simulator.js';
import { opcuaSettings } from '../../../helpers/opcua.js';
import { waitFor } from '../../../helpers/wait-for.js';

const logger = silentLogger();

describe('xray-opcua-scanner against the OPC UA simulator', () => {
  let root = '';
  let sim: XrayOpcuaSimulator;
  let outbox: SqliteOutbox;
  let connector: Connector;
  const rows: DetectionEvent[] = [];
  const mine = (): DetectionEvent[] => rows.filter((e) => e.raw?.format !== 'link-status');

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'bl-xray-opcua-'));
    sim = await startXrayOpcuaSimulator({ stateDir: path.join(root, 'sim'), scenario: 'idle', logger });
    outbox = openSqliteOutbox({ path: path.join(root, 'outbox.sqlite'), clock: systemClock, logger });
    const pipeline = createPipeline({
      gatewayId: 'gw', outbox, validator: createEventValidator(), newEventId: createUuidV7(systemClock), clock: systemClock,
      logger, metrics: createMetrics({ defaultMetrics: false }), onDurable: (r) => rows.push(...r.map((x) => x.event)),
    });
    const adapter = xray as unknown as AnyAdapter;
    const sink = pipeline.forDevice({ id: 'xray-1', siteId: 'BGSOF', laneId: '3' }, adapter, {});
    // a quick publishing interval for the test
    const plan = { ...(adapter.acquisition as OpcUaPlan), publishingIntervalMs: 100 };
    connector = createOpcUaConnector({
      deviceId: 'xray-1', endpointUrl: sim.endpointUrl, settings: opcuaSettings(path.join(root, 'pki')), plan,
      sink: sink as Sink<OpcUaFrame>, logger, clock: systemClock, pinnedServerCertificate: sim.certificate,
    });
    await connector.start();
    await waitFor(() => rows.some((e) => e.raw?.format === 'link-status' && e.status?.state === 'online'), 'online', 60_000);
  }, 90_000);

  afterAll(async () => {
    await connector?.stop();
    await outbox?.close();
    await sim?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reports the scanner ready, then one result per scan', async () => {
    await waitFor(() => mine().some((e) => e.eventType === 'status' && e.status?.state === 'online'), 'the scanner status');
    const scan = sim.scan('alarm-two-threats');
    const result = await waitFor(() => mine().find((e) => e.eventType === 'result' && e.subject?.inspectionId === scan.scanId), 'the alarm result');
    expect(result.outcome).toMatchObject({ state: 'alarm', categories: ['explosive', 'contraband'], decisionBy: 'machine', vendorState: 'ALARM' });
    expect(result.findings?.map((f) => [f.codes?.dicosCategory, f.identified, f.score?.value])).toEqual([['EXPLOSIVE', true, 0.91], ['CONTRABAND', true, 0.64]]);
    expect(result.subject?.conveyances?.[0]).toMatchObject({ type: 'container', scheme: 'iso6346', checkDigitValid: true, readConfidence: 0.93 });
    expect(result.source.algorithm?.name).toBeTruthy();
    expect(result.source.device.class).toBe('xray-scanner');
    const clear = sim.scan('clear-bag');
    await waitFor(() => mine().find((e) => e.subject?.inspectionId === clear.scanId), 'the clear result');
    // the event and the data change both came: still one result each
    expect(mine().filter((e) => e.eventType === 'result' && e.subject?.inspectionId === scan.scanId)).toHaveLength(1);
  });

  it('links the operator decision to the scan', async () => {
    const scan = sim.scan('operator-override');
    const decision = await waitFor(() => mine().find((e) => e.eventType === 'operator-decision' && e.subject?.inspectionId === scan.scanId), 'the operator decision');
    expect(decision.outcome).toMatchObject({ state: 'clear', decisionBy: 'operator' });
    expect(decision.source.operatorId).toBe('OP-0042');
    expect(mine().filter((e) => e.eventType === 'operator-decision' && e.subject?.inspectionId === scan.scanId)).toHaveLength(1);
  });

  it('raises a fault with the scanner status and clears it', async () => {
    sim.setState('fault');
    await waitFor(() => mine().find((e) => e.eventType === 'fault' && e.fault?.active === true), 'the fault raised');
    expect(mine().some((e) => e.eventType === 'status' && e.status?.state === 'degraded')).toBe(true);
    sim.setState('ready');
    await waitFor(() => mine().find((e) => e.eventType === 'fault' && e.fault?.active === false), 'the fault cleared');
    expect(outbox.quarantine({ limit: 10 }).items).toEqual([]);
  });
});
