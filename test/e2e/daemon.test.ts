/**
 * The real daemon (dist/src/main.js), real simulators, a real broker (Mosquitto; see
 * test/helpers/broker.ts), asserting on what a subscriber and the REST API see.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventValidator } from '../../src/schema/validator.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ROOT } from '../helpers/daemon.js';
import { getJson, recordMqtt, rpmConfig, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';

const validator = createEventValidator();

function expectValid(e: DetectionEvent): void {
  const r = validator.validate(e);
  expect(r.ok ? [] : r.errors, `event ${e.eventId} is schema-valid`).toEqual([]);
}

describe('daemon end to end', () => {
  let broker: TestBroker;
  let dir: TempDir;
  beforeAll(async () => {
    broker = await startTestBroker();
    dir = tempDir();
  });
  afterAll(async () => {
    await broker?.close();
    dir?.remove();
  });

  it('runs against a real Mosquitto in CI', () => {
    if (process.env.CI === 'true') expect(broker.kind).toBe('mosquitto');
    else expect(['mosquitto', 'testcontainers', 'embedded']).toContain(broker.kind);
  });

  it('delivers schema-valid events of both lanes to a subscriber and over REST, and stops cleanly', async () => {
    const sub = await recordMqtt(broker.url);
    const file = writeConfig(dir.path, rpmConfig({ dataDir: path.join(dir.path, 'data-a'), mqttUrl: broker.url }), 'a.yaml');
    const t0 = Date.now();
    const { daemon, rest } = await startGatewayDaemon(file);
    try {
      await sub.waitFor(
        () => ['rpm-lane1', 'rpm-lane2'].every((d) => sub.events().some((e) => e.source.device.id === d && e.eventType !== 'status')),
        'events from both lanes',
        10_000,
      );
      expect(Date.now() - t0).toBeLessThan(15_000);
      for (const e of sub.events()) expectValid(e);
      const topics = new Set(sub.messages.map((m) => m.topic));
      expect(topics).toContain('borderlink/v1/BGSOF/gateway/bl-e2e-gw/status');
      expect([...topics].some((t) => /^borderlink\/v1\/BGSOF\/radiation-portal-monitor\/rpm-lane[12]\/(result|measurement)$/.test(t))).toBe(true);
      const status = sub.messages.find((m) => m.topic === 'borderlink/v1/BGSOF/radiation-portal-monitor/rpm-lane1/status');
      expect(status, 'device status is published').toBeDefined();

      const { status: code, body } = await getJson<{ items: DetectionEvent[] }>(`${rest}/v1/events?limit=500`);
      expect(code).toBe(200);
      const stored = new Set(body.items.map((e) => e.eventId));
      for (const e of sub.events()) expect(stored.has(e.eventId), `REST has ${e.eventId}`).toBe(true);
      const devices = await getJson<{ items: Array<{ id: string; status?: { state: string } }> }>(`${rest}/v1/devices`);
      expect(devices.body.items.map((d) => d.id).sort()).toEqual(['rpm-lane1', 'rpm-lane2']);
      expect(devices.body.items.every((d) => d.status?.state === 'online')).toBe(true);
      const metrics = await (await fetch(`${rest}/metrics`)).text();
      expect(metrics).toMatch(/borderlink_events_persisted_total\{device="rpm-lane1",event_type="[a-z-]+"\} \d+/);
      expect(metrics).toContain('borderlink_outbox_depth_events');
    } finally {
      const { code, ms } = await daemon.stop('SIGINT');
      await sub.close();
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5000);
    }
    // the retained gateway status says offline after a clean stop
    const after = await recordMqtt(broker.url, { topic: 'borderlink/v1/BGSOF/gateway/bl-e2e-gw/status' });
    const msg = await after.waitFor(() => after.messages[0], 'retained gateway status');
    expect(JSON.parse(msg.payload.toString())).toMatchObject({ state: 'offline' });
    await after.close();
  });

  it('quarantines undecodable Modbus replies with raw bytes and a code, and keeps running', async () => {
    const file = writeConfig(dir.path, rpmConfig({ dataDir: path.join(dir.path, 'data-q'), mqttUrl: broker.url, scenario: 'malformed' }), 'q.yaml');
    const { daemon, rest } = await startGatewayDaemon(file);
    try {
      const q = await waitFor(async () => {
        const { body } = await getJson<{ items: Array<{ code: string; raw: string; deviceId: string; adapterVersion: string }> }>(`${rest}/v1/quarantine?limit=50`);
        return body.items.length > 0 ? body.items : undefined;
      }, 'quarantined input', 20_000);
      for (const item of q) {
        expect(item.code).toMatch(/^BL_ERR_(MODBUS|DECODE)_/);
        expect(Buffer.from(item.raw, 'base64').length).toBeGreaterThan(0);
        expect(item.adapterVersion).toBe('1.0.0');
      }
      // still alive and still making events after the bad input
      const before = (await getJson<{ items: DetectionEvent[] }>(`${rest}/v1/events?limit=1`)).body.items[0]?.eventId;
      await waitFor(async () => {
        const top = (await getJson<{ items: DetectionEvent[] }>(`${rest}/v1/events?limit=1`)).body.items[0]?.eventId;
        return top !== undefined && top !== before;
      }, 'new events after quarantine', 20_000);
      expect((await fetch(`${rest}/healthz`)).status).toBe(200);
      expect(daemon.child.exitCode).toBeNull();
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
  });

  it('publishes protobuf with MQTT 5 content type and schema properties where configured', async () => {
    const sub = await recordMqtt(broker.url, { protocolVersion: 5, topic: 'borderlink/v1/BGSOF/radiation-portal-monitor/#' });
    const file = writeConfig(dir.path, rpmConfig({ dataDir: path.join(dir.path, 'data-pb'), mqttUrl: broker.url, mqtt: { payloadFormat: 'protobuf', protocolVersion: 5 } }), 'pb.yaml');
    const { daemon } = await startGatewayDaemon(file);
    try {
      const m = await sub.waitFor(() => sub.messages.find((x) => x.topic.endsWith('/result') || x.topic.endsWith('/measurement')), 'a protobuf event', 15_000);
      expect(m.packet.properties?.contentType).toBe('application/x-protobuf');
      expect(m.packet.properties?.userProperties).toMatchObject({ schema: 'borderlink.detection-event.v1' });
      const { createProtobufCodec } = await import('../../src/schema/protobuf.js');
      const event = createProtobufCodec().decode(new Uint8Array(m.payload));
      expectValid(event);
    } finally {
      await daemon.stop();
      await sub.close();
    }
  });

  it('runs the embedded default (config/default.yaml): embedded broker, REST, six simulated lanes', { timeout: 60_000 }, async () => {
    const { daemon, rest, mqttUrl } = await startGatewayDaemon(path.join(ROOT, 'config', 'default.yaml'), {
      BORDERLINK_HTTP_PORT: '0',
      BORDERLINK_MQTT_EMBEDDED_PORT: '0',
      BORDERLINK_DATA_DIR: path.join(dir.path, 'data-default'),
    });
    const sub = await recordMqtt(mqttUrl);
    try {
      // Modbus TCP (lanes 1, 2), the line protocol over TCP (lane 3), N42 files in a watched folder (lane 4),
      // Modbus RTU units 1 and 2 on one line carried over TCP (lanes 5, 6)
      const lanes = ['rpm-lane1', 'rpm-lane2', 'rpm-lane3', 'n42-lane4', 'rpm-lane5', 'rpm-lane6'];
      await sub.waitFor(() => lanes.every((d) => sub.events().some((e) => e.source.device.id === d && e.eventType === 'result')), 'results from all six lanes', 25_000);
      for (const e of sub.events()) expectValid(e);
      const { body } = await getJson<{ items: DetectionEvent[] }>(`${rest}/v1/events?eventType=result&limit=500`);
      for (const d of lanes) expect(body.items.some((e) => e.source.device.id === d), `REST has results of ${d}`).toBe(true);
      // the N42 document behind a result is kept as an artifact and served
      const n42 = body.items.find((e) => e.source.device.id === 'n42-lane4');
      const artifact = n42?.artifacts?.find((a) => a.kind === 'n42');
      expect(artifact).toBeDefined();
      const doc = await fetch(`${rest}${artifact?.uri ?? ''}`);
      expect(doc.status).toBe(200);
      expect(await doc.text()).toContain('RadInstrumentData');
      // documents can be posted too; a document that is not N42 is refused with a 4xx and its code
      const bad = await fetch(`${rest}/v1/ingest/n42`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<hello/>' });
      expect(bad.status).toBe(422);
      expect(((await bad.json()) as { code: string }).code).toBe('BL_ERR_N42_NOT_N42');
    } finally {
      await sub.close();
      const { code, ms } = await daemon.stop('SIGINT');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5000);
    }
  });
});
