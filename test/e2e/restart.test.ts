/**
 * Sequence continuity: the per-device sequence survives a restart of the daemon (same data dir):
 * no reuse, no gap, and the adapter state does not re-emit the last occupancy.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRpmSimulator, type RpmSimulator } from '../../simulators/rpm/rpm-simulator.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allEventsOf, rpmConfig, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';

describe('restart', () => {
  let broker: TestBroker;
  let dir: TempDir;
  // the devices live outside the daemon, so only the gateway restarts
  const sims: RpmSimulator[] = [];
  beforeAll(async () => {
    broker = await startTestBroker();
    dir = tempDir();
    sims.push(await startRpmSimulator({ port: 0, scenario: 'demo', seed: 5 }), await startRpmSimulator({ port: 0, scenario: 'demo', seed: 6 }));
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await broker?.close();
    dir?.remove();
  });

  it('continues every device sequence across a restart', { timeout: 90_000 }, async () => {
    const config = rpmConfig({ dataDir: path.join(dir.path, 'data'), mqttUrl: broker.url });
    config.simulators = [];
    config.devices = sims.map((s, i) => ({ id: `rpm-lane${i + 1}`, adapter: 'rpm-modbus-generic', laneId: String(i + 1), connection: { host: '127.0.0.1', port: s.port }, pollIntervalMs: 200 }));
    const file = writeConfig(dir.path, config);
    const first = await startGatewayDaemon(file);
    const before: Record<string, number> = {};
    try {
      for (const d of ['rpm-lane1', 'rpm-lane2']) {
        await waitFor(async () => (await allEventsOf(first.rest, d)).length >= 3, `3 events from ${d}`, 20_000);
      }
    } finally {
      expect((await first.daemon.stop()).code).toBe(0);
    }
    const second = await startGatewayDaemon(file);
    try {
      for (const d of ['rpm-lane1', 'rpm-lane2']) {
        const all0 = await allEventsOf(second.rest, d);
        before[d] = all0.length;
        await waitFor(async () => (await allEventsOf(second.rest, d)).length >= (before[d] ?? 0) + 2, `new events from ${d}`, 20_000);
        const all = await allEventsOf(second.rest, d);
        expect(all.map((e) => e.sequence)).toEqual(all.map((_, i) => i + 1));
        const ids = new Set(all.map((e) => e.eventId));
        expect(ids.size).toBe(all.length);
        // one result per occupancy, across the restart too
        const inspections = all.filter((e) => e.eventType === 'result').map((e) => e.subject?.inspectionId);
        expect(new Set(inspections).size).toBe(inspections.length);
      }
    } finally {
      expect((await second.daemon.stop()).code).toBe(0);
    }
  });
});
