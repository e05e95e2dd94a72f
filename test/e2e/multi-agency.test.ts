/**
 * Multi-agency sharing through the real daemon: three agencies with different policies, each
 * reading over every channel (REST list, REST by id, SSE, artifacts, MQTT subscribe), plus the
 * operating authority. Allowed data arrives redacted exactly as the policy says; what a policy
 * does not admit is refused (403, a failed SUBACK) or never delivered; missing, wrong and expired
 * credentials are refused everywhere; an operator's decision becomes an event; the audit log's
 * chain verifies and records the refusals.
 *
 *   customs        receives everything, nothing redacted, operator
 *   border-police  results and decisions only; conveyance ids, documents, raw and artifacts redacted
 *   regulator      radiation portal monitors only: none of these X-ray events
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/audit/verify.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { startCargoScannerSimulator, webhookForm, type CargoScannerSimulator } from '../../simulators/cargo-scanner/cargo-scanner-simulator.js';
import { getJson, startGatewayDaemon, tempDir, waitFor, writeConfig, type StartedDaemon, type TempDir } from '../helpers/e2e-fixtures.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { createTokenKit, type TokenKit } from '../unit/security/token-kit.js';

const DEVICE = 'xray-lane3';
const KEYS = {
  customs: 'customs-key-0123456789abcdef',
  police: 'police-key-0123456789abcdef',
  regulator: 'regulator-key-0123456789abcdef',
  integrator: 'integrator-key-0123456789abcdef',
  authority: 'authority-key-0123456789abcdef',
};
const MQTT_PASSWORDS = { customs: 'customs-mqtt-pass', police: 'police-mqtt-pass', regulator: 'regulator-mqtt-pass' };
type Agency = 'customs' | 'border-police' | 'regulator';
const AGENCY_OF = { customs: 'customs', police: 'border-police', regulator: 'regulator' } as const;
type Who = keyof typeof AGENCY_OF;

/** The QoS a SUBACK grants; mqtt.js rejects a failed SUBACK (0x80), reported as 128. */
async function grantedQos(client: mqtt.MqttClient, filter: string): Promise<number> {
  try {
    return (await client.subscribeAsync(filter, { qos: 1 }))[0]?.qos ?? -1;
  } catch (e) {
    if ((e as { packet?: { granted?: number[] } }).packet?.granted?.[0] === 128) return 128;
    throw e;
  }
}

