/**
 * The OPC UA connector against the X-ray scanner simulator, in process: secure sessions, frames,
 * events, trust, a server restart on the same port, a silent subscription, stop.
 *
 * One simulator state folder and one client PKI serve the whole file (key and certificate
 * generation is slow); the tests run in order and build on the trust the first one establishes.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOpcUaConnector, type OpcUaConnectorOptions } from '../../../src/connectors/opcua.js';
import type { Connector } from '../../../src/connectors/types.js';
import { startXrayOpcuaSimulator, type XrayOpcuaSimulator } from '../../../simulators/opcua-scanner/xray-opcua-simulator.js';
import { opcuaSettings, recordingOpcUaSink, scanSequences, waitUntil, xrayPlan, type RecordingOpcUaSink } from '../../helpers/opcua.js';

const logger = pino({ level: process.env.BL_TEST_LOG ?? 'silent' }, pino.destination(2));
const clock = { now: (): number => Date.now() };
const USER = { username: 'screener', password: 'correct horse battery' };

let root = '';
let pkiDir = '';
let simDir = '';
let sim: XrayOpcuaSimulator;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bl-opcua-'));
  pkiDir = path.join(root, 'pki');
  simDir = path.join(root, 'sim');
  sim = await startXrayOpcuaSimulator({ stateDir: simDir, scenario: 'idle', users: [USER], logger });
}, 60_000);

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await sim?.close();
  rmSync(root, { recursive: true, force: true });
});

function connector(rec: RecordingOpcUaSink, over: Partial<OpcUaConnectorOptions> = {}): Connector {
  const c = createOpcUaConnector({
    deviceId: 'xray-1',
    endpointUrl: sim.endpointUrl,
    settings: opcuaSettings(pkiDir, { identity: { type: 'username', ...USER } }),
    plan: xrayPlan(),
    sink: rec.sink,
    logger,
    clock,
    backoff: { baseMs: 100, capMs: 400 },
    ...over,
  });
  cleanups.push(() => c.stop());
  return c;
}

const online = (rec: RecordingOpcUaSink) => (): boolean => rec.lastStatus()?.state === 'online';

describe('OPC UA connector against the X-ray simulator', () => {
  it('refuses an unknown server certificate, names the file to move, and connects once it is moved', async () => {
    const rec = recordingOpcUaSink();
    await connector(rec).start();
    await waitUntil(() => rec.statuses.length > 0, 20_000, 'a first status');
    const refused = rec.statuses[0];
    expect(refused?.state).toBe('offline');
    expect(refused?.code).toBe('BL_ERR_OPCUA_SERVER_UNTRUSTED');
    const rejected = readdirSync(path.join(pkiDir, 'rejected'));
    expect(rejected).toHaveLength(1);
    expect(refused?.detail).toContain(path.join(pkiDir, 'rejected', rejected[0] as string));
    expect(refused?.detail).toContain(path.join(pkiDir, 'trusted', 'certs'));
    expect(rec.frames).toHaveLength(0);

    // the operator's move; the PKI folders are watched, no restart
    renameSync(path.join(pkiDir, 'rejected', rejected[0] as string), path.join(pkiDir, 'trusted', 'certs', rejected[0] as string));
    await waitUntil(online(rec), 20_000, 'online after trusting the server');
    expect(rec.lastStatus()?.detail).toContain('SignAndEncrypt/Basic256Sha256');
    // the client PKI is where the documentation says, and stays
    expect(existsSync(path.join(pkiDir, 'own', 'certs', 'client_certificate.pem'))).toBe(true);
    expect(existsSync(path.join(pkiDir, 'own', 'private', 'private_key.pem'))).toBe(true);
  }, 60_000);

  it('SignAndEncrypt Basic256Sha256 with user/password: a snapshot, data changes under the plan names, and every event', async () => {
    const rec = recordingOpcUaSink();
    await connector(rec).start();
    await waitUntil(online(rec), 20_000, 'online');
    const snapshot = rec.frames[0];
    expect(snapshot?.source).toBe('data-change');
    expect(Object.keys(snapshot?.values ?? {}).sort()).toEqual(xrayPlan().nodes.map((n) => n.name).sort());
    expect(snapshot?.values.state).toBe('ready');
    const before = sim.scanSequence();

    // back to back: the variables coalesce (queueSize 1), the events do not
    const alarm = sim.scan('alarm-two-threats');
    sim.scan('clear-bag');
    sim.scan('aborted');
    sim.scan('operator-override');
    await waitUntil(() => scanSequences(rec.frames).length >= 4, 10_000, 'four scan events');
    await waitUntil(() => rec.events().some((f) => f.event?.Decision === 'CLEAR'), 10_000, 'the operator decision event');

    expect(scanSequences(rec.frames)).toEqual([before + 1, before + 2, before + 3, before + 4]);
    const ev = rec.events().find((f) => f.event?.ScanId === alarm.scanId);
    expect(ev?.event).toMatchObject({
      ScanId: alarm.scanId, ScanSequence: alarm.scanSequence, AlarmDecision: 'ALARM', Severity: 800,
      EventType: 'nsu=urn:borderlink:sim:xray;s=ScanCompletedEventType', Message: `scan ${alarm.scanId}: ALARM`,
    });
    const threats = JSON.parse(ev?.event?.ThreatObjects as string) as Array<{ category: string }>;
    expect(threats.map((t) => t.category)).toEqual(['EXPLOSIVE', 'CONTRABAND']);
    expect(typeof ev?.event?.Time).toBe('string');
    expect(typeof ev?.event?.EventId).toBe('string');

    const decision = rec.events().find((f) => f.event?.Decision === 'CLEAR');
    expect(decision?.event?.EventType).toBe('nsu=urn:borderlink:sim:xray;s=OperatorDecisionEventType');
    await waitUntil(() => rec.dataChanges().some((f) => f.values.operatorDecision === 'CLEAR'), 5_000, 'the OperatorDecision variable');

    const last = rec.dataChanges().at(-1);
    expect(last?.values.scanSequence).toBe(before + 4);
    expect(last?.quality).toBe('good');
    // every data-change frame names what changed, and only names of the plan
    for (const f of rec.dataChanges().slice(1)) {
      expect(f.changed.length).toBeGreaterThan(0);
      for (const n of f.changed) expect(f.values).toHaveProperty(n);
    }
    // one scan at a time: each one's variables arrive as a frame of their own
    const aborted = sim.scan('aborted');
    await waitUntil(() => rec.dataChanges().some((f) => f.values.scanSequence === aborted.scanSequence), 5_000, 'the aborted scan variables');
    const frame = rec.dataChanges().find((f) => f.values.scanSequence === aborted.scanSequence);
    expect(frame?.values).toMatchObject({ abortFlag: true, alarmDecision: 'UNKNOWN', scanId: aborted.scanId, conveyanceType: 'truck' });
    expect(frame?.changed).toEqual(expect.arrayContaining(['abortFlag', 'abortReason', 'scanSequence', 'scanId']));
    expect(frame?.values.abortReason).toMatch(/stopped/);
    expect(frame?.values.scanTime).toBe(new Date(aborted.scanTime).toISOString());
  }, 60_000);

  it('scans queued within one publishing interval come out as one consistent frame each (source-time order)', async () => {
    const rec = recordingOpcUaSink();
    const plan = xrayPlan({ publishingIntervalMs: 500, nodes: xrayPlan().nodes.map((n) => ({ ...n, queueSize: 10 })) });
    await connector(rec, { deviceId: 'xray-queued', plan }).start();
    await waitUntil(online(rec), 20_000, 'online');
    const scans = [];
    for (const which of ['alarm-two-threats', 'clear-bag', 'aborted'] as const) {
      scans.push(sim.scan(which));
      await new Promise((r) => setTimeout(r, 5)); // distinct source timestamps, same publish
    }
    const lastSeq = scans[2]?.scanSequence ?? -1;
    await waitUntil(() => rec.dataChanges().some((f) => f.values.scanSequence === lastSeq), 10_000, 'the last scan');
    const committed = rec.dataChanges().filter((f) => f.changed.includes('scanSequence'));
    if (process.env.BL_DEBUG) for (const f of rec.dataChanges()) process.stderr.write(`${JSON.stringify([f.changed, f.values.scanSequence, f.values.scanId, f.values.state])}\n`);
    for (const s of scans) {
      const f = committed.find((x) => x.values.scanSequence === s.scanSequence);
      expect(f?.values).toMatchObject({ scanId: s.scanId, alarmDecision: s.alarmDecision, abortFlag: s.abortFlag, conveyanceId: s.conveyanceId });
    }
  }, 30_000);

  it('Aes128_Sha256_RsaOaep works too; a wrong password and a refused identity say why', async () => {
    const ok = recordingOpcUaSink();
    await connector(ok, { deviceId: 'xray-aes', settings: opcuaSettings(pkiDir, { security: { policy: 'Aes128_Sha256_RsaOaep', mode: 'SignAndEncrypt', allowInsecure: false }, identity: { type: 'username', ...USER } }) }).start();
    await waitUntil(online(ok), 20_000, 'online with Aes128_Sha256_RsaOaep');
    expect(ok.lastStatus()?.detail).toContain('Aes128_Sha256_RsaOaep');

    const wrong = recordingOpcUaSink();
    await connector(wrong, { deviceId: 'xray-wrong', settings: opcuaSettings(pkiDir, { identity: { type: 'username', username: USER.username, password: 'not it' } }) }).start();
    await waitUntil(() => wrong.statuses.length > 0, 20_000, 'a status for the wrong password');
    expect(wrong.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_OPCUA_SESSION_REFUSED' });

    const anon = recordingOpcUaSink();
    await connector(anon, { deviceId: 'xray-anon', settings: opcuaSettings(pkiDir) }).start();
    await waitUntil(() => anon.statuses.length > 0, 20_000, 'a status for the anonymous identity');
    expect(anon.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_OPCUA_SESSION_REFUSED' });
    expect(anon.statuses[0]?.detail).toMatch(/does not accept a anonymous identity \(it accepts: username/);
    expect(ok.frames.length).toBeGreaterThan(0);
    expect(wrong.frames).toHaveLength(0);
  }, 60_000);

  it('an X.509 user certificate identity opens a session', async () => {
    // a user certificate and key, made with the same PKI tooling
    const { OPCUACertificateManager } = await import('node-opcua');
    const userPki = new OPCUACertificateManager({ rootFolder: path.join(root, 'user-identity') });
    await userPki.initialize();
    const certFile = path.join(root, 'user-identity', 'own', 'certs', 'screener.pem');
    await userPki.createSelfSignedCertificate({ applicationUri: 'urn:borderlink:test:screener', dns: [], subject: '/CN=screener', startDate: new Date(), validity: 30, outputFile: certFile });
    const keyFile = userPki.privateKey;
    await userPki.dispose();
    const rec = recordingOpcUaSink();
    await connector(rec, { deviceId: 'xray-x509', settings: opcuaSettings(pkiDir, { identity: { type: 'certificate', certFile, keyFile } }) }).start();
    await waitUntil(online(rec), 20_000, 'online with a certificate identity');
    const missing = recordingOpcUaSink();
    await connector(missing, { deviceId: 'xray-x509-missing', settings: opcuaSettings(pkiDir, { identity: { type: 'certificate', certFile: path.join(root, 'nope.pem'), keyFile } }) }).start();
    await waitUntil(() => missing.statuses.length > 0, 20_000, 'a status');
    expect(missing.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_OPCUA_SESSION_REFUSED' });
    expect(missing.statuses[0]?.detail).toContain('ENOENT');
  }, 30_000);

  it('an unknown node or namespace is reported degraded with the names that failed', async () => {
    const rec = recordingOpcUaSink();
    const plan = xrayPlan({ nodes: [...xrayPlan().nodes, { name: 'ghost', browsePath: '{urn:borderlink:sim:xray}Scanner/{urn:borderlink:sim:xray}Ghost', samplingIntervalMs: 0, queueSize: 1 }] });
    await connector(rec, { deviceId: 'xray-ghost', plan }).start();
    await waitUntil(() => rec.statuses.length > 0, 20_000, 'a status');
    expect(rec.statuses[0]).toMatchObject({ state: 'degraded', code: 'BL_ERR_OPCUA_NODE_UNRESOLVED' });
    expect(rec.statuses[0]?.detail).toContain('node "ghost"');
  }, 30_000);

  it('trust on first use pins the first certificate per device and refuses another one', async () => {
    const tofuPki = path.join(root, 'pki-tofu');
    const rec = recordingOpcUaSink();
    await connector(rec, { deviceId: 'xray-tofu', settings: opcuaSettings(tofuPki, { trustUnknownServer: true, identity: { type: 'username', ...USER } }) }).start();
    await waitUntil(online(rec), 30_000, 'online by trust on first use');
    const pin = readFileSync(path.join(tofuPki, 'pinned', 'xray-tofu.sha1'), 'utf8').trim();
    expect(pin).toMatch(/^[0-9a-f]{40}$/);
    expect(readdirSync(path.join(tofuPki, 'trusted', 'certs'))).toHaveLength(1);
    for (const c of cleanups.splice(0).reverse()) await c();

    // another server (another certificate) behind the same device
    const other = await startXrayOpcuaSimulator({ stateDir: path.join(root, 'sim-other'), scenario: 'idle', users: [USER], logger });
    try {
      const rec2 = recordingOpcUaSink();
      await connector(rec2, { deviceId: 'xray-tofu', endpointUrl: other.endpointUrl, settings: opcuaSettings(tofuPki, { trustUnknownServer: true, identity: { type: 'username', ...USER } }) }).start();
      await waitUntil(() => rec2.statuses.length > 0, 30_000, 'a status for the changed certificate');
      expect(rec2.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_OPCUA_SERVER_UNTRUSTED' });
      expect(rec2.statuses[0]?.detail).toContain(`changed since first use (pinned ${pin}`);
      for (const c of cleanups.splice(0).reverse()) await c();
    } finally {
      await other.close();
    }
  }, 90_000);

  it('a server restarted on the same port: reconnects by itself, re-subscribes, shows the scan made in the gap, and receives every later scan', async () => {
    const rec = recordingOpcUaSink();
    await connector(rec).start();
    await waitUntil(online(rec), 20_000, 'online');
    sim.scan('clear-bag');
    await waitUntil(() => scanSequences(rec.frames).length === 1, 5_000, 'a scan before the restart');
    const port = sim.port;
    const statusesBefore = rec.statuses.length;

    await sim.close();
    await waitUntil(() => rec.statuses.slice(statusesBefore).some((s) => s.state === 'offline'), 10_000, 'offline after the server stopped');
    sim = await startXrayOpcuaSimulator({ stateDir: simDir, port, scenario: 'idle', users: [USER], logger });
    const restartedAt = Date.now();
    const gap = sim.scan('alarm-two-threats'); // made while the connector is still away
    await waitUntil(() => rec.statuses.length > statusesBefore + 1 && online(rec)(), 20_000, 'online after the restart');
    const reconnectMs = Date.now() - restartedAt;
    // the snapshot after reconnecting carries the scan made in the gap
    const snapshot = rec.dataChanges().find((f) => f.values.scanSequence === gap.scanSequence);
    expect(snapshot?.changed).toContain('scanSequence');
    expect(snapshot?.values.scanId).toBe(gap.scanId);

    const after = [sim.scan('operator-override'), sim.scan('aborted'), sim.scan('clear-bag')];
    await waitUntil(() => scanSequences(rec.frames).includes(after[2]?.scanSequence ?? -1), 10_000, 'the scans after the restart');
    const seen = scanSequences(rec.frames);
    const fromRestart = seen.filter((s) => s > gap.scanSequence);
    expect(fromRestart).toEqual(after.map((s) => s.scanSequence));
    expect(after[0]?.scanSequence).toBe(gap.scanSequence + 1);
    process.stderr.write(`[opcua] in-process restart: online again ${reconnectMs} ms after the server listened\n`);
  }, 60_000);

  it('a subscription that silently stops publishing is detected (degraded) and rebuilt', async () => {
    const rec = recordingOpcUaSink();
    const plan = xrayPlan({ publishingIntervalMs: 100, keepAliveCount: 3 }); // watchdog (3+1) x 100 x 2 = 800 ms
    await connector(rec, { plan }).start();
    await waitUntil(online(rec), 20_000, 'online');
    const statusesBefore = rec.statuses.length;
    sim.stallPublishing(true);
    const stalledAt = Date.now();
    await waitUntil(() => rec.statuses.slice(statusesBefore).some((s) => s.state === 'degraded'), 10_000, 'degraded');
    const detectMs = Date.now() - stalledAt;
    expect(rec.statuses.slice(statusesBefore).find((s) => s.state === 'degraded')).toMatchObject({ code: 'BL_ERR_DEVICE_UNRESPONSIVE' });
    // while the server still swallows Publish, a rebuilt subscription is not reported online
    await new Promise((r) => setTimeout(r, 1_500));
    expect(rec.lastStatus()?.state).toBe('degraded');

    sim.stallPublishing(false);
    await waitUntil(online(rec), 20_000, 'online again');
    const s = sim.scan('alarm-two-threats');
    await waitUntil(() => scanSequences(rec.frames).includes(s.scanSequence), 10_000, 'a scan after the rebuild');
    process.stderr.write(`[opcua] silent subscription: degraded ${detectMs} ms after publishing stopped (watchdog 800 ms)\n`);
  }, 60_000);

  it('stop closes the session and resolves within its timeout', async () => {
    const rec = recordingOpcUaSink();
    const c = connector(rec, { stopTimeoutMs: 2_000 });
    await c.start();
    await waitUntil(online(rec), 20_000, 'online');
    const sessions = sim.sessionCount();
    expect(sessions).toBeGreaterThan(0);
    const t0 = Date.now();
    await c.stop();
    expect(Date.now() - t0).toBeLessThan(2_500);
    await waitUntil(() => sim.sessionCount() === sessions - 1, 5_000, 'the session closed on the server');
    const statuses = rec.statuses.length;
    sim.scan('clear-bag');
    await new Promise((r) => setTimeout(r, 300));
    expect(rec.statuses.length).toBe(statuses);
  }, 30_000);
});
