/**
 * The real daemon on real pseudo-terminals (socat): the portal line protocol over a serial line,
 * and Modbus RTU multi-drop with three units on one line, one of which goes silent while the
 * others keep reporting.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRpmLineSimulator, type RpmLineSimulator } from '../../simulators/rpm-line/rpm-line-simulator.js';
import { startRpmRtuSimulator, type RpmRtuSimulator } from '../../simulators/rpm/rpm-rtu-simulator.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allEventsOf, getJson, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';
import { socatPtys, socatSuite, type SocatPtys } from '../helpers/socat.js';

const suite = socatSuite('daemon on serial lines (socat ptys)');

describe.skipIf(suite.skip)(suite.name, () => {
  let broker: TestBroker;
  let dir: TempDir;
  const ptys: SocatPtys[] = [];
  beforeAll(async () => {
    broker = await startTestBroker();
    dir = tempDir();
  });
  afterAll(async () => {
    for (const p of ptys) await p.stop();
    await broker?.close();
    dir?.remove();
  });

  const base = (name: string): Record<string, unknown> => ({
    gateway: { id: 'bl-serial-gw', siteId: 'BGSOF', dataDir: path.join(dir.path, `data-${name}`), logLevel: 'info', shutdownTimeoutMs: 4000 },
    mqtt: { url: broker.url },
    http: { host: '127.0.0.1', port: 0 },
  });

  it('reads the portal line protocol from a serial line into result events', { timeout: 60_000 }, async () => {
    const pty = socatPtys(dir.path, ['line-dev', 'line-gw']);
    ptys.push(pty);
    await pty.start();
    let sim: RpmLineSimulator | undefined;
    const file = writeConfig(dir.path, {
      ...base('line'),
      devices: [{ id: 'rpm-serial', adapter: 'rpm-line-protocol', laneId: '5', connection: { serial: { path: pty.b, baudRate: 9600 } } }],
    }, 'line.yaml');
    const { daemon, rest } = await startGatewayDaemon(file);
    try {
      sim = await startRpmLineSimulator({ mode: 'path', path: pty.a, scenario: 'dual-alarm', seed: 21 });
      const result = await waitFor(async () => (await allEventsOf(rest, 'rpm-serial')).find((e) => e.eventType === 'result' && e.outcome?.state === 'alarm'), 'an alarm result over the serial line', 40_000);
      expect(result.outcome?.categories).toEqual(expect.arrayContaining(['gamma']));
      expect(result.source.adapter.id).toBe('rpm-line-protocol');
    } finally {
      await sim?.close();
      expect((await daemon.stop()).code).toBe(0);
    }
  });

  it('polls three RTU units on one line and keeps the healthy ones reporting when one goes silent', { timeout: 90_000 }, async () => {
    const pty = socatPtys(dir.path, ['rtu-dev', 'rtu-gw']);
    ptys.push(pty);
    await pty.start();
    let sim: RpmRtuSimulator | undefined;
    const serial = { path: pty.b, baudRate: 19200, parity: 'even' };
    const file = writeConfig(dir.path, {
      ...base('rtu'),
      devices: [1, 2, 3].map((u) => ({ id: `rpm-rtu-${u}`, adapter: 'rpm-modbus-generic', laneId: `1${u}`, pollIntervalMs: 200, timeoutMs: 300, connection: { serial, unitId: u } })),
    }, 'rtu.yaml');
    sim = await startRpmRtuSimulator({ path: pty.a, units: [1, 2, 3], scenario: 'demo', seed: 31, baudRate: 19200, parity: 'even' });
    const { daemon, rest } = await startGatewayDaemon(file);
    try {
      const states = async (): Promise<Record<string, string | undefined>> => {
        const { body } = await getJson<{ items: Array<{ id: string; status?: { state: string } }> }>(`${rest}/v1/devices`);
        return Object.fromEntries(body.items.map((d) => [d.id, d.status?.state]));
      };
      await waitFor(async () => {
        const s = await states();
        return s['rpm-rtu-1'] === 'online' && s['rpm-rtu-2'] === 'online' && s['rpm-rtu-3'] === 'online';
      }, 'three units online', 20_000);
      sim.unit(2).setFaults({ mode: { kind: 'silent' } });
      await waitFor(async () => (await states())['rpm-rtu-2'] === 'offline', 'the silent unit offline', 20_000);
      // the healthy units go on producing events after unit 2 fell silent
      const counts = async (): Promise<number[]> => Promise.all([1, 3].map(async (u) => (await allEventsOf(rest, `rpm-rtu-${u}`)).length));
      const before = await counts();
      await waitFor(async () => {
        const now = await counts();
        return now.every((n, i) => n > (before[i] ?? 0));
      }, 'new events from units 1 and 3 while unit 2 is silent', 40_000);
      const s = await states();
      expect(s['rpm-rtu-1']).toBe('online');
      expect(s['rpm-rtu-3']).toBe('online');
      sim.unit(2).setFaults({});
      await waitFor(async () => (await states())['rpm-rtu-2'] === 'online', 'unit 2 back online', 40_000);
    } finally {
      await sim?.close();
      expect((await daemon.stop()).code).toBe(0);
    }
  });
});
