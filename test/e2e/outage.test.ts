/**
 * An external Mosquitto stopped for BL_OUTAGE_SECONDS while devices keep producing at
 * BL_OUTAGE_RATE events/s: every event made during the outage reaches a persistent subscriber
 * after the broker returns, each device's events in sequence order, the backlog shows in
 * /metrics meanwhile, and the drain rate after the broker returns is reported (stdout).
 *
 * The load comes from line-protocol RPMs over TCP (rpm-line-protocol, one measurement event per
 * background line, measurementIntervalMs 0): `STREAM_DEVICES` test servers each write their share
 * of BL_OUTAGE_RATE lines a second to the gateway, which connects to them as it would to a
 * portal's serial server. Two Modbus RPM simulators (polled) run beside them.
 *
 *   default (CI):       BL_OUTAGE_SECONDS=15  BL_OUTAGE_RATE=200
 *   the figure: BL_OUTAGE_SECONDS=60  BL_OUTAGE_RATE=2000
 */
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allEventsOf, recordMqtt, rpmConfig, startGatewayDaemon, tempDir, waitFor, writeConfig, type Recorder, type TempDir } from '../helpers/e2e-fixtures.js';

const OUTAGE_S = Number(process.env.BL_OUTAGE_SECONDS ?? 15);
const RATE = Number(process.env.BL_OUTAGE_RATE ?? 200);
const STREAM_DEVICES = 4;

