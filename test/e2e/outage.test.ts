/**
 * An external Mosquitto stopped for BL_OUTAGE_SECONDS (default 30) while devices keep producing:
 * every event made during the outage reaches a persistent subscriber after the broker returns,
 * each device's events in sequence order, and the backlog shows in /metrics meanwhile.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allEventsOf, recordMqtt, rpmConfig, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';

const OUTAGE_S = Number(process.env.BL_OUTAGE_SECONDS ?? 30);

describe('broker outage', () => {
  let broker: TestBroker;
  let dir: TempDir;
  beforeAll(async () => {
    // persistence: the subscriber's session and its queued messages survive the broker restart
    broker = await startTestBroker({ persistence: true });
    dir = tempDir();
  });
  afterAll(async () => {
    await broker?.close();
    dir?.remove();
  });

  it(`loses nothing across a ${OUTAGE_S} s outage and keeps per-device order`, { timeout: (OUTAGE_S + 90) * 1000 }, async () => {
    const sub = await recordMqtt(broker.url, { clientId: 'bl-outage-subscriber', clean: false, topic: 'borderlink/v1/BGSOF/radiation-portal-monitor/#' });
    const file = writeConfig(dir.path, rpmConfig({ dataDir: path.join(dir.path, 'data'), mqttUrl: broker.url }));
    const { daemon, rest } = await startGatewayDaemon(file);
    try {
      await sub.waitFor(() => sub.events().some((e) => e.eventType === 'result'), 'a first result', 15_000);
      await broker.stop();
      const stoppedAt = Date.now();
      // the backlog is visible while the broker is away
      const depth = await waitFor(async () => {
        const m = (await (await fetch(`${rest}/metrics`)).text()).match(/^borderlink_outbox_depth_events (\d+)/m);
        return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
      }, 'outbox depth > 0 during the outage', OUTAGE_S * 1000);
      expect(depth).toBeGreaterThan(0);
      const rest_ = Math.max(0, OUTAGE_S * 1000 - (Date.now() - stoppedAt));
      await new Promise((r) => setTimeout(r, rest_));
      const madeDuringOutage = (await allEventsOf(rest, 'rpm-lane1')).length + (await allEventsOf(rest, 'rpm-lane2')).length;
      await broker.start();

      const stored: Record<string, DetectionEvent[]> = {
        'rpm-lane1': await allEventsOf(rest, 'rpm-lane1'),
        'rpm-lane2': await allEventsOf(rest, 'rpm-lane2'),
      };
      expect(stored['rpm-lane1']!.length + stored['rpm-lane2']!.length).toBeGreaterThanOrEqual(madeDuringOutage);
      await sub.waitFor(() => {
        const got = new Set(sub.events().map((e) => e.eventId));
        return Object.values(stored).every((list) => list.every((e) => got.has(e.eventId)));
      }, 'every stored event at the subscriber', 60_000);

      for (const [device, list] of Object.entries(stored)) {
        // stored sequences are gap-free
        expect(list.map((e) => e.sequence)).toEqual(list.map((_, i) => i + 1));
        // and they arrived in that order (duplicates, if any, carry the same eventId and are skipped)
        const seen = new Set<string>();
        const arrival = sub.events().filter((e) => e.source.device.id === device && !seen.has(e.eventId) && seen.add(e.eventId)).map((e) => e.sequence);
        expect(arrival).toEqual([...arrival].sort((a, b) => a - b));
      }
      const drained = await waitFor(async () => {
        const m = (await (await fetch(`${rest}/metrics`)).text()).match(/^borderlink_outbox_depth_events (\d+)/m);
        return m && Number(m[1]) === 0 ? true : undefined;
      }, 'the outbox drained', 30_000);
      expect(drained).toBe(true);
    } finally {
      await sub.close();
      await daemon.stop();
    }
  });
});