describe('multi-agency sharing on every channel', () => {
  let dir: TempDir;
  let gw: StartedDaemon;
  let kit: TokenKit;
  let sim: CargoScannerSimulator;
  let auditFile = '';
  const mqttClients = new Map<Who, { client: mqtt.MqttClient; got: Array<{ topic: string; event: DetectionEvent }> }>();
  const sse = new Map<Who | 'authority', SseClient>();
  let stored: DetectionEvent[] = [];

  const rest = (p: string, key?: string): Promise<Response> => fetch(`${gw.rest}${p}`, key === undefined ? {} : { headers: { 'x-api-key': key } });

  beforeAll(async () => {
    dir = tempDir('bl-e2e-agencies-');
    kit = await createTokenKit();
    const dataDir = path.join(dir.path, 'data');
    auditFile = path.join(dataDir, 'audit', 'audit.log');
    copyFileSync(kit.jwksFile, path.join(dir.path, 'jwks.json'));
    const file = writeConfig(dir.path, {
      gateway: { id: 'bl-agencies-gw', siteId: 'BGSOF', dataDir, logLevel: 'info', shutdownTimeoutMs: 4000 },
      mqtt: {
        embedded: {
          host: '127.0.0.1',
          port: 0,
          users: [
            { username: 'customs-cr', password: MQTT_PASSWORDS.customs, agency: 'customs' },
            { username: 'police-cr', password: MQTT_PASSWORDS.police, agency: 'border-police' },
            { username: 'regulator-cr', password: MQTT_PASSWORDS.regulator, agency: 'regulator' },
          ],
        },
      },
      http: { host: '127.0.0.1', port: 0, apiKeys: [KEYS.authority] },
      identities: {
        apiKeys: [
          { name: 'customs-control-room', key: KEYS.customs, agency: 'customs', roles: ['viewer', 'operator'] },
          { name: 'police-control-room', key: KEYS.police, agency: 'border-police', roles: ['viewer'] },
          { name: 'regulator-desk', key: KEYS.regulator, agency: 'regulator', roles: ['viewer'] },
          { name: 'scanner-integration', key: KEYS.integrator, roles: ['integrator'] },
        ],
        jwt: { issuer: kit.spec.issuer, audience: kit.spec.audience, jwksFile: 'jwks.json' },
      },
      agencies: [
        { id: 'customs', name: 'Customs' },
        { id: 'border-police', name: 'Border police', receive: { eventTypes: ['result', 'operator-decision'] }, redact: ['subject.conveyances[].id', 'subject.documents', 'raw', 'artifacts'] },
        { id: 'regulator', name: 'Nuclear regulator', receive: { deviceClasses: ['radiation-portal-monitor'] } },
      ],
      sharing: { defaultClassification: 'internal', rules: [{ match: { eventType: 'result', outcomeState: 'alarm' }, classification: 'restricted' }] },
      devices: [{ id: DEVICE, adapter: 'cargo-scanner-http', laneId: '3', connection: { ingestPath: 'lane3' } }],
    });
    gw = await startGatewayDaemon(file);
    for (const who of ['customs', 'police', 'regulator'] as const) {
      const client = await mqtt.connectAsync(gw.mqttUrl, { username: `${who}-cr`, password: MQTT_PASSWORDS[who], reconnectPeriod: 0, protocolVersion: 4 });
      const got: Array<{ topic: string; event: DetectionEvent }> = [];
      client.on('message', (topic, payload) => got.push({ topic, event: JSON.parse(payload.toString()) as DetectionEvent }));
      mqttClients.set(who, { client, got });
      sse.set(who, await openSse(`${gw.rest}/v1/events/stream?device=${DEVICE}`, { 'x-api-key': KEYS[who] }));
    }
    sse.set('authority', await openSse(`${gw.rest}/v1/events/stream?device=${DEVICE}`, { 'x-api-key': KEYS.authority }));
    for (const [who, { client }] of mqttClients) expect(await grantedQos(client, `borderlink/v1/agency/${AGENCY_OF[who]}/#`)).toBe(1);

    sim = await startCargoScannerSimulator({ mode: 'webhook', webhookUrl: `${gw.rest}/v1/scanners/lane3/results`, apiKey: KEYS.integrator, scenario: 'demo', seed: 7 });
    for (const kind of ['clear', 'alarm', 'operator-override'] as const) await sim.produce(kind);
    expect(sim.deliveries().every((d) => d.status === 201)).toBe(true);
    stored = await waitFor(async () => {
      const r = await getJson<{ items: DetectionEvent[] }>(`${gw.rest}/v1/events?device=${DEVICE}&afterSequence=0&limit=100`, { 'x-api-key': KEYS.authority });
      const results = r.body.items.filter((e) => e.eventType !== 'status');
      return results.length >= 4 ? r.body.items : undefined;
    }, 'the scans as events');
  }, 90_000);

  afterAll(async () => {
    for (const s of sse.values()) s.close();
    for (const { client } of mqttClients.values()) await client.endAsync(true);
    await sim?.close();
    if (gw) {
      const { code } = await gw.daemon.stop('SIGTERM');
      expect(code).toBe(0);
    }
    kit?.remove();
    dir?.remove();
  });

  const alarmOf = (events: DetectionEvent[]): DetectionEvent => events.find((e) => e.eventType === 'result' && e.outcome?.state === 'alarm') as DetectionEvent;

  it('labels every stored event with its classification and the agencies its policies admit', () => {
    const alarm = alarmOf(stored);
    expect(alarm.sharing).toEqual({ classification: 'restricted', agencies: ['border-police', 'customs'] });
    const decision = stored.find((e) => e.eventType === 'operator-decision');
    expect(decision?.sharing).toEqual({ classification: 'internal', agencies: ['border-police', 'customs'] });
    expect(stored.find((e) => e.eventType === 'result' && e.outcome?.state === 'clear')?.sharing).toEqual({ classification: 'internal', agencies: ['border-police', 'customs'] });
    // the authority's own view is the stored event, unredacted
    expect(alarm.subject?.conveyances?.some((c) => c.id !== undefined)).toBe(true);
    expect(alarm.artifacts?.length).toBeGreaterThan(0);
  });

  it('REST list: each agency gets exactly what its policy admits, redacted as it says', async () => {
    const list = async (who: Who): Promise<DetectionEvent[]> => (await getJson<{ items: DetectionEvent[] }>(`${gw.rest}/v1/events?device=${DEVICE}&limit=100`, { 'x-api-key': KEYS[who] })).body.items;
    const customs = await list('customs');
    expect(customs.map((e) => e.eventId).sort()).toEqual(stored.map((e) => e.eventId).sort());
    const mine = customs.find((e) => e.eventId === alarmOf(stored).eventId);
    expect(mine?.subject).toEqual(alarmOf(stored).subject);
    expect(mine?.artifacts).toEqual(alarmOf(stored).artifacts);
    expect(mine?.sharing).toEqual({ classification: 'restricted', agencies: ['customs'] });

    const police = await list('police');
    expect(police.map((e) => e.eventId).sort()).toEqual(stored.filter((e) => e.eventType === 'result' || e.eventType === 'operator-decision').map((e) => e.eventId).sort());
    for (const e of police) {
      expect(e.raw).toBeUndefined();
      expect(e.artifacts).toBeUndefined();
      expect(e.subject?.documents).toBeUndefined();
      for (const c of e.subject?.conveyances ?? []) expect(c.id).toBeUndefined();
      expect(JSON.stringify(e)).not.toMatch(/\/v1\/artifacts\//);
      expect(e.sharing?.agencies).toEqual(['border-police']);
    }
    const storedAlarm = alarmOf(stored);
    for (const c of storedAlarm.subject?.conveyances ?? []) if (c.id !== undefined) expect(JSON.stringify(police)).not.toContain(c.id);

    expect(await list('regulator')).toEqual([]);

    // devices: only equipment inside the policy, its last event through the same view
    type Device = { id: string; lastEvent?: DetectionEvent };
    const devices = async (who: Who): Promise<Device[]> => (await getJson<{ items: Device[] }>(`${gw.rest}/v1/devices`, { 'x-api-key': KEYS[who] })).body.items;
    const policeDevice = (await devices('police')).find((d) => d.id === DEVICE);
    expect(policeDevice).toBeDefined();
    if (policeDevice?.lastEvent !== undefined) {
      expect(policeDevice.lastEvent.raw).toBeUndefined();
      expect(policeDevice.lastEvent.artifacts).toBeUndefined();
    }
    expect((await devices('regulator')).map((d) => d.id)).not.toContain(DEVICE);
    expect((await getJson(`${gw.rest}/v1/devices/${DEVICE}`, { 'x-api-key': KEYS.regulator })).status).toBe(404);
    expect((await getJson(`${gw.rest}/v1/devices/${DEVICE}`, { 'x-api-key': KEYS.customs })).status).toBe(200);
  });

  it('REST by id: allowed events come redacted, others are refused with 403', async () => {
    const alarm = alarmOf(stored);
    const get = async (who: Who, id: string): Promise<{ status: number; body: DetectionEvent }> => getJson<DetectionEvent>(`${gw.rest}/v1/events/${id}`, { 'x-api-key': KEYS[who] });
    expect((await get('customs', alarm.eventId)).body.artifacts).toEqual(alarm.artifacts);
    const police = await get('police', alarm.eventId);
    expect(police.status).toBe(200);
    expect(police.body.artifacts).toBeUndefined();
    expect(police.body.raw).toBeUndefined();
    expect((await get('regulator', alarm.eventId)).status).toBe(403);
  });

  it('SSE: each stream carries the same view as the REST list', async () => {
    const expectedIds = (who: Who): string[] => {
      if (who === 'customs') return stored.map((e) => e.eventId);
      if (who === 'police') return stored.filter((e) => e.eventType === 'result' || e.eventType === 'operator-decision').map((e) => e.eventId);
      return [];
    };
    for (const who of ['customs', 'police'] as const) {
      const frames = await (sse.get(who) as SseClient).waitForFrames(expectedIds(who).length);
      const events = frames.map((f) => JSON.parse(f.data) as DetectionEvent);
      expect(events.map((e) => e.eventId)).toEqual(expectedIds(who));
      if (who === 'police') for (const e of events) expect(e.artifacts === undefined && e.raw === undefined && e.subject?.documents === undefined).toBe(true);
    }
    await (sse.get('authority') as SseClient).waitForFrames(stored.length);
    expect((sse.get('regulator') as SseClient).frames).toEqual([]);
  });

  it('artifacts: served only to agencies whose policy keeps the reference', async () => {
    const image = alarmOf(stored).artifacts?.find((a) => a.kind === 'image');
    expect(image).toBeDefined();
    const uri = image?.uri as string;
    expect((await rest(uri, KEYS.customs)).status).toBe(200);
    expect((await rest(uri, KEYS.authority)).status).toBe(200);
    expect((await rest(uri, KEYS.police)).status).toBe(403);
    expect((await rest(uri, KEYS.regulator)).status).toBe(403);
  });

  it('MQTT: each agency reads its own redacted tree and is refused every other filter', async () => {
    const customs = mqttClients.get('customs');
    const police = mqttClients.get('police');
    await waitFor(() => (customs?.got.length ?? 0) >= stored.length - 1, 'customs copies');
    for (const m of customs?.got ?? []) expect(m.topic.startsWith('borderlink/v1/agency/customs/BGSOF/xray-scanner/')).toBe(true);
    await waitFor(() => (police?.got.length ?? 0) >= 4, 'police copies');
    for (const m of police?.got ?? []) {
      expect(m.topic.startsWith('borderlink/v1/agency/border-police/')).toBe(true);
      expect(['result', 'operator-decision']).toContain(m.event.eventType);
      expect(m.event.artifacts).toBeUndefined();
      expect(m.event.raw).toBeUndefined();
    }
    expect(mqttClients.get('regulator')?.got.filter((m) => !m.topic.includes('/gateway/'))).toEqual([]);
    // every agency may read the gateway's liveness (retained, no event data)
    const regulator = mqttClients.get('regulator');
    expect(await grantedQos(regulator?.client as mqtt.MqttClient, 'borderlink/v1/+/gateway/+/status')).toBe(1);
    await waitFor(() => regulator?.got.some((m) => m.topic === 'borderlink/v1/BGSOF/gateway/bl-agencies-gw/status'), 'the gateway status for the regulator');
    for (const [who, { client }] of mqttClients) {
      expect(await grantedQos(client, 'borderlink/v1/#')).toBe(128);
      expect(await grantedQos(client, `borderlink/v1/agency/${who === 'customs' ? 'border-police' : 'customs'}/#`)).toBe(128);
      expect(await grantedQos(client, 'borderlink/v1/agency/+/#')).toBe(128);
    }
  });

  it('refuses missing, wrong and expired credentials on every channel', async () => {
    const alarm = alarmOf(stored);
    const image = alarm.artifacts?.find((a) => a.kind === 'image')?.uri as string;
    const expired = await kit.sign({ sub: 'officer-1', agency: 'customs', roles: ['viewer'] }, { expSecondsFromNow: -3600 });
    const valid = await kit.sign({ sub: 'officer-1', agency: 'customs', roles: ['viewer'] });
    const strangerSigned = await kit.sign({ sub: 'officer-1', agency: 'customs', roles: ['viewer'] }, { key: 'stranger' });
    const paths = [`/v1/events?device=${DEVICE}`, `/v1/events/${alarm.eventId}`, image];
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    for (const p of paths) {
      expect((await fetch(`${gw.rest}${p}`)).status).toBe(401);
      expect((await fetch(`${gw.rest}${p}`, { headers: { 'x-api-key': 'not-a-key-at-all-0000' } })).status).toBe(401);
      expect((await fetch(`${gw.rest}${p}`, { headers: bearer(expired) })).status).toBe(401);
      expect((await fetch(`${gw.rest}${p}`, { headers: bearer(strangerSigned) })).status).toBe(401);
      expect((await fetch(`${gw.rest}${p}`, { headers: bearer(valid) })).status).toBe(200);
    }
    const refused: Record<string, string>[] = [{}, { 'x-api-key': 'not-a-key-at-all-0000' }, bearer(expired)];
    for (const headers of refused) {
      const s = await openSse(`${gw.rest}/v1/events/stream`, headers);
      expect(s.status).toBe(401);
      s.close();
    }
    await expect(mqtt.connectAsync(gw.mqttUrl, { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username/i);
    await expect(mqtt.connectAsync(gw.mqttUrl, { username: 'police-cr', password: 'wrong-password', reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username/i);
  });

  it('records an operator decision from operators only, as an event every admitted agency receives', async () => {
    const alarm = alarmOf(stored);
    const post = (key: string, id: string, body: unknown): Promise<Response> => fetch(`${gw.rest}/v1/events/${id}/decision`, {
      method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    expect((await post(KEYS.police, alarm.eventId, { state: 'clear' })).status).toBe(403);
    expect((await post(KEYS.customs, alarm.eventId, { state: 'maybe' })).status).toBe(400);
    const earlier = stored.find((e) => e.eventType === 'operator-decision') as DetectionEvent;
    expect((await post(KEYS.customs, earlier.eventId, { state: 'clear' })).status).toBe(409);
    expect((await post(KEYS.regulator, alarm.eventId, { state: 'clear' })).status).toBe(403);
    const res = await post(KEYS.customs, alarm.eventId, { state: 'clear', comment: 'manual inspection: machine parts as declared' });
    expect(res.status).toBe(201);
    const { eventId } = (await res.json()) as { eventId: string };
    const decision = (await getJson<DetectionEvent>(`${gw.rest}/v1/events/${eventId}`, { 'x-api-key': KEYS.authority })).body;
    expect(decision).toMatchObject({
      eventType: 'operator-decision',
      subject: { inspectionId: alarm.subject?.inspectionId },
      outcome: { state: 'clear', decisionBy: 'operator' },
      source: { operatorId: 'customs-control-room', device: { id: DEVICE } },
      raw: { nativeIds: { resultEventId: alarm.eventId }, extensions: { comment: 'manual inspection: machine parts as declared', agency: 'customs' } },
    });
    expect(decision.sequence).toBeGreaterThan(alarm.sequence);
    await waitFor(() => mqttClients.get('police')?.got.some((m) => m.event.eventId === eventId), 'the decision on the police tree');
  });

  it('keeps a verifiable audit trail of refusals and decisions', async () => {
    const { readFileSync } = await import('node:fs');
    const lines = await waitFor(() => {
      const text = readFileSync(auditFile, 'utf8');
      return text.includes('"kind":"decision"') ? text.trim().split('\n') : undefined;
    }, 'the decision in the audit log');
    const entries = lines.map((l) => JSON.parse(l) as { kind: string; outcome: string; action: string; actor: { name: string } });
    expect(entries[0]?.kind).toBe('config');
    expect(entries.some((e) => e.kind === 'access' && e.outcome === 'deny' && e.action.startsWith('mqtt.subscribe'))).toBe(true);
    expect(entries.some((e) => e.kind === 'access' && e.outcome === 'deny' && e.action.startsWith('POST /v1/events/'))).toBe(true);
    expect(entries.some((e) => e.kind === 'decision' && e.actor.name === 'customs-control-room')).toBe(true);
    expect(lines.join('\n')).not.toContain(KEYS.customs);
    expect((await verifyAuditLog(auditFile)).ok).toBe(true);
  });
});