/** A TCP "portal" that writes background lines at `perSecond` to whoever connects, until closed. */
async function linePortal(perSecond: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('SG,04.0,002500,000400,000200\r\nSN,04.0,008.00\r\nNB,003.00,002.50\r\n');
    const t0 = Date.now();
    let sent = 0;
    const timer = setInterval(() => {
      const due = Math.floor(((Date.now() - t0) / 1000) * perSecond);
      const lines: string[] = [];
      for (; sent < due; sent++) lines.push(`GB,${String(1000 + (sent % 50)).padStart(6, '0')},001200,000900,001100\r\n`);
      if (lines.length > 0 && !socket.destroyed) socket.write(lines.join(''));
    }, 10);
    timers.add(timer);
    socket.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** eventIds the recorder holds, parsed once per message (the subscriber may hold 100k+). */
function receivedIds(sub: Recorder): { ids: Set<string>; arrival: Map<string, number[]>; update(): void } {
  const ids = new Set<string>();
  const arrival = new Map<string, number[]>();
  let upTo = 0;
  return {
    ids,
    arrival,
    update() {
      for (; upTo < sub.messages.length; upTo++) {
        const m = sub.messages[upTo] as Recorder['messages'][number];
        if (m.topic.includes('/gateway/')) continue;
        const e = JSON.parse(m.payload.toString()) as DetectionEvent;
        if (ids.has(e.eventId)) continue;
        ids.add(e.eventId);
        const list = arrival.get(e.source.device.id) ?? [];
        list.push(e.sequence);
        arrival.set(e.source.device.id, list);
      }
    },
  };
}

const depthOf = async (rest: string): Promise<number | undefined> => {
  const m = (await (await fetch(`${rest}/metrics`)).text()).match(/^borderlink_outbox_depth_events (\d+)/m);
  return m ? Number(m[1]) : undefined;
};
const oldestAgeOf = async (rest: string): Promise<number | undefined> => {
  const m = (await (await fetch(`${rest}/metrics`)).text()).match(/^borderlink_outbox_oldest_age_seconds (\S+)/m);
  return m ? Number(m[1]) : undefined;
};

describe('broker outage', () => {
  let broker: TestBroker;
  let dir: TempDir;
  let portals: Array<Awaited<ReturnType<typeof linePortal>>> = [];
  beforeAll(async () => {
    // persistence: the subscriber's session and its queued messages survive the broker restart
    broker = await startTestBroker({ persistence: true });
    dir = tempDir();
    portals = await Promise.all(Array.from({ length: STREAM_DEVICES }, () => linePortal(RATE / STREAM_DEVICES)));
  });
  afterAll(async () => {
    await Promise.all(portals.map((p) => p.close()));
    await broker?.close();
    dir?.remove();
  });

  it(`loses nothing across a ${OUTAGE_S} s outage at ${RATE} events/s and keeps per-device order`, { timeout: (OUTAGE_S * 3 + 180) * 1000 }, async () => {
    const sub = await recordMqtt(broker.url, { clientId: 'bl-outage-subscriber', clean: false, topic: 'borderlink/v1/BGSOF/radiation-portal-monitor/#' });
    const streamDevices = portals.map((p, i) => ({
      id: `rpm-line-${i + 1}`, adapter: 'rpm-line-protocol', laneId: String(10 + i),
      connection: { host: '127.0.0.1', port: p.port }, options: { measurementIntervalMs: 0 },
    }));
    const base = rpmConfig({ dataDir: path.join(dir.path, 'data'), mqttUrl: broker.url });
    const config = { ...base, devices: [...(base.devices as unknown[]), ...streamDevices] };
    const devices = ['rpm-lane1', 'rpm-lane2', ...streamDevices.map((d) => d.id)];
    const file = writeConfig(dir.path, config);
    const { daemon, rest } = await startGatewayDaemon(file);
    const got = receivedIds(sub);
    try {
      await sub.waitFor(() => sub.events().some((e) => e.eventType === 'result'), 'a first result', 15_000);
      await sub.waitFor(() => sub.messages.some((m) => m.topic.includes('/rpm-line-')), 'a first stream event', 15_000);
      await broker.stop();
      const stoppedAt = Date.now();
      // the backlog is visible while the broker is away
      const depth = await waitFor(async () => {
        const d = await depthOf(rest);
        return d !== undefined && d > 0 ? d : undefined;
      }, 'outbox depth > 0 during the outage', OUTAGE_S * 1000);
      expect(depth).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_S * 1000 - (Date.now() - stoppedAt))));
      const backlog = (await depthOf(rest)) ?? 0;
      const madeDuringOutage: Record<string, number> = {};
      for (const d of devices) madeDuringOutage[d] = (await allEventsOf(rest, d)).length;
      const outageSeconds = (Date.now() - stoppedAt) / 1000;
      await broker.start();
      const returnedAt = Date.now();

      // the drain: until nothing older than a second waits (the load goes on, so depth is never 0 for long)
      await waitFor(async () => {
        const age = await oldestAgeOf(rest);
        return age !== undefined && age < 1 ? true : undefined;
      }, 'the backlog drained', Math.max(60_000, OUTAGE_S * 3000));
      const drainSeconds = (Date.now() - returnedAt) / 1000;

      const stored: Record<string, DetectionEvent[]> = {};
      for (const d of devices) stored[d] = await allEventsOf(rest, d);
      for (const d of devices) expect(stored[d]!.length).toBeGreaterThanOrEqual(madeDuringOutage[d]!);
      await sub.waitFor(() => {
        got.update();
        return Object.values(stored).every((list) => list.every((e) => got.ids.has(e.eventId)));
      }, 'every stored event at the subscriber', Math.max(60_000, OUTAGE_S * 3000));
      const receivedSeconds = (Date.now() - returnedAt) / 1000;

      for (const [device, list] of Object.entries(stored)) {
        // stored sequences are gap-free
        expect(list.map((e) => e.sequence)).toEqual(list.map((_, i) => i + 1));
        // and they arrived in that order (duplicates, if any, carry the same eventId and are skipped)
        const arrival = got.arrival.get(device) ?? [];
        expect(arrival).toEqual([...arrival].sort((a, b) => a - b));
      }
      const total = Object.values(stored).reduce((n, l) => n + l.length, 0);
      const report = {
        outageSeconds: Math.round(outageSeconds), offeredEventsPerSecond: RATE, backlogAtReturn: backlog,
        drainSeconds: Math.round(drainSeconds * 10) / 10,
        drainEventsPerSecond: Math.round((backlog + RATE * drainSeconds) / drainSeconds),
        allAtSubscriberSeconds: Math.round(receivedSeconds * 10) / 10, storedEvents: total,
      };
      console.log(`[outage] ${JSON.stringify(report)}`);
    } finally {
      await sub.close();
      await daemon.stop();
    }
  });
});
