/**
 * A cargo X-ray scanner polled by the real daemon (dist/src/main.js): the built-in cargo-scanner
 * simulator in poll mode, a device naming it. Every report becomes an event, each once, and the
 * images are fetched, stored and served by the gateway.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { allEventsOf, startGatewayDaemon, tempDir, waitFor, writeConfig, type StartedDaemon, type TempDir } from '../helpers/e2e-fixtures.js';

const DEVICE = 'xray-polled';

describe('a polled cargo scanner through the daemon', () => {
  let dir: TempDir;
  let gw: StartedDaemon;

  beforeAll(async () => {
    dir = tempDir('bl-e2e-scanner-poll-');
    const file = writeConfig(dir.path, {
      gateway: { id: 'bl-scanner-poll-gw', siteId: 'BGSOF', dataDir: path.join(dir.path, 'data'), logLevel: 'info', shutdownTimeoutMs: 4000 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      http: { host: '127.0.0.1', port: 0 },
      simulators: [{ id: 'cargo', kind: 'cargo-scanner', mode: 'poll', port: 0, scenario: 'demo', seed: 5, intervalMs: 200 }],
      devices: [{ id: DEVICE, adapter: 'cargo-scanner-http', laneId: '4', pollIntervalMs: 100, connection: { simulator: 'cargo' } }],
    });
    gw = await startGatewayDaemon(file);
  }, 60_000);

  afterAll(async () => {
    if (gw) {
      const { code } = await gw.daemon.stop('SIGTERM');
      expect(code).toBe(0);
    }
    dir?.remove();
  });

  it('makes each report one event, with the images kept by the gateway', async () => {
    // demo: clear, alarm, clear, aborted, operator-override (two reports) = 6 events
    const events = await waitFor(async () => {
      const all = (await allEventsOf(gw.rest, DEVICE)).filter((e) => e.raw?.format !== 'link-status');
      return all.length >= 6 ? all : undefined;
    }, 'six events', 30_000);
    expect(events.slice(0, 6).map((e) => [e.eventType, e.outcome?.state])).toEqual([
      ['result', 'clear'], ['result', 'alarm'], ['result', 'clear'], ['result', 'aborted'], ['result', 'alarm'], ['operator-decision', 'clear'],
    ]);
    const ids = events.filter((e) => e.eventType === 'result').map((e) => e.subject?.inspectionId);
    expect(new Set(ids).size).toBe(ids.length);
    const alarm = events[1] as DetectionEvent;
    const image = alarm.artifacts?.find((a) => a.kind === 'image');
    expect(image?.uri).toBe(`/v1/artifacts/${image?.sha256 as string}`);
    expect(alarm.findings?.[0]?.region?.artifactRef).toBe(image?.sha256);
    const res = await fetch(`${gw.rest}${image?.uri as string}`);
    expect(res.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(image?.sha256);
  });
});
